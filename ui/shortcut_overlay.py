"""The ``?`` overlay: every shortcut, laid out to fit the window it is shown over, nothing clipped.

Each group ("Playback", "Annotate"…) is one block (a name over a two-column
table of keys and what they do). When the overlay opens, the blocks are
stacked into columns no taller than the window, a block too tall for one
column continuing in the next ("Playback (cont.)"); when the columns are wider
than the window the text is made smaller (down to 7 pt) and laid out again.
Every block gets at least its own size hint, so no line is cut.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QWidget

__all__ = ["ShortcutOverlay"]

_MARGIN, _GAP, _MIN_PT = 16, 18, 7.0


def _block_html(title: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td align='right' style='color:#ffd166; padding-right:10px'><code>{html.escape(k)}</code></td>"
        f"<td>{html.escape(t)}</td></tr>" for k, t in rows)
    return f"<b style='color:#8fb8ff'>{html.escape(title)}</b><table cellspacing='0'>{cells}</table>"


class ShortcutOverlay(QFrame):
    """A panel over the window listing every shortcut (toggle with ``?``, hide with Esc)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutOverlay")
        self.setVisible(False)
        self._entries: list[tuple[str, str, str]] = []
        self.title = QLabel("<b>Keyboard shortcuts</b> — press ? or Esc to close", self)
        self.blocks: list[QLabel] = []

    def set_entries(self, entries: list[tuple[str, str, str]]) -> None:
        """``(group, shortcut, what it does)`` rows, shown in blocks by group."""
        self._entries = list(entries)
        if self.isVisible():
            self._fit(self.parentWidget().size())

    def toggle(self) -> None:
        """Show over the parent (laid out for its size), or hide."""
        if self.isVisible():
            self.hide()
            return
        self._fit(self.parentWidget().size())
        self.raise_()
        self.show()

    def _groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for group, keys, text in self._entries:
            groups.setdefault(group, []).append((keys, text))
        return list(groups.items())

    def _make_blocks(self, point_size: float, max_rows: int) -> None:
        for label in self.blocks:
            label.deleteLater()
        self.blocks = []
        font = QFont(self.parentWidget().font())
        font.setPointSizeF(point_size)
        self.title.setFont(font)
        for group, rows in self._groups():
            for start in range(0, len(rows), max(1, max_rows)):
                title = group if start == 0 else f"{group} (cont.)"
                label = QLabel(_block_html(title, rows[start:start + max(1, max_rows)]), self)
                label.setFont(font)
                label.show()
                self.blocks.append(label)

    def _columns(self, height: int) -> list[list[QLabel]]:
        """The blocks stacked into columns no taller than ``height`` pixels."""
        columns: list[list[QLabel]] = [[]]
        used = 0
        for label in self.blocks:
            h = label.sizeHint().height()
            if columns[-1] and used + h > height:
                columns.append([])
                used = 0
            columns[-1].append(label)
            used += h + _GAP // 2
        return columns

    def _fit(self, space) -> None:
        """Lay the blocks out within ``space`` (the parent's size), smaller text until they fit."""
        point = float(self.parentWidget().font().pointSizeF() or 10.0)
        while True:
            line = max(1, self.title.fontMetrics().lineSpacing())
            avail_h = space.height() - 2 * _MARGIN - self.title.sizeHint().height() - 8
            self._make_blocks(point, max(3, avail_h // line - 2))
            columns = self._columns(avail_h)
            widths = [max(b.sizeHint().width() for b in col) for col in columns]
            heights = [sum(b.sizeHint().height() + _GAP // 2 for b in col) for col in columns]
            width = sum(widths) + _GAP * (len(widths) - 1) + 2 * _MARGIN
            fits = width <= space.width() and max(heights) <= avail_h
            if fits or point <= _MIN_PT:
                break
            point = max(_MIN_PT, point - 0.5)
        self._place(columns, widths, heights, space)

    def _place(self, columns, widths, heights, space) -> None:
        title_h = self.title.sizeHint().height()
        self.title.setGeometry(QRect(_MARGIN, _MARGIN, self.title.sizeHint().width(), title_h))
        x = _MARGIN
        for col, width in zip(columns, widths, strict=True):
            y = _MARGIN + title_h + 8
            for label in col:
                hint = label.sizeHint()
                label.setGeometry(QRect(x, y, max(width, hint.width()), hint.height()))
                y += hint.height() + _GAP // 2
            x += width + _GAP
        total_w = max(x - _GAP + _MARGIN, self.title.sizeHint().width() + 2 * _MARGIN)
        total_h = _MARGIN + title_h + 8 + max(heights) + _MARGIN
        w, h = min(total_w, space.width()), min(total_h, space.height())
        self.setGeometry(max(0, (space.width() - w) // 2), max(0, (space.height() - h) // 2), w, h)
