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

    def add(self, t: float, frame: np.ndarray) -> None:
        """Add the frame starting at local ``t`` (s), luma uint8 ``(H, W)`` (copied as needed)."""
        if self._t0 is None:
            self._t0 = t
        if self._prev is not None:
            step = cv2.absdiff(frame, self._prev)
            if float(np.median(step[::4, ::4])) <= FLASH_MEDIAN_STEP:
                b = int(math.floor(((t - self._t0) % 1.0) * self.bins + 0.5)) % self.bins
                self.sums[b] += step > STEP_LEVEL
                self.counts[b] += 1
        self._prev = frame.copy()
        self.frame_sum += frame
        self.frames += 1


def _excess(stats: PhaseStats) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: the mean change, its excess over the pixel's 75th percentile of bins, and that percentile."""
    used = stats.counts > 0
    means = stats.sums[used] / stats.counts[used][:, None, None]
    p75 = np.percentile(means, 75, axis=0).astype(np.float32)
    return means, means - p75, p75


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
    _means, excess, p75 = _excess(stats)
    near = _edge_band_mask(*excess.shape[1:])
    char = max(3, excess.shape[2] // 40)
    best_n, best_mask, digits = 0, None, None
    for b in range(len(excess)):
        top = np.maximum(excess[b], excess[(b + 1) % len(excess)])  # a tick may fall in either of two bins
        values = top[near]
        med = float(np.median(values))
        mad = float(np.median(np.abs(values - med))) + 1e-3
        mask = (top > max(MIN_EXCESS, med + EXCESS_MADS * mad)) & near
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
    if h > MAX_DIGIT_HEIGHT * excess.shape[1] or w > 3 * h + 4:
        return None  # not a digit or two of small text: scenery
    still = (stats.frame_sum / stats.frames).astype(np.uint8)
    static = p75 <= max(0.1, float(np.median(p75[near])))
    text = _grow_text_line(still, static, digits)
    level = STEP_LEVEL
    full_h, full_w = excess.shape[1] * scale, excess.shape[2] * scale

    def full(box: tuple[int, int, int, int], extra: int) -> tuple[int, int, int, int]:
        bx, by, bw, bh = box
        x0, y0 = max(0, (bx - extra) * scale), max(0, (by - extra) * scale)
        x1, y1 = min(full_w, (bx + bw + extra) * scale), min(full_h, (by + bh + extra) * scale)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)

    score = float(np.count_nonzero(best_mask[y:y + h, x:x + w]))
    return ClockRegion(text=full(text, 3), digits=full(digits, 1), score=score, level=level)
