"""How likely a match of two event patterns is as chance coincidences of unrelated events.

Used by :func:`timesync.align.flashes.pattern.match_and_fit`: :func:`evidence`
(how unlikely one hypothesis's pairs are), :func:`chance_anywhere` (how many of
all the offsets tried would pair as well by chance: the look-elsewhere bound).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from timesync.align.flashes.durations import duration_spread

if TYPE_CHECKING:
    from timesync.align.flashes.pattern import EventSet, MatchedFit

__all__ = ["tolerance", "evidence", "pair_logs", "chance_anywhere"]


def tolerance(a: EventSet, b: EventSet) -> np.ndarray:
    """How far (s) the onsets of events ``i`` of ``a`` and ``j`` of ``b`` may differ if the same: ``[i, j]``.

    Three combined normal sigmas, plus the half-widths of uniform errors
    (bounded), plus 2 ms.
    """
    (sig_a, half_a), (sig_b, half_b) = a.spread(), b.spread()
    return 3 * np.hypot(sig_a[:, None], sig_b[None, :]) + half_a[:, None] + half_b[None, :] + 0.002


def evidence(a: EventSet, b: EventSet, pairs: Sequence[tuple[int, int]], density: float,
              fit: MatchedFit | None = None) -> float:
    """How unlikely (log10) the ``pairs`` are as chance coincidences of unrelated events.

    Each pair agrees within its :func:`tolerance` ``tol``; an event of ``b``
    (``density`` per second) falls within ``tol`` of a given time by chance
    with probability ``min(1, 2 tol density)``. Precise pairs weigh more than
    pairs of flashes lit in one frame only (known to a frame). With a ``fit``
    made with each flash's own duration (``per_flash``), each pair's tolerance widens by how
    far its onsets may move with its own duration (:func:`~timesync.align.flashes.durations.duration_spread`).
    """
    return -sum(pair_logs(a, b, pairs, density, fit))


def pair_logs(a: EventSet, b: EventSet, pairs: Sequence[tuple[int, int]], density: float,
              fit: MatchedFit | None = None) -> list[float]:
    """log10 of each pair's chance to agree by coincidence (see :func:`evidence`): each <= 0."""
    if not pairs:
        return []
    tol = tolerance(a, b)
    if fit is not None and fit.per_flash:
        tol = tol + duration_spread(a, b, fit.flash_s)
    return [math.log10(min(1.0, 2 * float(tol[i, j]) * density)) for i, j in pairs]


def chance_anywhere(n_a: int, n_b: int, logs: Sequence[float]) -> float:
    """log10 of the expected number of offsets at which ``len(logs)`` pairs would agree this well by chance.

    Every pairing of one of the ``n_a`` events of one set with one of the
    ``n_b`` of the other is an offset tried; that pair agrees by
    construction, so its chance is left out (the least likely one, to be
    safe). Of the other ``n_a - 1`` events, any ``k - 1`` may be the ones
    that agree (``C(n_a - 1, k - 1)`` ways), each by chance with the
    probabilities ``10 ** logs``; an offset where ``k`` pairs agree is
    tried ``k`` times (once from each of its pairs). A union bound: an upper
    bound on the expected number, as subsets overlap.
    """
    k = len(logs)
    if k == 0:
        return 0.0
    rest = sum(logs) - min(logs)
    ways = math.comb(max(n_a - 1, k - 1), k - 1)
    return math.log10(max(1, n_a * n_b)) + math.log10(ways) - math.log10(k) + rest
