"""Reading one video's burned-in clock: :func:`read_overlay_clock` -> :class:`OverlayClock`.

Steps 1-5 of :mod:`timesync.align.overlay`: a first look over keyframes spread over the file
(:func:`~timesync.align.overlay.locate.glance`: no steady text near the frame's edges, no clock,
nothing more decoded), the clock region
(:mod:`~timesync.align.overlay.region`, searched by :mod:`~timesync.align.overlay.locate`),
one sequential pass over the luma (:mod:`~timesync.align.overlay.scan`; a long file: short
windows spread over it, :mod:`~timesync.align.overlay.sparse`), the ticks where the seconds digit changes,
a few crops read with RapidOCR and parsed (:mod:`~timesync.align.overlay.parse`),
and the fit of the clock against local time (:mod:`~timesync.align.overlay.fit`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align.overlay import sparse
from timesync.align.overlay.fit import TickFit, fit_ticks
from timesync.align.overlay.locate import (  # noqa: F401  (REGION_WINDOW_S...: their old home)
    FAINT_MIDDLE_AFTER_S,
    REGION_WINDOW_S,
    _faint_search,
    _locate_region,
    _region,
    _scale,
    search_clock,
)
from timesync.align.overlay.ocr import (  # noqa: F401  (_ocr_engine: bench_visual loads it early)
    SECOND_OPINION_BELOW_PX,
    _ocr_engine,
    majority_doubted,
    ocr_text,
    second_opinion,
)
from timesync.align.overlay.parse import (
    ClockReading,
    parse_clock_text,
    reading_seconds,
    resolve_date_order,
)
from timesync.align.overlay.region import ClockRegion
from timesync.align.overlay.scan import (
    CellCollector,
    DecodeCount,
    iter_luma,
    remember_cells,
    worth_keeping,
)
from timesync.align.overlay.ticks import find_ticks

__all__ = [
    "OverlayClock",
    "read_overlay_clock",
    "format_clock_value",
    "parse_clock_value",
    "utc_datetime",
    "ocr_text",
    "NO_OVERLAY",
]

#: The note of a source with no clock overlay that could be read.
NO_OVERLAY = "no readable clock overlay"
#: Seconds between OCR readings (more for long files, see _ocr_period). Readings
#: only number the ticks, which the pixels find; a few suffice, and OCR is the
#: costliest step (~60 ms a crop on an idle core).
OCR_PERIOD_S = 8.0
#: A frame whose mean brightness differs from the previous frame's by more than this
#: (grey levels) starts or ends a flash: its change of the digits is not a tick.
FLASH_MEAN_STEP = 6.0
#: Consecutive frames kept at each OCR point; those showing the same second are averaged.
STACK_FRAMES = 8
#: At most this many OCR readings per file (first try).
MAX_READINGS = 400
#: Crops kept between two OCR points, read only when the first readings do not fit a clock
#: (small faint digits, which OCR often garbles).
SPARE_CROPS = 2
_NONE = np.array([])
#: Readings whose stretches differ by more than this (s) disagree on the date: misread digits (a
#: device clock that is set during a recording jumps by hours at most), so no clock is reported.
DATE_JUMP_S = 86400.0 - 1.0
#: A fitted clock whose rate is further than this from 1 (0.5 %: 18 s an hour, far beyond any device
#: clock's drift) does not count seconds: its ticks are changes of the scenery, no clock is reported.
MAX_RATE_ERROR = 0.005


@dataclass
class OverlayClock:
    """What a source's burned-in clock says, or why it could not be read.

    Attributes
    ----------
    name : str
        The source.
    region : ClockRegion or None
        Where the clock is (None when none was found).
    fit : TickFit or None
        The fitted clock (None when it could not be read).
    layout : str or None
        Layout of the text, e.g. ``"YYYY-MM-DD HH:MM:SS"``.
    zone : timezone or None
        The zone shown by the overlay, if any.
    readings : list[tuple[float, str]]
        ``(local s, text)`` of every OCR reading (for provenance).
    note : str or None
        One sentence when the clock could not be (fully) used: no overlay,
        unreadable digits, a clock jump, ambiguous date order.
    seconds_read_per_s : float
        Reading speed: local seconds of video processed per wall second.
    swap_shift_s : float or None
        Set when the date's day/month order is ambiguous: the seconds the
        other order would add (see :func:`timesync.align.overlay.settle_date_orders`).
    """

    name: str
    region: ClockRegion | None = None
    fit: TickFit | None = None
    layout: str | None = None
    zone: timezone | None = None
    readings: list[tuple[float, str]] = field(default_factory=list)
    note: str | None = None
    seconds_read_per_s: float = 0.0
    #: When the day/month order of the date is ambiguous (``05/06/2019``, both <= 12):
    #: the seconds to add to the clock if the other order is the right one (None: no doubt).
    swap_shift_s: float | None = None
    #: Frames the reader decoded (region search, windows, whole-file pass), for provenance.
    frames_decoded: int = 0
    #: ``(start, stop)`` local seconds of the windows a long file was read in
    #: (:mod:`~timesync.align.overlay.sparse`); None when every frame was read.
    windows_s: list[tuple[float, float]] | None = None

    @property
    def ok(self) -> bool:
        """True when a clock was fitted."""
        return self.fit is not None

    def at_local_zero(self) -> str | None:
        """ISO 8601 text of the clock at local 0 (zone only if the overlay shows one), ms."""
        if self.fit is None:
            return None
        return format_clock_value(self.fit.at_zero, self.zone)

    def finding(self) -> dict[str, Any]:
        """The ``overlay_clock`` dict of the project file (see DESIGN.md)."""
        if self.fit is None or self.region is None:
            return {}
        data = {
            "at_local_zero": self.at_local_zero(),
            "rate": round(self.fit.rate, 9),
            "uncertainty_s": round(self.fit.uncertainty_s, 6),
            "ticks": self.fit.ticks,
            "region": list(self.region.text),
            "layout": self.layout,
            "readings": self.fit.readings,
            "rejected_readings": self.fit.rejected,
            "method": self.fit.method,
            "span_s": [round(v, 6) for v in self.fit.span_s],
            "frames_decoded": self.frames_decoded,
        }
        if self.windows_s is not None:
            data["windows_s"] = [list(w) for w in self.windows_s]
        if self.fit.jumps:
            data["jumps"] = [{"at_local_s": round(j.at_local_s, 3), "jump_s": round(j.jump_s, 3)}
                             for j in self.fit.jumps]
        return data


def utc_datetime(seconds: float) -> datetime:
    """The UTC datetime ``seconds`` after 1970-01-01 (a reading of :func:`reading_seconds`)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def format_clock_value(seconds: float, zone: timezone | None) -> str:
    """ISO text of an overlay value (seconds since 1970; naive when ``zone`` is None), ms."""
    ms = round(seconds * 1000)
    value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    if zone is None:
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return value.astimezone(zone).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_clock_value(text: str) -> tuple[float, bool]:
    """Seconds since 1970 of an ``at_local_zero`` text, and whether it carries a zone."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return reading_seconds(value), value.tzinfo is not None


# -- reading one file -----------------------------------------------------------------------------

def _ocr_period(duration: float) -> float:
    """Seconds between OCR crops: >= 10 readings on short files, <= MAX_READINGS on long ones."""
    return max(min(OCR_PERIOD_S, max(0.5, duration / 10)), duration / MAX_READINGS)


def _scan(path: Path, index, region: ClockRegion, duration: float, stop_s: float | None = None,
          count: DecodeCount | None = None):
    """One pass: per-frame change of the digits, and text crops every OCR period.

    Over a whole file it also keeps the brightness cells the flash detector
    needs (:func:`timesync.align.overlay.scan.remember_cells`), so the flash
    pass does not decode the file again.
    """
    dx, dy, dw, dh = region.digits
    collector = CellCollector(index) if stop_s is None and worth_keeping(index) else None
    tx, ty, tw, th = region.text
    change = np.zeros(len(index), np.float32)
    crops: list[tuple[int, list[np.ndarray]]] = []
    period = _ocr_period(duration) / (1 + SPARE_CROPS)
    next_crop = index.start_s + 0.5
    prev, prev_mean = None, None
    more = 0  # frames still to add to the last crop's stack
    for number, luma in iter_luma(path, index, stop_s=stop_s, count=count):
        digits = luma[dy:dy + dh, dx:dx + dw].astype(np.int16)
        mean = float(luma[::8, ::8].mean())
        flash = prev_mean is not None and abs(mean - prev_mean) > FLASH_MEAN_STEP
        if prev is not None and prev.shape == digits.shape and not flash:
            change[number] = float(np.count_nonzero(np.abs(digits - prev) > region.level))
        prev, prev_mean = digits, mean
        if collector is not None:
            collector.add(number, luma)
        if more > 0:
            crops[-1][1].append(luma[ty:ty + th, tx:tx + tw].copy())
            more -= 1
        elif index.times[number] >= next_crop:
            crops.append((number, [luma[ty:ty + th, tx:tx + tw].copy()]))
            next_crop += period
            more = STACK_FRAMES - 1
    if collector is not None:
        remember_cells(path, index, collector.finish())
    return change, crops


def _read_crops(crops, tick_hi: np.ndarray, times: np.ndarray, breaks: np.ndarray = _NONE):
    """OCR the crops; map each reading to the tick whose value it shows (not across a ``break``); tiny
    text is read twice, a reading left out unless both agree (``ocr.second_opinion``, ``ocr.majority_doubted``)."""
    readings: list[tuple[int, ClockReading]] = []
    texts: list[tuple[float, str]] = []
    firsts: list[tuple[float, ClockReading, bool]] = []  # (local s, OCR's first reading, the second far off)
    for number, stack in crops:
        crop, t = _steady_crop(number, stack, tick_hi, times), float(times[number])
        text = ocr_text(crop)
        reading = parse_clock_text(text, strict=False)
        if reading is not None and crop.shape[0] < SECOND_OPINION_BELOW_PX:
            first = reading
            reading, text, apart = second_opinion(crop, reading, text)
            firsts.append((t, first, apart))
        texts.append((round(t, 6), text))
        if reading is not None:
            readings.append((number, reading))
    doubted = majority_doubted(firsts)  # a digit the ticks never count, read two ways: no reading used
    values, layout, zone, order_note, swap_s = _values([] if doubted else _confirmed(readings), tick_hi, times, breaks)
    return values, layout, zone, texts, order_note, swap_s


def _values(readings: list[tuple[int, ClockReading]], tick_hi: np.ndarray, times: np.ndarray,
            breaks: np.ndarray = _NONE):
    """``(values, layout, zone, order_note, swap_s)`` of the readings ``(frame number, reading)``: tick -> whole s."""
    tick_frames_start = tick_hi  # local time of first frame showing each tick's value
    parsed, order_note = resolve_date_order([r for _, r in readings])
    swap_s = _swap_shift(parsed) if order_note and "ambiguous" in order_note else None
    if swap_s == 0.0:  # day and month are the same number (11/11/2025): no doubt
        swap_s, order_note = None, None
    values: dict[int, float] = {}
    frame_s = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    layouts: Counter[str] = Counter()
    zones: Counter[Any] = Counter()
    for (number, _), reading in zip(readings, parsed, strict=False):
        t = float(times[number])
        tick = _tick_of(t, tick_frames_start, frame_s, breaks)
        if tick is None:
            continue
        j, between = tick
        whole = math.floor(reading_seconds(reading.value)) - between
        if j in values and values[j] != whole:
            values.pop(j)  # two readings of one second disagree: trust neither
            continue
        values[j] = float(whole)
        layouts[reading.layout] += 1
        zones[reading.value.tzinfo] += 1
    layout = layouts.most_common(1)[0][0] if layouts else None
    zone = zones.most_common(1)[0][0] if zones else None
    return values, layout, zone, order_note, swap_s


def _confirmed(readings: list[tuple[int, ClockReading]]) -> list[tuple[int, ClockReading]]:
    """The readings, those with a field short of a digit only when a whole reading confirms them.

    ``2019/6/16`` is ``2019/06/16`` when another reading shows ``2019/06/16``;
    with none, it may be ``2019/12/16`` with a ``1`` lost: left out. A short hour
    is confirmed by a whole reading of the same date and hour.
    """
    whole_dates = {r.value.date() for _, r in readings if not r.short[0]}
    whole_hours = {(r.value.date(), r.value.hour) for _, r in readings if not any(r.short)}
    out = []
    for number, r in readings:
        if r.short[0] and r.value.date() not in whole_dates:
            continue
        if r.short[1] and (r.value.date(), r.value.hour) not in whole_hours:
            continue
        out.append((number, r))
    return out


def _tick_of(t: float, tick_hi: np.ndarray, frame_s: float, breaks: np.ndarray = _NONE) -> tuple[int, int] | None:
    """The tick whose second a frame at local ``t`` (s) numbers, and how many ticks lie between them.

    The frame shows the second that began at the last tick before it. When ticks
    were missed (faint digits, something passing behind them), that tick lies
    ``m`` whole seconds after the nearest tick found: the value at the tick found
    is the reading minus ``m`` (ticks come once a second). A frame about a whole
    second from the tick found (within 1.5 frames) may or may not show the next
    second: None. Before the first tick, the ticks after the frame are counted
    the same way (``m`` < 0). A change of the digits off the ticks (a ``break``:
    a jump, something passing) between the two: None.
    """
    if not len(tick_hi):
        return None
    j = max(0, int(np.searchsorted(tick_hi, t + 1e-9)) - 1)
    gap = t - float(tick_hi[j])
    lo, hi = sorted((t, float(tick_hi[j])))
    if len(breaks) and np.any((breaks > lo + 1e-9) & (breaks <= hi + 1e-9)):
        return None
    between = math.floor(gap + 1e-9)
    if between != 0 and abs(gap - round(gap)) < 1.5 * frame_s + 0.005:
        return None
    return j, between


def _steady_crop(number: int, stack: list[np.ndarray], tick_hi: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The mean of the frames of ``stack`` (from frame ``number`` on) that show the same second.

    The text stays while the picture behind it moves: the mean keeps the text and
    blurs the scenery, which reads semi-transparent text without a box far better.
    The stack ends before the next tick found, or before where the next tick is
    due when one was missed (ticks come once a second): a mean over two seconds
    would read as the later one.
    """
    t = float(times[number])
    j = int(np.searchsorted(tick_hi, t + 1e-9))
    until = float(tick_hi[j]) if j < len(tick_hi) else math.inf
    near = float(tick_hi[j - 1]) if j > 0 else (until if j < len(tick_hi) else None)
    if near is not None:
        due = near + math.floor(t - near + 1e-9) + 1.0  # the first whole second after t, from that tick
        until = min(until, due - 0.5 * float(np.median(np.diff(times[-200:]))) if len(times) > 1 else due)
    same = [c for k, c in enumerate(stack) if number + k < len(times) and times[number + k] < until - 1e-9]
    if len(same) <= 1:
        return stack[0]
    return np.rint(np.mean(np.stack(same).astype(np.float32), axis=0)).astype(np.uint8)


def _swap_shift(parsed: list[ClockReading]) -> float | None:
    """Seconds to add to the clock if its ambiguous ``NN/NN`` date was read in the wrong order."""
    for r in parsed:
        if r.date_fields is not None:
            try:
                other = r.value.replace(month=r.value.day, day=r.value.month)
            except ValueError:
                continue
            return reading_seconds(other) - reading_seconds(r.value)
    return None


def _notes(fit: TickFit, texts: list[tuple[float, str]], order_note: str | None) -> str | None:
    """One sentence on what limited a fitted clock (unread crops, jumps, date order), or None."""
    notes = []
    unread = [t for t, text in texts if " | " in text or parse_clock_text(text, strict=False) is None]
    if unread:
        notes.append(f"{len(unread)} of {len(texts)} overlay readings could not be read, the first at local "
                     f"{unread[0]:.1f} s (covered, garbled or read two ways)")
    for jump in fit.jumps:
        notes.append(f"the clock jumps by {jump.jump_s:+.1f} s at local {jump.at_local_s:.2f} s "
                     "(the longest steady stretch was used)")
    if order_note:
        notes.append(order_note)
    return "; ".join(notes) if notes else None


def read_overlay_clock(path: str | Path, *, name: str | None = None, index=None,
                       region: tuple[int, int, int, int] | None = None,
                       progress: Callable[[float, str], None] | None = None,
                       max_s: float | None = None) -> OverlayClock:
    """Find and read the burned-in clock of one video file.

    Parameters
    ----------
    path : the video file (opened read-only).
    name : the source name to report under (default ``str(path)``).
    index : its FrameIndex (opened when not given).
    region : ``(x, y, w, h)`` of the clock text in coded-frame pixels, if known;
        found by itself otherwise.
    progress : optional ``progress(fraction, message)``.
    max_s : read only the first ``max_s`` seconds of video (default: all of it).

    Returns
    -------
    OverlayClock
        ``fit`` is None and ``note`` says why when no clock could be read.
    """
    import time

    from timesync.media import FrameIndex

    started = time.perf_counter()
    path = Path(path)
    name = name or str(path)
    if index is None:
        index = FrameIndex.open(path)
    result = OverlayClock(name=name)
    if len(index) < 3:
        result.note = NO_OVERLAY + " (too few video frames)"
        return result
    duration = float(index.end_s - index.start_s)
    stop_s = None
    if max_s is not None and max_s < duration:
        duration, stop_s = float(max_s), index.start_s + float(max_s)
    count = DecodeCount()
    result = search_clock(path, index, result, duration, stop_s, region, progress, count)
    result.frames_decoded = count.frames
    result.seconds_read_per_s = duration / max(time.perf_counter() - started, 1e-9)
    return result


def _read_region(path: Path, index, result: OverlayClock, duration: float, stop_s: float | None,
                 progress: Callable[[float, str], None] | None, count: DecodeCount | None = None) -> None:
    """Steps 2-5 in ``result.region``: scan, ticks, OCR, fit; ``result`` filled in (``note`` on failure).

    A long file is read in windows first (:mod:`~timesync.align.overlay.sparse`); when
    they give no clock, the whole file is read as a short one is.
    """
    found = result.region
    times = np.asarray(index.times)
    if stop_s is not None:
        times = times[: int(np.searchsorted(times, stop_s))]
    if progress:
        progress(0.1, f"{result.name}: clock region {found.text}")
    count = count if count is not None else DecodeCount()
    stop = float(stop_s) if stop_s is not None else float(index.end_s)
    plan = sparse.plan_windows(index, float(index.start_s), stop)
    if plan is not None and sparse.read_sparse(path, index, result, plan, stop, times, count):
        return
    result.windows_s = None
    change, crops = _scan(path, index, found, duration, stop_s, count)
    change = change[: len(times)]
    lo, hi, tick_note, breaks = find_ticks(change, times)
    if tick_note is not None:
        result.note = f"{NO_OVERLAY}: {tick_note}"
        return
    if progress:
        progress(0.8, f"{result.name}: {len(lo)} ticks, reading {len(crops)} crops")
    _fit_crops(result, lo, hi, breaks, (crops[::1 + SPARE_CROPS], crops), times)


def _fit_crops(result: OverlayClock, lo: np.ndarray, hi: np.ndarray, breaks: np.ndarray, crop_sets,
               times: np.ndarray) -> bool:
    """OCR the first of ``crop_sets`` (the next only when it gives no clock), fit; ``result`` filled in.

    Returns True when a clock was fitted (``note`` says why not otherwise).
    """
    fit = None
    for chosen in crop_sets:  # the spare crops only when needed
        values, layout, zone, texts, order_note, result.swap_shift_s = _read_crops(chosen, hi, times, breaks)
        result.readings = texts
        result.layout, result.zone = layout, zone
        fit = fit_ticks(lo, hi, values) if values else None
        if fit is not None and fit.readings >= 2 or len(chosen) == len(crop_sets[-1]):
            break
    glyphs = None
    if fit is None or fit.readings < 2 or any(abs(j.jump_s) > DATE_JUMP_S for j in fit.jumps):
        from timesync.align.overlay.glyphs import glyph_fit

        fit, glyphs = glyph_fit(result, lo, hi, breaks, crop_sets[-1], times, texts) or (fit, None)
        order_note = glyphs if glyphs is not None else order_note
    if fit is None or fit.readings < 2:
        result.note = f"{NO_OVERLAY}: its digits could not be read consistently"
        return False
    if any(abs(j.jump_s) > DATE_JUMP_S for j in fit.jumps):
        result.note = (f"{NO_OVERLAY}: its readings disagree on the date (a jump of "
                       f"{max(abs(j.jump_s) for j in fit.jumps) / 86400:.1f} days: misread digits)")
        return False
    if abs(fit.rate - 1.0) > MAX_RATE_ERROR:
        result.note = (f"{NO_OVERLAY}: its ticks do not count seconds (a clock running {fit.rate - 1.0:+.2%} "
                       "against the video: changes of the scenery taken for ticks)")
        return False
    result.fit = fit
    result.note = _notes(fit, texts, order_note)
    return True

