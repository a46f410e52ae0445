"""Incident recordings made from real sounds, with exact truth (no tests here: builders).

Used by ``tests/test_audio_real.py``. Built with numpy/scipy and PyAV only, never
with ``timesync``: the material must not share code with what it tests.

A scene is a signal in scene time at :data:`SCENE_SR`. A device hears it from scene
time ``s0`` at clock rate ``rate`` (its local ``t`` is scene time ``s0 + rate * t``),
through its own reverb, band limit, independent noise (wind, hiss) and codec. For
two devices ``a`` (rate 1) and ``b`` the truth is ``t_a = (s0_b - s0_a) + rate_b * t_b``.
The real sounds come from ``../shared/media`` (the tests skip when it is absent).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import gcd
from pathlib import Path

import av
import numpy as np
from scipy import signal
from scipy.io import wavfile

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
SCENE_SR = 48000
LIVE_FIRE = ("live-fire/FP5/test_127/test_127.audio.SCP-00-BNQ-1392.wav",)


@lru_cache(maxsize=16)
def load(name: str, sr: int = SCENE_SR) -> np.ndarray:
    """A mono float recording from :data:`MEDIA`, resampled to ``sr`` and peak-normalised
    (read once per process; do not modify the array)."""
    with warnings.catch_warnings():  # the live-fire WAVs hold chunks scipy does not read
        warnings.simplefilter("ignore", wavfile.WavFileWarning)
        rate, x = wavfile.read(MEDIA / name)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    x = x / (np.max(np.abs(x)) + 1e-12)
    g = gcd(int(rate), sr)
    return signal.resample_poly(x, sr // g, int(rate) // g)


def impulses() -> list[np.ndarray]:
    """Short real impacts: boom, car door, punch and a live-fire gunshot (0.6 s each)."""
    out = []
    for name in ("boom.wav", "car_door.wav", "punch.wav", *LIVE_FIRE):
        x = load(name)
        i = int(np.argmax(np.abs(x)))
        seg = x[max(i - 2400, 0) : i + int(0.6 * SCENE_SR)]
        out.append(seg / np.max(np.abs(seg)))
    return out


def place(scene: np.ndarray, snippet: np.ndarray, at_s: float, gain: float = 1.0) -> None:
    """Add ``snippet`` into ``scene`` from ``at_s`` seconds (clipped at the ends)."""
    i = round(at_s * SCENE_SR)
    n = min(snippet.size, scene.size - i)
    if n > 0 and i >= 0:
        scene[i : i + n] += gain * snippet[:n]


def speech_stream(rng: np.random.Generator, seconds: float, *, reverse: bool = False) -> np.ndarray:
    """Speech: random stretches (1-4 s) of the real speech sample, end to end."""
    src = load("pyannote_sample.wav")
    out = []
    total = 0
    while total < seconds * SCENE_SR:
        n = int(rng.uniform(1.0, 4.0) * SCENE_SR)
        i = int(rng.integers(0, src.size - n))
        seg = src[i : i + n] * np.hanning(n) ** 0.1
        out.append(seg[::-1] if reverse else seg)
        total += n
    return np.concatenate(out)[: int(seconds * SCENE_SR)]


def crowd(rng: np.random.Generator, seconds: float, voices: int = 5) -> np.ndarray:
    """Babble: several speech streams, some reversed, summed."""
    return sum(speech_stream(rng, seconds, reverse=bool(k % 2)) for k in range(voices)) / voices


def music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Bar music: random chords of decaying harmonic notes with a loose beat (punches)."""
    t = np.arange(int(seconds * SCENE_SR)) / SCENE_SR
    out = np.zeros(t.size)
    hit = load("punch.wav")[: SCENE_SR // 4]
    at = 0.0
    while at < seconds:
        dur = rng.uniform(0.3, 0.9)
        i0, i1 = int(at * SCENE_SR), min(int((at + dur) * SCENE_SR), t.size)
        tt = t[i0:i1] - at
        for f in 110 * 2 ** (rng.integers(0, 24, 3) / 12):
            out[i0:i1] += sum(np.sin(2 * np.pi * f * h * tt) / h for h in (1, 2, 3)) * np.exp(-3 * tt)
        place(out, hit, at, 0.5 * rng.uniform(0.5, 1))
        at += dur
    return out / np.max(np.abs(out))


def wind(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Wind at a microphone: low-passed noise with a slow gusting level (unit RMS)."""
    x = signal.sosfilt(signal.butter(2, 300, "low", fs=sr, output="sos"), rng.normal(0, 1, n))
    gust = np.interp(np.arange(n), np.linspace(0, n, 12), rng.uniform(0.3, 1.5, 12))
    x = x * gust
    return x / (np.std(x) + 1e-12)


def reverb(rng: np.random.Generator, x: np.ndarray, rt_s: float, wet: float = 1.5) -> np.ndarray:
    """``x`` in a room: direct sound plus an exponentially decaying noise tail whose RMS
    is ``wet`` times the direct sound's (1.5: a bar; 0.5: outdoors, near buildings)."""
    n = int(rt_s * SCENE_SR)
    ir = rng.normal(0, 1, n) * np.exp(-6.9 * np.arange(n) / n)
    ir[0] = 0.0
    ir *= wet / np.sqrt(np.sum(ir**2))
    ir[0] = 1.0
    return signal.fftconvolve(x, ir)[: x.size]


@dataclass
class Device:
    """How one device hears the scene: from scene time ``s0`` for ``seconds``, at ``rate``."""

    s0: float
    seconds: float
    sr: int = 48000
    rate: float = 1.0
    band: tuple[float, float] | None = None


def hear(scene: np.ndarray, dev: Device) -> np.ndarray:
    """The scene as ``dev`` samples it: sample ``n`` is scene time ``s0 + rate * n / sr``."""
    g = gcd(dev.sr, SCENE_SR)
    x = scene if dev.sr == SCENE_SR else signal.resample_poly(scene, dev.sr // g, SCENE_SR // g)
    if dev.band is not None:
        sos = signal.butter(4, dev.band, "band", fs=dev.sr, output="sos")
        x = signal.sosfiltfilt(sos, x)
    n = int(round(dev.seconds * dev.sr))
    pos = (dev.s0 + dev.rate * np.arange(n) / dev.sr) * dev.sr
    return np.interp(pos, np.arange(x.size), x, left=0.0, right=0.0)


def truth(a: Device, b: Device) -> tuple[float, float]:
    """``(offset, rate)`` of ``t_a = offset + rate * t_b`` (``a`` at rate 1)."""
    return (b.s0 - a.s0) / a.rate, b.rate / a.rate


def write(path: Path, x: np.ndarray, sr: int, codec: str = "pcm_s16le", bitrate: int = 0) -> Path:
    """Encode mono ``x`` (clipped to [-1, 1]) with PyAV: PCM/mu-law WAV, AAC M4A."""
    y = np.clip(np.asarray(x, np.float32) / max(1.0, float(np.max(np.abs(x)))), -1, 1)
    with av.open(str(path), "w") as c:
        st = c.add_stream(codec, rate=sr)
        st.layout = "mono"
        if bitrate:
            st.bit_rate = bitrate
        fmt = {"aac": "fltp"}.get(codec, "s16")
        for i in range(0, y.size, 1024):
            block = y[None, i : i + 1024]
            data = block if fmt == "fltp" else np.round(block * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = sr, i, Fraction(1, sr)
            for p in st.encode(frame):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
    return path


def noisy(rng: np.random.Generator, x: np.ndarray, snr_db: float, sr: int,
          kind: str = "hiss") -> np.ndarray:
    """``x`` plus independent noise ``snr_db`` below its RMS (``kind``: hiss or wind)."""
    level = np.sqrt(np.mean(x**2)) * 10 ** (-snr_db / 20)
    n = wind(rng, x.size, sr) if kind == "wind" else rng.normal(0, 1, x.size)
    return x + level * n
