"""Every window size works (issue 17 item 3): at 1366x768, 1920x1080 and 2560x1440 every table column
is in view with its header readable, long cells elide in the middle with the full text as a tooltip,
and the ``?`` overlay shows every line whole."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from ui.annotations import COLUMNS  # noqa: E402

pytest_plugins = ("conftest_ui",)

SIZES = [(1366, 768), (1920, 1080), (2560, 1440)]


def _tables(win):
    """Each table, its dock raised first (a narrow window shows Sources and Annotations as tabs)."""
    for dock, table in ((win.sources_dock, win.sources_panel.table), (win.annotations_dock, win.annotation_panel.table),
                        (win.shots_dock, win.shots_panel.view)):
        dock.raise_()
        QApplication.processEvents()
        yield dock.objectName(), table


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def sized(request, qtbot, window, incident, wait_frames):
    window.open_project(incident)
    window.shots_dock.show()
    window.resize(*request.param)
    qtbot.waitUntil(lambda: window.size().width() == request.param[0])
    QApplication.processEvents()
    return window


def test_a_narrow_window_puts_sources_and_annotations_in_tabs(qtbot, sized):
    narrow = sized.width() < 1700
    assert (sized.annotations_dock in sized.tabifiedDockWidgets(sized.sources_dock)) == narrow
    if not narrow:
        assert sized.dockWidgetArea(sized.sources_dock) != sized.dockWidgetArea(sized.annotations_dock)


def test_a_remembered_layout_is_left_as_the_user_made_it(qtbot, window, tmp_path):
    """The dock layout saved at close (saveState) comes back, and the narrow-window tabs do not undo it."""
    import ui.main_window as main_window

    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.dock_fitter.tabbed)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.sources_dock)  # the user's choice
    window.save_layout()
    again = main_window.MainWindow(window.settings, autosave_s=0)
    qtbot.addWidget(again)
    again.resize(1366, 768)
    again.show()
    assert not again.dock_fitter.active
    assert again.annotations_dock not in again.tabifiedDockWidgets(again.sources_dock)
    assert again.dockWidgetArea(again.sources_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    again.shutdown()


def test_every_column_is_in_view_with_its_header_whole(sized):
    for name, table in _tables(sized):
        assert table.isVisible(), name
        header, model = table.horizontalHeader(), table.model()
        metrics = header.fontMetrics()
        right = 0
        for c in range(model.columnCount()):
            text = str(model.headerData(c, Qt.Orientation.Horizontal))
            assert header.sectionSize(c) >= metrics.horizontalAdvance(text) + 12, (name, text)
            right = max(right, header.sectionViewportPosition(c) + header.sectionSize(c))
            assert header.sectionViewportPosition(c) >= 0, (name, text)
        assert right <= table.viewport().width() + 1, name  # no column scrolled out of sight
        assert table.textElideMode() == Qt.TextElideMode.ElideMiddle


def test_cells_give_their_full_text_as_a_tooltip(qtbot, sized):
    table = sized.annotation_panel.table
    column = [k for k, _h in COLUMNS].index("type")  # no tooltip of its own: the view gives the full text
    index = table.model().index(1, column)
    full = str(index.data(Qt.ItemDataRole.DisplayRole))
    assert full and index.data(Qt.ItemDataRole.ToolTipRole) is None
    rect = table.visualRect(index)
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), table.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(table.viewport(), event)
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    assert QToolTip.text() == full


def test_the_shortcut_overlay_shows_every_line_whole(sized):
    sized.act_overlay.trigger()
    overlay = sized.overlay
    assert overlay.isVisible()
    inside = QRect(QPoint(0, 0), sized.size())
    assert inside.contains(overlay.geometry())
    seen = []
    for block in overlay.blocks:
        hint = block.sizeHint()
        assert block.width() >= hint.width() and block.height() >= hint.height()
        assert overlay.rect().contains(block.geometry()), block.text()[:40]
        assert not any(block.geometry().intersects(other) for other in seen)
        seen.append(block.geometry())
    texts = " ".join(b.text() for b in overlay.blocks)
    for _group, _keys, text in sized.shortcut_entries():
        assert text.replace("“", "&ldquo;")[:12] in texts or text[:12] in texts
    sized.act_overlay.trigger()
    assert not overlay.isVisible()
