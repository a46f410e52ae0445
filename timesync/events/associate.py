"""Association: which arrivals, across sources, are one shot.

Sources are taken in turn (most impulses first); see
:mod:`timesync.events.shots` for the method. :func:`associate` returns
clusters of one impulse per source that heard the shot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from timesync.events.impulses import Impulse
from timesync.events.tracks import _Track

__all__ = ["associate"]


@dataclass
class _Cluster:
    anchor_s: float  # shared arrival of the first member: the reference for lags
    members: dict[str, Impulse] = field(default_factory=dict)


def _groups(a: np.ndarray, b: np.ndarray, reach: float) -> Iterator[tuple[list[int], list[int]]]:
    """Split two sorted time lists into independent runs (no pair across runs is within ``reach``)."""
    events = sorted([(t, 0, i) for i, t in enumerate(a)] + [(t, 1, j) for j, t in enumerate(b)])
    run: tuple[list[int], list[int]] = ([], [])
    last = -math.inf
    for t, which, k in events:
        if t - last > reach and (run[0] or run[1]):
            yield run
            run = ([], [])
        run[which].append(k)
        last = t
    if run[0] or run[1]:
        yield run


def _align(c: np.ndarray, a: np.ndarray, lag: float, lo: float, hi: float) -> list[tuple[int, int]]:
    """Order-preserving pairs (i, j) of ``c`` and ``a`` minimising sum |a_j - c_i - lag| + gap costs.

    A pair needs ``lo <= a_j - c_i <= hi``; each unpaired element costs
    ``gap = max(hi - lag, lag - lo)``, so any allowed pair beats two gaps.
    Pairs never cross: two shots of a burst are never swapped.
    """
    gap = max(hi - lag, lag - lo, 1e-6)
    pairs: list[tuple[int, int]] = []
    for gi, gj in _groups(c, a, max(abs(lo), abs(hi))):
        n, m = len(gi), len(gj)
        cost = np.full((n + 1, m + 1), np.inf)
        cost[0, :] = np.arange(m + 1) * gap
        cost[:, 0] = np.arange(n + 1) * gap
        move = np.zeros((n + 1, m + 1), np.int8)  # 0 pair, 1 skip c, 2 skip a
        move[1:, 0], move[0, 1:] = 1, 2
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                d = a[gj[j - 1]] - c[gi[i - 1]]
                best, how = cost[i - 1, j] + gap, 1
                if cost[i, j - 1] + gap < best:
                    best, how = cost[i, j - 1] + gap, 2
                if lo <= d <= hi and cost[i - 1, j - 1] + abs(d - lag) <= best:
                    best, how = cost[i - 1, j - 1] + abs(d - lag), 0
                cost[i, j], move[i, j] = best, how
        i, j = n, m
        while i > 0 or j > 0:
            how = move[i, j]
            if how == 0:
                pairs.append((gi[i - 1], gj[j - 1]))
                i, j = i - 1, j - 1
            elif how == 1:
                i -= 1
            else:
                j -= 1
    return sorted(pairs)


def _mode_lag(c: np.ndarray, a: np.ndarray, window: float, half_width: float) -> float:
    """The pairwise difference ``a - c`` (within ``window``) shared by most pairs (0 if none)."""
    diffs = (a[None, :] - c[:, None]).ravel() if len(c) and len(a) else np.zeros(0)
    diffs = diffs[np.abs(diffs) <= window]
    if len(diffs) == 0:
        return 0.0
    diffs.sort()
    counts = np.searchsorted(diffs, diffs + half_width, "right") - np.searchsorted(diffs, diffs - half_width, "left")
    best = counts.max()
    cands = diffs[counts == best]
    # the centre of the densest cluster; among equals the smallest |lag|
    lag = cands[np.argmin(np.abs(cands))]
    near = diffs[np.abs(diffs - lag) <= half_width]
    return float(np.median(near))


def associate(
    tracks: Sequence[_Track],
    *,
    max_travel_s: float = 0.05,
    expected_lag: Callable[[str, str], float | None] | None = None,
    max_lag: Callable[[str, str], float | None] | None = None,
) -> list[_Cluster]:
    """Group arrivals of one shot across tracks (see the module docstring).

    ``expected_lag(first, other)`` may give the known arrival difference
    (other - first, seconds) from known distances (the window, ``max_travel_s``
    plus 3 sigma, is then centred on it); ``max_lag`` the largest possible one
    from camera positions. Without either, the window is ``max_travel_s`` plus
    3 sigma, pairs preferring the most common lag.
    """
    usable = [t for t in tracks if t.clock is not None and t.impulses]
    usable.sort(key=lambda t: -len(t.impulses))
    clusters: list[_Cluster] = []
    for track in usable:
        arrivals = np.array([track.arrival(imp) for imp in track.impulses])
        if not clusters:
            clusters = [_Cluster(t, {track.name: imp}) for t, imp in zip(arrivals, track.impulses, strict=True)]
            first = track
            continue
        anchors = np.array([c.anchor_s for c in clusters])
        sigma = 3.0 * math.hypot(track.sigma, first.sigma)
        known = expected_lag(first.name, track.name) if expected_lag else None
        if known is not None:
            # centred on the expected difference; as wide as without positions,
            # so that a wrong distance still pairs and fails the travel check
            lag, lo, hi = known, known - max_travel_s - sigma, known + max_travel_s + sigma
        else:
            travel = max_lag(first.name, track.name) if max_lag else None
            window = (travel if travel is not None else max_travel_s) + sigma
            lag = _mode_lag(anchors, arrivals, window, 0.002 + sigma / 3)
            lo, hi = -window, window
        pairs = _align(anchors, arrivals, lag, lo, hi)
        paired = set()
        for i, j in pairs:
            clusters[i].members[track.name] = track.impulses[j]
            paired.add(j)
        for j, imp in enumerate(track.impulses):
            if j not in paired:
                clusters.append(_Cluster(float(arrivals[j] - lag), {track.name: imp}))
        clusters.sort(key=lambda c: c.anchor_s)
    return clusters
