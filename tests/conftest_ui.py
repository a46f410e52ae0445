"""Fixtures for the UI tests; test_ui_*.py import them (``from conftest_ui import ...``).

The incident is the project tests' tiny known-answer one
(:func:`test_project_factory.build_incident`): camA.mp4 (30 fps, 90 frames,
reference), camB.mp4 (25 fps, 75 frames, offset +1.0 s), phone.wav (audio
only, +0.5 s), drone.mp4 (not aligned); events e1 0.51 s, e2 1.5-2.5 s, e3 2.21 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from test_project_factory import build_incident, make_media

__all__ = ["ui_media_cache", "incident", "window", "wait_frames", "video_views"]

# Test modules load this file with ``pytest_plugins = ("conftest_ui",)`` and use the
# ``wait_frames`` fixture (importing from it directly would defeat assertion rewriting).


@pytest.fixture
def no_sound_device(tmp_path, monkeypatch):
    """No sound server (a socket that does not exist) and an ALSA with no devices."""
    empty = tmp_path / "asound.conf"
    empty.write_text("")
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-such-socket'}")
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(empty))
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")


@pytest.fixture(scope="session")
def ui_media_cache(tmp_path_factory) -> Path:
    """The incident's four media files, made once per session."""
    folder = tmp_path_factory.mktemp("ui-media") / "media"
    make_media(folder)
    return folder


@pytest.fixture
def incident(tmp_path, ui_media_cache) -> Path:
    """A fresh copy of the saved incident project; returns ``incident.json``."""
    build_incident(tmp_path / "case", media_cache=ui_media_cache)
    return tmp_path / "case" / "incident.json"


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A shown MainWindow with private settings, no autosave timer, and no modal prompts."""
    import ui.main_window as main_window

    monkeypatch.setattr(main_window, "ask_unsaved", lambda *_args: "discard")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = main_window.MainWindow(settings, autosave_s=0)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.shutdown()


def video_views(win):
    """The views that decode frames (not audio-only)."""
    return [v for v in win.grid.views if v.worker is not None]


@pytest.fixture
def wait_frames(qtbot):
    """``wait_frames(win, timeout_ms=5000)``: wait until every video view shows the frame the clock names."""

    def wait(win, timeout: int = 5000) -> None:
        _wait_frames(qtbot, win, timeout)

    return wait


def _wants_what_the_clock_names(view, win) -> bool:
    """The view has taken in the clock's time since its index arrived.

    The index is set in the decoding thread before the view hears of it, so a
    view can have an index and still want nothing (not yet "not recording").
    """
    if view.error or view.index is None:
        return True
    return (view.frame_ref_at(win.clock.time) is None) == (view.wanted_frame is None)


def _wait_frames(qtbot, win, timeout: int = 5000) -> None:
    def ready():
        views = video_views(win)
        return all(v.index is not None or v.error for v in views) and all(
            v.shown_frame == v.wanted_frame and _wants_what_the_clock_names(v, win) for v in views
        )

    try:
        qtbot.waitUntil(ready, timeout=timeout)
    except Exception:
        states = [(v.spec.name, v.index is not None, v.error, v.wanted_frame, v.shown_frame) for v in video_views(win)]
        raise AssertionError(f"views not ready: {states}") from None
