"""FrameWorker: exact frames of one source, decoded off the GUI thread.

One worker per source owns one :class:`timesync.media.FrameIndex` and one
:class:`timesync.media.FrameReader` (the core's exact frame access: frame
numbers come from container PTS). Requests are *latest-request-wins*: while a
frame decodes, newer requests replace older pending ones, so a view never
falls behind a moving playhead by more than the frame in flight.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

__all__ = ["FrameWorker", "array_to_qimage", "qimage_to_array"]


def array_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied ``QImage`` (RGB888) of an ``(H, W, 3)`` uint8 RGB array."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


class FrameWorker(QObject):
    """Decode frames of one source in a background thread (call :meth:`start` after connecting).

    Signals
    -------
    indexReady(object)
        The source's ``FrameIndex`` once it is open (emitted once).
    frameReady(int, QImage)
        Frame number and its image, exactly ``FrameReader.read(number)``.
    failed(str)
        One sentence naming the file and the problem (a core error message).
    """

    indexReady = Signal(object)
    frameReady = Signal(int, QImage)
    failed = Signal(str)

    def __init__(self, path: str | Path, *, sha256: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = Path(path)
        self._sha256 = sha256
        self._cond = threading.Condition()
        self._pending: int | None = None
        self._stopping = False
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

    def request(self, number: int) -> None:
        """Ask for frame ``number``; replaces any request not yet started."""
        with self._cond:
            self._pending = int(number)
            self._cond.notify()

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

    def _serve(self, reader) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                number, self._pending = self._pending, None
            try:
                image = array_to_qimage(reader.read(number))
            except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the view
                self._emit_failed(f"{self._path.name}: frame {number} could not be decoded ({exc})")
                continue
            self.decoded += 1
            with self._cond:
                if self._stopping:
                    return
            self.frameReady.emit(number, image)

    def _emit_failed(self, message: str) -> None:
        with self._cond:
            if self._stopping:
                return
        self.failed.emit(message)


def qimage_to_array(image: QImage) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 RGB copy of a ``QImage`` (the inverse of :func:`array_to_qimage`)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return buffer[:, : width * 3].reshape(height, width, 3).copy()
