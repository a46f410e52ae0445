"""Locating a shot heard by exactly three sources: ``(x, y, t_e)`` with the height assumed.

Three arrival times ``t_i = t_e + |p_i - s| / c`` give three equations for the
three unknowns ``(x, y, t_e)`` once the shooter's height is fixed: the system is
solved exactly, so there is no residual to check the fit, and the uncertainty
comes from the arrival sigmas and the height assumption alone, propagated
through the Jacobian at the solution.

Height assumption (:func:`assumed_height`): the shooter's height is the mean
height of the three sources that heard it (as in the full solve of four or
more), one sigma half their spread (at least :data:`HEIGHT_SIGMA_MIN_M`). A
shooter on the ground below sensors mounted on roofs and poles is often lower
than that mean; the sigma says how far.

Arrival sigmas: each source's sigma is combined with
:data:`timesync.detect.travel.PATH_SIGMA_M` / c, the spread of real paths
around a straight line at the speed of sound (wind, temperature, sensor and
survey positions), as in the least-squares solve of four or more. Three
equations have no residual to measure it, so it is stated: on the FP5
live-fire tests (the tuning set) the detected arrivals scatter 17.8 ms rms
(6.1 m) around the ranges from the surveyed position.

Exact solution (:func:`solve_three`): relative to the earliest source 0 and its
range ``r0``, subtracting the range equations gives the horizontal position as
a line in ``r0``, ``s = u + r0 v``, and then ``|s|^2 + h0^2 = r0^2`` is a
quadratic in ``r0``. Each root with ``r0 >= 0`` is a position that fits the
three arrivals exactly (times, shared-clock seconds; positions, metres); a
root with ``r0 < 0`` is the other branch of the hyperbolas, where the earliest
source would be the farthest (the arrival order reversed), and is dropped.
Two roots with ``r0 >= 0`` are mirror solutions: both fit the arrival order and
times, so the shot is refused as ambiguous and the note says where both are. So is a
layout with the three sources in a line (a mirror image across it always
fits), and arrivals no position fits (a time difference larger than the
layout allows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from timesync.detect.travel import PATH_SIGMA_M

__all__ = ["HEIGHT_SIGMA_MIN_M", "COLLINEAR_RATIO", "Height", "ThreeFix", "assumed_height", "solve_three"]

#: Smallest one-sigma uncertainty (m) of the assumed shooter height.
HEIGHT_SIGMA_MIN_M = 2.0
#: Three sources count as in a line when the triangle's smallest height is below this
#: fraction of its longest side (0.02: about 1 degree off a line).
COLLINEAR_RATIO = 0.02


@dataclass(frozen=True)
class Height:
    """The assumed shooter height (m, the positions' frame) and its one sigma (m); ``None`` in 2-D."""

    z_m: float | None
    sigma_m: float

    def describe(self) -> str:
        """The assumption in words, for the shot's notes."""
        if self.z_m is None:
            return "positions in 2-D: no height"
        return (f"shooter height assumed at {self.z_m:.1f} m (the mean height of the sources that heard "
                f"it), +/- {self.sigma_m:.1f} m one sigma (half their spread, at least "
                f"{HEIGHT_SIGMA_MIN_M:g} m)")


@dataclass(frozen=True)
class ThreeFix:
    """The result of :func:`solve_three`: a position or the reason there is none.

    Attributes
    ----------
    shooter : tuple or None
        ``(x, y[, z])`` metres; ``z`` is the assumed height.
    emission_s : float or None
        Emission time, shared-clock seconds.
    uncertainty_s : float or None
        One sigma of ``emission_s`` (s).
    position_uncertainty_m : float or None
        One-sigma horizontal uncertainty, ``sqrt(var_x + var_y)`` (m).
    reason : str or None
        Why there is no position (``None`` when there is one).
    note : str or None
        How a position was found: the height assumption, and that no residual checks it.
    """

    shooter: tuple[float, ...] | None
    emission_s: float | None
    uncertainty_s: float | None
    position_uncertainty_m: float | None
    reason: str | None = None
    note: str | None = None


def assumed_height(positions: Mapping[str, Sequence[float]]) -> Height:
    """The shooter's assumed height from the heights of ``positions`` (see the module docstring)."""
    z = [float(tuple(p)[2]) for p in positions.values() if len(p) > 2]
    if not z:
        return Height(None, 0.0)
    return Height(float(np.mean(z)), max(HEIGHT_SIGMA_MIN_M, (max(z) - min(z)) / 2.0))


def _collinear(p: np.ndarray) -> bool:
    """True when the three horizontal points ``p`` (3 x 2, m) are (nearly) in a line."""
    sides = [float(np.linalg.norm(p[i] - p[j])) for i, j in ((0, 1), (1, 2), (0, 2))]
    longest = max(sides)
    if longest <= 0.0:
        return True
    a, b = p[1] - p[0], p[2] - p[0]
    area2 = abs(float(a[0] * b[1] - a[1] * b[0]))
    return area2 / longest < COLLINEAR_RATIO * longest


def _roots(p: np.ndarray, h: np.ndarray, d: np.ndarray) -> list[float]:
    """Ranges ``r0 >= 0`` (m) to source 0 that fit exactly; ``p`` relative to source 0.

    ``h`` are the sources' heights above the assumed shooter height, ``d`` the
    range differences ``c (t_i - t_0)`` (m).
    """
    k = np.sum(p**2, axis=1) + h**2
    a = 2.0 * p[1:]
    b = k[1:] - k[0] - d[1:] ** 2
    g = -2.0 * d[1:]
    u, v = np.linalg.solve(a, b), np.linalg.solve(a, g)
    qa, qb, qc = float(v @ v) - 1.0, 2.0 * float(u @ v), float(u @ u) + float(h[0] ** 2)
    if abs(qa) < 1e-12:
        return [-qc / qb] if qb != 0.0 and -qc / qb >= 0.0 else []
    disc = qb * qb - 4.0 * qa * qc
    if disc < 0.0:
        return []
    sq = math.sqrt(disc)
    return sorted(r for r in ((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa)) if r >= 0.0)


def _covariance(p: np.ndarray, h: np.ndarray, s: np.ndarray, c: float,
                sig: np.ndarray, height_sigma_m: float) -> np.ndarray | None:
    """Covariance of ``(x, y, t_e)`` from the arrival sigmas (s) and the height sigma (m)."""
    diff = p - s
    r = np.sqrt(np.sum(diff**2, axis=1) + h**2)
    jac = np.column_stack([-diff[:, 0] / (c * r), -diff[:, 1] / (c * r), np.ones(len(r))])
    try:
        inv = np.linalg.inv(jac)
    except np.linalg.LinAlgError:
        return None
    cov = inv @ np.diag(sig**2) @ inv.T
    dz = inv @ (h / (c * r))  # d(x, y, t_e) / d(shooter height): the residuals move by -h / (c r)
    return cov + height_sigma_m**2 * np.outer(dz, dz)


def solve_three(
    arrivals: Mapping[str, float],
    sigmas: Mapping[str, float],
    positions: Mapping[str, Sequence[float]],
    c: float,
) -> ThreeFix:
    """Locate a sound heard by exactly three sources with positions (see the module docstring).

    ``arrivals`` shared-clock seconds, ``sigmas`` their one sigma (s),
    ``positions`` metres, ``c`` the speed of sound (m/s). The fix's
    uncertainties take each sigma combined with :data:`PATH_SIGMA_M` / c and
    the height assumption's sigma.
    """
    names = sorted((n for n in arrivals if n in positions), key=lambda n: arrivals[n])
    if len(names) != 3:
        return ThreeFix(None, None, None, None, f"not located: {len(names)} source(s), this solve needs 3")
    height = assumed_height({n: positions[n] for n in names})
    xy = np.array([tuple(positions[n])[:2] for n in names], dtype=float)
    if _collinear(xy):
        return ThreeFix(None, None, None, None, "not located: the 3 sources that heard it are in a line, "
                        "so the shot's mirror image across that line fits as well")
    z = [tuple(positions[n])[2] if len(positions[n]) > 2 and height.z_m is not None else None for n in names]
    h = np.array([0.0 if zi is None else float(zi) - height.z_m for zi in z])
    t = np.array([arrivals[n] for n in names])
    p = xy - xy[0]
    roots = _roots(p, h, c * (t - t[0]))
    if not roots:
        return ThreeFix(None, None, None, None, "not located: no position fits the 3 arrivals (a time "
                        "difference is larger than the sources' layout allows)")
    sig = np.array([math.hypot(max(sigmas.get(n, 1e-3), 1e-5), PATH_SIGMA_M / c) for n in names])
    fixes = [_fix(p, h, t, c, sig, height, r0, xy[0]) for r0 in roots]
    if len(fixes) > 1 and all(f.shooter is not None for f in fixes):
        where = " and ".join(f"({f.shooter[0]:.1f}, {f.shooter[1]:.1f})" for f in fixes)
        return ThreeFix(None, None, None, None, f"not located: heard by 3 sources, two mirror positions "
                        f"fit the arrivals exactly: {where} m")
    return fixes[0]


def _fix(p: np.ndarray, h: np.ndarray, t: np.ndarray, c: float, sig: np.ndarray, height: Height,
         r0: float, origin: np.ndarray) -> ThreeFix:
    """The position and emission of root ``r0`` with their uncertainties."""
    d = c * (t - t[0])
    k = np.sum(p**2, axis=1) + h**2
    s = np.linalg.solve(2.0 * p[1:], k[1:] - k[0] - d[1:] ** 2 - 2.0 * d[1:] * r0)
    t_e = float(t[0] - r0 / c)
    cov = _covariance(p, h, s, c, sig, height.sigma_m)
    where = tuple(float(v) for v in s + origin) + (() if height.z_m is None else (height.z_m,))
    note = (f"heard by 3 sources: an exact fit of (x, y, t) with no residual to check it; "
            f"{height.describe()}; uncertainty from the arrival sigmas with {PATH_SIGMA_M:g} m of path "
            f"error each, and the height")
    if cov is None:
        return ThreeFix(None, None, None, None, "not located: the 3 arrivals fit only where two "
                        "mirror positions meet, so the position is not determined")
    return ThreeFix(where, t_e, float(math.sqrt(max(cov[2, 2], 0.0))),
                    float(math.sqrt(max(cov[0, 0] + cov[1, 1], 0.0))), note=note)
