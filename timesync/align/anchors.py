"""Manual anchors: "this moment in A is this moment in B".

An :class:`Anchor` says that local time ``source_s`` in ``source`` and local
time ``other_s`` in ``other`` are one moment. One anchor between a pair gives
an offset (``t_other = (other_s - source_s) + t_source``, rate not measured);
two or more give offset and rate by weighted least squares. Each anchor's
uncertainty defaults to :data:`DEFAULT_ANCHOR_SIGMA_S` (one frame at 30 fps)
when not given: a person picks frames, and a frame is what they can resolve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from timesync.align.constraints import Constraint

__all__ = ["Anchor", "anchor_constraints", "parse_anchor_time", "DEFAULT_ANCHOR_SIGMA_S"]

#: One sigma (s) of an anchor given without one: one frame at 30 fps.
DEFAULT_ANCHOR_SIGMA_S = 1 / 30


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
    if n >= 2 and sxx > 0 and float(np.ptp(x)) > 0:
        rate = float(np.sum(w * (x - xm) * y) / sxx)
        at_mid = float(np.sum(w * (y - rate * (x - xm))) / np.sum(w))  # t_other at xm
        resid = y - (at_mid + rate * (x - xm))
        chi2 = float(np.sum(w * resid**2)) / max(1, n - 2) if n > 2 else 1.0
        inflate = math.sqrt(max(1.0, chi2))
        sigma = inflate / math.sqrt(float(np.sum(w)))
        rate_unc: float | None = inflate / math.sqrt(sxx)
        if n > 2:
            evidence["max_residual_s"] = float(np.max(np.abs(resid)))
        if rate <= 0:
            raise ValueError(f"anchors between {source} and {other} give a negative rate: check their order")
        offset = at_mid - rate * xm
    else:
        offset = float(np.sum(w * (y - x)) / np.sum(w))
        rate, rate_unc = 1.0, None
        sigma = 1 / math.sqrt(float(np.sum(w)))
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
