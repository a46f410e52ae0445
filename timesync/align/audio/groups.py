"""Fine windows that fall into a few tight groups: sound from several places.

Two recordings of one scene agree on one clock line to tens of microseconds
when every sound comes from one place. When the sounds come from several places
(two talkers at different distances, a radio and a shout), each window measures
the arrival difference of the sound it holds, and the offsets fall into a few
tight groups a few milliseconds apart, taking turns along the recording. That
is sound travel, which the travel bound of the constraint covers
(:mod:`timesync.detect.travel`), not a broken recording.

A recording whose offset steps (damaged or edited audio) looks different: one
line through the steps leaves a sawtooth (the residuals spread continuously)
or, with no rate to absorb them, one group per stretch of time, never returning.
:func:`several_places` tells the first apart from these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_GROUP_SPREAD_S", "MIN_GROUP_SEPARATION", "MAX_GROUPS", "Groups", "several_places"]

#: Largest robust spread (one sigma, seconds) of the offsets within one group.
MAX_GROUP_SPREAD_S = 0.0005
#: Adjacent groups are at least this many times the larger within-group spread apart.
MIN_GROUP_SEPARATION = 6.0
#: Most groups (places) considered.
MAX_GROUPS = 3


@dataclass(frozen=True)
class Groups:
    """The groups the window offsets fall into.

    ``centres_s`` are the groups' median residuals about the fitted line (s,
    ascending), ``counts`` their windows, ``runs`` the number of runs of one group
    along the recording (more runs than groups: the groups take turns).
    """

    centres_s: tuple[float, ...]
    counts: tuple[int, ...]
    runs: int

    @property
    def span_s(self) -> float:
        """Distance (s) between the outermost groups."""
        return self.centres_s[-1] - self.centres_s[0]

    def sentence(self) -> str:
        """What the groups say, for a match's evidence."""
        return (f"the fine windows fall in {len(self.centres_s)} groups {self.span_s * 1e3:.1f} ms apart "
                f"that take turns ({self.runs} runs): sound from places at different distances")


def _split(values: np.ndarray, k: int) -> list[np.ndarray]:
    """``values`` (sorted) cut at the ``k - 1`` largest gaps."""
    cuts = np.sort(np.argsort(np.diff(values))[::-1][: k - 1]) + 1
    return np.split(values, cuts)


def _spread(part: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(part - np.median(part))))


def several_places(times_s: np.ndarray, residuals_s: np.ndarray) -> Groups | None:
    """The groups of the residuals (s, about the fitted line, at window times ``times_s``)
    when they are a few tight, well separated groups that take turns, else None.

    Each group holds at least two windows, spreads at most :data:`MAX_GROUP_SPREAD_S`,
    and lies :data:`MIN_GROUP_SEPARATION` spreads (at least 1 ms) from its neighbour;
    along the recording the groups alternate: more runs than groups.
    """
    t = np.asarray(times_s, dtype=float)
    r = np.asarray(residuals_s, dtype=float)
    if r.size < 4:
        return None
    order = np.argsort(r)
    for k in range(2, MAX_GROUPS + 1):
        parts = _split(r[order], k)
        if any(p.size < 2 for p in parts):
            continue
        spread = max(max(_spread(p) for p in parts), 1e-5)
        centres = [float(np.median(p)) for p in parts]
        gaps = np.diff(centres)
        if spread > MAX_GROUP_SPREAD_S or gaps.min() < max(MIN_GROUP_SEPARATION * spread, 0.001):
            continue
        edges = [p[-1] for p in parts[:-1]]
        labels = np.searchsorted(edges, r, side="left")
        in_time = labels[np.argsort(t)]
        runs = int(1 + np.count_nonzero(np.diff(in_time)))
        if runs > k:
            return Groups(tuple(centres), tuple(int(p.size) for p in parts), runs)
        return None  # tight groups, one stretch of time each: the offset steps
    return None
