"""Reading a long video's burned-in clock from short windows spread over the file.

Decoding every frame of an hour of video to read a clock that ticks once a
second is most of the cost of the overlay reader. Once the clock region is
known, a long file (:func:`plan_windows`) is read in windows instead: each
:data:`WINDOW_S` s of consecutive frames from a keyframe (so the decoder does
not decode frames it throws away), :data:`MIN_WINDOWS` to :data:`MAX_WINDOWS`
of them spread evenly from the start to the end. In each window the seconds
ticks are found as in a whole-file pass (:func:`~timesync.align.overlay.ticks.find_ticks`
on that window's frames) and a stack of text crops is kept after its first
ticks for OCR.

A clock that jumps between two windows shows two different offsets
(reading minus local time) in them. :func:`refine` bisects between such
windows (a window read halfway, again and again) until the two disagreeing
windows are next to each other, then reads the whole stretch between them
frame by frame with a crop after every tick: the jump is placed at the first
tick read after it, within a tick, as a whole-file pass would place it with a
reading at every tick. Which windows were read goes into the provenance
(``OverlayClock.windows_s``) with the frames decoded
(``OverlayClock.frames_decoded``, counted by
:class:`~timesync.align.overlay.scan.DecodeCount`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from timesync.align.overlay.parse import parse_clock_text, reading_seconds
from timesync.align.overlay.region import ClockRegion
from timesync.align.overlay.scan import DecodeCount, iter_windows
from timesync.align.overlay.ticks import find_ticks

__all__ = ["WINDOW_S", "WindowRead", "plan_windows", "read_windows", "refine", "joined", "read_sparse"]

#: Seconds of consecutive frames in each window (from a keyframe).
WINDOW_S = 4.0
#: Fewest windows spread over a file.
MIN_WINDOWS = 8
#: Most windows spread over a file (a long file: one every 75 s for an hour).
MAX_WINDOWS = 48
#: One window for this many seconds of video (between the bounds above).
SECONDS_PER_WINDOW = 30.0
#: Windows that would cover this share of the file or more: the whole file is read instead (a file
#: under about 2 minutes: it costs little, and every tick pins the phase of the clock better).
COVER_SHARE = 0.25
#: Ticks of a plain window whose crops are kept (the first for OCR, the others spare).
CROPS_PER_WINDOW = 3
#: Offsets (reading minus local time, s) of two windows that differ by more: a jump between them.
DISAGREE_S = 0.5
#: Rounds of bisection at most (each halves every gap between disagreeing windows).
MAX_ROUNDS = 16


@dataclass
class WindowRead:
    """What one window showed.

    Attributes
    ----------
    start_s, stop_s : float
        Local seconds of the frames read, ``[start_s, stop_s)``.
    lo, hi, breaks : arrays of float
        The ticks (:func:`~timesync.align.overlay.ticks.find_ticks`) and other
        changes of the digits in the window, local seconds.
    stacks : list of (frame number, list of crops)
        Text crops from the first frame after some ticks (all of them when
        ``every_tick``), for OCR.
    every_tick : bool
        The window spans a jump: a crop after every tick.
    offset_s, last_offset_s : float or None
        Whole-second reading minus local time at its first read tick, and at its
        last (the same but for a window spanning a jump); None: not read or unreadable.
    """

    start_s: float
    stop_s: float
    lo: np.ndarray = field(default_factory=lambda: np.array([]))
    hi: np.ndarray = field(default_factory=lambda: np.array([]))
    breaks: np.ndarray = field(default_factory=lambda: np.array([]))
    stacks: list[tuple[int, list[np.ndarray]]] = field(default_factory=list)
    every_tick: bool = False
    offset_s: float | None = None
    last_offset_s: float | None = None
    probed: bool = False
    #: Read only to bisect: its crop is not one of the readings fitted (which stay one a window
    #: spread over the file, so the longest stretch of a clock that jumps has the most readings).
    probe_only: bool = False


def _keyframe_times(index) -> np.ndarray:
    """Local start times (s) of the keyframes of ``index`` (empty when unknown)."""
    pts = np.asarray(index.pts)
    kf = np.asarray(getattr(index, "keyframes", np.zeros(0)), np.int64)
    numbers = np.searchsorted(pts, kf)
    inside = numbers < len(pts)
    numbers, kf = numbers[inside], kf[inside]
    return np.asarray(index.times)[np.unique(numbers[pts[numbers] == kf])]


def _keyframe_before(keyframes: np.ndarray, t: float) -> float:
    """The last keyframe at or before local ``t`` (s), or ``t`` when there is none."""
    j = int(np.searchsorted(keyframes, t + 1e-9)) - 1
    return float(keyframes[j]) if j >= 0 else t


def plan_windows(index, start_s: float, stop_s: float) -> list[tuple[float, float]] | None:
    """Windows ``(start_s, stop_s)`` (local s) spread over ``[start_s, stop_s)``, or None.

    None when the windows would cover :data:`COVER_SHARE` of the span or more
    (a short file: reading it whole costs little more and sees every tick).
    """
    duration = stop_s - start_s
    count = min(MAX_WINDOWS, max(MIN_WINDOWS, math.ceil(duration / SECONDS_PER_WINDOW)))
    if count * WINDOW_S >= COVER_SHARE * duration:
        return None
    keyframes = _keyframe_times(index)
    starts = []
    for k in range(count):
        target = start_s + (duration - WINDOW_S) * k / (count - 1)
        begin = max(start_s, _keyframe_before(keyframes, target))
        if not starts or begin > starts[-1] + 1e-6:
            starts.append(begin)
    ends = [*starts[1:], stop_s]
    return [(s, min(s + WINDOW_S, end)) for s, end in zip(starts, ends, strict=True)]


def _window_read(start_s: float, stop_s: float, numbers: list[int], change: list[float],
                 crops: list[np.ndarray], times: np.ndarray, every_tick: bool, stack_frames: int) -> WindowRead:
    """The ticks of one window's frames and the crop stacks after them."""
    read = WindowRead(start_s, stop_s, every_tick=every_tick)
    if len(numbers) < 3:
        return read
    lo, hi, note, breaks = find_ticks(np.asarray(change, np.float32), times[numbers])
    if note is not None:
        return read
    read.lo, read.hi, read.breaks = lo, hi, breaks
    chosen = hi if every_tick else hi[:CROPS_PER_WINDOW]
    at = times[numbers]
    for t in chosen:
        k = int(np.searchsorted(at, t - 1e-9))
        read.stacks.append((numbers[k], crops[k:k + stack_frames]))
    return read


def read_windows(path: Path, index, region: ClockRegion, windows: list[tuple[float, float]],
                 count: DecodeCount, *, every_tick: bool = False) -> list[WindowRead]:
    """Decode ``windows`` (local s) and find their ticks and crops (see :class:`WindowRead`)."""
    from timesync.align.overlay.read import FLASH_MEAN_STEP, STACK_FRAMES

    times = np.asarray(index.times)
    dx, dy, dw, dh = region.digits
    tx, ty, tw, th = region.text
    reads = [WindowRead(a, b, every_tick=every_tick) for a, b in windows]
    numbers: list[int] = []
    change: list[float] = []
    crops: list[np.ndarray] = []  # one window's text crops at a time (the stacks kept, the rest let go)

    def done(k: int) -> None:
        reads[k] = _window_read(*windows[k], numbers, change, crops, times, every_tick, STACK_FRAMES)
        numbers.clear()
        change.clear()
        crops.clear()

    prev, prev_mean, prev_k = None, None, -1
    for k, number, luma in iter_windows(path, index, windows, count=count):
        if k != prev_k and prev_k >= 0:
            done(prev_k)
        digits = luma[dy:dy + dh, dx:dx + dw].astype(np.int16)
        mean = float(luma[::8, ::8].mean())
        same = k == prev_k and prev is not None and prev.shape == digits.shape
        flash = same and abs(mean - prev_mean) > FLASH_MEAN_STEP
        step = float(np.count_nonzero(np.abs(digits - prev) > region.level)) if same and not flash else 0.0
        prev, prev_mean, prev_k = digits, mean, k
        numbers.append(number)
        change.append(step)
        crops.append(luma[ty:ty + th, tx:tx + tw].copy())
    if prev_k >= 0:
        done(prev_k)
    return reads


def joined(reads: list[WindowRead]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list, list]:
    """All windows' ticks and breaks in time order; the first crop of each window (every
    crop of a window spanning a jump); all crops."""
    reads = sorted(reads, key=lambda r: r.start_s)
    lo = np.concatenate([r.lo for r in reads]) if reads else np.array([])
    hi = np.concatenate([r.hi for r in reads]) if reads else np.array([])
    breaks = np.concatenate([r.breaks for r in reads]) if reads else np.array([])
    main = [s for r in reads if not r.probe_only for s in (r.stacks if r.every_tick else r.stacks[:1])]
    every = [s for r in reads for s in r.stacks]
    return lo, hi, breaks, main, every


def _offset(read: WindowRead, k: int, times: np.ndarray) -> float | None:
    """OCR the window's ``k``-th crop: the whole-second reading minus the local time of its tick (s).

    Tiny text (a crop under :data:`~timesync.align.overlay.ocr.SECOND_OPINION_BELOW_PX`) is read
    twice, as the whole-file pass reads it (:func:`~timesync.align.overlay.ocr.second_opinion`):
    a reading the second size does not confirm is no reading (None), so a year misread in one
    window's crop neither starts a bisection nor places a jump.
    """
    from timesync.align.overlay.ocr import SECOND_OPINION_BELOW_PX, second_opinion
    from timesync.align.overlay.read import _steady_crop, ocr_text

    number, stack = read.stacks[k]
    crop = _steady_crop(number, stack, read.hi, times)
    text = ocr_text(crop)
    reading = parse_clock_text(text, strict=False)
    if reading is not None and crop.shape[0] < SECOND_OPINION_BELOW_PX:
        reading = second_opinion(crop, reading, text)[0]
    j = int(np.searchsorted(read.hi, times[number] + 1e-9)) - 1
    return None if reading is None else math.floor(reading_seconds(reading.value)) - float(read.hi[j])


def _probe(read: WindowRead, times: np.ndarray) -> None:
    """OCR the window's first crop: its reading minus local time (``read.offset_s``)."""
    read.probed = True
    if read.stacks:
        read.offset_s = read.last_offset_s = _offset(read, 0, times)


def _pin_jump(read: WindowRead, times: np.ndarray) -> None:
    """Keep the crops of a window spanning a jump at the last tick before it and the first after.

    The ticks are bisected by OCR (a crop whose offset is nearer the window's
    first offset is before the jump); unreadable crops are passed over.
    """
    cands = list(range(len(read.stacks)))
    before, after = -1, len(cands)
    while after - before > 1:
        mid = (before + after) // 2
        off = _offset(read, cands[mid], times)
        if off is None:
            cands.pop(mid)
            after -= 1
        elif abs(off - read.offset_s) <= abs(off - read.last_offset_s):
            before = mid
        else:
            after = mid
    keep = [cands[k] for k in (before, after) if 0 <= k < len(cands)]
    read.stacks = [read.stacks[k] for k in keep]


def _next_windows(reads: list[WindowRead], keyframes: np.ndarray) -> tuple[list[tuple[float, float]], list]:
    """For each pair of neighbouring read windows that disagree: a window halfway, or (none
    fits between them) both replaced by one window from the first's start to the second's end."""
    known = [r for r in sorted(reads, key=lambda r: r.start_s) if r.offset_s is not None]
    halves, merges = [], []
    for a, b in zip(known, known[1:], strict=False):
        if abs(a.last_offset_s - b.offset_s) <= DISAGREE_S:
            continue
        begin = _keyframe_before(keyframes, (a.stop_s + b.start_s) / 2)
        if begin < a.stop_s - 1e-6:  # the keyframe before halfway is in a: the first one after a
            later = keyframes[keyframes >= a.stop_s - 1e-6]
            begin = float(later[0]) if len(later) else b.start_s
        if b.start_s - begin >= WINDOW_S + 1.0:
            halves.append((begin, begin + WINDOW_S))
        else:
            merges.append((a, b))
    return halves, merges


def _chains(merges: list[tuple[WindowRead, WindowRead]]) -> list[list[WindowRead]]:
    """Pairs of neighbouring windows to merge, joined where they share a window: ``[a, b, c]``."""
    chains: list[list[WindowRead]] = []
    for a, b in merges:
        if chains and chains[-1][-1] is a:
            chains[-1].append(b)
        else:
            chains.append([a, b])
    return chains


def refine(path: Path, index, region: ClockRegion, reads: list[WindowRead], count: DecodeCount,
           stop_s: float) -> list[WindowRead]:
    """Bisect between windows whose readings disagree (a jump) until it is read tick by tick.

    Returns the windows read (those spanning a jump replace the two around it).
    """
    times = np.asarray(index.times)
    keyframes = _keyframe_times(index)
    reads = list(reads)
    for _ in range(MAX_ROUNDS):
        for r in reads:
            if not r.probed:
                _probe(r, times)
        halves, merges = _next_windows(reads, keyframes)
        if not halves and not merges:
            break
        for new in read_windows(path, index, region, halves, count) if halves else ():
            new.probe_only = True
            reads.append(new)
        chains = _chains(merges)
        if chains:
            gone = {id(r) for chain in chains for r in chain}
            reads = [r for r in reads if id(r) not in gone]
            spans = [(chain[0].start_s, min(chain[-1].stop_s, stop_s)) for chain in chains]
            for (a, *_, b), new in zip(chains, read_windows(path, index, region, spans, count, every_tick=True),
                                       strict=True):
                new.probed = True  # read crop by crop later: the offsets at its ends are those of a and b
                new.offset_s, new.last_offset_s = a.offset_s, b.last_offset_s
                if new.offset_s is not None and new.last_offset_s is not None:
                    _pin_jump(new, times)
                reads.append(new)
    return sorted(reads, key=lambda r: r.start_s)


def read_sparse(path: Path, index, result, plan: list[tuple[float, float]], stop: float,
                times: np.ndarray, count: DecodeCount) -> bool:
    """Read ``result.region``'s clock (an OverlayClock) from the windows of ``plan`` (local s) and
    those bisection adds; True when fitted (``result`` filled in), False to read the whole file."""
    from timesync.align.overlay.read import OverlayClock, _fit_crops

    reads = refine(path, index, result.region, read_windows(path, index, result.region, plan, count), count, stop)
    lo, hi, breaks, main, every = joined(reads)
    result.windows_s = [(round(r.start_s, 3), round(r.stop_s, 3)) for r in reads]
    if len(lo) < 2:
        return False
    kept = OverlayClock(name=result.name, region=result.region)
    if not _fit_crops(kept, lo, hi, breaks, (main, every), times):
        return False
    result.fit, result.note, result.readings = kept.fit, kept.note, kept.readings
    result.layout, result.zone, result.swap_shift_s = kept.layout, kept.zone, kept.swap_shift_s
    return True
