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
from timesync.align.audio.coarse import coarse_match
from timesync.align.audio.features import COARSE_SR, FRAME_RATE, FluxExtractor, flux_features
from timesync.align.audio.fine import WindowMeasure, fit_windows


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


def test_drift_500ppm_over_ten_minutes_coarse(monkeypatch):
    """The coarse stage alone finds and compensates 300 ms of drift over 10 minutes.
    Its ten chunk curves are kept as int16 steps for the drift re-sum: the same
    answer as keeping them whole (to a thousandth of a frame), scores within 0.01 %."""
    from timesync.align.audio import coarse as audio_coarse

    table = atoms(700, seed=3, fmax=3500, per_s=10)
    r = 1 + 500e-6
    a = render(table, np.arange(600 * COARSE_SR) / COARSE_SR)
    b = render(table, 60.0 + r * np.arange(600 * COARSE_SR) / COARSE_SR)
    fa, fb = flux_features(a.astype(np.float32)), flux_features(b.astype(np.float32))
    cm = coarse_match(fa, fb)
    assert cm is not None and cm.score > 20
    assert abs(cm.offset_s - 60.0) < 1.5 / FRAME_RATE
    assert abs((cm.rate - 1) * 1e6 - 500) < 15
    assert cm.chunks_on_line >= 5
    keep = audio_coarse._Curve.keep
    compacted = []
    monkeypatch.setattr(audio_coarse._Curve, "keep",
                        classmethod(lambda cls, c, compact: compacted.append(compact) or keep(c, False)))
    whole = coarse_match(fa, fb)
    assert compacted and all(compacted)  # the int16 path is the one tested above
    assert whole.offset_s == pytest.approx(cm.offset_s, abs=1e-5)  # a thousandth of a frame
    assert whole.rate == pytest.approx(cm.rate, abs=1e-9)
    assert whole.score == pytest.approx(cm.score, rel=1e-4)
    assert whole.second_score == pytest.approx(cm.second_score, rel=1e-3)


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


# -- coarse features of whole files (worker processes): same time origin as the exact decoder --


@pytest.fixture(scope="session")
def coarse_files(tmp_path_factory):
    """Tiny files (4 s of gated noise): MP4 (AAC starting 0.5 s after the video), WAV,
    M4A, a stereo 16-bit WAV whose channels differ, and an MKV whose PCM pauses 0.5 s."""
    from fractions import Fraction

    import av
    from media_factory import AudioSpec, make_audio, make_video

    folder = tmp_path_factory.mktemp("coarse")
    rng = np.random.default_rng(7)
    sr = 48000
    gate = np.repeat(rng.random(4 * sr // 480) < 0.3, 480)
    x = (rng.normal(0, 0.2, 4 * sr) * gate).astype(np.float32)
    stereo = np.stack([x, np.roll(x, 4800) * 0.5])
    gap = folder / "gap.mkv"
    with av.open(str(gap), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=16000)
        stream.layout = "mono"
        y = np.ascontiguousarray(x[::3])  # 4 s at 16 kHz, played as 2 s, a 0.5 s pause, 2 s
        for first, chunk in ((0, y[:32000]), (40000, y[32000:])):
            for start in range(0, chunk.size, 1600):
                frame = av.AudioFrame.from_ndarray(
                    chunk[None, start : start + 1600], format="flt", layout="mono"
                )
                frame.sample_rate, frame.pts = 16000, first + start
                frame.time_base = Fraction(1, 16000)
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return [
        make_video(folder / "late_audio.mp4", n_frames=60, audio=AudioSpec(x, sr=sr, offset_s=0.5)),
        make_audio(folder / "pcm.wav", x, sr),
        make_audio(folder / "aac.m4a", x, sr),
        make_audio(folder / "stereo.wav", stereo, sr),
        gap,
    ]


def test_coarse_features_have_the_local_time_origin(coarse_files):
    """Features of the whole-file decode (native rate, channel mean, gaps filled) equal
    those of the sample-exact decoder: same frames, same local time origin."""
    from timesync.align.audio.decode import coarse_features
    from timesync.media import decode_audio, probe

    for path in coarse_files:
        info = probe(str(path))
        sr = info.audio.sample_rate
        got = coarse_features(str(path), info.audio.start_s, info.audio.index)
        assert got.sample_rate == sr
        ref = flux_features(decode_audio(str(path), sr=sr), sr)
        if path.suffix == ".mp4":
            assert info.audio.start_s > 0.4  # the audio really starts late
        if path.suffix == ".mkv":
            assert got.duration_s == pytest.approx(4.5, abs=1e-3)  # the pause is kept
        n = min(ref.shape[0], got.features.shape[0])
        assert abs(ref.shape[0] - got.features.shape[0]) <= 3, path.name  # AAC end padding
        assert np.abs(got.features[:n] - ref[:n]).max() < 0.05, path.name


def test_features_decoded_while_probing_equal_a_separate_decode(coarse_files, monkeypatch):
    """probe_with_features decodes the audio in the probe's own demuxing pass (the file is
    read once): the same features, to the bit, as a decode of its own, and the same probe."""
    from timesync.align.audio import decode as audio_decode
    from timesync.media import probe

    separate = audio_decode.coarse_features
    calls = []
    monkeypatch.setattr(audio_decode, "coarse_features", lambda *a: calls.append(a) or separate(*a))
    for path in coarse_files:
        info, merged = audio_decode.probe_with_features(str(path))
        assert calls == [], path.name  # not decoded a second time
        alone = separate(str(path), info.audio.start_s, info.audio.index)
        np.testing.assert_array_equal(merged.features, alone.features, err_msg=path.name)
        assert (merged.duration_s, merged.sample_rate) == (alone.duration_s, alone.sample_rate)
        assert info == probe(str(path))


def test_features_are_decoded_again_when_the_start_guess_is_wrong(coarse_files, monkeypatch):
    """If the audio start read from the first packets differs from the probe's, the
    features decoded during the probe are dropped and the audio decoded again."""
    from timesync.align.audio import decode as audio_decode

    late_audio = str(coarse_files[0])  # the MP4 whose audio starts 0.5 s after its video
    index, sr, start = audio_decode._audio_start_guess(late_audio)
    assert start > 0.4
    monkeypatch.setattr(audio_decode, "_audio_start_guess", lambda path: (index, sr, 0.0))
    info, features = audio_decode.probe_with_features(late_audio)
    alone = audio_decode.coarse_features(late_audio, info.audio.start_s, info.audio.index)
    np.testing.assert_array_equal(features.features, alone.features)


def test_coarse_features_refuse_protocols_and_missing_files(tmp_path):
    from timesync.align.audio.decode import coarse_features
    from timesync.errors import MediaError

    with pytest.raises(MediaError, match="not a local file"):
        coarse_features("concat:/etc/passwd", 0.0)
    with pytest.raises(MediaError, match="not found"):
        coarse_features(str(tmp_path / "missing.wav"), 0.0)


def test_prepare_all_in_processes_isolates_a_bad_file(coarse_files, tmp_path):
    """Worker processes give the same features as this process; a corrupt file gives
    its MediaError and the others are unaffected."""
    from timesync.align.audio.decode import CoarseFeatures, prepare_all
    from timesync.errors import MediaError

    bad = tmp_path / "bad.m4a"
    bad.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8)
    jobs = {p.name: (str(p), 0.0, None) for p in coarse_files[1:3]} | {"bad": (str(bad), 0.0, None)}
    seen: list[str] = []
    pooled = prepare_all(jobs, max_workers=3, done=seen.append)
    here = prepare_all(jobs, max_workers=1)
    assert sorted(seen) == sorted(jobs)
    assert isinstance(pooled["bad"], MediaError) and "bad.m4a" in str(pooled["bad"])
    for name in ("pcm.wav", "aac.m4a"):
        assert isinstance(pooled[name], CoarseFeatures)
        np.testing.assert_array_equal(pooled[name].features, here[name].features)




def test_sync_in_worker_processes_equals_sync_in_process(coarse_files, monkeypatch, tmp_path):
    """The same two files aligned with probing and decoding in worker processes
    and entirely in this process give the same constraint. Pairs reach the workers
    with their features in files, which are removed afterwards."""
    import tempfile

    import timesync.align.audio.decode as audio_decode
    import timesync.parallel as parallel
    import timesync.sync as sync_module

    sync = sync_module.sync
    files = [str(p) for p in coarse_files[:3]]  # the same noise in MP4 (late), WAV and AAC
    here = sync(files, methods=["audio"])
    monkeypatch.setattr(audio, "PROCESS_MIN_AUDIO_S", 0.0)
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    futures = []  # every task handed to a worker process

    sent_by_file = []  # pair jobs whose features travel as a file

    def counting_pool(workers):
        pool = parallel_pool(workers)
        if pool is not None:
            submit = pool.submit

            def counted(fn, *a, **k):
                if fn is audio._match_job:
                    a_, b_, _narrow = a[0]
                    sent_by_file.append(a_.features is None and b_.features is None
                                        and a_.features_file.endswith(".npy"))
                futures.append(submit(fn, *a, **k))
                return futures[-1]

            pool.submit = counted
        return pool

    parallel_pool = parallel.process_pool
    monkeypatch.setattr(parallel, "process_pool", counting_pool)
    monkeypatch.setattr(audio_decode, "process_pool", counting_pool)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pooled = sync(files, methods=["audio"])
    # three files probed and decoded, three pairs matched: all in worker processes, none failed
    assert len(futures) == 6 and all(f.done() and f.exception() is None for f in futures)
    assert sent_by_file == [True] * 3
    assert not list(tmp_path.glob("timesync-features-*"))  # the features' folder is gone
    for result in (here, pooled):
        assert result.all_aligned
        assert abs(result.source(files[2]).clock.offset_s - result.source(files[1]).clock.offset_s) < 0.001
    assert pooled.clocks() == here.clocks()


def test_sync_works_where_no_worker_process_can_start(coarse_files, monkeypatch):
    """A sandbox that refuses new processes: probing, decoding and matching fall back to
    this process, with the same clock."""
    import multiprocessing

    import timesync.parallel as parallel
    import timesync.sync as sync_module

    class NoProcesses:
        def __getattr__(self, name):
            return getattr(multiprocessing.get_context("spawn"), name)

        def Process(self, *args, **kwargs):  # noqa: N802 - the multiprocessing API
            raise OSError("process creation refused")

    files = [str(coarse_files[1]), str(coarse_files[2])]
    here = sync_module.sync(files, methods=["audio"])
    monkeypatch.setattr(audio, "PROCESS_MIN_AUDIO_S", 0.0)
    monkeypatch.setattr(parallel, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_mp_context", lambda: NoProcesses())
    refused = sync_module.sync(files, methods=["audio"])
    assert refused.all_aligned
    assert refused.source(files[1]).clock == here.source(files[1]).clock


def test_fine_windows_read_from_open_files_give_the_same_clocks(coarse_files, monkeypatch):
    """Long recordings have their fine windows read through one open file per thread
    (media.AudioReader) instead of a whole decode: the same clocks (to 1 us and 0.1 ppm
    on these 4-s files: a window read after a seek equals the decode from the start to
    float rounding), and every file is closed afterwards."""
    from timesync.media import AudioReader
    from timesync.sync import sync

    files = [str(p) for p in coarse_files[:3]]
    whole = sync(files, methods=["audio"])
    opened, closed = [], []
    container, close = AudioReader.container, AudioReader.close

    def counting_container(self):
        if self._container is None:
            opened.append(self.name)
        return container(self)

    def counting_close(self):
        if self._container is not None:
            closed.append(self.name)
        close(self)

    monkeypatch.setattr(AudioReader, "container", counting_container)
    monkeypatch.setattr(AudioReader, "close", counting_close)
    monkeypatch.setattr(audio, "WHOLE_DECODE_BYTES", 0)  # every source counts as long
    windowed = sync(files, methods=["audio"])
    assert opened and sorted(closed) == sorted(opened)
    assert set(opened) == set(files)
    for name in files:
        a, b = whole.source(name).clock, windowed.source(name).clock
        assert windowed.source(name).aligned and whole.source(name).aligned
        assert abs(a.offset_s - b.offset_s) < 1e-6 and abs(a.rate - b.rate) < 1e-7
