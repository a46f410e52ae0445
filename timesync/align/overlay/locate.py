"""Where a video's burned-in clock is: the searches of :func:`~timesync.align.overlay.read.read_overlay_clock`.

A first look (:func:`glance`) decodes a few keyframes spread over the whole file
(keyframes only: no reference chain, one picture a GOP). Burned-in text stays put
while the scene behind it changes, so the edges of its strokes keep their sign
from one keyframe to the next; where no pixel near the frame's edges does in
:data:`STEADY_SHARE` of the keyframes, there is no text to read and the search
below is not run. Otherwise (text, a still scene, a logo: anything steady), a
few short windows of consecutive frames (:data:`REGION_WINDOW_S` s each, at
the start, middle and quarters of the file) are searched for the clock region
(:func:`~timesync.align.overlay.region.find_clock_region`); when none reads,
the faint-clock search (:mod:`~timesync.align.overlay.faint`). Frames come
from :func:`~timesync.align.overlay.scan.iter_luma`, downscaled to about 640
pixels across; every frame decoded is counted when a
:class:`~timesync.align.overlay.scan.DecodeCount` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from timesync.align.overlay.faint import FAINT_WINDOW_S, PhaseStats, faint_region
from timesync.align.overlay.region import (
    CHANGE_LEVEL,
    MIN_DIGIT_PIXELS,
    SURE_DIGIT_PIXELS,
    ClockRegion,
    _edge_band_mask,
    find_clock_region,
)
from timesync.align.overlay.scan import DecodeCount, iter_luma, luma_of

__all__ = ["REGION_WINDOW_S", "FAINT_MIDDLE_AFTER_S", "Glance", "glance", "GLANCE_KEYFRAMES", "search_clock"]

#: Seconds of video searched for the clock region (per attempt).
REGION_WINDOW_S = 5.0
#: Files longer than this (s) get a second faint-clock search window, in the middle.
FAINT_MIDDLE_AFTER_S = 120.0
#: Keyframes the first look decodes at most, spread evenly over the file.
GLANCE_KEYFRAMES = 32
#: Fewest keyframes the first look decides on (fewer: the search runs as it would without it).
GLANCE_MIN_KEYFRAMES = 12
#: Grey levels by which a pixel must differ from the pixel two columns to its left, one way, to
#: count as an edge (the stroke of a character, semi-transparent or not, on any picture).
STEADY_LEVEL = 4
#: A pixel is a steady edge when it is an edge of the same sign in this share of the keyframes
#: (burned-in text in all of them but those a flash or something passing covers).
STEADY_SHARE = 0.8
#: Fewer steady edge pixels near the frame's edges than this: no text there, no clock. The text
#: of a clock has far more (the fewest in the stress corpus: 49, digits 7 px high on a
#: 320x136 video); a scene that moves behind no text has a handful by chance (at most 4).
MIN_STEADY_PIXELS = 12
#: Pictures decoded at most after each seek of the first look to reach its keyframe.
GLANCE_TRIES = 3
#: The first look's pictures are area-averaged to at most about this width (pixels).
GLANCE_WIDTH = 960


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


@dataclass(frozen=True)
class Glance:
    """What the first look over a file's keyframes saw (:func:`glance`).

    Attributes
    ----------
    keyframes : int
        Keyframes decoded.
    first_s, last_s : float
        Local seconds of the first and last of them.
    steady_pixels : int
        Pixels near the frame's edges that are an edge of the same sign in
        :data:`STEADY_SHARE` of the keyframes (at the look's scale).
    width : int
        Width of the coded pictures (pixels): the region search's scale comes from it.
    """

    keyframes: int
    first_s: float
    last_s: float
    steady_pixels: int
    width: int

    @property
    def no_clock(self) -> bool:
        """True when nothing near the frame's edges stays put like burned-in text."""
        return self.steady_pixels < MIN_STEADY_PIXELS

    def note(self) -> str:
        """What was looked at, for the provenance of a file found to have no clock."""
        return (f"no clock-like text in {self.keyframes} keyframes over {self.last_s - self.first_s:.0f} s "
                f"(local {self.first_s:.1f} to {self.last_s:.1f} s: {self.steady_pixels} steady text-edge "
                f"pixels near the frame's edges, fewer than {MIN_STEADY_PIXELS})")


def _glance_times(index, start_s: float, stop_s: float) -> np.ndarray:
    """Local start times (s) of at most :data:`GLANCE_KEYFRAMES` keyframes in ``[start_s, stop_s)``,
    evenly spread over them (the first and the last included)."""
    from timesync.align.overlay.sparse import _keyframe_times

    times = _keyframe_times(index)
    times = times[(times >= start_s - 1e-9) & (times < stop_s)]
    if len(times) > GLANCE_KEYFRAMES:
        times = times[np.unique(np.round(np.linspace(0, len(times) - 1, GLANCE_KEYFRAMES)).astype(int))]
    return times


def _iter_keyframes(path: Path, index, times: np.ndarray, count: DecodeCount | None) \
        -> Iterator[tuple[float, np.ndarray]]:
    """``(t, luma)`` of the keyframes starting at local ``times`` (s): one seek and one decoded picture
    each (the decoder skips every other frame). A keyframe the decoder does not give within
    :data:`GLANCE_TRIES` pictures of the seek, or fails to decode, is left out."""
    import av

    pts_all, times_all = np.asarray(index.pts), np.asarray(index.times)
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        for t in times:
            target = int(pts_all[int(np.searchsorted(times_all, t - 1e-9))])
            try:
                luma = _keyframe_at(container, stream, target, count)
            except av.FFmpegError:  # damaged data: that keyframe is left out
                continue
            if luma is not None:
                yield float(t), luma


def _keyframe_at(container, stream, target: int, count: DecodeCount | None) -> np.ndarray | None:
    """The luma of the keyframe at PTS ``target``, sought and decoded (None: not given)."""
    container.seek(target, stream=stream, backward=True)
    for tries, frame in enumerate(container.decode(stream), start=1):
        if count is not None:
            count.frames += 1
        if frame.pts is not None and frame.pts >= target:
            return luma_of(frame) if frame.pts == target else None
        if tries >= GLANCE_TRIES:
            break
    return None


class _SteadyEdges:
    """Per pixel near the frame's edges: in how many of the keyframes added it is an edge of each sign."""

    def __init__(self) -> None:
        self.pos = self.neg = self.near = None
        self.seen, self.width = 0, 0

    def add(self, luma: np.ndarray) -> bool:
        """Add one keyframe's luma; False when its size differs from the first one's."""
        factor = max(1, luma.shape[1] // GLANCE_WIDTH)
        small = luma if factor == 1 else cv2.resize(
            luma, (luma.shape[1] // factor, luma.shape[0] // factor), interpolation=cv2.INTER_AREA)
        if self.pos is None:
            self.width = luma.shape[1]
            self.pos, self.neg = (np.zeros((small.shape[0], small.shape[1] - 2), np.uint16) for _ in range(2))
            self.near = _edge_band_mask(*small.shape)[:, 2:]
        elif small.shape[0] != self.pos.shape[0] or small.shape[1] - 2 != self.pos.shape[1]:
            return False
        step = small[:, 2:].astype(np.int16) - small[:, :-2]  # two columns apart: a stroke's edge
        self.pos += step > STEADY_LEVEL
        self.neg += step < -STEADY_LEVEL
        self.seen += 1
        return True

    def steady(self) -> int:
        """Pixels near the frame's edges that are an edge of one sign in :data:`STEADY_SHARE` of them."""
        return int(np.count_nonzero((np.maximum(self.pos, self.neg) >= STEADY_SHARE * self.seen) & self.near))


def glance(path: str | Path, index, start_s: float, stop_s: float,
           count: DecodeCount | None = None) -> Glance | None:
    """The first look: steady text edges near the frame's edges in keyframes spread over the file.

    Parameters
    ----------
    path : the video (opened read-only).
    index : its FrameIndex (its ``keyframes``, PTS, say where to seek).
    start_s, stop_s : float
        Local seconds looked over, ``[start_s, stop_s)``.
    count : DecodeCount, optional
        Incremented for every picture decoded.

    Returns
    -------
    Glance or None
        None when fewer than :data:`GLANCE_MIN_KEYFRAMES` keyframes could be
        looked at (a short clip, a long GOP, an index without keyframes): no verdict.
        All of them are looked at even when text is plain after a few: fewer keyframes
        leave more pixels of a moving scene steady by chance (a 60-min 1080p body cam:
        211-262 after 16 keyframes, none after 32).
    """
    times = _glance_times(index, start_s, stop_s)
    if len(times) < GLANCE_MIN_KEYFRAMES:
        return None
    edges, looked = _SteadyEdges(), []
    for t, luma in _iter_keyframes(Path(path), index, times, count):
        if not edges.add(luma):
            return None  # the picture size changes: no verdict
        looked.append(t)
    if edges.seen < GLANCE_MIN_KEYFRAMES:
        return None
    return Glance(keyframes=edges.seen, first_s=looked[0], last_s=looked[-1],
                  steady_pixels=edges.steady(), width=edges.width)


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
                   primed: dict[float, PhaseStats] | None, sure: int = MIN_DIGIT_PIXELS) -> ClockRegion | None:
    """The region found in the :data:`REGION_WINDOW_S` s from ``start`` (s from the start), or None;
    with ``primed``, where none is found, the faint-search window there is read on (its sums kept).
    Its frames are let go on return (one window's stack in memory at a time). ``sure``: see
    :func:`~timesync.align.overlay.region.find_clock_region`."""
    t0 = start + index.start_s
    frames_in = iter_luma(path, index, start_s=t0, stop_s=t0 + (REGION_WINDOW_S if primed is None else FAINT_WINDOW_S),
                          count=count)
    try:
        frames, times, pending = _window(frames_in, index, t0 + REGION_WINDOW_S, scale)
        if len(frames) < 3:
            return None
        region = find_clock_region(frames, times, scale=scale, sure=sure)
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


def _scale(path: Path, index, count: DecodeCount | None = None, width: int | None = None) -> int:
    """The downscale factor of the region search: about 640 pixels across (``width``: the
    pictures' width when known, else the first frame is decoded to see it)."""
    if width is None:
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


def search_clock(path: Path, index, result, duration: float, stop_s: float | None,
                 region: tuple[int, int, int, int] | None, progress: Callable[[float, str], None] | None,
                 count: DecodeCount):
    """Find the clock (the first look, the region search, the faint search) and read it; the result.

    Without a ``region`` given, the first look (:func:`~timesync.align.overlay.locate.glance`) comes
    first: when it sees no steady text near the frame's edges, nothing else is decoded and the
    ``note`` says what it looked at. ``result``: the file's OverlayClock (filled in, or replaced by
    the faint clock's when that one reads).
    """
    from timesync.align.overlay.read import NO_OVERLAY, OverlayClock, _read_region

    look = None
    if region is None:
        stop = float(stop_s) if stop_s is not None else float(index.end_s)
        look = glance(path, index, float(index.start_s), stop, count)
        if look is not None and look.no_clock:
            result.note = f"{NO_OVERLAY}: {look.note()}"
            return result
    scale = _scale(path, index, count, look.width if look is not None else None)
    primed: dict = {}  # faint-search windows the region search has begun (not decoded twice)
    found = _region(path, index, duration, region, scale, count, primed)
    result.region = found
    if found is not None:
        _read_region(path, index, result, duration, stop_s, progress, count)
    if result.fit is None and region is None and found is not None:  # a few ticking pixels of scenery?
        result = _weigh_faint_level(path, index, result, found, duration, stop_s, scale, progress, count)
    if result.fit is None and region is None:  # none found, or scenery taken for a clock: a faint one?
        faint = _faint_search(path, index, duration, scale, count, primed)
        if faint is not None and (found is None or not faint.overlaps(found)):
            second = OverlayClock(name=result.name, region=faint)
            _read_region(path, index, second, duration, stop_s, progress, count)
            if second.fit is not None:
                result = second
    if result.region is None:
        result.note = NO_OVERLAY
    return result


def _weigh_faint_level(path: Path, index, result, found: ClockRegion, duration: float, stop_s: float | None,
                       scale: int, progress: Callable[[float, str], None] | None, count: DecodeCount):
    """The first window searched again when the region found there ticked in few pixels at the first
    level and gave no clock: the faint level weighed too (``sure`` :data:`SURE_DIGIT_PIXELS`), as a
    faint clock over a still background ticks by less than that level while a few pixels of the moving
    scene tick by chance. The other region's clock when it reads, else ``result`` as it was."""
    from timesync.align.overlay.read import OverlayClock, _read_region

    if found.level != CHANGE_LEVEL or found.score >= SURE_DIGIT_PIXELS:
        return result
    other = _search_window(path, index, 0.0, scale, count, None, SURE_DIGIT_PIXELS)
    if other is None or other.overlaps(found):
        return result
    second = OverlayClock(name=result.name, region=other)
    _read_region(path, index, second, duration, stop_s, progress, count)
    return second if second.fit is not None else result
