"""Tables that fit their dock: every column in view, long texts elided in the middle, full text in a tooltip.

:func:`fit_table` makes a ``QTableView`` keep every column inside its
viewport (no column scrolled out of sight, whatever the window size): each
column gets its natural width (header or contents, whichever is wider) when
there is room, and when there is not, the widest columns give up width first,
never below their header's own width (headers stay readable). A cell whose
text no longer fits is elided in the middle ("bodycam…_A.mp4") and shows its
full text as a tooltip. The view's minimum width is the sum of the header
widths, so a dock cannot be dragged narrower than its headers.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QToolTip
from shiboken6 import isValid

__all__ = ["fit_table", "TableFitter", "cell_tooltip"]

_PAD = 24  # pixels around a header's text (margins, sort arrow)
_MAX_NATURAL = 420  # a column's natural width is capped here (long notes, paths)


def cell_tooltip(view: QAbstractItemView, index) -> str | None:
    """The model's own tooltip of a cell, else its full display text (``None`` for an empty cell)."""
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    if tip:
        return str(tip)
    text = index.data(Qt.ItemDataRole.DisplayRole)
    return str(text) if text not in (None, "") else None


def _shrink(widths: list[int], minimum: list[int], excess: int) -> None:
    """Take ``excess`` pixels off ``widths`` in place, widest first, never below ``minimum``."""
    while excess > 0:
        shrinkable = [c for c, w in enumerate(widths) if w > minimum[c]]
        if not shrinkable:
            return
        widest = max(shrinkable, key=widths.__getitem__)
        below = max((widths[c] for c in shrinkable if widths[c] < widths[widest]), default=0)
        floor = max(minimum[widest], below, widths[widest] - excess)
        if floor >= widths[widest]:
            floor = widths[widest] - 1  # a tie with the next widest: one pixel at a time
        excess -= widths[widest] - floor
        widths[widest] = floor


class TableFitter(QObject):
    """Keeps one table's columns inside its viewport (see :func:`fit_table`)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        view.setWordWrap(False)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted, model.dataChanged):
            signal.connect(self.fit)
        self.fit()

    def header_widths(self) -> list[int]:
        """Width (px) each column's header text needs."""
        header, model = self.view.horizontalHeader(), self.view.model()
        metrics = header.fontMetrics()
        return [metrics.horizontalAdvance(str(model.headerData(c, Qt.Orientation.Horizontal) or "")) + _PAD
                for c in range(model.columnCount())]

    def natural_widths(self) -> list[int]:
        """Width (px) each column would like: its header or its widest cell, capped."""
        view = self.view
        return [min(_MAX_NATURAL, max(h, view.sizeHintForColumn(c) + 8))
                for c, h in enumerate(self.header_widths())]

    def natural_width(self) -> int:
        """Width (px) the whole table would like: every column at its natural width, and the scroll bar."""
        view = self.view
        return sum(self.natural_widths()) + view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth() + 8

    def fit(self, *_args) -> None:
        """Set the column widths for the viewport's width now."""
        view = self.view
        if not isValid(view) or view.model() is None or view.model().columnCount() == 0:
            return
        minimum = self.header_widths()
        widths = self.natural_widths()
        view.setMinimumWidth(sum(minimum) + view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth())
        _shrink(widths, minimum, sum(widths) - view.viewport().width())
        header = view.horizontalHeader()
        for c, w in enumerate(widths):
            header.resizeSection(c, w)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize:
            self.fit()
        elif event.type() == QEvent.Type.ToolTip:
            index = self.view.indexAt(event.pos())
            tip = cell_tooltip(self.view, index) if index.isValid() else None
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.view.viewport())
            else:
                QToolTip.hideText()
            return True
        return False


def fit_table(view: QTableView) -> TableFitter:
    """Make ``view`` fit its columns to its width, elide in the middle and show full texts as tooltips."""
    fitter = TableFitter(view)
    view.setProperty("fitted", True)
    return fitter
