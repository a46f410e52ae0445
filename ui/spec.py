"""SourceSpec: what a view needs to know about one source, read from the project.

The bridge (:mod:`ui.bridge`) builds these from the core project so that the
players and the timeline depend on a small, stable shape rather than on every
detail of the project model.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timesync.clock import BurnedInClock, ClockMap

__all__ = ["SourceSpec", "overlay_reading", "format_datetime_ms", "format_uncertainty"]


@dataclass(frozen=True)
class SourceSpec:
    """One source as the views see it.

    Attributes
    ----------
    name : str
        The source's name in the project (its path as given); its identity.
    path : Path
        Absolute path of the media file (opened read-only by the core).
    clock : ClockMap or None
        ``shared = offset_s + rate * local``; ``None`` when not aligned.
    role : str
        "reference", "camera", "audio"... (informative).
    sha256 : str or None
    hash_status : str
        "verified", "changed", "missing" or "unverified".
    overlay_clock : dict or None
        The project's ``overlay_clock`` (``at_local_zero``, ``rate``, ``uncertainty_s``).
    reason : str
        Why it is not aligned, when it is not.
    """

    name: str
    path: Path
    clock: ClockMap | None = None
    role: str = ""
    sha256: str | None = None
    hash_status: str = "unverified"
    overlay_clock: dict[str, Any] | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        """Short display name (the file name)."""
        return Path(self.name).name or self.name

    @property
    def has_video(self) -> bool:
        """False only when the probe summary says the file has no video stream."""
        probe = self.extra.get("probe")
        if not probe:
            return True
        return bool(probe.get("video"))

    @property
    def method(self) -> str:
        """The alignment method of its clock ("" when not aligned)."""
        return self.clock.method if self.clock is not None else ""


def overlay_reading(overlay_clock: dict[str, Any] | None, local_s: float) -> str | None:
    """What the source's burned-in clock reads at local time ``local_s`` seconds.

    The dict is read by :meth:`timesync.clock.BurnedInClock.from_dict`
    (``at_local_zero``: the reading at local 0, ISO 8601; ``rate``: overlay
    seconds per local second). Returns the
    reading to the millisecond (``YYYY-MM-DD HH:MM:SS.mmm``), or ``None`` when
    the overlay clock is unknown or malformed.
    """
    clock = BurnedInClock.from_dict(overlay_clock)
    moment = None if clock is None else clock.reading(local_s)
    return None if moment is None else format_datetime_ms(moment)


def format_datetime_ms(moment: _dt.datetime, *, date: bool = True) -> str:
    """``YYYY-MM-DD HH:MM:SS.mmm`` (or ``HH:MM:SS.mmm``), rounded (not truncated) to the millisecond."""
    rounded = moment + _dt.timedelta(microseconds=500)
    rounded = rounded.replace(microsecond=(rounded.microsecond // 1000) * 1000)
    # adding half a millisecond then dropping the sub-millisecond part rounds half up
    text = rounded.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return f"{text}.{rounded.microsecond // 1000:03d}"


def format_uncertainty(seconds: float | None) -> str:
    """``±5.9 µs`` / ``±0.30 ms`` / ``±12.0 ms`` / ``±1.20 s`` for a one-sigma uncertainty in seconds."""
    if seconds is None:
        return ""
    if seconds < 1e-4:
        return f"±{seconds * 1e6:.1f} µs"
    if seconds < 0.01:
        return f"±{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"±{seconds * 1e3:.1f} ms"
    return f"±{seconds:.2f} s"
