"""Coarse search: the lag and drift between two feature sequences, over all lags.

Sign convention: the result maps ``b``'s local time onto ``a``'s,
``t_a = offset_s + rate * t_b`` (as :class:`timesync.align.constraints.Constraint`
with ``source = b``, ``other = a``).

Method. ``b``'s features are cut into chunks of :data:`CHUNK_S`; each chunk is
cross-correlated with the whole of ``a`` by FFT (every lag, so offsets of hours
cost nothing more). The sum of the chunk correlations, normalised by the
number of overlapping frames, is a z-like curve over all lags (the global
correlation). Clock drift smears that curve (500 ppm over 10 minutes is 30
frames), so the strongest peaks of each chunk are also fitted with a line
(RANSAC over chunk pairs); when the line has a slope, the chunk correlations
are summed again with each chunk shifted by its drift. The score of the best
peak is its height above the curve's robust noise floor (median, MAD), and the
best peak is compared with the best one outside its neighbourhood: repetitive
sound gives several equal peaks, which we report as ambiguous.

SciPy is imported inside the functions that use it: a process that only hands
the work to worker processes (:mod:`timesync.parallel`) never loads it (0.4 s
of CPU); the workers' fork server preloads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timesync.align.audio.features import FRAME_RATE

__all__ = ["CoarseMatch", "coarse_match", "CHUNK_S", "PEAK_EXCLUSION_FRAMES", "MAX_DRIFT_PPM"]

#: Length of ``b``'s chunks, seconds. At 500 ppm a chunk drifts 30 ms (3 frames).
CHUNK_S = 60.0
#: Frames around a peak that belong to it (its main lobe) when looking for the
#: second-best peak: 40 ms.
PEAK_EXCLUSION_FRAMES = 4
#: Largest clock difference searched, parts per million.
MAX_DRIFT_PPM = 700.0
#: Peaks of one chunk used by the drift fit: how many, and the least robust z.
_CHUNK_PEAKS = 3
_CHUNK_MIN_Z = 5.0
#: Chunk peaks within this many frames of a drift line count as on it.
_LINE_TOL_FRAMES = 2.0
#: Cells (candidate lines x chunk peaks) scored at once by the drift fit.
_RANSAC_CELLS = 2_000_000
#: Blocks of ``a`` correlated with a chunk at once (bounds the temporaries: 16 blocks of
#: a 60-s chunk take about 1.5 MB each, whatever the length of ``a``).
_CURVE_BLOCKS = 16
#: Threads for the FFTs. One: pairs are matched in parallel processes or threads
#: already, and more FFT threads than cores only add switching (measured: 3-5% slower).
_WORKERS = 1


@dataclass(frozen=True)
class CoarseMatch:
    """Best coarse alignment of ``b`` onto ``a``.

    Attributes
    ----------
    offset_s : float
        ``t_a - rate * t_b`` in seconds (precision about one frame, 10 ms).
    rate : float
        ``d t_a / d t_b`` (1.0 unless a drift line was found).
    score : float
        Height of the best peak above the correlation's noise floor, in robust
        standard deviations (median / MAD of the curve over all lags).
    second_score : float
        The same for the best peak outside :data:`PEAK_EXCLUSION_FRAMES`.
    overlap_s : float
        Seconds of overlap at the best lag.
    chunks_on_line : int
        Chunks whose own peak agrees with the drift line (0 if none was fitted).
    """

    offset_s: float
    rate: float
    score: float
    second_score: float
    overlap_s: float
    chunks_on_line: int

    @property
    def ambiguity(self) -> float:
        """``second_score / score`` (1.0 means two lags fit equally well)."""
        return self.second_score / self.score if self.score > 0 else 1.0


def _overlap_counts(n_a: int, n_b: int) -> np.ndarray:
    """Frames of overlap at every lag ``l`` in ``[-(n_b-1), n_a-1]`` (index ``l + n_b - 1``)."""
    lags = np.arange(-(n_b - 1), n_a)
    return (np.minimum(n_a, lags + n_b) - np.maximum(0, lags)).astype(np.float64)


def _chunk_bounds(n_b: int, chunk: int) -> list[tuple[int, int]]:
    k = max(1, int(np.ceil(n_b / chunk)))
    edges = np.round(np.linspace(0, n_b, k + 1)).astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(k) if edges[i + 1] > edges[i]]


def _floor_sample(valid: np.ndarray) -> np.ndarray:
    """Indices of the valid lags the noise floor is measured on: all of them, or an
    even subsample of about 20,000 when there are more than 40,000 (same answer, far cheaper)."""
    idx = np.flatnonzero(valid)
    # a copy: a view would keep every valid lag's index alive (29 MB for 10 hours)
    return idx[:: idx.size // 20000].copy() if idx.size > 40000 else idx


def _noise_floor(vals: np.ndarray) -> tuple[float, float]:
    """Robust centre and spread of a curve's values: median and 1.4826 * MAD (the
    standard deviation if the MAD is 0, then 1)."""
    med = np.median(vals)
    mad = np.median(np.abs(vals - med)) * 1.4826
    if not mad > 0:
        mad = np.std(vals) or 1.0
    return med, mad


def _robust_z(curve: np.ndarray, valid: np.ndarray, in_place: bool = False) -> np.ndarray:
    """``(curve - median) / MAD`` over the valid lags, -inf elsewhere (in ``curve``'s own
    memory when ``in_place``)."""
    med, mad = _noise_floor(curve[_floor_sample(valid)])
    if in_place:
        z = np.subtract(curve, med, out=curve)
        z /= mad
    else:
        z = (curve - med) / mad
    z[~valid] = -np.inf
    return z


def _top_peaks(z: np.ndarray, count: int, exclusion: int) -> list[tuple[int, float]]:
    z = z.copy()
    out = []
    for _ in range(count):
        i = int(np.argmax(z))
        if not np.isfinite(z[i]):
            break
        out.append((i, float(z[i])))
        z[max(0, i - exclusion) : i + exclusion + 1] = -np.inf
    return out


def _parabola(z: np.ndarray, i: int) -> float:
    """Sub-frame position of the peak at ``i`` (parabola through three points), in [-0.5, 0.5]."""
    if 0 < i < z.size - 1 and np.isfinite(z[i - 1]) and np.isfinite(z[i + 1]):
        den = z[i - 1] - 2 * z[i] + z[i + 1]
        if den < 0:
            return float(np.clip(0.5 * (z[i - 1] - z[i + 1]) / den, -0.5, 0.5))
    return 0.0


class _ChunkCorrelator:
    """Cross-correlations of chunks of ``b`` against all of ``a``, by overlap-save.

    ``a`` (padded with ``L - 1`` zeros on both sides, ``L`` the longest chunk) is
    cut into blocks of :attr:`m` frames stepping by ``m - L + 1``; the blocks'
    spectra are computed once. A chunk then costs one short FFT per band and one
    inverse FFT per block, instead of FFTs as long as ``a``.
    """

    def __init__(self, fa: np.ndarray, fb: np.ndarray, chunk: int) -> None:
        from scipy import fft as sfft  # imported where used: see the module docstring

        self.n_a, self.n_b = fa.shape[0], fb.shape[0]
        self._norms: dict[int, _ChunkNorm] = {}
        self.fb = fb
        self.bounds = _chunk_bounds(self.n_b, chunk)
        self.L = max(e - s for s, e in self.bounds)
        self.n_lam = self.n_a + self.L - 1  # chunk lags lam in [-(L-1), n_a-1]
        self.m = sfft.next_fast_len(max(4 * self.L, 4096), real=True)
        self.step = self.m - self.L + 1
        for s, e in self.bounds:  # their temporaries (lags as int64) come before the spectra
            self.chunk_norm(e - s)
        n_blocks = -(-self.n_lam // self.step)
        # (bands, blocks, m/2+1), one band at a time from a strided view of its padded
        # column: no copy of the blocks nor of all the spectra at once (10 hours of ``a``:
        # the spectra's 115 MB plus one band's, instead of about 430 MB)
        self.spec_blocks = np.empty((fa.shape[1], n_blocks, self.m // 2 + 1), dtype=np.complex64)
        padded = np.zeros(n_blocks * self.step + self.m, dtype=np.float32)
        for band in range(fa.shape[1]):
            padded[self.L - 1 : self.L - 1 + self.n_a] = fa[:, band]
            blocks = np.lib.stride_tricks.as_strided(
                padded, (n_blocks, self.m), (self.step * padded.itemsize, padded.itemsize), writeable=False
            )
            self.spec_blocks[band] = sfft.rfft(blocks, axis=1, workers=_WORKERS)

    def chunk_norm(self, length: int) -> _ChunkNorm:
        """The normalisation of a chunk of ``length`` frames (computed once per length)."""
        if length not in self._norms:
            lam = np.arange(-(self.L - 1), self.n_a)
            counts = np.minimum(self.n_a, lam + length) - np.maximum(0, lam)
            scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
            self._norms[length] = _ChunkNorm.of(scale, counts >= max(1, length // 2))
        return self._norms[length]

    def chunk_curve(self, k: int) -> np.ndarray:
        """Raw correlation of chunk ``k`` at chunk lags ``lam`` (index ``lam + L - 1``), float32."""
        from scipy import fft as sfft

        s, e = self.bounds[k]
        spec_c = np.ascontiguousarray(
            np.conj(sfft.rfft(self.fb[s:e], n=self.m, axis=0, workers=_WORKERS)).T
        )  # (bands, bins): each band's row contiguous for the products below
        # sum over bands of block spectra x chunk spectrum: a multiply-add per band is
        # twice as fast as einsum over the (blocks, bins, bands) layout; a few blocks at
        # a time (:data:`_CURVE_BLOCKS`), written into the curve: the temporaries stay small
        n_blocks = self.spec_blocks.shape[1]
        out = np.empty(n_blocks * self.step, dtype=np.float32)
        rows = out.reshape(n_blocks, self.step)
        for lo in range(0, n_blocks, _CURVE_BLOCKS):
            hi = min(lo + _CURVE_BLOCKS, n_blocks)
            prod = np.multiply(self.spec_blocks[0, lo:hi], spec_c[0])
            term = np.empty_like(prod)
            for band in range(1, spec_c.shape[0]):
                np.multiply(self.spec_blocks[band, lo:hi], spec_c[band], out=term)
                prod += term
            rows[lo:hi] = sfft.irfft(prod, n=self.m, axis=1, workers=_WORKERS)[:, : self.step]
        return out[: self.n_lam]

    def total(self, curves: list[_Curve], slope: float) -> np.ndarray:
        """Sum of the chunk curves on the full lag axis (index ``l + n_b - 1``), each
        chunk shifted by the drift ``slope * centre`` so all peak at the lag of ``t_b = 0``."""
        out = np.zeros(self.n_a + self.n_b - 1)
        for (s, e), curve in zip(self.bounds, curves, strict=True):
            shift = int(round(slope * (s + e) / 2.0))
            # total[il] += curve[il + d]:  lam = l + s + shift, il = l + n_b - 1, ilam = lam + L - 1
            d = s + shift + self.L - self.n_b
            lo, hi = max(0, -d), min(out.size, curve.values.size - d)
            if hi > lo:
                out[lo:hi] += curve.values[lo + d : hi + d] * curve.unit
        return out


@dataclass(frozen=True)
class _ChunkNorm:
    """Per chunk lag: ``scale`` = 1 / sqrt(overlap) (float32), ``valid`` where the overlap
    is at least half the chunk, ``penalty`` 0 there and -inf elsewhere (added to the
    scaled curve, it rules the other lags out), and the lags of the noise floor."""

    scale: np.ndarray
    valid: np.ndarray
    penalty: np.ndarray
    floor_at: np.ndarray

    @classmethod
    def of(cls, scale: np.ndarray, valid: np.ndarray) -> _ChunkNorm:
        penalty = np.where(valid, np.float32(0.0), np.float32(-np.inf))
        return cls(scale, valid, penalty, _floor_sample(valid))


@dataclass(frozen=True)
class _Curve:
    """A chunk curve kept for the drift re-sum: ``values * unit``. Many chunks are kept
    as int16 steps of ``unit`` (1/32767 of the chunk's largest value: a quarter of the
    memory of float32, and converted ten times faster than float16)."""

    values: np.ndarray
    unit: float

    @classmethod
    def keep(cls, curve: np.ndarray, compact: bool) -> _Curve:
        peak = float(np.max(np.abs(curve))) if curve.size else 0.0
        if not compact or not peak > 0:
            return cls(curve, 1.0)
        unit = peak / 32767.0
        q = curve * np.float32(1.0 / unit)
        np.rint(q, out=q)
        return cls(q.astype(np.int16), unit)


def _near_line(l0: np.ndarray, slope: np.ndarray, t: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """(lines, points) mask: point within :data:`_LINE_TOL_FRAMES` of line ``lag = l0 + slope * t``."""
    return np.abs(lag[None, :] - (l0[:, None] + slope[:, None] * t[None, :])) <= _LINE_TOL_FRAMES


def _fit_drift_line(points: list[tuple[float, float, float, int]], max_slope: float):
    """RANSAC line ``lag = l0 + slope * t`` over chunk peaks ``(t, lag, z, chunk)``.

    Every pair of peaks from different chunks proposes a line; its support is
    the sum over chunks of the best z among that chunk's peaks within
    :data:`_LINE_TOL_FRAMES` of the line. The best-supported line is refitted
    by weighted least squares over those peaks.
    """
    if len(points) < 2:
        return None
    t, lag, z, chunk = (np.array(col, dtype=float) for col in zip(*points, strict=True))
    i, j = np.triu_indices(t.size, k=1)
    keep = (chunk[i] != chunk[j]) & (t[j] != t[i])
    i, j = i[keep], j[keep]
    slope = (lag[j] - lag[i]) / (t[j] - t[i])  # t[j] != t[i] after the filter
    ok = np.abs(slope) <= max_slope
    i, j, slope = i[ok], j[ok], slope[ok]
    if not slope.size:
        return None
    l0 = lag[i] - slope * t[i]
    chunks, which = np.unique(chunk, return_inverse=True)
    best_line, best_support = 0, -1.0
    step = max(1, _RANSAC_CELLS // t.size)  # lines scored at once (memory bound)
    for s0 in range(0, slope.size, step):
        near = _near_line(l0[s0 : s0 + step], slope[s0 : s0 + step], t, lag)
        rows, cols = np.nonzero(near)
        best_z = np.zeros((near.shape[0], chunks.size))
        np.maximum.at(best_z, (rows, which[cols]), z[cols])
        support = best_z.sum(axis=1)
        k = int(np.argmax(support))
        if support[k] > best_support:
            best_line, best_support = s0 + k, float(support[k])
    near = _near_line(l0[best_line : best_line + 1], slope[best_line : best_line + 1], t, lag)[0]
    members = [
        int(np.flatnonzero(near & (which == c))[np.argmax(z[near & (which == c)])])
        for c in range(chunks.size)
        if np.any(near & (which == c))
    ]
    if len(members) < 2:
        return None
    m = np.array(members)
    fit_slope, fit_l0 = np.polyfit(t[m], lag[m], 1, w=np.sqrt(z[m]))
    return float(fit_l0), float(fit_slope), len(members)


def _chunk_peaks(
    cc: _ChunkCorrelator, k: int, curve: np.ndarray, lags: tuple[float, float] | None = None
) -> list[tuple[float, float, float, int]]:
    """The strongest peaks of chunk ``k``: ``(chunk centre, full lag, z, k)``; only
    full lags (frames) within ``lags`` when given.

    z is the peak's height above the noise floor of the normalised curve (median,
    MAD), as :func:`_robust_z` would give, found without building z for every lag.
    """
    s, e = cc.bounds[k]
    norm = cc.chunk_norm(e - s)
    if lags is not None:
        full = np.arange(norm.valid.size) - (cc.L - 1) - s
        norm = _ChunkNorm.of(norm.scale, norm.valid & (full >= lags[0]) & (full <= lags[1]))
    if np.count_nonzero(norm.valid) <= 10:
        return []
    y = curve * norm.scale
    med, mad = _noise_floor(y[norm.floor_at])
    y += norm.penalty
    out = []
    for _ in range(_CHUNK_PEAKS):
        idx = int(np.argmax(y))
        z = (y[idx] - med) / mad
        if not np.isfinite(z) or z < _CHUNK_MIN_Z:
            break
        around = curve[max(idx - 1, 0) : idx + 2] * norm.scale[max(idx - 1, 0) : idx + 2]
        around += norm.penalty[max(idx - 1, 0) : idx + 2]
        sub = _parabola(around, 1) if idx > 0 else 0.0
        out.append(((s + e) / 2.0, idx + sub - (cc.L - 1) - s, float(z), k))
        y[max(0, idx - PEAK_EXCLUSION_FRAMES) : idx + PEAK_EXCLUSION_FRAMES + 1] = -np.inf
    return out


def _best(total: np.ndarray, counts: np.ndarray, min_overlap: int, n_bands: int,
          allowed: np.ndarray | None = None):
    valid = counts >= min_overlap
    if allowed is not None:
        valid &= allowed
    if not valid.any():
        return None
    # total / sqrt(max(counts, 1) * n_bands) in one buffer: the curves of a long file are large
    norm = np.maximum(counts, 1)
    norm *= n_bands
    np.sqrt(norm, out=norm)
    z = _robust_z(np.divide(total, norm, out=norm), valid, in_place=True)
    (i, s1), *rest = _top_peaks(z, 1, PEAK_EXCLUSION_FRAMES) or [(0, -np.inf)]
    zz = z.copy()
    zz[max(0, i - PEAK_EXCLUSION_FRAMES) : i + PEAK_EXCLUSION_FRAMES + 1] = -np.inf
    s2 = float(np.max(zz)) if np.isfinite(zz).any() else 0.0
    return i + _parabola(z, i), s1, max(s2, 0.0), float(counts[i])


def _chunk_totals(cc: _ChunkCorrelator, chunk_lags: tuple[float, float] | None):
    """Correlate every chunk; return the sum of the chunk curves without drift, the
    sum along the drift line when it moves the lag by a frame or more over ``b``
    (else None), and the line ``(l0, slope, chunks on it)`` (None if not found).

    The chunk curves are dropped once summed, before the peaks are scored: they
    are the bulk of the memory (int16 when there are many).
    """
    curves: list[_Curve] = []
    peaks: list[tuple[float, float, float, int]] = []
    for k in range(len(cc.bounds)):
        curve = cc.chunk_curve(k)
        peaks += _chunk_peaks(cc, k, curve, chunk_lags)
        curves.append(_Curve.keep(curve, compact=len(cc.bounds) > 8))
    cc.spec_blocks = None  # not needed any more: free it before the sums
    line = _fit_drift_line(peaks, MAX_DRIFT_PPM * 1e-6) if len(cc.bounds) > 1 else None
    total = cc.total(curves, 0.0)
    drifted = None
    if line is not None and abs(line[1]) * cc.n_b >= 1.0:
        drifted = cc.total(curves, line[1])
    return total, drifted, line


def _search_range(offsets_s: tuple[float, float] | None, n_a: int, n_b: int) \
        -> tuple[np.ndarray | None, tuple[float, float] | None]:
    """The lags of the total curve inside ``offsets_s`` (a bool mask over lags
    ``-(n_b - 1) .. n_a - 1``), and the lag range (frames) a chunk's peak may take
    there, widened by the most a drift line moves it; ``(None, None)`` without a range.
    """
    if offsets_s is None:
        return None, None
    lo, hi = offsets_s[0] * FRAME_RATE, offsets_s[1] * FRAME_RATE
    lags = np.arange(-(n_b - 1), n_a)
    allowed = (lags >= lo) & (lags <= hi)
    drift = MAX_DRIFT_PPM * 1e-6 * n_b + 1.0  # a chunk's lag moves this far along a drift line
    return allowed, (lo - drift, hi + drift)


def coarse_match(
    fa: np.ndarray,
    fb: np.ndarray,
    *,
    min_overlap_s: float = 3.0,
    offsets_s: tuple[float, float] | None = None,
) -> CoarseMatch | None:
    """Coarse alignment of features ``fb`` onto ``fa`` (see module docstring).

    Parameters
    ----------
    fa, fb : np.ndarray, shape (frames, bands)
        Whitened features (:func:`timesync.align.audio.features.flux_features`).
    min_overlap_s : float
        Lags where the two overlap less than this are not considered (seconds).
    offsets_s : (float, float), optional
        Only offsets ``t_a - rate * t_b`` in this closed range (seconds) are
        searched (a search narrowed by other evidence); the noise floor, the
        score and the second peak are then those of this range.

    Returns
    -------
    CoarseMatch or None
        None when no lag (in ``offsets_s``) gives ``min_overlap_s`` of overlap.
    """
    n_a, n_b = fa.shape[0], fb.shape[0]
    min_overlap = int(round(min_overlap_s * FRAME_RATE))
    if min(n_a, n_b) < min_overlap or n_a < 2 or n_b < 2:
        return None
    cc = _ChunkCorrelator(fa, fb, int(round(CHUNK_S * FRAME_RATE)))
    allowed, chunk_lags = _search_range(offsets_s, n_a, n_b)
    total, drifted, line = _chunk_totals(cc, chunk_lags)
    del cc  # its chunk norms: the counts and the curves' z need that memory
    counts = _overlap_counts(n_a, n_b)
    best = _best(total, counts, min_overlap, fa.shape[1], allowed)
    if best is None:
        return None
    lag, s1, s2, ovl = best
    slope, on_line = 0.0, 0
    if line is not None:
        _l0, line_slope, on_line = line
        if drifted is not None:
            best2 = _best(drifted, counts, min_overlap, fa.shape[1], allowed)
            if best2 is not None and best2[1] > s1:
                lag, s1, s2, ovl = best2
                slope = line_slope
        else:
            slope = line_slope
    lag_frames = lag - (n_b - 1)
    return CoarseMatch(
        offset_s=lag_frames / FRAME_RATE,
        rate=1.0 + slope,
        score=float(s1),
        second_score=float(s2),
        overlap_s=ovl / FRAME_RATE,
        chunks_on_line=on_line,
    )
