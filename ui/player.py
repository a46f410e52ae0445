"""Synchronized players: one :class:`PlayerView` per source (laid out by :class:`ui.grid.PlayerGrid`).

A linked view follows the one shared :class:`~ui.clock.PlaybackClock`. At
shared time ``s`` it shows frame ``FrameIndex.frame_at_shared(clock_map, s)``
of its source, decoded exactly by its :class:`~ui.frames.FrameWorker`, so a
paused view shows the very frame the exports name. Outside its recording a
view says "not recording".

A *free* view follows a clock of its own whose time is the source's local
time (:meth:`PlayerView.set_free`): a source that is not placed is always
free (it plays and steps on its own local clock, marked "not placed", the
reason on hover); a placed one is free while the reviewer has unlinked it to
search for a moment to tie (issue 19).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from timesync.clock import ClockMap
from timesync.timeutil import format_hms
from ui.clock import PlaybackClock
from ui.frames import FrameWorker
from ui.spec import SourceSpec, overlay_reading
from ui.tile import badges, paint_strips, picture_area

__all__ = ["PlayerView", "LOCAL"]

#: The map of a free view: its own clock's time is the source's local time.
LOCAL = ClockMap(0.0, 1.0, 0.0, "local")

_MIN_ZOOM, _MAX_ZOOM = 1.0, 16.0


class PlayerView(QWidget):
    """One source's frames at the shared clock's time.

    Signals
    -------
    frameShown(int)
        A frame number has just been put on screen.
    focusRequested(object)
        The user clicked this view (argument: the view).
    enlargeRequested(object)
        The user double-clicked this view.
    failed(str)
        The source could not be opened or decoded (one sentence).
    freeChanged(bool)
        The view now follows its own local clock (True) or the shared clock (False).
    """

    frameShown = Signal(int)
    focusRequested = Signal(object)
    enlargeRequested = Signal(object)
    failed = Signal(str)
    freeChanged = Signal(bool)

    def __init__(self, spec: SourceSpec, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._spec = spec
        self._shared = clock
        self._clock = clock  # the clock followed: the shared one, or the view's own when free
        self._own: PlaybackClock | None = None
        self._image: QImage | None = None
        self._frame = None  # the DecodedFrame on screen (keeps the image's memory alive)
        self._shown: int | None = None
        self._wanted: int | None = None
        self._local_s: float | None = None
        self._error: str | None = None
        self._focused = False
        self.frame_offset = 0  #: per-source step: frames shown ahead (+) or behind (-) the clock
        self._zoom = 1.0
        self._pan = QPointF(0.0, 0.0)
        self._drag_from: QPointF | None = None
        self._closed = False
        self.paint_count = 0  #: paint events so far (benchmarks)
        self._worker: FrameWorker | None = None
        if spec.has_video:
            # no recorded sha256: the index cache is keyed by content, and a changed file must not
            # borrow the index of the file it replaced (FrameIndex hashes it in the worker thread)
            self._worker = FrameWorker(spec.path, parent=self)
            self._worker.indexReady.connect(self._on_index)
            self._worker.frameReady.connect(self._on_frame)
            self._worker.failed.connect(self._on_failed)
            self._worker.start()
        self._connect(clock, True)
        self._update_tooltip()
        if spec.clock is None:
            self.set_free(True)

    # -- public state ----------------------------------------------------------
    @property
    def spec(self) -> SourceSpec:
        """The source shown."""
        return self._spec

    @property
    def index(self):
        """The source's ``FrameIndex`` (``None`` until opened, or for audio-only sources)."""
        return self._worker.index if self._worker is not None else None

    @property
    def shown_frame(self) -> int | None:
        """Number of the frame on screen (``None``: nothing, or not recording)."""
        return self._shown

    @property
    def wanted_frame(self) -> int | None:
        """Number of the frame the clock asks for (``None``: not recording)."""
        return self._wanted

    @property
    def image(self) -> QImage | None:
        """The image on screen (exactly ``FrameReader.read(shown_frame)``)."""
        return self._image

    @property
    def error(self) -> str | None:
        """The error shown in the view, if any."""
        return self._error

    @property
    def worker(self) -> FrameWorker | None:
        """The decoding worker (for benchmarks); ``None`` for audio-only sources."""
        return self._worker

    @property
    def zoom(self) -> float:
        """The picture's zoom (1.0: the whole frame fitted; more: zoomed in, a drag pans)."""
        return self._zoom

    @property
    def free(self) -> bool:
        """True while the view follows its own local clock (:meth:`set_free`)."""
        return self._own is not None

    @property
    def playback(self) -> PlaybackClock:
        """The clock the view follows: the shared one, or its own (time = local seconds) when free."""
        return self._clock

    @property
    def view_map(self) -> ClockMap | None:
        """The map from the source's local time to the followed clock's time (:data:`LOCAL` when free)."""
        return LOCAL if self.free else self._spec.clock

    def local_time(self) -> float | None:
        """The source's local time (s) of the frame the view is at (``None``: not at one)."""
        index = self.index
        if index is not None and self._wanted is not None:
            return index.frame_time(self._wanted)
        return self._local_s

    def set_free(self, free: bool) -> bool:
        """Follow a clock of the view's own (its time is local seconds), or the shared clock again.

        The view stays at the frame it shows (the own clock starts there, else
        at the recording's start). A source that is not placed cannot follow
        the shared clock: returns False then, else True.
        """
        if free == self.free:
            return True
        if not free and self._spec.clock is None:
            return False
        here = self.local_time()
        self._connect(self._clock, False)
        if free:
            self._own = PlaybackClock(self)
            self._own.set_range(0.0, self._duration_s())
            self._own.seek(here if here is not None else 0.0)
            self._clock = self._own
        else:
            self._own.pause()
            self._own.deleteLater()
            self._own, self._clock = None, self._shared
        self._connect(self._clock, True)
        self.frame_offset = 0
        self._wanted = None
        self.refresh()
        self.freeChanged.emit(free)
        return True

    def _connect(self, clock: PlaybackClock, on: bool) -> None:
        for signal, slot in ((clock.timeChanged, self._on_time), (clock.playingChanged, self._on_playing),
                             (clock.rateChanged, self._on_rate)):
            signal.connect(slot) if on else signal.disconnect(slot)

    def _duration_s(self) -> float:
        """The recording's local length in seconds (probe summary, else the frame index, else 0)."""
        duration = (self._spec.extra.get("probe") or {}).get("duration_s")
        if isinstance(duration, int | float) and duration > 0:
            return float(duration)
        return float(self.index.end_s) if self.index is not None and len(self.index) else 0.0

    def _update_tooltip(self) -> None:
        spec = self._spec
        lines = [why for _b, why, _c in badges(spec)]
        if spec.clock is None:
            lines.insert(0, f"not placed: {spec.reason or 'no evidence places it'}")
        self.setToolTip("\n".join(lines))

    def set_spec(self, spec: SourceSpec) -> None:
        """Follow a changed clock map or hash status of the same file.

        A source that loses its clock becomes free; one that gains a clock (a
        tie placed it) follows the shared clock again.
        """
        was_placed = self._spec.clock is not None
        self._spec = spec
        self._update_tooltip()
        if spec.clock is None:
            self.set_free(True)
        elif not was_placed:
            self.set_free(False)
        self.refresh()

    def set_focused(self, focused: bool) -> None:
        """Draw (or not) the focus border."""
        if focused != self._focused:
            self._focused = focused
            self.update()

    def frame_ref_at(self, shared_s: float):
        """The ``FrameRef`` the view shows at shared time ``shared_s`` seconds, or ``None``.

        A free view does not follow the shared clock: its frame at its own clock's time.
        """
        index, clock = self.index, self.view_map
        if index is None or clock is None:
            return None
        return index.frame_at_shared(clock, self._clock.time if self.free else shared_s)

    def refresh(self) -> None:
        """Recompute the wanted frame for the clock's current time."""
        self._on_time(self._clock.time)

    def step_local(self, frames: int) -> None:
        """Per-source step: show ``frames`` more frames ahead of the clock (the clock does not move)."""
        self.frame_offset += int(frames)
        self.refresh()

    def reset_zoom(self) -> None:
        """Back to the whole frame, fitted."""
        self._zoom, self._pan = 1.0, QPointF(0.0, 0.0)
        self.update()

    def shutdown(self) -> None:
        """Stop decoding and release the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._connect(self._clock, False)
        if self._own is not None:
            self._own.pause()
        if self._worker is not None:
            self._worker.stop()

    # -- clock and worker ------------------------------------------------------
    def _on_rate(self, _rate: float) -> None:
        self._set_read_ahead()

    def _on_index(self, _index) -> None:
        if self._own is not None and self._own.end_s <= 0:
            self._own.set_range(0.0, self._duration_s())
        self.refresh()

    def _on_playing(self, playing: bool) -> None:
        if playing and self.frame_offset:
            self.frame_offset = 0
        self._set_read_ahead()
        self.update()

    def _set_read_ahead(self) -> None:
        """While playing at up to 2x, decode the next frames before the clock reaches them."""
        if self._worker is None:
            return
        rate = self._clock.rate
        ahead = 0
        if self._clock.playing and abs(rate) <= 2.0:
            ahead = 3 if rate > 0 else -3
        self._worker.set_read_ahead(ahead)

    def _on_time(self, time_s: float) -> None:
        clock = self.view_map
        self._local_s = clock.to_local(time_s) if clock is not None else None
        index = self.index
        ref = index.frame_at_shared(clock, time_s) if index is not None and clock is not None else None
        if ref is None:
            self._wanted = None
            if self._shown is not None:
                self._shown, self._image, self._frame = None, None, None
            self.update()
            return
        number = min(max(ref.number + self.frame_offset, 0), len(self.index) - 1)
        if number != self._wanted:
            self._wanted = number
            if number != self._shown and self._worker is not None:
                size = self._display_size()
                ready = self._worker.take(number, size)
                if ready is not None:
                    self._on_frame(ready)
                else:
                    self._worker.request(number, size)
        self.update()

    def _on_frame(self, frame) -> None:
        number = frame.number
        if number != self._wanted and not (self._clock.playing and self._wanted is not None):
            return  # paused: only the exact frame is shown (a newer request is on its way)
        if frame.display is not None:
            frame.display.setDevicePixelRatio(self.devicePixelRatioF())
        self._frame, self._shown, self._image = frame, number, frame.image
        self.update()
        self.frameShown.emit(number)

    def _display_size(self) -> tuple[int, int] | None:
        """Pixel size of the fitted frame in this view (what the worker scales to)."""
        probe = (self._spec.extra.get("probe") or {}).get("video") or {}
        width, height = probe.get("width"), probe.get("height")
        if self._image is not None:
            width, height = self._image.width(), self._image.height()
        area = picture_area(self)
        if not width or not height or area.width() < 2 or area.height() < 2:
            return None
        scale = min(area.width() / width, area.height() / height)
        ratio = self.devicePixelRatioF()
        return max(1, round(width * scale * ratio)), max(1, round(height * scale * ratio))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._shown is not None and self._worker is not None and not self._clock.playing:
            self._worker.request(self._shown, self._display_size())

    def _on_failed(self, message: str) -> None:
        self._error = message
        self.update()
        self.failed.emit(message)

    # -- painting --------------------------------------------------------------
    def _image_rect(self) -> QRectF:
        image = self._image
        if image is None or image.isNull():
            return QRectF()
        area = picture_area(self)
        scale = min(area.width() / image.width(), area.height() / image.height())
        fit_w, fit_h = image.width() * scale * self._zoom, image.height() * scale * self._zoom
        cx, cy = area.center().x() + self._pan.x(), area.center().y() + self._pan.y()
        return QRectF(cx - fit_w / 2, cy - fit_h / 2, fit_w, fit_h)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        self.paint_count += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(8, 8, 10))
        if self._image is not None:
            rect = self._image_rect()
            painter.setClipRect(picture_area(self))  # a zoomed picture stays between the strips
            display = self._frame.display if self._frame is not None else None
            if (self._zoom == 1.0 and display is not None
                    and abs(display.width() - rect.width() * self.devicePixelRatioF()) < 1.5
                    and abs(display.height() - rect.height() * self.devicePixelRatioF()) < 1.5):
                painter.drawImage(rect.topLeft(), display)  # already scaled off the GUI thread
            else:
                if not self._clock.playing:
                    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(rect, self._image)
            painter.setClipping(False)
        self._paint_overlay(painter)
        if self._focused:
            painter.setPen(QPen(QColor(70, 160, 255), 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
        painter.end()

    def _status_text(self) -> str | None:
        if self._error:
            return self._error
        if not self._spec.has_video:
            if self._spec.clock is None:
                return "not placed" + (f": {self._spec.reason}" if self._spec.reason else "")
            return "audio only"
        if self.index is None:
            return "opening…"
        if self._wanted is None:
            return "not recording"
        return None

    def _info_lines(self) -> list[str]:
        lines = []
        if self._local_s is not None:
            lines.append(f"local {format_hms(self._local_s)}")
        if self._wanted is not None:
            extra = f" ({self.frame_offset:+d})" if self.frame_offset else ""
            lines.append(f"frame {self._wanted}{extra}")
        if self._local_s is not None:
            reading = overlay_reading(self._spec.overlay_clock, self._local_s)
            if reading:  # the time of day; the date is in the toolbar's wall-clock readout
                lines.append(f"clock {reading.split(' ')[-1]}")
        return lines

    def _paint_overlay(self, painter: QPainter) -> None:
        """Name, badges and the view's state in a strip over the picture, times and frame in a strip
        under it (:mod:`ui.tile`): burned-in clocks, at the top or the bottom of a picture, stay in view."""
        tag = ("[not placed]" if self._spec.clock is None else "[unlinked]") if self.free else ""
        paint_strips(self, painter, self._spec, "   ".join(self._info_lines()), self._status_text(),
                     bool(self._error), tag=tag)

    # -- mouse: focus, enlarge, zoom, pan -------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.focusRequested.emit(self)
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None and self._zoom > 1.0:
            self._pan += event.position() - self._drag_from
            self._drag_from = event.position()
            self.update()

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:  # noqa: N802
        self._drag_from = None

    def mouseDoubleClickEvent(self, _event: QMouseEvent) -> None:  # noqa: N802
        self.enlargeRequested.emit(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if not steps or self._image is None:
            return
        old_rect = self._image_rect()
        zoom = min(max(self._zoom * math.pow(1.25, steps), _MIN_ZOOM), _MAX_ZOOM)
        if zoom == _MIN_ZOOM:
            self.reset_zoom()
            return
        p = event.position()
        u = (p.x() - old_rect.x()) / old_rect.width()
        v = (p.y() - old_rect.y()) / old_rect.height()
        self._zoom = zoom
        new_size = self._image_rect().size()
        cx = p.x() - u * new_size.width() + new_size.width() / 2
        cy = p.y() - v * new_size.height() + new_size.height() / 2
        self._pan = QPointF(cx - self.width() / 2, cy - self.height() / 2)
        self.update()
