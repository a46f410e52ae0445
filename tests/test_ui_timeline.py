"""Timeline: tracks placed by their ClockMap, seek, zoom, manual offsets by drag and nudge."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from ui.sources import SOURCE_COLUMNS
from ui.timeline import HEADER_W, nice_step

pytest_plugins = ("conftest_ui",)


def test_tracks_are_placed_by_their_clock_maps(qtbot, window, incident):
    window.open_project(incident)
    tl = window.timeline
    a, b = tl.track_rect("camA.mp4"), tl.track_rect("camB.mp4")
    assert tl.track_rect("drone.mp4") is None  # not aligned: no bar
    assert a.left() == pytest.approx(tl.x_of(0.0), abs=0.5)
    assert b.left() == pytest.approx(tl.x_of(1.0), abs=0.5)
    assert b.right() == pytest.approx(tl.x_of(4.0), abs=1.0)


def test_click_on_the_ruler_seeks(qtbot, window, incident):
    window.open_project(incident)
    tl = window.timeline
    x = round(tl.x_of(2.0))
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(x, 10))
    assert window.clock.time == pytest.approx(tl.time_at(x))


def test_drag_a_track_records_a_manual_offset_and_undo_restores(qtbot, window, incident):
    window.open_project(incident)
    tl = window.timeline
    rect = tl.track_rect("camB.mp4")
    y = round(rect.center().y())
    x0 = round(tl.x_of(2.0))
    dx = 40
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    qtbot.mouseMove(tl, QPoint(x0 + 10, y))
    qtbot.mouseMove(tl, QPoint(x0 + dx, y))
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=QPoint(x0 + dx, y))
    clock = window.project.clock("camB.mp4")
    assert clock.method == "manual"
    assert clock.offset_s == pytest.approx(1.0 + dx / tl.pixels_per_second, abs=1e-9)
    assert clock.uncertainty_s == pytest.approx(math.hypot(1 / 25, 1 / tl.pixels_per_second) / math.sqrt(12))
    last = window.project.history[-1]
    assert (last.action, last.target, last.after["method"]) == ("clock_changed", "camB.mp4", "manual")
    model = window.sources_panel.model
    assert model.data(model.index(1, SOURCE_COLUMNS.index("method"))) == "manual"
    sigma = model.data(model.index(1, SOURCE_COLUMNS.index("± (1σ)")))
    assert sigma == f"±{clock.uncertainty_s * 1e3:.1f} ms"
    window.undo.undo()
    restored = window.project.clock("camB.mp4")
    assert (restored.offset_s, restored.method) == (1.0, "audio")


def test_nudge_by_one_frame_and_one_millisecond(qtbot, window, incident):
    window.open_project(incident)
    window.timeline.select_source("camB.mp4")
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.project.clock("camB.mp4").offset_s == pytest.approx(1.0 + 1 / 25, abs=1e-12)
    assert window.project.clock("camB.mp4").uncertainty_s == pytest.approx(1 / 25 / math.sqrt(12))
    window.nudge(milliseconds=-1)
    assert window.project.clock("camB.mp4").offset_s == pytest.approx(1.0 + 1 / 25 - 0.001, abs=1e-12)
    window.undo.undo()  # consecutive manual moves of one source are one undo step
    assert window.project.clock("camB.mp4").offset_s == 1.0


def test_ctrl_wheel_zooms_down_to_frames_and_wheel_scrolls(qtbot, window, incident):
    window.open_project(incident)
    tl = window.timeline
    before = tl.pixels_per_second
    pos = QPointF(HEADER_W + 200, 60)
    anchor = tl.time_at(pos.x())
    for _ in range(30):
        event = QWheelEvent(pos, tl.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(tl, event)
    assert tl.pixels_per_second > before
    assert tl.pixels_per_second / 30 > 100  # one 30 fps frame is over 100 px wide
    assert tl.time_at(pos.x()) == pytest.approx(anchor, abs=1e-6)
    t0 = tl.visible_range[0]
    event = QWheelEvent(pos, tl.mapToGlobal(pos), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tl, event)
    assert tl.visible_range[0] > t0


def test_click_an_event_marker_selects_and_seeks(qtbot, window, incident):
    window.open_project(incident)
    tl = window.timeline
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(round(tl.x_of(2.21)), 34 + 11))
    assert window.clock.time == 2.21
    assert window.annotation_panel.selected_id() == "e3"


def test_waveform_envelope_is_computed_off_the_gui_thread(qtbot, window, incident):
    window.open_project(incident)
    track = next(t for t in window.timeline._tracks if t.spec.name == "camA.mp4")
    qtbot.waitUntil(lambda: track.envelope is not None and track.envelope.size > 0, timeout=10000)
    env = track.envelope
    assert env.size == pytest.approx(3000, abs=30)  # 1 kHz over 3 s
    assert int(env.argmax()) in range(505, 516)  # the click at 0.51 s


def test_nice_step():
    assert [nice_step(x) for x in (0.0004, 0.003, 0.7, 7, 70, 4000)] == [0.001, 0.005, 1, 10, 120, 7200]


def test_uncertainty_formatting():
    from ui.spec import format_uncertainty

    assert [format_uncertainty(x) for x in (5.9e-6, 3e-4, 0.0123, 1.2, None)] == [
        "±5.9 µs", "±0.30 ms", "±12.3 ms", "±1.20 s", ""]


def test_frame_boundaries_come_from_the_exact_frame_times(qtbot, window, incident):
    window.open_project(incident)
    qtbot.waitUntil(lambda: window._frame_times("camB.mp4") is not None, timeout=5000)
    times = window._frame_times("camB.mp4")
    assert len(times) == 75 and times[13] == pytest.approx(13 / 25)
    tl = window.timeline
    tl.set_view(1.4, 2000.0)  # 80 px per 25 fps frame: ticks are drawn
    image = tl.grab().toImage()
    rect = tl.track_rect("camB.mp4")
    x = round(tl.x_of(1.0 + 13 / 25))
    y = round(rect.top() + 3)
    inside = image.pixelColor(x + 20, y)
    assert any(image.pixelColor(x + dx, y).blue() < inside.blue() for dx in (-1, 0, 1))


def test_thumbnails_for_the_visible_frames(qtbot, window, incident):
    """Zoomed in: each video track shows the thumbnails of the frames ``frame_at_shared`` names."""
    import cv2
    import numpy as np
    from media_factory import pattern

    from timesync.media import FrameIndex
    from ui.frames import qimage_to_array
    from ui.timeline import THUMB_W

    window.open_project(incident)
    tl = window.timeline
    tl.set_view(1.2, 400.0)  # 64 px = 0.16 s: slots every 0.2 s
    assert nice_step(THUMB_W / tl.pixels_per_second) == 0.2
    qtbot.waitUntil(lambda: {s[0] for s in tl.thumbnail_slots()} == {"camA.mp4", "camB.mp4"}, timeout=5000)
    slots = tl.thumbnail_slots()
    t0, t1 = tl.visible_range
    assert all(t0 - 0.2 <= t <= t1 for _n, t, _x, _f in slots)

    def all_drawn():
        tl.grab()  # paint now (the paint asks for the missing thumbnails)
        return {(n, t, f) for n, t, f in tl.drawn_thumbnails()} == {(n, t, f) for n, t, _x, f in slots}

    qtbot.waitUntil(all_drawn, timeout=10000)
    assert len(slots) >= 8  # both tracks, several slots each
    assert tl.thumbnail_count() >= len({(n, f) for n, _t, _x, f in slots})
    indexes = {name: FrameIndex.open(window.project.resolve(name)) for name in ("camA.mp4", "camB.mp4")}
    for name, t, number in tl.drawn_thumbnails():
        ref = indexes[name].frame_at_shared(window.project.clock(name), t)
        assert ref is not None and ref.number == number
        thumb = qimage_to_array(tl.thumbnail(name, number)).astype(np.float32)
        assert max(thumb.shape[:2]) == 64
        truth = cv2.resize(pattern(number), (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA)
        other = cv2.resize(pattern(number + 1), (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA)
        assert np.abs(thumb - truth).mean() < np.abs(thumb - other).mean()
        assert np.abs(thumb - truth).mean() < 10.0
    # camA is the reference at 30 fps: the slot at 1.4 s shows frame 42; camB (25 fps, +1 s) frame 10
    drawn = {(n, round(t, 6)): f for n, t, f in tl.drawn_thumbnails()}
    assert drawn[("camA.mp4", 1.4)] == 42 and drawn[("camB.mp4", 1.4)] == 10
