"""Player tiles (issue 17 items 2 and 4): text strips outside the picture; one view large; full screen."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QDockWidget

from timesync.project import Project
from ui.bridge import ProjectBridge
from ui.clock import PlaybackClock
from ui.player import PlayerView
from ui.tile import picture_area, strip_height
from ui.viewmodes import is_full_screen, toggle_full_screen

pytest_plugins = ("conftest_ui",)


def _tile(qtbot, incident, name, size):
    project = Project.load(incident, verify=False)
    bridge = ProjectBridge(project)
    spec = next(s for s in bridge.specs() if s.name.endswith(name))
    clock = PlaybackClock()
    clock.set_range(0.0, 4.0)
    view = PlayerView(spec, clock)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    clock.seek(1.5)
    qtbot.waitUntil(lambda: view.shown_frame is not None and view.shown_frame == view.wanted_frame, timeout=10000)
    return view, bridge, clock


def test_labels_and_times_never_cover_the_picture(qtbot, incident):
    """A tile exactly the picture's shape (no letterbox): a long name and a burned-in clock reading
    change the strips' pixels but not one pixel of the picture."""
    view, _bridge, _clock = _tile(qtbot, incident, "camA.mp4", (320, 240))  # camA is 160x120
    picture = view._image_rect()
    assert picture.top() >= strip_height(view) - 0.5
    assert picture.bottom() <= view.height() - strip_height(view) + 0.5
    assert picture_area(view).contains(picture.adjusted(0.5, 0.5, -0.5, -0.5))
    before = view.grab().toImage()
    longer = dataclasses.replace(view.spec, name="a very long name of a body camera file.mp4",
                                 overlay_clock={"at_local_zero": "2024-05-01T10:00:00", "rate": 1.0})
    view.set_spec(longer)
    view.repaint()
    after = view.grab().toImage()
    inner = picture.toAlignedRect().adjusted(1, 1, -1, -1)
    assert before.copy(inner) == after.copy(inner)  # the picture is untouched by the app's text
    top = before.copy(0, 0, view.width(), int(picture.top()))
    assert top != after.copy(0, 0, view.width(), int(picture.top()))  # the name is drawn, in the strip
    view.shutdown()


def test_a_zoomed_picture_stays_between_the_strips(qtbot, incident):
    view, _bridge, _clock = _tile(qtbot, incident, "camA.mp4", (320, 240))
    plain = view.grab().toImage()
    view._zoom = 4.0
    view.repaint()
    zoomed = view.grab().toImage()
    h = int(strip_height(view))
    assert plain.copy(0, 0, view.width(), h - 1) == zoomed.copy(0, 0, view.width(), h - 1)
    view.shutdown()


def test_one_view_large_with_the_others_as_a_strip(qtbot, window, incident, wait_frames):
    window.open_project(incident)
    wait_frames(window)
    grid = window.grid
    cam_b = grid.view_for(next(v.spec.name for v in grid.views if v.spec.name.endswith("camB.mp4")))
    window.grid.set_focused(cam_b)
    window.act_large.trigger()
    qtbot.waitUntil(lambda: grid.large_view is cam_b)
    others = [v for v in grid.views if v is not cam_b]
    qtbot.waitUntil(lambda: all(v.isVisible() for v in grid.views) and cam_b.width() > 3 * others[0].width())
    assert len({v.x() for v in others}) == 1 and all(v.x() > cam_b.x() for v in others)  # one column at the right
    assert len({v.y() for v in others}) == len(others)
    window.act_large.trigger()
    qtbot.waitUntil(lambda: grid.large_view is None and abs(cam_b.width() - others[0].width()) < 5)


def test_full_screen_single_view_and_back(qtbot, window, incident, wait_frames):
    window.open_project(incident)
    wait_frames(window)
    focused = window.grid.focused_view
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible()]
    assert docks
    window.act_full.trigger()
    assert is_full_screen(window) and window.isFullScreen()
    assert window.grid.single_view is focused
    assert not any(d.isVisible() for d in docks) and not window.menuBar().isVisible()
    toggle_full_screen(window)
    assert not is_full_screen(window) and not window.isFullScreen()
    assert window.grid.single_view is None
    qtbot.waitUntil(lambda: all(d.isVisible() for d in docks))
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
