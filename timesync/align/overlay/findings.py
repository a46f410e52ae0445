"""Device clock errors once the sources are aligned: :func:`clock_error` -> :class:`ClockErrorFinding`.

Two burned-in clocks compared at one shared moment: how far one device's clock
is ahead of (or behind) another's, from their ``overlay_clock`` findings and the
sources' ClockMaps (over a whole alignment: :func:`timesync.workflow.clock_errors`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timesync.align.device_clocks import UNVERIFIED
from timesync.align.overlay.parse import has_date, whole_days
from timesync.align.overlay.read import parse_clock_value
from timesync.clock import BurnedInClock, ClockMap

__all__ = ["ClockErrorFinding", "clock_error"]


@dataclass(frozen=True)
class ClockErrorFinding:
    """A device clock's error relative to another device's, once both are aligned.

    ``error_s`` > 0 means ``source``'s clock is ahead of ``relative_to``'s
    (it shows a later time at the same moment), measured at shared time
    ``at_shared_s``; ``uncertainty_s`` one sigma in seconds.
    """

    source: str
    relative_to: str
    error_s: float
    uncertainty_s: float
    at_shared_s: float
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"source": self.source, "relative_to": self.relative_to, "error_s": self.error_s,
                "uncertainty_s": self.uncertainty_s, "at_shared_s": self.at_shared_s,
                "sentence": self.sentence}


def _describe(seconds: float) -> str:
    """'3 minutes 48.2 s', '7.150 s', '2 hours 0 minutes 1.0 s'."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.3f} s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(round(minutes), 60)
    head = f"{hours} hour{'s' if hours != 1 else ''} " if hours else ""
    return f"{head}{minutes} minute{'s' if minutes != 1 else ''} {secs:.1f} s"


def clock_error(name: str, clock: ClockMap, overlay: dict[str, Any],
                base_name: str, base_clock: ClockMap, base_overlay: dict[str, Any]) -> ClockErrorFinding:
    """``name``'s device clock error relative to ``base_name``'s, both sources aligned.

    Parameters
    ----------
    name, base_name : str
        The sources (sentences name their file names).
    clock, base_clock : ClockMap
        Their placements on the shared clock (``shared = offset_s + rate * local``).
    overlay, base_overlay : dict
        Their ``overlay_clock`` findings (``at_local_zero``, ``rate``, ``uncertainty_s``).

    Returns
    -------
    ClockErrorFinding
        Measured at the shared time of ``name``'s local 0. When one overlay
        shows a zone and the other does not, the one without is read as UTC
        and the sentence says so.
    """
    mine, base = BurnedInClock.from_dict(overlay), BurnedInClock.from_dict(base_overlay)
    zero, zoned = parse_clock_value(mine.at_local_zero)
    base_zero, base_zoned = parse_clock_value(base.at_local_zero)
    rate, unc, base_rate, base_unc = mine.rate, mine.uncertainty_s or 0.0, base.rate, base.uncertainty_s or 0.0
    caveat = ""
    if zoned != base_zoned:
        naive = Path(base_name if zoned else name).name
        caveat = f"; {naive}'s overlay shows no zone and is read as UTC"
    at = clock.to_shared(0.0)  # shared time of this source's local 0
    error = (zero + rate * clock.to_local(at)) - (base_zero + base_rate * base_clock.to_local(at))
    error -= whole_days(error, all(o.layout is None or has_date(o.layout) for o in (mine, base)))
    sigma = math.sqrt(unc**2 + base_unc**2 + clock.uncertainty_s**2 + base_clock.uncertainty_s**2)
    file, other = Path(name).name, Path(base_name).name
    unverified = [Path(n).name for n, c in ((name, clock), (base_name, base_clock)) if UNVERIFIED in c.method]
    if unverified:  # placed by its clock: comparing the clocks would only read the placement back
        sentence = (f"{file}'s clock cannot be checked against {other}'s: {unverified[0]} is "
                    f"{UNVERIFIED}")
    elif abs(error) < max(2 * sigma, 0.0005):
        sentence = f"{file}'s clock agrees with {other}'s (difference {error:+.3f} s ± {sigma:.3f} s{caveat})"
    else:
        way = "ahead of" if error > 0 else "behind"
        sentence = f"{file}'s clock is {_describe(error)} {way} {other}'s (± {sigma:.3f} s{caveat})"
    return ClockErrorFinding(name, base_name, float(error), float(sigma), at, sentence)
