"""Provenance carried by every export: tool version, sources' hashes, how they were aligned.

Deterministic: nothing here depends on the current time or machine, so an export
repeated on the same project is byte-identical.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import timesync

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source

__all__ = ["provenance", "provenance_lines", "source_line", "fmt_s", "event_uncertainty", "combine_sigma",
           "source_kind", "media_paths", "sidecar_path", "sidecar_bytes"]


def fmt_s(value: float | None, decimals: int = 6) -> str:
    """Seconds as fixed-point text (rounded), or "" for ``None``."""
    return "" if value is None else f"{value:.{decimals}f}"


def _source_record(source: Source) -> dict[str, Any]:
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
        "reason": source.reason,
    }


def provenance(project: Project) -> dict[str, Any]:
    """A JSON-able provenance record of ``project`` (see module docstring)."""
    return {
        "tool": "timesync",
        "version": timesync.__version__,
        "project": project.label,
        "reference": project.reference,
        "clock": "shared_s = offset_s + rate * local_s; uncertainty_s is one standard deviation",
        "sources": [_source_record(s) for s in project.sources],
        "warnings": [
            f"{s.name}: file {s.hash_status.upper()} since it was aligned" for s in project.sources
            if s.hash_status in ("changed", "missing")
        ],
    }


def source_line(source: Source) -> str:
    """One human-readable line on a source's hash and alignment."""
    sha = source.sha256 or "none recorded"
    status = source.hash_status
    if status in ("changed", "missing"):
        status = f"{status.upper()}: not the file that was aligned"
    head = f"{source.name} [{source.role}] sha256 {sha} ({status})"
    clock = source.clock
    if clock is None:
        return f"{head}; NOT ALIGNED: {source.reason or 'no reason given'}"
    return (
        f"{head}; aligned by {clock.method or 'unknown'}: offset {clock.offset_s:+.6f} s, "
        f"rate {clock.rate:.9f} ({clock.drift_ppm:+.3f} ppm), uncertainty {clock.uncertainty_s:.6f} s (1 sigma)"
    )


def provenance_lines(project: Project) -> list[str]:
    """Provenance as plain-text lines (for captions, EDL comments, CSV comment rows...)."""
    lines = [
        f"timesync {timesync.__version__} export of {project.label}",
        f"shared clock: local time of {project.reference or 'the reference'}; shared_s = offset_s + rate * local_s",
    ]
    lines.extend(f"source {source_line(s)}" for s in project.sources)
    lines.extend(f"WARNING {w}" for w in provenance(project)["warnings"])
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
    """The sidecar: :func:`provenance` plus the export's name, each source's media paths and ``more``.

    Deterministic bytes (sorted keys, UTF-8, final newline).
    """
    from timesync.project.store import dumps_project

    record = provenance(project)
    record["export"] = out.name
    for entry, source in zip(record["sources"], project.sources, strict=True):
        entry["relative_path"], entry["absolute_path"] = media_paths(project, source, out.parent)
    record.update(more)
    return dumps_project(record)
