"""Finding a faint burned-in clock (small, semi-transparent, no box) over a busy picture.

:func:`timesync.align.overlay.region.find_clock_region` asks every pixel to
change at most ticks and (almost) nowhere else, over a few seconds. Behind
semi-transparent digits a few pixels high, moving scenery changes those pixels
between the ticks too, and the digit's own change is small: no pixel passes.

Averaging does: the seconds digit changes at the same phase of every second,
scenery at any phase. Over many seconds, the mean frame-to-frame change of a
digit pixel in the phase bin of the tick stands out of its mean change in the
other bins (their 75th percentile: robust to the tenths digit of an airborne
clock, which changes in a tenth of the bins), while for scenery all bins are
alike. The tick's bin is the one where the most pixels near the edges stand out;
those pixels are the digits. :class:`PhaseStats` keeps the sums while the
frames stream by (no stack of frames in memory), :func:`faint_region` makes the
region of them.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from timesync.align.overlay.region import (
    MIN_DIGIT_PIXELS,
    ClockRegion,
    _edge_band_mask,
    _grow_text_line,
    _largest_box,
)

__all__ = ["PhaseStats", "faint_region", "FAINT_WINDOW_S"]

#: Seconds of video averaged by the faint-clock search.
FAINT_WINDOW_S = 16.0
#: A frame-to-frame step whose median pixel changes by more than this (grey levels) is a
#: flash or a cut: left out.
FLASH_MEDIAN_STEP = 12
#: Grey levels by which a pixel must change from one frame to the next to count as changed.
STEP_LEVEL = 10
#: Least excess of a digit pixel: the share of the seconds in which it changes in the tick's
#: bin, over its usual share (a stroke pixel changes at about half the ticks).
MIN_EXCESS = 0.2
#: The seconds digit of small text is at most this share of the picture's height.
MAX_DIGIT_HEIGHT = 0.1
#: And at least this many robust deviations (MAD) of the excess over the edge bands.
EXCESS_MADS = 8.0


class PhaseStats:
    """Mean frame-to-frame change of every pixel in each phase bin of the second.

    Parameters
    ----------
    shape : (H, W) of the frames given to :meth:`add`.
    frame_s : typical frame interval (s); a bin is one frame wide.
    """

    def __init__(self, shape: tuple[int, int], frame_s: float) -> None:
        self.bins = max(2, round(1.0 / max(frame_s, 1e-3)))
        self.sums = np.zeros((self.bins, *shape), np.uint16)
        self.counts = np.zeros(self.bins, np.int64)
        self.frame_sum = np.zeros(shape, np.float32)
        self.frames = 0
        self._prev: np.ndarray | None = None
        self._t0: float | None = None

    def add(self, t: float, frame: np.ndarray, *, copy: bool = True) -> None:
        """Add the frame starting at local ``t`` (s), luma uint8 ``(H, W)``.

        ``copy=False``: ``frame`` is kept as the previous frame without a copy (the caller
        must not change it before the next call).
        """
        if self._t0 is None:
            self._t0 = t
        if self._prev is not None:
            step = cv2.absdiff(frame, self._prev)
            if _median_u8(step[::4, ::4]) <= FLASH_MEDIAN_STEP:
                b = int(math.floor(((t - self._t0) % 1.0) * self.bins + 0.5)) % self.bins
                self.sums[b] += step > STEP_LEVEL
                self.counts[b] += 1
        self._prev = frame.copy() if copy else frame
        cv2.accumulate(frame, self.frame_sum)  # float32 sums of whole grey levels: exact
        self.frames += 1

    def finish(self) -> None:
        """No more frames: the previous one is let go (it may view a larger array)."""
        self._prev = None


def _median_u8(values: np.ndarray) -> float:
    """``np.median`` of uint8 ``values``, exactly, from their histogram (no sort)."""
    cum = np.cumsum(np.bincount(values.ravel(), minlength=256))
    n = int(cum[-1])
    lo = int(np.searchsorted(cum, (n - 1) // 2 + 1))
    hi = int(np.searchsorted(cum, n // 2 + 1))
    return (lo + hi) / 2


def _order_keys(stats: PhaseStats, used: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Integer keys ``sums * (L / count)`` of the bins (pixels, bins), ordered as the bins' mean
    changes and equal where they are (``L``: the least common multiple of the counts), and ``L``;
    None when they would not fit 32 bits."""
    counts = [int(c) for c in stats.counts[used]]
    lcm = math.lcm(*counts)
    if lcm * max(counts) >= 2**32:
        return None
    factors = np.array([lcm // c for c in counts], np.uint32)
    flat = stats.sums[used].reshape(len(counts), -1)
    keys = np.empty((flat.shape[1], len(counts)), np.uint32)  # a pixel's bins side by side
    for k, f in enumerate(factors):
        np.multiply(flat[k], f, out=keys[:, k], casting="unsafe")
    return keys, lcm


def _p75(stats: PhaseStats, used: np.ndarray) -> np.ndarray:
    """Per pixel: the 75th percentile (``np.percentile``'s linear method, the same float64 values)
    of its mean change over the used bins, as float32 ``(H, W)``."""
    n = int(np.count_nonzero(used))
    shape = stats.sums.shape[1:]
    ordered = _order_keys(stats, used)
    if ordered is None:  # counts too varied for integer keys: numpy's own
        means = stats.sums[used] / stats.counts[used][:, None, None]
        return np.percentile(means, 75, axis=0).astype(np.float32)
    keys, lcm = ordered
    virtual = (n - 1) * 0.75
    lo = int(math.floor(virtual))
    hi = min(lo + 1, n - 1)
    gamma = virtual - lo
    keys.partition(sorted({lo, hi}), axis=1)
    a = keys[:, lo] / lcm  # the same rational as sums / count: the same float64
    b = keys[:, hi] / lcm
    diff = b - a
    p75 = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma  # numpy's _lerp
    return p75.astype(np.float32).reshape(shape)


def faint_region(stats: PhaseStats, *, scale: int = 1) -> ClockRegion | None:
    """The clock region from :class:`PhaseStats` of at least about 8 s of video, or None.

    Parameters
    ----------
    stats : the sums of the streamed frames (possibly downscaled by ``scale``).
    scale : downscale factor of those frames; the region is in full-resolution pixels.

    Returns
    -------
    ClockRegion or None
        Its ``level`` is the change (grey levels) a digit pixel shows at a tick.
    """
    if stats.frames < 3 or int(np.count_nonzero(stats.counts)) < 2 or stats.counts.sum() < 6 * stats.bins:
        return None
    used = stats.counts > 0
    p75 = _p75(stats, used)
    near = _edge_band_mask(*p75.shape)
    near_p75 = p75[near].astype(np.float64)
    # the mean change of each bin, near the edges only (the excess is looked at nowhere else)
    means = [s[near] / c for s, c in zip(stats.sums[used], stats.counts[used], strict=True)]
    char = max(3, p75.shape[1] // 40)
    best_n, best_mask, digits = 0, None, None
    for b in range(len(means)):
        # a tick may fall in either of two bins (the excess over p75 of the larger: rounding is monotonic)
        values = np.maximum(means[b], means[(b + 1) % len(means)]) - near_p75
        med = float(np.median(values))
        mad = float(np.median(np.abs(values - med))) + 1e-3
        mask = np.zeros(p75.shape, bool)
        mask[near] = values > max(MIN_EXCESS, med + EXCESS_MADS * mad)
        box = _largest_box(mask, char)
        if box is None:
            continue
        x, y, w, h = box
        n = int(np.count_nonzero(mask[y:y + h, x:x + w]))
        if n > best_n:
            best_n, best_mask, digits = n, mask, box
    if digits is None or best_n < MIN_DIGIT_PIXELS:
        return None
    x, y, w, h = digits
    if h > MAX_DIGIT_HEIGHT * p75.shape[0] or w > 3 * h + 4:
        return None  # not a digit or two of small text: scenery
    still = (stats.frame_sum / stats.frames).astype(np.uint8)
    static = p75 <= max(0.1, float(np.median(p75[near])))
    text = _grow_text_line(still, static, digits)
    level = STEP_LEVEL
    full_h, full_w = p75.shape[0] * scale, p75.shape[1] * scale

    def full(box: tuple[int, int, int, int], extra: int) -> tuple[int, int, int, int]:
        bx, by, bw, bh = box
        x0, y0 = max(0, (bx - extra) * scale), max(0, (by - extra) * scale)
        x1, y1 = min(full_w, (bx + bw + extra) * scale), min(full_h, (by + bh + extra) * scale)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)

    score = float(np.count_nonzero(best_mask[y:y + h, x:x + w]))
    return ClockRegion(text=full(text, 3), digits=full(digits, 1), score=score, level=level)
