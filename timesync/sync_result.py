"""What :func:`timesync.sync.sync` returns: each source's placement and the provenance.

:meth:`SyncResult.to_dict` is the project JSON of DESIGN.md (schema
``timesync.project/1``). Sign convention: ``shared = offset_s + rate * local``
(:class:`~timesync.clock.ClockMap`), the shared clock being true time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timesync import __version__
from timesync.align.constraints import Constraint
from timesync.clock import ClockMap

__all__ = ["SCHEMA", "SourceResult", "SyncResult"]

SCHEMA = "timesync.project/1"


@dataclass
class SourceResult:
    """Where one source landed on the shared clock (or why it did not).

    ``clock`` is None when ``aligned`` is False; ``reason`` then says why.
    ``constraints`` are the kept constraints that touch this source, seen from it
    (``source == name``). ``findings`` and ``notes`` come from the aligners
    (per aligner method). ``warnings`` are the probe's sentences about the file
    (cut short, damaged packets, timestamp gaps...), without the file name in
    front; a source with warnings may still be aligned.
    """

    name: str
    sha256: str | None
    aligned: bool
    clock: ClockMap | None = None
    reason: str | None = None
    constraints: list[Constraint] = field(default_factory=list)
    findings: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    duration_s: float | None = None
    #: The probe summary of the file (``timesync.media.probe.summarize``), so a
    #: project made from this result need not read the file again.
    probe: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    #: The largest clock error (s) sound travel can cause (a bound, apart from
    #: ``clock.uncertainty_s``); 0 when no audio constraint places it.
    travel_bound_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The source entry of the project JSON."""
        clock = self.clock
        out: dict[str, Any] = {
            "path": self.name,
            "sha256": self.sha256,
            "aligned": self.aligned,
            "offset_s": clock.offset_s if clock else None,
            "rate": clock.rate if clock else None,
            "uncertainty_s": clock.uncertainty_s if clock else None,
            "method": clock.method if clock else None,
            "constraints": [_constraint_entry(c) for c in self.constraints],
            "warnings": list(self.warnings),
        }
        if clock is not None and self.travel_bound_s is not None:
            out["travel_bound_s"] = self.travel_bound_s
        if self.reason:
            out["reason"] = self.reason
        if "overlay_clock" in self.findings:
            out["overlay_clock"] = self.findings["overlay_clock"]
        if self.notes:
            out["notes"] = dict(self.notes)
        if self.probe:
            out["probe"] = self.probe
        return out


def _constraint_entry(c: Constraint) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "with": c.other,
        "offset_s": c.offset_s,
        "rate": c.rate,
        "uncertainty_s": c.uncertainty_s,
        "rate_uncertainty": c.rate_uncertainty,
        "at_source_s": c.at_source_s,
        "score": c.score,
        "travel_bound_s": c.travel_bound_s,
    }


@dataclass
class SyncResult:
    """The answer of :func:`sync`: the reference, every source, and the solve's report."""

    reference: str | None
    sources: list[SourceResult]
    dropped: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    aligners: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def all_aligned(self) -> bool:
        """True when every source is on the shared clock."""
        return all(s.aligned for s in self.sources)

    def source(self, name: str) -> SourceResult:
        """The result for the source given as ``name``."""
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def clocks(self) -> dict[str, ClockMap]:
        """ClockMaps of the aligned sources, by name."""
        return {s.name: s.clock for s in self.sources if s.clock is not None}

    def to_dict(self) -> dict[str, Any]:
        """The project JSON (DESIGN.md), reproducible: no wall-clock time in it."""
        return {
            "schema": SCHEMA,
            "reference": self.reference,
            "sources": [s.to_dict() for s in self.sources],
            "events": [],
            "history": [],
            "provenance": {
                "timesync_version": __version__,
                "aligners": dict(self.aligners),
                "parameters": dict(self.parameters),
                "dropped_constraints": list(self.dropped),
                "disagreements": list(self.disagreements),
            },
        }
