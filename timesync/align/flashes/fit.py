"""The least-squares fit over matched events: offset, flash duration and, over minutes, the clock rate.

Used by :mod:`timesync.align.flashes.pattern` (which re-exports
:class:`MatchedFit` and :func:`fit_matched`). Each matched pair obeys::

    t_b - L r_b  =  offset + rate * (t_a - L r_a)

(``t`` an event's frame boundary, ``r`` its split ratio, ``L`` the flash
duration; for an audio impulse ``r = 0``). Two device clocks run at rates a
few to ~150 ppm apart: over a minute that moves an onset by a few ms, within
one event's doubt, so ``rate`` is held at 1; over tens of minutes it moves
them by tens to hundreds of ms, and the pairs measure it.

The rule (:data:`MIN_RATE_PAIRS`, :data:`RATE_MEASURED_SIGMA`): the rate is
fitted jointly with the offset (weighted least squares, the per-event sigmas
of the offset fit) when at least :data:`MIN_RATE_PAIRS` pairs agree and the
rate's one sigma from that fit (inflated by the residuals' chi-square and a
Student-t factor for few pairs, plus the systematic term of an unfitted flash
duration) is at most :data:`RATE_MEASURED_SIGMA`: then it says more than the
solver's own prior (:data:`timesync.align.solve.RATE_PRIOR_SIGMA`, 100 ppm),
which otherwise takes over. A fitted rate more than :data:`MAX_RATE_DEVIATION`
from 1 is no clock (mispaired events): the rate is then held at 1, as for a
short match. The offset is then stated at ``at_a_s``, the time where its
error and the rate's are uncorrelated (the solver takes them as independent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from timesync.clock import ClockMap

__all__ = ["MatchedFit", "fit_matched", "slope_gain", "rate_evidence", "MIN_RATE_PAIRS", "RATE_MEASURED_SIGMA",
           "MAX_RATE_DEVIATION"]

#: Pairs needed before a rate is fitted (two unknowns, plus the residuals to judge them by).
MIN_RATE_PAIRS = 4
#: The rate is taken only when its one sigma is at most this (s per s): half the solver's
#: prior of 100 ppm, so that the measurement outweighs the prior four times.
RATE_MEASURED_SIGMA = 5e-5
#: A fitted rate farther from 1 than this (s per s) is taken as no clock's (1000 ppm: a
#: crystal is within ~150 ppm, a 29.97 fps camera stamped as 30 fps 1000 ppm).
MAX_RATE_DEVIATION = 1e-3


@dataclass(frozen=True)
class MatchedFit:
    """Least-squares fit over matched events: ``t_b = offset_s + rate * t_a``.

    ``uncertainty_s`` is one sigma of the offset at ``at_a_s`` (seconds of
    ``a``), where it is uncorrelated with the rate's error. ``rate`` is 1.0
    and ``rate_uncertainty`` None unless the pairs measured a rate (see the
    module docstring). ``rate_uncertainty`` includes the systematic terms
    (the flash duration's doubt). ``gap_s``: ``t_b - t_a`` at ``at_a_s``.
    """

    offset_s: float
    uncertainty_s: float
    flash_s: float
    flash_fitted: bool
    at_a_s: float
    residual_rms_s: float
    n: int
    per_flash: bool = False  # made with each flash's own duration (see durations.duration_spread)
    rate: float = 1.0
    rate_uncertainty: float | None = None

    @property
    def gap_s(self) -> float:
        """``t_b - t_a`` (s) at ``at_a_s``: the offset as a rate of 1 would state it there."""
        return float(self.to_b(self.at_a_s)) - self.at_a_s

    def to_b(self, t_a: np.ndarray | float) -> np.ndarray | float:
        """``b``'s time (s) of ``a``'s time ``t_a`` (s) under the fit (through its ClockMap)."""
        return ClockMap(self.offset_s, self.rate).to_shared(t_a)


def slope_gain(t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """How the fitted slope (s per s) of a weighted line through ``(t, y)`` moves per second of each ``y``.

    ``t``: times (s); ``w``: weights (1/s**2). The slope of the weighted
    least-squares line is ``sum(gain * y)``.
    """
    tc = t - float(np.sum(w * t) / np.sum(w))
    sxx = float(np.sum(w * tc**2))
    return w * tc / sxx if sxx > 0 else np.zeros_like(t)


def _student(dof: int) -> float:
    """The one-sigma Student-t factor for ``dof`` degrees of freedom (1 for many)."""
    from scipy import special

    return float(special.stdtrit(dof, 0.8413)) if dof >= 1 else 3.0


def _solve(design: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Weighted least squares: ``(coefficients, covariance inflated by chi2/dof when above 1, chi2/dof, dof)``."""
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    coef = cov @ (design.T @ (w * y))
    dof = max(1, len(y) - design.shape[1])
    chi2 = float(np.sum(w * (y - design @ coef) ** 2)) / dof
    return coef, cov * max(1.0, chi2), chi2, dof


def _rate_fit(t_a: np.ndarray, y: np.ndarray, dr: np.ndarray, w: np.ndarray, flash: float, fitted: bool,
              flash_guess_s: float, flash_max_s: float) -> tuple[float, float, float, float, float, float] | None:
    """The joint fit with a rate: ``(offset at at_a (t_b - t_a), rate - 1, sigma, rate sigma, at_a, L)``, or
    None when the rule of the module docstring does not take the rate (or the flash duration fitted with
    it is not one the events allow)."""
    n = len(y)
    if n < MIN_RATE_PAIRS or float(np.ptp(t_a)) <= 0:
        return None
    tm = float(np.sum(w * t_a) / np.sum(w))
    if fitted:
        design = np.column_stack([np.ones(n), dr, t_a - tm])
        if np.linalg.matrix_rank(design) < 3:
            return None
        coef, cov, _chi2, dof = _solve(design, y, w)
        c_o, c_s = 0, 2
        sys_rate = 0.0
        flash = float(coef[1])
        if not 0 < flash < min(0.2, flash_max_s):
            return None
    else:
        design = np.column_stack([np.ones(n), t_a - tm])
        coef, cov, _chi2, dof = _solve(design, y - flash * dr, w)
        c_o, c_s = 0, 1
        # the unknown flash duration, half the guess either way, moves each pair by dr times that
        sys_rate = 0.5 * flash_guess_s * abs(float(np.sum(slope_gain(t_a, w) * dr)))
    student = _student(dof)
    var_s = float(cov[c_s, c_s])
    slope = float(coef[c_s])
    spread = _jackknife(design, y if fitted else y - flash * dr, w, c_s)
    rate_sigma = math.hypot(student * max(math.sqrt(var_s), spread), sys_rate)
    if rate_sigma > RATE_MEASURED_SIGMA or abs(slope) > MAX_RATE_DEVIATION or var_s <= 0:
        return None
    # the time where the offset's error and the slope's decorrelate
    shift = -float(cov[c_o, c_s]) / var_s
    at = tm + shift
    gap = float(coef[c_o]) + slope * shift
    sigma = student * math.sqrt(max(float(cov[c_o, c_o]) - float(cov[c_o, c_s]) ** 2 / var_s, 0.0))
    return gap, slope, sigma, rate_sigma, at, flash


def _jackknife(design: np.ndarray, y: np.ndarray, w: np.ndarray, col: int) -> float:
    """The jackknife's one sigma of coefficient ``col`` (each pair left out in turn): a few pairs that
    the model does not fit (flashes of other durations than the one fitted) show here even when
    the chi-square of so few residuals happens to be small; 0 when too few pairs to leave one out,
    inf when leaving one out leaves a coefficient undetermined."""
    n, k = design.shape
    if n <= k + 1:
        return 0.0
    values = []
    for i in range(n):
        keep = np.arange(n) != i
        d, wk = design[keep], w[keep]
        try:
            values.append(float(np.linalg.solve(d.T @ (d * wk[:, None]), d.T @ (wk * y[keep]))[col]))
        except np.linalg.LinAlgError:
            return math.inf  # one pair alone sets a coefficient: nothing to judge it by
    v = np.array(values)
    return math.sqrt((n - 1) / n * float(np.sum((v - v.mean()) ** 2)))


def fit_matched(t_a: np.ndarray, r_a: np.ndarray, s_a: np.ndarray,
                t_b: np.ndarray, r_b: np.ndarray, s_b: np.ndarray, *, flash_guess_s: float,
                flash_max_s: float = 0.2, fit_rate: bool = True) -> MatchedFit:
    """Offset, flash duration ``L`` and (over minutes) rate from matched events.

    Each matched pair obeys ``t_b - L r_b = offset + rate (t_a - L r_a)``
    (for an audio impulse ``r = 0`` and ``t`` its onset). ``L`` is fitted
    when the ratios differ enough, else held at ``flash_guess_s``; the rate
    is fitted by the rule of the module docstring (only if ``fit_rate``).

    Parameters
    ----------
    t_a, r_a, s_a, t_b, r_b, s_b : arrays
        Boundary times (s), ratios and one-sigma uncertainties (s) of the matched events.
    flash_guess_s : the flash duration used when it cannot be fitted (s).
    flash_max_s : the longest flash the events allow (s): a fitted duration beyond it is not taken.
    fit_rate : False holds the rate at 1 whatever the pairs span.
    """
    y = t_b - t_a
    dr = r_b - r_a
    sig = np.sqrt(s_a**2 + s_b**2) + 1e-5
    w = 1 / sig**2
    n = len(y)
    fitted = n >= 4 and float(np.std(dr)) > 0.12
    if fitted:
        design = np.column_stack([np.ones(n), dr])
        cov = np.linalg.inv(design.T @ (design * w[:, None]))
        off, flash = cov @ (design.T @ (w * y))
        if not 0 < flash < min(0.2, flash_max_s):
            fitted = False
    if not fitted:
        flash = flash_guess_s
        off = float(np.sum(w * (y - flash * dr)) / np.sum(w))
        cov = np.array([[1 / np.sum(w)]])
    drift = _rate_fit(t_a, y, dr, w, float(flash), fitted, flash_guess_s, flash_max_s) if fit_rate else None
    if drift is not None:
        gap, slope, sigma, rate_sigma, at_a, flash = drift
        resid = y - gap - slope * (t_a - at_a) - flash * dr
        if not fitted:
            sigma = math.hypot(sigma, 0.5 * flash_guess_s * abs(float(np.sum(w * dr) / np.sum(w))))
        return MatchedFit(offset_s=gap - slope * at_a, uncertainty_s=max(sigma, 1e-4), flash_s=float(flash),
                          flash_fitted=fitted, at_a_s=at_a, residual_rms_s=float(np.sqrt(np.mean(resid**2))),
                          n=n, rate=1.0 + slope, rate_uncertainty=rate_sigma)
    resid = y - off - flash * dr
    dof = max(1, n - (2 if fitted else 1))
    chi2 = float(np.sum(w * resid**2)) / dof
    sigma = math.sqrt(float(cov[0, 0]) * max(1.0, chi2))
    if not fitted:  # the unknown flash duration: half the guess either way
        sigma = math.hypot(sigma, 0.5 * flash_guess_s * abs(float(np.mean(dr))))
    # at the weighted centre of the events the offset and L decorrelate; report there
    at_a = float(np.sum(w * t_a) / np.sum(w))
    return MatchedFit(offset_s=float(off), uncertainty_s=max(sigma, 1e-4), flash_s=float(flash),
                      flash_fitted=fitted, at_a_s=at_a, residual_rms_s=float(np.sqrt(np.mean(resid**2))), n=n)


def rate_evidence(fit: MatchedFit, t_a: np.ndarray | None = None, w: np.ndarray | None = None) \
        -> dict[str, float | bool]:
    """The rate part of a constraint's evidence: when a rate was fitted, ``rate_fitted`` and the drift
    and its one sigma (ppm); nothing otherwise.

    With the pairs' times ``t_a`` (s) and weights ``w`` (1/s**2) of a match on heard events, also
    ``rate_per_travel_s``: the most the fitted rate moves (s/s) per second of sound travel when each
    event's travel lies anywhere between 0 and that (``sum |gain| / 2``: the slope's gains sum to 0),
    which the solver multiplies by the constraint's ``travel_bound_s``
    (:func:`timesync.align.solve.solve`, ``Solution.travel_bounds``), and ``rate_travel_most``, the
    most that can be (s/s).
    """
    if fit.rate_uncertainty is None:
        return {}
    out: dict[str, float | bool] = {"rate_fitted": True, "drift_ppm": round((fit.rate - 1.0) * 1e6, 3),
                                    "drift_sigma_ppm": round(fit.rate_uncertainty * 1e6, 3)}
    if t_a is not None and w is not None:
        out["rate_per_travel_s"] = float(np.sum(np.abs(slope_gain(t_a, w)))) / 2
        # a fitted rate is within MAX_RATE_DEVIATION of 1, a clock's within 200 ppm: so is its error
        out["rate_travel_most"] = MAX_RATE_DEVIATION + 2e-4
    return out
