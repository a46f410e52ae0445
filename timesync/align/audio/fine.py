"""Fine stage: GCC-PHAT in short windows at full rate, then a robust offset + rate fit.

Sign convention as in :mod:`timesync.align.audio.coarse`: ``t_a = offset_s + rate * t_b``.

Given a coarse alignment (about 10 ms), windows of ``b`` spread across the
overlap are each compared with a slightly longer stretch of ``a`` around the
predicted position by the generalised cross-correlation with phase transform
(GCC-PHAT), interpolated below one sample (zero-padded inverse FFT, then a
parabola). Each window gives the local offset ``t_a - t_b`` at its centre, a
peak-to-sidelobe ratio and an ambiguity (best peak outside the main lobe over
the best peak). The windows are fitted by iteratively reweighted least squares
(Huber) with a line ``t_a - t_b = a + b * (t_b - t_mean)``; windows off the line
by more than :data:`OUTLIER_SIGMAS` robust sigmas are rejected. The uncertainty
of the offset is the residual scatter over the square root of the number of
windows kept (times a Student-t factor for few windows).

SciPy is imported inside the functions that use it: a process that only hands
the work to worker processes (:mod:`timesync.parallel`) never loads it (0.4 s
of CPU); the workers' fork server preloads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from timesync.clock import ClockMap

__all__ = [
    "Reader",
    "WindowMeasure",
    "FineFit",
    "measure_windows",
    "fit_windows",
    "window_centres",
    "FINE_WINDOW_S",
    "SEARCH_S",
    "WINDOW_MIN_PSR",
    "WINDOW_MAX_AMBIGUITY",
    "OUTLIER_SIGMAS",
]

#: ``reader(start_s, duration_s, sr) -> float32 mono`` with sample 0 at ``start_s``.
Reader = Callable[[float, float, int], np.ndarray]

#: Length of one fine window, seconds.
FINE_WINDOW_S = 2.0
#: Half-width of the lag search around the coarse prediction, seconds.
SEARCH_S = 0.06
#: Most windows used for one pair.
MAX_WINDOWS = 16
#: A window counts only if its GCC-PHAT peak stands this many standard
#: deviations above the mean of the other lags (peak-to-sidelobe ratio).
WINDOW_MIN_PSR = 8.0
#: A window on shared content (its coarse features correlate at the coarse offset by
#: :data:`MIN_CONTENT_Z` or more) counts with this lower peak-to-sidelobe ratio. On the
#: tuning set (even seeds of tests/test_audio_real.py) windows on the true line gave 5
#: to 8 for one impact in wind or music in a reverberant bar, windows off it 2.5 to 4.5;
#: a window off the fitted line is still rejected by the fit.
CONTENT_MIN_PSR = 5.0
#: A window whose second-best peak (outside 1 ms of the best) reaches this
#: fraction of the best is ambiguous (repetitive sound) and is not used.
WINDOW_MAX_AMBIGUITY = 0.8
#: Windows farther than this many robust sigmas from the fitted line are outliers.
OUTLIER_SIGMAS = 4.0
#: The rate is fitted only when the usable windows span at least this (seconds).
MIN_RATE_SPAN_S = 5.0
#: Systematic error of a sub-sample peak (interpolation bias, resampling), in
#: samples at the fine rate; added in quadrature, it does not average down.
SYSTEMATIC_SAMPLES = 0.15
#: Upsampling of the correlation before the parabolic peak fit.
_UPSAMPLE = 4


@dataclass(frozen=True)
class WindowMeasure:
    """One fine window: local offset ``t_a - t_b`` (s) at ``t_b`` (s), with its quality."""

    t_b: float
    offset_s: float
    psr: float
    ambiguity: float
    #: The window lies on shared content (:func:`content_windows`): its peak then
    #: needs only :data:`CONTENT_MIN_PSR`.
    content: bool = False

    @property
    def usable(self) -> bool:
        """Peak strong enough and unambiguous (see the module constants)."""
        need = CONTENT_MIN_PSR if self.content else WINDOW_MIN_PSR
        return self.psr >= need and self.ambiguity < WINDOW_MAX_AMBIGUITY


@dataclass(frozen=True)
class FineFit:
    """Robust line through the window offsets.

    ``t_a = offset_s + rate * t_b``; ``uncertainty_s`` is one sigma of the offset at
    ``at_b_s``; ``rate_uncertainty`` is None when the windows span too little
    time to measure a rate (the rate is then 1).
    """

    offset_s: float
    rate: float
    uncertainty_s: float
    rate_uncertainty: float | None
    at_b_s: float
    n_windows: int
    n_inliers: int
    residual_s: float
    inliers: tuple[bool, ...] = field(default=())

    @property
    def agreeing(self) -> float:
        """Fraction of all windows that are on the fitted line."""
        return self.n_inliers / self.n_windows if self.n_windows else 0.0


def window_centres(overlap_b: tuple[float, float], window_s: float, count: int) -> np.ndarray:
    """``count`` window centres (``b`` time, s) spread evenly over ``overlap_b``."""
    lo, hi = overlap_b[0] + window_s / 2, overlap_b[1] - window_s / 2
    if hi <= lo:
        return np.array([(overlap_b[0] + overlap_b[1]) / 2])
    if count == 1:
        return np.array([(lo + hi) / 2])
    return np.linspace(lo, hi, count)


def _gcc_phat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """GCC-PHAT of ``x`` within ``y`` (longer): value at lag ``t`` for ``y[j + t] ~ x[j]``,
    ``t = 0 .. len(y) - len(x)``, upsampled by :data:`_UPSAMPLE`."""
    from scipy import fft as sfft  # imported where used: see the module docstring
    n = sfft.next_fast_len(len(x) + len(y), real=True)
    g = sfft.rfft(y, n) * np.conj(sfft.rfft(x, n))
    mag = np.abs(g)
    g = g / (mag + 1e-3 * mag.max() + 1e-30)
    r = sfft.irfft(g, n * _UPSAMPLE) * _UPSAMPLE
    return r[: (len(y) - len(x)) * _UPSAMPLE + 1]


def _peak(r: np.ndarray, sr: int) -> tuple[float, float, float]:
    """Sub-sample peak lag (samples), peak-to-sidelobe ratio, ambiguity."""
    i = int(np.argmax(r))
    frac = 0.0
    if 0 < i < r.size - 1:
        den = r[i - 1] - 2 * r[i] + r[i + 1]
        if den < 0:
            frac = 0.5 * (r[i - 1] - r[i + 1]) / den
    lobe = max(2, int(round(0.001 * sr * _UPSAMPLE)))
    mask = np.ones(r.size, dtype=bool)
    mask[max(0, i - lobe) : i + lobe + 1] = False
    side = r[mask]
    if side.size < 10:
        return (i + frac) / _UPSAMPLE, 0.0, 1.0
    psr = (r[i] - side.mean()) / (side.std() + 1e-12)
    amb = max(float(side.max() - side.mean()), 0.0) / max(float(r[i] - side.mean()), 1e-12)
    return (i + frac) / _UPSAMPLE, float(psr), float(amb)


def _resample(x: np.ndarray, num: int) -> np.ndarray:
    """Band-limited (FFT) resampling of ``x`` to ``num`` samples over the same span."""
    from scipy import fft as sfft  # imported where used: see the module docstring
    spec = sfft.rfft(x)
    keep = min(spec.size, num // 2 + 1)
    out = np.zeros(num // 2 + 1, dtype=complex)
    out[:keep] = spec[:keep]
    return sfft.irfft(out, num) * (num / x.size)


def _snap(t: float, sr: int) -> float:
    return round(t * sr) / sr


def measure_windows(
    read_a: Reader,
    read_b: Reader,
    *,
    sr: int,
    offset_s: float,
    rate: float,
    centres_b: np.ndarray,
    window_s: float = FINE_WINDOW_S,
    search_s: float = SEARCH_S,
    content: np.ndarray | None = None,
) -> list[WindowMeasure]:
    """GCC-PHAT measure of the local offset at each window centre.

    ``(offset_s, rate)`` is the coarse prediction ``t_a = offset_s + rate * t_b``.
    Both readers must return audio at ``sr`` with sample 0 at the requested start.
    ``content`` flags the centres on shared content (see :attr:`WindowMeasure.content`).
    """
    out = []
    b_to_a = ClockMap(offset_s, rate)
    flags = np.zeros(len(centres_b), bool) if content is None else np.asarray(content, bool)
    for c, on_content in zip(centres_b, flags, strict=True):
        b0 = _snap(c - window_s / 2, sr)
        xb = np.asarray(read_b(b0, window_s, sr), dtype=np.float64)
        n = xb.size
        if n < sr * window_s * 0.9:
            continue
        if abs(rate - 1.0) > 1e-6:
            xb = _resample(xb, int(round(n * rate)))  # onto a's time step
        a0 = _snap(b_to_a.to_shared(b0) - search_s, sr)
        ya = np.asarray(read_a(a0, xb.size / sr + 2 * search_s, sr), dtype=np.float64)
        if ya.size < xb.size + sr * search_s or not (np.any(xb) and np.any(ya)):
            continue
        lag, psr, amb = _peak(_gcc_phat(xb * _hann(xb.size), ya), sr)
        # sample 0 of xb (b time b0) sits at a time a0 + lag / sr
        t_a_centre = a0 + lag / sr + rate * (c - b0)
        out.append(
            WindowMeasure(t_b=float(c), offset_s=float(t_a_centre - c), psr=psr, ambiguity=amb,
                          content=bool(on_content))
        )
    return out


@functools.lru_cache(maxsize=8)
def _hann(n: int) -> np.ndarray:
    """``np.hanning(n)``, read-only, computed once per length (every window of a pair has
    the same length: computing it took about 3% of a pair's match)."""
    w = np.hanning(n)
    w.flags.writeable = False
    return w


def _huber_line(t: np.ndarray, y: np.ndarray, floor: float, fit_rate: bool):
    w = np.ones_like(y)
    tm = t.mean()
    coef = np.array([np.median(y), 0.0])
    for _ in range(20):
        if fit_rate:
            design = np.column_stack([np.ones_like(t), t - tm])
            sw = np.sqrt(w)
            coef = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
        else:
            coef = np.array([np.sum(w * y) / np.sum(w), 0.0])
        res = y - coef[0] - coef[1] * (t - tm)
        scale = max(1.4826 * np.median(np.abs(res)), floor)
        k = 1.345 * scale
        w = np.where(np.abs(res) <= k, 1.0, k / np.maximum(np.abs(res), 1e-30))
    return coef, res, scale, tm


def fit_windows(
    windows: list[WindowMeasure], *, sr: int, min_rate_span_s: float = MIN_RATE_SPAN_S
) -> FineFit | None:
    """Robust fit of ``t_a = offset + rate * t_b`` through the usable windows.

    Returns None with fewer than three usable windows. The rate is fitted only
    when the usable windows span at least ``min_rate_span_s`` seconds.
    """
    use = [w for w in windows if w.usable]
    if len(use) < 3:
        return None
    t = np.array([w.t_b for w in use])
    y = np.array([w.offset_s for w in use])
    floor = 0.05 / sr  # a twentieth of a sample: below this, scatter is not measurable
    fit_rate = (t.max() - t.min()) >= min_rate_span_s
    coef, res, scale, tm = _huber_line(t, y, floor, fit_rate)
    inl = np.abs(res) <= OUTLIER_SIGMAS * scale
    if inl.sum() < 3:
        return None
    ti, yi = t[inl], y[inl]
    tm = ti.mean()
    n = int(inl.sum())
    if fit_rate and n >= 4 and (ti.max() - ti.min()) >= min_rate_span_s:
        slope, icpt = np.polyfit(ti - tm, yi, 1)
        dof = n - 2
    else:
        slope, icpt, dof = 0.0, float(yi.mean()), n - 1
    resid = yi - icpt - slope * (ti - tm)
    s = max(float(np.sqrt(np.sum(resid**2) / max(dof, 1))), floor)
    from scipy import special

    tfac = float(special.stdtrit(dof, 0.8413)) if dof >= 1 else 3.0
    unc = float(np.hypot(tfac * s / np.sqrt(n), SYSTEMATIC_SAMPLES / sr))
    rate_unc = None
    if slope != 0.0:
        rate_unc = tfac * s / float(np.sqrt(np.sum((ti - tm) ** 2)))
    flags = []
    it = iter(inl)
    for w in windows:
        flags.append(bool(next(it)) if w.usable else False)
    return FineFit(
        offset_s=float(icpt - slope * tm),
        rate=float(1.0 + slope),
        uncertainty_s=float(unc),
        rate_uncertainty=rate_unc,
        at_b_s=float(tm),
        n_windows=len(windows),
        n_inliers=n,
        residual_s=s,
        inliers=tuple(flags),
    )


#: A candidate window counts as holding shared content when the coarse features of
#: the two recordings, aligned at the coarse offset, correlate over it by at least
#: this many standard deviations of that local correlation's noise (see
#: :func:`content_windows`).
MIN_CONTENT_Z = 3.0
#: Candidate window centres are this far apart (seconds) before the best are kept.
_CANDIDATE_STEP_S = 0.25


def _local_correlation(fa: np.ndarray, fb: np.ndarray, offset_s: float, rate: float,
                       frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Per frame of ``b``: the product of the two feature rows at the coarse alignment
    (summed over bands), and whether frame ``k`` of ``b`` falls inside ``a``."""
    b_to_a = ClockMap(offset_s, rate)
    kb = np.arange(fb.shape[0])
    ka = np.rint(b_to_a.to_shared(kb / frame_rate) * frame_rate).astype(np.int64)
    inside = (ka >= 0) & (ka < fa.shape[0])
    prod = np.zeros(fb.shape[0])
    prod[inside] = np.einsum(
        "ij,ij->i", np.asarray(fa[ka[inside]], np.float64), np.asarray(fb[kb[inside]], np.float64)
    )
    return prod, inside


def content_windows(
    fa: np.ndarray,
    fb: np.ndarray,
    *,
    offset_s: float,
    rate: float,
    overlap_b: tuple[float, float],
    window_s: float,
    count: int,
    frame_rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fine window centres (``b`` time, s) placed where the two recordings share sound.

    Shared content is measured on the coarse features (``fa``, ``fb``: whitened
    flux, ``frame_rate`` frames/s, frame ``k`` at ``k / frame_rate`` s): aligned by
    the coarse ``t_a = offset_s + rate * t_b``, their band-summed product is summed
    over each candidate window and divided by its noise (robust sigma of the
    per-frame product times the square root of the frames per window). That local
    z is high where both hear the same onsets (speech, impacts) and about zero
    over silence, wind or sound only one of them heard. The ``count`` windows of
    highest z are kept, none overlapping another; windows below
    :data:`MIN_CONTENT_Z` are kept only to make up three.

    Returns
    -------
    centres : np.ndarray
        Window centres in ``b`` time (s), ascending.
    z : np.ndarray
        Each centre's local content z (same order).
    """
    prod, inside = _local_correlation(fa, fb, offset_s, rate, frame_rate)
    lo, hi = overlap_b[0] + window_s / 2, overlap_b[1] - window_s / 2
    if hi <= lo:
        return window_centres(overlap_b, window_s, 1), np.zeros(1)
    span = max(int(round(window_s * frame_rate)), 1)
    k0, k1 = int(np.floor(overlap_b[0] * frame_rate)), int(np.ceil(overlap_b[1] * frame_rate))
    seg = prod[max(k0, 0) : min(k1, prod.size)][inside[max(k0, 0) : min(k1, prod.size)]]
    sigma = 1.4826 * float(np.median(np.abs(seg - np.median(seg)))) if seg.size else 0.0
    sigma = max(sigma, float(np.std(seg)) / 10 if seg.size else 0.0, 1e-9)
    csum = np.concatenate([[0.0], np.cumsum(prod)])
    step = min(_CANDIDATE_STEP_S, window_s / 8)
    even = window_centres(overlap_b, window_s, count)  # the even spread is one candidate set
    cands = np.concatenate([np.arange(lo, hi + 1e-9, step), even])
    n_grid = cands.size - even.size
    starts = np.clip(np.rint((cands - window_s / 2) * frame_rate).astype(np.int64), 0, prod.size)
    ends = np.clip(starts + span, 0, prod.size)
    z = (csum[ends] - csum[starts]) / (sigma * np.sqrt(span))
    best = max(
        [_greedy(cands, z, range(cands.size), window_s, count),
         _greedy(cands, z, range(n_grid, cands.size), window_s, count)]
        + [_greedy(cands, z, range(p, n_grid, stride), window_s, count)
           for stride in [max(int(np.ceil(window_s / step - 1e-6)), 1)]
           for p in range(min(stride, n_grid))],
        key=lambda ch: (int(np.sum(z[ch] >= MIN_CONTENT_Z)), len(ch), float(np.sum(z[ch]))),
    )
    return cands[best], z[best]


def _greedy(cands: np.ndarray, z: np.ndarray, pool, window_s: float, count: int) -> list[int]:
    """Indices of up to ``count`` non-overlapping candidates from ``pool``, highest z first;
    below :data:`MIN_CONTENT_Z` only to make up three. Ascending in time."""
    chosen: list[int] = []
    for i in sorted(pool, key=lambda i: -z[i]):
        if len(chosen) >= count or (z[i] < MIN_CONTENT_Z and len(chosen) >= 3):
            break
        if all(abs(cands[i] - cands[j]) >= window_s - 1e-6 for j in chosen):
            chosen.append(int(i))
    return sorted(chosen, key=lambda i: cands[i])
