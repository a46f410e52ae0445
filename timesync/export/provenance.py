"""Provenance carried by every export: tool version, sources' hashes, how they were aligned.

Deterministic: nothing here depends on the current time or machine, so an export
repeated on the same project is byte-identical.

Two figures of a time's error are kept apart, never added in quadrature
(architecture: sound travel): ``uncertainty_s``, one standard deviation of the
statistics (acoustic, visual, anchors), and ``travel_bound_s``, the largest
error sound travel can cause under the project's stated assumption
(``max_distance_m``, :func:`sound_travel`): a bound, not a sigma. Read together,
the true time is within ``uncertainty_s`` (one sigma) plus ``travel_bound_s``:
that sum is ``total_uncertainty_s`` where an export gives one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import timesync
from timesync.export.ties import anchor_line, anchor_records, rejection_line, rejection_records

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source

__all__ = ["provenance", "provenance_lines", "source_line", "fmt_s", "event_uncertainty", "combine_sigma",
           "source_kind", "media_paths", "sidecar_path", "sidecar_bytes", "travel_bound", "sound_travel",
           "event_travel_bound", "total_uncertainty", "event_records", "source_warnings"]


def fmt_s(value: float | None, decimals: int = 6) -> str:
    """Seconds as fixed-point text (rounded), or "" for ``None``."""
    return "" if value is None else f"{value:.{decimals}f}"


def _source_record(source: Source, reference: str | None) -> dict[str, Any]:
    clock = source.clock
    return {
        "name": source.name,
        "path": source.path,
        "role": source.role,
        "kind": source_kind(source),
        "sha256": source.sha256,
        "hash_status": source.hash_status,
        "aligned": clock is not None,
        "method": source.method,
        "offset_s": None if clock is None else clock.offset_s,
        "rate": None if clock is None else clock.rate,
        "drift_ppm": None if clock is None else clock.drift_ppm,
        "uncertainty_s": None if clock is None else clock.uncertainty_s,
        "travel_bound_s": travel_bound(source, reference),
        "reason": source.reason,
    }


def provenance(project: Project) -> dict[str, Any]:
    """A JSON-able provenance record of ``project`` (see module docstring).

    Its sources (hash, alignment, ``travel_bound_s``), the sound-travel
    assumption (:func:`sound_travel`), the manual ties
    (:func:`timesync.export.ties.anchor_records`), the rejected suggestions
    (:func:`timesync.export.ties.rejection_records`) and warnings.
    """
    return {
        "tool": "timesync",
        "version": timesync.__version__,
        "project": project.label,
        "reference": project.reference,
        "clock": "shared_s = offset_s + rate * local_s; uncertainty_s is one standard deviation; "
                 "travel_bound_s is the largest error sound travel can cause (a bound, apart)",
        "sound_travel": sound_travel(project),
        "sources": [_source_record(s, project.reference) for s in project.sources],
        "anchors": anchor_records(project),
        "rejected_suggestions": rejection_records(project),
        "warnings": source_warnings(project),
    }


def source_warnings(project: Project) -> list[str]:
    """One sentence per source whose file is not the one aligned (changed or missing)."""
    return [f"{s.name}: file {s.hash_status.upper()} since it was aligned" for s in project.sources
            if s.hash_status in ("changed", "missing")]


def source_line(source: Source, reference: str | None = None) -> str:
    """One human-readable line on a source's hash and alignment (``reference``: the project's, bound 0)."""
    sha = source.sha256 or "none recorded"
    status = source.hash_status
    if status in ("changed", "missing"):
        status = f"{status.upper()}: not the file that was aligned"
    head = f"{source.name} [{source.role}] sha256 {sha} ({status})"
    clock = source.clock
    if clock is None:
        return f"{head}; NOT ALIGNED: {source.reason or 'no reason given'}"
    bound = travel_bound(source, reference)
    travel = "sound-travel bound not recorded" if bound is None else f"sound-travel bound {bound:.6f} s"
    return (
        f"{head}; aligned by {clock.method or 'unknown'}: offset {clock.offset_s:+.6f} s, "
        f"rate {clock.rate:.9f} ({clock.drift_ppm:+.3f} ppm), uncertainty {clock.uncertainty_s:.6f} s (1 sigma), "
        f"{travel}"
    )


def provenance_lines(project: Project) -> list[str]:
    """Provenance as plain-text lines (for captions, EDL comments, CSV comment rows...)."""
    lines = [
        f"timesync {timesync.__version__} export of {project.label}",
        f"shared clock: local time of {project.reference or 'the reference'}; shared_s = offset_s + rate * local_s",
    ]
    lines.append(f"sound travel: {sound_travel(project)['assumption']}")
    lines.extend(f"source {source_line(s, project.reference)}" for s in project.sources)
    lines.extend(f"manual {anchor_line(r)}" for r in anchor_records(project))
    lines.extend(rejection_line(r) for r in rejection_records(project))
    lines.extend(f"WARNING {w}" for w in source_warnings(project))
    return lines


def source_kind(source: Source) -> str:
    """What the project knows of a source's recorder, without guessing.

    The stored ``role`` when one was set (not "other"), else what the probe
    found: ``video camera`` (a video stream), ``audio recorder`` (audio only),
    or ``unknown``.
    """
    if source.role != "other":
        return source.role
    if not source.probe:
        return "unknown"
    if source.has_video:
        return "video camera"
    return "audio recorder" if source.has_audio else "unknown"


def combine_sigma(*sigmas: float | None) -> float | None:
    """Independent one-sigma uncertainties added in quadrature (seconds); ``None`` if any is unknown."""
    if any(s is None for s in sigmas):
        return None
    return math.sqrt(sum(float(s) ** 2 for s in sigmas))  # type: ignore[arg-type]


def event_uncertainty(project: Project, ann: Annotation) -> tuple[float | None, str]:
    """One sigma (seconds) of an event's shared time, and what it rests on.

    An event has no uncertainty of its own in the project model; it was marked
    on a source (``ann.source``), so its shared time is as uncertain as that
    source's placement on the shared clock (``ClockMap.uncertainty_s``; 0 for
    the reference). An event with no source was entered on the shared clock,
    which is the reference's local time: 0. An event on an unaligned or
    unknown source has an unknown uncertainty (``None``).
    """
    name = ann.source
    if not name:
        return 0.0, "entered on the shared clock"
    if not project.has_source(name):
        return None, f"source {name} is not in the project"
    clock = project.source(name).clock
    if clock is None:
        return None, f"{name} is not aligned"
    return float(clock.uncertainty_s), f"clock of {name} ({clock.method or 'unknown'})"


def _number(value: Any) -> float | None:
    """``value`` as a finite float >= 0, else ``None`` (a missing or malformed key)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def travel_bound(source: Source, reference: str | None = None) -> float | None:
    """A source's sound-travel bound (s, >= 0): the largest error of its placement that sound travel can cause.

    From the project JSON's source entry (``travel_bound_s``, written by
    ``timesync sync``; 0 when no heard constraint places it, or once its clock
    was corrected for travel). 0 for ``reference`` (it defines the shared
    clock). ``None`` when the source is not aligned or the file predates the
    bound (not recorded).
    """
    if source.clock is None:
        return None
    if reference is not None and source.name == reference:
        return 0.0
    return _number(source.extra.get("travel_bound_s"))


def sound_travel(project: Project) -> dict[str, Any]:
    """The project's stated assumption behind every ``travel_bound_s``.

    ``max_distance_m``: the distance (metres) every sound the audio aligned on
    is assumed to have been within, from each source that heard it (``timesync
    sync --max-distance``; ``None`` when the project does not record it);
    ``assumption``: that as a sentence.
    """
    record = project.extra.get("provenance")
    parameters = record.get("parameters") if isinstance(record, dict) else None
    distance = _number(parameters.get("max_distance_m")) if isinstance(parameters, dict) else None
    if distance is None:
        sentence = ("the maximum distance between a source and the sounds it was aligned on is not recorded "
                    "in the project (it predates timesync sync --max-distance, or was made by hand), so a "
                    "sound-travel bound that is not recorded is unknown")
    else:
        sentence = (f"assumed that every sound the audio was aligned on was at most {distance:g} m from each "
                    f"source that heard it (timesync sync --max-distance); a heard constraint may then be off "
                    f"by up to {distance:g} m / c (c, the speed of sound at 20 °C), carried to each source as "
                    "its travel_bound_s, apart from the one-sigma uncertainty; 0 for a source placed without "
                    "heard sound, or whose clock was corrected for sound travel from known positions")
    return {"max_distance_m": distance, "assumption": sentence}


def event_travel_bound(project: Project, ann: Annotation) -> float | None:
    """The sound-travel bound (s) of an event's shared time: that of the source it was marked on.

    0 for an event entered on the shared clock or marked on the reference;
    ``None`` when that source is unknown, not aligned, or its bound not recorded.
    """
    name = ann.source
    if not name:
        return 0.0
    if not project.has_source(name):
        return None
    return travel_bound(project.source(name), project.reference)


def total_uncertainty(sigma: float | None, bound: float | None) -> float | None:
    """``sigma + bound`` (s): the one-sigma uncertainty plus the sound-travel bound; ``None`` if either is."""
    return None if sigma is None or bound is None else float(sigma) + float(bound)


def event_records(project: Project) -> list[dict[str, Any]]:
    """Per event, its shared time's ``uncertainty_s`` (1 sigma), ``travel_bound_s`` and their sum."""
    out = []
    for ann in project.annotations:
        sigma, basis = event_uncertainty(project, ann)
        bound = event_travel_bound(project, ann)
        out.append({"id": ann.id, "shared_s": ann.shared_s, "uncertainty_s": sigma, "travel_bound_s": bound,
                    "total_uncertainty_s": total_uncertainty(sigma, bound), "basis": basis})
    return out


def media_paths(project: Project, source: Source, folder: Path) -> tuple[str, str]:
    """``(relative, absolute)`` POSIX paths of a source's file, relative to ``folder`` (an export's own).

    The relative path resolves from ``folder`` (``../case/cam.mp4``; ``./`` first
    when it would read as a URL); on another drive (Windows) it is the absolute path.
    """
    from timesync.project.model import stored_path

    absolute = project.resolve(source.name)
    return stored_path(absolute, Path(folder).absolute()), absolute.as_posix()


def sidecar_path(out: Path) -> Path:
    """Where an export's provenance sidecar goes: ``NAME.provenance.json`` beside ``out`` (full name kept)."""
    return out.with_name(out.name + ".provenance.json")


def sidecar_bytes(project: Project, out: Path, **more: Any) -> bytes:
    """The sidecar: :func:`provenance` plus the export's name, each source's media paths, each event's
    uncertainty (:func:`event_records`) and ``more``.

    Deterministic bytes (sorted keys, UTF-8, final newline).
    """
    from timesync.project.store import dumps_project

    record = provenance(project)
    record["export"] = out.name
    for entry, source in zip(record["sources"], project.sources, strict=True):
        entry["relative_path"], entry["absolute_path"] = media_paths(project, source, out.parent)
    record["events"] = event_records(project)
    record.update(more)
    return dumps_project(record)
