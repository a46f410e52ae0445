"""Compact audio features for the coarse search: whitened log-band-energy flux.

A recording is reduced to ``FRAME_RATE`` frames per second of ``len(BANDS_HZ) - 1``
band values. Each value is the frame-to-frame change of the band's log energy
(a spectral-flux / onset-strength feature), normalised per band to zero mean and
unit variance and clipped, so that one loud transient cannot dominate a
correlation. Frame ``k`` covers local time ``[k / FRAME_RATE, k / FRAME_RATE +
WIN / COARSE_SR)`` seconds (at :data:`COARSE_SR`: samples ``[k * HOP, k * HOP +
WIN)``; at any other rate the same seconds, to the nearest sample), so frame ``k``
of two recordings aligned at their local time 0 describe the same instant, whatever
their sample rates: a lag of ``l`` frames is ``l / FRAME_RATE`` s.

Features are computed block by block (:class:`FluxExtractor`), so an hour of
audio never has to sit in memory as samples.

SciPy is imported inside the functions that use it: a process that only hands
the work to worker processes (:mod:`timesync.parallel`) never loads it (0.4 s
of CPU); the workers' fork server preloads it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COARSE_SR", "HOP", "WIN", "FRAME_RATE", "BANDS_HZ", "FluxExtractor", "flux_features"]

#: Sample rate (Hz) at which audio is decoded for the coarse features.
COARSE_SR = 8000
#: Hop between feature frames, samples at :data:`COARSE_SR` (10 ms).
HOP = 80
#: Analysis window, samples at :data:`COARSE_SR` (32 ms, Hann).
WIN = 256
#: Feature frames per second.
FRAME_RATE = COARSE_SR / HOP
#: Band edges (Hz) of the log-energy bands.
BANDS_HZ = (100.0, 300.0, 600.0, 1000.0, 1600.0, 2500.0, 3900.0)
#: Feature frames computed at once (their windows and spectra stay in the CPU cache).
_BATCH = 256
#: Per-band values are clipped to this many standard deviations.
CLIP_SIGMA = 4.0


def _band_bins(sr: int, nfft: int) -> tuple[tuple[int, int], ...]:
    """Each band's contiguous run of FFT bins ``(first, end)`` for an ``nfft``-point FFT at ``sr``."""
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    out = []
    for lo_hz, hi_hz in zip(BANDS_HZ[:-1], BANDS_HZ[1:], strict=True):
        inside = np.flatnonzero((freqs >= lo_hz) & (freqs < hi_hz))
        out.append((int(inside[0]), int(inside[-1]) + 1) if inside.size else (0, 0))
    return tuple(out)


class FluxExtractor:
    """Streaming computation of :func:`flux_features` over contiguous blocks.

    Push blocks of mono float audio at ``sr`` Hz in order with :meth:`push`,
    then call :meth:`finish`. The analysis is defined in seconds and Hz, so
    any rate gives the same features: the window is ``WIN / COARSE_SR``
    seconds (32 ms) long, frame ``f`` starts at sample ``round(f * sr /
    FRAME_RATE)``, and bands above the Nyquist frequency stay zero. At
    :data:`COARSE_SR` this is exactly ``HOP`` and ``WIN`` samples.
    """

    def __init__(self, sr: int = COARSE_SR) -> None:
        from scipy import fft as sfft  # imported where used: see the module docstring

        if not (isinstance(sr, int | np.integer) and sr > 0):
            raise ValueError(f"sr must be a positive integer (Hz), got {sr!r}")
        self.sr = int(sr)
        self._win = max(2, round(WIN * self.sr / COARSE_SR))
        nfft = sfft.next_fast_len(self._win, real=True)
        self._bins = _band_bins(self.sr, nfft)
        self._nfft = nfft
        self._rfft = sfft.rfft
        self._used = max(hi for _lo, hi in self._bins) or 1  # bins past the top band are not needed
        self._parts = tuple((2 * lo, 2 * hi) for lo, hi in self._bins)  # in the re, im view
        self._window = np.hanning(self._win).astype(np.float32)
        self._carry = np.zeros(0, dtype=np.float32)
        self._carry_at = 0  # sample index of _carry[0]
        self._next = 0  # next frame index
        self._energies: list[np.ndarray] = []

    def _start(self, frame: np.ndarray | int) -> np.ndarray:
        """First sample of frame(s) ``frame``: ``round(frame * sr / FRAME_RATE)``, halves up."""
        num = np.asarray(frame, dtype=np.int64) * (2 * self.sr * HOP) + COARSE_SR
        return num // (2 * COARSE_SR)

    def push(self, block: np.ndarray) -> None:
        """Add the next contiguous block of samples (any length)."""
        buf = np.concatenate([self._carry, np.asarray(block, dtype=np.float32)])
        end = self._carry_at + buf.size  # one past the last sample held
        # frames f >= _next whose window ends by `end`: start(f) + win <= end
        last = (end - self._win) * COARSE_SR // (self.sr * HOP) + 1
        while last > self._next and int(self._start(last - 1)) + self._win > end:
            last -= 1
        while int(self._start(last)) + self._win <= end:
            last += 1
        if last > self._next:
            starts = self._start(np.arange(self._next, last)) - self._carry_at
            windows = np.lib.stride_tricks.sliding_window_view(buf, self._win)
            hop = self.sr * HOP // COARSE_SR if (self.sr * HOP) % COARSE_SR == 0 else 0
            for i in range(0, starts.size, _BATCH):
                if hop:  # a whole number of samples per hop: a strided view, no copy
                    n = min(_BATCH, starts.size - i)
                    frames = windows[starts[i] : starts[i] + (n - 1) * hop + 1 : hop]
                else:
                    frames = windows[starts[i : i + _BATCH]]
                self._energies.append(self._energies_of(frames))
            self._next = last
        keep = int(self._start(self._next)) - self._carry_at
        self._carry = buf[keep:]
        self._carry_at += keep

    def _energies_of(self, frames: np.ndarray) -> np.ndarray:
        """Band energies (frames, bands) of windows ``frames`` (frames, win)."""
        spec = self._rfft(frames * self._window, n=self._nfft, axis=1)
        # |X|^2 summed over a band's bins = sum of the squares of its interleaved re, im
        parts = spec.view(np.float32)[:, : 2 * self._used]
        return _band_energies(parts * parts, self._parts)

    def finish(self) -> np.ndarray:
        """The whitened feature matrix, shape ``(frames, bands)``, float32.

        Whitened band by band in the energy blocks themselves, then gathered block by
        block into the result while each block is freed: the memory held is about one
        copy of the features (10 hours at 100 frames/s: 86 MB), not three.
        """
        if not self._energies:
            return np.zeros((0, len(BANDS_HZ) - 1), dtype=np.float32)
        blocks, self._energies = self._energies, []
        _whiten_blocks(blocks)
        out = np.empty((sum(b.shape[0] for b in blocks), blocks[0].shape[1]), dtype=np.float32)
        pos = 0
        blocks.reverse()  # popped from the end, in frame order
        while blocks:
            block = blocks.pop()
            out[pos : pos + block.shape[0]] = block
            pos += block.shape[0]
        return out


def _band_energies(power: np.ndarray, bins: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Sum of ``power`` (frames, bins) over each band's bins: (frames, bands) float32.

    Slice sums rather than a product with a band matrix: the matrix product goes to a
    multi-threaded BLAS whose spinning threads take the CPU from the decoder
    subprocesses running at the same time (measured: 1.7x slower on 2 cores).
    Adjacent non-empty bands (the usual case) are summed in one ``reduceat`` call.
    """
    starts = [lo for lo, _hi in bins]
    if all(hi > lo for lo, hi in bins) and all(
        hi == nxt for (_lo, hi), nxt in zip(bins[:-1], starts[1:], strict=True)
    ) and bins[-1][1] == power.shape[1]:
        return np.add.reduceat(power, starts, axis=1).astype(np.float32, copy=False)
    out = np.empty((power.shape[0], len(bins)), dtype=np.float32)
    for b, (lo, hi) in enumerate(bins):
        np.sum(power[:, lo:hi], axis=1, out=out[:, b])
    return out


def _whiten(energy: np.ndarray) -> np.ndarray:
    """Per-band log-energy flux, standardised and clipped: (frames, bands) float32.

    Computed one band at a time on a contiguous copy of that band, so every
    reduction runs along contiguous memory (numpy sums it pairwise) and only one
    band's temporaries live at once: about 1.5x the features' size at the peak
    instead of 5x (10 hours at 100 frames/s: 130 MB instead of 433 MB).
    """
    out = np.empty(energy.shape, dtype=np.float32)
    for band in range(energy.shape[1]):
        out[:, band] = _whiten_band(np.ascontiguousarray(energy[:, band], dtype=np.float32))
    return out


def _whiten_blocks(blocks: list[np.ndarray]) -> None:
    """:func:`_whiten` of the energies stacked from ``blocks`` (each (frames, bands)
    float32), written back into the blocks: one band's contiguous copy at a time."""
    edges = np.cumsum([0] + [b.shape[0] for b in blocks])
    for band in range(blocks[0].shape[1]):
        flux = _whiten_band(np.concatenate([b[:, band] for b in blocks]).astype(np.float32, copy=False))
        for b, lo, hi in zip(blocks, edges[:-1], edges[1:], strict=True):
            b[:, band] = flux[lo:hi]


def _whiten_band(band: np.ndarray) -> np.ndarray:
    """One band's whitened flux (see :func:`_whiten`), float32."""
    # A floor at the band's median energy keeps the flux of near-silent
    # frames (where the log of noise fluctuates wildly) small.
    floor = np.median(band, keepdims=True) + np.float32(1e-10)
    logs = np.log(band + floor)
    flux = np.zeros_like(logs)[np.newaxis, :]
    flux[0, 1:] = np.diff(logs)
    del logs
    for _ in range(2):
        _standardise(flux)
        np.clip(flux, -CLIP_SIGMA, CLIP_SIGMA, out=flux)
    _standardise(flux)
    return flux[0]


def _standardise(flux: np.ndarray) -> None:
    """Zero mean, unit variance along each row, in place (a constant row stays 0)."""
    flux -= flux.mean(axis=1, keepdims=True)
    std = flux.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    flux /= std


def flux_features(audio: np.ndarray, sr: int = COARSE_SR) -> np.ndarray:
    """Features of a whole mono signal sampled at ``sr`` Hz (any rate; see :class:`FluxExtractor`).

    Returns
    -------
    np.ndarray, shape (frames, bands), float32
        Zero mean, unit variance per band; frame ``k`` starts at ``k / FRAME_RATE`` s.
    """
    ex = FluxExtractor(sr)
    ex.push(audio)
    return ex.finish()
