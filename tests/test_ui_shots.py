"""Detect shots in the app: candidates on the timeline and in a list, accept/reject, add as events, undo/redo.

The incident: camA.mp4 (30 fps, reference) and camB.mp4 (25 fps, local =
shared - 0.5 s), each with synthetic gunshots (``tests/synth/sounds.py``)
at the same shared times, encoded with AAC by ``media_factory``.
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from media_factory import AudioSpec, make_video
from PySide6.QtCore import Qt
from test_shots_cli import B_OFFSET, SHOTS, SR, _audio  # the same incident as the shots CLI tests

from timesync.clock import IDENTITY, ClockMap
from timesync.project import Project
from ui.timeline import ShotMarker

pytest_plugins = ("conftest_ui",)


@pytest.fixture(scope="session")
def shots_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ui-shots-media")
    make_video(folder / "camA.mp4", n_frames=90, fps=Fraction(30), audio=AudioSpec(_audio(1, SHOTS), sr=SR))
    make_video(folder / "camB.mp4", n_frames=75, fps=Fraction(25),
               audio=AudioSpec(_audio(2, [t - B_OFFSET for t in SHOTS]), sr=SR))
    return folder


@pytest.fixture
def shots_incident(tmp_path, shots_media) -> Path:
    media = tmp_path / "media"
    shutil.copytree(shots_media, media)
    project = Project(base_dir=tmp_path, author="tester")
    project.add_source(media / "camA.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    project.add_source(media / "camB.mp4", role="body cam", clock=ClockMap(B_OFFSET, 1.0, 0.0005, "audio"))
    path = tmp_path / "incident.json"
    project.save(path)
    return path


def _shot_events(win) -> list[float]:
    return sorted(a.shared_s for a in win.project.annotations if a.type == "shot fired")


def _detect(qtbot, win) -> None:
    assert win.act_detect_shots.shortcut().toString() == "Ctrl+Shift+D"
    keys = [s.toString() for a in win.actions() for s in a.shortcuts()]
    assert keys.count("Ctrl+Shift+D") == 1  # no clash with another action
    assert ("Annotate", "Ctrl+Shift+D", "Detect shots…") in win.shortcut_entries()
    with qtbot.waitSignal(win.jobFinished, timeout=60000, check_params_cb=lambda kind, _r: kind == "shots"):
        win.act_detect_shots.trigger()
    qtbot.waitUntil(lambda: win.shots_panel.table is not None, timeout=2000)


def test_detect_accept_reject_add_undo_redo(qtbot, window, shots_incident):
    assert window.open_project(shots_incident)
    assert _shot_events(window) == []
    _detect(qtbot, window)
    panel, timeline = window.shots_panel, window.timeline
    markers = timeline.shot_candidates
    assert len(markers) == len(SHOTS) == panel.view.rowCount()
    for marker, truth in zip(markers, SHOTS, strict=True):
        assert abs(marker.shared_s - truth) <= 0.001
        assert marker.accepted is None
    assert [panel.view.item(r, 3).text() for r in range(4)] == ["undecided"] * 4
    assert window.shots_dock.isVisible()

    # clicking a row seeks the playhead to that candidate
    panel.view.setFocus()
    panel.select(markers[0].id)
    assert window.clock.time == pytest.approx(markers[0].shared_s, abs=1e-9)
    # A accepts (and moves on), Enter accepts, Delete rejects (not the window's "delete event")
    qtbot.keyClick(panel.view, Qt.Key.Key_A)
    assert panel.selected_id() == markers[1].id
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    decided = [(m.id, m.accepted) for m in timeline.shot_candidates]
    assert decided == [(markers[0].id, True), (markers[1].id, True), (markers[2].id, False), (markers[3].id, None)]
    assert [panel.view.item(r, 3).text() for r in range(4)] == ["accepted", "accepted", "rejected", "undecided"]
    assert panel.table.shot(markers[2].id).accepted is False
    # detecting again (a new table) keeps the decisions made on the same shots
    first_table = panel.table
    _detect(qtbot, window)
    assert panel.table is not first_table
    assert [(m.id, m.accepted) for m in timeline.shot_candidates] == decided
    assert [panel.view.item(r, 3).text() for r in range(4)] == ["accepted", "accepted", "rejected", "undecided"]
    assert "3 earlier decision(s) kept" in window.statusBar().currentMessage()

    panel.add_button.click()
    times = _shot_events(window)
    assert len(times) == 2
    for got, truth in zip(times, SHOTS[:2], strict=True):
        assert abs(got - truth) <= 0.001
    assert times == [markers[0].shared_s, markers[1].shared_s]
    assert window.undo.count() == 1
    window.undo.undo()
    assert _shot_events(window) == []
    window.undo.redo()
    assert _shot_events(window) == times
    # adding again adds nothing (already annotated) and pushes no command
    panel.add_button.click()
    assert _shot_events(window) == times and window.undo.count() == 1


def test_clicking_a_timeline_candidate_selects_it(qtbot, window, shots_incident):
    assert window.open_project(shots_incident)
    window.timeline.set_shot_candidates([ShotMarker("shot-x", 1.0)])
    assert window.timeline.shot_candidates == [ShotMarker("shot-x", 1.0, None)]
    _detect(qtbot, window)
    marker = window.timeline.shot_candidates[3]
    window.timeline.set_view(marker.shared_s - 0.5, 200.0)
    x = round(window.timeline.x_of(marker.shared_s))
    from ui.timeline import EVENTS_H, RULER_H

    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=_point(x, RULER_H + EVENTS_H // 2))
    assert window.shots_panel.selected_id() == marker.id
    assert window.clock.time == pytest.approx(marker.shared_s, abs=1e-9)


def _point(x: int, y: int):
    from PySide6.QtCore import QPoint

    return QPoint(x, y)
