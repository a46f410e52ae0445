"""Association: which arrivals, across sources, are one shot.

Sources are taken in turn (most votes first: scores, an echo's halved); see
:mod:`timesync.detect.shots` for the method. :func:`associate` returns
clusters of one impulse per source that heard the shot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from timesync.detect.impulses import Impulse
from timesync.detect.tracks import _Track

__all__ = ["associate"]


@dataclass
class _Cluster:
    anchor_s: float  # shared arrival of the first member: the reference for lags
    members: dict[str, Impulse] = field(default_factory=dict)
    vote: float = 1.0  # its weight in the join (see _votes)


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


def _mode_lag(c: np.ndarray, a: np.ndarray, window: float, half_width: float,
              wc: np.ndarray | None = None, wa: np.ndarray | None = None) -> float:
    """The pairwise difference ``a - c`` (within ``window``) shared by most pairs (0 if none).

    This is the join by the pattern of the shots: a travel delay shifts every
    arrival of a source by the same amount, so the intervals between shots
    line up at the true lag and at no other. Each pair votes with the product
    of its weights ``wc[i] * wa[j]`` (the shot-likeness scores: a lone round
    among echoes pairs with the other sources' loudest, most shot-like arrival);
    among equal votes the smallest |lag| wins.
    """
    if not (len(c) and len(a)):
        return 0.0
    wc = np.ones(len(c)) if wc is None else np.asarray(wc, dtype=float)
    wa = np.ones(len(a)) if wa is None else np.asarray(wa, dtype=float)
    diffs = (a[None, :] - c[:, None]).ravel()
    votes = (wc[:, None] * wa[None, :]).ravel()
    keep = np.abs(diffs) <= window
    diffs, votes = diffs[keep], votes[keep]
    if len(diffs) == 0:
        return 0.0
    order = np.argsort(diffs)
    diffs, votes = diffs[order], votes[order]
    csum = np.concatenate([[0.0], np.cumsum(votes)])
    hi = np.searchsorted(diffs, diffs + half_width, "right")
    lo = np.searchsorted(diffs, diffs - half_width, "left")
    counts = csum[hi] - csum[lo]
    best = counts.max()
    cands = diffs[counts >= best - 1e-9]
    lag = cands[np.argmin(np.abs(cands))]
    near = diffs[np.abs(diffs - lag) <= half_width]
    return float(np.median(near))


#: An arrival that follows another as loud (in score) within this long (s) may be its
#: echo: its vote in the join counts half.
PRECEDENCE_S = 1.0


#: ... when the one before it scored at least this fraction of its score.
PRECEDENCE_RATIO = 0.5


def _votes(impulses: Sequence[Impulse]) -> np.ndarray:
    """Each impulse's vote in the join: its score, halved when an impulse scored at least
    :data:`PRECEDENCE_RATIO` times as high came in the :data:`PRECEDENCE_S` before it (a
    late reflection off a far building sounds like a shot, and where buildings hide
    the direct path it sounds louder and more shot-like than the blast; it never
    comes first)."""
    out = np.array([imp.score for imp in impulses], dtype=float)
    for j, imp in enumerate(impulses):
        if any(0 < imp.onset_s - o.onset_s <= PRECEDENCE_S and o.score >= PRECEDENCE_RATIO * imp.score
               for o in impulses[:j]):
            out[j] *= 0.5
    return out


#: Once the lag of a source is found, its arrivals pair with shots within this of it (s):
#: the pattern fixes the lag; a moving shooter or the onset scatter move it a little.
PAIR_TOL_S = 0.030


def _fits(cluster: _Cluster, track: _Track, arrival: float, by_name: dict[str, _Track],
          max_lag: Callable[[str, str], float | None]) -> bool:
    """True when ``arrival`` (shared s) at ``track`` is within reach of every member of
    ``cluster``: no two arrivals of one sound differ by more than the sources'
    separation / c (``max_lag``) plus 3 sigma of their clocks."""
    for name, imp in cluster.members.items():
        other = by_name[name]
        reach = max_lag(name, track.name)
        if reach is None:
            continue
        if abs(arrival - other.arrival(imp)) > reach + 3.0 * math.hypot(track.sigma, other.sigma):
            return False
    return True


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
    usable.sort(key=lambda t: -float(np.sum(_votes(t.impulses))))
    by_name = {t.name: t for t in usable}
    clusters: list[_Cluster] = []
    for track in usable:
        arrivals = np.array([track.arrival(imp) for imp in track.impulses])
        if not clusters:
            clusters = [_Cluster(t, {track.name: imp}, v)
                        for t, imp, v in zip(arrivals, track.impulses, _votes(track.impulses), strict=True)]
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
            lag = _mode_lag(anchors, arrivals, window, 0.002 + sigma / 3,
                            np.array([cl.vote for cl in clusters]), _votes(track.impulses))
            lo, hi = max(-window, lag - PAIR_TOL_S - sigma), min(window, lag + PAIR_TOL_S + sigma)
        pairs = _align(anchors, arrivals, lag, lo, hi)
        if max_lag is not None and known is None:  # (a known shooter fixes the lag itself)
            pairs = [(i, j) for i, j in pairs
                     if _fits(clusters[i], track, float(arrivals[j]), by_name, max_lag)]
        paired = set()
        votes = _votes(track.impulses)
        for i, j in pairs:
            clusters[i].members[track.name] = track.impulses[j]
            clusters[i].vote = max(clusters[i].vote, float(votes[j]))
            paired.add(j)
        for j, imp in enumerate(track.impulses):
            if j not in paired:
                clusters.append(_Cluster(float(arrivals[j] - lag), {track.name: imp}, float(votes[j])))
        clusters.sort(key=lambda c: c.anchor_s)
    kept: list[_Cluster] = []
    for cl in clusters:
        if not _echo_cluster(cl, kept):
            kept.append(cl)
    return kept


def _echo_cluster(cluster: _Cluster, before: Sequence[_Cluster]) -> bool:
    """True when the cluster is the echo of a shot, not a shot.

    A reflection off a building near the shooter reaches every sensor with one
    delay, like a second shot there. Its arrivals that their own sources'
    detectors took for echoes (``components["far_echo"]``) tell it: it is an
    echo when most of them are, or half of them and it follows, within
    :data:`PRECEDENCE_S`, a shot (in ``before``) that more sources heard.
    """
    echoes = sum("far_echo" in imp.components for imp in cluster.members.values())
    n = len(cluster.members)
    if 2 * echoes > n:
        return True
    return 2 * echoes == n and any(0 < cluster.anchor_s - cl.anchor_s <= PRECEDENCE_S and len(cl.members) > n
                                   for cl in before)
