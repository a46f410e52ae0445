"""Where a video's burned-in clock is: the searches of :func:`~timesync.align.overlay.read.read_overlay_clock`.

A few short windows of consecutive frames (:data:`REGION_WINDOW_S` s each, at
the start, middle and quarters of the file) are searched for the clock region
(:func:`~timesync.align.overlay.region.find_clock_region`); when none reads,
the faint-clock search (:mod:`~timesync.align.overlay.faint`). Frames come
from :func:`~timesync.align.overlay.scan.iter_luma`, downscaled to about 640
pixels across; every frame decoded is counted when a
:class:`~timesync.align.overlay.scan.DecodeCount` is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from timesync.align.overlay.faint import FAINT_WINDOW_S, PhaseStats, faint_region
from timesync.align.overlay.region import ClockRegion, find_clock_region
from timesync.align.overlay.scan import DecodeCount, iter_luma

__all__ = ["REGION_WINDOW_S", "FAINT_MIDDLE_AFTER_S"]

#: Seconds of video searched for the clock region (per attempt).
REGION_WINDOW_S = 5.0
#: Files longer than this (s) get a second faint-clock search window, in the middle.
FAINT_MIDDLE_AFTER_S = 120.0


def _downscale(luma: np.ndarray, scale: int) -> np.ndarray:
    return luma[::scale, ::scale].copy() if scale > 1 else luma.copy()


def _locate_region(path: Path, index, duration: float, scale: int,
                   count: DecodeCount | None = None) -> ClockRegion | None:
    """Search windows at the start, middle, a quarter and three quarters of the file.

    A flash, a cut or moving scenery can make one window find a wrong region or
    none: the first region two windows agree on is taken, else the surest one.
    """
    starts = [0.0]
    if duration > 3 * REGION_WINDOW_S:
        starts += [duration / 2, duration / 4, 3 * duration / 4]
    found: list[ClockRegion] = []
    for start in starts:
        frames, times = [], []
        for number, luma in iter_luma(path, index, start_s=start + index.start_s,
                                      stop_s=start + index.start_s + REGION_WINDOW_S, count=count):
            frames.append(_downscale(luma, scale))
            times.append(index.times[number])
        if len(frames) < 3:
            continue
        region = find_clock_region(np.stack(frames), np.array(times), scale=scale)
        if region is None:
            continue
        agree = [r for r in found if r.overlaps(region)]
        if agree:
            return max([region, *agree], key=lambda r: r.score)
        found.append(region)
    return max(found, key=lambda r: r.score) if found else None


def _faint_search(path: Path, index, duration: float, scale: int,
                  count: DecodeCount | None = None) -> ClockRegion | None:
    """The faint-clock search (:mod:`~timesync.align.overlay.faint`) over the first
    :data:`~timesync.align.overlay.faint.FAINT_WINDOW_S` s, then (files over
    :data:`FAINT_MIDDLE_AFTER_S`, where it costs little next to the whole pass) in the middle."""
    starts = [0.0] + ([duration / 2] if duration > FAINT_MIDDLE_AFTER_S else [])
    frame_s = float(np.median(np.diff(np.asarray(index.times[: min(len(index), 200)]))))
    for start in starts:
        stats = None
        for number, luma in iter_luma(path, index, start_s=start + index.start_s,
                                      stop_s=start + index.start_s + FAINT_WINDOW_S, count=count):
            small = _downscale(luma, scale)
            if stats is None:
                stats = PhaseStats(small.shape, frame_s)
            stats.add(float(index.times[number]), small)
        region = faint_region(stats, scale=scale) if stats is not None else None
        if region is not None:
            return region
    return None


def _scale(path: Path, index, count: DecodeCount | None = None) -> int:
    """The downscale factor of the region search: about 640 pixels across."""
    frames = iter_luma(path, index, count=count)
    first = next(frames, None)
    frames.close()
    width = first[1].shape[1] if first is not None else 640
    return max(1, round(width / 640))


def _region(path: Path, index, duration: float, region: tuple[int, int, int, int] | None,
            scale: int, count: DecodeCount | None = None) -> ClockRegion | None:
    """The clock region given as ``(x, y, w, h)``, or found in the first ``duration`` s (None: none)."""
    if region is not None:
        return ClockRegion(text=tuple(region), digits=tuple(region))
    return _locate_region(path, index, duration, scale, count)
