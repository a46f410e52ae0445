"""Long work off the GUI thread: alignment, export, hashing, waveforms.

A :class:`Job` runs a function in the global ``QThreadPool``. The function gets
a ``progress(fraction, message)`` callable (the core's progress convention);
cancelling sets a flag that the next ``progress`` call turns into
:class:`Cancelled`, which unwinds the core's work and ends the job as
``cancelled``. Results and errors come back to the GUI thread as signals.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from timesync.errors import TimesyncError

__all__ = ["Job", "Cancelled", "start_job", "audio_envelope", "ENVELOPE_HZ"]

#: Audio envelope resolution for the timeline (values per local second).
ENVELOPE_HZ = 1000
_DECODE_SR = 8000  # decode at 8 kHz, keep the peak of every 8 samples


class Cancelled(Exception):  # noqa: N818 - it is not an error
    """Raised inside a job's ``progress`` callback once the job is cancelled."""


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Job(QRunnable):
    """Run ``fn(progress, *args, **kwargs)`` in the thread pool.

    Connect to ``job.signals.progress(float, str)``, ``finished(object)``,
    ``failed(str)`` (one sentence: a timesync error's message, or the
    exception's type and text for anything unexpected) and ``cancelled()``.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = _Signals()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.result: Any = None
        self.error: str | None = None

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report."""
        self._cancel.set()

    @property
    def done(self) -> bool:
        """True when the job has ended (any way)."""
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job ends (tests, shutdown); True if it ended."""
        return self._done.wait(timeout_s)

    def _progress(self, fraction: float, message: str = "") -> None:
        if self._cancel.is_set():
            raise Cancelled()
        self.signals.progress.emit(float(fraction), str(message))

    def run(self) -> None:  # noqa: D102 - QRunnable API
        try:
            self.result = self._fn(self._progress, *self._args, **self._kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except TimesyncError as exc:
            self.error = str(exc)
            self.signals.failed.emit(self.error)
        except Exception as exc:  # noqa: BLE001 - shown in the window, never a crash
            if self._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.error = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
                self.signals.failed.emit(self.error)
        else:
            self.signals.finished.emit(self.result)
        finally:
            self._done.set()


_LIVE: set[Job] = set()


def start_job(job: Job, pool: QThreadPool | None = None) -> Job:
    """Start ``job`` in ``pool`` (default: the global pool), keeping it alive until it ends."""
    _LIVE.add(job)
    for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
        signal.connect(lambda *_a, j=job: _LIVE.discard(j))
    (pool or QThreadPool.globalInstance()).start(job)
    return job


def audio_envelope(progress: Callable[[float, str], None], path: str, *, duration_s: float | None = None) -> np.ndarray:
    """Peak envelope of a file's audio: :data:`ENVELOPE_HZ` values per local second, 0..1.

    Decodes with the core's :func:`timesync.media.iter_audio_blocks` at 8 kHz
    (bounded memory) and keeps the absolute peak of each 1 ms; normalised to
    the file's own peak. A file with no audio gives an empty array.
    """
    from timesync.media import iter_audio_blocks

    hop = _DECODE_SR // ENVELOPE_HZ
    parts = []
    try:
        for start_s, block in iter_audio_blocks(path, sr=_DECODE_SR, block_s=30.0):
            usable = block[: block.size - block.size % hop]
            if usable.size:
                parts.append(np.abs(usable).reshape(-1, hop).max(axis=1))
            if duration_s:
                progress(min(1.0, (start_s + block.size / _DECODE_SR) / duration_s), "waveform")
            else:
                progress(0.0, "waveform")
    except TimesyncError as exc:
        if "audio" in str(exc).lower():
            return np.zeros(0, dtype=np.float32)
        raise
    if not parts:
        return np.zeros(0, dtype=np.float32)
    env = np.concatenate(parts).astype(np.float32)
    peak = float(env.max())
    return env / peak if peak > 0 else env
