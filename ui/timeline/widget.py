"""TimelineWidget: the timeline canvas; its data, view and paint order (see :mod:`ui.timeline`)."""

from __future__ import annotations

import datetime as _dt

import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from timesync.clock import ClockMap
from ui.clock import PlaybackClock
from ui.spec import SourceSpec
from ui.timeline import lanes
from ui.timeline.axis import EVENTS_H, HEADER_W, RULER_H, TRACK_H, TimeAxis, manual_clock, track_row
from ui.timeline.items import ShotMarker, TimelineEvent, Track
from ui.timeline.mouse import MouseMixin
from ui.timeline.suggestions import SuggestionsMixin
from ui.timeline.thumbnails import ThumbnailsMixin
from ui.timeline.tracks import TrackPaint, bar_rect, header_lines, paint_track

__all__ = ["TimelineWidget"]


class TimelineWidget(MouseMixin, ThumbnailsMixin, SuggestionsMixin, QWidget):
    """The timeline canvas (see :mod:`ui.timeline`).

    The view is a :class:`~ui.timeline.axis.TimeAxis` (:attr:`axis`); lanes are
    painted by :mod:`ui.timeline.lanes` and :mod:`ui.timeline.tracks` into a
    cached pixmap (redrawn when data or view change; the playhead is drawn
    over it on every paint); the mouse and keys are :mod:`ui.timeline.mouse`.

    Signals
    -------
    seekRequested(float)
        Shared seconds the user clicked or dragged the playhead to.
    clockEdited(str, object)
        A source name and its new ``ClockMap`` (method "manual") after a drag or nudge.
    roughPlaced(str, object)
        A source that was not placed, and the ``ClockMap`` (method "manual, rough",
        wide uncertainty) its empty track was dragged to (:mod:`ui.timeline.rough`).
    eventClicked(str)
        The id of the event the user clicked.
    shotClicked(str)
        The id of the shot candidate the user clicked.
    trackSelected(str)
        The source whose track the user clicked.
    viewChanged()
        The visible range changed (zoom or scroll).
    trackMenuRequested(str, object)
        A right click on a source's track, and the global position (a ``QPoint``) for its menu.
    """

    seekRequested = Signal(float)
    clockEdited = Signal(str, object)
    roughPlaced = Signal(str, object)
    eventClicked = Signal(str)
    shotClicked = Signal(str)
    trackSelected = Signal(str)
    viewChanged = Signal()
    trackMenuRequested = Signal(str, object)

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._clock = clock
        self._tracks: list[Track] = []
        self._events: list[TimelineEvent] = []
        self._shots: list[ShotMarker] = []
        self._selected_shot: str | None = None
        self._selected_event: str | None = None
        self._selected: str | None = None
        self._axis = TimeAxis()
        self._fitted = False
        self._wall: tuple[_dt.datetime, str] | None = None
        self._drag: dict | None = None
        self._cache: QPixmap | None = None
        #: ``frame_times(name)``: a source's frame start times (local s), or ``None``; set by the window
        self.frame_times = lambda _name: None
        self._init_thumbnails()
        self._init_suggestions()
        clock.timeChanged.connect(self._on_time)
        clock.rangeChanged.connect(lambda *_: self._invalidate())

    # -- data -----------------------------------------------------------------
    def set_sources(self, specs: list[SourceSpec], extents: dict[str, tuple[float, float, float]]) -> None:
        """Tracks for ``specs``; ``extents[name] = (start_local_s, end_local_s, frame_s)``.

        Sources without a clock map are listed but draw no bar. Waveforms
        already computed for the same file are kept.
        """
        old = {(t.spec.name, str(t.spec.path)): t for t in self._tracks}
        tracks = []
        for spec in specs:
            start, end, frame_s = extents.get(spec.name, (0.0, 0.0, 1 / 30))
            previous = old.get((spec.name, str(spec.path)))
            track = Track(spec, start, end, frame_s)
            if previous is not None:
                track.envelope, track.envelope_hz = previous.envelope, previous.envelope_hz
                track.index = previous.index
            tracks.append(track)
        self._tracks = tracks
        self._open_thumbnail_sources()
        self.setMinimumHeight(RULER_H + EVENTS_H + TRACK_H * max(1, len(tracks)) + 4)
        if not self._fitted and self.span()[1] > self.span()[0]:
            self.fit()
        self._invalidate()

    def set_envelope(self, name: str, envelope: np.ndarray, rate_hz: float) -> None:
        """The audio envelope (peak per sample, 0..1) of a source, ``rate_hz`` values per local second."""
        for track in self._tracks:
            if track.spec.name == name:
                track.envelope, track.envelope_hz = np.asarray(envelope, dtype=np.float32), float(rate_hz)
        self._invalidate()

    def set_events(self, events: list[TimelineEvent]) -> None:
        """The annotations to draw."""
        self._events = sorted(events, key=lambda e: (e.shared_s, e.id))
        self._invalidate()

    def set_shot_candidates(self, markers: list[ShotMarker]) -> None:
        """Shot candidates to draw as hollow dashed triangles (an empty list removes them)."""
        self._shots = sorted(markers, key=lambda m: (m.shared_s, m.id))
        self._invalidate()

    @property
    def shot_candidates(self) -> list[ShotMarker]:
        """The shot candidates drawn, in time order."""
        return list(self._shots)

    def set_selected_shot(self, shot_id: str | None) -> None:
        """Highlight one shot candidate."""
        self._selected_shot = shot_id
        self._invalidate()

    def set_selected_event(self, event_id: str | None) -> None:
        """Highlight one event."""
        self._selected_event = event_id
        self._invalidate()

    def set_wall_clock(self, wall_at_zero: _dt.datetime | None, label: str = "") -> None:
        """Wall-clock reading at shared 0 (adds the wall-clock ruler row), or ``None``."""
        self._wall = None if wall_at_zero is None else (wall_at_zero, label)
        self._invalidate()

    @property
    def selected_source(self) -> str | None:
        """Name of the selected track (the one nudged by keys)."""
        return self._selected

    def select_source(self, name: str | None) -> None:
        """Select a track."""
        self._selected = name
        self._invalidate()

    def _track(self, name: str | None) -> Track | None:
        return next((t for t in self._tracks if t.spec.name == name), None)

    def _clock_of(self, track: Track) -> ClockMap | None:
        """The track's clock (the dragged preview while it is being dragged)."""
        if self._drag and self._drag.get("name") == track.spec.name and self._drag.get("moved"):
            return self._drag["preview"]
        return track.spec.clock

    # -- view -----------------------------------------------------------------
    @property
    def axis(self) -> TimeAxis:
        """The time axis, at the widget's current width."""
        self._axis.width = self.width()
        return self._axis

    def span(self) -> tuple[float, float]:
        """Shared seconds covered by every placed track (and every event)."""
        starts, ends = [], []
        for track in self._tracks:
            clock = track.spec.clock
            if clock is not None and track.end_local > track.start_local:
                starts.append(clock.to_shared(track.start_local))
                ends.append(clock.to_shared(track.end_local))
        for event in self._events:
            starts.append(event.shared_s)
            ends.append(event.end_s if event.end_s is not None else event.shared_s)
        if not starts:
            return 0.0, 0.0
        return min(starts), max(ends)

    @property
    def pixels_per_second(self) -> float:
        """Current zoom."""
        return self._axis.pps

    @property
    def visible_range(self) -> tuple[float, float]:
        """Shared seconds at the left and right edges of the track area."""
        return self.axis.visible_range

    def fit(self) -> None:
        """Zoom to the whole incident."""
        if self.axis.fit(*self.span()):
            self._fitted = True
            self._view_changed()

    def set_view(self, t0: float, pixels_per_second: float) -> None:
        """Show from ``t0`` shared seconds at ``pixels_per_second``."""
        axis = self.axis
        axis.set_view(t0, pixels_per_second, axis.min_pps(self.span()))
        self._view_changed()

    def zoom_at(self, factor: float, x: float | None = None) -> None:
        """Zoom by ``factor`` keeping the time under pixel ``x`` (default: the playhead) fixed."""
        axis = self.axis
        anchor_t = axis.time_at(x) if x is not None else self._clock.time
        anchor_x = x if x is not None else axis.x_of(anchor_t)
        axis.zoom_at(factor, anchor_t, anchor_x, axis.min_pps(self.span()))
        self._view_changed()

    def x_of(self, shared_s: float) -> float:
        """Widget x of shared time ``shared_s``."""
        return self._axis.x_of(shared_s)

    def time_at(self, x: float) -> float:
        """Shared time at widget x."""
        return self._axis.time_at(x)

    def track_rect(self, name: str) -> QRectF | None:
        """Widget rectangle of a source's bar (``None`` if it has no bar)."""
        for i, track in enumerate(self._tracks):
            if track.spec.name == name:
                return self._bar_rect(i, track)
        return None

    def _bar_rect(self, row: int, track: Track) -> QRectF | None:
        return bar_rect(self.axis, row, track, self._clock_of(track))

    def _view_changed(self) -> None:
        self._invalidate()
        self.viewChanged.emit()

    # -- nudges ---------------------------------------------------------------
    def nudge(self, name: str, seconds: float) -> None:
        """Move a source's offset by ``seconds`` (emits ``clockEdited`` with method "manual")."""
        track = self._track(name)
        if track is None or track.spec.clock is None:
            return
        self.clockEdited.emit(name, manual_clock(track.spec.clock, seconds, track.frame_s))

    def nudge_selected_frames(self, frames: int) -> None:
        """Nudge the selected track by whole frames of that source."""
        track = self._track(self._selected)
        if track is not None:
            self.nudge(track.spec.name, frames * track.frame_s)

    def nudge_selected_ms(self, milliseconds: int) -> None:
        """Nudge the selected track by whole milliseconds."""
        if self._selected is not None:
            self.nudge(self._selected, milliseconds * 1e-3)

    # -- painting -------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache = None
        self.update()

    def _on_time(self, t: float) -> None:
        if self._clock.playing and self.axis.follow(t, self._clock.rate > 0):
            self._view_changed()
        self.update()

    def event(self, event: QEvent) -> bool:  # noqa: D102 - the names column's full texts as tooltips
        if event.type() == QEvent.Type.ToolTip and event.pos().x() < HEADER_W:
            text = self.header_tooltip(event.pos().y())
            QToolTip.showText(event.globalPos(), text, self) if text else QToolTip.hideText()
            return True
        return super().event(event)

    def header_tooltip(self, y: float) -> str:
        """The whole text of the names column at widget ``y`` (a track's two lines, the wall-clock row's name)."""
        row = track_row(y, len(self._tracks))
        if row is not None:
            return "\n".join(header_lines(self._tracks[row]))
        if self._wall is not None and RULER_H / 2 <= y < RULER_H:
            return lanes.wall_label(self._wall)
        return ""

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if not self._fitted or self.axis.pps < self.axis.min_pps(self.span()):
            self.fit()
        self._invalidate()

    def paintEvent(self, _event) -> None:  # noqa: N802
        if self._cache is None or self._cache.size() != self.size():
            self._cache = self._render_static()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._cache)
        lanes.paint_playhead(painter, self.axis, self.height(), self._clock.time)
        painter.end()

    def _render_static(self) -> QPixmap:
        """Everything but the playhead: ruler, events lane, each track, the events' lines."""
        axis = self.axis
        pixmap = QPixmap(self.size())
        pixmap.fill(QColor(30, 31, 34))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        lanes.paint_ruler(painter, axis, self._wall)
        lanes.paint_events_lane(painter, axis, self._events, self._selected_event, self._shots, self._selected_shot)
        self._drawn_thumbs = []
        slots = self.thumbnail_slots()
        for i, track in enumerate(self._tracks):
            paint = TrackPaint(axis, self._clock_of(track), track.spec.name == self._selected,
                               [s for s in slots if s[0] == track.spec.name], self._thumbs, self.frame_times,
                               self._drawn_thumbs, self._suggested.get(track.spec.name))
            paint_track(painter, i, track, paint)
        lanes.paint_event_lines(painter, axis, self.height(), self._events)
        self._request_thumbnails(slots)
        painter.end()
        return pixmap
