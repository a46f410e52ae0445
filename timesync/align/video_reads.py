"""Reading several video files at once: the one home of how many and in which order.

The overlay reader (:func:`timesync.align.overlay.find_constraints`) and the flash
scan (:func:`timesync.align.flashes.visual.video_flashes`) read each video file
on its own. Decoding (PyAV) and the array work release the GIL, so files read in
threads share the cores; results come back in the sources' order, so a report
is the same as when the files are read one after another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["READ_WORKERS", "PARALLEL_MAX_PIXELS", "read_workers", "in_order"]

#: Video files read at once (threads), when there are several.
READ_WORKERS = 2
#: Files are read at once only when every video has at most this many pixels a frame (1080p):
#: two reads of larger pictures at once would risk the memory bound (their decoders' frames).
PARALLEL_MAX_PIXELS = 1920 * 1080

T = TypeVar("T")
R = TypeVar("R")


def _size(src: Any) -> tuple[int | None, int | None]:
    video = getattr(getattr(src, "info", None), "video", None)
    return getattr(video, "width", None), getattr(video, "height", None)


def read_workers(videos: Sequence[Any], most_frames: int | None = None) -> int:
    """How many of ``videos`` (sources with ``info.video``) to read at once.

    :data:`READ_WORKERS`, at most the cores and the number of videos, when every
    video's size is known and at most :data:`PARALLEL_MAX_PIXELS` and, with
    ``most_frames`` (a reader that keeps something per frame, e.g. the flash scan's
    cell grid), when the frames of the longest videos read together add up to at
    most that many; else 1.
    """
    sizes = [_size(s) for s in videos]
    if any(w is None or h is None or w * h > PARALLEL_MAX_PIXELS for w, h in sizes):
        return 1
    workers = max(1, min(READ_WORKERS, os.cpu_count() or 1, len(videos)))
    if most_frames is not None and workers > 1:
        counts = [getattr(getattr(getattr(s, "info", None), "video", None), "frame_count", None) for s in videos]
        if any(c is None for c in counts) or sum(sorted(counts)[-workers:]) > most_frames:
            return 1
    return workers


def in_order(read: Callable[[T], R], items: Sequence[T], workers: int,
             name: str = "video") -> Iterator[tuple[T, R]]:
    """``(item, read(item))`` for every item, in the items' order, ``workers`` at a time.

    With ``workers`` 1 each item is read when its turn comes (nothing ahead of it).
    ``read`` must not raise for a bad file (return its note instead): a raise stops the
    iteration there, after the reads already started finish.
    """
    if workers <= 1:
        for item in items:
            yield item, read(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
    try:
        futures = [pool.submit(read, item) for item in items]
        for item, future in zip(items, futures, strict=True):
            yield item, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
