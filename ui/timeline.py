"""The timeline: one track per source placed by its ClockMap, on the shared clock.

Layout, top to bottom: the ruler (shared time; a second row in wall-clock time
when a burned-in clock is known), the events lane (points and intervals,
coloured by type), then one track per source with its audio envelope.

Once zoomed in so that a thumbnail (:data:`THUMB_W` px) fits every
:data:`THUMB_MAX_SLOT_S` seconds or less, each video track shows small frame
thumbnails: the ruler is cut into slots of a 1-2-5 step at least
``THUMB_W`` px wide, and the slot starting at shared ``t`` shows the frame
``FrameIndex.frame_at_shared(clock, t)`` names. Thumbnails come from a
:class:`~ui.thumbnails.ThumbnailLoader` (off the GUI thread), are cached per
(source, frame number) and asked for lazily, only for the visible slots.

Mouse: click or drag on the ruler, the events lane or an empty place seeks;
drag a track sideways to move its offset (a manual correction, committed on
release through ``clockEdited``); click an event to select it. Wheel scrolls,
ctrl+wheel zooms about the cursor from the whole incident down to single frames.
Keys (when the timeline has focus, and from the main window's menus):
alt+left/right nudges the selected track by one frame, alt+shift+left/right
by one millisecond.

A hand-placed source gets method "manual" and an honest one-sigma uncertainty:
a placement judged by eye is good to about a frame of that source, so
``sigma = frame_s / sqrt(12)`` (a uniform error over one frame), combined in
quadrature with the same for one screen pixel when dragged. The aligner's
(often far smaller) uncertainty no longer describes a moved source.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QSizePolicy, QVBoxLayout, QWidget

from timesync.clock import ClockMap
from timesync.timeutil import format_hms
from ui.clock import PlaybackClock
from ui.spec import SourceSpec, format_datetime_ms, format_uncertainty

__all__ = ["TimelineWidget", "TimelinePanel", "TimelineEvent", "ShotMarker", "event_colour", "nice_step",
           "SHOT_MARKER_COLOURS"]

HEADER_W = 170
RULER_H = 34
EVENTS_H = 22
TRACK_H = 46
MAX_PPS = 20000.0  # pixels per second at the deepest zoom (one 30 fps frame = 667 px)
THUMB_W = 64  # pixels: the narrowest thumbnail slot
THUMB_MAX_SLOT_S = 10.0  # thumbnails once a slot is this many seconds or less
THUMB_CACHE_MAX = 4000  # thumbnails kept (about 9 kB each at 64x48)

EVENT_COLOURS = {
    "shot fired": QColor(235, 64, 52),
    "verbal command": QColor(66, 165, 245),
    "warning": QColor(255, 193, 7),
    "use of force": QColor(255, 112, 67),
    "subject movement": QColor(102, 187, 106),
    "person down": QColor(171, 71, 188),
    "vehicle": QColor(38, 198, 218),
    "other": QColor(189, 189, 189),
}


#: Outline of a shot candidate by decision: undecided orange, accepted green, rejected grey.
SHOT_MARKER_COLOURS = {None: QColor(255, 152, 0), True: QColor(76, 175, 80), False: QColor(140, 140, 140)}


def event_colour(event_type: str) -> QColor:
    """The colour of an event type (a stable colour for types outside the defaults)."""
    colour = EVENT_COLOURS.get(event_type)
    if colour is not None:
        return QColor(colour)
    hue = int(hashlib.sha256(event_type.encode()).hexdigest()[:4], 16) % 360
    return QColor.fromHsv(hue, 160, 230)


def nice_step(min_seconds: float) -> float:
    """The smallest 1-2-5 step (seconds, or 1/2/5/10/15/30 s, min, h) that is ``>= min_seconds``."""
    for step in (1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if step >= min_seconds:
            return float(step)
    return 3600.0 * math.ceil(min_seconds / 3600.0)


@dataclass(frozen=True)
class TimelineEvent:
    """An annotation as the timeline draws it (shared seconds)."""

    id: str
    type: str
    shared_s: float
    end_s: float | None = None


@dataclass(frozen=True)
class ShotMarker:
    """A detected shot candidate (not an event yet): hollow triangle in the events lane."""

    id: str
    shared_s: float
    accepted: bool | None = None


@dataclass
class _Track:
    spec: SourceSpec
    start_local: float
    end_local: float
    frame_s: float
    envelope: np.ndarray | None = None
    envelope_hz: float = 0.0
    index: object | None = None  # FrameIndex, once the thumbnail loader opened the source


class TimelineWidget(QWidget):
    """The timeline canvas (see the module docstring).

    Signals
    -------
    seekRequested(float)
        Shared seconds the user clicked or dragged the playhead to.
    clockEdited(str, object)
        A source name and its new ``ClockMap`` (method "manual") after a drag or nudge.
    eventClicked(str)
        The id of the event the user clicked.
    shotClicked(str)
        The id of the shot candidate the user clicked.
    trackSelected(str)
        The source whose track the user clicked.
    viewChanged()
        The visible range changed (zoom or scroll).
    """

    seekRequested = Signal(float)
    clockEdited = Signal(str, object)
    eventClicked = Signal(str)
    shotClicked = Signal(str)
    trackSelected = Signal(str)
    viewChanged = Signal()

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._clock = clock
        self._tracks: list[_Track] = []
        self._events: list[TimelineEvent] = []
        self._shots: list[ShotMarker] = []
        self._selected_shot: str | None = None
        self._selected_event: str | None = None
        self._selected: str | None = None
        self._t0 = 0.0  # shared seconds at the left edge of the track area
        self._pps = 10.0  # pixels per second
        self._fitted = False
        self._wall: tuple[_dt.datetime, str] | None = None
        self._drag: dict | None = None
        self._cache: QPixmap | None = None
        #: ``frame_times(name)``: a source's frame start times (local s), or ``None``; set by the window
        self.frame_times = lambda _name: None
        self._thumbs: dict[tuple[str, int], QImage] = {}
        self._drawn_thumbs: list[tuple[str, float, int]] = []
        self._loader = None
        self._opened: dict[str, str] = {}  # name -> path given to the loader
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
            track = _Track(spec, start, end, frame_s)
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

    # -- thumbnails -----------------------------------------------------------
    def set_thumbnail_loader(self, loader) -> None:
        """Use ``loader`` (a :class:`ui.thumbnails.ThumbnailLoader`) for track thumbnails."""
        self._loader = loader
        loader.indexReady.connect(self._on_thumb_index)
        loader.thumbnailReady.connect(self._on_thumbnail)
        self._opened = {}
        self._open_thumbnail_sources()

    def thumbnail_count(self) -> int:
        """Thumbnails in the cache."""
        return len(self._thumbs)

    def thumbnail(self, name: str, number: int) -> QImage | None:
        """The cached thumbnail of frame ``number`` of source ``name`` (``None`` if not loaded)."""
        return self._thumbs.get((name, number))

    def drawn_thumbnails(self) -> list[tuple[str, float, int]]:
        """``(source, slot start shared s, frame number)`` of every thumbnail drawn by the last paint."""
        return list(self._drawn_thumbs)

    def thumbnail_slots(self) -> list[tuple[str, float, float, int]]:
        """Visible thumbnail slots: ``(source, slot start shared s, slot x, frame number)``.

        Empty unless zoomed in so that a slot is :data:`THUMB_MAX_SLOT_S` or
        less. Only video sources whose frame index is open, and only slots
        whose start falls inside the recording (``frame_at_shared`` names a frame).
        """
        step = nice_step(THUMB_W / self._pps)
        if step > THUMB_MAX_SLOT_S:
            return []
        t0, t1 = self.visible_range
        first = math.floor(t0 / step)
        last = math.ceil(t1 / step)
        slots = []
        for track in self._tracks:
            clock = self._clock_of(track)
            if track.index is None or clock is None:
                continue
            for k in range(first, last + 1):
                t = k * step
                ref = track.index.frame_at_shared(clock, t)
                if ref is not None:
                    slots.append((track.spec.name, t, self.x_of(t), int(ref.number)))
        return slots

    def _open_thumbnail_sources(self) -> None:
        if self._loader is None:
            return
        for track in self._tracks:
            spec = track.spec
            video = (spec.extra.get("probe") or {}).get("video")
            if not video or spec.hash_status == "missing" or self._opened.get(spec.name) == str(spec.path):
                continue
            if not spec.path.is_file():
                continue
            self._opened[spec.name] = str(spec.path)
            for key in [k for k in self._thumbs if k[0] == spec.name]:
                del self._thumbs[key]
            self._loader.open(spec.name, spec.path, spec.sha256)

    def _on_thumb_index(self, name: str, index) -> None:
        track = self._track(name)
        if track is not None:
            track.index = index
            self._invalidate()

    def _on_thumbnail(self, name: str, number: int, image: QImage) -> None:
        if len(self._thumbs) >= THUMB_CACHE_MAX:
            for key in list(self._thumbs)[: THUMB_CACHE_MAX // 4]:  # the oldest quarter
                del self._thumbs[key]
        self._thumbs[(name, number)] = image
        self._invalidate()

    def _clock_of(self, track: _Track) -> ClockMap | None:
        """The track's clock (the dragged preview while it is being dragged)."""
        if self._drag and self._drag.get("name") == track.spec.name and self._drag.get("moved"):
            return self._drag["preview"]
        return track.spec.clock

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

    # -- view -----------------------------------------------------------------
    @property
    def selected_source(self) -> str | None:
        """Name of the selected track (the one nudged by keys)."""
        return self._selected

    def select_source(self, name: str | None) -> None:
        """Select a track."""
        self._selected = name
        self._invalidate()

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
        return self._pps

    @property
    def visible_range(self) -> tuple[float, float]:
        """Shared seconds at the left and right edges of the track area."""
        return self._t0, self._t0 + self._area_width() / self._pps

    def fit(self) -> None:
        """Zoom to the whole incident."""
        start, end = self.span()
        if end <= start:
            return
        margin = (end - start) * 0.02
        self._pps = self._area_width() / (end - start + 2 * margin)
        self._t0 = start - margin
        self._fitted = True
        self._view_changed()

    def set_view(self, t0: float, pixels_per_second: float) -> None:
        """Show from ``t0`` shared seconds at ``pixels_per_second``."""
        lo = self._min_pps()
        self._pps = min(max(pixels_per_second, lo), MAX_PPS)
        self._t0 = t0
        self._view_changed()

    def zoom_at(self, factor: float, x: float | None = None) -> None:
        """Zoom by ``factor`` keeping the time under pixel ``x`` (default: the playhead) fixed."""
        anchor_t = self.time_at(x) if x is not None else self._clock.time
        anchor_x = x if x is not None else self.x_of(anchor_t)
        new_pps = min(max(self._pps * factor, self._min_pps()), MAX_PPS)
        self._pps = new_pps
        self._t0 = anchor_t - (anchor_x - HEADER_W) / new_pps
        self._view_changed()

    def x_of(self, shared_s: float) -> float:
        """Widget x of shared time ``shared_s``."""
        return HEADER_W + (shared_s - self._t0) * self._pps

    def time_at(self, x: float) -> float:
        """Shared time at widget x."""
        return self._t0 + (x - HEADER_W) / self._pps

    def track_rect(self, name: str) -> QRectF | None:
        """Widget rectangle of a source's bar (``None`` if it has no bar)."""
        for i, track in enumerate(self._tracks):
            if track.spec.name == name:
                return self._bar_rect(i, track)
        return None

    def _min_pps(self) -> float:
        start, end = self.span()
        return max(self._area_width() / max(end - start, 1.0) / 4, 1e-4)

    def _area_width(self) -> float:
        return max(self.width() - HEADER_W, 50)

    def _view_changed(self) -> None:
        self._invalidate()
        self.viewChanged.emit()

    # -- nudges ---------------------------------------------------------------
    def nudge(self, name: str, seconds: float) -> None:
        """Move a source's offset by ``seconds`` (emits ``clockEdited`` with method "manual")."""
        track = self._track(name)
        if track is None or track.spec.clock is None:
            return
        self.clockEdited.emit(name, _manual(track.spec.clock, seconds, track.frame_s))

    def nudge_selected_frames(self, frames: int) -> None:
        """Nudge the selected track by whole frames of that source."""
        track = self._track(self._selected)
        if track is not None:
            self.nudge(track.spec.name, frames * track.frame_s)

    def nudge_selected_ms(self, milliseconds: int) -> None:
        """Nudge the selected track by whole milliseconds."""
        if self._selected is not None:
            self.nudge(self._selected, milliseconds * 1e-3)

    def _track(self, name: str | None) -> _Track | None:
        return next((t for t in self._tracks if t.spec.name == name), None)

    # -- painting -------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache = None
        self.update()

    def _on_time(self, t: float) -> None:
        if self._clock.playing:
            t0, t1 = self.visible_range
            if t > t1 or t < t0:  # follow the playhead a page at a time
                self._t0 = t - 0.1 * (t1 - t0) if self._clock.rate > 0 else t - 0.9 * (t1 - t0)
                self._view_changed()
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if not self._fitted or self._pps < self._min_pps():
            self.fit()
        self._invalidate()

    def paintEvent(self, _event) -> None:  # noqa: N802
        if self._cache is None or self._cache.size() != self.size():
            self._cache = self._render_static()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._cache)
        self._paint_playhead(painter)
        painter.end()

    def _render_static(self) -> QPixmap:
        pixmap = QPixmap(self.size())
        pixmap.fill(QColor(30, 31, 34))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._paint_ruler(painter)
        self._paint_events_lane(painter)
        self._drawn_thumbs = []
        slots = self.thumbnail_slots()
        for i, track in enumerate(self._tracks):
            self._paint_track(painter, i, track, [s for s in slots if s[0] == track.spec.name])
        self._paint_event_lines(painter)
        self._request_thumbnails(slots)
        painter.end()
        return pixmap

    def _paint_ruler(self, painter: QPainter) -> None:
        painter.fillRect(0, 0, self.width(), RULER_H, QColor(40, 42, 46))
        t0, t1 = self.visible_range
        step = nice_step(80 / self._pps)
        minor = step / 5
        painter.setPen(QColor(90, 92, 98))
        k = math.floor(t0 / minor)
        while k * minor <= t1:
            x = self.x_of(k * minor)
            if x >= HEADER_W:
                painter.drawLine(QPointF(x, RULER_H - 4), QPointF(x, RULER_H))
            k += 1
        decimals = 0 if step >= 1 else (1 if step >= 0.1 else (2 if step >= 0.01 else 3))
        k = math.floor(t0 / step)
        while k * step <= t1:
            t = k * step
            x = self.x_of(t)
            if x >= HEADER_W:
                painter.setPen(QColor(140, 142, 150))
                painter.drawLine(QPointF(x, RULER_H - 10), QPointF(x, RULER_H))
                painter.setPen(QColor(210, 210, 215))
                painter.drawText(QPointF(x + 3, 13), format_hms(t, decimals))
                if self._wall is not None:
                    wall = self._wall[0] + _dt.timedelta(seconds=t)
                    painter.setPen(QColor(150, 200, 150))
                    text = format_datetime_ms(wall, date=False)
                    painter.drawText(QPointF(x + 3, 26), text[: len(text) - 3 + decimals] if decimals else text[:-4])
            k += 1
        painter.setPen(QColor(170, 170, 175))
        painter.drawText(QPointF(6, 13), "shared")
        if self._wall is not None:
            painter.setPen(QColor(150, 200, 150))
            painter.drawText(QPointF(6, 26), f"wall ({self._wall[1]})" if self._wall[1] else "wall clock")

    def _paint_events_lane(self, painter: QPainter) -> None:
        y = RULER_H
        painter.fillRect(0, y, self.width(), EVENTS_H, QColor(36, 37, 40))
        painter.setPen(QColor(170, 170, 175))
        painter.drawText(QPointF(6, y + 15), "events")
        painter.setClipRect(HEADER_W, y, self.width() - HEADER_W, EVENTS_H)
        for event in self._events:
            colour = event_colour(event.type)
            x = self.x_of(event.shared_s)
            if event.end_s is not None:
                x1 = max(self.x_of(event.end_s), x + 2)
                fill = QColor(colour)
                fill.setAlpha(110)
                painter.fillRect(QRectF(x, y + 4, x1 - x, EVENTS_H - 8), fill)
            path = QPainterPath()
            path.moveTo(x, y + EVENTS_H - 3)
            path.lineTo(x - 5, y + 3)
            path.lineTo(x + 5, y + 3)
            path.closeSubpath()
            painter.fillPath(path, colour)
            if event.id == self._selected_event:
                painter.setPen(QPen(QColor(255, 255, 255), 1.5))
                painter.drawPath(path)
        self._paint_shot_markers(painter, y)
        painter.setClipping(False)

    def _paint_shot_markers(self, painter: QPainter, y: float) -> None:
        """Candidates: hollow triangles (dashed while undecided), coloured by decision."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for marker in self._shots:
            x = self.x_of(marker.shared_s)
            path = QPainterPath()
            path.moveTo(x, y + EVENTS_H - 2)
            path.lineTo(x - 6, y + 2)
            path.lineTo(x + 6, y + 2)
            path.closeSubpath()
            selected = marker.id == self._selected_shot
            colour = QColor(255, 255, 255) if selected else SHOT_MARKER_COLOURS[marker.accepted]
            style = Qt.PenStyle.DashLine if marker.accepted is None else Qt.PenStyle.SolidLine
            painter.setPen(QPen(colour, 2.0 if selected else 1.5, style))
            painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _bar_rect(self, i: int, track: _Track) -> QRectF | None:
        clock = track.spec.clock
        if clock is None or track.end_local <= track.start_local:
            return None
        if self._drag and self._drag.get("name") == track.spec.name and self._drag.get("moved"):
            clock = self._drag["preview"]
        x0, x1 = self.x_of(clock.to_shared(track.start_local)), self.x_of(clock.to_shared(track.end_local))
        y = RULER_H + EVENTS_H + i * TRACK_H
        return QRectF(x0, y + 3, max(x1 - x0, 1.0), TRACK_H - 6)

    def _paint_track(self, painter: QPainter, i: int, track: _Track,
                     slots: list[tuple[str, float, float, int]] | None = None) -> None:
        y = RULER_H + EVENTS_H + i * TRACK_H
        selected = track.spec.name == self._selected
        painter.fillRect(0, y, self.width(), TRACK_H, QColor(44, 46, 50) if selected else QColor(34, 35, 38))
        painter.setPen(QColor(55, 57, 62))
        painter.drawLine(0, y + TRACK_H - 1, self.width(), y + TRACK_H - 1)
        # header: name, method, uncertainty
        painter.setPen(QColor(235, 235, 240))
        painter.drawText(QRectF(6, y + 3, HEADER_W - 10, 18), Qt.AlignmentFlag.AlignLeft, track.spec.label)
        clock = track.spec.clock
        detail = "not aligned" if clock is None else f"{format_uncertainty(clock.uncertainty_s)} {clock.method or '?'}"
        painter.setPen(QColor(255, 180, 80) if clock is not None and clock.method == "manual" else QColor(150, 152, 160))
        painter.drawText(QRectF(6, y + 22, HEADER_W - 10, 18), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(detail, Qt.TextElideMode.ElideRight, HEADER_W - 10))
        rect = self._bar_rect(i, track)
        if rect is None:
            return
        painter.setClipRect(HEADER_W, y, self.width() - HEADER_W, TRACK_H)
        base = QColor(52, 101, 164) if track.spec.hash_status not in ("changed", "missing") else QColor(150, 60, 50)
        if selected:
            base = base.lighter(130)
        painter.fillRect(rect, base)
        self._paint_thumbnails(painter, rect, slots or [])
        self._paint_envelope(painter, track, rect)
        self._paint_frame_ticks(painter, track, rect)
        if selected:
            painter.setPen(QPen(QColor(255, 255, 255), 1))
            painter.drawRect(rect)
        painter.setClipping(False)

    def _paint_thumbnails(self, painter: QPainter, rect: QRectF, slots: list[tuple[str, float, float, int]]) -> None:
        """Each loaded thumbnail at its slot's left edge, fitted to the bar's height (aspect kept)."""
        height = rect.height() - 2
        for name, t, x, number in slots:
            image = self._thumbs.get((name, number))
            if image is None or image.height() <= 0:
                continue
            aspect = image.width() / image.height()
            width = min(THUMB_W - 2, height * aspect)
            h = width / aspect
            target = QRectF(x + 1, rect.top() + 1 + (height - h) / 2, width, h)
            painter.drawImage(target, image)
            self._drawn_thumbs.append((name, t, number))

    def _request_thumbnails(self, slots: list[tuple[str, float, float, int]]) -> None:
        if self._loader is None:
            return
        wanted: dict[str, list[int]] = {t.spec.name: [] for t in self._tracks if t.index is not None}
        for name, _t, _x, number in slots:
            if (name, number) not in self._thumbs:
                wanted[name].append(number)
        for name, numbers in wanted.items():
            self._loader.request(name, numbers)

    def shutdown(self) -> None:
        """Stop the thumbnail loader (the widget can then be dropped)."""
        if self._loader is not None:
            self._loader.stop()

    def _paint_envelope(self, painter: QPainter, track: _Track, rect: QRectF) -> None:
        env = track.envelope
        clock = track.spec.clock
        if env is None or env.size == 0 or clock is None:
            return
        if self._drag and self._drag.get("name") == track.spec.name and self._drag.get("moved"):
            clock = self._drag["preview"]
        x_start = int(max(rect.left(), HEADER_W))
        x_end = int(min(rect.right(), self.width()))
        if x_end <= x_start:
            return
        xs = np.arange(x_start, x_end + 1, dtype=np.float64)
        local = clock.to_local(self.time_at(xs))
        idx = np.clip(np.rint(local * track.envelope_hz).astype(np.int64), 0, env.size)
        lo, hi = idx[:-1], np.maximum(idx[1:], idx[:-1] + 1)
        valid = lo < env.size
        peaks = np.zeros(lo.size, dtype=np.float32)
        if valid.any():
            peaks[valid] = _segment_max(env, lo[valid], np.minimum(hi[valid], env.size))
        mid = rect.center().y()
        half = rect.height() / 2 - 2
        painter.setPen(QColor(170, 205, 245))
        for x, p in zip(xs[:-1], peaks, strict=True):
            if p > 0.002:
                h = float(p) * half
                painter.drawLine(QPointF(x, mid - h), QPointF(x, mid + h))

    def _paint_frame_ticks(self, painter: QPainter, track: _Track, rect: QRectF) -> None:
        """Frame boundaries (from the source's exact frame times) once frames are 6 px or wider."""
        clock = track.spec.clock
        if clock is None or track.frame_s * self._pps < 6:
            return
        times = self.frame_times(track.spec.name)
        if times is None or len(times) == 0:
            return
        t0, t1 = self.visible_range
        lo = int(np.searchsorted(times, clock.to_local(t0), side="right")) - 1
        hi = int(np.searchsorted(times, clock.to_local(t1), side="right"))
        painter.setPen(QColor(20, 30, 45, 170))
        for local in times[max(lo, 0): hi]:
            x = self.x_of(clock.to_shared(float(local)))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 7))
            painter.drawLine(QPointF(x, rect.bottom() - 7), QPointF(x, rect.bottom()))

    def _paint_event_lines(self, painter: QPainter) -> None:
        top = RULER_H + EVENTS_H
        painter.setClipRect(HEADER_W, top, self.width() - HEADER_W, self.height() - top)
        for event in self._events:
            colour = event_colour(event.type)
            colour.setAlpha(120)
            painter.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
            x = self.x_of(event.shared_s)
            painter.drawLine(QPointF(x, top), QPointF(x, self.height()))
        painter.setClipping(False)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.x_of(self._clock.time)
        if x < HEADER_W or x > self.width():
            return
        painter.setPen(QPen(QColor(255, 70, 70), 1.5))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.fillRect(QRectF(x - 5, 0, 10, 6), QColor(255, 70, 70))

    # -- mouse ----------------------------------------------------------------
    def _hit_event(self, pos: QPointF) -> TimelineEvent | None:
        if not (RULER_H <= pos.y() < RULER_H + EVENTS_H):
            return None
        best, best_d = None, 6.0
        for event in self._events:
            d = abs(self.x_of(event.shared_s) - pos.x())
            if event.end_s is not None and self.x_of(event.shared_s) <= pos.x() <= self.x_of(event.end_s):
                d = min(d, 3.0)
            if d <= best_d:
                best, best_d = event, d
        return best

    def _hit_shot(self, pos: QPointF) -> ShotMarker | None:
        if not (RULER_H <= pos.y() < RULER_H + EVENTS_H):
            return None
        best, best_d = None, 6.0
        for marker in self._shots:
            d = abs(self.x_of(marker.shared_s) - pos.x())
            if d <= best_d:
                best, best_d = marker, d
        return best

    def _hit_track(self, pos: QPointF) -> tuple[int, _Track] | None:
        row = math.floor((pos.y() - RULER_H - EVENTS_H) / TRACK_H)
        if 0 <= row < len(self._tracks):
            return row, self._tracks[row]
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        hit = self._hit_event(pos)
        if hit is not None:
            self.set_selected_event(hit.id)
            self.eventClicked.emit(hit.id)
            return
        shot = self._hit_shot(pos)
        if shot is not None:
            self.set_selected_shot(shot.id)
            self.shotClicked.emit(shot.id)
            return
        track_hit = self._hit_track(pos)
        if track_hit is not None:
            row, track = track_hit
            self.select_source(track.spec.name)
            self.trackSelected.emit(track.spec.name)
            rect = self._bar_rect(row, track)
            if pos.x() >= HEADER_W and rect is not None and rect.contains(pos):
                self._drag = {"kind": "track", "name": track.spec.name, "x": pos.x(), "frame_s": track.frame_s,
                              "clock": track.spec.clock, "preview": track.spec.clock, "moved": False}
                return
            if pos.x() < HEADER_W:
                return
        if pos.x() >= HEADER_W:
            self._drag = {"kind": "seek"}
            self.seekRequested.emit(self.time_at(pos.x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag = self._drag
        if drag is None:
            return
        x = event.position().x()
        if drag["kind"] == "seek":
            self.seekRequested.emit(self.time_at(max(x, HEADER_W)))
        elif drag["kind"] == "track":
            dx = x - drag["x"]
            if abs(dx) >= 2 or drag["moved"]:
                clock = drag["clock"]
                drag["moved"] = True
                drag["preview"] = _manual(clock, dx / self._pps, drag["frame_s"], 1.0 / self._pps)
                self._invalidate()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag and drag["kind"] == "track" and drag["moved"]:
            dx = event.position().x() - drag["x"]
            clock = drag["clock"]
            self._invalidate()
            self.clockEdited.emit(drag["name"], _manual(clock, dx / self._pps, drag["frame_s"], 1.0 / self._pps))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0 or event.angleDelta().x() / 120.0
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_at(math.pow(1.25, steps), event.position().x())
        else:
            self._t0 -= steps * 60 / self._pps
            self._view_changed()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        mods = event.modifiers()
        key = event.key()
        if mods & Qt.KeyboardModifier.AltModifier and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            sign = 1 if key == Qt.Key.Key_Right else -1
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.nudge_selected_ms(sign)
            else:
                self.nudge_selected_frames(sign)
            return
        super().keyPressEvent(event)


def _manual(clock: ClockMap, shift_s: float, frame_s: float, pixel_s: float = 0.0) -> ClockMap:
    """``clock`` moved by ``shift_s`` seconds, method "manual", sigma from one frame (and one pixel)."""
    sigma = math.hypot(frame_s, pixel_s) / math.sqrt(12.0)
    return replace(clock.shifted(shift_s), uncertainty_s=sigma, method="manual")


def _segment_max(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Max of ``values[starts[i]:ends[i]]`` for each i (needs ``starts < ends <= values.size``).

    ``np.maximum.reduceat`` over the interleaved bounds ``s0, e0, s1, e1...``:
    its even outputs are exactly the segments ``[s_i, e_i)``.
    """
    if starts.size == 0:
        return np.zeros(0, dtype=np.float32)
    bounds = np.empty(starts.size * 2, dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    padded = np.append(values, np.float32(0))
    return np.maximum.reduceat(padded, bounds)[0::2]


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
