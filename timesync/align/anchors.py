"""Manual anchors: "this moment in A is this moment in B".

An :class:`Anchor` says that local time ``source_s`` in ``source`` and local
time ``other_s`` in ``other`` are one moment. One anchor between a pair gives
an offset (``t_other = (other_s - source_s) + t_source``, rate not measured);
two or more give offset and rate by weighted least squares. Each anchor's
uncertainty defaults to :data:`DEFAULT_ANCHOR_SIGMA_S` (one frame at 30 fps)
when not given: a person picks frames, and a frame is what they can resolve.

Checks (used by :func:`timesync.workflow.resolve`): :func:`check_anchor_time`
(a time inside its recording), :func:`pair_conflicts` (two anchors of one
pair that cannot both be true) and :func:`anchor_residual` (how far an anchor
is from a solution's clocks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from timesync.align.constraints import Constraint
from timesync.clock import ClockMap

__all__ = [
    "Anchor",
    "AnchorConflict",
    "anchor_constraints",
    "anchor_residual",
    "check_anchor_time",
    "pair_conflicts",
    "parse_anchor_time",
    "DEFAULT_ANCHOR_SIGMA_S",
    "ANCHOR_DISAGREE_SIGMAS",
    "MAX_ANCHOR_DRIFT",
]

#: One sigma (s) of an anchor given without one: one frame at 30 fps.
DEFAULT_ANCHOR_SIGMA_S = 1 / 30
#: Two anchors, or an anchor and a solution, that differ by more than this many
#: combined sigmas disagree.
ANCHOR_DISAGREE_SIGMAS = 3.0
#: The largest rate difference two anchors of one pair may imply (1000 ppm,
#: 3.6 s an hour) beyond their uncertainties: device clocks drift by tens of
#: ppm, so more means a wrong frame or the wrong order.
MAX_ANCHOR_DRIFT = 1e-3


@dataclass(frozen=True)
class Anchor:
    """``source`` at local ``source_s`` (s) is the same moment as ``other`` at ``other_s`` (s).

    ``uncertainty_s``: one sigma of that statement in seconds (None: one frame,
    :data:`DEFAULT_ANCHOR_SIGMA_S`).
    """

    source: str
    source_s: float
    other: str
    other_s: float
    uncertainty_s: float | None = None

    def __post_init__(self) -> None:
        if self.source == self.other:
            raise ValueError(f"an anchor needs two different sources, got {self.source!r} twice")
        for value in (self.source_s, self.other_s):
            if not math.isfinite(value):
                raise ValueError(f"anchor between {self.source} and {self.other} has a non-finite time")
        if self.uncertainty_s is not None and not self.uncertainty_s > 0:
            raise ValueError(f"anchor uncertainty must be > 0 s, got {self.uncertainty_s!r}")

    @property
    def sigma_s(self) -> float:
        """The anchor's one-sigma uncertainty (s)."""
        return self.uncertainty_s if self.uncertainty_s is not None else DEFAULT_ANCHOR_SIGMA_S

    def to_dict(self) -> dict:
        """JSON-able dict (the project's ``"anchors"`` entries)."""
        return {"source": self.source, "source_s": self.source_s, "other": self.other,
                "other_s": self.other_s, "uncertainty_s": self.uncertainty_s}

    @classmethod
    def from_dict(cls, data: dict) -> Anchor:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["source"]), float(data["source_s"]), str(data["other"]), float(data["other_s"]),
                   None if data.get("uncertainty_s") is None else float(data["uncertainty_s"]))


def parse_anchor_time(text: str) -> float:
    """Seconds of ``"12.5"``, ``"1:02.25"`` or ``"0:01:02.250"`` (H:MM:SS.mmm local time).

    Raises
    ------
    ValueError
        Naming the text, when it is not a time.
    """
    parts = text.strip().split(":")
    try:
        if len(parts) > 3 or not all(p.strip() for p in parts):
            raise ValueError
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{text!r} is not a time (seconds or H:MM:SS.mmm)") from None
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    if not math.isfinite(seconds) or any(v < 0 for v in values[1:]) or any(v >= 60 for v in values[1:]):
        raise ValueError(f"{text!r} is not a time (seconds or H:MM:SS.mmm)")
    return seconds


def _fit_pair(source: str, other: str, x: np.ndarray, y: np.ndarray, sig: np.ndarray) -> Constraint:
    w = 1 / sig**2
    xm = float(np.sum(w * x) / np.sum(w))
    n = len(x)
    sxx = float(np.sum(w * (x - xm) ** 2))
    evidence: dict = {"anchors": [[float(a), float(b)] for a, b in zip(x, y, strict=True)]}
    measured = n >= 2 and sxx > 0 and float(np.ptp(x)) > 0
    if measured:
        rate = float(np.sum(w * (x - xm) * y) / sxx)
        at_mid = float(np.sum(w * (y - rate * (x - xm))) / np.sum(w))  # t_other at xm
        resid = y - (at_mid + rate * (x - xm))
        chi2 = float(np.sum(w * resid**2)) / max(1, n - 2) if n > 2 else 1.0
        inflate = math.sqrt(max(1.0, chi2))
        sigma = inflate / math.sqrt(float(np.sum(w)))
        rate_unc: float | None = inflate / math.sqrt(sxx)
        if n > 2:
            evidence["max_residual_s"] = float(np.max(np.abs(resid)))
        offset = at_mid - rate * xm
        measured = rate > 0
    if not measured:
        # one local time in ``source`` (or anchors too close to measure a rate): an offset only
        offset = float(np.sum(w * (y - x)) / np.sum(w))
        rate, rate_unc = 1.0, None
        sigma = 1 / math.sqrt(float(np.sum(w)))
        evidence.pop("max_residual_s", None)
    return Constraint(source=source, other=other, offset_s=float(offset), uncertainty_s=float(sigma),
                      kind="manual", rate=rate, score=float(n), rate_uncertainty=rate_unc,
                      at_source_s=xm, evidence=evidence)


def anchor_constraints(anchors: Iterable[Anchor]) -> list[Constraint]:
    """One ``"manual"`` constraint per pair of sources named by the anchors.

    Parameters
    ----------
    anchors : Anchor
        In any direction; anchors of a pair given as (B, A) are turned to (A, B).

    Returns
    -------
    list[Constraint]
        ``t_other = offset_s + rate * t_source``; with one anchor (or anchors
        at one local time) the rate is 1 and ``rate_uncertainty`` None; with
        two or more the rate is fitted and its uncertainty given. Anchors that
        disagree beyond their uncertainties inflate it (the residual is in
        ``evidence["max_residual_s"]``).
    """
    groups: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    order: list[tuple[str, str]] = []
    for anchor in anchors:
        key = (anchor.source, anchor.other)
        flip = (anchor.other, anchor.source)
        if flip in groups:
            groups[flip].append((anchor.other_s, anchor.source_s, anchor.sigma_s))
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((anchor.source_s, anchor.other_s, anchor.sigma_s))
    out = []
    for key in order:
        data = np.array(groups[key], float)
        out.append(_fit_pair(key[0], key[1], data[:, 0], data[:, 1], data[:, 2]))
    return out


# -- checks ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnchorConflict:
    """Why anchor number ``index`` (0-based, in the list checked) cannot stand with the others.

    ``difference_ms``: how far it is from what the others (or the evidence) say,
    milliseconds of ``other``'s local time (or of shared time); ``sentence``
    says so with the figures.
    """

    index: int
    difference_ms: float
    sentence: str


def describe(anchor: Anchor, index: int) -> str:
    """``'anchor 2 (a.mp4 @ 10.000 s = b.mp4 @ 12.500 s)'`` (``index`` 0-based)."""
    return (f"anchor {index + 1} ({anchor.source} @ {anchor.source_s:.3f} s = "
            f"{anchor.other} @ {anchor.other_s:.3f} s)")


def check_anchor_time(name: str, seconds: float, duration_s: float | None) -> None:
    """Raise ``ValueError`` (one sentence naming ``name``, the time and the duration)
    unless local ``seconds`` lies in ``name``'s recording, ``0 <= seconds <= duration_s``
    (only ``seconds >= 0`` when the duration is not known)."""
    if not math.isfinite(seconds):
        raise ValueError(f"{name}: an anchor time must be a finite number of seconds, got {seconds!r}")
    if duration_s is None:
        if seconds < 0:
            raise ValueError(f"{name}: an anchor at {seconds:.3f} s is before the recording starts (0 s)")
        return
    if not 0 <= seconds <= duration_s:
        raise ValueError(f"{name}: an anchor at {seconds:.3f} s is outside the recording "
                         f"(0 to {duration_s:.3f} s long)")


def _oriented(anchor: Anchor, key: tuple[str, str]) -> tuple[float, float, float]:
    if (anchor.source, anchor.other) == key:
        return anchor.source_s, anchor.other_s, anchor.sigma_s
    return anchor.other_s, anchor.source_s, anchor.sigma_s


def _two_disagree(a: tuple[float, float, float], b: tuple[float, float, float]) -> float | None:
    """The misfit (s) of two anchors of one pair, ``dy - dx``, when they cannot both be true, else None."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    allowed = ANCHOR_DISAGREE_SIGMAS * math.hypot(a[2], b[2]) + MAX_ANCHOR_DRIFT * abs(dx)
    return dy - dx if abs(dy - dx) > allowed else None


def pair_conflicts(anchors: Sequence[Anchor], indices: Iterable[int] | None = None) -> list[AnchorConflict]:
    """Anchors of one pair of sources that the earlier anchors of that pair rule out.

    Two anchors of a pair (A, B) say that ``dx`` seconds of A are ``dy``
    seconds of B. They cannot both be true when ``|dy - dx|`` exceeds
    :data:`ANCHOR_DISAGREE_SIGMAS` combined sigmas plus
    :data:`MAX_ANCHOR_DRIFT` times ``dx``: the order of the two moments is
    reversed, one moment of A is two of B, or the rate is no clock's. Anchors
    are taken in the order given (only ``indices``, by default all): the later
    one of such a pair is the conflict, the earlier ones stand.
    """
    kept: dict[tuple[str, str], list[int]] = {}
    out = []
    for i in range(len(anchors)) if indices is None else indices:
        anchor = anchors[i]
        key = (anchor.source, anchor.other)
        if (anchor.other, anchor.source) in kept:
            key = (anchor.other, anchor.source)
        mine = _oriented(anchor, key)
        for j in kept.get(key, []):
            misfit = _two_disagree(_oriented(anchors[j], key), mine)
            if misfit is not None:
                out.append(AnchorConflict(i, misfit * 1e3, (
                    f"{describe(anchor, i)} contradicts {describe(anchors[j], j)}: {key[1]} would be "
                    f"{misfit * 1e3:+.1f} ms off between them (the two are "
                    f"{(mine[0] - _oriented(anchors[j], key)[0]) * 1e3:+.1f} ms apart in {key[0]})")))
                break
        else:
            kept.setdefault(key, []).append(i)
    return out


def anchor_residual(anchor: Anchor, clocks: Mapping[str, ClockMap]) -> tuple[float, float] | None:
    """How far ``anchor`` is from ``clocks``: ``(shared(other @ other_s) - shared(source @ source_s), sigma)``,
    seconds; None when either source has no clock. ``sigma`` combines the anchor's
    and both clocks' one-sigma uncertainties."""
    a, b = clocks.get(anchor.source), clocks.get(anchor.other)
    if a is None or b is None:
        return None
    residual = b.to_shared(anchor.other_s) - a.to_shared(anchor.source_s)
    return residual, math.sqrt(anchor.sigma_s**2 + a.uncertainty_s**2 + b.uncertainty_s**2)
