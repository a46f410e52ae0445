"""The audio engine in the app without a sound device: nudges, the no-device and decode-failure notices."""

from __future__ import annotations

import time

import numpy as np
import pytest
from media_factory import make_audio

from timesync.clock import IDENTITY, ClockMap
from timesync.project.model import Project
from ui.audio import SAMPLE_RATE, AudioEngine
from ui.clock import PlaybackClock
from ui.spec import SourceSpec

pytest_plugins = ("conftest_ui",)

NO_DEVICE = "no audio device or sound server found: playing silently"


def _ramp_wav(path, seconds=4.0, sr=SAMPLE_RATE):
    """Sample k is (k / sr) / 10: the value names the local time (tenths of a second)."""
    return make_audio(path, (np.arange(round(seconds * sr)) / sr / 10).astype(np.float32), sr)


def _wait_decoded(qtbot, engine, name, chunks):
    track = engine.track(name)
    qtbot.waitUntil(lambda: all(track.store.has(c) for c in chunks), timeout=10000)


def test_a_nudge_is_heard_in_the_next_buffer(qtbot, tmp_path, no_sound_device):
    clock = PlaybackClock()
    clock.set_range(0.0, 10.0)
    engine = AudioEngine(clock)
    spec = SourceSpec("radio.wav", _ramp_wav(tmp_path / "radio.wav"), ClockMap(1.0, 1.0))
    engine.set_sources([spec])
    engine.set_focused("radio.wav")
    clock.seek(2.5)  # local 1.5: chunks 0 and 1 (the one ahead) are asked for
    _wait_decoded(qtbot, engine, "radio.wav", [0, 1])
    clock.play()
    before = engine.fill(480, time.monotonic_ns())
    engine.set_sources([SourceSpec("radio.wav", spec.path, ClockMap(1.2, 1.0))])  # nudged 200 ms later
    after = engine.fill(480, time.monotonic_ns())
    clock.pause()
    engine.shutdown()
    heard_before = before[0] * 10 + 1.0  # the shared time each buffer played (its local time + offset)
    assert after[0] * 10 == pytest.approx(heard_before + 0.01 - 1.2, abs=2e-3)  # the new offset, right away
    assert np.all(np.diff(after) >= 0) and after[-1] > after[0]  # and then on (16-bit steps)


def _project(tmp_path, radio_bytes: bytes | None = None):
    from fractions import Fraction

    from media_factory import AudioSpec, make_video

    media = tmp_path / "case" / "media"
    media.mkdir(parents=True)
    tone = (0.2 * np.sin(np.arange(3 * 16000) * 0.1)).astype(np.float32)
    make_video(media / "camA.mp4", n_frames=90, fps=Fraction(30), audio=AudioSpec(tone, sr=16000))
    make_audio(media / "radio.wav", tone, 16000)
    project = Project(base_dir=tmp_path / "case", author="tester")
    project.add_source(media / "camA.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    project.add_source(media / "radio.wav", role="audio-only", clock=ClockMap(0.2, 1.0))
    project.save(tmp_path / "case" / "incident.json")
    if radio_bytes is not None:
        (media / "radio.wav").write_bytes(radio_bytes)
    return tmp_path / "case" / "incident.json"


def test_without_a_sound_device_the_app_says_so_once_and_plays_on(qtbot, window, tmp_path, no_sound_device):
    said = []
    window.grid.audioNotice.connect(said.append)
    assert window.open_project(_project(tmp_path))
    engine = window.grid.audio
    assert engine.wait_ready()
    assert engine.output is None and engine.unavailable == NO_DEVICE
    assert said == []  # nothing is said before a play
    window.clock.seek(0.5)
    window.clock.play()
    qtbot.waitUntil(lambda: said == [NO_DEVICE], timeout=3000)
    assert window.statusBar().currentMessage() == NO_DEVICE
    qtbot.waitUntil(lambda: window.clock.time > 1.0, timeout=5000)  # the pictures go on
    window.clock.pause()
    window.clock.play()
    qtbot.wait(500)
    window.clock.pause()
    assert said == [NO_DEVICE]  # once
    view = window.grid.view_for("camA.mp4")
    qtbot.waitUntil(lambda: view.shown_frame is not None and view.shown_frame > 15, timeout=5000)


def test_a_source_whose_audio_cannot_be_decoded_plays_silent_with_a_notice(qtbot, window, tmp_path, no_sound_device):
    said = []
    window.grid.audioNotice.connect(said.append)
    assert window.open_project(_project(tmp_path, radio_bytes=b"RIFF\x00\x00\x00\x00WAVEjunk" * 64))
    engine = window.grid.audio
    window.grid.set_focused(window.grid.view_for("radio.wav"))  # hear radio.wav
    window.clock.seek(0.5)
    window.clock.play()
    qtbot.waitUntil(lambda: any("radio.wav" in s and s.endswith("it plays silent") for s in said), timeout=10000)
    track = engine.track("radio.wav")
    assert track.failed and not track.samples_at(np.array([1.0, 1.5])).any()
    assert not engine.fill(480, time.monotonic_ns()).any()
    qtbot.waitUntil(lambda: window.clock.time > 1.0, timeout=5000)  # playback goes on
    window.clock.pause()
    assert sum("radio.wav" in s for s in said) == 1
