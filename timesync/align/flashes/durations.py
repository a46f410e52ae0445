"""How long flashes last: what the frames an event lit say of its duration, for the matcher.

Used by :mod:`timesync.align.flashes.pattern`: :func:`crossings_unlikely`
(is one fitted duration for all flashes plausible, given how often they lit
two frames?) and :func:`duration_spread` (how far a pair's onsets may move
when each flash lasts its own time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from timesync.align.flashes.pattern import EventSet

__all__ = ["crossings_unlikely", "duration_spread"]


def crossings_unlikely(events: Sequence[tuple[EventSet, int]], flash_s: float, p_min: float = 1e-3) -> bool:
    """True when flashes lasting ``flash_s`` would light two frames or more as often as ``events`` did
    (or as seldom) with probability below ``p_min``.

    A flash of duration L starting at a random time within a frame of
    duration f crosses into the next frame with probability min(1, L / f).
    ``events``: (set, index) pairs; events lit in one frame only count as not
    crossing, events over two frames or more (not lit in a uniform way) as
    crossing; instants and events of unknown kind do not count.
    """
    crossing, chances = 0, []
    for events_set, k in events:
        if events_set.frame_s is None or events_set.uniform is None or events_set.longest is None:
            continue
        single = bool(events_set.uniform[k]) and events_set.r[k] == 0.5
        if not single and (events_set.uniform[k] or not np.isfinite(events_set.longest[k])):
            continue  # saturated, two flashes in one run, or a lasting step: which is not known
        chances.append(min(1.0, flash_s / float(events_set.frame_s[k])))
        crossing += not single
    if not chances:
        return False
    # P(at least `crossing` crossings) for independent events with these chances (Poisson binomial)
    dist = np.zeros(len(chances) + 1)
    dist[0] = 1.0
    for p in chances:
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return min(float(dist[crossing:].sum()), float(dist[:crossing + 1].sum())) < p_min


def duration_spread(a: EventSet, b: EventSet, flash_s: float) -> np.ndarray:
    """How far (s) the onsets of events ``i`` of ``a`` and ``j`` of ``b`` may move with the flash's duration: ``[i, j]``.

    An onset read from how a flash's light splits between two frames is
    ``t - L r``; with one duration ``L`` fitted for all flashes it is known to
    the fit. When it could not be fitted (flashes of different durations,
    held at ``flash_s``), each pair's onsets may differ by ``|r_b - r_a|``
    times how far its own duration may lie from ``flash_s`` within the
    durations both events allow (:meth:`EventSet.bounds`, at most 0.2 s).
    """
    (short_a, long_a), (short_b, long_b) = a.bounds(), b.bounds()
    lo = np.maximum(short_a[:, None], short_b[None, :])
    hi = np.minimum(np.minimum(long_a[:, None], long_b[None, :]), 0.2)
    reach = np.clip(np.maximum(flash_s - lo, hi - flash_s), 0.0, 0.2)
    return np.abs(b.r[None, :] - a.r[:, None]) * reach
