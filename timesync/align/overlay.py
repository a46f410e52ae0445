"""Burned-in date/time overlays: read each device's clock, relate the sources weakly.

For each video source:

1. the clock region is found by itself (:mod:`overlay_region`: the part of the
   picture near an edge that changes once a second) or given;
2. one sequential pass over the luma of every frame (:mod:`overlay_scan`)
   measures how much the seconds digit changes from frame to frame and keeps a
   crop of the text line every few seconds;
3. the frames where the seconds change (*ticks*) are where that measure jumps:
   each tick is placed between two frames, whose times come from the FrameIndex;
4. a few crops are read with RapidOCR (recognition only, on the crop) and parsed
   (:mod:`overlay_parse`); readings number the ticks;
5. the overlay clock is fitted against local time (:mod:`overlay_fit`).

Why one sequential pass rather than a bisection between two readings: on
inter-coded video a random frame costs a seek plus the decode of its GOP
(``bench/bench_seek.py``: ~120 ms median at 1080p), while decoding every frame
in order costs a few ms each, so the change of the digits is measured on every
frame once (no OCR involved) and only a few crops are read with OCR (about one
every :data:`OCR_PERIOD_S` seconds). The same pass keeps the brightness cells
the flash detector needs.

The finding (``findings[name]["overlay_clock"]``) is what the device's clock
read at the file's local time 0. Device clocks are wrong by seconds to hours,
so two overlays relate two sources only weakly: constraints of kind
``"overlay"`` carry :data:`OVERLAY_SIGMA_S` (the device-clock prior, 15 min:
:mod:`timesync.align.device_clocks`) unless the caller states that the clocks
were synchronized. Once the sources are aligned by stronger
evidence, :func:`clock_error` states a device's clock error relative to
another's (over a whole alignment: :func:`timesync.workflow.clock_errors`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.device_clocks import DEVICE_CLOCK_SIGMA_S, UNVERIFIED, unset_clock
from timesync.align.overlay_fit import TickFit, fit_ticks
from timesync.align.overlay_parse import (
    ClockReading,
    has_date,
    parse_clock_text,
    reading_seconds,
    resolve_date_order,
)
from timesync.align.overlay_region import CHANGE_LEVEL, ClockRegion, find_clock_region
from timesync.align.overlay_scan import CellCollector, iter_luma, remember_cells, worth_keeping
from timesync.clock import BurnedInClock, ClockMap

__all__ = [
    "OverlayClock",
    "ClockErrorFinding",
    "read_overlay_clock",
    "find_constraints",
    "overlay_constraint",
    "clock_error",
    "creation_time_marks",
    "OVERLAY_SIGMA_S",
    "NO_OVERLAY",
]

#: One sigma (s) of an offset taken from two devices' overlay clocks: the prior
#: on two device clocks' difference (15 min; which errors it covers:
#: :mod:`timesync.align.device_clocks`).
OVERLAY_SIGMA_S = DEVICE_CLOCK_SIGMA_S
#: One sigma (s) when the caller states the device clocks were synchronized.
SYNCED_SIGMA_S = 0.5
#: The note of a source with no clock overlay that could be read.
NO_OVERLAY = "no readable clock overlay"
#: Seconds of video searched for the clock region (per attempt).
REGION_WINDOW_S = 5.0
#: Seconds between OCR readings (more for long files, see _ocr_period). Readings
#: only number the ticks, which the pixels find; a few suffice, and OCR is the
#: costliest step (~60 ms a crop on an idle core).
OCR_PERIOD_S = 8.0
#: Pixels of the clock region that must change (by CHANGE_LEVEL grey levels) at a tick.
MIN_TICK_PIXELS = 8
#: At most this many OCR readings per file.
MAX_READINGS = 400


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
    """

    name: str
    region: ClockRegion | None = None
    fit: TickFit | None = None
    layout: str | None = None
    zone: timezone | None = None
    readings: list[tuple[float, str]] = field(default_factory=list)
    note: str | None = None
    seconds_read_per_s: float = 0.0

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
        }
        if self.fit.jumps:
            data["jumps"] = [{"at_local_s": round(j.at_local_s, 3), "jump_s": round(j.jump_s, 3)}
                             for j in self.fit.jumps]
        return data


def _utc(seconds: float) -> datetime:
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


# -- OCR ------------------------------------------------------------------------------------------

_ENGINE = None


def _ocr_engine():
    global _ENGINE
    if _ENGINE is None:
        import logging

        from rapidocr import RapidOCR

        _ENGINE = RapidOCR(params={"Global.use_det": False, "Global.use_cls": False,
                                   "Global.log_level": "error"})
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return _ENGINE


def ocr_text(crop: np.ndarray) -> str:
    """Recognize the text of a small grey or RGB crop (one text line); '' when nothing."""
    import cv2

    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
    h = crop.shape[0]
    if h < 40:
        factor = 48 / h
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    border = tuple(int(v) for v in np.median(crop[[0, -1]].reshape(-1, 3), axis=0))
    crop = cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=border)
    result = _ocr_engine()(crop, use_det=False, use_cls=False)
    texts = getattr(result, "txts", None) or ()
    return " ".join(t for t in texts if t)


# -- reading one file -----------------------------------------------------------------------------

def _downscale(luma: np.ndarray, scale: int) -> np.ndarray:
    return luma[::scale, ::scale].copy() if scale > 1 else luma.copy()


def _locate_region(path: Path, index, duration: float, scale: int) -> ClockRegion | None:
    """Try a window at the start, then in the middle of the file."""
    starts = [0.0]
    if duration > 3 * REGION_WINDOW_S:
        starts.append(duration / 2)
    for start in starts:
        frames, times = [], []
        for number, luma in iter_luma(path, index, start_s=start + index.start_s,
                                      stop_s=start + index.start_s + REGION_WINDOW_S):
            frames.append(_downscale(luma, scale))
            times.append(index.times[number])
        if len(frames) < 3:
            continue
        region = find_clock_region(np.stack(frames), np.array(times), scale=scale)
        if region is not None:
            return region
    return None


def _ticks(change: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Tick intervals ``(lo, hi)`` from the per-frame change of the digits; note on failure.

    ``change[n]``: pixels of the digits that changed from frame n-1 to n (a count, so
    a generous region given by hand does not dilute it).
    """
    n = len(change)
    duration = float(times[-1] - times[0]) if n else 0.0
    expected = max(1, math.floor(duration))
    if n < 3 or expected < 2:
        return np.array([]), np.array([]), "too short to see the clock tick"
    base = float(np.median(change[1:]))
    mad = float(np.median(np.abs(change[1:] - base))) + 1e-6
    top = np.sort(change[1:])[::-1][:expected]
    level = float(np.median(top))
    if level < MIN_TICK_PIXELS or level < base + 8 * mad:
        return np.array([]), np.array([]), "no seconds tick seen in the clock region"
    thr = max(base + 6 * mad, 0.35 * level)
    above = change > thr
    above[0] = False
    lo, hi = [], []
    k = 1
    while k < n:
        if above[k]:
            j = k
            while j + 1 < n and above[j + 1]:
                j += 1
            lo.append(times[k - 1])
            hi.append(times[j])
            k = j + 1
        else:
            k += 1
    return np.array(lo), np.array(hi), None


def _ocr_period(duration: float) -> float:
    """Seconds between OCR crops: >= 8 readings on short files, <= MAX_READINGS on long ones."""
    return max(min(OCR_PERIOD_S, max(0.5, duration / 10)), duration / MAX_READINGS)


def _scan(path: Path, index, region: ClockRegion, duration: float, stop_s: float | None = None):
    """One pass: per-frame change of the digits, and text crops every OCR period.

    Over a whole file it also keeps the brightness cells the flash detector
    needs (:func:`timesync.align.overlay_scan.remember_cells`), so the flash
    pass does not decode the file again.
    """
    dx, dy, dw, dh = region.digits
    collector = CellCollector(index) if stop_s is None and worth_keeping(index) else None
    tx, ty, tw, th = region.text
    change = np.zeros(len(index), np.float32)
    crops: list[tuple[int, np.ndarray]] = []
    period = _ocr_period(duration)
    next_crop = index.start_s + 0.5
    prev = None
    for number, luma in iter_luma(path, index, stop_s=stop_s):
        digits = luma[dy:dy + dh, dx:dx + dw].astype(np.int16)
        if prev is not None and prev.shape == digits.shape:
            change[number] = float(np.count_nonzero(np.abs(digits - prev) > CHANGE_LEVEL))
        prev = digits
        if collector is not None:
            collector.add(number, luma)
        if index.times[number] >= next_crop:
            crops.append((number, luma[ty:ty + th, tx:tx + tw].copy()))
            next_crop += period
    if collector is not None:
        remember_cells(path, index, collector.finish())
    return change, crops


def _read_crops(crops, tick_hi: np.ndarray, times: np.ndarray):
    """OCR the crops; map each reading to the tick whose value it shows."""
    readings: list[tuple[int, ClockReading]] = []
    texts: list[tuple[float, str]] = []
    tick_frames_start = tick_hi  # local time of first frame showing each tick's value
    for number, crop in crops:
        text = ocr_text(crop)
        t = float(times[number])
        texts.append((round(t, 6), text))
        reading = parse_clock_text(text)
        if reading is None:
            continue
        readings.append((number, reading))
    parsed, order_note = resolve_date_order([r for _, r in readings])
    values: dict[int, float] = {}
    layouts: Counter[str] = Counter()
    zones: Counter[Any] = Counter()
    for (number, _), reading in zip(readings, parsed, strict=False):
        t = float(times[number])
        j = int(np.searchsorted(tick_frames_start, t + 1e-9)) - 1  # last tick shown by this frame
        whole = math.floor(reading_seconds(reading.value))
        if j < 0:
            if not len(tick_frames_start):
                continue
            j, whole = 0, whole + 1  # before the first tick: the next second starts there
        if j in values and values[j] != whole:
            values.pop(j)  # two readings of one second disagree: trust neither
            continue
        values[j] = float(whole)
        layouts[reading.layout] += 1
        zones[reading.value.tzinfo] += 1
    layout = layouts.most_common(1)[0][0] if layouts else None
    zone = zones.most_common(1)[0][0] if zones else None
    return values, layout, zone, texts, order_note


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
    times = np.asarray(index.times)
    duration = float(index.end_s - index.start_s)
    stop_s = None
    if max_s is not None and max_s < duration:
        duration, stop_s = float(max_s), index.start_s + float(max_s)
        times = times[: int(np.searchsorted(times, stop_s))]
    if region is not None:
        found = ClockRegion(text=tuple(region), digits=tuple(region))
    else:
        frames = iter_luma(path, index)
        first = next(frames, None)
        frames.close()
        width = first[1].shape[1] if first is not None else 640
        found = _locate_region(path, index, duration, max(1, round(width / 640)))
    if found is None:
        result.note = NO_OVERLAY
        return result
    result.region = found
    if progress:
        progress(0.1, f"{name}: clock region {found.text}")
    change, crops = _scan(path, index, found, duration, stop_s)
    change = change[: len(times)]
    lo, hi, tick_note = _ticks(change, times)
    if tick_note is not None:
        result.note = f"{NO_OVERLAY}: {tick_note}"
        return result
    if progress:
        progress(0.8, f"{name}: {len(lo)} ticks, reading {len(crops)} crops")
    values, layout, zone, texts, order_note = _read_crops(crops, hi, times)
    result.readings = texts
    result.layout, result.zone = layout, zone
    fit = fit_ticks(lo, hi, values) if values else None
    if fit is None or fit.readings < 2:
        result.note = f"{NO_OVERLAY}: its digits could not be read consistently"
        result.seconds_read_per_s = duration / max(time.perf_counter() - started, 1e-9)
        return result
    result.fit = fit
    notes = []
    unread = [t for t, text in texts if parse_clock_text(text) is None]
    if unread:
        notes.append(f"{len(unread)} of {len(texts)} overlay readings could not be read, the first at local "
                     f"{unread[0]:.1f} s (covered or garbled)")
    for jump in fit.jumps:
        notes.append(f"the clock jumps by {jump.jump_s:+.1f} s at local {jump.at_local_s:.2f} s "
                     "(the longest steady stretch was used)")
    if order_note:
        notes.append(order_note)
    if notes:
        result.note = "; ".join(notes)
    result.seconds_read_per_s = duration / max(time.perf_counter() - started, 1e-9)
    return result


# -- constraints ----------------------------------------------------------------------------------

def _reading_map(fit: TickFit) -> ClockMap:
    """The overlay clock's reading (seconds since 1970) as a ClockMap of local time."""
    return ClockMap(fit.at_zero, fit.rate, method="overlay")


def overlay_constraint(a: OverlayClock, b: OverlayClock, *, synced: bool = False) -> Constraint | None:
    """The weak constraint two overlay clocks give between their sources.

    If both clocks told the same wall time, ``t_b = (Z_a - Z_b)/r_b + (r_a/r_b) t_a``
    (``Z`` the reading at local 0, ``r`` the overlay rate). Device clocks are
    wrong by seconds to hours, so the offset carries :data:`OVERLAY_SIGMA_S`
    (the device-clock prior, 15 min) unless ``synced``. None when either clock is unread or only one shows a zone.
    """
    if a.fit is None or b.fit is None or (a.zone is None) != (b.zone is None):
        return None
    sigma = SYNCED_SIGMA_S if synced else OVERLAY_SIGMA_S
    mid = (a.fit.span_s[0] + a.fit.span_s[1]) / 2
    dated = has_date(a.layout) and has_date(b.layout)
    return Constraint(
        source=a.name, other=b.name,
        offset_s=_reading_map(b.fit).to_local(a.fit.at_zero - _whole_days(a.fit.at_zero - b.fit.at_zero, dated)),
        uncertainty_s=math.hypot(sigma, a.fit.uncertainty_s, b.fit.uncertainty_s),
        kind="overlay", rate=a.fit.rate / b.fit.rate, score=float(min(a.fit.ticks, b.fit.ticks)),
        rate_uncertainty=None, at_source_s=mid,
        evidence={
            "assumes": "both device clocks told the same time" if not synced else
                       "the caller states the device clocks were synchronized",
            "sigma_s": sigma,
            "why_sigma": "the prior on two device clocks' difference: wrong by seconds to hours "
                         "(a daylight-saving slip is 1 h)",
            "at_local_zero": [a.at_local_zero(), b.at_local_zero()],
        } | ({} if dated else {"date": "a clock shows no date: the day nearest the other clock's was taken"}),
    )


def _whole_days(difference_s: float, dated: bool) -> float:
    """The whole days (s) to take off a difference of two clocks when one shows no date (0 when both do)."""
    return 0.0 if dated else 86400.0 * round(difference_s / 86400.0)


def creation_time_marks(clock: OverlayClock, info: Any, *, tolerance_s: float = 2.0) -> str | None:
    """Which end of the recording the file's creation_time tag marks, by the burned-in clock.

    Both come from the device's clock: a tag within ``tolerance_s`` of the
    overlay at local 0 marks the ``"start"``, near the overlay at the end the
    ``"end"``; ``"neither"`` otherwise. None when either is missing or the
    zones cannot be compared. An overlay without a zone is compared with the
    tag's time as written (its zone dropped).
    """
    tags = getattr(info, "tags", None)
    created = getattr(tags, "creation_time", None) if tags is not None else None
    duration = float(getattr(info, "duration_s", 0.0) or 0.0)
    if clock.fit is None or not isinstance(created, datetime) or duration <= 0:
        return None
    if clock.zone is not None and created.tzinfo is None:
        return None
    tag = reading_seconds(created if clock.zone is not None else created.replace(tzinfo=None))
    start = clock.fit.at_zero
    end = _reading_map(clock.fit).to_shared(duration)
    if abs(tag - start) <= tolerance_s and abs(tag - start) <= abs(tag - end):
        return "start"
    if abs(tag - end) <= tolerance_s:
        return "end"
    return "neither"


def find_constraints(sources: Sequence[Any], *, progress: Callable[[float, str], None] | None = None,
                     synced: bool = False) -> AlignerReport:
    """Read every video source's clock overlay; weak constraints between pairs.

    Parameters
    ----------
    sources : SourceMedia with ``name``, ``path``, ``info`` (MediaInfo).
    progress : optional ``progress(fraction, message)``.
    synced : True when the caller states the device clocks were synchronized.

    Returns
    -------
    AlignerReport
        ``findings[name]["overlay_clock"]`` for each read clock; ``notes[name]``
        says why a source has none (``"no readable clock overlay"``...).
    """
    from timesync.errors import TimesyncError

    report = AlignerReport(method="overlay")
    clocks: list[OverlayClock] = []
    for i, src in enumerate(sources):
        info = getattr(src, "info", None)
        if info is not None and getattr(info, "video", None) is None:
            report.notes[src.name] = "no video stream (no clock overlay to read)"
            continue
        if progress:
            progress(i / max(1, len(sources)), f"overlay: reading {src.name}")
        try:
            clock = read_overlay_clock(src.path, name=src.name)
        except (TimesyncError, OSError, ValueError) as exc:
            report.notes[src.name] = f"overlay not read: {exc}"
            continue
        if clock.note:
            report.notes[src.name] = clock.note
        if clock.fit is not None and has_date(clock.layout) and unset_clock(_utc(clock.fit.at_zero)):
            report.notes[src.name] = (f"the burned-in clock reads {clock.at_local_zero()}: a clock never set "
                                      "(not used to place it)")
            continue
        if clock.fit is not None:
            finding = clock.finding()
            marks = creation_time_marks(clock, info)
            if marks is not None:
                finding["creation_time_marks"] = marks
            report.findings.setdefault(src.name, {})["overlay_clock"] = finding
            clocks.append(clock)
    # one constraint per clock to the first comparable one (a star, not every pair):
    # the device clock errors are shared by all pairs of a source, so more pairs
    # would count the same doubt several times
    for k, b in enumerate(clocks):
        hub = next((a for a in clocks[:k] if (a.zone is None) == (b.zone is None)), None)
        constraint = None if hub is None else overlay_constraint(hub, b, synced=synced)
        if constraint is not None:
            report.constraints.append(constraint)
    if progress:
        progress(1.0, "overlay: done")
    return report


# -- clock errors once aligned -------------------------------------------------------------------

@dataclass(frozen=True)
class ClockErrorFinding:
    """A device clock's error relative to another device's, once both are aligned.

    ``error_s`` > 0 means ``source``'s clock is ahead of ``relative_to``'s
    (it shows a later time at the same moment), measured at shared time
    ``at_shared_s``; ``uncertainty_s`` one sigma in seconds.
    """

    source: str
    relative_to: str
    error_s: float
    uncertainty_s: float
    at_shared_s: float
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"source": self.source, "relative_to": self.relative_to, "error_s": self.error_s,
                "uncertainty_s": self.uncertainty_s, "at_shared_s": self.at_shared_s,
                "sentence": self.sentence}


def _describe(seconds: float) -> str:
    """'3 minutes 48.2 s', '7.150 s', '2 hours 0 minutes 1.0 s'."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.3f} s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(round(minutes), 60)
    head = f"{hours} hour{'s' if hours != 1 else ''} " if hours else ""
    return f"{head}{minutes} minute{'s' if minutes != 1 else ''} {secs:.1f} s"


def clock_error(name: str, clock: ClockMap, overlay: dict[str, Any],
                base_name: str, base_clock: ClockMap, base_overlay: dict[str, Any]) -> ClockErrorFinding:
    """``name``'s device clock error relative to ``base_name``'s, both sources aligned.

    Parameters
    ----------
    name, base_name : str
        The sources (sentences name their file names).
    clock, base_clock : ClockMap
        Their placements on the shared clock (``shared = offset_s + rate * local``).
    overlay, base_overlay : dict
        Their ``overlay_clock`` findings (``at_local_zero``, ``rate``, ``uncertainty_s``).

    Returns
    -------
    ClockErrorFinding
        Measured at the shared time of ``name``'s local 0. When one overlay
        shows a zone and the other does not, the one without is read as UTC
        and the sentence says so.
    """
    mine, base = BurnedInClock.from_dict(overlay), BurnedInClock.from_dict(base_overlay)
    zero, zoned = parse_clock_value(mine.at_local_zero)
    base_zero, base_zoned = parse_clock_value(base.at_local_zero)
    rate, unc, base_rate, base_unc = mine.rate, mine.uncertainty_s or 0.0, base.rate, base.uncertainty_s or 0.0
    caveat = ""
    if zoned != base_zoned:
        naive = Path(base_name if zoned else name).name
        caveat = f"; {naive}'s overlay shows no zone and is read as UTC"
    at = clock.to_shared(0.0)  # shared time of this source's local 0
    error = (zero + rate * clock.to_local(at)) - (base_zero + base_rate * base_clock.to_local(at))
    error -= _whole_days(error, all(o.layout is None or has_date(o.layout) for o in (mine, base)))
    sigma = math.sqrt(unc**2 + base_unc**2 + clock.uncertainty_s**2 + base_clock.uncertainty_s**2)
    file, other = Path(name).name, Path(base_name).name
    unverified = [Path(n).name for n, c in ((name, clock), (base_name, base_clock)) if UNVERIFIED in c.method]
    if unverified:  # placed by its clock: comparing the clocks would only read the placement back
        sentence = (f"{file}'s clock cannot be checked against {other}'s: {unverified[0]} is "
                    f"{UNVERIFIED}")
    elif abs(error) < max(2 * sigma, 0.0005):
        sentence = f"{file}'s clock agrees with {other}'s (difference {error:+.3f} s ± {sigma:.3f} s{caveat})"
    else:
        way = "ahead of" if error > 0 else "behind"
        sentence = f"{file}'s clock is {_describe(error)} {way} {other}'s (± {sigma:.3f} s{caveat})"
    return ClockErrorFinding(name, base_name, float(error), float(sigma), at, sentence)
