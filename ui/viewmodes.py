"""Full-screen single view, the docks' default arrangement for the window's width, the tiles' order.

:func:`toggle_full_screen` enlarges the focused view alone
(``PlayerGrid.toggle_single``), hides the docks, toolbars, menu and status
bars and shows the window full screen; called again, it puts back the
window's dock layout (``saveState``), its size and the grid's mode.

:class:`TileOrderMemory` keeps the order the reviewer dragged the tiles into
(``PlayerGrid.orderChanged``), per project file, in the window's settings
beside the panel layout, and puts it back when that project is opened again.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QToolBar

__all__ = ["toggle_full_screen", "is_full_screen", "DockFitter", "TileOrderMemory"]

_SAVED = "_full_screen_saved"


def is_full_screen(win) -> bool:
    """True while the window shows one view full screen (this module's mode)."""
    return getattr(win, _SAVED, None) is not None


def _chrome(win, *, visible: bool) -> None:
    """Hide (or show) what surrounds the players; docks come back from the saved state."""
    win.menuBar().setVisible(visible)
    win.statusBar().setVisible(visible)
    for bar in win.findChildren(QToolBar):
        bar.setVisible(visible)
    if not visible:
        for dock in win.findChildren(QDockWidget):
            dock.hide()


def toggle_full_screen(win) -> None:
    """Into the full-screen single view of the focused view, or back out of it."""
    saved = getattr(win, _SAVED, None)
    grid = win.grid
    if saved is None:
        view = grid.focused_view
        if view is None:
            return
        setattr(win, _SAVED, (win.saveState(), win.isMaximized(), grid.single_view))
        if grid.single_view is not view:
            grid.toggle_single(view)
        _chrome(win, visible=False)
        win.showFullScreen()
        return
    setattr(win, _SAVED, None)
    state, maximized, single = saved
    win.showMaximized() if maximized else win.showNormal()
    _chrome(win, visible=True)
    win.restoreState(state)
    if grid.single_view is not single:  # the large-and-strip mode, if it was on, is still on
        grid.toggle_single(single if single is not None else grid.single_view)


class DockFitter(QObject):
    """On a window under :data:`NARROW_PX` wide (1366x768 and 1920x1080 screens), Sources, Annotations
    and Shot candidates share one dock area as tabs, so the pictures keep most of the width and every
    table its columns; wider, Sources sits at the left and the other two at the right.

    Each side dock is given the width its table would like, up to a share of the window, and never
    less than the width that keeps its times and numbers whole
    (:meth:`ui.tables.TableFitter.comfortable_width`), up to 45 % of the window.

    The docks are sized again when the window's width changes by more than a tenth (maximized, or
    moved to another screen), not on smaller changes: a dock the user has dragged stays as it is.
    Only while the layout is the app's own: a window whose dock layout was
    restored from the settings (``saveState``: the user's arrangement) is left alone.
    """

    NARROW_PX = 2200

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.active = win.settings.value("window/state") is None
        self.tabbed = False
        self.sized = False  # docks sized once per arrangement, project and screen size (then left as the user drags them)
        self.sized_for = 0  # the window width (px) the docks were last sized for
        win.installEventFilter(self)
        win.projectChanged.connect(self._on_project)

    def _on_project(self, _project) -> None:
        if self.active:
            self.sized = False
            self.fit(self.win.width())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if self.active and watched is self.win and event.type() == QEvent.Type.Resize:
            self.fit(event.size().width())
        return False

    def fit(self, width: int) -> None:
        """Tab or untab the side docks for a window ``width`` pixels wide."""
        win = self.win
        narrow = width < self.NARROW_PX
        if narrow == self.tabbed and self.sized and abs(width - self.sized_for) <= 0.1 * self.sized_for:
            return
        if narrow and not self.tabbed:
            win.tabifyDockWidget(win.sources_dock, win.annotations_dock)
            win.tabifyDockWidget(win.annotations_dock, win.shots_dock)
            win.annotations_dock.raise_()
        elif not narrow and self.tabbed:
            self._untab()
        self.tabbed, self.sized, self.sized_for = narrow, True, width
        QTimer.singleShot(0, self, lambda: self._size_docks(self.win.width()))  # once the docks have moved

    def _untab(self) -> None:
        """Sources alone at the left, Annotations over Shot candidates at the right.

        Each dock leaves the tab group first (``removeDockWidget``): a dock only re-added
        elsewhere leaves its tab behind in the old group's tab bar.
        """
        win = self.win
        docks = (win.sources_dock, win.annotations_dock, win.shots_dock)
        shown = [not dock.isHidden() for dock in docks]
        for dock in docks:
            win.removeDockWidget(dock)
        win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, win.sources_dock)
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, win.annotations_dock)
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, win.shots_dock)
        for dock, visible in zip(docks, shown, strict=True):
            dock.setVisible(visible)

    def _wanted_widths(self, width: int) -> tuple[list, list[int]]:
        """The side docks to size and their widths (px) for a window ``width`` wide (see the class docstring)."""
        win = self.win
        share = 0.45 if self.tabbed else 0.34
        wants = []
        for panel in ("sources_panel", "annotation_panel"):
            fitter = getattr(getattr(win, panel, None), "fitter", None)
            if fitter is None:
                wants.append(300)
                continue
            wants.append(min(round(0.45 * width), max(fitter.comfortable_width(),
                                                     min(round(share * width), fitter.natural_width()))))
        if self.tabbed:  # every tab of the group (resizing only one that is not raised does nothing)
            docks = [d for d in (win.sources_dock, win.annotations_dock, win.shots_dock) if not d.isHidden()]
            return docks, [max(wants)] * len(docks)
        return [win.sources_dock, win.annotations_dock], wants

    def _size_docks(self, width: int, tries: int = 4) -> None:
        """Size the side docks; a layout still settling (docks just moved) may not take the sizes at
        once, so they are checked 100 ms later and set again, ``tries`` times at most."""
        docks, wants = self._wanted_widths(width)
        self.win.layout().activate()  # the docks placed for the window's size now, then sized
        self.win.resizeDocks(docks, wants, Qt.Orientation.Horizontal)
        self.win.layout().activate()
        if tries > 1:
            QTimer.singleShot(100, self, lambda: self._check(width, tries - 1))

    def _check(self, width: int, tries: int) -> None:
        if width != self.win.width():
            return  # resized meanwhile: fit() has sized them for the new width
        docks, wants = self._wanted_widths(width)
        if self.tabbed:  # the raised tab has the group's width (the others keep a stale one)
            off = docks and abs(max(d.width() for d in docks) - wants[0]) > 3
        else:
            off = any(abs(d.width() - w) > 3 for d, w in zip(docks, wants, strict=True))
        if off:
            self._size_docks(width, tries)


class TileOrderMemory(QObject):
    """The tile order of each project (by its file's absolute path), in the settings under :data:`KEY`
    as JSON ``{path: [source names]}``; a project without a file keeps its order until closed."""

    KEY = "window/tile_order"

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        win.grid.orderChanged.connect(self._save)
        win.projectChanged.connect(self._restore)

    def _project_key(self) -> str | None:
        path = self.win.project.path
        return None if path is None else str(Path(path).absolute())

    def saved(self) -> dict[str, list[str]]:
        """Every remembered order (an unreadable setting counts as none)."""
        try:
            saved = json.loads(str(self.win.settings.value(self.KEY) or "{}"))
        except ValueError:
            return {}
        return saved if isinstance(saved, dict) else {}

    def _save(self, names: list[str]) -> None:
        key = self._project_key()
        if key is None:
            return
        saved = self.saved()
        saved[key] = list(names)
        self.win.settings.setValue(self.KEY, json.dumps(saved))

    def _restore(self, _project) -> None:
        key = self._project_key()
        names = self.saved().get(key, []) if key is not None else []
        self.win.grid.set_order([str(n) for n in names] if isinstance(names, list) else [])
