"""Known-answer tests of the audio alignment engine on synthetic signals.

The signals are sums of Gabor atoms (windowed tone bursts at random times,
frequencies and widths), evaluated analytically at any instant: recording
``b`` sampled at ``t_a = offset + rate * t_b`` is exact to the last sample, with
no resampling error, so sub-sample offsets and drifts are known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from timesync.align import audio
from timesync.align.audio_coarse import coarse_match
from timesync.align.audio_features import COARSE_SR, FRAME_RATE, FluxExtractor, flux_features
from timesync.align.audio_fine import WindowMeasure, fit_windows


def atoms(duration_s: float, seed: int, fmax: float = 7000.0, per_s: float = 25.0) -> np.ndarray:
    """Random atoms (t0, width, freq, phase, amplitude) over ``duration_s`` seconds."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * per_s)
    return np.column_stack(
        [
            np.sort(rng.uniform(0, duration_s, n)),
            rng.uniform(0.004, 0.03, n),
            np.exp(rng.uniform(np.log(150.0), np.log(fmax), n)),
            rng.uniform(0, 2 * np.pi, n),
            rng.uniform(0.05, 0.3, n) * (rng.random(n) < 0.8),
        ]
    )


def render(table: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The atom sum at the (sorted, uniformly spaced) instants ``t`` (seconds)."""
    out = np.zeros(t.size)
    dt = t[1] - t[0]
    for t0, w, f, ph, amp in table:
        i0 = max(int(np.floor((t0 - 5 * w - t[0]) / dt)), 0)
        i1 = min(int(np.ceil((t0 + 5 * w - t[0]) / dt)) + 1, t.size)
        if i1 <= i0:
            continue
        tt = t[i0:i1] - t0
        out[i0:i1] += amp * np.exp(-0.5 * (tt / w) ** 2) * np.sin(2 * np.pi * f * tt + ph)
    return out


def pair(*, sr_a, sr_b, offset, ppm, dur_a, dur_b, snr_db=20.0, seed=1):
    """Recordings ``a`` (local time = scene time) and ``b`` with ``t_a = offset + r * t_b``."""
    r = 1 + ppm * 1e-6
    span = (min(0.0, offset) - 1, max(dur_a, offset + r * dur_b) + 1)
    table = atoms(span[1] - span[0], seed, fmax=0.45 * min(sr_a, sr_b))
    table[:, 0] += span[0]
    rng = np.random.default_rng(seed + 100)
    a = render(table, np.arange(round(dur_a * sr_a)) / sr_a)
    b = render(table, offset + r * np.arange(round(dur_b * sr_b)) / sr_b)
    for x in (a, b):
        x += rng.normal(0, np.std(x) * 10 ** (-snr_db / 20), x.size)
    return a, b


CASES = [
    # sr_a, sr_b, offset (s), drift (ppm), dur_a, dur_b
    pytest.param(16000, 16000, 7.2500313, 0.0, 40, 25, id="16k-subsample"),
    pytest.param(44100, 44100, -4.37216, 40.0, 30, 45, id="44k-b-starts-first-40ppm"),
    pytest.param(48000, 16000, 12.00071, 500.0, 70, 60, id="48k-16k-500ppm"),
    pytest.param(48000, 44100, 30.5, -40.0, 40, 20, id="short-overlap-10s"),
]


@pytest.mark.parametrize(("sr_a", "sr_b", "offset", "ppm", "dur_a", "dur_b"), CASES)
def test_known_offset_and_drift(sr_a, sr_b, offset, ppm, dur_a, dur_b):
    a, b = pair(sr_a=sr_a, sr_b=sr_b, offset=offset, ppm=ppm, dur_a=dur_a, dur_b=dur_b)
    m = audio.match_signals(a, b, sr_a, sr_b)
    assert m.matched, m.reason
    r = 1 + ppm * 1e-6
    # compare where it was measured: t_a at the fit's centre
    err = (m.offset_s + m.rate * m.at_b_s) - (offset + r * m.at_b_s)
    assert abs(err) < 5e-5, f"offset error {err * 1e3:.4f} ms"
    assert abs(err) < 5 * m.uncertainty_s + 1e-6
    assert 0 < m.uncertainty_s < 1e-4
    if m.rate_uncertainty is not None:
        assert abs(m.drift_ppm - ppm) < 3.0
    else:
        assert abs(ppm) < 50  # a short overlap does not measure the rate
    assert m.score > audio.MIN_COARSE_SCORE and m.ambiguity < audio.MAX_AMBIGUITY
    assert m.agreeing >= 0.9


def test_drift_500ppm_over_ten_minutes_coarse():
    """The coarse stage alone finds and compensates 300 ms of drift over 10 minutes."""
    table = atoms(700, seed=3, fmax=3500, per_s=10)
    r = 1 + 500e-6
    a = render(table, np.arange(600 * COARSE_SR) / COARSE_SR)
    b = render(table, 60.0 + r * np.arange(600 * COARSE_SR) / COARSE_SR)
    cm = coarse_match(flux_features(a.astype(np.float32)), flux_features(b.astype(np.float32)))
    assert cm is not None and cm.score > 20
    assert abs(cm.offset_s - 60.0) < 1.5 / FRAME_RATE
    assert abs((cm.rate - 1) * 1e6 - 500) < 15
    assert cm.chunks_on_line >= 5


def test_streaming_features_equal_whole():
    x = render(atoms(20, seed=4, fmax=3500), np.arange(20 * COARSE_SR) / COARSE_SR).astype(
        np.float32
    )
    ex = FluxExtractor()
    for i in range(0, x.size, 12345):
        ex.push(x[i : i + 12345])
    np.testing.assert_allclose(ex.finish(), flux_features(x), atol=1e-5)


def test_different_scenes_no_match():
    a, _ = pair(sr_a=16000, sr_b=16000, offset=0, ppm=0, dur_a=40, dur_b=1, seed=7)
    b, _ = pair(sr_a=16000, sr_b=16000, offset=0, ppm=0, dur_a=40, dur_b=1, seed=8)
    m = audio.match_signals(a, b, 16000)
    assert not m.matched
    assert "no reliable audio match" in m.reason or "ambiguous" in m.reason
    assert m.score < audio.MIN_COARSE_SCORE or m.ambiguity >= audio.MAX_AMBIGUITY


def _siren(t: np.ndarray) -> np.ndarray:
    phase = np.mod(t, 1.5) / 1.5  # a 1.5 s wail, repeating
    f = 600 + 600 * np.sin(np.pi * phase)
    return 0.3 * np.sin(2 * np.pi * np.cumsum(f) * (t[1] - t[0]))


def _rotor(t: np.ndarray) -> np.ndarray:
    blade = np.mod(t, 1 / 15.0)  # blade slap at 15 Hz
    return 0.5 * np.exp(-blade / 0.004) * np.sin(2 * np.pi * 900 * blade)


@pytest.mark.parametrize("make", [_siren, _rotor], ids=["siren", "rotor"])
def test_repetitive_sound_refused(make):
    sr = 16000
    rng = np.random.default_rng(11)
    t = np.arange(40 * sr) / sr
    a = make(t) + rng.normal(0, 0.03, t.size)
    b = make(t[: 25 * sr] + 9.3) + rng.normal(0, 0.03, 25 * sr)
    m = audio.match_signals(a, b, sr)
    assert not m.matched, f"confident answer {m.offset_s} on periodic sound"
    assert "ambiguous" in m.reason or "no reliable" in m.reason


def test_too_short_overlap_refused():
    sr = 16000
    a = np.random.default_rng(1).normal(0, 0.1, 2 * sr)
    m = audio.match_signals(a, a.copy(), sr)
    assert not m.matched and "overlap" in m.reason


def test_fit_rejects_outlier_windows():
    sr = 16000
    wins = [
        WindowMeasure(t_b=float(t), offset_s=5.0 + 1e-4 * t, psr=20, ambiguity=0.2)
        for t in range(0, 60, 5)
    ]
    wins[3] = WindowMeasure(t_b=15.0, offset_s=5.02, psr=20, ambiguity=0.2)
    wins[7] = WindowMeasure(t_b=35.0, offset_s=4.97, psr=20, ambiguity=0.2)
    fit = fit_windows(wins, sr=sr)
    assert fit is not None and fit.n_inliers == 10 and fit.n_windows == 12
    assert fit.offset_s == pytest.approx(5.0, abs=1e-9)
    assert fit.rate == pytest.approx(1.0001, abs=1e-10)
    assert fit.inliers[3] is False and fit.inliers[7] is False


# -- coarse decode by the ffmpeg subprocess: same time origin as PyAV's decoder --------


@pytest.fixture(scope="session")
def coarse_files(tmp_path_factory):
    """Tiny files (4 s of gated noise): MP4 (AAC starting 0.5 s after the video), WAV, M4A."""
    from media_factory import AudioSpec, make_audio, make_video

    folder = tmp_path_factory.mktemp("coarse")
    rng = np.random.default_rng(7)
    sr = 48000
    gate = np.repeat(rng.random(4 * sr // 480) < 0.3, 480)
    x = (rng.normal(0, 0.2, 4 * sr) * gate).astype(np.float32)
    return [
        make_video(folder / "late_audio.mp4", n_frames=60, audio=AudioSpec(x, sr=sr, offset_s=0.5)),
        make_audio(folder / "pcm.wav", x, sr),
        make_audio(folder / "aac.m4a", x, sr),
    ]


def _lag_samples(a: np.ndarray, b: np.ndarray) -> float:
    """Lag (samples at COARSE_SR) of ``b`` behind ``a``, parabolic sub-sample peak."""
    from scipy import signal

    n = min(a.size, b.size)
    c = signal.correlate(a[:n].astype(float), b[:n].astype(float), mode="full", method="fft")
    i = int(np.argmax(c))
    y0, y1, y2 = c[i - 1], c[i], c[i + 1]
    return i - (n - 1) + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)


def test_ffmpeg_coarse_decode_has_the_local_time_origin(coarse_files):
    from timesync.align.audio_decode import ffmpeg_exe, iter_coarse_blocks
    from timesync.media import iter_audio_blocks, probe

    exe = ffmpeg_exe()
    assert exe is not None
    for path in coarse_files:
        info = probe(str(path))
        ref = np.concatenate([b for _t, b in iter_audio_blocks(str(path), sr=COARSE_SR)])
        got = np.concatenate(list(iter_coarse_blocks(str(path), info.audio.start_s, exe)))
        if path.suffix == ".mp4":
            assert info.audio.start_s > 0.4  # the audio really starts late
            lead = round(info.audio.start_s * COARSE_SR)
            assert not np.any(got[:lead]) and not np.any(ref[:lead])
        lag = _lag_samples(ref, got)
        assert round(lag) == 0, path.name
        assert abs(lag) / COARSE_SR < 0.0002, path.name  # residual < 0.2 ms
        # ends agree within 30 ms (ffmpeg drops AAC's end padding, PyAV keeps it)
        assert abs(got.size - ref.size) <= 0.03 * COARSE_SR, path.name


def test_ffmpeg_coarse_decode_refuses_protocols(tmp_path):
    from timesync.align.audio_decode import iter_coarse_blocks
    from timesync.errors import MediaError

    with pytest.raises(MediaError):
        list(iter_coarse_blocks("concat:/etc/passwd", 0.0, "ffmpeg"))
    with pytest.raises(MediaError):
        list(iter_coarse_blocks(str(tmp_path / "missing.wav"), 0.0, "ffmpeg"))


def test_prepare_falls_back_to_pyav_when_ffmpeg_fails(coarse_files, monkeypatch):
    from timesync.media import probe
    from timesync.sync import SourceMedia

    path = str(coarse_files[2])
    src = SourceMedia(name="aac.m4a", path=path, info=probe(path))
    fast = audio._prepare(src)
    monkeypatch.setattr(audio, "ffmpeg_exe", lambda: "/nonexistent/ffmpeg")
    slow = audio._prepare(src)
    assert isinstance(fast, audio._Prepared) and isinstance(slow, audio._Prepared)
    n = min(fast.features.shape[0], slow.features.shape[0]) - 5
    assert abs(fast.features.shape[0] - slow.features.shape[0]) <= 2
    assert np.allclose(fast.features[:n], slow.features[:n], atol=0.05)
