"""The Constraint every aligner returns, the report it hands to ``sync``, and the SourceMedia it reads.

Sign convention (the same as :class:`timesync.clock.ClockMap`): a constraint
between ``source`` and ``other`` says that one moment, seen at local time
``t_source`` in ``source`` and at ``t_other`` in ``other``, satisfies::

    t_other = offset_s + rate * t_source

that is, ``(offset_s, rate)`` is the ClockMap that takes ``source``'s local
time onto ``other``'s local time (:attr:`Constraint.clock`; map times through
it, never by writing the formula out). If ``other`` is the reference, it is exactly
``source``'s ClockMap. A positive offset means ``source`` started after
``other``.

Sources are named by the path string they were given as (``str(path)``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from timesync.clock import ClockMap

__all__ = ["Constraint", "AlignerReport", "SourceMedia", "KINDS", "NARROW_SIGMAS", "NARROW_MARGIN_S"]

#: A search narrowed by a weaker constraint (metadata tags) covers its offset
#: +- this many sigmas, plus :data:`NARROW_MARGIN_S` seconds.
NARROW_SIGMAS = 4.0
NARROW_MARGIN_S = 0.5

#: Kinds of evidence, strongest first. ``metadata`` and overlay-vs-overlay
#: constraints are weak: their uncertainty is seconds.
KINDS = ("manual", "audio", "visual", "audio-visual", "overlay", "metadata")


@dataclass(frozen=True)
class Constraint:
    """One measured relation between two sources' local clocks.

    Attributes
    ----------
    source, other : str
        The two sources (path strings as given to ``sync``).
    offset_s : float
        Seconds; see the module docstring for the sign.
    rate : float
        ``d t_other / d t_source``; 1.0 when the evidence cannot measure it.
    uncertainty_s : float > 0
        One sigma of the offset, seconds, at ``at_source_s``.
    kind : str
        One of :data:`KINDS`.
    score : float
        Strength of the evidence (aligner-specific, larger is stronger;
        documented by each aligner). Not a probability.
    rate_uncertainty : float or None
        One sigma of ``rate``; ``None`` when the rate was not measured
        (the solver then treats the rate as free or takes it from others).
    at_source_s : float
        The local time in ``source`` around which the offset was measured (the
        middle of the overlap); offsets measured with a rate are most precise here.
    evidence : dict
        JSON-able details for provenance (windows used, peak values, times...).
    travel_bound_s : float >= 0
        The largest error of ``offset_s`` that sound travel can cause, seconds:
        an audio constraint matches arrivals, and a sound reaches the two
        sources at different times. It is a bound (not a sigma), kept apart
        from ``uncertainty_s`` (the acoustic precision); 0 for evidence that
        sees the moment itself (flashes, anchors, clocks) or once corrected
        for sound travel.
    """

    source: str
    other: str
    offset_s: float
    uncertainty_s: float
    kind: str
    rate: float = 1.0
    score: float = 0.0
    rate_uncertainty: float | None = None
    at_source_s: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    travel_bound_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown constraint kind {self.kind!r}; expected one of {KINDS}")
        if not (math.isfinite(self.offset_s) and math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"constraint {self.source} -> {self.other} has a non-finite offset or rate")
        if not (self.uncertainty_s > 0 and math.isfinite(self.uncertainty_s)):
            raise ValueError(f"constraint {self.source} -> {self.other} needs an uncertainty > 0 s")
        if not (self.travel_bound_s >= 0 and math.isfinite(self.travel_bound_s)):
            raise ValueError(f"constraint {self.source} -> {self.other} needs a travel bound >= 0 s")

    def search_range(self) -> tuple[float, float] | None:
        """Offsets (s) this weaker constraint allows a search to be narrowed to:
        ``offset_s`` +- (:data:`NARROW_SIGMAS` sigmas + :data:`NARROW_MARGIN_S`);
        None when its uncertainty is not finite."""
        if not math.isfinite(self.uncertainty_s):
            return None
        half = NARROW_SIGMAS * self.uncertainty_s + NARROW_MARGIN_S
        return self.offset_s - half, self.offset_s + half

    @property
    def clock(self) -> ClockMap:
        """The relation as the ClockMap from ``source``'s local time to ``other``'s
        (its uncertainty the offset's, its method the kind)."""
        return ClockMap(self.offset_s, self.rate, self.uncertainty_s, self.kind)

    def to_other(self, t_source: float) -> float:
        """``other``'s local time (s) at ``source``'s local time ``t_source`` (s)."""
        return self.clock.to_shared(t_source)

    def reversed(self) -> Constraint:
        """The same relation seen from ``other``: ``t_source = o' + r' * t_other``."""
        inverse = self.clock.inverse()
        rate_unc = None if self.rate_uncertainty is None else self.rate_uncertainty / self.rate**2
        return Constraint(
            source=self.other,
            other=self.source,
            offset_s=inverse.offset_s,
            uncertainty_s=inverse.uncertainty_s,
            kind=self.kind,
            rate=inverse.rate,
            score=self.score,
            rate_uncertainty=rate_unc,
            at_source_s=self.to_other(self.at_source_s),
            evidence=self.evidence,
            travel_bound_s=self.travel_bound_s / self.rate,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; ``with`` names the other source, as in the project file."""
        data = asdict(self)
        data["with"] = data.pop("other")
        return data


@dataclass
class AlignerReport:
    """What one aligner found over a set of sources.

    ``constraints``: pair relations for the solver. ``findings``: per source,
    JSON-able facts to carry into the project (for example ``overlay_clock``).
    ``notes``: per source, one sentence on why this aligner could not use it
    ("no audio stream", "no readable clock overlay").
    """

    method: str
    constraints: list[Constraint] = field(default_factory=list)
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceMedia:
    """One source handed to the aligners: ``name`` is the path string as given."""

    name: str
    path: str
    info: Any  # timesync.media.MediaInfo
