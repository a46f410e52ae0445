"""Tiles reorder by drag: a tile dropped on another's place in the grid (or the large view's strip) takes it.

:class:`TileDrag` watches the mouse on each :class:`~ui.player.PlayerView` of a
:class:`~ui.grid.PlayerGrid` (an event filter, so the view's own click, double
click, zoom and pan are untouched). A left-button drag that starts on the
tile's name strip, or anywhere on a picture that is not zoomed (a zoomed
picture pans instead), and goes further than the platform's drag distance
becomes a move: the tile under the pointer is outlined, and on release the
dragged tile takes its place (``PlayerGrid.move_view``). A release outside
every tile cancels it.

The drag lives inside the window (the mouse stays grabbed by the pressed
tile, as Qt does for any press), so it needs no ``QDrag`` and no mime data.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QFrame, QWidget

from ui.tile import strip_height

__all__ = ["TileDrag"]


class TileDrag(QObject):
    """The drag-to-reorder of one grid's tiles (see the module docstring)."""

    def __init__(self, grid) -> None:
        super().__init__(grid)
        self.grid = grid
        self._pressed = None  # (view, global press position) of a left press on a tile
        self.dragged = None  #: the view being dragged, while a drag is on
        self.target = None  #: the view it would be dropped on now (``None``: nowhere)
        self.indicator = QFrame(grid)  #: the outline over the target tile
        self.indicator.setObjectName("tileDropTarget")
        self.indicator.setStyleSheet("#tileDropTarget { border: 3px dashed rgb(70, 160, 255); background: transparent; }")
        self.indicator.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.indicator.hide()

    def watch(self, view: QWidget) -> None:
        """Start watching a new view's mouse events."""
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._pressed = (watched, event.globalPosition()) if self._starts_drag(watched, event.position()) else None
        elif kind == QEvent.Type.MouseMove and self._pressed is not None:
            return self._move(event.globalPosition())
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self._pressed = None
            if self.dragged is not None:
                self._drop(event.globalPosition())
        return False

    @staticmethod
    def _starts_drag(view, pos: QPointF) -> bool:
        """A press on the name strip, or on a picture that is not zoomed, can start a drag."""
        return pos.y() < strip_height(view) or getattr(view, "zoom", 1.0) <= 1.0

    def _move(self, pos: QPointF) -> bool:
        view, start = self._pressed
        if self.dragged is None:
            if (pos - start).manhattanLength() < QApplication.startDragDistance():
                return False
            self.dragged = view
            view.setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))
        self._show_target(self.tile_at(pos))
        return True  # the view does not pan while its tile is dragged

    def tile_at(self, pos: QPointF):
        """The shown view under the global position ``pos`` (``None``: none)."""
        for view in self.grid.views:
            if view.isVisible() and view.rect().contains(view.mapFromGlobal(pos.toPoint())):
                return view
        return None

    def _show_target(self, view) -> None:
        self.target = view if view is not self.dragged else None
        if self.target is None:
            self.indicator.hide()
            return
        self.indicator.setGeometry(self.target.geometry())
        self.indicator.raise_()
        self.indicator.show()

    def _drop(self, pos: QPointF) -> None:
        dragged, target = self.dragged, self.tile_at(pos)
        self._end()
        if target is not None and target is not dragged:
            self.grid.move_view(dragged, target)

    def _end(self) -> None:
        if self.dragged is not None:
            self.dragged.unsetCursor()
        self.dragged, self.target, self._pressed = None, None, None
        self.indicator.hide()
