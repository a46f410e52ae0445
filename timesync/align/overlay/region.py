"""Finding a burned-in clock in the picture by itself.

The seconds digit of a clock overlay is the one part of a picture that changes
exactly once a second and stays still in between: compared one second apart
its pixels always differ; compared frame to frame they almost never do. Moving
scenery differs in both comparisons, still scenery in neither. The text line
around that digit (the date, the rest of the time, a device id) is still,
high-contrast and on the same rows; the region grows along those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["ClockRegion", "find_clock_region", "CHANGE_LEVEL"]

#: Grey levels (0-255) by which a pixel must change to count as changed.
CHANGE_LEVEL = 40
#: The lower level tried for faint text (small, semi-transparent, no box).
FAINT_LEVEL = 16
#: A frame-to-frame step that changes more than this share of the picture is a
#: flash or a cut (also more than 4 times the median step), left out of the search.
BUSY_SHARE = 0.03
#: Fewest ticking pixels (at the searched scale) taken for a seconds digit.
MIN_DIGIT_PIXELS = 6
#: Ticking pixels at :data:`CHANGE_LEVEL` that settle the second search of a window (when the region
#: its first search found gives no clock, :func:`timesync.align.overlay.locate.search_clock`); fewer:
#: the faint level is weighed too and the level with more pixels wins.
SURE_DIGIT_PIXELS = 24


@dataclass(frozen=True)
class ClockRegion:
    """Where the clock is, in full-resolution pixel coordinates of the coded frame.

    ``text``: ``(x, y, w, h)`` of the whole text line to read with OCR.
    ``digits``: ``(x, y, w, h)`` of the pixels that change at each seconds tick.
    """

    text: tuple[int, int, int, int]
    digits: tuple[int, int, int, int]
    #: How many pixels (at the searched scale) ticked once a second in the digits box
    #: (0 when the region was given): the larger, the surer the region.
    score: float = 0.0
    #: Grey levels by which a digit pixel changes at a tick (lower for faint text).
    level: int = CHANGE_LEVEL

    def overlaps(self, other: ClockRegion) -> bool:
        """True when the two digits boxes overlap."""
        ax, ay, aw, ah = self.digits
        bx, by, bw, bh = other.digits
        return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _edge_band_mask(height: int, width: int) -> np.ndarray:
    """Pixels near the frame edges, where overlays are drawn (top/bottom 30 %, sides 20 %)."""
    mask = np.zeros((height, width), bool)
    band_h, band_w = max(1, round(0.30 * height)), max(1, round(0.20 * width))
    mask[:band_h] = True
    mask[height - band_h:] = True
    mask[:, :band_w] = True
    mask[:, width - band_w:] = True
    return mask


def _tick_sets(step_times: np.ndarray, n_seconds: int) -> list[np.ndarray]:
    """For each phase (each frame of the first second taken as a tick): the frames nearest
    whole seconds after it (indices into ``step_times``)."""
    out = []
    for start in np.nonzero(step_times < step_times[0] + 1.0)[0]:
        targets = step_times[start] + np.arange(n_seconds)
        ticks = np.unique(np.clip(np.searchsorted(step_times, targets - 1e-6), 0, len(step_times) - 1))
        ticks = ticks[np.abs(step_times[ticks] - targets[: len(ticks)]) < 0.5] if len(ticks) == n_seconds \
            else ticks
        if len(ticks) >= 2:
            out.append(ticks)
    return out


def _abs_steps(frames: np.ndarray) -> np.ndarray:
    """``|frame[k+1] - frame[k]|`` in grey levels, uint8 ``(N-1, H, W)`` (exact: no wider copy of the stack)."""
    flat = frames.reshape(len(frames), -1)
    return cv2.absdiff(flat[1:], flat[:-1]).reshape(len(frames) - 1, *frames.shape[1:])


def _steps(diffs: np.ndarray, near_edges: np.ndarray, level: int, spread: int) -> np.ndarray:
    """Per frame-to-frame step (``diffs``: :func:`_abs_steps`): pixels that changed by more than
    ``level`` grey levels, spread over ``spread`` pixels (a digit's strokes move a little from
    one value to the next)."""
    step = diffs > level
    share = np.count_nonzero(step.reshape(len(step), -1), axis=1) / step[0].size
    step[share > max(BUSY_SHARE, 4 * float(np.median(share)))] = False  # flashes, cuts: not ticks
    if spread > 1:
        kernel = np.ones((spread, spread), np.uint8)
        spread_one = np.empty(step.shape[1:], np.uint8)  # one frame at a time: no second stack
        for s in step:
            cv2.dilate(s.view(np.uint8), kernel, dst=spread_one)
            s.view(np.uint8)[:] = spread_one
    return np.logical_and(step, near_edges, out=step)


def _count_true(step: np.ndarray) -> np.ndarray:
    """How many of the masks ``step`` (n, ...) bool are True at each pixel, uint16 (n < 65536)."""
    return np.add.reduce(step.view(np.uint8), axis=0, dtype=np.uint16)


def _best_phase(step: np.ndarray, tick_sets: list[np.ndarray], n_seconds: int, share: float) \
        -> tuple[np.ndarray | None, int]:
    """The mask of the phase whose ticks the most calm pixels jump at (see :func:`_seconds_digit_mask`),
    and its count (``None, 0``: none). Only the calm pixels are looked at."""
    total = _count_true(step)
    calm = (total >= 2) & (total <= n_seconds + 1)
    where = np.flatnonzero(calm)
    if not len(where):
        return None, 0
    calm_steps = step.reshape(len(step), -1)[:, where]  # (steps, calm pixels)
    calm_total = total.ravel()[where]
    best, best_count = None, 0
    for ticks in tick_sets:
        at_ticks = _count_true(calm_steps[ticks])
        keep = (at_ticks >= max(3, share * len(ticks))) & (at_ticks + 1 >= calm_total)
        count = int(np.count_nonzero(keep))
        if count > best_count:
            best, best_count = keep, count
    if best is None:
        return None, 0
    mask = np.zeros(step.shape[1:], bool)
    mask.ravel()[where[best]] = True
    return mask, best_count


def _seconds_digit_mask(frames: np.ndarray, times: np.ndarray, near_edges: np.ndarray,
                        diffs: np.ndarray | None = None, sure: int = MIN_DIGIT_PIXELS) -> tuple[np.ndarray, int]:
    """Pixels that change abruptly once a second, together, and otherwise stay still.

    Slowly moving scenery also differs one second apart, but never in one
    frame-to-frame jump; a scene cut jumps everywhere, but once. For each
    phase the ticks are the frames nearest whole seconds after it
    (:func:`_tick_sets`); the phase with the most pixels that jump at most of
    its ticks and (almost) nowhere else wins. Faint text (small, semi-transparent,
    no box) changes by less than :data:`CHANGE_LEVEL`: when nothing is found at
    that level, a lower level with the changes spread over a few pixels is tried.
    ``diffs``: :func:`_abs_steps` of ``frames`` when already made. ``sure``: ticking pixels at the first
    level that settle the search there (more, up to :data:`SURE_DIGIT_PIXELS`: the faint level is
    weighed too, and the level with more pixels wins: a few pixels of scenery can tick by chance).
    Returns the mask and the change level it was found at.
    """
    step_times = times[1:]
    n_seconds = int((step_times[-1] - step_times[0]) // 1) + 1
    tick_sets = _tick_sets(step_times, n_seconds)
    best, best_count, best_level = np.zeros(frames.shape[1:], bool), 0, CHANGE_LEVEL
    diffs = _abs_steps(frames) if diffs is None else diffs
    for level, spread, share in ((CHANGE_LEVEL, 1, 0.6), (FAINT_LEVEL, 3, 0.8)):
        found_at = level
        mask, count = _best_phase(_steps(diffs, near_edges, level, spread), tick_sets, n_seconds, share)
        if count > best_count:
            best, best_count, best_level = mask, count, level
        if best_count >= sure:
            break
    return best, best_level if best_count >= MIN_DIGIT_PIXELS else found_at


def _largest_box(mask: np.ndarray, close: int) -> tuple[int, int, int, int] | None:
    """Bounding box of the largest blob after closing gaps of ``close`` pixels."""
    if not mask.any():
        return None
    kernel = np.ones((max(1, close // 2), max(1, close)), np.uint8)
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    on_mask = np.bincount(labels[mask], minlength=count)  # pixels of the mask in each blob
    best = None
    for label in range(1, count):
        x, y, w, h, _area = stats[label]
        pixels = int(on_mask[label])
        if pixels < 6 or h > 0.2 * mask.shape[0]:
            continue
        if best is None or pixels > best[0]:
            best = (pixels, (int(x), int(y), int(w), int(h)))
    return None if best is None else best[1]


def _grow_text_line(still: np.ndarray, static: np.ndarray, digits: tuple[int, int, int, int]) \
        -> tuple[int, int, int, int]:
    """Grow the digits box along its rows over still, high-contrast text."""
    x, y, w, h = digits
    height, width = still.shape
    grad = np.abs(cv2.Sobel(still.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3))
    texty = (grad > 60) & static
    y0, y1 = max(0, y - h // 3), min(height, y + h + h // 3)
    cols = texty[y0:y1].any(axis=0)
    gap_max = max(3, round(1.6 * h))
    left, right = x, x + w - 1
    gap = 0
    for col in range(x - 1, -1, -1):
        gap = 0 if cols[col] else gap + 1
        if gap > gap_max:
            break
        if cols[col]:
            left = col
    gap = 0
    for col in range(x + w, width):
        gap = 0 if cols[col] else gap + 1
        if gap > gap_max:
            break
        if cols[col]:
            right = col
    rows = texty[:, left:right + 1].any(axis=1)
    top, bottom = y, y + h - 1
    reach = max(1, h // 3)  # one text line: the lines above and below (device id, position) stay out
    for row in range(y - 1, max(-1, y - 1 - reach), -1):
        if rows[row]:
            top = row
    for row in range(y + h, min(height, y + h + reach)):
        if rows[row]:
            bottom = row
    return left, top, right - left + 1, bottom - top + 1


def find_clock_region(frames: np.ndarray, times: np.ndarray, *, scale: int = 1,
                      sure: int = MIN_DIGIT_PIXELS) -> ClockRegion | None:
    """Find the clock overlay in a run of consecutive frames.

    Parameters
    ----------
    frames : array (n, H, W) uint8
        Luma of consecutive frames (possibly downscaled by ``scale``), at least
        about 2.5 s of video.
    times : array (n,) of float
        Local start time of each frame, seconds (from the FrameIndex).
    scale : int >= 1
        Downscale factor of ``frames``; the region is returned in full-resolution pixels.
    sure : int
        Ticking pixels at :data:`CHANGE_LEVEL` that settle the search at that level (see
        :func:`_seconds_digit_mask`).

    Returns
    -------
    ClockRegion or None
        None when no part of the picture near its edges ticks once a second.
    """
    times = np.asarray(times, float)
    if len(frames) < 3 or times[-1] - times[0] < 2.0:
        return None
    lag = int(np.searchsorted(times, times[0] + 1.0 - 1e-6))
    if lag < 2 or lag >= len(frames):
        return None
    diffs = _abs_steps(frames)
    mask, level = _seconds_digit_mask(frames, times, _edge_band_mask(*frames.shape[1:]), diffs, sure)
    char = max(3, frames.shape[1] // 40)
    digits = _largest_box(mask, char)
    if digits is None:
        return None
    step_rate = (diffs > CHANGE_LEVEL).mean(axis=0)  # |int16 difference| == absdiff: the same
    static = step_rate <= 2.5 / lag
    still = np.median(frames, axis=0).astype(np.uint8)
    text = _grow_text_line(still, static, digits)
    pad = 3

    def full(box: tuple[int, int, int, int], extra: int) -> tuple[int, int, int, int]:
        bx, by, bw, bh = box
        full_h, full_w = frames.shape[1] * scale, frames.shape[2] * scale
        x0, y0 = max(0, (bx - extra) * scale), max(0, (by - extra) * scale)
        x1, y1 = min(full_w, (bx + bw + extra) * scale), min(full_h, (by + bh + extra) * scale)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)

    x, y, w, h = digits
    score = float(np.count_nonzero(mask[y:y + h, x:x + w]))
    return ClockRegion(text=full(text, pad), digits=full(digits, 1), score=score, level=level)
