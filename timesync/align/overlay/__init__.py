"""Burned-in date/time overlays: read each device's clock, relate the sources weakly.

For each video source:

1. the clock region is found by itself (:mod:`~timesync.align.overlay.region`: the part of the
   picture near an edge that changes once a second) or given;
2. one sequential pass over the luma of every frame (:mod:`~timesync.align.overlay.scan`)
   measures how much the seconds digit changes from frame to frame and keeps a
   crop of the text line every few seconds;
3. the frames where the seconds change (*ticks*) are where that measure jumps:
   each tick is placed between two frames, whose times come from the FrameIndex;
4. a few crops are read with RapidOCR (recognition only, on the crop) and parsed
   (:mod:`~timesync.align.overlay.parse`); readings number the ticks;
5. the overlay clock is fitted against local time (:mod:`~timesync.align.overlay.fit`).

Why one sequential pass rather than a bisection between two readings: on
inter-coded video a random frame costs a seek plus the decode of its GOP
(``bench/bench_seek.py``: ~120 ms median at 1080p), while decoding every frame
in order costs a few ms each, so the change of the digits is measured on every
frame once (no OCR involved) and only a few crops are read with OCR (about one
every :data:`~timesync.align.overlay.read.OCR_PERIOD_S` seconds). The same pass keeps the brightness cells
the flash detector needs. A file over about two minutes is read in short windows from keyframes
spread over it instead (:mod:`~timesync.align.overlay.sparse`), bisecting between windows whose
readings disagree to place a jump at a tick.

The finding (``findings[name]["overlay_clock"]``) is what the device's clock
read at the file's local time 0. Device clocks are wrong by seconds to hours,
so two overlays relate two sources only weakly: constraints of kind
``"overlay"`` carry :data:`OVERLAY_SIGMA_S` (the device-clock prior, 15 min:
:mod:`timesync.align.device_clocks`) unless the caller states that the clocks
were synchronized. Once the sources are aligned by stronger
evidence, :func:`clock_error` states a device's clock error relative to
another's (over a whole alignment: :func:`timesync.workflow.clock_errors`).

Layout: steps 1-5 for one file are :mod:`~timesync.align.overlay.read`
(:func:`read_overlay_clock`); this module holds the aligner
(:func:`find_constraints`) and the pairing of two clocks
(:func:`overlay_constraint`); :mod:`~timesync.align.overlay.findings` the clock
errors once aligned.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from timesync.align import video_reads
from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.device_clocks import DEVICE_CLOCK_SIGMA_S, unset_clock
from timesync.align.overlay.findings import ClockErrorFinding, clock_error
from timesync.align.overlay.fit import TickFit
from timesync.align.overlay.parse import has_date, reading_seconds, whole_days
from timesync.align.overlay.read import (
    NO_OVERLAY,
    OverlayClock,
    format_clock_value,
    read_overlay_clock,
    utc_datetime,
)
from timesync.clock import ClockMap

__all__ = [
    "OverlayClock",
    "ClockErrorFinding",
    "read_overlay_clock",
    "find_constraints",
    "overlay_constraint",
    "clock_error",
    "creation_time_marks",
    "settle_date_orders",
    "time_of_day_finding",
    "OVERLAY_SIGMA_S",
    "NO_OVERLAY",
]

#: One sigma (s) of an offset taken from two devices' overlay clocks: the prior
#: on two device clocks' difference (15 min; which errors it covers:
#: :mod:`timesync.align.device_clocks`).
OVERLAY_SIGMA_S = DEVICE_CLOCK_SIGMA_S
#: One sigma (s) when the caller states the device clocks were synchronized.
SYNCED_SIGMA_S = 0.5

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
    dated = has_date(a.layout) and has_date(b.layout) and a.swap_shift_s is None and b.swap_shift_s is None
    return Constraint(
        source=a.name, other=b.name,
        offset_s=_reading_map(b.fit).to_local(a.fit.at_zero - whole_days(a.fit.at_zero - b.fit.at_zero, dated)),
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


#: Two clocks whose difference is within this many seconds tell the same date (device
#: errors of hours, zones up to 14 h); the two orders of an ambiguous date are >= 28 days apart.
SAME_DATE_S = 2 * 86400.0


def _swap_layout(layout: str | None) -> str | None:
    if not layout:
        return layout
    if layout.startswith(("MM", "DD")):  # "MM/DD/YYYY ..." <-> "DD/MM/YYYY ..."
        return layout[3:5] + layout[2] + layout[0:2] + layout[5:]
    return layout


def settle_date_orders(clocks: Sequence[OverlayClock], infos: dict[str, Any] | None = None) -> None:
    """Settle ambiguous day/month dates (``05/06/2019``) by the other clocks of the incident.

    A clock whose date order is ambiguous (``swap_shift_s`` set) takes the order
    that puts it within :data:`SAME_DATE_S` of a clock whose date is certain (an
    ISO date, or a day or month above 12), when only one order does. Clocks that
    are all ambiguous settle one another when exactly one choice of orders puts
    them all within :data:`SAME_DATE_S` of one another (``05/06`` and ``05/07``:
    only month-first puts them a day apart). A clock still ambiguous then takes
    the order its file's ``creation_time`` tag (``infos[name].tags``, written by
    the same device clock) is within :data:`SAME_DATE_S` of, when only one is.
    Changed in place: the fit (shifted by ``swap_shift_s`` when the other order
    wins), the layout, the note (saying what settled it), and ``swap_shift_s``
    (None once settled). A clock left ambiguous keeps ``swap_shift_s``: its date
    is not reported, and pairs use only its time of day.
    """
    certain = [c for c in clocks if c.fit is not None and has_date(c.layout) and c.swap_shift_s is None]
    for clock in clocks:
        if clock.fit is None or clock.swap_shift_s is None or not certain:
            continue
        near = [min(abs(clock.fit.at_zero + shift - c.fit.at_zero) for c in certain)
                for shift in (0.0, clock.swap_shift_s)]
        _settle_one(clock, [d <= SAME_DATE_S for d in near], "by the other clocks of the incident")
    _settle_jointly([c for c in clocks if c.fit is not None and c.swap_shift_s is not None])
    for clock in clocks:
        tag = _creation_seconds(clock, (infos or {}).get(clock.name))
        if clock.fit is not None and clock.swap_shift_s is not None and tag is not None:
            _settle_one(clock, [abs(clock.fit.at_zero + shift - tag) <= SAME_DATE_S
                                for shift in (0.0, clock.swap_shift_s)],
                        "by the file's creation_time tag (the same device clock)")


def _settle_one(clock: OverlayClock, fits: list[bool], why: str) -> None:
    """Take the one order of ``clock``'s date that ``fits`` (as read, swapped); nothing when both or neither do."""
    from dataclasses import replace

    if fits[0] == fits[1] or clock.fit is None or clock.swap_shift_s is None:
        return
    if fits[1]:
        clock.fit = replace(clock.fit, at_zero=clock.fit.at_zero + clock.swap_shift_s)
        clock.layout = _swap_layout(clock.layout)
    clock.swap_shift_s = None
    order = (clock.layout or "").split(" ")[0]
    clock.note = _replace_order_note(clock.note, f"day/month order of the overlay date settled as {order} {why}")


#: At most this many ambiguous clocks are settled jointly (2**n choices of orders).
MAX_JOINT_CLOCKS = 10


def _settle_jointly(ambiguous: list[OverlayClock]) -> None:
    """Settle ambiguous clocks by one another: when exactly one choice of orders puts all within
    :data:`SAME_DATE_S` of one another (the first clock's order fixed up to a swap of all)."""
    from itertools import product

    if not 2 <= len(ambiguous) <= MAX_JOINT_CLOCKS:
        return
    consistent = []
    for choice in product((False, True), repeat=len(ambiguous)):
        values = [c.fit.at_zero + (c.swap_shift_s if swap else 0.0) for c, swap in zip(ambiguous, choice, strict=True)]
        if max(values) - min(values) <= SAME_DATE_S:
            consistent.append(choice)
    if len(consistent) != 1:
        return
    for clock, swap in zip(ambiguous, consistent[0], strict=True):
        _settle_one(clock, [not swap, swap], "by the other ambiguous clocks of the incident (only this order "
                                              "puts them within two days of one another)")


def _creation_seconds(clock: OverlayClock, info: Any) -> float | None:
    """The file's creation_time tag as an overlay value (s since 1970, the zone dropped when the overlay
    shows none), None without one or from a clock never set."""
    tags = getattr(info, "tags", None)
    created = getattr(tags, "creation_time", None) if tags is not None else None
    if not isinstance(created, datetime) or unset_clock(created):
        return None
    if clock.zone is None and created.tzinfo is not None:
        created = created.replace(tzinfo=None)
    elif clock.zone is not None and created.tzinfo is None:
        return None
    return reading_seconds(created)


def _replace_order_note(note: str | None, sentence: str) -> str:
    parts = [p for p in (note or "").split("; ") if p and "day/month order" not in p and not p.startswith("read as ")]
    return "; ".join([*parts, sentence])


def time_of_day_finding(clock: OverlayClock) -> dict[str, Any]:
    """The ``overlay_clock`` finding of a clock whose day/month order stays ambiguous: no ``at_local_zero``.

    The time of day at local 0 (``time_of_day_at_local_zero``, ``HH:MM:SS.mmm``,
    the same in both orders) and the two dates it may fall on
    (``date_candidates``: as read first, then swapped) are stated; no date is
    chosen, so nothing reads the finding as a dated clock
    (:meth:`timesync.clock.BurnedInClock.from_dict` gives None).
    """
    finding = clock.finding()
    text = finding.pop("at_local_zero") or ""
    other = format_clock_value(clock.fit.at_zero + (clock.swap_shift_s or 0.0), clock.zone) if clock.fit else ""
    finding.update(time_of_day_at_local_zero=text[11:], date_candidates=[text[:10], other[:10]],
                   date_order="ambiguous")
    return finding


def _report_clock(report: AlignerReport, clock: OverlayClock, info: Any) -> None:
    """The finding and note of one fitted clock (a clock whose date stays ambiguous: a note only)."""
    if clock.swap_shift_s is not None:
        report.notes[clock.name] = _replace_order_note(
            clock.note, f"day/month order of the overlay date is ambiguous ({clock.at_local_zero()} as "
                        f"{(clock.layout or '').split(' ')[0]}) and nothing settles it: its date is not "
                        "reported, only its time of day (on either date), which pairs use")
        report.findings.setdefault(clock.name, {})["overlay_clock"] = time_of_day_finding(clock)
        return
    if clock.note:
        report.notes[clock.name] = clock.note
    finding = clock.finding()
    marks = creation_time_marks(clock, info)
    if marks is not None:
        finding["creation_time_marks"] = marks
    report.findings.setdefault(clock.name, {})["overlay_clock"] = finding


def _read_one(src: Any) -> OverlayClock | str:
    """The clock of one source, or the sentence saying why it could not be read."""
    from timesync.errors import TimesyncError

    try:
        return read_overlay_clock(src.path, name=src.name)
    except (TimesyncError, OSError, ValueError) as exc:
        return f"overlay not read: {exc}"


def _read_clocks(sources: Sequence[Any], progress: Callable[[float, str], None] | None):
    """``(source, OverlayClock or a note)`` for every source, in order; the files read
    :func:`~timesync.align.video_reads.read_workers` at a time."""
    videos = [s for s in sources if getattr(s, "info", None) is None or getattr(s.info, "video", None) is not None]
    results = video_reads.in_order(_read_one, videos, video_reads.read_workers(videos), name="overlay")
    for i, src in enumerate(sources):
        if not any(s is src for s in videos):
            yield src, "no video stream (no clock overlay to read)"
            continue
        if progress:
            progress(i / max(1, len(sources)), f"overlay: reading {src.name}")
        yield src, next(results)[1]


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
    report = AlignerReport(method="overlay")
    clocks: list[OverlayClock] = []
    for src, clock in _read_clocks(sources, progress):
        if isinstance(clock, str):
            report.notes[src.name] = clock
            continue
        if clock.note:
            report.notes[src.name] = clock.note
        if clock.fit is not None and has_date(clock.layout) and unset_clock(utc_datetime(clock.fit.at_zero)):
            report.notes[src.name] = (f"the burned-in clock reads {clock.at_local_zero()}: a clock never set "
                                      "(not used to place it)")
            continue
        if clock.fit is not None:
            clocks.append(clock)
    infos = {src.name: getattr(src, "info", None) for src in sources}
    settle_date_orders(clocks, infos)
    for clock in clocks:
        _report_clock(report, clock, infos.get(clock.name))
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
