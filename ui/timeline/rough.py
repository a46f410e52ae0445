"""Rough placement by hand: drag the empty track of a source that is not placed (issue 19).

The reviewer drags the track of a source no evidence places to where it
roughly belongs; the source then has a clock of method :data:`ROUGH_METHOD`
with a wide uncertainty (:func:`rough_clock`), its view follows the shared
clock near the right moment, and a tie (T) places it exactly. The widget's
``roughPlaced(name, clock)`` says where it was dropped.
"""

from __future__ import annotations

from timesync.clock import IDENTITY, ClockMap
from timesync.project.alignment_edits import ROUGH_METHOD
from ui.timeline.items import Track

__all__ = ["ROUGH_METHOD", "ROUGH_MIN_SIGMA_S", "ROUGH_PIXELS", "rough_clock", "rough_drag"]

#: The smallest one-sigma uncertainty (s) of a rough placement: a position judged on
#: a timeline, not on frames.
ROUGH_MIN_SIGMA_S = 5.0
#: ... and no less than this many screen pixels at the zoom it was dropped at.
ROUGH_PIXELS = 20.0


def rough_clock(track: Track, start_shared_s: float, pixel_s: float) -> ClockMap:
    """The clock that puts ``track``'s first local second (``start_local``) at shared
    ``start_shared_s`` seconds, rate 1, one sigma ``max(ROUGH_MIN_SIGMA_S, ROUGH_PIXELS * pixel_s)``
    (``pixel_s``: seconds per screen pixel), method :data:`ROUGH_METHOD`."""
    sigma = max(ROUGH_MIN_SIGMA_S, ROUGH_PIXELS * pixel_s)
    shift = start_shared_s - IDENTITY.to_shared(track.start_local)
    return ClockMap(IDENTITY.shifted(shift).offset_s, 1.0, sigma, ROUGH_METHOD)


def rough_drag(track: Track, x: float) -> dict:
    """The drag state of a rough placement started at widget ``x`` (see the widget's mouse mixin)."""
    return {"kind": "rough", "name": track.spec.name, "x": x, "track": track, "preview": None, "moved": False}
