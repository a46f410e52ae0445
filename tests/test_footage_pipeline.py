"""The sync pipeline's own costs on footage (issue 14): what runs, and what travels.

* the hash is computed while the file is demuxed (a thread: hashlib releases the
  GIL), not before;
* a worker process hands its file's audio features back through a file, so the
  result it pickles is small whatever the recording's length;
* the travel bound needs no ``timesync.detect`` (whose package loads
  ``scipy.signal``: over a second of CPU on every sync).
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import AudioSpec, make_audio, make_video

from timesync.align.audio import decode
from timesync.errors import MediaError
from timesync.media.hashing import sha256_file

probe_module = importlib.import_module("timesync.media.probe")  # the package exports its function

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def noise_wav(tmp_path) -> Path:
    rng = np.random.default_rng(4)
    return make_audio(tmp_path / "noise.wav", (0.3 * rng.normal(size=16000 * 60)).astype(np.float32), 16000)


def test_hash_runs_while_the_file_is_demuxed(noise_wav, monkeypatch):
    """The hash waits until the demuxing pass has handed audio frames over: it can only
    finish when both run at once (before, the hash ran first and the sink saw nothing)."""
    frames_seen = threading.Event()

    def hash_after_frames(path):
        overlapped = frames_seen.wait(30.0)
        return sha256_file(path) if overlapped else "0" * 64

    class Sink:
        def frames(self, frames):
            frames_seen.set()

        def failed(self, error):
            raise AssertionError(error)

    monkeypatch.setattr(probe_module, "sha256_file", hash_after_frames)
    info = probe_module.probe(noise_wav, audio_sink=Sink())
    assert info.sha256 == sha256_file(noise_wav)

    def refused(path):
        raise MediaError(f"{path}: cannot be read (the system refused it after 0 of 9 bytes: I/O error)")

    # a file the OS refuses is reported as the hash found it, though the demuxing went on
    monkeypatch.setattr(probe_module, "sha256_file", refused)
    with pytest.raises(MediaError, match="system refused it"):
        probe_module.probe(noise_wav)


def test_worker_result_is_small_and_features_come_back_whole(noise_wav, tmp_path):
    from timesync.sync_probe import _loaded, _probe_saving

    folder = tmp_path / "features"
    folder.mkdir()
    info, saved = _probe_saving((str(noise_wav), str(folder)))
    sent = pickle.dumps((info, saved))
    assert len(sent) < 16_000  # a minute at 100 frames/s is 6000 x 6 float32 = 144 kB
    back = _loaded(saved)
    assert not list(folder.iterdir())  # read back once, then removed
    _info, direct = decode.probe_with_features(str(noise_wav))
    assert np.array_equal(back.features, direct.features)
    assert (back.duration_s, back.sample_rate) == (direct.duration_s, direct.sample_rate)


def test_sync_does_not_load_detection(noise_wav, tmp_path):
    from timesync.detect.travel import speed_of_sound
    from timesync.sync import SPEED_OF_SOUND_20C_M_S

    assert SPEED_OF_SOUND_20C_M_S == speed_of_sound(20.0)
    other = make_audio(tmp_path / "other.wav", np.zeros(16000 * 20, np.float32), 16000)
    code = ("import sys; from timesync.sync import sync; r = sync(sys.argv[1:], methods=['audio']); "
            "print(sorted(m for m in sys.modules if m.startswith(('timesync.detect', 'scipy.signal'))))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(noise_wav), str(other)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("kind", ["aac", "wav16"])
def test_mono_float_audio_at_its_own_rate_skips_the_resampler(tmp_path, monkeypatch, kind):
    """Fine windows of mono audio at the rate asked are copied (AAC of body cams at 48 kHz:
    float32) or scaled by 2**-15 (16-bit PCM WAV, as FFmpeg's conversion does), not passed
    through FFmpeg's resampler frame by frame: the same samples, without its cost."""
    import av

    from timesync.media import audio as media_audio

    rng = np.random.default_rng(6)
    x = np.clip(0.3 * rng.normal(size=48000 * 12), -1, 1).astype(np.float32)
    if kind == "aac":
        clip = make_video(tmp_path / "cam.mp4", n_frames=60, fps=Fraction(5), size=(32, 24),
                          audio=AudioSpec(x, sr=48000, codec="aac"))
    else:
        clip = make_audio(tmp_path / "call.wav", x, 48000)
    calls = []
    real = av.AudioResampler

    class Counting:
        def __init__(self, **kw):
            self._inner = real(**kw)

        def resample(self, frame):
            calls.append(frame is not None)
            return self._inner.resample(frame)

    monkeypatch.setattr(av, "AudioResampler", Counting)

    def windows() -> list[np.ndarray]:
        with media_audio.AudioReader(clip) as reader:
            return [media_audio.decode_audio(clip, sr=48000)] + [
                reader.read(sr=48000, start_s=s, duration_s=2.0) for s in (3.0, 7.5)]

    fast = windows()
    assert not any(calls)  # no frame went through the resampler
    monkeypatch.setattr(media_audio, "_mono_dtype", lambda frame: "")
    slow = windows()
    assert any(calls)
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))
    assert abs(fast[0].size - x.size) <= 1024  # the whole clip (give or take the encoder's last frame)
