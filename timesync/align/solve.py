"""The global solve: every source's clock from all pair constraints at once.

Unknowns: for each source ``i`` other than the reference, ``(o_i, r_i)`` with
``shared = o_i + r_i * t_i`` (the reference is ``o = 0, r = 1``). A constraint
``t_other = o_c + r_c * t_source`` measured at ``t_source = a`` says that the
moment ``(a, b = o_c + r_c * a)`` is one shared time::

    o_source + r_source * a  -  o_other - r_other * b  =  0      (sigma: uncertainty_s)

and, when it measured a rate, ``r_source - r_c * r_other = 0`` (sigma:
``rate_uncertainty``). Both are linear in the unknowns, so one weighted linear
least-squares solve (weights ``1 / sigma**2``) places every source that is
connected to the reference through any chain of constraints, of any kind. A
weak prior ``r = 1 +- RATE_PRIOR_SIGMA`` keeps the rate of a source that no
constraint measures defined (its offset uncertainty then grows with time).

Constraints that contradict the rest (a cycle residual above
:data:`OUTLIER_SIGMAS`) are dropped one at a time (the one whose removal best
restores consistency; between equals, the weakest kind) and reported.
Constraints of different kinds on the same pair that disagree by more than
:data:`DISAGREE_SIGMAS` are reported as disagreements, whatever the solve keeps.

Sound travel. An audio constraint matches arrivals, not moments: it may be off
by up to its ``travel_bound_s``. That bound is carried through the same linear
solve (each source's offset is a linear function of the constraint offsets, so
its error is at most ``sum_k |d offset / d offset_k| * bound_k``, taken at the
worst time of the recording) and reported per source in
:attr:`Solution.travel_bounds`, apart from the acoustic sigma in the ClockMap,
which is unchanged. A rate measured on heard events (``evidence["rate_per_travel_s"]``, s/s per
second of travel) is moved by travel too: its rate row carries ``travel_bound_s`` times that, at
most ``evidence["rate_travel_most"]`` (a rate that far off would not have been taken).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from timesync.align.constraints import KINDS, Constraint
from timesync.align.device_clocks import (
    DEVICE_CLOCK_KINDS,
    content_chi2,
    describe_duration,
    mark_clock_only,
)
from timesync.clock import ClockMap

__all__ = ["Solution", "solve", "OUTLIER_SIGMAS", "DISAGREE_SIGMAS", "RATE_PRIOR_SIGMA"]

#: A constraint whose normalised residual exceeds this (in its own sigmas) in
#: an over-determined graph contradicts the others and is dropped.
OUTLIER_SIGMAS = 5.0
#: Two constraints of different kinds on the same pair that differ by more
#: than this many combined sigmas are reported as a disagreement.
DISAGREE_SIGMAS = 3.0
#: One sigma of the prior ``rate = 1`` given to every source (100 ppm): it only
#: matters for sources whose rate no constraint measures.
RATE_PRIOR_SIGMA = 1e-4


@dataclass
class Solution:
    """The solve's answer.

    Attributes
    ----------
    reference : str
        The source whose local time is the shared clock.
    clocks : dict[str, ClockMap]
        Placed sources (the reference included, as identity).
    placed_by : dict[str, list[Constraint]]
        For each placed source, the kept constraints that touch it.
    unplaced : dict[str, str]
        Sources not connected to the reference, with the reason.
    used : list[Constraint]
        Every constraint kept in the solve.
    dropped : list[dict]
        Constraints removed as contradictory, ``{"constraint", "residual_sigmas", "reason"}``.
    disagreements : list[dict]
        Disagreements between kinds of evidence (kept or not), JSON-able.
    travel_bounds : dict[str, float]
        Per placed source, the largest error (s) of its clock that the
        constraints' sound-travel bounds allow (0 when none has one). A bound,
        not a sigma: it is not in ``ClockMap.uncertainty_s``.
    chi2, dof : float, int
        Weighted residual sum of squares and degrees of freedom of the final solve.
    """

    reference: str
    clocks: dict[str, ClockMap] = field(default_factory=dict)
    placed_by: dict[str, list[Constraint]] = field(default_factory=dict)
    unplaced: dict[str, str] = field(default_factory=dict)
    used: list[Constraint] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    chi2: float = 0.0
    dof: int = 0
    travel_bounds: dict[str, float] = field(default_factory=dict)
    #: Placed sources linked to the reference by device clocks only (overlay,
    #: metadata): their uncertainty is at least the prior, their method says so
    #: (:mod:`timesync.align.device_clocks`).
    clock_only: list[str] = field(default_factory=list)


def _component(reference: str, constraints: Iterable[Constraint]) -> set[str]:
    adj: dict[str, set[str]] = {}
    for c in constraints:
        adj.setdefault(c.source, set()).add(c.other)
        adj.setdefault(c.other, set()).add(c.source)
    seen, todo = {reference}, [reference]
    while todo:
        for nxt in adj.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@dataclass
class _System:
    index: dict[str, int]
    rows: list[np.ndarray]
    rhs: list[float]
    sigma: list[float]
    owner: list[int]  # constraint number of each row, -1 for priors


def _build(reference: str, names: Sequence[str], constraints: Sequence[Constraint]) -> _System:
    index = {n: i for i, n in enumerate(x for x in names if x != reference)}
    n = 2 * len(index)
    sys_ = _System(index, [], [], [], [])

    def add(terms: list[tuple[str, str, float]], const: float, sigma: float, owner: int) -> None:
        row = np.zeros(n)
        rhs = -const
        for name, which, coef in terms:
            if name == reference:
                rhs -= coef * (0.0 if which == "o" else 1.0)
            else:
                row[2 * index[name] + (0 if which == "o" else 1)] += coef
        sys_.rows.append(row)
        sys_.rhs.append(rhs)
        sys_.sigma.append(sigma)
        sys_.owner.append(owner)

    for k, c in enumerate(constraints):
        a = c.at_source_s
        b = c.to_other(a)
        add(
            [(c.source, "o", 1.0), (c.source, "r", a), (c.other, "o", -1.0), (c.other, "r", -b)],
            0.0,
            c.uncertainty_s,
            k,
        )
        if c.rate_uncertainty is not None and c.rate_uncertainty > 0:
            add([(c.source, "r", 1.0), (c.other, "r", -c.rate)], 0.0, c.rate_uncertainty, k)
    for name in index:
        add([(name, "r", 1.0)], -1.0, RATE_PRIOR_SIGMA, -1)
    return sys_


def _lstsq(sys_: _System):
    a = np.array(sys_.rows)
    y = np.array(sys_.rhs)
    w = 1.0 / np.array(sys_.sigma)
    aw, yw = a * w[:, None], y * w
    # scale columns so offsets (s) and rates (~1) are equally conditioned
    scale = np.maximum(np.sqrt((aw**2).sum(axis=0)), 1e-300)
    x_s, *_ = np.linalg.lstsq(aw / scale, yw, rcond=None)
    x = x_s / scale
    norm_res = aw @ x - yw
    cov = np.linalg.pinv((aw / scale).T @ (aw / scale)) / np.outer(scale, scale)
    return x, cov, norm_res


def _worst_by_constraint(sys_: _System, norm_res: np.ndarray, count: int) -> np.ndarray:
    worst = np.zeros(count)
    for r, k in zip(norm_res, sys_.owner, strict=True):
        if k >= 0:
            worst[k] = max(worst[k], abs(r))
    return worst


def _weakness(c: Constraint) -> tuple[int, float, float]:
    return (KINDS.index(c.kind), c.uncertainty_s, -c.score)


def _pick_outlier(
    reference: str, names: Sequence[str], kept: list[Constraint], worst: np.ndarray
) -> int | None:
    placed = _component(reference, kept)
    best: tuple[float, tuple, int] | None = None
    for k in np.flatnonzero(worst > 2.0):
        rest = kept[:k] + kept[k + 1 :]
        if _component(reference, rest) != placed:
            continue  # a bridge: nothing contradicts it
        sys_ = _build(reference, [n for n in names if n in placed], rest)
        _, _, res = _lstsq(sys_)
        after = float(_worst_by_constraint(sys_, res, len(rest)).max(initial=0.0))
        key = (round(after, 1), tuple(-v for v in _weakness(kept[k])))
        if best is None or key < best[:2]:
            best = (key[0], key[1], int(k))
    return None if best is None else best[2]


def _disagreements(constraints: Sequence[Constraint]) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(constraints):
        for d in constraints[i + 1 :]:
            if c.kind == d.kind:
                continue
            if {c.source, c.other} != {d.source, d.other}:
                continue
            dd = d if d.source == c.source else d.reversed()
            # compare both at c's measuring point
            diff = dd.to_other(c.at_source_s) - c.to_other(c.at_source_s)
            sig = math.hypot(c.uncertainty_s, dd.uncertainty_s)
            if abs(diff) > DISAGREE_SIGMAS * sig:
                out.append(
                    {
                        "sources": [c.source, c.other],
                        "kinds": [c.kind, d.kind],
                        "difference_s": diff,
                        "sigmas": abs(diff) / sig,
                        "note": f"{d.kind} and {c.kind} evidence differ by {_amount(diff)} "
                        f"({abs(diff) / sig:.1f} sigma) between {c.source} and {c.other}",
                    }
                )
    return out


def _travel_bounds(sys_: _System, active: Sequence[Constraint], times: Mapping[str, list[float]]) -> dict[str, float]:
    """Per source, ``max_t sum_k |d shared(t) / d offset_k| * travel_bound_k`` (s), by linear propagation."""
    rows = {k: r for r, k in reversed(list(enumerate(sys_.owner))) if k >= 0}
    bounded = [(rows[k], c.travel_bound_s) for k, c in enumerate(active) if c.travel_bound_s > 0 and k in rows]
    # a rate measured on heard events moves by up to evidence["rate_per_travel_s"] per second of travel
    rate_rows = {k: r for r, k in enumerate(sys_.owner) if k >= 0 and r != rows[k]}
    bounded += [(rate_rows[k], min(c.travel_bound_s * float(c.evidence.get("rate_per_travel_s", 0.0)),
                                   float(c.evidence.get("rate_travel_most", math.inf))))
                for k, c in enumerate(active) if c.travel_bound_s > 0 and k in rate_rows]
    out = {name: 0.0 for name in sys_.index}
    if not bounded:
        return out
    a = np.array(sys_.rows)
    w = 1.0 / np.array(sys_.sigma)
    aw = a * w[:, None]
    scale = np.maximum(np.sqrt((aw**2).sum(axis=0)), 1e-300)
    gain = (np.linalg.pinv(aw / scale) * w[None, :]) / scale[:, None]  # d x / d rhs
    cols = np.array([r for r, _ in bounded])
    bounds = np.array([b for _, b in bounded])
    for name, i in sys_.index.items():
        go, gr = gain[2 * i, cols], gain[2 * i + 1, cols]
        out[name] = max(float(np.sum(np.abs(go + t * gr) * bounds)) for t in times.get(name, [0.0]))
    return out


def _amount(diff: float) -> str:
    """A difference (s) in ms, or in h/min/s from a minute up (device clocks an hour apart)."""
    return f"{diff * 1e3:.1f} ms" if abs(diff) < 60 else ("-" if diff < 0 else "+") + describe_duration(diff)


def _source_uncertainty(cov: np.ndarray, i: int, times: Iterable[float]) -> float:
    voo, vrr, vor = cov[2 * i, 2 * i], cov[2 * i + 1, 2 * i + 1], cov[2 * i, 2 * i + 1]
    return max(math.sqrt(max(voo + t * t * vrr + 2 * t * vor, 0.0)) for t in times)


def solve(
    names: Sequence[str],
    constraints: Sequence[Constraint],
    reference: str,
    *,
    durations: Mapping[str, float] | None = None,
) -> Solution:
    """Place every source connected to ``reference`` (see module docstring).

    Parameters
    ----------
    names : sequence of str
        All sources (as named in the constraints).
    constraints : sequence of Constraint
        Evidence of any kind; constraints naming unknown sources are ignored.
    reference : str
        The source whose local time is the shared clock.
    durations : mapping, optional
        Duration (s) of each source; a source's ``uncertainty_s`` is the largest
        one-sigma error of its ``to_shared`` over ``[0, duration]``.
    """
    known = set(names)
    kept = [
        c for c in constraints if c.source in known and c.other in known and c.source != c.other
    ]
    sol = Solution(reference=reference, disagreements=_disagreements(kept))
    _drop_outliers(sol, names, kept, reference)
    sol.clocks[reference] = ClockMap(0.0, 1.0, 0.0, "reference")
    sol.placed_by[reference] = []
    sol.travel_bounds[reference] = 0.0
    placed = _component(reference, kept)
    active = [c for c in kept if c.source in placed]
    sol.used = active
    if len(placed) >= 2:
        _place(sol, [n for n in names if n in placed], active, reference, durations or {})
    mark_clock_only(sol, active)
    for name in names:
        if name not in sol.clocks:
            sol.unplaced[name] = "no evidence links it to the reference"
    return sol


def _drop_outliers(sol: Solution, names: Sequence[str], kept: list[Constraint], reference: str) -> None:
    """Take the worst outlier off ``kept`` (into ``sol.dropped``) until every residual of the
    sources connected to ``reference`` is within :data:`OUTLIER_SIGMAS`."""
    while True:
        placed = _component(reference, kept)
        sub = [n for n in names if n in placed]
        active = [c for c in kept if c.source in placed]
        if len(sub) < 2:
            return
        sys_ = _build(reference, sub, active)
        _x, _cov, res = _lstsq(sys_)
        worst = _worst_by_constraint(sys_, res, len(active))
        if worst.max(initial=0.0) <= OUTLIER_SIGMAS:
            return
        k = _pick_outlier(reference, sub, active, worst)
        if k is None:
            return
        bad = active[k]
        sol.dropped.append(
            {
                "constraint": bad.to_dict(),
                "residual_sigmas": float(worst[k]),
                "reason": f"contradicts the other constraints ({worst[k]:.1f} sigma off)",
            }
        )
        kept.remove(bad)


def _place(sol: Solution, sub: list[str], active: list[Constraint], reference: str,
           durations: Mapping[str, float]) -> None:
    """Solve ``active`` for the sources ``sub`` (the reference's component, at least two) into
    ``sol``: clocks with their uncertainties (s), placed_by, fit figures, travel bounds and the
    constraints kept although they disagree by more than :data:`DISAGREE_SIGMAS`."""
    sys_ = _build(reference, sub, active)
    x, cov, res = _lstsq(sys_)
    ncon = sum(1 for k in sys_.owner if k >= 0)
    all_times: dict[str, list[float]] = {}
    sol.chi2 = float(np.sum(res**2))
    sol.dof = max(len(sys_.rows) - x.size, 0)
    # a device clock's error is a finding, not measurement noise: it does not inflate content sigmas
    chi2, dof = content_chi2(res, [active[k] if k >= 0 else None for k in sys_.owner], sol.dof)
    inflate = math.sqrt(chi2 / dof) if dof > 0 and ncon > x.size // 2 else 1.0
    inflate = max(inflate, 1.0)
    for name, i in sys_.index.items():
        mine = [c for c in active if name in (c.source, c.other)]
        times = [0.0, durations.get(name, 0.0)]
        times += [  # where device clocks say they measured can be hours outside the recording
            c.at_source_s if c.source == name else c.to_other(c.at_source_s)
            for c in mine if c.kind not in DEVICE_CLOCK_KINDS
        ]
        all_times[name] = times
        unc = _source_uncertainty(cov, i, times) * inflate
        kinds = sorted({c.kind for c in mine}, key=KINDS.index)
        sol.clocks[name] = ClockMap(float(x[2 * i]), float(x[2 * i + 1]), unc, "+".join(kinds))
        sol.placed_by[name] = mine
    sol.travel_bounds.update(_travel_bounds(sys_, active, all_times))
    for k, v in enumerate(_worst_by_constraint(sys_, res, len(active))):
        if v > DISAGREE_SIGMAS:
            c = active[k]
            sol.disagreements.append(
                {
                    "sources": [c.source, c.other],
                    "kinds": [c.kind],
                    "sigmas": float(v),
                    "note": f"{c.kind} constraint {c.source} -> {c.other} is {v:.1f} sigma "
                    "from the joint solution (kept)",
                }
            )
