"""ClockMap: the affine map from a source's local time to the shared clock.

Convention (see DESIGN.md, "Time")::

    shared = offset_s + rate * local

* ``local`` is seconds from the first presented frame or sample of the file.
* ``offset_s`` is the shared time at which the source's local time 0 falls:
  a positive offset means the source started *after* the reference.
* ``rate = 1 + drift_ppm * 1e-6``: a rate above 1 means the source's clock runs
  slow (one local second spans more than one shared second).
* ``uncertainty_s`` is one standard deviation of ``to_shared`` in seconds,
  taken over the source's recording (it is not propagated through ``compose``
  exactly: see :meth:`ClockMap.compose`).

This module is the only place that writes the convention out. Every other
module maps times through a ClockMap (``to_shared``, ``to_local``,
``shared_duration``, ``local_duration``, ``shifted``, ``with_rate``,
:func:`shared_frame_start`), also for pairwise relations of the same shape
(a :class:`~timesync.align.constraints.Constraint` is the ClockMap from one
source's local time to another's: ``Constraint.clock``). The mapping methods
take floats or numpy arrays alike (element-wise, same arithmetic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ClockMap", "IDENTITY", "FrameTimes", "BurnedInClock", "drift_ppm_to_rate", "rate_to_drift_ppm", "shared_frame_start",
]

#: A time in seconds: a float, or a numpy array of them (mapped element-wise).
Seconds = TypeVar("Seconds", float, "np.ndarray")

#: Two clock maps are ``almost_equal`` when both parameters agree to this
#: (seconds for the offset, a pure number for the rate).
DEFAULT_EPSILON = 1e-9


def drift_ppm_to_rate(drift_ppm: float) -> float:
    """Rate of a clock that gains ``drift_ppm`` parts per million (``rate = 1 + ppm*1e-6``)."""
    return 1.0 + drift_ppm * 1e-6


def rate_to_drift_ppm(rate: float) -> float:
    """Inverse of :func:`drift_ppm_to_rate`: parts per million."""
    return (rate - 1.0) * 1e6


@dataclass(frozen=True)
class ClockMap:
    """``shared = offset_s + rate * local``, with its one-sigma uncertainty in seconds.

    ``method`` names the evidence that produced the map ("reference", "audio",
    "overlay", "visual", "metadata", "manual", ...). It is informative only and
    does not take part in equality.
    """

    offset_s: float = 0.0
    rate: float = 1.0
    uncertainty_s: float = 0.0
    method: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.offset_s) and math.isfinite(self.rate)):
            raise ValueError(f"ClockMap needs finite offset and rate, got {self.offset_s!r}, {self.rate!r}")
        if self.rate <= 0:
            raise ValueError(f"ClockMap rate must be > 0, got {self.rate!r}")
        if not self.uncertainty_s >= 0:
            raise ValueError(f"ClockMap uncertainty must be >= 0, got {self.uncertainty_s!r}")

    # -- mapping ---------------------------------------------------------------
    def to_shared(self, local_s: Seconds) -> Seconds:
        """Shared-clock seconds at local time ``local_s`` (seconds; float or array)."""
        return self.offset_s + self.rate * local_s

    def to_local(self, shared_s: Seconds) -> Seconds:
        """Local seconds at shared time ``shared_s``; exact inverse of :meth:`to_shared`."""
        return (shared_s - self.offset_s) / self.rate

    def shared_duration(self, local_duration_s: Seconds) -> Seconds:
        """Shared seconds spanned by ``local_duration_s`` local seconds (``rate * d``)."""
        return self.rate * local_duration_s

    def local_duration(self, shared_duration_s: Seconds) -> Seconds:
        """Local seconds spanned by ``shared_duration_s`` shared seconds (``d / rate``)."""
        return shared_duration_s / self.rate

    @property
    def drift_ppm(self) -> float:
        """Clock drift in parts per million (``(rate - 1) * 1e6``)."""
        return rate_to_drift_ppm(self.rate)

    # -- algebra ---------------------------------------------------------------
    def inverse(self) -> ClockMap:
        """The map from shared time back to local time (same uncertainty, rescaled)."""
        return ClockMap(
            offset_s=-self.offset_s / self.rate,
            rate=1.0 / self.rate,
            uncertainty_s=self.uncertainty_s / self.rate,
            method=self.method,
        )

    def compose(self, outer: ClockMap) -> ClockMap:
        """``outer ∘ self``: first this map, then ``outer``.

        If ``self`` takes A's local time to B's local time and ``outer`` takes
        B's local time to the shared clock, the result takes A's local time to
        the shared clock. Uncertainties add in quadrature (the two are taken
        as independent), ``self``'s scaled by ``outer.rate``.
        """
        return ClockMap(
            offset_s=outer.offset_s + outer.rate * self.offset_s,
            rate=outer.rate * self.rate,
            uncertainty_s=math.hypot(outer.rate * self.uncertainty_s, outer.uncertainty_s),
            method=self.method or outer.method,
        )

    def shifted(self, shift_s: float) -> ClockMap:
        """A copy placed ``shift_s`` seconds later on the shared clock (positive: later)."""
        return replace(self, offset_s=self.offset_s + shift_s)

    def with_rate(self, rate: float, at_local_s: float) -> ClockMap:
        """A copy with another ``rate`` that agrees with this map at local time ``at_local_s``.

        The map turns about the point ``(at_local_s, to_shared(at_local_s))``:
        ``offset_s`` becomes ``offset_s + (self.rate - rate) * at_local_s``.
        """
        return replace(self, offset_s=self.offset_s + (self.rate - rate) * at_local_s, rate=rate)

    def almost_equal(self, other: ClockMap, epsilon: float = DEFAULT_EPSILON) -> bool:
        """Offsets agree within ``epsilon`` seconds and rates within ``epsilon``."""
        return abs(self.offset_s - other.offset_s) <= epsilon and abs(self.rate - other.rate) <= epsilon

    # -- serialisation -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The project-JSON keys ``offset_s``, ``rate``, ``uncertainty_s``, ``method``."""
        return {
            "offset_s": self.offset_s,
            "rate": self.rate,
            "uncertainty_s": self.uncertainty_s,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClockMap:
        """Inverse of :meth:`to_dict`; missing rate/uncertainty default to 1 and 0."""
        return cls(
            offset_s=float(data["offset_s"]),
            rate=float(data.get("rate", 1.0)),
            uncertainty_s=float(data.get("uncertainty_s") or 0.0),
            method=str(data.get("method") or ""),
        )


class FrameTimes(Protocol):
    """What :func:`shared_frame_start` needs of a frame index (:class:`timesync.media.FrameIndex`)."""

    def frame_time(self, n: int) -> float:
        """Local start time of frame ``n`` (s)."""

    def frame_at_shared(self, clock: ClockMap, shared_s: float) -> Any:
        """The frame (with a ``number``) shown at shared time ``shared_s``, or None."""


def shared_frame_start(clock: ClockMap, frames: FrameTimes, number: int) -> float:
    """Shared time (s) of the start of frame ``number``, snapped so that it maps back to that frame.

    ``clock.to_shared(frames.frame_time(number))`` can land a hair before the
    frame once mapped back to local time and rounded to a PTS tick (float
    error in offset and rate): the time is then nudged up, by one float step
    at a time (8 times), then by 1 ns at a time, until ``frames`` shows frame
    ``number`` or a later one there (at most 64 steps; then the last time tried).
    """
    t = clock.to_shared(frames.frame_time(number))
    for attempt in range(64):
        ref = frames.frame_at_shared(clock, t)
        if ref is not None and ref.number >= number:
            return t
        t = math.nextafter(t, math.inf) if attempt < 8 else t + 1e-9
    return t


#: The reference source's map: shared time is its local time.
IDENTITY = ClockMap(0.0, 1.0, 0.0, "reference")


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


@dataclass(frozen=True)
class BurnedInClock:
    """What a source's burned-in clock shows: the one reading of a source entry's ``overlay_clock``.

    ``reading(local) = at_local_zero + rate * local`` seconds of the device's
    clock (which may itself be wrong by seconds: it is what the device showed).

    Attributes
    ----------
    at_local_zero : str
        ISO 8601 reading at the source's local time 0 (a zone only when the overlay shows one).
    rate : float
        Overlay seconds per local second (1.0 when the entry has no valid rate).
    uncertainty_s : float or None
        One sigma of the reading, seconds, when known.
    layout : str or None
        The overlay's text layout (``"YYYY-MM-DD HH:MM:SS"``), when known.
    """

    at_local_zero: str
    rate: float = 1.0
    uncertainty_s: float | None = None
    layout: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> BurnedInClock | None:
        """The clock of an ``overlay_clock`` dict; ``None`` when there is none (no dict, or no
        ``at_local_zero`` text). The dict's other facts (ticks, readings...) are the aligner's."""
        if not isinstance(data, dict):
            return None
        text = data.get("at_local_zero")
        if not isinstance(text, str) or not text:
            return None
        rate, unc, layout = data.get("rate"), data.get("uncertainty_s"), data.get("layout")
        known_unc = isinstance(unc, int | float) and not isinstance(unc, bool)
        return cls(text, float(rate) if _positive_number(rate) else 1.0, float(unc) if known_unc else None,
                   layout if isinstance(layout, str) else None)

    def to_dict(self) -> dict[str, Any]:
        """The keys :meth:`from_dict` reads (``at_local_zero``, ``rate``, ``uncertainty_s``, ``layout``)."""
        return {"at_local_zero": self.at_local_zero, "rate": self.rate, "uncertainty_s": self.uncertainty_s,
                "layout": self.layout}

    def zero(self) -> datetime | None:
        """:attr:`at_local_zero` as a datetime (aware when it has a zone or ``Z``); ``None`` if malformed."""
        try:
            return datetime.fromisoformat(self.at_local_zero.replace("Z", "+00:00"))
        except (TypeError, ValueError):
            return None

    def reading(self, local_s: float) -> datetime | None:
        """What the overlay shows at local time ``local_s`` (seconds), to the microsecond
        (rounded); ``None`` when :attr:`at_local_zero` is malformed."""
        zero = self.zero()
        if zero is None:
            return None
        return zero + timedelta(microseconds=round(self.rate * local_s * 1e6))
