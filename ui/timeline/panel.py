"""TimelinePanel: the timeline with a horizontal scroll bar under it (milliseconds of shared time)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QVBoxLayout, QWidget

from ui.clock import PlaybackClock
from ui.timeline.widget import TimelineWidget

__all__ = ["TimelinePanel"]


class TimelinePanel(QWidget):
    """The timeline with a horizontal scroll bar under it."""

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = TimelineWidget(clock, self)
        self._bar = QScrollBar(Qt.Orientation.Horizontal, self)
        self._bar.valueChanged.connect(self._on_scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.timeline, 1)
        row = QHBoxLayout()
        row.addWidget(self._bar)
        layout.addLayout(row)
        self._syncing = False
        self.timeline.viewChanged.connect(self._sync_bar)

    def _sync_bar(self) -> None:
        start, end = self.timeline.span()
        t0, t1 = self.timeline.visible_range
        ms = 1000.0
        self._syncing = True
        self._bar.setRange(round(min(start, t0) * ms), round(max(end - (t1 - t0), t0) * ms))
        self._bar.setPageStep(max(1, round((t1 - t0) * ms)))
        self._bar.setValue(round(t0 * ms))
        self._syncing = False

    def _on_scroll(self, value: int) -> None:
        if not self._syncing:
            self.timeline.set_view(value / 1000.0, self.timeline.pixels_per_second)
