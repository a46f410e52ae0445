"""The seconds ticks of a burned-in clock, from the per-frame change of its digits.

A *tick* is the step between two frames where the seconds digit changes. The
change of the digits box (pixels that changed from one frame to the next) jumps
at each tick, but also when something moves behind semi-transparent text, when
the encoder refreshes the picture, or at a flash. What tells the ticks apart is
that they come once a second: a tick has other ticks about 1, 2, 3... s before
and after it (within a frame), scenery does not. So the candidate steps (runs of
frames whose change stands out of the noise) are kept only when they sit on such
a one-second comb, and of the candidates within half a second of each other the
one the comb fits best (then the strongest) is the tick.

The threshold comes from the ticks themselves (a share of their typical change),
not from the largest changes of the file: a person walking behind faint digits
changes every pixel of the box, far more than the digit does.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["find_ticks", "MIN_TICK_PIXELS"]

#: Pixels of the clock region that must change (by the region's level, grey levels) at a tick.
MIN_TICK_PIXELS = 8
#: Fewest changed pixels of a candidate step (below: encoder noise).
MIN_STEP_PIXELS = 3
#: Seconds before and after a candidate where the comb looks for other ticks.
COMB_SECONDS = 4
#: Share of the comb's teeth (within the file) a tick must find a candidate on.
COMB_SHARE = 0.5
#: A tick's threshold: this share of the typical (median) change at the ticks.
TICK_SHARE = 0.35


def _runs(change: np.ndarray, thr: float) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of consecutive frames (from frame 1) whose change exceeds ``thr``."""
    above = change > thr
    above[0] = False
    runs, k, n = [], 1, len(change)
    while k < n:
        if above[k]:
            j = k
            while j + 1 < n and above[j + 1]:
                j += 1
            runs.append((k, j))
            k = j + 1
        else:
            k += 1
    return runs


def _comb(at: np.ndarray, tol: float, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate time in ``at``: teeth matched (another candidate ``k`` s away, within ``tol``,
    for ``k`` = +-1..COMB_SECONDS) minus the share required, and the mean distance of those matches."""
    score = np.zeros(len(at))
    spread = np.zeros(len(at))
    for i, t in enumerate(at):
        hits, teeth, dist = 0, 0, 0.0
        for k in (*range(-COMB_SECONDS, 0), *range(1, COMB_SECONDS + 1)):
            want = t + k
            if not start - tol <= want <= end + tol:
                continue
            teeth += 1
            j = int(np.searchsorted(at, want))
            near = [abs(at[m] - want) for m in (j - 1, j) if 0 <= m < len(at) and m != i]
            if near and min(near) <= tol:
                hits += 1
                dist += min(near)
        score[i] = hits - COMB_SHARE * teeth if teeth else -1.0
        spread[i] = dist / hits if hits else tol
    return score, spread


#: Taken ticks closer than this (s, median) come twice a second: a faster digit (tenths) changes in the box.
HALF_SECOND_TICKS_S = 0.75
#: Two ticks taken are at least this far apart (s): the seconds tick once a second, so of two changes
#: on the comb half a second apart (scenery that moves behind faint digits at its own rhythm) only
#: the one the comb fits best is a tick.
MIN_TICK_GAP_S = 0.6
#: A tick of the seconds lies within this (s) of the strongest tick's phase of the second.
PHASE_TOLERANCE_S = 0.2


def _one_phase(taken: list[int], at: np.ndarray, strength: np.ndarray) -> list[int]:
    """The ticks ``taken`` (indices into ``at``, s) of one phase of the second, when they came twice a second.

    A digits box that holds the tenths of an airborne clock changes ten times a
    second, and every change sits on the one-second comb: the half-second rule of
    :func:`_on_comb` then takes two a second. The seconds change where the tenths
    do too, so it is the stronger change: the phase of the strongest tick is kept.
    Ticks about a second apart are returned as they are.
    """
    if len(taken) < 3 or float(np.median(np.diff(np.sort(at[taken])))) >= HALF_SECOND_TICKS_S:
        return taken
    ref = at[max(taken, key=lambda i: strength[i])]
    by_phase: dict[bool, list[int]] = {True: [], False: []}
    for i in taken:
        by_phase[abs((at[i] - ref + 0.5) % 1.0 - 0.5) <= PHASE_TOLERANCE_S].append(i)
    mine, other = by_phase[True], by_phase[False]
    if other and float(np.median(strength[mine])) <= float(np.median(strength[other])):
        return taken  # neither phase is the stronger: not told apart, left as found
    return mine


def _on_comb(change: np.ndarray, times: np.ndarray, thr: float) -> tuple[list[tuple[int, int]], list[int]]:
    """The runs above ``thr`` that are seconds ticks (on the one-second comb, the best of their half
    second), and the first frames of the other runs (changes of the digits that are not ticks)."""
    runs = _runs(change, thr)
    if len(runs) < 2:
        return [], [j for _, j in runs]
    frame_s = float(np.median(np.diff(times)))
    at = np.array([times[j] for _, j in runs])  # first frame showing the new second
    score, spread = _comb(at, 1.5 * frame_s + 0.005, float(times[0]), float(times[-1]))
    strength = np.array([change[k:j + 1].max() for k, j in runs])
    order = sorted(range(len(runs)), key=lambda i: (-score[i], round(spread[i] / frame_s), -strength[i]))
    taken: list[int] = []
    for i in order:
        if score[i] < 0:
            break
        if all(abs(at[i] - at[m]) > 0.45 for m in taken):
            taken.append(i)
    taken = _one_phase(taken, at, strength)
    rank = {i: r for r, i in enumerate(order)}
    apart: list[int] = []  # of two ticks closer than MIN_TICK_GAP_S, the one the comb fits best
    for i in sorted(taken, key=rank.__getitem__):
        if all(abs(at[i] - at[m]) > MIN_TICK_GAP_S for m in apart):
            apart.append(i)
    taken = apart
    ticks = set(taken)
    return [runs[i] for i in sorted(taken)], [runs[i][1] for i in range(len(runs)) if i not in ticks]


#: Ticks a little above the noise still count when they tick in this share of the file's seconds ...
STEADY_COMB_SHARE = 0.5
#: ... and this share of them within :data:`STEADY_PHASE_FRAMES` frames of their median phase of the second.
STEADY_PHASE_SHARE = 0.9
STEADY_PHASE_FRAMES = 1.5


def _steady_comb(runs: list[tuple[int, int]], times: np.ndarray, duration: float) -> bool:
    """True when the ticks ``runs`` come in most seconds of the file, nearly all at one phase of the second.

    Faint digits over a busy picture change little more than the scenery behind them does, so their
    ticks stand less far out of the noise than :func:`find_ticks` asks; but scenery never changes once
    a second at one phase for half a minute, and the fit, the readings and the rate check follow.
    """
    if len(runs) < max(3, STEADY_COMB_SHARE * duration):
        return False
    at = np.array([times[j] for _, j in runs])
    frame_s = float(np.median(np.diff(times)))
    phase = np.angle(np.exp(2j * np.pi * (at - at[0])))  # radians, the first tick's phase 0
    ref = float(np.angle(np.mean(np.exp(1j * phase))))
    off = np.abs(np.angle(np.exp(1j * (phase - ref)))) / (2 * np.pi)  # seconds off the typical phase
    return float(np.mean(off <= STEADY_PHASE_FRAMES * frame_s + 0.005)) >= STEADY_PHASE_SHARE


def find_ticks(change: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None, np.ndarray]:
    """Tick intervals ``(lo, hi)`` from the per-frame change of the digits; a note on failure; other changes.

    Parameters
    ----------
    change : array (n,)
        ``change[k]``: pixels of the digits that changed from frame k-1 to k (a
        count, so a generous region given by hand does not dilute it); 0 for
        frames left out (flashes).
    times : array (n,)
        Local start time of each frame, seconds.

    Returns
    -------
    (lo, hi, note, breaks)
        For each tick the local start times of the last frame showing the old
        second and of the first frame showing the new one (seconds); ``note``
        says why there are none (None when ticks were found); ``breaks``: the
        local times (s) of the frames that start a change of the digits as
        large as a tick's but off the comb (a jump of the clock, something
        passing behind the digits): a reading after one cannot be numbered by
        the tick before it.
    """
    n = len(change)
    duration = float(times[-1] - times[0]) if n else 0.0
    if n < 3 or max(1, math.floor(duration)) < 2:
        return np.array([]), np.array([]), "too short to see the clock tick", np.array([])
    base = float(np.median(change[1:]))
    mad = float(np.median(np.abs(change[1:] - base))) + 1e-6
    floor = max(MIN_STEP_PIXELS - 0.5, base + 4 * mad)
    first, _ = _on_comb(change, times, floor)
    level = float(np.median([change[k:j + 1].max() for k, j in first])) if first else 0.0
    steady = _steady_comb(first, times, duration)
    if len(first) < 2 or level < MIN_TICK_PIXELS or (level < base + 8 * mad and not steady):
        return np.array([]), np.array([]), "no seconds tick seen in the clock region", np.array([])
    runs, other = _on_comb(change, times, max(floor if level < base + 8 * mad else base + 6 * mad,
                                              TICK_SHARE * level))
    if len(runs) < 2:
        return np.array([]), np.array([]), "no seconds tick seen in the clock region", np.array([])
    lo = np.array([times[k - 1] for k, _ in runs])
    hi = np.array([times[j] for _, j in runs])
    return lo, hi, None, np.array([times[j] for j in other])
