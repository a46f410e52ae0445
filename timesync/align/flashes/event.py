"""A visual event (a flash, a light switched on) found by :mod:`timesync.align.flashes.detect`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["VisualEvent"]


@dataclass(frozen=True)
class VisualEvent:
    """One abrupt brightness change in a video.

    The onset (local seconds) is ``boundary_s - flash_s * ratio`` for a flash of
    duration ``flash_s`` (see the module docstring); ``sigma_s`` is the
    one-sigma uncertainty of that onset apart from ``flash_s``.

    Attributes
    ----------
    boundary_s, ratio, sigma_s : float
        As above (seconds, pure number, seconds).
    frame : int
        First frame showing the change.
    frames : int
        Frames lit (0 for a lasting step).
    strength : float
        Peak brightening of the brightest cell, grey levels.
    cell : tuple[int, int]
        ``(column, row)`` of that cell in the :data:`GRID`.
    frame_s : float
        Duration of the first lit frame (s).
    saturated : bool
        The flash drove cells to full brightness, so how its energy splits
        between frames is not measured: its onset is only known to a frame.
    uniform : bool
        The onset is only known to lie within an interval (a frame):
        uniformly, ``sigma_s`` times sqrt(3) either way at most, rather than
        with a normal error.
    """

    boundary_s: float
    ratio: float
    sigma_s: float
    frame: int
    frames: int
    strength: float
    cell: tuple[int, int]
    frame_s: float
    saturated: bool = False
    uniform: bool = False
    span_s: float | None = None

    def onset_s(self, flash_s: float) -> float:
        """Onset in local seconds for a flash lasting ``flash_s`` seconds."""
        return self.boundary_s - flash_s * self.ratio

    def flash_bounds_s(self) -> tuple[float, float]:
        """Durations (s) a flash lighting this event's frames can have: ``(shortest, longest)``.

        A flash lighting ``k`` frames lasts more than ``k - 2`` frames and at
        most ``k`` frames, widened by half a frame either way for a frame lit
        too faintly to count (and the frames' durations not all equal); with
        ``span_s`` (the lit frames' time from the first's start to the last's
        end: frame times vary), more than ``span_s`` less two frames and at most
        ``span_s``, widened the same. A lasting step is no flash: ``(inf, inf)``.
        """
        if self.frames == 0:
            return math.inf, math.inf
        if self.span_s is not None:
            return max(0.0, self.span_s - 2.5 * self.frame_s), self.span_s + 0.5 * self.frame_s
        return max(0.0, self.frames - 2.5) * self.frame_s, (self.frames + 0.5) * self.frame_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"boundary_s": round(self.boundary_s, 6), "ratio": round(self.ratio, 4),
                "sigma_s": round(self.sigma_s, 6), "frame": self.frame, "frames": self.frames,
                "strength": round(self.strength, 1), "cell": list(self.cell), "saturated": self.saturated,
                "uniform": self.uniform}
