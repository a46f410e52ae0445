"""Painter of one source track: header (name, method, uncertainty), bar, thumbnails, waveform, frame ticks.

The bar spans the recording from its first to its last local second, placed
by the source's ``ClockMap`` (while the track is dragged, by the previewed
one). Frame ticks mark the source's exact frame start times once a frame is
6 px or wider; the waveform is the audio envelope's peak under each pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from timesync.clock import ClockMap
from timesync.project.alignment_edits import BY_HAND
from ui.tile import badge_text, track_detail
from ui.timeline.axis import EVENTS_H, HEADER_W, RULER_H, TRACK_H, TimeAxis
from ui.timeline.items import Track
from ui.timeline.suggestions import paint_suggestion

__all__ = ["TrackPaint", "bar_rect", "paint_track", "segment_max", "THUMB_W"]

THUMB_W = 64  # pixels: the narrowest thumbnail slot

#: A visible thumbnail slot: ``(source, slot start shared s, slot x, frame number)``.
Slot = tuple[str, float, float, int]


@dataclass
class TrackPaint:
    """What :func:`paint_track` needs besides the track.

    ``shown`` is the clock the bar is drawn with (the drag preview, else the
    track's own); ``thumbs`` the thumbnail cache by ``(source, frame number)``;
    ``frame_times(name)`` the source's exact local frame start times, or ``None``;
    ``drawn`` collects ``(source, slot start, frame number)`` of each thumbnail drawn;
    ``suggested`` a suggested placement ``(clock, text)`` drawn dashed (:mod:`ui.timeline.suggestions`).
    """

    axis: TimeAxis
    shown: ClockMap | None
    selected: bool
    slots: list[Slot]
    thumbs: dict[tuple[str, int], QImage]
    frame_times: Callable[[str], np.ndarray | None]
    drawn: list[tuple[str, float, int]]
    suggested: tuple[ClockMap, str] | None = None


def bar_rect(axis: TimeAxis, row: int, track: Track, clock: ClockMap | None) -> QRectF | None:
    """Widget rectangle of the bar of ``track`` in ``row`` placed by ``clock`` (``None``: no bar)."""
    if clock is None or track.end_local <= track.start_local:
        return None
    x0, x1 = axis.x_of(clock.to_shared(track.start_local)), axis.x_of(clock.to_shared(track.end_local))
    y = RULER_H + EVENTS_H + row * TRACK_H
    return QRectF(x0, y + 3, max(x1 - x0, 1.0), TRACK_H - 6)


def paint_track(painter: QPainter, row: int, track: Track, paint: TrackPaint) -> None:
    """The row of ``track``: background, header, then (when placed) the bar and what is on it."""
    axis, width = paint.axis, round(paint.axis.width)
    y = RULER_H + EVENTS_H + row * TRACK_H
    painter.fillRect(0, y, width, TRACK_H, QColor(44, 46, 50) if paint.selected else QColor(34, 35, 38))
    painter.setPen(QColor(55, 57, 62))
    painter.drawLine(0, y + TRACK_H - 1, width, y + TRACK_H - 1)
    _paint_header(painter, y, track)
    rect = bar_rect(axis, row, track, paint.shown)
    if rect is None:
        ghost = None if paint.suggested is None else bar_rect(axis, row, track, paint.suggested[0])
        if ghost is not None:
            painter.setClipRect(HEADER_W, y, width - HEADER_W, TRACK_H)
            paint_suggestion(painter, ghost, paint.suggested[1], placed=False)
            painter.setClipping(False)
        return
    painter.setClipRect(HEADER_W, y, width - HEADER_W, TRACK_H)
    base = QColor(52, 101, 164) if track.spec.hash_status not in ("changed", "missing") else QColor(150, 60, 50)
    if paint.selected:
        base = base.lighter(130)
    painter.fillRect(rect, base)
    _paint_thumbnails(painter, rect, paint)
    _paint_envelope(painter, track, rect, paint)
    _paint_frame_ticks(painter, track, rect, paint)
    if paint.suggested is not None:
        paint_suggestion(painter, rect, paint.suggested[1], placed=True)
    if paint.selected:
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawRect(rect)
    painter.setClipping(False)


def header_lines(track: Track) -> tuple[str, str]:
    """A track header's two lines, whole: name and badges; the clock's sigma, travel bound and method."""
    title = " ".join(t for t in (track.spec.label, badge_text(track.spec)) if t)  # badges: ui/tile.py
    detail = "not placed: drag it" if track.spec.clock is None else track_detail(track.spec)
    return title, detail


def _paint_header(painter: QPainter, y: float, track: Track) -> None:
    """Name, then the clock's uncertainty and method (orange when placed by hand); elided in the middle
    (the widget's tooltip gives them whole)."""
    painter.setPen(QColor(235, 235, 240))
    metrics = painter.fontMetrics()
    title, detail = header_lines(track)
    painter.drawText(QRectF(6, y + 3, HEADER_W - 10, 18), Qt.AlignmentFlag.AlignLeft,
                     metrics.elidedText(title, Qt.TextElideMode.ElideMiddle, HEADER_W - 10))
    clock = track.spec.clock
    by_hand = clock is not None and clock.method in BY_HAND
    painter.setPen(QColor(255, 180, 80) if by_hand else QColor(150, 152, 160))
    painter.drawText(QRectF(6, y + 22, HEADER_W - 10, 18), Qt.AlignmentFlag.AlignLeft,
                     metrics.elidedText(detail, Qt.TextElideMode.ElideMiddle, HEADER_W - 10))


def _paint_thumbnails(painter: QPainter, rect: QRectF, paint: TrackPaint) -> None:
    """Each loaded thumbnail at its slot's left edge, fitted to the bar's height (aspect kept)."""
    height = rect.height() - 2
    for name, t, x, number in paint.slots:
        image = paint.thumbs.get((name, number))
        if image is None or image.height() <= 0:
            continue
        aspect = image.width() / image.height()
        width = min(THUMB_W - 2, height * aspect)
        h = width / aspect
        target = QRectF(x + 1, rect.top() + 1 + (height - h) / 2, width, h)
        painter.drawImage(target, image)
        paint.drawn.append((name, t, number))


def _paint_envelope(painter: QPainter, track: Track, rect: QRectF, paint: TrackPaint) -> None:
    env, clock, axis = track.envelope, paint.shown, paint.axis
    if env is None or env.size == 0 or track.spec.clock is None or clock is None:
        return
    x_start = int(max(rect.left(), HEADER_W))
    x_end = int(min(rect.right(), axis.width))
    if x_end <= x_start:
        return
    xs = np.arange(x_start, x_end + 1, dtype=np.float64)
    local = clock.to_local(axis.time_at(xs))
    idx = np.clip(np.rint(local * track.envelope_hz).astype(np.int64), 0, env.size)
    lo, hi = idx[:-1], np.maximum(idx[1:], idx[:-1] + 1)
    valid = lo < env.size
    peaks = np.zeros(lo.size, dtype=np.float32)
    if valid.any():
        peaks[valid] = segment_max(env, lo[valid], np.minimum(hi[valid], env.size))
    mid = rect.center().y()
    half = rect.height() / 2 - 2
    painter.setPen(QColor(170, 205, 245))
    for x, p in zip(xs[:-1], peaks, strict=True):
        if p > 0.002:
            h = float(p) * half
            painter.drawLine(QPointF(x, mid - h), QPointF(x, mid + h))


def _paint_frame_ticks(painter: QPainter, track: Track, rect: QRectF, paint: TrackPaint) -> None:
    """Frame boundaries (from the source's exact frame times) once frames are 6 px or wider."""
    clock, axis = track.spec.clock, paint.axis
    if clock is None or track.frame_s * axis.pps < 6:
        return
    times = paint.frame_times(track.spec.name)
    if times is None or len(times) == 0:
        return
    t0, t1 = axis.visible_range
    lo = int(np.searchsorted(times, clock.to_local(t0), side="right")) - 1
    hi = int(np.searchsorted(times, clock.to_local(t1), side="right"))
    painter.setPen(QColor(20, 30, 45, 170))
    for local in times[max(lo, 0): hi]:
        x = axis.x_of(clock.to_shared(float(local)))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 7))
        painter.drawLine(QPointF(x, rect.bottom() - 7), QPointF(x, rect.bottom()))


def segment_max(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
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
