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

__all__ = ["MIN_SOURCES", "FULL_SOLVE_SOURCES", "PATH_SIGMA_M", "TEMPERATURE_RANGE_C", "speed_of_sound", "Emission",
           "multilateration_problem", "emission_from_distances", "multilaterate", "locate_sound",
           "distances_from_positions"]

#: Sources with a position and a known clock that must hear a shot to locate it: three
#: with the shooter's height assumed (:func:`timesync.detect.locate.solve_three`).
MIN_SOURCES = 3
#: Sources from which the solve has a residual to check the fit (least squares, chi-square).
FULL_SOLVE_SOURCES = 4
#: One-sigma path-length error (m) of each source in a located shot, three sources or more:
#: the spread of real paths around a straight line at the speed of sound (wind,
#: temperature, sensor and survey positions). Each arrival's sigma is combined with
#: ``PATH_SIGMA_M / c`` for the stated uncertainty of the position and emission (not
#: for the solve's weights: the position is the one the arrival sigmas give). Set on the
#: FP5 live-fire tests (the tuning set): the detected arrivals scatter 17.8 ms rms
#: (6.1 m) around the ranges from the surveyed position. With four or five sources the
#: chi-square of the fit has one or two degrees of freedom and cannot measure it.
PATH_SIGMA_M = 5.0
#: Air temperatures (°C) the speed-of-sound formula is used for.
TEMPERATURE_RANGE_C = (-40.0, 60.0)


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
    shooter_uncertainty_m : float or None
        Its one-sigma horizontal uncertainty, metres.
    note : str or None
        How the shooter was located when it needed an assumption (three sources: the height).
    """

    shared_s: float
    uncertainty_s: float
    residuals_s: dict[str, float]
    shooter: tuple[float, ...] | None = None
    shooter_uncertainty_m: float | None = None
    note: str | None = None


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


def multilateration_problem(arrivals: Mapping[str, float], positions: Mapping[str, Sequence[float]]) -> str | None:
    """Why a shot heard at ``arrivals`` cannot be located, or ``None`` when it can."""
    have = [n for n in arrivals if n in positions]
    if len(have) < MIN_SOURCES:
        return (f"not located: {len(have)} source(s) with a position and a known clock heard it, "
                f"multilateration needs {MIN_SOURCES} (with the shooter's height assumed)")
    return None


def locate_sound(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    positions: Mapping[str, Sequence[float]],
    c: float,
) -> tuple[Emission | None, str | None]:
    """The located emission, or ``None`` and the reason (one sentence) there is none.

    Three sources with positions: the exact fit of
    :func:`timesync.detect.locate.solve_three` (height assumed, mirror
    solutions and sources in a line refused). Four or more: the least-squares
    solve of :func:`multilaterate`. Arguments as for :func:`multilaterate`.
    """
    problem = multilateration_problem(arrivals, positions)
    if problem is not None:
        return None, problem
    have = [n for n in arrivals if n in positions]
    if len(have) >= FULL_SOLVE_SOURCES:
        em = _full_solve(arrivals, sigmas, positions, c)
        return em, None if em is not None else "not located: the least-squares solve failed"
    from timesync.detect.locate import solve_three

    fix = solve_three(arrivals, sigmas, positions, c)
    if fix.shooter is None or fix.emission_s is None:
        return None, fix.reason
    d = distances_from_positions({n: positions[n] for n in have}, fix.shooter)
    resid = {n: float(arrivals[n] - d[n] / c - fix.emission_s) for n in have}
    return Emission(fix.emission_s, float(fix.uncertainty_s), resid, fix.shooter,
                    fix.position_uncertainty_m, fix.note), None


def multilaterate(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    positions: Mapping[str, Sequence[float]],
    c: float,
) -> Emission | None:
    """Shooter position and emission time from arrival times at known positions (TDOA).

    :func:`locate_sound` without the reason: ``None`` when the shot cannot be
    located (three sources: see :func:`timesync.detect.locate.solve_three`).
    """
    return locate_sound(arrivals, sigmas, positions, c)[0]


def _full_solve(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    positions: Mapping[str, Sequence[float]],
    c: float,
) -> Emission | None:
    """Shooter position and emission time from four or more arrivals (least squares).

    Solves ``t_a,i = t_e + |p_i - s| / c`` for the shooter ``s`` and ``t_e`` by
    weighted least squares (weights ``1 / sigma**2``). The shooter is solved in
    the horizontal plane (x, y); when the positions have a height, the
    shooter's is taken as the sources' mean height. Needs
    :data:`FULL_SOLVE_SOURCES` (4) sources with positions: one more than the
    three unknowns, so the residuals check the fit. Returns ``None`` when the
    solve fails.

    The uncertainties come from the Jacobian at the solution,
    ``cov = (J^T W J)^-1`` with each arrival's sigma combined with
    :data:`PATH_SIGMA_M` / c (as in the three-source fix), scaled up by the
    reduced chi-square when it is above 1: ``uncertainty_s`` is the emission
    time's sigma, ``shooter_uncertainty_m`` the horizontal position's
    (``sqrt(var_x + var_y)``). The weights of the solve are the arrival sigmas
    alone.
    """
    from scipy.optimize import least_squares

    names = [n for n in arrivals if n in positions]
    if len(names) < FULL_SOLVE_SOURCES:
        return None
    p = np.array([tuple(positions[n])[:2] for n in names], dtype=float)
    heights = [tuple(positions[n])[2] for n in names if len(positions[n]) > 2]
    z0 = float(np.mean(heights)) if heights else None
    dz = np.array([(tuple(positions[n])[2] - z0) if len(positions[n]) > 2 and z0 is not None else 0.0
                   for n in names])
    t = np.array([arrivals[n] for n in names])
    sig = np.array([max(sigmas.get(n, 1e-3), 1e-5) for n in names])
    t_ref = float(t.min())

    def resid(v: np.ndarray) -> np.ndarray:
        d = np.sqrt(np.sum((p - v[:2]) ** 2, axis=1) + dz**2)
        return (t - t_ref - v[2] - d / c) / sig

    start = np.append(p[int(np.argmin(t))] + 0.01, -float(np.min(np.abs(dz)) if dz.size else 0.0) / c)
    try:
        sol = least_squares(resid, start, method="lm")
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not sol.success or not np.all(np.isfinite(sol.x)):
        return None
    cov = _stated_covariance(sol.jac, sol.fun, sig, PATH_SIGMA_M / c, len(names) - 3)
    if cov is None:
        return None
    shooter = sol.x[:2]
    d = np.sqrt(np.sum((p - shooter) ** 2, axis=1) + dz**2)
    t_e = t_ref + float(sol.x[2])
    est = t - d / c
    where = tuple(float(v) for v in shooter) + ((z0,) if z0 is not None else ())
    return Emission(
        t_e,
        float(math.sqrt(max(cov[2, 2], 0.0))),
        {n: float(e - t_e) for n, e in zip(names, est, strict=True)},
        where,
        float(math.sqrt(max(cov[0, 0] + cov[1, 1], 0.0))),
    )


def _stated_covariance(jac: np.ndarray, fun: np.ndarray, sig: np.ndarray, path_s: float,
                       dof: int) -> np.ndarray | None:
    """Covariance of ``(x, y, t_e)`` (m, m, s) at a least-squares solution.

    ``jac`` and ``fun`` are the Jacobian and residuals of the solve, whose rows are
    divided by the arrival sigmas ``sig`` (s); each row is divided instead by
    ``hypot(sig, path_s)`` (``path_s``: the path error in seconds), and the
    covariance ``(J^T J)^-1`` is scaled by the reduced chi-square of those residuals
    when it is above 1 (``dof`` degrees of freedom). ``None`` when singular.
    """
    scale = (sig / np.hypot(sig, path_s))[:, None]
    j = jac * scale
    chi2 = float(np.sum((fun * scale[:, 0]) ** 2))
    try:
        return np.linalg.inv(j.T @ j) * max(1.0, chi2 / max(dof, 1))
    except np.linalg.LinAlgError:
        return None
