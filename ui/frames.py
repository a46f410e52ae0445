"""FrameWorker: exact frames of one source, decoded off the GUI thread.

One worker per source owns one :class:`timesync.media.FrameIndex` and one
:class:`timesync.media.FrameReader` (the core's exact frame access: frame
numbers come from container PTS). Requests are *latest-request-wins*: while a
frame decodes, newer requests replace older pending ones, so a view never
falls behind a moving playhead by more than the frame in flight. While
playing, the worker also decodes the next few frames ahead (:meth:`FrameWorker.set_read_ahead`)
and a view takes one the moment the clock reaches it (:meth:`FrameWorker.take`).
Each frame carries a copy scaled for the screen, made in the worker thread, so
painting is a plain copy on the GUI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

__all__ = ["FrameWorker", "DecodedFrame", "array_to_qimage", "qimage_to_array", "scale_for_display"]


def array_to_qimage(rgb: np.ndarray, *, copy: bool = True) -> QImage:
    """A ``QImage`` (RGB888) of an ``(H, W, 3)`` uint8 RGB array.

    With ``copy=False`` the image shares the array's memory: keep the array
    alive as long as the image (:class:`DecodedFrame` does).
    """
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy() if copy else image


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded frame: exactly ``FrameReader.read(number)``, and a copy scaled for display.

    ``image`` shares ``array``'s memory (they travel together); ``display`` is
    ``image`` resized to the size the view asked for (``None`` when it asked
    for none), so painting is a plain copy on the GUI thread.
    """

    number: int
    array: np.ndarray
    image: QImage
    display: QImage | None


class FrameWorker(QObject):
    """Decode frames of one source in a background thread (call :meth:`start` after connecting).

    Signals
    -------
    indexReady(object)
        The source's ``FrameIndex`` once it is open (emitted once).
    frameReady(object)
        A :class:`DecodedFrame`.
    failed(str)
        One sentence naming the file and the problem (a core error message).
    """

    indexReady = Signal(object)
    frameReady = Signal(object)
    failed = Signal(str)

    def __init__(self, path: str | Path, *, sha256: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = Path(path)
        self._sha256 = sha256
        self._cond = threading.Condition()
        self._pending: tuple[int, tuple[int, int] | None] | None = None
        self._stopping = False
        self._ahead = 0  # frames to decode ahead while playing (sign: direction)
        self._cursor: int | None = None  # the last frame asked for
        self._size: tuple[int, int] | None = None
        self._cache: dict[int, DecodedFrame] = {}
        self._index = None
        self.decoded = 0  #: frames decoded so far (for benchmarks)
        self._thread = threading.Thread(target=self._run, name=f"frames:{self._path.name}", daemon=True)

    def start(self) -> None:
        """Start the thread (connect the signals first: a fast failure is emitted at once)."""
        if not self._thread.is_alive() and not self._stopping:
            self._thread.start()

    @property
    def index(self):
        """The source's ``FrameIndex`` (``None`` until ``indexReady``)."""
        return self._index

    def request(self, number: int, display_size: tuple[int, int] | None = None) -> None:
        """Ask for frame ``number`` (and a copy scaled to ``display_size`` (w, h) pixels).

        Replaces any request not yet started.
        """
        with self._cond:
            self._pending = (int(number), display_size)
            self._cond.notify()

    def set_read_ahead(self, frames: int) -> None:
        """Decode up to ``|frames|`` frames past the last one asked for (backwards if negative; 0: none).

        Set while playing: the next frames are then ready when the clock
        reaches them (:meth:`take`), so decoding time no longer delays them.
        """
        with self._cond:
            self._ahead = int(frames)
            if not frames:
                self._cache.clear()
            self._cond.notify()

    def take(self, number: int, display_size: tuple[int, int] | None = None) -> DecodedFrame | None:
        """A frame already decoded ahead (``None`` if not ready); moves the read-ahead on from it."""
        with self._cond:
            frame = self._cache.pop(number, None)
            if frame is not None and display_size is not None and frame.display is not None \
                    and (frame.display.width(), frame.display.height()) != display_size:
                frame = None  # scaled for another size: decode again
            if frame is not None:
                self._cursor, self._size = number, display_size
                self._cond.notify()
            return frame

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and release the file (waits up to ``timeout_s`` seconds)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:  # started
            self._thread.join(timeout_s)

    # -- worker thread ---------------------------------------------------------
    def _run(self) -> None:
        from timesync.errors import TimesyncError
        from timesync.media import FrameIndex, FrameReader

        try:
            index = FrameIndex.open(self._path, sha256=self._sha256)
            reader = FrameReader(self._path, index=index)
        except (TimesyncError, OSError) as exc:
            self._emit_failed(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any decoder failure is shown, never a crash
            self._emit_failed(f"{self._path.name}: could not be opened ({exc})")
            return
        self._index = index
        self.indexReady.emit(index)
        with reader:
            self._serve(reader)

    def _next_ahead(self, count: int) -> int | None:
        """The next frame to decode ahead of the cursor, or ``None`` (call with the lock held)."""
        if not self._ahead or self._cursor is None:
            return None
        step = 1 if self._ahead > 0 else -1
        wanted = [self._cursor + step * k for k in range(1, abs(self._ahead) + 1)]
        for key in [k for k in self._cache if k not in wanted]:
            del self._cache[key]
        return next((n for n in wanted if 0 <= n < count and n not in self._cache), None)

    def _serve(self, reader) -> None:
        count = len(reader.index)
        while True:
            with self._cond:
                while self._pending is None and not self._stopping and self._next_ahead(count) is None:
                    self._cond.wait()
                if self._stopping:
                    return
                if self._pending is not None:
                    (number, size), self._pending = self._pending, None
                    self._cursor, self._size, ahead = number, size, False
                else:
                    number, size, ahead = self._next_ahead(count), self._size, True
            try:
                frame = _decoded(number, reader.read(number), size)
            except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the view
                if not ahead:
                    self._emit_failed(f"{self._path.name}: frame {number} could not be decoded ({exc})")
                continue
            self.decoded += 1
            with self._cond:
                if self._stopping:
                    return
                if ahead:
                    if self._ahead:
                        self._cache[number] = frame
                    continue
            self.frameReady.emit(frame)

    def _emit_failed(self, message: str) -> None:
        with self._cond:
            if self._stopping:
                return
        self.failed.emit(message)


def _decoded(number: int, rgb: np.ndarray, size: tuple[int, int] | None) -> DecodedFrame:
    """Wrap a decoded array with a display copy scaled to ``size`` (w, h)."""
    rgb = np.ascontiguousarray(rgb)
    display = None
    if size is not None and size[0] > 0 and size[1] > 0 and (size[0], size[1]) != (rgb.shape[1], rgb.shape[0]):
        display = array_to_qimage(scale_for_display(rgb, size))
    return DecodedFrame(number, rgb, array_to_qimage(rgb, copy=False), display)


def scale_for_display(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an RGB array to ``size`` (w, h) pixels for the screen (OpenCV, GIL released).

    Halves by 2x2 area averaging while the image is at least twice the target
    (OpenCV's fast integer path), then bilinear to the exact size: close to
    full area averaging at a tenth of its cost (2-3 ms for 720p).
    """
    import cv2

    width, height = size
    while rgb.shape[1] >= 2 * width and rgb.shape[0] >= 2 * height:
        rgb = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)


def qimage_to_array(image: QImage) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 RGB copy of a ``QImage`` (the inverse of :func:`array_to_qimage`)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return buffer[:, : width * 3].reshape(height, width, 3).copy()
