"""A player tile's text strips and badges: nothing the app writes covers the evidence.

A tile (:class:`ui.player.PlayerView`) keeps a strip above the picture (the
source's name, its badges) and one below it (local time, frame number, the
burned-in clock's reading): :func:`picture_area` is the rest, where the frame
is fitted, so the burned-in clocks at the top of a body cam's picture and at
the bottom of an aerial camera's are never under the app's own text.

Badges (:func:`badges`), also shown on the source's timeline track
(:func:`badge_text`): ``CHANGED`` / ``MISSING`` when the file is not the one
recorded (its SHA-256 differs, or it is gone), ``UNVERIFIED`` when the source
is placed by device clocks only (metadata tags or a burned-in clock, no
content evidence: :data:`timesync.align.device_clocks.UNVERIFIED`).

:func:`grid_large` lays one tile out large with the others as a strip.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QGridLayout, QWidget

from timesync.align.device_clocks import UNVERIFIED
from ui.spec import SourceSpec, format_uncertainty

__all__ = ["badges", "badge_text", "track_detail", "uncertainty_text", "strip_height", "picture_area", "paint_strips",
           "grid_large"]

_RED, _AMBER = QColor(235, 80, 70), QColor(230, 170, 40)


def badges(spec: SourceSpec) -> list[tuple[str, str, QColor]]:
    """``(badge, explanation, colour)`` of the source's problems, worst first."""
    out = []
    if spec.hash_status in ("changed", "missing"):
        what = "is not the file recorded (SHA-256 differs)" if spec.hash_status == "changed" else "is missing"
        out.append((spec.hash_status.upper(), f"{spec.label} {what}", _RED))
    if spec.clock is not None and UNVERIFIED in spec.clock.method:
        out.append(("UNVERIFIED", f"{spec.label}: {UNVERIFIED}", _AMBER))
    return out


def badge_text(spec: SourceSpec) -> str:
    """The badges as text for a track label (``"[CHANGED] [UNVERIFIED]"``, or ``""``)."""
    return " ".join(f"[{b}]" for b, _why, _c in badges(spec))


def uncertainty_text(sigma_s: float | None, travel_s: float | None) -> str:
    """``"±2.00 ms"``, with the sound-travel bound beside it when there is one: ``"±2.00 ms +12.0 ms travel"``.

    ``sigma_s`` is one sigma (s), ``travel_s`` the bound (s, >= 0) sound travel
    adds at most (``travel_bound_s``); ``None`` is unknown.
    """
    if sigma_s is None:
        return "± unknown"
    text = format_uncertainty(sigma_s)
    if travel_s:
        text += f" +{format_uncertainty(travel_s).lstrip('±')} travel"
    return text


def track_detail(spec: SourceSpec) -> str:
    """A track's second line: the placement's sigma, the travel bound next to it, the method.

    The "device clocks only" note leaves the method (the UNVERIFIED badge says it).
    """
    clock = spec.clock
    if clock is None:
        return "not aligned"
    method = (clock.method or "?").replace(f" ({UNVERIFIED})", "")
    return f"{uncertainty_text(clock.uncertainty_s, spec.extra.get('travel_bound_s'))} {method}"


def _font(widget: QWidget) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(max(7.0, min(10.0, widget.height() / 30)))
    return font


def strip_height(widget: QWidget) -> float:
    """Height in pixels of each of the two text strips of a tile."""
    from PySide6.QtGui import QFontMetricsF

    return QFontMetricsF(_font(widget)).height() + 4


def picture_area(widget: QWidget) -> QRectF:
    """The tile minus its two strips: where the picture is fitted (never under text)."""
    h = strip_height(widget)
    return QRectF(0.0, h, float(widget.width()), max(1.0, widget.height() - 2 * h))


def _badge_boxes(painter: QPainter, x: float, y: float, h: float, spec: SourceSpec) -> None:
    metrics = painter.fontMetrics()
    for text, _why, colour in badges(spec):
        w = metrics.horizontalAdvance(text) + 8
        painter.fillRect(QRectF(x, y + 1, w, h - 2), colour)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(QRectF(x, y, w, h), Qt.AlignmentFlag.AlignCenter, text)
        x += w + 4


def paint_strips(widget: QWidget, painter: QPainter, spec: SourceSpec, info: str, status: str | None,
                 error: bool, *, tag: str = "") -> None:
    """The name, ``tag`` (the view's state, e.g. "[not placed]") and the badges in the top strip,
    ``info`` in the bottom one, ``status`` over an empty picture."""
    painter.setFont(_font(widget))
    metrics = painter.fontMetrics()
    h, w = strip_height(widget), widget.width()
    for y in (0.0, widget.height() - h):
        painter.fillRect(QRectF(0, y, w, h), QColor(24, 24, 28))
    painter.setPen(QColor(255, 255, 255))
    title = metrics.elidedText(spec.label + (f"  {tag}" if tag else ""), Qt.TextElideMode.ElideMiddle,
                               max(40, w // 2))
    painter.drawText(QPointF(4, 2 + metrics.ascent()), title)
    _badge_boxes(painter, 12 + metrics.horizontalAdvance(title), 0.0, h, spec)
    if info:
        painter.setPen(QColor(225, 225, 160))
        text = metrics.elidedText(info, Qt.TextElideMode.ElideRight, w - 8)
        painter.drawText(QPointF(4, widget.height() - h + 2 + metrics.ascent()), text)
    if status:
        painter.setPen(QColor(255, 120, 100) if error else QColor(200, 200, 200))
        rect = picture_area(widget).adjusted(10, 0, -10, 0)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, status)


def grid_large(layout: QGridLayout, large: QWidget, others: list[QWidget]) -> None:
    """``large`` in column 0 over every row, the ``others`` one per row in column 1 (a fifth of the width)."""
    for view in (large, *others):
        view.setVisible(True)
    layout.addWidget(large, 0, 0, max(1, len(others)), 1)
    for i, view in enumerate(others):
        layout.addWidget(view, i, 1)
        layout.setRowStretch(i, 1)
    layout.setColumnStretch(0, 4)
    layout.setColumnStretch(1, 1 if others else 0)
