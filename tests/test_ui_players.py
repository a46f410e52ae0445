"""Synchronized players: exact frames at the shared clock, stepping, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from media_factory import frame_number

from timesync.media import FrameReader
from ui.frames import qimage_to_array

pytest_plugins = ("conftest_ui",)


def _view(win, name):
    view = win.grid.view_for(name)
    assert view is not None
    return view


def test_views_show_exactly_the_frame_the_core_names(qtbot, wait_frames, window, incident):
    assert window.open_project(incident)
    window.clock.seek(1.7)  # camA local 1.7 -> frame 51; camB local 0.7 -> frame 17
    wait_frames(window)
    cam_a, cam_b = _view(window, "camA.mp4"), _view(window, "camB.mp4")
    assert (cam_a.shown_frame, cam_b.shown_frame) == (51, 17)
    for view in (cam_a, cam_b):
        shown = qimage_to_array(view.image)
        with FrameReader(view.spec.path) as reader:
            expected = reader.read(view.shown_frame)
        assert np.array_equal(shown, expected)
        assert frame_number(shown) == view.shown_frame


def test_play_then_pause_moves_every_view(qtbot, wait_frames, window, incident):
    window.open_project(incident)
    window.clock.seek(1.0)
    wait_frames(window)
    start = _view(window, "camA.mp4").shown_frame
    window.clock.play()
    qtbot.waitUntil(lambda: window.clock.time > 1.3, timeout=3000)
    window.clock.pause()
    wait_frames(window)
    cam_a = _view(window, "camA.mp4")
    assert cam_a.shown_frame > start
    assert cam_a.shown_frame == cam_a.index.frame_at(window.clock.time).number


def test_step_frame_moves_to_the_next_frame_boundary_of_the_focused_source(qtbot, wait_frames, window, incident):
    window.open_project(incident)
    cam_b = _view(window, "camB.mp4")
    window.grid.set_focused(cam_b)
    window.clock.seek(1.5)  # camB local 0.5 -> frame 12 of 25 fps
    wait_frames(window)
    before = qimage_to_array(cam_b.image)
    window.step_frame(1)
    wait_frames(window)
    assert cam_b.shown_frame == 13
    assert window.clock.time == pytest.approx(1.0 + 13 / 25, abs=1e-9)
    after = qimage_to_array(cam_b.image)
    assert frame_number(after) == 13 and not np.array_equal(before, after)
    window.step_frame(-1)
    window.step_frame(-1)
    wait_frames(window)
    assert cam_b.shown_frame == 11
    assert frame_number(qimage_to_array(cam_b.image)) == 11


def test_per_source_step_moves_one_view_only(qtbot, wait_frames, window, incident):
    window.open_project(incident)
    window.clock.seek(1.5)
    wait_frames(window)
    cam_a, cam_b = _view(window, "camA.mp4"), _view(window, "camB.mp4")
    a_before, t_before = cam_a.shown_frame, window.clock.time
    window.grid.set_focused(cam_b)
    window.step_source(1)
    wait_frames(window)
    assert cam_b.shown_frame == 13 and cam_a.shown_frame == a_before and window.clock.time == t_before


def test_outside_its_recording_a_view_says_not_recording(qtbot, wait_frames, window, incident):
    window.open_project(incident)
    window.clock.seek(0.5)  # camB starts at shared 1.0
    wait_frames(window)
    cam_b = _view(window, "camB.mp4")
    assert cam_b.wanted_frame is None and cam_b.image is None
    assert cam_b._status_text() == "not recording"
    assert _view(window, "phone.wav")._status_text() == "audio only"
    drone = _view(window, "drone.mp4")  # not placed: it plays on its own clock (issue 19)
    assert drone.free and drone._status_text() is None and drone.toolTip().startswith("not placed")


def test_enlarge_and_back_to_grid(qtbot, window, incident):
    window.open_project(incident)
    cam_b = _view(window, "camB.mp4")
    qtbot.mouseDClick(cam_b, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    assert window.grid.single_view is cam_b
    assert [v for v in window.grid.views if v.isVisible()] == [cam_b]
    window.grid.toggle_single(cam_b)
    assert window.grid.single_view is None and all(v.isVisible() for v in window.grid.views)


def test_a_missing_source_is_reported_and_the_rest_works(qtbot, wait_frames, window, incident):
    (incident.parent / "media" / "camB.mp4").unlink()
    assert window.open_project(incident)
    # Two errors name camB.mp4: its player's (it cannot open the file) and the
    # background hash check's; the status is set by the latter, which may come second.
    qtbot.waitUntil(lambda: window.project.source("camB.mp4").hash_status == "missing", timeout=10000)
    assert any("camB.mp4" in m.text and m.level == "error" for m in window.messages.messages)
    window.clock.seek(2.0)
    wait_frames(window)
    assert _view(window, "camA.mp4").shown_frame == 60
    window.add_annotation("warning")
    assert [a.type for a in window.project.annotations].count("warning") == 1


def test_a_broken_project_shows_a_clear_error_and_keeps_the_open_one(qtbot, window, incident, tmp_path):
    window.open_project(incident)
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    assert not window.open_project(broken)
    errors = [m.text for m in window.messages.messages if m.level == "error"]
    assert errors and "broken.json" in errors[-1]
    assert window.project.path == incident
    wrong_schema = tmp_path / "future.json"
    wrong_schema.write_text(json.dumps({"schema": "timesync.project/99", "sources": []}), encoding="utf-8")
    assert not window.open_project(wrong_schema)
    assert "future.json" in window.messages.messages[-1].text
    assert window.project.path == incident


def test_wheel_zooms_about_the_cursor_and_drag_pans(qtbot, wait_frames, window, incident):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window.open_project(incident)
    window.clock.seek(1.0)
    wait_frames(window)
    view = _view(window, "camA.mp4")
    before = view._image_rect()
    pos = QPointF(view.width() / 3, view.height() / 3)
    event = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)
    after = view._image_rect()
    assert after.width() == pytest.approx(before.width() * 1.25**2)
    u_before = (pos.x() - before.x()) / before.width()
    assert (pos.x() - after.x()) / after.width() == pytest.approx(u_before)  # the point under the cursor stays
    start = QPoint(round(pos.x()), round(pos.y()))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, start + QPoint(30, 10))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(30, 10))
    panned = view._image_rect()
    assert (panned.x() - after.x(), panned.y() - after.y()) == pytest.approx((30, 10))
    view.reset_zoom()
    assert view._image_rect() == before


def test_a_source_that_will_not_open_is_reported_and_the_rest_works(qtbot, wait_frames, window, incident):
    (incident.parent / "media" / "camB.mp4").write_bytes(b"this is not a video" * 100)
    assert window.open_project(incident)
    qtbot.waitUntil(lambda: _view(window, "camB.mp4").error is not None, timeout=5000)
    assert "camB.mp4" in _view(window, "camB.mp4").error
    assert any(m.level == "error" and "camB.mp4" in m.text for m in window.messages.messages)
    window.clock.seek(2.0)
    wait_frames(window)
    assert _view(window, "camA.mp4").shown_frame == 60


def test_read_ahead_frames_are_exact_and_ready_before_the_clock(qtbot, incident):
    from ui.frames import FrameWorker

    path = incident.parent / "media" / "camA.mp4"
    worker = FrameWorker(path)
    got = []
    worker.frameReady.connect(got.append)
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.index is not None, timeout=5000)
        worker.set_read_ahead(3)
        worker.request(10, (80, 60))
        qtbot.waitUntil(lambda: bool(got) and got[-1].number == 10, timeout=5000)
        ready = []
        qtbot.waitUntil(lambda: ready.append(worker.take(11, (80, 60))) or ready[-1] is not None, timeout=5000)
        frame = ready[-1]
        with FrameReader(path) as reader:
            assert frame.number == 11 and np.array_equal(frame.array, reader.read(11))
        assert (frame.display.width(), frame.display.height()) == (80, 60)
        assert frame_number(qimage_to_array(frame.image)) == 11
        worker.set_read_ahead(0)
        assert worker.take(12) is None  # read-ahead off: nothing kept
    finally:
        worker.stop()
