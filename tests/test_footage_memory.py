"""Memory that grows with a recording's length stays near one copy of its features (issue 14).

A 10-hour file has 3.6 million feature frames (86 MB): the whitening, the coarse
search's block spectra and its curves used to hold several copies at once (a
10-hour file peaked at 515 MB over the process tree). Peaks are measured with
tracemalloc (numpy reports its buffers to it), so they do not depend on the
machine's load; results must stay bit for bit what the plain computation gives.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from timesync.align.audio import coarse, features


def _traced_peak(fn):
    """(result, peak bytes traced while ``fn()`` ran, above what was held before)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _noise(seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    level = np.repeat(rng.uniform(0.01, 1.0, n // 800 + 1), 800)[:n]
    return (rng.normal(size=n) * level).astype(np.float32)


def _extractor(x: np.ndarray, sr: int) -> features.FluxExtractor:
    ex = features.FluxExtractor(sr)
    for i in range(0, x.size, 160_000):  # 20 s blocks at 8 kHz, as the decoder hands them
        ex.push(x[i:i + 160_000])
    return ex


def test_whitening_holds_about_one_copy_of_the_features():
    x = _noise(3000.0, 8000, seed=1)  # 50 min: 300,000 frames, 7.2 MB of features
    ex = _extractor(x, 8000)
    expected = features._whiten(np.concatenate([e.copy() for e in ex._energies]))
    out, peak = _traced_peak(ex.finish)
    assert np.array_equal(out, expected)  # the same numbers as whitening the stacked energies
    # the energies themselves are freed as the result fills (before: ~3x the features)
    assert peak <= 1.5 * out.nbytes, f"peak {peak / 1e6:.1f} MB for {out.nbytes / 1e6:.1f} MB of features"


@pytest.fixture(scope="module")
def long_and_short():
    """Features of 2 hours of sound and of a 2-minute stretch of it (heard with noise)."""
    sr = 8000
    x = _noise(7200.0, sr, seed=2)
    start = round(3000.0 * sr)
    y = x[start:start + 120 * sr] + 0.3 * _noise(120.0, sr, seed=3)
    return features.flux_features(x, sr), features.flux_features(y, sr)


def test_coarse_search_of_a_long_file_is_bounded(long_and_short):
    fa, fb = long_and_short
    found, peak = _traced_peak(lambda: coarse.coarse_match(fa, fb, min_overlap_s=3.0))
    assert found is not None and abs(found.offset_s - 3000.0) < 0.02
    # before: about 4.3x the long file's features (all block spectra computed in one
    # call from a copy of every block, the chunk curve of all blocks at once, the
    # overlap counts and each normalised curve next to them); now under 3.5x
    assert peak <= 3.5 * fa.nbytes, f"peak {peak / 1e6:.0f} MB for {fa.nbytes / 1e6:.0f} MB of features"
    _same_spectra_and_curve(fa, fb)


def _same_spectra_and_curve(fa: np.ndarray, fb: np.ndarray) -> None:
    """The block spectra and a chunk's curve, computed band by band and a few blocks at a
    time, are those of every block at once."""
    from scipy import fft as sfft

    cc = coarse._ChunkCorrelator(fa, fb, 6000)
    n_blocks = cc.spec_blocks.shape[1]
    padded = np.zeros((n_blocks * cc.step + cc.m, fa.shape[1]), dtype=np.float32)
    padded[cc.L - 1: cc.L - 1 + cc.n_a] = fa
    idx = np.arange(n_blocks)[:, None] * cc.step + np.arange(cc.m)[None, :]
    every = sfft.rfft(padded[idx], axis=1, workers=1).transpose(2, 0, 1)
    assert np.array_equal(cc.spec_blocks, every)
    spec_c = np.conj(sfft.rfft(cc.fb[slice(*cc.bounds[0])], n=cc.m, axis=0, workers=1)).T
    prod = every[0] * spec_c[0]
    for band in range(1, spec_c.shape[0]):
        prod += every[band] * spec_c[band]
    whole = sfft.irfft(prod, n=cc.m, axis=1, workers=1)[:, :cc.step].reshape(-1)[:cc.n_lam]
    assert np.array_equal(cc.chunk_curve(0), whole)
