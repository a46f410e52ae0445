"""What :func:`timesync.sync.sync` returns: each source's placement and the provenance.

:meth:`SyncResult.to_dict` is the project JSON of DESIGN.md, written by
:mod:`timesync.project.schema`. Sign convention: ``shared = offset_s + rate * local``
(:class:`~timesync.clock.ClockMap`), the shared clock being true time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timesync import __version__
from timesync.align.constraints import Constraint
from timesync.clock import ClockMap
from timesync.project.schema import SCHEMA_TAG, sync_document, sync_source_entry

__all__ = ["SCHEMA", "SourceResult", "SyncResult"]

#: The schema tag of :meth:`SyncResult.to_dict` (``timesync.sync.SCHEMA``).
SCHEMA = SCHEMA_TAG


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
        """The source entry of the project JSON (:func:`timesync.project.schema.sync_source_entry`)."""
        return sync_source_entry(self)


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
        """The project JSON (DESIGN.md), reproducible: no wall-clock time in it
        (:func:`timesync.project.schema.sync_document`)."""
        return sync_document(self, __version__)
