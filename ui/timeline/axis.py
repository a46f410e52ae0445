"""The timeline's time axis and layout: shared seconds <-> widget x, zoom, ticks. Pure arithmetic.

``x = HEADER_W + (shared_s - t0) * pps``: ``t0`` is the shared time at the left
edge of the track area (just right of the track headers), ``pps`` the zoom in
pixels per shared second, from a quarter of the whole incident on the screen
down to :data:`MAX_PPS`. Nothing here paints or imports Qt, so it is tested
on numbers alone; ``x_of`` and ``time_at`` take NumPy arrays too.

Layout, top to bottom: the ruler (:data:`RULER_H` px), the events lane
(:data:`EVENTS_H`), then one row of :data:`TRACK_H` per source; the left
:data:`HEADER_W` px hold the lane and track names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from timesync.clock import ClockMap

__all__ = ["TimeAxis", "nice_step", "manual_clock", "track_row", "HEADER_W", "RULER_H", "EVENTS_H", "TRACK_H",
           "MAX_PPS"]

HEADER_W = 170
RULER_H = 34
EVENTS_H = 22
TRACK_H = 46
MAX_PPS = 20000.0  # pixels per second at the deepest zoom (one 30 fps frame = 667 px)
_MIN_AREA_W = 50  # px: the track area never counts as narrower than this
_STEPS = (1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def nice_step(min_seconds: float) -> float:
    """The smallest 1-2-5 step (seconds, or 1/2/5/10/15/30 s, min, h) that is ``>= min_seconds``."""
    for step in _STEPS:
        if step >= min_seconds:
            return float(step)
    return 3600.0 * math.ceil(min_seconds / 3600.0)


def manual_clock(clock: ClockMap, shift_s: float, frame_s: float, pixel_s: float = 0.0) -> ClockMap:
    """``clock`` moved by ``shift_s`` seconds, method "manual", sigma from one frame (and one pixel).

    A placement judged by eye is good to about a frame of that source:
    ``sigma = hypot(frame_s, pixel_s) / sqrt(12)`` (a uniform error over one
    frame, and over one screen pixel when dragged).
    """
    sigma = math.hypot(frame_s, pixel_s) / math.sqrt(12.0)
    return replace(clock.shifted(shift_s), uncertainty_s=sigma, method="manual")


def track_row(y: float, count: int) -> int | None:
    """The track row (0-based) under widget ``y``, or ``None`` above the first or below the last."""
    row = math.floor((y - RULER_H - EVENTS_H) / TRACK_H)
    return row if 0 <= row < count else None


@dataclass
class TimeAxis:
    """Shared seconds <-> widget x of a timeline ``width`` px wide (see the module docstring)."""

    t0: float = 0.0  # shared seconds at x = HEADER_W
    pps: float = 10.0  # pixels per shared second
    width: float = 0.0  # the widget's width, px

    @property
    def area_width(self) -> float:
        """Width of the track area (right of the headers), px."""
        return max(self.width - HEADER_W, _MIN_AREA_W)

    def x_of(self, shared_s):
        """Widget x of shared time ``shared_s`` (a float or an array)."""
        return HEADER_W + (shared_s - self.t0) * self.pps

    def time_at(self, x):
        """Shared time at widget x (a float or an array)."""
        return self.t0 + (x - HEADER_W) / self.pps

    @property
    def visible_range(self) -> tuple[float, float]:
        """Shared seconds at the left and right edges of the track area."""
        return self.t0, self.t0 + self.area_width / self.pps

    def min_pps(self, span: tuple[float, float]) -> float:
        """The widest zoom: four times the incident ``span`` (shared s; at least 1 s) on the screen."""
        start, end = span
        return max(self.area_width / max(end - start, 1.0) / 4, 1e-4)

    def fit(self, start: float, end: float) -> bool:
        """Show ``[start, end]`` with a 2 % margin each side; False (unchanged) for an empty span."""
        if end <= start:
            return False
        margin = (end - start) * 0.02
        self.pps = self.area_width / (end - start + 2 * margin)
        self.t0 = start - margin
        return True

    def set_view(self, t0: float, pps: float, min_pps: float) -> None:
        """Show from ``t0`` at ``pps`` (clamped to ``[min_pps, MAX_PPS]``)."""
        self.pps = min(max(pps, min_pps), MAX_PPS)
        self.t0 = t0

    def zoom_at(self, factor: float, anchor_t: float, anchor_x: float, min_pps: float) -> None:
        """Zoom by ``factor`` (clamped as :meth:`set_view`) keeping shared ``anchor_t`` at pixel ``anchor_x``."""
        self.pps = min(max(self.pps * factor, min_pps), MAX_PPS)
        self.t0 = anchor_t - (anchor_x - HEADER_W) / self.pps

    def scroll(self, steps: float) -> None:
        """Scroll by wheel steps: 60 px each, a positive step moves the view earlier."""
        self.t0 -= steps * 60 / self.pps

    def follow(self, t: float, forward: bool) -> bool:
        """While playing: when ``t`` leaves the view, turn a page so it is 10 % in (90 % playing backwards).

        Returns True when the view moved.
        """
        t0, t1 = self.visible_range
        if t0 <= t <= t1:
            return False
        self.t0 = t - 0.1 * (t1 - t0) if forward else t - 0.9 * (t1 - t0)
        return True

    def ticks(self, step: float) -> list[float]:
        """Shared times ``k * step`` from the last one at or before the left edge through the right edge."""
        t0, t1 = self.visible_range
        k = math.floor(t0 / step)
        out = []
        while k * step <= t1:
            out.append(k * step)
            k += 1
        return out
