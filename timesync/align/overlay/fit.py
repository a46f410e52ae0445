"""Fitting a burned-in clock against the file's local time from its seconds ticks.

A *tick* is the moment the overlay's seconds change. It is seen between two
frames: the frame starting at ``lo`` (local seconds) still shows the old
second and the frame starting at ``hi`` shows the new one, so the tick lies in
``(lo, hi]``, uniformly distributed for lack of anything better. OCR readings
tell which whole second (``value``, seconds since 1970 of the displayed text)
began at some of the ticks.

:func:`fit_ticks` groups readings into consistent segments (a misread is a
reading its neighbours disagree with; a clock jump is a lasting change of the
reading-minus-local-time difference), numbers every tick of the main segment,
fits ``local = c + d * (value - value_ref)`` by least squares, then narrows
the phase ``c`` with the intersection of all tick intervals (ticks that fall at
different places inside their frames pin the clock far below one frame; ticks
that all fall at the same place still leave a whole frame, and the uncertainty
says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["TickFit", "ClockJump", "fit_ticks"]

#: Readings whose (value - tick time) agree within this many seconds belong to one segment.
SEGMENT_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class ClockJump:
    """A lasting change of the overlay clock against local time, at local ``at_local_s``."""

    at_local_s: float
    jump_s: float


@dataclass(frozen=True)
class TickFit:
    """The overlay clock as a function of local time: ``value = at_zero + rate * local``.

    Attributes
    ----------
    at_zero : float
        Overlay value (seconds since 1970, naive values taken as UTC) at local time 0.
    rate : float
        Overlay seconds per local second.
    uncertainty_s : float
        One sigma of ``at_zero`` in seconds.
    ticks : int
        Ticks used by the fit.
    readings : int
        OCR readings that agreed with the fit.
    rejected : int
        Readings rejected as misreads.
    jumps : list[ClockJump]
        Clock jumps or resets seen (the fit uses the longest segment).
    span_s : tuple[float, float]
        Local times of the first and last tick used.
    method : str
        ``"intersection"`` when the tick intervals pinned the phase, else ``"least-squares"``.
    rate_uncertainty : float
        One sigma of ``rate``.
    """

    at_zero: float
    rate: float
    uncertainty_s: float
    ticks: int
    readings: int
    rejected: int
    jumps: list[ClockJump] = field(default_factory=list)
    span_s: tuple[float, float] = (0.0, 0.0)
    method: str = "least-squares"
    rate_uncertainty: float = 0.0


def _segments(tau: np.ndarray, values: dict[int, float]) -> tuple[list[list[int]], list[list[int]], int]:
    """Group the ticks that carry readings into runs with a consistent value - time.

    Returns the segments (lists of tick indices, in order) with >= 2 readings
    or the only one, all runs (single readings included), and the number of
    readings left out of the segments.
    """
    keys = sorted(values)
    runs: list[list[int]] = []
    for k in keys:
        diff = values[k] - tau[k]
        for run in reversed(runs[-2:]):  # the current run or the one before a misread
            last = run[-1]
            if abs(diff - (values[last] - tau[last])) < SEGMENT_TOLERANCE_S:
                run.append(k)
                break
        else:
            runs.append([k])
    # merge runs split by an isolated misread: A B A -> A A, B rejected
    merged: list[list[int]] = []
    for run in runs:
        if merged and abs((values[run[0]] - tau[run[0]]) - (values[merged[-1][-1]] - tau[merged[-1][-1]])) \
                < SEGMENT_TOLERANCE_S:
            merged[-1].extend(run)
        else:
            merged.append(run)
    # a single reading inside another run's span is a misread, not a segment
    merged.sort(key=lambda r: r[0])
    merged = [r for r in merged if len(r) >= 2 or not any(o[0] < r[0] < o[-1] for o in merged if o is not r)]
    good = [r for r in merged if len(r) >= 2] or ([max(merged, key=len)] if len(merged) == 1 else [])
    rejected = len(keys) - sum(len(r) for r in good)
    return good, merged, rejected


def _feasible_box(lo: np.ndarray, hi: np.ndarray, x: np.ndarray):
    """The clocks ``x = x0 + local / u`` whose ticks fall inside every interval ``[lo, hi]``.

    In the unknowns ``x0`` (overlay value at local 0, relative to the reference
    value) and ``u`` (local seconds per overlay second) the conditions
    ``lo_k <= u (x_k - x0) <= hi_k`` are linear. Returns ``((x0, u)``, each
    the middle of its feasible range, ``(range of x0, range of u))`` or None
    when no clock passes through all intervals.
    """
    from scipy.optimize import linprog

    ones = np.ones_like(x)
    # lo u + x0 <= x   and   -hi u - x0 <= -x ; with margin s: add s on the left of both
    a_ub = np.vstack([np.column_stack([ones, lo, ones]), np.column_stack([-ones, -hi, ones])])
    b_ub = np.concatenate([x, -x])
    bounds = [(None, None), (0.5, 2.0), (0, None)]
    best = linprog([0, 0, -1], A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if best.status != 0:
        return None
    a2 = a_ub[:, :2]
    centre, ranges = [], []
    for j in range(2):
        ext = []
        for sign in (1, -1):
            cost = [0.0, 0.0]
            cost[j] = sign
            res = linprog(cost, A_ub=a2, b_ub=b_ub, bounds=bounds[:2], method="highs")
            if res.status != 0:
                return None
            ext.append(float(res.x[j]))
        centre.append((ext[0] + ext[1]) / 2)  # the middle of what the ticks allow
        ranges.append(abs(ext[1] - ext[0]))
    return (centre[0], centre[1]), (ranges[0], ranges[1])


def fit_ticks(lo: np.ndarray, hi: np.ndarray, values: dict[int, float]) -> TickFit | None:
    """Fit the overlay clock from tick intervals and OCR readings.

    Parameters
    ----------
    lo, hi : array of float
        For each detected tick, the local start times (seconds) of the last
        frame showing the old second and of the first frame showing the new one.
    values : dict[int, float]
        Tick index -> the overlay value (whole seconds since 1970) that began
        at that tick, for the ticks that were read.

    Returns
    -------
    TickFit or None
        None when fewer than two ticks with a consistent reading exist.
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    tau = (lo + hi) / 2
    if not values:
        return None
    segments, runs, rejected = _segments(tau, values)
    if not segments:
        return None
    main = max(segments, key=lambda r: (len(r), -r[0]))
    jumps = _jumps(tau, values, runs)
    idx, val = _numbered_ticks(tau, lo, hi, values, main, segments)
    if len(idx) < 2:
        return None
    idx_a = np.array(idx)
    val_a = np.array(val)
    ref = float(np.round(np.median(val_a)))
    x = val_a - ref
    d, c, keep = _robust_line(tau, lo, hi, idx_a, x)
    idx_a, x = idx_a[keep], x[keep]
    at_zero, rate, sigma, rate_sigma, method = _clock_fit(tau, lo, hi, idx_a, x, ref, c, d)
    return TickFit(
        at_zero=float(at_zero), rate=float(rate), uncertainty_s=float(sigma), ticks=len(idx_a),
        readings=int(sum(1 for k in main if k in set(idx_a.tolist()))), rejected=rejected, jumps=jumps,
        span_s=(float(tau[idx_a].min()), float(tau[idx_a].max())), method=method,
        rate_uncertainty=float(rate_sigma),
    )


def _jumps(tau: np.ndarray, values: dict[int, float], runs: list[list[int]]) -> list[ClockJump]:
    """The clock's jumps between lasting runs of consistent readings (the first and last
    runs count as lasting, whatever their length); each at the first read tick after
    the run before it."""
    jumps = []
    lasting = [r for r in runs if len(r) >= 2 or r is runs[0] or r is runs[-1]]
    read = sorted(values)
    for before, after in zip(lasting, lasting[1:], strict=False):
        jump = (values[after[0]] - tau[after[0]]) - (values[before[-1]] - tau[before[-1]])
        first_after = next((k for k in read if k > before[-1]), after[0])  # runs may interleave
        jumps.append(ClockJump(at_local_s=float(tau[first_after]), jump_s=float(jump)))
    return jumps


def _numbered_ticks(tau: np.ndarray, lo: np.ndarray, hi: np.ndarray, values: dict[int, float],
                    main: list[int], segments: list[list[int]]) -> tuple[list[int], list[float]]:
    """Every tick in the main segment's time span, numbered from its readings: the tick
    indices and the whole-second values (s since 1970) that began at them.

    The first and last segments reach to the start and end of the file. A change
    more than a quarter second (plus its interval's width) off a whole second is
    not a seconds tick (occlusion, flicker) and is left out.
    """
    read_idx = np.array(main)
    read_val = np.array([values[k] for k in main])
    first, last = read_idx.min(), read_idx.max()
    span_lo = tau[first] - 0.5 if main is segments[0] else tau[first]
    span_hi = tau[last] + 0.5 if main is segments[-1] else tau[last]
    if main is segments[0]:
        span_lo = -math.inf
    if main is segments[-1]:
        span_hi = math.inf
    offset = float(np.median(read_val - tau[read_idx]))
    idx, val = [], []
    for k in range(len(tau)):
        if not span_lo <= tau[k] <= span_hi:
            continue
        guess = tau[k] + offset
        whole = round(guess)
        if abs(guess - whole) > 0.25 + (hi[k] - lo[k]):
            continue  # a change that is not a seconds tick (occlusion, flicker)
        idx.append(k)
        val.append(float(whole))
    return idx, val


def _robust_line(tau: np.ndarray, lo: np.ndarray, hi: np.ndarray, idx_a: np.ndarray, x: np.ndarray) \
        -> tuple[float, float, np.ndarray]:
    """``tau = c + d * x`` fitted to the ticks ``idx_a`` (``x``: their values in seconds from
    the reference), dropping ticks off the line by more than their interval's width
    (three rounds at most): ``(d, c, kept ticks)``."""
    keep = np.ones(len(idx_a), bool)
    for _ in range(3):
        if np.ptp(x[keep]) > 0:
            d, c = np.polyfit(x[keep], tau[idx_a][keep], 1)
        else:
            d, c = 1.0, float(np.mean(tau[idx_a][keep] - x[keep]))
        res = tau[idx_a] - (c + d * x)
        width = hi[idx_a] - lo[idx_a]
        new_keep = np.abs(res) <= np.maximum(width, 1e-3)
        if new_keep.sum() < 2 or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return d, c, keep


def _clock_fit(tau: np.ndarray, lo: np.ndarray, hi: np.ndarray, idx_a: np.ndarray, x: np.ndarray,
               ref: float, c: float, d: float) -> tuple[float, float, float, float, str]:
    """The clock from the kept ticks: ``(at_zero, rate, uncertainty_s, rate_uncertainty, method)``.

    By the intersection of the ticks' intervals (:func:`_feasible_box`) when
    they have one, else by the least-squares line ``tau = c + d * x``.
    """
    width_med = float(np.median(hi[idx_a] - lo[idx_a]))
    n = len(idx_a)
    sxx = float(np.sum((x - x.mean()) ** 2))
    box = _feasible_box(lo[idx_a], hi[idx_a], x)
    if box is not None:
        (x0, u), (x0_range, u_range) = box
        rate = 1.0 / u
        at_zero = ref + x0
        sigma = max(x0_range / math.sqrt(12), 1e-4)
        rate_sigma = u_range / math.sqrt(12) * rate**2
        return at_zero, rate, sigma, rate_sigma, "intersection"
    sigma_c = max(float(np.std(tau[idx_a] - c - d * x)) / math.sqrt(n), width_med / math.sqrt(12 * n))
    sigma_d = width_med / math.sqrt(12) / math.sqrt(sxx) if sxx > 0 else 0.0
    rate = 1.0 / d
    at_zero = ref - c * rate
    sigma = math.hypot(sigma_c * rate, sigma_d * abs(ref - at_zero) * rate)
    rate_sigma = sigma_d * rate**2
    return at_zero, rate, sigma, rate_sigma, "least-squares"
