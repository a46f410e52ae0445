"""The ``"visual"`` aligner: constraints between videos whose flashes form the same pattern.

Flashes come from :func:`timesync.align.flashes.detect.flashes_in`, the
matching from :func:`timesync.align.flashes.pattern.match_and_fit`. Flashes
against heard impulses are the ``"audio-visual"`` aligner
(:mod:`timesync.align.audiovisual`), run after this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align import metadata, video_reads
from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.flashes.detect import VisualEvent, flashes_in
from timesync.align.flashes.fit import rate_evidence
from timesync.align.flashes.pattern import MIN_AGREEING, EventSet, match_and_fit
from timesync.align.overlay.scan import CELL_BYTES

__all__ = ["visual_constraint", "video_flashes", "flashes_or_note", "find_constraints", "NO_FLASHES"]

#: Videos are scanned two at a time only when their cell grids (:data:`CELL_BYTES` a frame,
#: whole files) add up to at most this (bytes): two hour-long videos at once would break the
#: 500 MB bound (a 60-min 30-fps video's grid alone takes 332 MB).
PARALLEL_CELL_BYTES = 96 * 2**20

#: The note of a video in which no flash was seen.
NO_FLASHES = "no visual events (flashes) seen"


def visual_constraint(name_a: str, ev_a: list[VisualEvent], name_b: str, ev_b: list[VisualEvent],
                      narrow: Constraint | None = None) -> tuple[Constraint | None, str | None]:
    """A ``"visual"`` constraint from two videos' flashes, or None and why.

    ``narrow`` is weaker evidence on the same offset (``t_b = offset_s + t_a``,
    e.g. :func:`timesync.align.metadata.prior`): when the flashes match no
    offset clearly, they are matched again within :meth:`Constraint.search_range`
    (as the audio search is); a match found only there says so in its evidence.
    """
    frame_s = max(float(np.median([e.frame_s for e in ev_a])), float(np.median([e.frame_s for e in ev_b])))
    sets = EventSet.of(ev_a), EventSet.of(ev_b)
    found = match_and_fit(*sets, frame_s=frame_s)
    narrowed: dict[str, Any] = {}
    span = narrow.search_range() if found is None and narrow is not None else None
    if span is not None:
        found = match_and_fit(*sets, frame_s=frame_s, offsets_s=span)
        narrowed = {"narrowed_by": narrow.evidence.get("narrowed_by", narrow.kind),
                    "narrowed_to_s": [round(span[0], 3), round(span[1], 3)]}
    if found is None:
        return None, f"flashes of {Path(name_a).name} and {Path(name_b).name} do not match clearly"
    match, fit = found
    constraint = Constraint(
        source=name_a, other=name_b, offset_s=fit.offset_s, uncertainty_s=fit.uncertainty_s, kind="visual",
        rate=fit.rate, score=float(match.agreeing), rate_uncertainty=fit.rate_uncertainty, at_source_s=fit.at_a_s,
        evidence={"events_agreeing": match.agreeing, "second_best": match.second_best,
                  "chance_log10": round(-(match.evidence or 0.0), 2),
                  "second_chance_log10": round(-(match.second_evidence or 0.0), 2),
                  "chance_anywhere_log10": round(match.chance_anywhere or 0.0, 2),
                  "flash_s": round(fit.flash_s, 5), "flash_fitted": fit.flash_fitted,
                  "residual_rms_s": round(fit.residual_rms_s, 6), **rate_evidence(fit),
                  "pairs_s": [[round(ev_a[i].onset_s(fit.flash_s), 4), round(ev_b[j].onset_s(fit.flash_s), 4)]
                              for i, j in match.pairs[:50]]} | narrowed,
    )
    return constraint, None


def find_constraints(sources: Sequence[Any], *, progress: Callable[[float, str], None] | None = None,
                     given: Mapping[str, list[VisualEvent] | str] | None = None,
                     windowed: Mapping[str, Mapping[str, Any]] | None = None) -> AlignerReport:
    """Flashes in every video; ``"visual"`` constraints between videos whose flashes match.

    Parameters
    ----------
    sources : SourceMedia with ``name``, ``path``, ``info``.
    progress : optional ``progress(fraction, message)``.
    given : flashes already read per source name (events, or the sentence saying why none
        were); the other videos are read whole (:func:`video_flashes`).
    windowed : per source whose ``given`` flashes were read only in windows
        (:func:`timesync.align.flashes.windows.read_flashes`), what was read; said in
        ``findings[name]["flash_windows"]`` and in the evidence of its constraints
        (``"read_in_windows"``).

    Returns
    -------
    AlignerReport
        ``findings[name]["visual_events"]``: the number of events seen;
        ``notes[name]`` for a video with no flash (``"no visual events (flashes) seen"``),
        too few, or flashes that match no other video's.
    """
    report = AlignerReport(method="visual")
    flashes = video_flashes(sources, report, progress, given=given)
    names = list(flashes)
    by_name = {src.name: src for src in sources}
    windowed = windowed or {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            narrow = metadata.prior(by_name[b], by_name[a])  # t_b = offset + t_a
            constraint, _why = visual_constraint(a, flashes[a], b, flashes[b], narrow)
            if constraint is not None:
                read = {n: windowed[n]["read"] for n in (a, b) if n in windowed}
                if read:
                    constraint.evidence["read_in_windows"] = read
                report.constraints.append(constraint)
    for name, found in windowed.items():
        report.findings.setdefault(name, {})["flash_windows"] = dict(found)
    linked = {n for c in report.constraints for n in (c.source, c.other)}
    for name in flashes:
        if name not in linked and name not in report.notes:
            report.notes[name] = (f"{len(flashes[name])} visual events seen, but their pattern matches no other "
                                  "video's flashes clearly")
    if progress:
        progress(1.0, "visual: done")
    return report


def flashes_or_note(src: Any) -> list[VisualEvent] | str:
    """The flashes of one source's video (:func:`flashes_in`), or the sentence saying why none were read."""
    from timesync.errors import TimesyncError

    try:
        return flashes_in(src.path, getattr(getattr(src, "info", None), "sha256", None))
    except (TimesyncError, OSError, ValueError) as exc:
        return f"visual events not read: {exc}"


def video_flashes(sources: Sequence[Any], report: AlignerReport | None = None,
                  progress: Callable[[float, str], None] | None = None,
                  given: Mapping[str, list[VisualEvent] | str] | None = None) -> dict[str, list[VisualEvent]]:
    """The flashes of every video with at least :data:`MIN_AGREEING` of them, by source name.

    Sources without a video stream are skipped; those in ``given`` (events or the
    sentence saying why none were read) are not read again. With a ``report``, the
    videos left out are noted in it (not read, no flash, too few) and the number of
    events seen is its ``findings[name]["visual_events"]``.
    """
    flashes: dict[str, list[VisualEvent]] = {}
    notes = report.notes if report is not None else {}
    given = given or {}
    videos = [s for s in sources if getattr(getattr(s, "info", None), "video", 1) is not None]
    todo = [s for s in videos if s.name not in given]
    workers = video_reads.read_workers(todo, most_frames=PARALLEL_CELL_BYTES // CELL_BYTES)
    pending = video_reads.in_order(flashes_or_note, todo, workers, name="flashes")
    for i, src in enumerate(videos):
        if progress:
            progress(0.8 * i / max(1, len(videos)), f"visual: flashes in {src.name}")
        events = given[src.name] if src.name in given else next(pending)[1]
        if isinstance(events, str):
            notes[src.name] = events
            continue
        if report is not None:
            report.findings.setdefault(src.name, {})["visual_events"] = len(events)
        if len(events) < MIN_AGREEING:
            notes[src.name] = NO_FLASHES if not events else \
                f"only {len(events)} visual event(s) seen: too few to match"
            continue
        flashes[src.name] = events
    return flashes
