"""The timeline's mouse and keys: hit tests, seeking, dragging a track, wheel zoom and scroll, nudges.

Click or drag on the ruler, the events lane or an empty place seeks; drag a
track sideways to move its offset (a manual correction, previewed while
dragging and committed on release through ``clockEdited``); drag the empty
track of a source not placed to place it roughly (``roughPlaced``,
:mod:`ui.timeline.rough`); click an event or
a shot candidate to select it. Wheel scrolls, ctrl+wheel zooms about the
cursor. Alt+left/right nudges the selected track by one frame,
alt+shift+left/right by one millisecond.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent

from ui.timeline.axis import EVENTS_H, HEADER_W, RULER_H, manual_clock, track_row
from ui.timeline.items import ShotMarker, TimelineEvent, Track
from ui.timeline.rough import ROUGH_METHOD, rough_clock, rough_drag

__all__ = ["MouseMixin"]

_HIT_PX = 6.0  # a click this close to a marker hits it


class MouseMixin:
    """The interaction part of :class:`~ui.timeline.widget.TimelineWidget` (uses its data, axis and signals)."""

    def _hit_event(self, pos: QPointF) -> TimelineEvent | None:
        if not (RULER_H <= pos.y() < RULER_H + EVENTS_H):
            return None
        best, best_d = None, _HIT_PX
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
        best, best_d = None, _HIT_PX
        for marker in self._shots:
            d = abs(self.x_of(marker.shared_s) - pos.x())
            if d <= best_d:
                best, best_d = marker, d
        return best

    def _hit_track(self, pos: QPointF) -> tuple[int, Track] | None:
        row = track_row(pos.y(), len(self._tracks))
        return None if row is None else (row, self._tracks[row])

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
            if track.spec.clock is None:  # not placed: a drag places it roughly, a click seeks
                self._drag = rough_drag(track, pos.x())
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
                drag["moved"] = True
                drag["preview"] = self._dragged_clock(drag, dx)
                self._invalidate()
        elif drag["kind"] == "rough" and (abs(x - drag["x"]) >= 2 or drag["moved"]):
            drag["moved"] = True
            drag["preview"] = rough_clock(drag["track"], self.time_at(max(x, HEADER_W)), 1.0 / self.pixels_per_second)
            self._invalidate()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag and drag["kind"] == "track" and drag["moved"]:
            dx = event.position().x() - drag["x"]
            self._invalidate()
            clock = self._dragged_clock(drag, dx)
            (self.roughPlaced if clock.method == ROUGH_METHOD else self.clockEdited).emit(drag["name"], clock)
        elif drag and drag["kind"] == "rough":
            self._invalidate()
            if drag["moved"]:
                self.roughPlaced.emit(drag["name"], drag["preview"])
            else:
                self.seekRequested.emit(self.time_at(event.position().x()))

    def _dragged_clock(self, drag: dict, dx: float):
        """The dragged track's clock moved by ``dx`` px (sigma: one frame and one pixel; a rough
        placement stays rough, :mod:`ui.timeline.rough`)."""
        pps = self.pixels_per_second
        if drag["clock"].method == ROUGH_METHOD:
            track = self._track(drag["name"])
            return rough_clock(track, drag["clock"].to_shared(track.start_local) + dx / pps, 1.0 / pps)
        return manual_clock(drag["clock"], dx / pps, drag["frame_s"], 1.0 / pps)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0 or event.angleDelta().x() / 120.0
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_at(math.pow(1.25, steps), event.position().x())
        else:
            self.axis.scroll(steps)
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
