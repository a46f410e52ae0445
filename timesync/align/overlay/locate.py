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

from collections.abc import Iterator
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


def _downscale(luma: np.ndarray, scale: int, out: np.ndarray | None = None) -> np.ndarray:
    """``luma`` subsampled by ``scale``, copied (into ``out`` when given: no new array)."""
    small = luma[::scale, ::scale] if scale > 1 else luma
    if out is None:
        return small.copy()
    if out.shape != small.shape:
        raise ValueError(f"the picture size changes within the video ({small.shape} after {out.shape})")
    np.copyto(out, small)
    return out


def _frame_s(index) -> float:
    """The typical frame interval (s) of the first frames: one phase bin of the faint search."""
    return float(np.median(np.diff(np.asarray(index.times[: min(len(index), 200)]))))


def _window(frames_in: Iterator[tuple[int, np.ndarray]], index, stop_s: float, scale: int) \
        -> tuple[np.ndarray, np.ndarray, tuple[int, np.ndarray] | None]:
    """The frames of ``frames_in`` before local ``stop_s`` (s), downscaled and stacked as they are
    decoded (one array, no copy per frame), their times, and the first frame at or after
    ``stop_s`` (``(number, downscaled luma)``; None: the frames ended first)."""
    times_all = np.asarray(index.times)
    stack: np.ndarray | None = None
    numbers: list[int] = []
    for number, luma in frames_in:
        if times_all[number] >= stop_s:
            return _stacked(stack, len(numbers)), times_all[numbers], (number, _downscale(luma, scale))
        if stack is None:
            first = int(np.searchsorted(times_all, times_all[number] - 1e-9))
            expected = int(np.searchsorted(times_all, stop_s - 1e-9)) - first
            stack = np.empty((max(expected, 1), *luma[::scale, ::scale].shape), np.uint8)
        if len(numbers) == len(stack):  # more frames than the index promised: grow
            stack = np.concatenate([stack, np.empty_like(stack)])
        _downscale(luma, scale, stack[len(numbers)])
        numbers.append(number)
    return _stacked(stack, len(numbers)), times_all[numbers], None


def _stacked(stack: np.ndarray | None, n: int) -> np.ndarray:
    return stack[:n] if stack is not None else np.zeros((0, 1, 1), np.uint8)


def _prime(frames: np.ndarray, times: np.ndarray, pending: tuple[int, np.ndarray] | None,
           rest: Iterator[tuple[int, np.ndarray]], index, scale: int) -> PhaseStats:
    """The phase sums of a faint-search window whose first frames (``frames`` at ``times``, then
    ``pending``) the region search has decoded: the same frames in the same order as the faint
    search would decode (so the same sums), read on from ``rest``."""
    stats = PhaseStats(frames.shape[1:], _frame_s(index))
    for small, t in zip(frames, times, strict=True):
        stats.add(float(t), small, copy=False)  # the stack is not changed: no copies
    if pending is not None:
        stats.add(float(index.times[pending[0]]), pending[1], copy=False)
        _add_frames(stats, rest, index, scale, pending[1])
    stats.finish()
    return stats


def _add_frames(stats: PhaseStats, frames_in: Iterator[tuple[int, np.ndarray]], index, scale: int,
                last: np.ndarray | None = None) -> PhaseStats | None:
    """Add the frames of ``frames_in`` to ``stats`` (made at the first frame when None), downscaled
    into two buffers in turn (the frame added and the one before it, ``last``); ``stats``."""
    buffers = [] if last is None else [last]
    for number, luma in frames_in:
        small = _downscale(luma, scale, buffers.pop(0) if len(buffers) == 2 else None)
        buffers.append(small)
        if stats is None:
            stats = PhaseStats(small.shape, _frame_s(index))
        stats.add(float(index.times[number]), small, copy=False)
    return stats


def _locate_region(path: Path, index, duration: float, scale: int,
                   count: DecodeCount | None = None,
                   primed: dict[float, PhaseStats] | None = None) -> ClockRegion | None:
    """Search windows at the start, middle, a quarter and three quarters of the file.

    A flash, a cut or moving scenery can make one window find a wrong region or
    none: the first region two windows agree on is taken, else the surest one.
    ``primed``: where a window begins a faint-search window (:func:`_faint_starts`)
    and finds nothing, the decoding goes on over that window and its phase sums
    go in ``primed`` (by start, s), so the faint search does not decode it again.
    """
    starts = [0.0]
    if duration > 3 * REGION_WINDOW_S:
        starts += [duration / 2, duration / 4, 3 * duration / 4]
    found: list[ClockRegion] = []
    faint_starts = _faint_starts(duration)
    for start in starts:
        region = _search_window(path, index, start, scale, count, primed if start in faint_starts else None)
        if region is None:
            continue
        agree = [r for r in found if r.overlaps(region)]
        if agree:
            return max([region, *agree], key=lambda r: r.score)
        found.append(region)
    return max(found, key=lambda r: r.score) if found else None


def _search_window(path: Path, index, start: float, scale: int, count: DecodeCount | None,
                   primed: dict[float, PhaseStats] | None) -> ClockRegion | None:
    """The region found in the :data:`REGION_WINDOW_S` s from ``start`` (s from the start), or None;
    with ``primed``, where none is found, the faint-search window there is read on (its sums kept).
    Its frames are let go on return (one window's stack in memory at a time)."""
    t0 = start + index.start_s
    frames_in = iter_luma(path, index, start_s=t0, stop_s=t0 + (REGION_WINDOW_S if primed is None else FAINT_WINDOW_S),
                          count=count)
    try:
        frames, times, pending = _window(frames_in, index, t0 + REGION_WINDOW_S, scale)
        if len(frames) < 3:
            return None
        region = find_clock_region(frames, times, scale=scale)
        if region is None and primed is not None:
            primed[start] = _prime(frames, times, pending, frames_in, index, scale)
        return region
    finally:
        frames_in.close()


def _faint_starts(duration: float) -> list[float]:
    """Where (s from the start) the faint-clock search windows begin."""
    return [0.0] + ([duration / 2] if duration > FAINT_MIDDLE_AFTER_S else [])


def _faint_search(path: Path, index, duration: float, scale: int,
                  count: DecodeCount | None = None,
                  primed: dict[float, PhaseStats] | None = None) -> ClockRegion | None:
    """The faint-clock search (:mod:`~timesync.align.overlay.faint`) over the first
    :data:`~timesync.align.overlay.faint.FAINT_WINDOW_S` s, then (files over
    :data:`FAINT_MIDDLE_AFTER_S`, where it costs little next to the whole pass) in the middle.

    ``primed``: the phase sums of windows the region search has decoded already
    (:func:`_locate_region`), not decoded again."""
    for start in _faint_starts(duration):
        stats = primed.pop(start, None) if primed else None
        if stats is None:
            t0 = start + index.start_s
            frames_in = iter_luma(path, index, start_s=t0, stop_s=t0 + FAINT_WINDOW_S, count=count)
            stats = _add_frames(None, frames_in, index, scale)
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
            scale: int, count: DecodeCount | None = None,
            primed: dict[float, PhaseStats] | None = None) -> ClockRegion | None:
    """The clock region given as ``(x, y, w, h)``, or found in the first ``duration`` s (None: none)."""
    if region is not None:
        return ClockRegion(text=tuple(region), digits=tuple(region))
    return _locate_region(path, index, duration, scale, count, primed)
