"""Tiles reorder by drag (issue 17 item 4): real mouse drags (QTest) on the real window's tiles, in the
grid and in the large view's strip; the order is remembered with the panel layout, per project."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ui.tile import strip_height

pytest_plugins = ("conftest_ui",)

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def _drag(view, target, *, at: QPoint | None = None) -> None:
    """Press on ``view`` (at ``at``, default its centre), move in steps onto ``target``'s centre, release there.

    The moves and the release are sent to the window, as the platform would: Qt delivers them to the
    pressed tile (it holds the mouse while the button is down).
    """
    start = at if at is not None else view.rect().center()
    QTest.mousePress(view, LEFT, NONE, start)
    end = view.mapFromGlobal(target.mapToGlobal(target.rect().center()))
    for i in range(1, 6):
        QTest.mouseMove(view, start + (end - start) * i / 5)
        QApplication.processEvents()
    QTest.mouseRelease(view, LEFT, NONE, end)
    QApplication.processEvents()


def _names(grid):
    return [v.spec.name.rsplit("/", 1)[-1] for v in grid.views]


def _cells(grid):
    """(row, column) of each view in the grid's layout, by file name."""
    layout = grid.layout()
    out = {}
    for v in grid.views:
        row, col, _rs, _cs = layout.getItemPosition(layout.indexOf(v))
        out[v.spec.name.rsplit("/", 1)[-1]] = (row, col)
    return out


def test_a_tile_dragged_onto_another_takes_its_place(qtbot, window, incident, wait_frames):
    window.open_project(incident)
    wait_frames(window)
    grid = window.grid
    assert _names(grid) == ["camA.mp4", "camB.mp4", "phone.wav", "drone.mp4"]
    before = _cells(grid)
    cam_a, drone = grid.views[0], grid.views[3]
    drone_at = drone.pos()
    moved = []
    grid.orderChanged.connect(moved.append)
    _drag(cam_a, drone)
    assert _names(grid) == ["camB.mp4", "phone.wav", "drone.mp4", "camA.mp4"]
    after = _cells(grid)
    assert after["camA.mp4"] == before["drone.mp4"] and after["camB.mp4"] == before["camA.mp4"]
    qtbot.waitUntil(lambda: cam_a.pos() == drone_at)  # on screen too
    assert moved == [grid.order]
    assert grid.drag.dragged is None and not grid.drag.indicator.isVisible()


def test_a_short_press_or_a_zoomed_picture_does_not_reorder(qtbot, window, incident, wait_frames):
    """A click (no move past the drag distance) keeps the order; on a zoomed picture a drag pans it,
    but from the name strip it still moves the tile."""
    window.open_project(incident)
    wait_frames(window)
    grid = window.grid
    order = grid.order
    cam_a, cam_b = grid.views[0], grid.views[1]
    QTest.mouseClick(cam_a, LEFT, NONE, cam_a.rect().center())
    assert grid.order == order and grid.focused_view is cam_a
    cam_a._zoom = 4.0  # as the wheel leaves it
    _drag(cam_a, cam_b)
    assert grid.order == order
    _drag(cam_a, cam_b, at=QPoint(cam_a.width() // 2, int(strip_height(cam_a) / 2)))
    assert grid.order[:2] == order[1::-1]


def test_the_large_views_strip_reorders_and_a_drop_on_the_large_view_makes_it_large(qtbot, window, incident,
                                                                                     wait_frames):
    window.open_project(incident)
    wait_frames(window)
    grid = window.grid
    cam_a = grid.views[0]
    grid.set_focused(cam_a)
    window.act_large.trigger()
    strip = [v for v in grid.views if v is not cam_a]
    qtbot.waitUntil(lambda: all(v.isVisible() for v in grid.views) and cam_a.width() > 2 * strip[0].width())
    tops = sorted(strip, key=lambda v: v.y())
    _drag(tops[0], tops[-1])  # the strip's top tile to its bottom place
    qtbot.waitUntil(lambda: tops[0].y() > tops[-1].y())
    assert [v for v in grid.views if v is not cam_a] == [*tops[1:], tops[0]]
    assert grid.large_view is cam_a
    _drag(tops[1], cam_a)  # a strip tile onto the large one: it is shown large
    assert grid.large_view is tops[1]
    qtbot.waitUntil(lambda: tops[1].width() > 2 * cam_a.width() and cam_a.x() > tops[1].x())


def test_the_order_is_remembered_with_the_layout_per_project(qtbot, window, incident, wait_frames, tmp_path):
    import ui.main_window as main_window

    window.open_project(incident)
    wait_frames(window)
    grid = window.grid
    _drag(grid.views[2], grid.views[0])
    dragged = grid.order
    assert _names(grid)[0] == "phone.wav"
    window.save_layout()
    again = main_window.MainWindow(window.settings, autosave_s=0)
    qtbot.addWidget(again)
    again.show()
    again.open_project(incident)
    assert again.grid.order == dragged
    again.shutdown()
    window.files.new_project()  # another project: its own order (source order)
    assert window.grid.order == []
    window.open_project(incident)
    assert window.grid.order == dragged
