"""A tiny evented mechanism in pure Python, for the Qt views to observe the model.

The model calls :meth:`EventEmitter.emit` only when a value really changed, so a
view that writes back the value it was just told about ends the loop there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ChangeEvent", "EventEmitter", "EVENT_KINDS"]

#: Every kind of :class:`ChangeEvent` the project emits.
EVENT_KINDS = (
    "annotation_added",
    "annotation_changed",
    "annotation_removed",
    "source_added",
    "source_changed",
    "source_removed",
    "clock_changed",
    "vocabulary_changed",
    "reference_changed",
    "anchors_changed",
    "saved",
    "dirty_changed",
)


@dataclass(frozen=True)
class ChangeEvent:
    """One change of the project.

    Attributes
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    target : str
        What changed: an annotation id (``"e3"``), a source name, ``"vocabulary"``,
        ``"project"``.
    before, after : object
        The old and new value (an ``Annotation``, a ``Source``, a ``ClockMap``,
        a tuple of event types, a bool, a path...); ``None`` for "did not exist".
    """

    kind: str
    target: str
    before: Any = None
    after: Any = None


Callback = Callable[[ChangeEvent], Any]


class EventEmitter:
    """Callbacks connected to a model; ``connect(cb)``, ``disconnect(cb)``, ``emit(event)``."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        """Call ``callback(event)`` on every change; returns it (usable as a decorator)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback | None = None) -> None:
        """Stop calling ``callback`` (every callback when ``None``); unknown ones are ignored."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: ChangeEvent) -> None:
        """Call every callback with ``event``; the first exception is re-raised after all ran."""
        error: BaseException | None = None
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception as exc:  # noqa: BLE001 - every view must hear of the change
                error = error or exc
        if error is not None:
            raise error

    def __len__(self) -> int:
        return len(self._callbacks)
