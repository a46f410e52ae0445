"""Suggested placements on the timeline: dashed "unverified" bars, and the track's menu (issue 19).

:mod:`ui.suggest` says what is suggested; the window's suggestion controller
hands the timeline ``{name: (clock, text)}`` (:meth:`SuggestionsMixin.set_suggestions`).
A placed source that is only suggested (device clocks only) keeps its bar,
drawn dashed with the text; a source not placed gets a dashed outline where
the suggestion (a refused audio candidate) would put it. A right click on a
track asks for its menu (``trackMenuRequested(name, global position)``).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QPainter, QPen

from timesync.clock import ClockMap

__all__ = ["SuggestionsMixin", "paint_suggestion", "SUGGESTION_COLOR"]

#: The colour of a suggestion's dashed outline and text.
SUGGESTION_COLOR = QColor(240, 200, 90)


def paint_suggestion(painter: QPainter, rect: QRectF, text: str, *, placed: bool) -> None:
    """A dashed outline over ``rect`` with ``text`` inside; a ``placed`` bar is darkened under it."""
    if placed:
        painter.fillRect(rect, QColor(0, 0, 0, 110))
    else:
        painter.fillRect(rect, QColor(240, 200, 90, 28))
    pen = QPen(SUGGESTION_COLOR, 1.5, Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawRect(rect.adjusted(1, 1, -1, -1))
    inner = rect.adjusted(6, 2, -4, -2)
    if inner.width() > 20:
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, round(inner.width())))


class SuggestionsMixin:
    """The suggestion part of :class:`~ui.timeline.widget.TimelineWidget`."""

    def _init_suggestions(self) -> None:
        self._suggested: dict[str, tuple[ClockMap, str]] = {}

    def set_suggestions(self, suggested: dict[str, tuple[ClockMap, str]]) -> None:
        """The suggested placements to draw dashed, by source name: ``(clock, text)``."""
        self._suggested = dict(suggested)
        self._invalidate()

    @property
    def suggested(self) -> dict[str, tuple[ClockMap, str]]:
        """The suggestions drawn, by source name."""
        return dict(self._suggested)

    def suggestion_rect(self, name: str) -> QRectF | None:
        """Widget rectangle of the dashed bar of ``name``'s suggestion (``None``: none drawn)."""
        from ui.timeline.tracks import bar_rect

        if name not in self._suggested:
            return None
        for row, track in enumerate(self._tracks):
            if track.spec.name == name:
                return bar_rect(self.axis, row, track, self._suggested[name][0])
        return None

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        hit = self._hit_track(event.pos())
        if hit is None:
            return
        name = hit[1].spec.name
        self.select_source(name)
        self.trackSelected.emit(name)
        self.trackMenuRequested.emit(name, event.globalPos())
