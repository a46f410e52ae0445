"""Sound on true time: a scene, the noise beds of each device, reverb, and the drifting capture.

A *scene* is one signal on true time (seconds from the case's zero) at the world
rate, assembled from snippets of the real pools (``corpus.material``), each
snippet resampled by a random factor (pitch and tempo together) so that long
scenes never repeat a waveform. Each device hears the scene through its own
room (an exponential-decay impulse response whose direct path is at lag 0, so
reverb adds no delay), plus its own bed (wind, crowd, traffic), at its own SNR.

Capture: sample ``n`` of a device at rate ``fs`` is the scene at true time
``start + rate * n / fs`` (rate = true seconds per local second), by linear
interpolation of the world after a zero-phase low-pass below ``fs / 2``.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from corpus.material import pools


def _stretch(x: np.ndarray, factor: float) -> np.ndarray:
    """``x`` played ``factor`` times faster (pitch and tempo), linear interpolation."""
    n = max(2, int(round(len(x) / factor)))
    return np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float32)


def _fade(x: np.ndarray, rate: int, ms: float = 20.0) -> np.ndarray:
    k = min(len(x) // 2, int(rate * ms / 1000))
    if k > 1:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def _snippet(rng: np.random.Generator, clip: np.ndarray, rate: int, lo_s: float, hi_s: float) -> np.ndarray:
    length = min(len(clip), int(rate * rng.uniform(lo_s, hi_s)))
    start = int(rng.integers(0, max(1, len(clip) - length)))
    piece = _stretch(clip[start: start + length], float(rng.uniform(0.85, 1.18)))
    return _fade(piece * float(rng.uniform(0.4, 1.0)), rate)


def _add(world: np.ndarray, piece: np.ndarray, at: int) -> None:
    end = min(len(world), at + len(piece))
    if end > at >= 0:
        world[at:end] += piece[: end - at]


def scene(rng: np.random.Generator, duration_s: float, rate: int, content: list[str],
          hits: list[str], sparse: bool, hit_every_s: float) -> tuple[np.ndarray, list[list[float]]]:
    """A scene on true time ``[0, duration_s)``.

    Parameters
    ----------
    content : pools played continuously (none for a sparse scene).
    hits : pools of impulses (door, punch, boom, gunshots) dropped in at random.
    sparse : True for a quiet scene of impulses only.
    hit_every_s : mean seconds between impulses.

    Returns
    -------
    world, audible
        The float32 signal and its audible intervals ``[start_s, end_s]`` on true time.
    """
    lib = pools(rate)
    n = int(round(duration_s * rate))
    world = np.zeros(n, np.float32)
    audible: list[list[float]] = []
    if content and not sparse:
        at = 0
        while at < n:
            clip = lib[str(rng.choice(content))][0]
            piece = _snippet(rng, clip, rate, 1.5, 4.0)
            _add(world, piece, at)
            at += int(len(piece) * rng.uniform(0.75, 1.0))
        audible.append([0.0, duration_s])
    t = float(rng.exponential(hit_every_s / 2))
    while hits and t < duration_s - 1.0:
        clips = lib[str(rng.choice(hits))]
        clip = clips[int(rng.integers(len(clips)))]
        piece = _stretch(clip, float(rng.uniform(0.95, 1.05))) * float(rng.uniform(0.6, 1.0))
        _add(world, piece * (2.0 if not sparse else 1.0), int(t * rate))
        if sparse:
            audible.append([t, t + min(len(piece) / rate, 0.5)])
        t += float(rng.exponential(hit_every_s)) + 0.6
    return world, audible


def room(rng: np.random.Generator, rate: int) -> np.ndarray:
    """An impulse response: direct path 1 at lag 0, then decaying noise (RT60 0.15-1.0 s)."""
    rt60 = float(rng.uniform(0.15, 1.0))
    n = int(rt60 * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * float(rng.uniform(0.05, 0.3)) / np.sqrt(rate / 100)
    tail[: max(1, int(0.002 * rate))] = 0.0
    tail[0] = 1.0
    return tail.astype(np.float32)


def reverberate(world: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """``world`` through the room ``ir`` (same length, no delay added)."""
    return signal.oaconvolve(world, ir)[: len(world)].astype(np.float32)


def capture(world: np.ndarray, world_rate: int, start_s: float, rate: float, fs: int, n: int) -> np.ndarray:
    """What a device at ``fs`` Hz whose clock runs ``rate`` true s per local s records from ``start_s`` on.

    Samples before the world's start or after its end are silent.
    """
    if fs < world_rate:
        sos = signal.butter(8, 0.45 * fs, fs=world_rate, output="sos")
        world = signal.sosfiltfilt(sos, world).astype(np.float32)
    out = np.zeros(n, np.float32)
    block = 1 << 21
    for lo in range(0, n, block):
        k = np.arange(lo, min(n, lo + block), dtype=np.float64)
        pos = (start_s + rate * k / fs) * world_rate
        i0 = np.floor(pos).astype(np.int64)
        frac = (pos - i0).astype(np.float32)
        ok = (i0 >= 0) & (i0 + 1 < len(world))
        j = np.where(ok, i0, 0)
        val = world[j] * (1 - frac) + world[np.minimum(j + 1, len(world) - 1)] * frac
        out[lo: lo + len(k)] = np.where(ok, val, 0.0)
    return out


def bed(rng: np.random.Generator, kind: str, fs: int, n: int, crowd_pool: str) -> np.ndarray:
    """A device's own noise bed at unit RMS: ``"wind"``, ``"crowd"``, ``"traffic"`` or ``"hiss"``.

    The crowd is eight reversed, resampled voices from ``crowd_pool`` (a speech
    pool the scene does not use), so it never correlates with the scene.
    """
    white = rng.standard_normal(n).astype(np.float32)
    if kind == "wind":
        sos = signal.butter(2, 300, fs=fs, output="sos")
        gust = signal.sosfilt(signal.butter(1, 0.3, fs=fs, output="sos"), rng.standard_normal(n))
        x = signal.sosfilt(sos, white) * (1.0 + 3.0 * np.abs(gust) / (np.std(gust) + 1e-9))
    elif kind == "crowd":
        voice = pools(fs)[crowd_pool][0][::-1].copy()
        x = np.zeros(n, np.float32)
        for _ in range(8):
            v = _stretch(voice, float(rng.uniform(0.8, 1.25)))
            reps = np.resize(np.roll(v, int(rng.integers(len(v)))), n)
            x += reps * float(rng.uniform(0.3, 1.0))
        x += 0.05 * white
    elif kind == "traffic":
        brown = np.cumsum(white) / np.sqrt(fs)
        brown = signal.sosfilt(signal.butter(2, 20, btype="highpass", fs=fs, output="sos"), brown)
        t = np.arange(n) / fs
        hum = np.sin(2 * np.pi * float(rng.uniform(40, 90)) * t + 3 * np.sin(2 * np.pi * 0.05 * t))
        pass_env = 0.5 + 0.5 * np.sin(2 * np.pi * t / float(rng.uniform(6, 15))) ** 8
        x = brown / (np.std(brown) + 1e-9) + 0.3 * hum * pass_env
    else:
        x = white
    x = np.asarray(x, np.float32)
    return x / (float(np.sqrt(np.mean(x ** 2))) + 1e-12)
