"""Impulse detection on known-answer synthetic tracks (numpy only, no files)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile
from synth import sounds as syn

from timesync.detect import detect_impulses
from timesync.detect.impulses import track_status
from timesync.detect.shots import detect_in_blocks

SR = 48000


def _scene(seed: int, onsets_s: list[float], *, dur_s: float = 3.0, noise: float = 0.002,
           gain: float = 0.5, sr: int = SR) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    x = noise * signal.lfilter([1.0], [1.0, -0.98], rng.standard_normal(round(dur_s * sr)))
    at = [round(t * sr) for t in onsets_s]
    for k in at:
        syn.place(x, syn.gunshot(sr, rng), k, gain * rng.uniform(0.8, 1.0))
    return x, at


def _shots(x: np.ndarray, sr: int = SR) -> list:
    return [imp for imp in detect_impulses(x, sr) if imp.score >= 0.5]


def _match(found: list, truth: list[int], sr: int = SR) -> list[float]:
    """Onset error (s) of each true onset's nearest detection; asserts one detection per shot."""
    assert len(found) == len(truth), [round(f.onset_s, 4) for f in found]
    return [abs(f.onset_sample - k) / sr for f, k in zip(found, truth, strict=True)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_shot_onset_within_a_millisecond(seed):
    x, truth = _scene(seed, [1.2345])
    found = _shots(x)
    errors = _match(found, truth)
    assert max(errors) < 0.001
    imp = found[0]
    assert imp.accepted is None
    assert imp.onset_s == pytest.approx(imp.onset_sample / SR)
    assert -10.0 < imp.peak_dbfs < -5.0  # placed at 0.4..0.5 of full scale
    assert imp.rise_s < 0.001 and imp.hf_fraction > 0.1 and imp.duration_s > 0.015


@pytest.mark.parametrize("gap_s", [0.1, 0.15, 0.2])
def test_burst_of_shots_100_ms_apart_all_found(gap_s):
    onsets = [0.5 + k * gap_s for k in range(6)] + [2.0, 2.0 + gap_s]
    x, truth = _scene(7, onsets)
    errors = _match(_shots(x), truth)
    assert max(errors) < 0.001


def test_t0_shifts_onsets():
    x, truth = _scene(3, [0.8])
    [imp] = [i for i in detect_impulses(x, SR, t0_s=100.0) if i.score >= 0.5]
    assert imp.onset_sample == pytest.approx(truth[0], abs=48)
    assert imp.onset_s == pytest.approx(100.0 + imp.onset_sample / SR)


@pytest.mark.parametrize("gain", [3.0, 10.0])
def test_clipped_microphone_keeps_onsets_and_bursts(gain):
    x, truth = _scene(11, [0.5, 0.62, 0.75, 1.6, 2.2], gain=0.5)
    clipped = syn.clip(x * gain, 1.0)
    found = _shots(clipped)
    errors = _match(found, truth)
    assert max(errors) < 0.001
    assert sum(f.clipped for f in found) >= (len(found) if gain >= 10 else 1)
    assert track_status(clipped, SR).startswith("clipped: ")


def test_low_rate_track_8khz():
    """A 911-style 8 kHz recording: features are relative to its own band."""
    x, truth = _scene(5, [0.6, 0.75, 1.9], sr=8000)
    errors = _match(_shots(x, 8000), truth, 8000)
    assert max(errors) < 0.001


@pytest.mark.parametrize("maker", ["clap", "shutter", "thud"])
def test_synthetic_non_shots_are_not_shots(maker):
    rng = np.random.default_rng(4)
    x = 0.001 * rng.standard_normal(2 * SR)
    for k in range(3):
        syn.place(x, getattr(syn, maker)(SR, rng), round((0.3 + 0.5 * k) * SR), 0.5)
    assert detect_impulses(x, SR, min_score=0.5) == []


@pytest.mark.parametrize("name", ["boom.wav", "car_door.wav", "punch.wav"])
def test_real_non_shot_impulses_rejected(shared_media_dir, name):
    sr_in, raw = wavfile.read(shared_media_dir / name)
    y = (raw.astype(np.float64) - 128.0) / 128.0 if raw.dtype == np.uint8 else raw / 32768.0
    y = signal.resample_poly(y, SR, sr_in)
    rng = np.random.default_rng(9)
    x = 0.002 * rng.standard_normal(3 * SR)
    syn.place(x, y, SR, 0.7)
    assert [i.onset_s for i in detect_impulses(x, SR, min_score=0.5)] == []


def test_silence_gives_nothing():
    assert detect_impulses(np.zeros(2 * SR), SR) == []
    assert detect_impulses(np.zeros(10), SR) == []
    assert track_status(np.zeros(SR), SR) == "silent"


@pytest.mark.parametrize("kind", ["white", "brown", "loud white"])
def test_noise_gives_no_shots(kind):
    rng = np.random.default_rng(12)
    n = 5 * SR
    if kind == "brown":
        x = 0.01 * signal.lfilter([1.0], [1.0, -0.995], rng.standard_normal(n))
    else:
        x = (0.2 if kind == "loud white" else 0.01) * rng.standard_normal(n)
    assert detect_impulses(x, SR, min_score=0.5) == []
    if kind == "loud white":
        assert track_status(x, SR).startswith("very noisy")


def test_echo_is_not_a_second_shot():
    rng = np.random.default_rng(21)
    x = 0.002 * rng.standard_normal(2 * SR)
    shot = syn.gunshot(SR, rng, echoes=False)
    syn.place(x, shot, SR // 2, 0.5)
    syn.place(x, shot, SR // 2 + round(0.12 * SR), 0.5 * 10 ** (-5 / 20))  # a wall 20 m away
    found = _shots(x)
    assert [f.onset_sample for f in found] == pytest.approx([SR // 2], abs=48)


def test_bad_arguments():
    with pytest.raises(TypeError, match="unknown parameter"):
        detect_impulses(np.zeros(SR), SR, jump=3)
    with pytest.raises(ValueError, match="sample rate"):
        detect_impulses(np.zeros(SR), 0)


def test_blocks_give_the_same_impulses_as_one_array():
    onsets = [0.7, 0.8, 3.95, 4.05, 7.5, 11.0, 14.99]
    x, truth = _scene(13, onsets, dur_s=16.0)
    whole = [i.onset_sample for i in _shots(x)]
    block = round(2.5 * SR)
    blocks = ((k / SR, x[k : k + block]) for k in range(0, len(x), block))
    kept, status = detect_in_blocks(blocks, SR, context_s=1.0, lookahead_s=0.5, pass_s=2.0)
    streamed = [i.onset_sample for i in kept if i.score >= 0.5]
    assert whole == streamed
    assert max(abs(a - b) for a, b in zip(streamed, truth, strict=True)) < 48
    assert status == "ok"
