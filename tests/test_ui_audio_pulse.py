"""The app's sound through a real sound server: PulseAudio with a null sink, recorded from its monitor.

The fixture starts a private PulseAudio daemon (as ``.ci/run`` installs it:
``pulseaudio``, ``pulseaudio-utils``) whose only sink is a null sink, and points
``PULSE_SERVER`` at it. While the real window plays, a miniaudio capture of the
sink's monitor records what the app sent, with the monotonic time of each
block; every recorded sample is compared with the source's sample at the
shared time the clock showed when it was heard (cross-correlation: the lag must
be under one video frame).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from media_factory import AudioSpec, make_audio, make_video
from pulse import SR, Recorder, pulse_missing, start_pulse, stop_pulse

from timesync.clock import IDENTITY, ClockMap
from timesync.media import decode_audio
from timesync.project.model import Project

pytest_plugins = ("conftest_ui",)

FRAME_S = 1 / 30  # camA's frame: the tolerance
RADIO = ClockMap(0.4, 1 + 100e-6, 0.001, "audio")  # starts 0.4 s after camA, its clock 100 ppm slow


@pytest.fixture
def pulse_server(tmp_path, monkeypatch):
    """A private PulseAudio daemon with one null sink; ``PULSE_SERVER`` points at it."""
    missing = pulse_missing()
    if missing:
        pytest.skip(missing)
    home = tmp_path / "pulse"
    home.mkdir()
    daemon, server = start_pulse(home)
    if server is None:
        err = daemon.stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
        daemon.stderr.close()
        pytest.skip(f"PulseAudio could not be started here: {err[0]}")
    monkeypatch.setenv("PULSE_SERVER", server)
    yield daemon
    stop_pulse(daemon)


def _noise(seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.3 * rng.standard_normal(round(seconds * sr))).clip(-0.9, 0.9).astype(np.float32)


@pytest.fixture
def radio_project(tmp_path):
    """camA.mp4 (noise soundtrack, the reference) and radio.wav (other noise, ``RADIO`` clock)."""
    media = tmp_path / "case" / "media"
    media.mkdir(parents=True)
    make_video(media / "camA.mp4", n_frames=180, fps=Fraction(30), audio=AudioSpec(_noise(6.0, 16000, 1), sr=16000))
    make_audio(media / "radio.wav", _noise(6.0, 16000, 2), 16000)
    project = Project(base_dir=tmp_path / "case", author="tester")
    project.add_source(media / "camA.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    project.add_source(media / "radio.wav", role="audio-only", clock=RADIO)
    project.save(tmp_path / "case" / "incident.json")
    return tmp_path / "case" / "incident.json"


def _lag_s(recorded: np.ndarray, expected: np.ndarray, max_lag: int) -> tuple[float, float]:
    """``(lag, peak)``: recorded is ``expected`` delayed by ``lag`` seconds; peak is the normalised correlation."""
    n = recorded.size + expected.size
    spectrum = np.fft.rfft(recorded, n) * np.conj(np.fft.rfft(expected, n))
    corr = np.fft.irfft(spectrum, n)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    values = np.r_[corr[:max_lag + 1], corr[-max_lag:]]
    best = int(np.argmax(values))
    norm = float(np.linalg.norm(recorded) * np.linalg.norm(expected)) or 1.0
    return lags[best] / SR, float(values[best] / norm)


def test_the_app_plays_the_soloed_source_at_the_shared_time_into_pulseaudio(qtbot, window, radio_project, pulse_server):
    assert window.open_project(radio_project)
    engine = window.grid.audio
    assert engine.wait_ready()
    assert engine.output is not None, engine.unavailable
    assert engine.output.backend == "PulseAudio"
    engine.tap = []
    engine.set_solo("radio.wav", True)  # the mix: radio.wav alone (its offset and drift must be applied)
    window.clock.seek(1.0)
    recorder = Recorder(radio_project.parent)
    qtbot.wait(300)
    window.clock.play()
    qtbot.waitUntil(lambda: window.clock.time >= 3.6, timeout=15000)
    window.clock.pause()
    qtbot.wait(200)
    mono, recorded = recorder.stop()
    state = engine.played_state  # the clock as the audio thread followed it during the play
    assert state.playing and state.rate == 1.0

    radio = decode_audio(radio_project.parent / "media" / "radio.wav", sr=SR)
    local = RADIO.to_local(state.time_s + (mono - state.mono_ns) * 1e-9)
    expected = np.interp(local * SR, np.arange(radio.size), radio, left=0.0, right=0.0).astype(np.float32)
    playing = (local > RADIO.to_local(1.2)) & (local < RADIO.to_local(3.4))  # inside the play, away from its ends
    first, last = np.flatnonzero(playing)[[0, -1]]
    windows = []  # (lag s, peak) of each 0.2 s window: the recording against the radio at the clock's time
    for start in range(first, last - SR // 5, SR // 5):
        windows.append(_lag_s(recorded[start:start + SR // 5], expected[start:start + SR // 5], SR // 4))
    # The radio's audio is in the recording when most windows agree on one lag with a peak well above
    # unrelated noise (about 0.06, at lags spread evenly over +-250 ms). A starved machine drops blocks
    # (silence in the recording), which lowers a window's peak but not its lag; so the windows are judged
    # by agreeing on the lag, not by each peak alone.
    median = float(np.median([lag for lag, _p in windows]))
    found = [(lag, peak) for lag, peak in windows if abs(lag - median) < FRAME_S and peak > 0.08]
    report = ", ".join(f"{lag * 1e3:+.0f} ms ({peak:.2f})" for lag, peak in windows)
    assert len(windows) >= 8 and len(found) >= 2 * len(windows) / 3, f"the recording is not the radio's audio: {report}"
    assert float(np.mean([peak for _lag, peak in found])) > 0.2, f"the recording is not the radio's audio: {report}"
    assert abs(float(np.median([lag for lag, _p in found]))) < FRAME_S, f"audio off the clock: {report}"


def test_a_sound_server_that_goes_away_is_said_once_and_the_pictures_go_on(qtbot, window, radio_project, pulse_server):
    said = []
    window.grid.audioNotice.connect(said.append)
    assert window.open_project(radio_project)
    engine = window.grid.audio
    assert engine.wait_ready() and engine.output is not None
    window.clock.seek(0.5)
    window.clock.play()
    qtbot.wait(300)
    pulse_server.kill()  # the sound server dies while playing
    pulse_server.wait(timeout=5)
    qtbot.waitUntil(lambda: said == ["the sound server went away: playing silently"], timeout=10000)
    assert window.statusBar().currentMessage() == said[0]
    assert engine.output is None
    t, view = window.clock.time, window.grid.view_for("camA.mp4")
    shown = view.shown_frame or 0
    qtbot.waitUntil(lambda: window.clock.time > t + 0.5, timeout=5000)  # the clock and the pictures go on
    qtbot.waitUntil(lambda: (view.shown_frame or 0) > shown, timeout=5000)
    window.clock.pause()
    assert said == ["the sound server went away: playing silently"]
