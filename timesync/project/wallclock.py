"""Wall-clock (date and time of day) readings of shared-clock moments, when known.

Two bases, in order of preference:

1. the project's ``wall_clock`` (``{"utc_at_shared_zero": ISO, "uncertainty_s": s,
   "basis": text}``): ``utc = utc_at_shared_zero + shared_s``;
2. the burned-in clock of the reference (or else the first aligned source with
   one), ``overlay_clock`` (read by :class:`timesync.clock.BurnedInClock`):
   ``reading = at_local_zero + rate * local``. This is
   what that device's clock showed, which may itself be wrong by seconds; the
   basis says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from timesync.clock import BurnedInClock

if TYPE_CHECKING:
    from timesync.project.view import ProjectView

__all__ = ["WallClock", "wall_clock_of", "format_wall"]


@dataclass(frozen=True)
class WallClock:
    """``reading(shared_s) = at_shared_zero + scale * shared_s`` seconds; ``basis`` says whose clock."""

    at_shared_zero: datetime
    scale: float
    uncertainty_s: float | None
    basis: str

    def reading(self, shared_s: float) -> datetime:
        """The wall-clock reading at shared time ``shared_s`` (seconds)."""
        return self.at_shared_zero + timedelta(seconds=self.scale * shared_s)

    def text(self, shared_s: float) -> str:
        """ISO 8601 reading rounded to the millisecond."""
        return format_wall(self.reading(shared_s))


def format_wall(moment: datetime) -> str:
    """ISO 8601 with milliseconds, rounded (``isoformat`` would truncate); ``Z`` for UTC."""
    micro = round(moment.microsecond / 1000) * 1000
    rounded = moment.replace(microsecond=0) + timedelta(microseconds=micro)
    text = rounded.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def wall_clock_of(project: ProjectView) -> WallClock | None:
    """The best wall-clock basis of ``project``, or ``None`` when none is known."""
    wall = project.wall_clock
    if wall and isinstance(wall.get("utc_at_shared_zero"), str):
        zero = _parse(wall["utc_at_shared_zero"])
        if zero is not None:
            unc = wall.get("uncertainty_s")
            return WallClock(zero, 1.0, float(unc) if isinstance(unc, int | float) else None,
                             str(wall.get("basis") or "project wall clock"))
    candidates = sorted(project.sources, key=lambda s: s.name != project.reference)
    for source in candidates:
        overlay = BurnedInClock.from_dict(source.overlay_clock)
        if source.clock is None or overlay is None:
            continue
        zero_local = overlay.zero()
        if zero_local is None:
            continue
        rate = overlay.rate
        clock = source.clock
        # reading = zero_local + rate * local, and local = local_duration(shared - to_shared(0)):
        # reading seconds per shared second are local_duration(rate), zero at to_shared(0)
        scale = clock.local_duration(rate)
        at_zero = zero_local + timedelta(seconds=-scale * clock.to_shared(0.0))
        return WallClock(at_zero, scale, overlay.uncertainty_s,
                         f"burned-in clock of {source.name} (device time, may be off)")
    return None
