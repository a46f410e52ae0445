"""Tables that fit their dock: every column in view, long texts elided in the middle, full text in a tooltip.

:func:`fit_table` makes a ``QTableView`` keep every column inside its
viewport (no column scrolled out of sight, whatever the window size): each
column gets its natural width (header or contents, whichever is wider) when
there is room. When there is not, the text columns (names, notes, methods)
give up width first, each in proportion to what it has above its header's
width; the ``whole`` columns (times, offsets, statuses: a time cut to
"0:0…241" says nothing) give up width only when the text columns are down to
their headers' widths, and never below their headers' widths either (headers
stay readable). A cell whose text no longer fits is elided in the middle
("bodycam…_A.mp4") and shows its full text as a tooltip; a header narrowed
below its text by the user's drag elides in the middle too, and every header
shows its full text as a tooltip. The view's minimum width is the sum of the
header widths, so a dock cannot be dragged narrower than its headers;
:meth:`TableFitter.comfortable_width` is the width that keeps every ``whole``
column whole (what :class:`ui.viewmodes.DockFitter` gives a dock at least).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QToolTip
from shiboken6 import isValid

__all__ = ["fit_table", "TableFitter", "cell_tooltip"]

_PAD = 14  # pixels around a header's text (margins)
_SORT_ARROW = 12  # and its sort arrow, in a sortable table
_MAX_NATURAL = 420  # a column's natural width is capped here (long notes, paths)


def cell_tooltip(view: QAbstractItemView, index) -> str | None:
    """The model's own tooltip of a cell, else its full display text (``None`` for an empty cell)."""
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    if tip:
        return str(tip)
    text = index.data(Qt.ItemDataRole.DisplayRole)
    return str(text) if text not in (None, "") else None


def _shrink(widths: list[int], minimum: list[int], excess: int) -> None:
    """Take ``excess`` pixels off ``widths`` in place, each column in proportion to its room above
    ``minimum`` (never below it)."""
    room = [max(0, w - m) for w, m in zip(widths, minimum, strict=True)]
    total = sum(room)
    if excess <= 0 or total == 0:
        return
    take = min(excess, total)
    cuts = [r * take // total for r in room]
    left = take - sum(cuts)
    for c in sorted(range(len(room)), key=lambda c: room[c] - cuts[c], reverse=True):  # the remainder, px by px
        if left <= 0:
            break
        if cuts[c] < room[c]:
            cuts[c] += 1
            left -= 1
    for c, cut in enumerate(cuts):
        widths[c] -= cut


class TableFitter(QObject):
    """Keeps one table's columns inside its viewport (see :func:`fit_table`)."""

    def __init__(self, view: QTableView, whole: tuple[str, ...] = ()) -> None:
        super().__init__(view)
        self.view = view
        self.whole = tuple(whole)  #: headers of the columns shrunk last (times, numbers, statuses)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        view.setWordWrap(False)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.viewport().installEventFilter(self)
        header.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted, model.dataChanged):
            signal.connect(self.fit)
        self.fit()

    def header_text(self, column: int) -> str:
        """The full text of a column's header."""
        return str(self.view.model().headerData(column, Qt.Orientation.Horizontal) or "")

    def header_widths(self) -> list[int]:
        """Width (px) each column's header text needs."""
        metrics = self.view.horizontalHeader().fontMetrics()
        pad = _PAD + (_SORT_ARROW if self.view.isSortingEnabled() else 0)
        return [metrics.horizontalAdvance(self.header_text(c)) + pad for c in range(self.view.model().columnCount())]

    def _whole_minimum(self, natural: list[int]) -> list[int]:
        """Each column's width before the ``whole`` ones are cut: natural for those, the header's for the rest."""
        headers = self.header_widths()
        return [natural[c] if self.header_text(c) in self.whole else headers[c] for c in range(len(headers))]

    def _chrome_width(self) -> int:
        view = self.view
        return view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth()

    def natural_widths(self) -> list[int]:
        """Width (px) each column would like: its header or its widest cell, capped."""
        view = self.view
        return [min(_MAX_NATURAL, max(h, view.sizeHintForColumn(c) + 4))
                for c, h in enumerate(self.header_widths())]

    def natural_width(self) -> int:
        """Width (px) the whole table would like: every column at its natural width, and the scroll bar."""
        return sum(self.natural_widths()) + self._chrome_width() + 8

    def comfortable_width(self) -> int:
        """Width (px) of the table with every ``whole`` column whole and the others at their headers' widths."""
        return sum(self._whole_minimum(self.natural_widths())) + self._chrome_width() + 8

    def fit(self, *_args) -> None:
        """Set the column widths for the viewport's width now."""
        view = self.view
        if not isValid(view) or view.model() is None or view.model().columnCount() == 0:
            return
        minimum = self.header_widths()
        widths = self.natural_widths()
        view.setMinimumWidth(sum(minimum) + self._chrome_width())
        _shrink(widths, self._whole_minimum(widths), sum(widths) - view.viewport().width())  # the text columns
        _shrink(widths, minimum, sum(widths) - view.viewport().width())  # then the whole ones, if still too wide
        header = view.horizontalHeader()
        for c, w in enumerate(widths):
            header.resizeSection(c, w)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if not isValid(self.view):
            return False
        header = self.view.horizontalHeader()
        if watched is header.viewport():
            if event.type() == QEvent.Type.ToolTip:
                column = header.logicalIndexAt(event.pos())
                text = self.header_text(column) if column >= 0 else ""
                QToolTip.showText(event.globalPos(), text, header.viewport()) if text else QToolTip.hideText()
                return True
            return False
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


def fit_table(view: QTableView, whole: tuple[str, ...] = ()) -> TableFitter:
    """Make ``view`` fit its columns to its width, elide in the middle and show full texts as tooltips.

    ``whole``: the headers of the columns cut last (times, numbers, statuses), see the module docstring.
    """
    fitter = TableFitter(view, whole)
    view.setProperty("fitted", True)
    return fitter
