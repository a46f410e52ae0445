"""ThumbnailLoader: small frame thumbnails for the timeline, decoded off the GUI thread.

One background thread opens each video source with the core
(:meth:`timesync.media.FrameIndex.open`, :class:`timesync.media.FrameReader`;
frame numbers come from container PTS) and makes
``FrameReader.thumbnail(number, max_side)`` for the frames the timeline asks
for. Requests are per source and *latest-request-wins*: a new list replaces
the frames of that source not yet started (the visible range moved on).
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ui.frames import array_to_qimage

__all__ = ["ThumbnailLoader", "THUMB_MAX_SIDE"]

#: Longer side of a thumbnail (pixels).
THUMB_MAX_SIDE = 64


class ThumbnailLoader(QObject):
    """Decode thumbnails of several sources in one background thread.

    Signals
    -------
    indexReady(str, object)
        A source's name and its ``FrameIndex`` once opened.
    thumbnailReady(str, int, QImage)
        A source's name, a frame number and that frame's thumbnail.
    failed(str, str)
        A source's name and one sentence saying why it gives no thumbnails.
    """

    indexReady = Signal(str, object)
    thumbnailReady = Signal(str, int, QImage)
    failed = Signal(str, str)

    def __init__(self, max_side: int = THUMB_MAX_SIDE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_side = int(max_side)
        self._cond = threading.Condition()
        self._to_open: dict[str, tuple[Path, str | None]] = {}
        self._pending: dict[str, list[int]] = {}
        self._in_flight: tuple[str, int] | None = None
        self._recent: deque[tuple[str, int]] = deque(maxlen=64)  # emitted, maybe not yet received
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.decoded = 0  #: thumbnails made so far

    def open(self, name: str, path: str | Path, sha256: str | None = None) -> None:
        """Open a video source (in the thread; ``indexReady`` or ``failed`` follows)."""
        with self._cond:
            if self._stopping:
                return
            self._to_open[name] = (Path(path), sha256)
            self._cond.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="timeline-thumbnails", daemon=True)
            self._thread.start()

    def request(self, name: str, numbers: list[int]) -> None:
        """Thumbnails wanted for ``name`` (replaces its frames not yet started)."""
        with self._cond:
            skip = set(self._recent)
            if self._in_flight is not None:
                skip.add(self._in_flight)
            self._pending[name] = [int(n) for n in dict.fromkeys(numbers) if (name, int(n)) not in skip]
            self._cond.notify()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and release the files."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    # -- worker thread -----------------------------------------------------------
    def _next(self) -> tuple[str, object] | None:
        """The next job (call with the lock held): ``("open", (name, path, sha))`` or ``("thumb", (name, n))``."""
        if self._to_open:
            name = next(iter(self._to_open))
            path, sha = self._to_open.pop(name)
            return "open", (name, path, sha)
        for name, numbers in self._pending.items():
            if numbers:
                return "thumb", (name, numbers.pop(0))
        return None

    def _run(self) -> None:
        readers: dict[str, object] = {}
        try:
            while True:
                with self._cond:
                    job = self._next()
                    while job is None and not self._stopping:
                        self._cond.wait()
                        job = self._next()
                    if self._stopping:
                        return
                    kind, args = job
                    if kind == "thumb":
                        self._in_flight = args
                if kind == "open":
                    self._open(readers, *args)
                else:
                    self._thumb(readers, *args)
        finally:
            for reader in readers.values():
                reader.close()

    def _open(self, readers: dict, name: str, path: Path, sha256: str | None) -> None:
        from timesync.errors import TimesyncError
        from timesync.media import FrameIndex, FrameReader

        old = readers.pop(name, None)
        if old is not None:
            old.close()
        try:
            index = FrameIndex.open(path, sha256=sha256)
            readers[name] = FrameReader(path, index=index)
        except (TimesyncError, OSError) as exc:
            self._emit(self.failed, name, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown as no thumbnails, never a crash
            self._emit(self.failed, name, f"{path.name}: could not be opened ({exc})")
            return
        self._emit(self.indexReady, name, index)

    def _thumb(self, readers: dict, name: str, number: int) -> None:
        reader = readers.get(name)
        try:
            if reader is None:
                return
            try:
                image = array_to_qimage(reader.thumbnail(number, max_side=self.max_side))
            except Exception:  # noqa: BLE001 - one bad frame gives no thumbnail; the view reports decode errors
                return
            self.decoded += 1
            with self._cond:
                self._recent.append((name, number))
            self._emit(self.thumbnailReady, name, number, image)
        finally:
            with self._cond:
                self._in_flight = None

    def _emit(self, signal, *args) -> None:
        with self._cond:
            if self._stopping:
                return
        signal.emit(*args)
