"""Every window size works (issue 17 item 3): at 1366x768, 1920x1080 and 2560x1440 every table column
is in view with its header readable, times and numbers are never elided, long cells and headers elide
in the middle with the full text as a tooltip, the docks' tabs follow the window's width (no stale
tab left behind), and the ``?`` overlay shows every line whole."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTabBar, QToolBar, QToolTip

from ui.annotations import COLUMNS  # noqa: E402
from ui.viewmodes import DockFitter

pytest_plugins = ("conftest_ui",)

SIZES = [(1366, 768), (1920, 1080), (2560, 1440)]
#: the columns of times, numbers and statuses in each dock's table: never elided ("0:0…241" says nothing)
WHOLE = {"sourcesDock": ("hash", "± (1σ)", "offset", "drift"), "annotationsDock": ("id", "time", "end", "±"),
         "shotsDock": ("#", "shared time", "score", "status")}


def _tables(win):
    """Each table, its dock raised first (a narrow window shows Sources and Annotations as tabs)."""
    for dock, table in ((win.sources_dock, win.sources_panel.table), (win.annotations_dock, win.annotation_panel.table),
                        (win.shots_dock, win.shots_panel.view)):
        dock.raise_()
        QApplication.processEvents()
        yield dock.objectName(), table


@pytest.fixture
def themed(qapp):
    """The app's own stylesheet (ui/theme.qss: its paddings and fonts are what must fit), as ``create_app``
    sets it; the plain style again after."""
    from ui.app import load_stylesheet

    qapp.setStyleSheet(load_stylesheet())
    yield
    qapp.setStyleSheet("")


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def sized(request, qtbot, themed, window, incident, wait_frames):
    window.open_project(incident)
    window.shots_dock.show()
    window.resize(*request.param)
    qtbot.waitUntil(lambda: window.size().width() == request.param[0])
    QApplication.processEvents()
    return window


def test_a_narrow_window_puts_sources_and_annotations_in_tabs(qtbot, sized):
    narrow = sized.width() < DockFitter.NARROW_PX
    assert (sized.annotations_dock in sized.tabifiedDockWidgets(sized.sources_dock)) == narrow
    if not narrow:
        assert sized.dockWidgetArea(sized.sources_dock) != sized.dockWidgetArea(sized.annotations_dock)


def test_1366_and_1920_wide_windows_tab_all_three_side_docks(qtbot, sized):
    """Shot candidates join the Sources / Annotations tabs (beside them, the pictures had a third of 1366 px)."""
    narrow = sized.width() < DockFitter.NARROW_PX
    assert narrow == (sized.width() <= 1920)
    assert (sized.shots_dock in sized.tabifiedDockWidgets(sized.sources_dock)) == narrow


def _tab_bars(win):
    """The texts of the visible tab bars of the window's dock areas."""
    return [[bar.tabText(i) for i in range(bar.count())] for bar in win.findChildren(QTabBar)
            if bar.parent() is win and bar.isVisible()]


def test_untabbing_leaves_no_stale_tab_behind(qtbot, window, incident):
    """Narrow, then wide: the docks leave the tab group, and no tab bar still shows them."""
    window.open_project(incident)
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.dock_fitter.tabbed and len(_tab_bars(window)) == 1)
    window.resize(2560, 1440)
    qtbot.waitUntil(lambda: not window.dock_fitter.tabbed)
    QApplication.processEvents()
    assert window.tabifiedDockWidgets(window.sources_dock) == []
    assert _tab_bars(window) == []
    assert window.sources_dock.isVisible() and window.annotations_dock.isVisible()


def test_times_and_numbers_are_never_elided(sized):
    """Text columns give up width first: each time, number and status column keeps its natural width."""
    for name, table in _tables(sized):
        header, model, fitter = table.horizontalHeader(), table.model(), table.parent().fitter
        natural = fitter.natural_widths()
        for c in range(model.columnCount()):
            text = str(model.headerData(c, Qt.Orientation.Horizontal))
            if text in WHOLE[name]:
                assert header.sectionSize(c) >= natural[c] - 1, (name, text, header.sectionSize(c), natural[c])


def test_headers_elide_in_the_middle_and_tip_their_full_text(qtbot, sized):
    for _name, table in _tables(sized):
        header, model = table.horizontalHeader(), table.model()
        assert header.textElideMode() == Qt.TextElideMode.ElideMiddle
        for c in range(model.columnCount()):
            at = QPoint(header.sectionViewportPosition(c) + header.sectionSize(c) // 2, header.height() // 2)
            event = QHelpEvent(QEvent.Type.ToolTip, at, header.viewport().mapToGlobal(at))
            QApplication.sendEvent(header.viewport(), event)
            qtbot.waitUntil(lambda: QToolTip.isVisible())
            assert QToolTip.text() == str(model.headerData(c, Qt.Orientation.Horizontal))


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


def test_no_button_or_label_is_narrower_than_its_text(sized):
    """Every visible button and one-line label, a message's too (its action and its close ×), has the room
    its text asks for, at every size."""
    sized.messages.error("a message with an action", ("Relink…", lambda: None))
    QApplication.processEvents()
    for _name, _table in _tables(sized):
        for widget in [*sized.findChildren(QAbstractButton), *sized.findChildren(QLabel)]:
            if not widget.isVisible() or (isinstance(widget, QLabel) and widget.wordWrap()):
                continue
            hint = widget.sizeHint()
            assert widget.width() >= hint.width() - 1, (type(widget).__name__, widget.text(), widget.width(), hint)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_toolbar_button_stays_on_the_toolbar(qtbot, themed, window, sample_media_dir, tmp_path, size):
    """With the sample incident (a wall clock, so the wall-clock readout is shown), no button is pushed
    off the toolbar (into its overflow menu), whatever the size."""
    from ui.sample_project import sample_project

    window.open_project(sample_project(sample_media_dir, tmp_path / "sample", align=False).path)
    window.clock.seek(window.clock.start_s)  # the widest readouts: a negative shared time, a date
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0] and window.wall_label.isVisible())
    bar = window.findChild(QToolBar)
    QApplication.processEvents()
    for action in bar.actions():
        widget = bar.widgetForAction(action)
        if widget is not None and action.isVisible():
            assert widget.isVisible() and widget.geometry().right() <= bar.width(), getattr(widget, "text", str)()


def test_the_timelines_names_column_gives_its_elided_texts_whole_as_tooltips(qtbot, window, incident):
    import datetime as dt

    from ui.timeline.axis import EVENTS_H, HEADER_W, RULER_H, TRACK_H

    window.open_project(incident)
    long = "bodycam of officer number 4471, second shift, north entrance.mp4"
    window.project.rename_source("camB.mp4", long)
    timeline = window.timeline
    timeline.set_wall_clock(dt.datetime(2024, 5, 17, 21, 0, tzinfo=dt.UTC), "clock of a very long source name.mp4")
    row = [t.spec.name for t in timeline._tracks].index(long)
    metrics = timeline.fontMetrics()
    assert metrics.horizontalAdvance(long) > HEADER_W  # elided on screen

    def tip_at(y: float) -> str:
        at = QPoint(20, round(y))
        QApplication.sendEvent(timeline, QHelpEvent(QEvent.Type.ToolTip, at, timeline.mapToGlobal(at)))
        qtbot.waitUntil(lambda: QToolTip.isVisible())
        return QToolTip.text()

    assert tip_at(RULER_H + EVENTS_H + row * TRACK_H + TRACK_H / 2) == f"{long}\n±2.00 ms audio"
    assert tip_at(RULER_H - 6) == "wall (clock of a very long source name.mp4)"
