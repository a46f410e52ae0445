"""Envelopes and spectra of one audio track: what :mod:`timesync.detect.impulses` measures.

The high-passed energy envelope and its running background, and the features
of one impulse (spectral fractions and flatness, rise time, duration and decay).
Samples are float numpy arrays (full scale 1.0) at ``sr`` Hz.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, signal

_EPS = 1e-12
#: Levels (peak dBFS, peak energy) are measured this long after the onset, so
#: that a next shot or echo does not lend its level to the one before.
PEAK_WINDOW_S = 0.005
#: The background level is this percentile of the energy over a 4 s window: low,
#: so that a dense exchange of fire filling the window does not lift it.
BG_PERCENTILE = 10


def _highpass(x: np.ndarray, sr: float, cutoff_hz: float) -> np.ndarray:
    """Causal 4th-order Butterworth high-pass (cutoff clamped below Nyquist)."""
    cutoff = min(cutoff_hz, 0.35 * sr)
    sos = signal.butter(4, cutoff, btype="highpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x)


def _frame_energy_db(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    """Mean-square energy in dB of windows of ``win`` samples every ``hop``; frame i starts at i*hop."""
    csum = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    starts = np.arange(0, max(len(x) - win, 0) + 1, hop)
    energy = (csum[starts + win] - csum[starts]) / win
    return 10.0 * np.log10(energy + _EPS)


def _background(e_db: np.ndarray, per_s: float, window_s: float = 4.0,
                live: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Running background level and robust sigma (1.4826 MAD) of ``e_db`` over ``window_s``.

    The level is a low percentile (:data:`BG_PERCENTILE`) rather than the
    median, so shots and their tails filling most of the window do not lift it. Computed on a 10 ms grid
    and interpolated back, so hours of audio stay cheap. Frames where ``live`` is False
    (digital silence, zero padding) count as the median live level, so padding does
    not sink the background.
    """
    if live is not None and live.any() and not live.all():
        e_db = np.where(live, e_db, np.median(e_db[live]))
    step = max(1, round(per_s * 0.01))
    n10 = len(e_db) // step
    if n10 < 3:
        med = np.full(len(e_db), np.median(e_db))
        return med, np.full(len(e_db), 1.4826 * np.median(np.abs(e_db - med)))
    coarse = e_db[: n10 * step].reshape(n10, step).mean(axis=1)
    size = max(3, round(window_s / 0.01) | 1)
    med = ndimage.percentile_filter(coarse, BG_PERCENTILE, size=size, mode="nearest")
    mad = ndimage.median_filter(np.abs(coarse - med), size=size, mode="nearest")
    grid = (np.arange(n10) + 0.5) * step
    at = np.arange(len(e_db))
    return np.interp(at, grid, med), np.interp(at, grid, 1.4826 * mad)


# -- features -------------------------------------------------------------------


def _power_spectrum(x: np.ndarray) -> np.ndarray:
    """Hann-windowed power spectrum of ``x`` (mean removed)."""
    x = x - x.mean()
    return np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2


def _background_spectrum(x: np.ndarray, onset: int, n: int) -> np.ndarray | None:
    """Mean power spectrum of up to five ``n``-sample windows ending 5 ms before ``onset``."""
    end = onset - max(1, n // 4)
    starts = [end - (k + 1) * n for k in range(5) if end - (k + 1) * n >= 0]
    if not starts:
        return None
    return np.mean([_power_spectrum(x[a : a + n]) for a in starts], axis=0)


def _spectral_features(
    x: np.ndarray, sr: float, background: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(energy fraction above min(2 kHz, sr/6), above sr/8, flatness over 300 Hz .. 0.9 Nyquist).

    With ``background`` (a power spectrum of the same length), the features
    describe the *excess* over it (spectral subtraction), so the sound of the
    scene around an impulse does not lend it its high frequencies.
    """
    if len(x) < 16:
        return 0.0, 0.0, 0.0
    spec = _power_spectrum(x)
    if background is not None and len(background) == len(spec):
        # keep a tenth of every bin so that no band drops to zero (flatness)
        spec = np.maximum(spec - background, 0.1 * spec)
    freqs = np.fft.rfftfreq(len(x), 1.0 / sr)
    split = min(2000.0, sr / 6.0)
    total = spec[freqs > 50.0].sum() + _EPS
    hf = float(spec[freqs >= split].sum() / total)
    top = float(spec[freqs >= sr / 8.0].sum() / total)
    # flatness on a smoothed spectrum (half-octave bins), after removing the
    # overall tilt (a fit in log-log): a pink blast is "flat", a chirp or a
    # resonance is not
    edges = np.geomspace(300.0, 0.45 * sr, 13)
    centres, levels = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (freqs >= lo) & (freqs < hi)
        if np.any(sel):
            centres.append(math.log(math.sqrt(lo * hi)))
            levels.append(math.log(float(spec[sel].mean()) + _EPS))
    if len(levels) < 4:
        return hf, top, 0.0
    coef = np.polyfit(centres, levels, 1)
    resid = np.exp(np.asarray(levels) - np.polyval(coef, centres))
    flat = float(np.exp(np.mean(np.log(resid))) / np.mean(resid))
    return hf, top, flat


def _low_flatness(x: np.ndarray, onset: int, sr: float, span_s: float = 0.04) -> float:
    """Spectral flatness (geometric / arithmetic mean power) over 40 Hz-1 kHz of the
    ``span_s`` seconds from ``onset`` (Hann window, 4x zero padding).

    A distant blast keeps a broad low-frequency spectrum (the N-wave and the
    street's reverberation: 0.2-0.6 here); a thud or door slam rings at one
    resonance (under 0.05).
    """
    seg = x[onset : onset + max(16, round(span_s * sr))]
    if len(seg) < 16:
        return 0.0
    seg = seg - seg.mean()
    n = 4 * len(seg)
    power = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), n=n)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = power[(freqs >= 40.0) & (freqs <= min(1000.0, 0.45 * sr))] + _EPS
    return float(np.exp(np.mean(np.log(band))) / np.mean(band)) if len(band) else 0.0


def _band_fraction(x: np.ndarray, sr: float, background: np.ndarray | None, lo_hz: float) -> float:
    """Fraction of the excess energy of ``x`` over ``background`` (power spectra, as in
    :func:`_spectral_features`) above ``lo_hz``, of all above 50 Hz."""
    if len(x) < 16:
        return 0.0
    spec = _power_spectrum(x)
    if background is not None and len(background) == len(spec):
        spec = np.maximum(spec - background, 0.0)
    freqs = np.fft.rfftfreq(len(x), 1.0 / sr)
    total = spec[freqs > 50.0].sum() + _EPS
    return float(spec[freqs >= lo_hz].sum() / total)


def _rise_time(x: np.ndarray, onset: int, sr: float) -> float:
    """Seconds from ``onset`` to half the peak of the 0.5 ms running-max envelope above 300 Hz (first 30 ms).

    The low-frequency thump that goes with many blasts (and peaks a quarter
    period later) is filtered out; clipping only shortens the rise.
    """
    lo = max(0, onset - round(0.01 * sr))
    seg = _highpass(x[lo : onset + max(2, round(0.03 * sr))], sr, 300.0)[onset - lo :]
    seg = np.abs(seg)
    if len(seg) < 2:
        return 0.0
    env = ndimage.maximum_filter1d(seg, size=max(1, round(0.0005 * sr)), origin=0)
    top = env.max()
    if top <= 0:
        return 0.0
    return float(np.argmax(env >= 0.5 * top) / sr)


def _duration_and_decay(
    e_db: np.ndarray, bg_db: np.ndarray, frame: int, per_s: float
) -> tuple[float, float, float]:
    """(duration s, fall within 90 ms in dB, peak energy dB) from the energy track."""
    look = e_db[frame : frame + max(1, round(PEAK_WINDOW_S * per_s))]
    peak_i = frame + int(np.argmax(look))
    peak = float(e_db[peak_i])
    floor = max(peak - 30.0, float(bg_db[min(peak_i, len(bg_db) - 1)]) + 3.0)
    # smooth over 10 ms so single low frames inside a noisy decay do not end it
    tail = e_db[peak_i : peak_i + round(2.0 * per_s)]
    if len(tail) == 0:
        return 0.0, 0.0, peak
    smooth = ndimage.uniform_filter1d(tail, size=max(1, round(0.01 * per_s)), mode="nearest")
    below = np.nonzero(smooth < floor)[0]
    end = int(below[0]) if len(below) else len(tail)
    duration = (peak_i - frame + end) / per_s
    # decay: the deepest fall within 90 ms (a next shot 100 ms later does not mask it)
    window = smooth[round(0.01 * per_s) : round(0.09 * per_s)]
    later_db = float(window.min()) if len(window) else float(smooth[-1])
    return duration, peak - later_db, peak


def _logistic(x: float, centre: float, width: float) -> float:
    """1 / (1 + exp(-(x - centre) / width)), overflow-safe."""
    z = (x - centre) / width
    if z < -50:
        return 0.0
    if z > 50:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


def _live_frames(x: np.ndarray, win: int, hop: int, n: int) -> np.ndarray:
    """Per energy frame: True unless the frame is digital silence (every sample exactly 0).

    Recorders pad with zeros (a sensor's clip before and after its trigger, a
    gap in a stream); silence is no background, and noise starting after it is
    no impulse.
    """
    nz = np.concatenate([[0], np.cumsum(x != 0)])
    starts = np.arange(n) * hop
    return (nz[np.minimum(starts + win, len(x))] - nz[starts]) > 0


def track_status(samples: np.ndarray, sr: float) -> str:
    """One word (or a short phrase) on a track's condition: "ok", "silent", "clipped: ...", "very noisy: ...".

    "silent" means the peak is below -70 dBFS; "clipped" that the waveform has
    flat tops (5 or more pairs of consecutive samples at the track's peak,
    above half full scale) or 5 or more samples at or beyond full scale (what
    a clipped recording looks like after a lossy codec); "very noisy" that the 1 ms
    high-passed energy varies by under 6 dB between its 10th and 99.9th
    percentile (nothing stands out of a loud noise bed).
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if len(x) == 0:
        return "silent"
    peak = float(np.max(np.abs(x)))
    if peak < 10 ** (-70 / 20):
        return "silent"
    top = np.abs(x) >= 0.995 * peak
    at_top = int(np.count_nonzero(top))
    flat = int(np.count_nonzero(top[1:] & top[:-1]))  # consecutive samples at the top: flat tops
    if peak > 0.5 and flat >= 5:
        return f"clipped: {at_top} samples ({100.0 * at_top / len(x):.3g}%) at full scale"
    over = int(np.count_nonzero(np.abs(x) >= 0.999))
    if over >= 5:  # a lossy codec rounds flat tops off but overshoots full scale
        return f"clipped: {over} samples ({100.0 * over / len(x):.3g}%) at or beyond full scale"
    hop = max(1, round(0.001 * sr))
    e_db = _frame_energy_db(_highpass(x, sr, 1000.0), 2 * hop, hop)
    lo, hi = np.percentile(e_db, [10, 99.9])
    rms_db = 10 * math.log10(float(np.mean(x**2)) + _EPS)
    if hi - lo < 6.0 and rms_db > -30.0:
        return f"very noisy: {rms_db:.0f} dBFS noise, nothing stands out"
    return "ok"
