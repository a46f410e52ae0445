"""Synthetic sound: the scene on the true clock, and each device's recording of it.

The scene (speech-like syllables, a siren, gunshots, street rumble) is made at
:data:`SCENE_SR` on the true clock, not low-passed (a filter would ring before
each shot's onset). A device samples
it at its own times ``tau = start_true_s + rate * n / sample_rate`` by windowed
sinc interpolation, then adds its own noise, gain and clipping. The thermal
camera hears only its rotor. Sound travel time is not simulated.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from timesync.samples.scenario import SCENE_SR, Device, Scenario

__all__ = ["scene_sound", "device_sound", "rotor_sound", "resample_at"]

_LANCZOS_A = 12  # taps on each side of the windowed-sinc interpolator


def _gunshot(rng: np.random.Generator, sr: int) -> np.ndarray:
    """One gunshot-like impulse at ``sr``: instant rise, broadband blast, decay, echoes."""
    n = round(0.45 * sr)
    t = np.arange(n) / sr
    decay_s = rng.uniform(0.030, 0.080)
    blast = rng.standard_normal(n) * np.exp(-t / decay_s)
    k = np.arange(24)
    blast[:24] += 4.0 * np.exp(-k / 3.0) * (1 - k / 12)  # the crack (N-wave): full level at once
    boom = np.sin(2 * np.pi * rng.uniform(70, 110) * t) * np.exp(-t / 0.05) * 1.5
    shot = blast + boom
    out = shot.copy()
    for _ in range(2):  # a couple of echoes off buildings
        delay = round(rng.uniform(0.025, 0.150) * sr)
        out[delay:] += rng.uniform(0.2, 0.45) * shot[: n - delay]
    return out / np.max(np.abs(out))


def _resonator(freq: float, bandwidth: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.exp(-np.pi * bandwidth / sr)
    a = np.array([1.0, -2 * r * np.cos(2 * np.pi * freq / sr), r * r])
    return np.array([1.0 - r]), a


_VOWELS = ((700, 1220, 2600), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410))


def _syllable(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A pitched vowel with a fricative onset, 120-300 ms."""
    n = round(rng.uniform(0.12, 0.30) * sr)
    t = np.arange(n) / sr
    f0 = rng.uniform(105, 210) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t))
    phase = np.cumsum(f0) / sr
    source = 2 * (phase % 1.0) - 1.0
    voiced = source
    for freq in _VOWELS[rng.integers(len(_VOWELS))]:
        b, a = _resonator(freq * rng.uniform(0.9, 1.1), 90.0, sr)
        voiced = voiced + 3 * signal.lfilter(b, a, source)
    env = np.minimum(1.0, np.minimum(t / 0.02, (t[-1] - t) / 0.04 + 1e-9))
    out = voiced * env
    if rng.random() < 0.5:  # a consonant: a short burst of high-passed noise
        m = round(0.04 * sr)
        hiss = signal.lfilter([1, -0.95], [1], rng.standard_normal(m)) * np.hanning(m)
        out[:m] = out[:m] * 0.3 + hiss * 0.6
    return out / (np.max(np.abs(out)) + 1e-12)


def _speech(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Syllables in words and phrases filling ``n`` samples."""
    out = np.zeros(n)
    i = round(rng.uniform(0.05, 0.2) * sr)
    while i < n:
        for _ in range(rng.integers(1, 4)):  # a word
            if i >= n:
                break
            syl = _syllable(rng, sr)
            j = min(n, i + syl.size)
            out[i:j] += syl[: j - i] * rng.uniform(0.6, 1.0)
            i = j + round(rng.uniform(0.02, 0.06) * sr)
        i += round(rng.uniform(0.08, 0.35) * sr)
    return out


def _siren(n: int, sr: int) -> np.ndarray:
    """A wailing siren: 600-1300 Hz sweep over 4 s, with harmonics and fades."""
    t = np.arange(n) / sr
    freq = 950 + 350 * np.sin(2 * np.pi * t / 4.0)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    tone = np.sin(phase) + 0.35 * np.sin(2 * phase) + 0.15 * np.sin(3 * phase)
    fade = np.minimum(1.0, np.minimum(t / 1.5, (t[-1] - t) / 1.5))
    return tone * fade


def _segment(tau: tuple[float, float]) -> slice:
    return slice(round(tau[0] * SCENE_SR), round(tau[1] * SCENE_SR))


def scene_sound(scn: Scenario) -> np.ndarray:
    """The scene's sound on the true clock at :data:`SCENE_SR` (float64, ~full scale 1).

    Sample ``k`` is at true time ``k / SCENE_SR``; shot ``j`` starts exactly at
    sample ``round(shots_true_s[j] * SCENE_SR)`` (shots lie on the grid).
    """
    sr = SCENE_SR
    n = round(scn.scene_end_s * sr) + sr
    rng = np.random.default_rng(scn.seed + 100)
    # Street rumble: brown-ish noise, heard by every body cam.
    out = signal.lfilter([1.0], [1.0, -0.995], rng.standard_normal(n)) * 0.004
    for seg in scn.speech_segments:
        sl = _segment(seg)
        out[sl] += 0.22 * _speech(rng, sl.stop - sl.start, sr)
    sl = _segment(scn.siren_segment)
    out[sl] += 0.12 * _siren(sl.stop - sl.start, sr)
    for tau, seed in zip(scn.shots_true_s, scn.shot_seeds, strict=True):
        shot_rng = np.random.default_rng(seed)
        shot = _gunshot(shot_rng, sr) * shot_rng.uniform(0.75, 0.95)
        k = round(tau * sr)
        m = min(shot.size, n - k)
        out[k : k + m] += shot[:m]
    return out


def resample_at(x: np.ndarray, positions: np.ndarray, *, chunk: int = 1 << 16) -> np.ndarray:
    """Band-limited values of ``x`` at fractional sample ``positions`` (Lanczos kernel).

    Positions outside ``[0, len(x) - 1]`` read zeros beyond the ends.
    """
    a = _LANCZOS_A
    padded = np.concatenate([np.zeros(a), x, np.zeros(a + 1)])
    taps = np.arange(-a + 1, a + 1)
    out = np.empty(positions.size)
    for lo in range(0, positions.size, chunk):
        pos = positions[lo : lo + chunk]
        base = np.floor(pos)
        frac = pos - base
        idx = base.astype(np.int64)[:, None] + taps[None, :] + a
        d = frac[:, None] - taps[None, :]
        kernel = np.sinc(d) * np.sinc(d / a)
        out[lo : lo + chunk] = np.sum(padded[np.clip(idx, 0, padded.size - 1)] * kernel, axis=1)
    return out


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-RMS hiss with a little pink tilt."""
    x = signal.lfilter([1.0], [1.0, -0.6], rng.standard_normal(n))
    return x / np.sqrt(np.mean(x**2))


def device_sound(scene: np.ndarray, dev: Device) -> np.ndarray:
    """What body cam ``dev`` records: float32 in [-1, 1] at ``dev.sample_rate``.

    Sample ``n`` is the scene at true time ``dev.true_time(n / sample_rate)``,
    scaled by ``gain``, plus the device's own noise at ``snr_db`` below the
    scene's RMS, then clipped at ``clip_level``.
    """
    n = np.arange(dev.sample_count)
    positions = (dev.start_true_s + dev.rate * n / dev.sample_rate) * SCENE_SR
    heard = resample_at(scene, positions) * dev.gain
    rng = np.random.default_rng(dev.seed)
    rms = np.sqrt(np.mean(heard**2))
    heard += _noise(rng, n.size) * rms * 10 ** (-dev.snr_db / 20)
    return np.clip(heard, -dev.clip_level, dev.clip_level).astype(np.float32)


def rotor_sound(dev: Device) -> np.ndarray:
    """A helicopter's cabin: blade-pass thumps (~21 Hz), turbine whine, broadband noise."""
    sr = dev.sample_rate
    n = dev.sample_count
    rng = np.random.default_rng(dev.seed)
    t = np.arange(n) / sr
    blade_hz = 21.3
    thump_len = round(0.018 * sr)
    tt = np.arange(thump_len) / sr
    thump = np.sin(2 * np.pi * 90 * tt) * np.exp(-tt / 0.006)
    pulses = np.zeros(n)
    k = np.arange(0, n, sr / blade_hz)
    idx = np.round(k).astype(np.int64)
    idx = idx[idx < n]
    pulses[idx] = rng.uniform(0.8, 1.0, idx.size)
    thumps = signal.fftconvolve(pulses, thump)[:n]
    whine = 0.04 * np.sin(2 * np.pi * 3150 * t + 0.3 * np.sin(2 * np.pi * 0.2 * t))
    broad = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(n)) * 0.05
    out = 0.45 * thumps + whine + broad
    return np.clip(out, -1, 1).astype(np.float32)
