"""Provenance carried by every export: tool version, sources' hashes, how they were aligned.

Deterministic: nothing here depends on the current time or machine, so an export
repeated on the same project is byte-identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import timesync

if TYPE_CHECKING:
    from timesync.project import Project, Source

__all__ = ["provenance", "provenance_lines", "source_line", "fmt_s"]


def fmt_s(value: float | None, decimals: int = 6) -> str:
    """Seconds as fixed-point text (rounded), or "" for ``None``."""
    return "" if value is None else f"{value:.{decimals}f}"


def _source_record(source: Source) -> dict[str, Any]:
    clock = source.clock
    return {
        "name": source.name,
        "path": source.path,
        "role": source.role,
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
