"""Sound travel: the speed of sound, emission time from arrivals, multilateration.

Times are shared-clock seconds, distances metres, positions ``(x, y[, z])`` in
metres in any one Cartesian frame. A sound emitted at ``t_e`` from the shooter
reaches a microphone at distance ``d`` at ``t_a = t_e + d / c``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["speed_of_sound", "Emission", "emission_from_distances", "multilaterate", "distances_from_positions"]


def speed_of_sound(temperature_c: float = 20.0) -> float:
    """Speed of sound in dry air, m/s: ``331.3 * sqrt(1 + T / 273.15)`` (343.2 m/s at 20 °C)."""
    if not temperature_c > -273.15:
        raise ValueError(f"temperature must be above absolute zero, got {temperature_c!r} °C")
    return 331.3 * math.sqrt(1.0 + temperature_c / 273.15)


@dataclass(frozen=True)
class Emission:
    """The estimated emission of one sound.

    Attributes
    ----------
    shared_s : float
        Emission time, shared-clock seconds.
    uncertainty_s : float
        One sigma, seconds (from the arrival uncertainties, and the scatter of
        the per-source estimates when it is larger).
    residuals_s : dict
        Per source, its emission estimate minus ``shared_s`` (seconds): the
        TDOA check. Near zero when arrivals, clocks and positions agree.
    shooter : tuple or None
        The multilaterated shooter position (m), when it was solved for.
    """

    shared_s: float
    uncertainty_s: float
    residuals_s: dict[str, float]
    shooter: tuple[float, ...] | None = None


def distances_from_positions(
    positions: Mapping[str, Sequence[float]], shooter: Sequence[float]
) -> dict[str, float]:
    """Distance in metres from ``shooter`` to each position.

    When the shooter is given in 2-D and a position in 3-D (or the reverse),
    only the common coordinates are used.
    """
    out = {}
    for name, pos in positions.items():
        n = min(len(pos), len(shooter))
        out[name] = float(math.dist(tuple(pos)[:n], tuple(shooter)[:n]))
    return out


def emission_from_distances(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    distances_m: Mapping[str, float],
    c: float,
) -> Emission:
    """Weighted least-squares emission time from arrivals at known distances.

    Each source gives ``t_e = t_a - d / c``; they are combined with weights
    ``1 / sigma**2``. Sources without a distance are left out (and must not be
    passed alone: at least one source needs a distance).
    """
    names = [n for n in arrivals if n in distances_m]
    if not names:
        raise ValueError("no source with both an arrival and a distance")
    est = np.array([arrivals[n] - distances_m[n] / c for n in names])
    sig = np.array([max(sigmas.get(n, 1e-3), 1e-5) for n in names])
    w = 1.0 / sig**2
    t_e = float(np.sum(w * est) / np.sum(w))
    formal = float(1.0 / math.sqrt(np.sum(w)))
    resid = est - t_e
    scatter = float(np.sqrt(np.sum(w * resid**2) / np.sum(w) / max(len(names) - 1, 1))) if len(names) > 1 else 0.0
    return Emission(t_e, max(formal, scatter), {n: float(r) for n, r in zip(names, resid, strict=True)})


def multilaterate(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    positions: Mapping[str, Sequence[float]],
    c: float,
) -> Emission | None:
    """Shooter position and emission time from arrival times at known positions (TDOA).

    Solves ``t_a,i = t_e + |p_i - s| / c`` for the shooter ``s`` (as many
    coordinates as the positions have) and ``t_e`` by weighted least squares.
    Needs at least dimensions + 1 sources with positions (3 in the plane);
    returns ``None`` with fewer or when the solve fails. With exactly
    dimensions + 1 sources the residuals are zero by construction (no check).
    """
    from scipy.optimize import least_squares

    names = [n for n in arrivals if n in positions]
    if not names:
        return None
    dim = min(len(positions[n]) for n in names)
    if len(names) < dim + 1:
        return None
    p = np.array([tuple(positions[n])[:dim] for n in names], dtype=float)
    t = np.array([arrivals[n] for n in names])
    sig = np.array([max(sigmas.get(n, 1e-3), 1e-5) for n in names])
    t_ref = float(t.min())

    def resid(v: np.ndarray) -> np.ndarray:
        d = np.linalg.norm(p - v[:dim], axis=1)
        return (t - t_ref - v[dim] - d / c) / sig

    start = np.append(p.mean(axis=0), -float(np.mean(np.linalg.norm(p - p.mean(axis=0), axis=1))) / c)
    try:
        sol = least_squares(resid, start, method="lm" if len(names) > dim + 1 else "trf")
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not sol.success:
        return None
    shooter = sol.x[:dim]
    d = np.linalg.norm(p - shooter, axis=1)
    t_e = t_ref + float(sol.x[dim])
    est = t - d / c
    w = 1.0 / sig**2
    formal = float(1.0 / math.sqrt(np.sum(w)))
    return Emission(
        t_e,
        formal,
        {n: float(e - t_e) for n, e in zip(names, est, strict=True)},
        tuple(float(v) for v in shooter),
    )
