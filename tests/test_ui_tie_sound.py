"""The free (unlinked) view plays its own sound at its local time (issue 19).

The case: ``ref.mp4`` (placed, the reference) and ``heli.mp4`` (not placed:
always free), 6 s each, with PCM soundtracks that name their own local time:
heli's sample at local ``t`` is ``+t / 10``, ref's ``-t / 10``. The engine's
``fill`` (what the sound device's thread calls) is called directly, without a
device, so the test reads which source is heard and at which of its local
times: the focused free view's own clock, not the shared one; back on the
shared clock when a linked view is focused or the unlinked one is linked (U).
One test plays into a real sound server (PulseAudio's null sink) and finds
heli's sound in the recording.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from media_factory import AudioSpec, make_video
from pulse import SR as PULSE_SR
from pulse import Recorder
from PySide6.QtCore import Qt
from test_ui_audio_pulse import _lag_s, pulse_server  # noqa: F401 - a fixture

from timesync.clock import IDENTITY
from timesync.media import decode_audio
from timesync.project.model import Project
from ui.audio.mixer import CHUNK_S

pytest_plugins = ("conftest_ui",)

SR, SECONDS = 16000, 6.0
#: 16-bit steps of the ramps, in local seconds: 10 / 32768
STEP_S = 10 / 32768


def _ramp(sign: float) -> np.ndarray:
    return (sign * np.arange(round(SECONDS * SR)) / SR / 10).astype(np.float32)


@pytest.fixture
def case(tmp_path):
    media = tmp_path / "case" / "media"
    media.mkdir(parents=True)
    for name, sign in (("ref.mp4", -1.0), ("heli.mp4", 1.0)):
        make_video(media / name, n_frames=round(SECONDS * 10), fps=Fraction(10), size=(64, 48),
                   audio=AudioSpec(_ramp(sign), sr=SR, codec="pcm_s16le"))
    project = Project(base_dir=tmp_path / "case", author="tester")
    project.add_source(media / "ref.mp4", clock=IDENTITY)
    project.set_reference("ref.mp4")
    project.add_source(media / "heli.mp4", reason="no shared audio or visual event")
    project.save(tmp_path / "case" / "case.json")
    return tmp_path / "case" / "case.json"


def _heard(qtbot, engine, name: str, local_s: float) -> float:
    """The first sample ``fill`` gives once ``name``'s chunk at ``local_s`` is decoded (paused:
    the scrub snippet from the clock's time, published again as a paused seek does)."""
    track = engine.track(name)
    qtbot.waitUntil(lambda: track.store.has(int(local_s // CHUNK_S)), timeout=10000)
    engine._publish(scrub=not engine.clock.playing)  # the snippet from the clock's time again
    return float(engine.fill(480, time.monotonic_ns())[0])


def _focus(qtbot, window, name: str):
    view = window.grid.view_for(name)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton)
    return view


def test_the_focused_free_view_is_heard_at_its_own_local_time(qtbot, wait_frames, window, case, no_sound_device):
    assert window.open_project(case)
    wait_frames(window, timeout=15000)
    engine = window.grid.audio
    window.clock.seek(1.0)  # shared 1.0: ref's local 1.0
    heli = _focus(qtbot, window, "heli.mp4")
    assert heli.free and engine.clock is heli.playback and engine.free_source == "heli.mp4"
    heli.playback.seek(3.5)  # heli's own clock: local 3.5 s (a paused seek: the scrub snippet)
    assert _heard(qtbot, engine, "heli.mp4", 3.5) * 10 == pytest.approx(3.5, abs=2 * STEP_S)
    assert window.clock.time == 1.0  # the shared clock did not move

    heli.playback.seek(2.2)
    track = engine.track("heli.mp4")
    qtbot.waitUntil(lambda: track.store.has(1) and track.store.has(2), timeout=10000)  # local 2-4 s, 4-6 s
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)  # heli plays alone, on its own clock
    assert heli.playback.playing and not window.clock.playing
    qtbot.waitUntil(lambda: heli.playback.time > 2.3, timeout=5000)
    start = heli.playback.time
    heard = engine.fill(480, time.monotonic_ns())[0] * 10
    qtbot.keyClick(window.grid, Qt.Key.Key_K)
    assert start - 0.05 < heard < heli.playback.time + 0.05 and not window.clock.playing

    ref = _focus(qtbot, window, "ref.mp4")  # a linked view: the shared clock again
    assert engine.clock is window.clock and engine.free_source is None
    assert _heard(qtbot, engine, "ref.mp4", 1.0) * 10 == pytest.approx(-1.0, abs=2 * STEP_S)

    qtbot.keyClick(window.grid, Qt.Key.Key_U)  # unlink ref: its own clock, from the frame it shows
    assert ref.free and engine.clock is ref.playback
    ref.playback.seek(4.25)
    assert _heard(qtbot, engine, "ref.mp4", 4.25) * 10 == pytest.approx(-4.25, abs=2 * STEP_S)
    qtbot.keyClick(window.grid, Qt.Key.Key_U)  # linked again: the shared clock, shared 1.0
    assert not ref.free and engine.clock is window.clock
    assert _heard(qtbot, engine, "ref.mp4", 1.0) * 10 == pytest.approx(-1.0, abs=2 * STEP_S)


def test_in_the_mix_the_free_view_is_heard_alone_and_the_mix_comes_back(
        qtbot, wait_frames, window, case, no_sound_device):
    assert window.open_project(case)
    wait_frames(window, timeout=15000)
    engine = window.grid.audio
    engine.set_mode("mix")
    window.clock.seek(2.0)
    _focus(qtbot, window, "ref.mp4")
    assert {t.name for t in engine.mixer.selected()} == {"ref.mp4", "heli.mp4"}
    assert engine.track("heli.mp4").clock is None  # heli is not placed: silent in the mix
    heli = _focus(qtbot, window, "heli.mp4")
    heli.playback.seek(5.0)
    assert [t.name for t in engine.mixer.selected()] == ["heli.mp4"]
    assert _heard(qtbot, engine, "heli.mp4", 5.0) * 10 == pytest.approx(5.0, abs=2 * STEP_S)
    _focus(qtbot, window, "ref.mp4")
    assert engine.mixer.mode == "mix" and len(engine.mixer.selected()) == 2  # the mix again
    assert engine.track("heli.mp4").clock is None  # not placed: no map to the shared clock
    assert _heard(qtbot, engine, "ref.mp4", 2.0) * 10 == pytest.approx(-2.0, abs=2 * STEP_S)


def test_the_free_view_is_heard_through_a_sound_server(
        qtbot, wait_frames, window, tmp_path, pulse_server):  # noqa: F811 - the imported fixture
    """heli (not placed) plays on its own clock into PulseAudio's null sink: the recording is heli's
    sound at the local time its own clock showed when each sample was heard (lag under a frame)."""
    media = tmp_path / "noisy" / "media"
    media.mkdir(parents=True)
    rng = np.random.default_rng(3)
    noise = {name: (0.3 * rng.standard_normal(round(SECONDS * SR))).clip(-0.9, 0.9).astype(np.float32)
             for name in ("ref.mp4", "heli.mp4")}
    for name, signal in noise.items():
        make_video(media / name, n_frames=round(SECONDS * 10), fps=Fraction(10), size=(64, 48),
                   audio=AudioSpec(signal, sr=SR))
    project = Project(base_dir=media.parent, author="tester")
    project.add_source(media / "ref.mp4", clock=IDENTITY)
    project.set_reference("ref.mp4")
    project.add_source(media / "heli.mp4", reason="no shared audio or visual event")
    project.save(media.parent / "case.json")
    assert window.open_project(media.parent / "case.json")
    wait_frames(window, timeout=15000)
    engine = window.grid.audio
    assert engine.wait_ready() and engine.output is not None, engine.unavailable
    heli = _focus(qtbot, window, "heli.mp4")
    window.clock.seek(4.0)  # the shared clock elsewhere: it must not matter
    heli.playback.seek(1.0)
    recorder = Recorder(media.parent)
    qtbot.wait(300)
    heli.playback.play()
    qtbot.waitUntil(lambda: heli.playback.time >= 3.6, timeout=15000)
    heli.playback.pause()
    qtbot.wait(200)
    mono, recorded = recorder.stop()
    state = engine.played_state  # heli's own clock as the audio thread followed it
    assert state.playing and not window.clock.playing

    expected_all = decode_audio(media / "heli.mp4", sr=PULSE_SR)
    local = state.time_s + (mono - state.mono_ns) * 1e-9
    expected = np.interp(local * PULSE_SR, np.arange(expected_all.size), expected_all, left=0.0, right=0.0)
    playing = np.flatnonzero((local > 1.2) & (local < 3.4))
    windows = [_lag_s(recorded[i:i + PULSE_SR // 5], expected[i:i + PULSE_SR // 5].astype(np.float32), PULSE_SR // 4)
               for i in range(playing[0], playing[-1] - PULSE_SR // 5, PULSE_SR // 5)]
    median = float(np.median([lag for lag, _p in windows]))
    found = [(lag, peak) for lag, peak in windows if abs(lag - median) < 0.1 and peak > 0.08]
    report = ", ".join(f"{lag * 1e3:+.0f} ms ({peak:.2f})" for lag, peak in windows)
    assert len(windows) >= 8 and len(found) >= 2 * len(windows) / 3, f"not heli's sound: {report}"
    assert abs(float(np.median([lag for lag, _p in found]))) < 0.1, f"off heli's own clock: {report}"
