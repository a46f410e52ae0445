"""Fast sequential access to the luma of video frames, numbered by the FrameIndex.

Overlay and flash analysis look at small regions or coarse grids of every
frame. On inter-coded video every frame of a GOP must be decoded anyway, so a
sequential decode that keeps only the luma plane (no RGB conversion, no copy of
the whole picture) is the cheapest way to see them. Frame numbers and times
come from the :class:`timesync.media.FrameIndex` (container PTS), never from
a counter times a frame rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["iter_luma", "luma_of"]


def luma_of(frame) -> np.ndarray:
    """The luma plane of a decoded PyAV frame as an (H, W) uint8 view (no copy when possible)."""
    fmt = frame.format.name
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21", "gray")) and not fmt.startswith("gray16"):
        plane = frame.planes[0]
        data = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return data[:, : frame.width]
    return frame.to_ndarray(format="gray")


def iter_luma(path: str | Path, index, *, start_s: float = 0.0, stop_s: float | None = None) \
        -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame number, luma)`` for every frame from ``start_s`` up to ``stop_s``.

    Parameters
    ----------
    path : path of the video (opened read-only).
    index : FrameIndex of that file; its ``pts`` give the frame numbers.
    start_s, stop_s : float
        Local seconds; frames whose start lies in ``[start_s, stop_s)`` are yielded.

    Notes
    -----
    The luma array is only valid until the next iteration (it may view the
    decoder's buffer): copy what you keep.
    """
    import av

    pts_all = np.asarray(index.pts)
    times = np.asarray(index.times)
    first = int(np.searchsorted(times, start_s - 1e-9))
    if first >= len(pts_all):
        return
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if first > 0:
            container.seek(int(pts_all[first]), stream=stream, backward=True)
        counter = None
        for frame in container.decode(stream):
            if frame.pts is not None:
                number = int(np.searchsorted(pts_all, frame.pts))
                if number >= len(pts_all) or pts_all[number] != frame.pts:
                    continue  # not a presented frame of the index
            else:
                counter = first if counter is None else counter + 1
                number = counter
            if number < first:
                continue
            if stop_s is not None and times[number] >= stop_s:
                break
            yield number, luma_of(frame)
