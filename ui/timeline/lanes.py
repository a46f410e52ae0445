"""Painters of the timeline's lanes across the whole width: the ruler, the events lane
(events and shot candidates), the events' lines over the tracks, the playhead.

Each painter is a function of a ``QPainter``, the :class:`~ui.timeline.axis.TimeAxis`
and the data it draws; none keeps state. The source tracks are painted by
:mod:`ui.timeline.tracks`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from timesync.project.vocabulary import event_type as registered_type
from timesync.timeutil import format_hms
from ui.spec import format_datetime_ms
from ui.timeline.axis import EVENTS_H, HEADER_W, RULER_H, TimeAxis, nice_step
from ui.timeline.items import ShotMarker, TimelineEvent

__all__ = ["event_colour", "SHOT_MARKER_COLOURS", "paint_ruler", "paint_events_lane",
           "paint_event_lines", "paint_playhead"]

#: Outline of a shot candidate by decision: undecided orange, accepted green, rejected grey.
SHOT_MARKER_COLOURS = {None: QColor(255, 152, 0), True: QColor(76, 175, 80), False: QColor(140, 140, 140)}


def event_colour(event_type: str) -> QColor:
    """The colour of an event type: its registered RGB (:data:`timesync.project.vocabulary.EVENT_TYPES`),
    else a stable colour made from its name (a project's own type)."""
    entry = registered_type(event_type)
    if entry is not None:
        return QColor(*entry.colour)
    hue = int(hashlib.sha256(event_type.encode()).hexdigest()[:4], 16) % 360
    return QColor.fromHsv(hue, 160, 230)


def paint_ruler(painter: QPainter, axis: TimeAxis, wall: tuple[_dt.datetime, str] | None) -> None:
    """Shared-time ticks and labels (a 1-2-5 step at least 80 px apart, minor ticks at a fifth);
    a second row of wall-clock readings when ``wall`` (reading at shared 0, label) is known."""
    painter.fillRect(0, 0, round(axis.width), RULER_H, QColor(40, 42, 46))
    step = nice_step(80 / axis.pps)
    painter.setPen(QColor(90, 92, 98))
    for t in axis.ticks(step / 5):
        x = axis.x_of(t)
        if x >= HEADER_W:
            painter.drawLine(QPointF(x, RULER_H - 4), QPointF(x, RULER_H))
    decimals = 0 if step >= 1 else (1 if step >= 0.1 else (2 if step >= 0.01 else 3))
    for t in axis.ticks(step):
        x = axis.x_of(t)
        if x >= HEADER_W:
            painter.setPen(QColor(140, 142, 150))
            painter.drawLine(QPointF(x, RULER_H - 10), QPointF(x, RULER_H))
            painter.setPen(QColor(210, 210, 215))
            painter.drawText(QPointF(x + 3, 13), format_hms(t, decimals))
            if wall is not None:
                reading = wall[0] + _dt.timedelta(seconds=t)
                painter.setPen(QColor(150, 200, 150))
                text = format_datetime_ms(reading, date=False)
                painter.drawText(QPointF(x + 3, 26), text[: len(text) - 3 + decimals] if decimals else text[:-4])
    painter.setPen(QColor(170, 170, 175))
    painter.drawText(QPointF(6, 13), "shared")
    if wall is not None:
        painter.setPen(QColor(150, 200, 150))
        painter.drawText(QPointF(6, 26), painter.fontMetrics().elidedText(wall_label(wall), Qt.TextElideMode.ElideMiddle,
                                                                          HEADER_W - 10))


def wall_label(wall: tuple) -> str:
    """The wall-clock ruler row's name, whole (``wall`` as ``TimelineWidget.set_wall_clock`` keeps it)."""
    return f"wall ({wall[1]})" if wall[1] else "wall clock"


def paint_events_lane(painter: QPainter, axis: TimeAxis, events: list[TimelineEvent], selected_event: str | None,
                      shots: list[ShotMarker], selected_shot: str | None) -> None:
    """Events as filled triangles (intervals with a band to their end), coloured by type; then the shot candidates."""
    y = RULER_H
    width = axis.width
    painter.fillRect(0, y, round(width), EVENTS_H, QColor(36, 37, 40))
    painter.setPen(QColor(170, 170, 175))
    painter.drawText(QPointF(6, y + 15), "events")
    painter.setClipRect(HEADER_W, y, round(width) - HEADER_W, EVENTS_H)
    for event in events:
        colour = event_colour(event.type)
        x = axis.x_of(event.shared_s)
        if event.end_s is not None:
            x1 = max(axis.x_of(event.end_s), x + 2)
            fill = QColor(colour)
            fill.setAlpha(110)
            painter.fillRect(QRectF(x, y + 4, x1 - x, EVENTS_H - 8), fill)
        path = _triangle(x, y + EVENTS_H - 3, y + 3, 5)
        painter.fillPath(path, colour)
        if event.id == selected_event:
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.drawPath(path)
    _paint_shot_markers(painter, axis, y, shots, selected_shot)
    painter.setClipping(False)


def _triangle(x: float, tip_y: float, base_y: float, half_w: float) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(x, tip_y)
    path.lineTo(x - half_w, base_y)
    path.lineTo(x + half_w, base_y)
    path.closeSubpath()
    return path


def _paint_shot_markers(painter: QPainter, axis: TimeAxis, y: float, shots: list[ShotMarker],
                        selected_shot: str | None) -> None:
    """Candidates: hollow triangles (dashed while undecided), coloured by decision."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for marker in shots:
        path = _triangle(axis.x_of(marker.shared_s), y + EVENTS_H - 2, y + 2, 6)
        selected = marker.id == selected_shot
        colour = QColor(255, 255, 255) if selected else SHOT_MARKER_COLOURS[marker.accepted]
        style = Qt.PenStyle.DashLine if marker.accepted is None else Qt.PenStyle.SolidLine
        painter.setPen(QPen(colour, 2.0 if selected else 1.5, style))
        painter.drawPath(path)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def paint_event_lines(painter: QPainter, axis: TimeAxis, height: int, events: list[TimelineEvent]) -> None:
    """A dashed line down the tracks at each event, in its type's colour."""
    top = RULER_H + EVENTS_H
    painter.setClipRect(HEADER_W, top, round(axis.width) - HEADER_W, height - top)
    for event in events:
        colour = event_colour(event.type)
        colour.setAlpha(120)
        painter.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
        x = axis.x_of(event.shared_s)
        painter.drawLine(QPointF(x, top), QPointF(x, height))
    painter.setClipping(False)


def paint_playhead(painter: QPainter, axis: TimeAxis, height: int, t: float) -> None:
    """The red playhead at shared ``t`` (nothing when it is off the track area)."""
    x = axis.x_of(t)
    if x < HEADER_W or x > axis.width:
        return
    painter.setPen(QPen(QColor(255, 70, 70), 1.5))
    painter.drawLine(QPointF(x, 0), QPointF(x, height))
    painter.fillRect(QRectF(x - 5, 0, 10, 6), QColor(255, 70, 70))
