"""Synthetic impulses with a known onset, for tests and benchmarks (not part of timesync).

Every generator returns a float64 array at ``sr`` Hz whose sample 0 is the
onset (the first non-zero sample), and takes a ``numpy.random.Generator`` so
results are reproducible. Levels are relative (peak about 1.0): scale them.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["gunshot", "clap", "shutter", "thud", "place", "mix_at_snr", "clip"]


def gunshot(sr: float, rng: np.random.Generator, *, echoes: bool = True, tail_s: float = 0.25) -> np.ndarray:
    """A gunshot-like blast: Friedlander muzzle wave + broadband burst + reverberant tail + echoes.

    The muzzle wave rises within one sample, then a broadband noise burst
    (decay constant 2-4 ms) and a reverberant tail (decay constant 25-60 ms,
    about -14 dB) follow, both falling at -6 dB/octave above 1.5-4 kHz; with
    ``echoes`` two low-passed reflections 15-80 ms later at -8 to -14 dB.
    """
    n = round(tail_s * sr)
    t = np.arange(n) / sr
    width = rng.uniform(0.0008, 0.002)  # positive phase of the muzzle wave, s
    fried = (1 - t / width) * np.exp(-2.0 * t / width)
    # the burst and tail fall at about -6 dB/octave above 1.5-4 kHz (pink-ish)
    sos = signal.butter(1, min(rng.uniform(1500, 4000), 0.45 * sr), fs=sr, output="sos")
    burst = signal.sosfilt(sos, rng.standard_normal(n)) * np.exp(-t / rng.uniform(0.002, 0.004)) * 3
    tail = signal.sosfilt(sos, rng.standard_normal(n)) * 3 * np.exp(-t / rng.uniform(0.025, 0.06)) * 10 ** (-14 / 20)
    # the tail builds up over ~1 ms (reflections arrive after the direct sound)
    tail *= 1 - np.exp(-t / 0.001)
    x = 0.8 * fried + 0.6 * burst + tail
    if echoes:
        for _ in range(2):
            d = round(rng.uniform(0.015, 0.08) * sr)
            g = 10 ** (-rng.uniform(8, 14) / 20)
            lp = signal.butter(2, min(rng.uniform(2000, 5000), 0.45 * sr), fs=sr, output="sos")
            x[d:] += g * signal.sosfilt(lp, x[: n - d])  # walls and air absorb the highs
    x[0] = 0.8  # the front of the wave: the onset is sample 0
    return x / np.max(np.abs(x))


def clap(sr: float, rng: np.random.Generator) -> np.ndarray:
    """A hand clap: a 1-3 kHz band noise burst of about 5 ms, no tail."""
    n = round(0.03 * sr)
    t = np.arange(n) / sr
    sos = signal.butter(2, [900, min(3000, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal(n)) * np.exp(-t / 0.0015)
    return x / np.max(np.abs(x))


def shutter(sr: float, rng: np.random.Generator) -> np.ndarray:
    """A camera shutter click: two ~1 ms high-frequency ticks 3 ms apart."""
    n = round(0.012 * sr)
    t = np.arange(n) / sr
    tick = np.sin(2 * np.pi * 6000 * t) * np.exp(-t / 0.0004)
    x = tick.copy()
    d = round(0.003 * sr)
    x[d:] += 0.6 * tick[: n - d]
    x += 0.01 * rng.standard_normal(n) * np.exp(-t / 0.0005)
    return x / np.max(np.abs(x))


def thud(sr: float, rng: np.random.Generator) -> np.ndarray:
    """A door-slam-like thud: a damped 80-150 Hz resonance with a little low-passed noise."""
    n = round(0.4 * sr)
    t = np.arange(n) / sr
    f = rng.uniform(80, 150)
    x = np.sin(2 * np.pi * f * t) * np.exp(-t / 0.06)
    sos = signal.butter(2, min(800, 0.45 * sr), fs=sr, output="sos")
    x += 0.3 * signal.sosfilt(sos, rng.standard_normal(n)) * np.exp(-t / 0.02)
    return x / np.max(np.abs(x))


def place(background: np.ndarray, event: np.ndarray, at: int, gain: float) -> None:
    """Add ``gain * event`` into ``background`` starting at sample ``at`` (in place, truncated at the end)."""
    end = min(len(background), at + len(event))
    if end > at:
        background[at:end] += gain * event[: end - at]


def mix_at_snr(background: np.ndarray, event_peak: float, snr_db: float) -> np.ndarray:
    """``background`` rescaled so that ``event_peak`` (peak amplitude) stands ``snr_db`` above its RMS."""
    rms = float(np.sqrt(np.mean(background**2))) or 1.0
    return background * (event_peak / rms) * 10 ** (-snr_db / 20)


def clip(x: np.ndarray, level: float) -> np.ndarray:
    """Hard clipping at ``±level`` (a saturating microphone)."""
    return np.clip(x, -level, level)
