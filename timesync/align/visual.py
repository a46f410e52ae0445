"""Visual events (flashes, strobes, lights switched on) and matching their patterns.

Detection (:func:`detect_flashes`): every frame's luma is averaged over a
grid of cells; a flash is a jump of some cells' brightness far above their own
frame-to-frame noise (robust z-score of the temporal derivative) that falls
back within a few frames. A short flash (a muzzle flash lasts tens of ms)
lights the frames whose exposure it overlaps, in proportion to the overlap, so
its onset lies inside the frame where it starts at a place given by how its
energy splits between that frame and the next:

* lit over two frames n, n+1: ``onset = t[n+1] - L * E_n / (E_n + E_n+1)``,
  with ``L`` the flash's duration (unknown, fitted across many events: the
  events are stored as ``onset = boundary_s - L * ratio``);
* lit over three or more: the middle frames give the full brightness P and
  ``onset = t[n+1] - dur_n * E_n / P`` (no L needed);
* lit in one frame only: the onset lies somewhere in that frame before
  ``t[n+1] - L``: taken at the middle, with a uniform uncertainty a frame wide
  (a neighbouring frame may be lit too faintly to count);
* a lasting step (a light switched on): the onset lies between two frames.

Every place where cells rose is looked at (a flash during a camera pan is not
hidden by the pan elsewhere), and a brightening is a flash only if it looks like
added light: the picture is as before once it is over (no cut, nothing moved
in), one spatial pattern times one time profile explains its excess brightness
over the frames it lit and the two around (:func:`_same_shape`: a headlight
sweeping through a cell is not that), and it is not brightest at the picture's
edge (something coming into view).

Matching (:func:`match_and_fit`): two event lists are compared under every
hypothesis "event i of one is event j of the other"; the best hypotheses are
refined by least squares over the events paired within their uncertainties
(with the flash duration ``L`` as a second unknown when the split ratios vary
enough to measure it, and only pairs whose frame counts allow one duration).
The best wins if at least :data:`MIN_AGREEING` events agree, it clearly beats
the best hypothesis with a different offset in number, and its pairs are far
less likely as chance coincidences than the runner-up's
(:data:`MIN_EVIDENCE_MARGIN`). :func:`match_events` is the plain count for
instants.

:func:`find_constraints` gives ``"visual"`` constraints between videos and,
through :mod:`timesync.align.audiovisual`, ``"audio-visual"`` constraints
between a video's flashes and another source's heard impulses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from timesync.align import metadata
from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.overlay_scan import (
    CELL_GRID,
    CellCollector,
    cached_cells,
    iter_luma,
    remember_cells,
)

__all__ = [
    "VisualEvent",
    "EventMatch",
    "detect_flashes",
    "match_events",
    "match_and_fit",
    "EventSet",
    "fit_matched",
    "find_constraints",
    "MIN_AGREEING",
    "NO_FLASHES",
]

#: Grid (columns, rows) of brightness cells.
GRID = CELL_GRID
#: Robust z-score a cell's brightness jump must exceed.
Z_THRESHOLD = 10.0
#: Grey levels (0-255) a cell must brighten by, at least.
MIN_JUMP = 12.0
#: Grey levels a flash must brighten its brightest cell by (over the scene around it).
MIN_STRENGTH = 25.0
#: A frame is lit by a flash when its excess brightness is above this fraction of the rise.
LIT_FRACTION = 0.1
#: Mean cell brightness (0-255) at which a flash is taken as clipped.
SATURATED = 250.0
#: A flash falls back within this many frames; longer is a lasting step.
MAX_FLASH_FRAMES = 4
#: A lasting brightening (a light switched on) must cover this many cells (a tenth of the picture).
MIN_STEP_CELLS = round(0.1 * GRID[0] * GRID[1])
#: A flash leaves the scene as it was: its cells' brightness after it differs from before by at
#: most this fraction of the brightening (else a cut or something moving).
MAX_SHIFT = 0.25
#: Fraction of a flash's excess brightness (over the frames it lit and the two around) that one
#: spatial pattern must explain (see :func:`_same_shape`).
MIN_SAME_SHAPE = 0.95
#: A match's pairs must be this much (log10) less likely as chance coincidences than the
#: runner-up's (see :func:`_evidence`). In simulated pairs of unrelated event lists (3-27
#: events a side, flashes lit over one or two frames at 15-30 fps) 5 in 1284 then still
#: matched, against 10 with 2.5 and 26 by the counts alone.
MIN_EVIDENCE_MARGIN = 3.0
#: A brightening brightest this close to the picture's edge (cells) may be something coming into
#: view: no flash.
EDGE_CELLS = 2
#: Places (apart from each other) looked at for a flash in one frame.
MAX_PLACES = 8
#: Events that must agree for a match.
MIN_AGREEING = 3
#: The note of a video in which no flash was seen.
NO_FLASHES = "no visual events (flashes) seen"


@dataclass(frozen=True)
class VisualEvent:
    """One abrupt brightness change in a video.

    The onset (local seconds) is ``boundary_s - flash_s * ratio`` for a flash of
    duration ``flash_s`` (see the module docstring); ``sigma_s`` is the
    one-sigma uncertainty of that onset apart from ``flash_s``.

    Attributes
    ----------
    boundary_s, ratio, sigma_s : float
        As above (seconds, pure number, seconds).
    frame : int
        First frame showing the change.
    frames : int
        Frames lit (0 for a lasting step).
    strength : float
        Peak brightening of the brightest cell, grey levels.
    cell : tuple[int, int]
        ``(column, row)`` of that cell in the :data:`GRID`.
    frame_s : float
        Duration of the first lit frame (s).
    saturated : bool
        The flash drove cells to full brightness, so how its energy splits
        between frames is not measured: its onset is only known to a frame.
    uniform : bool
        The onset is only known to lie within an interval (a frame):
        uniformly, ``sigma_s`` times sqrt(3) either way at most, rather than
        with a normal error.
    """

    boundary_s: float
    ratio: float
    sigma_s: float
    frame: int
    frames: int
    strength: float
    cell: tuple[int, int]
    frame_s: float
    saturated: bool = False
    uniform: bool = False

    def onset_s(self, flash_s: float) -> float:
        """Onset in local seconds for a flash lasting ``flash_s`` seconds."""
        return self.boundary_s - flash_s * self.ratio

    def flash_bounds_s(self) -> tuple[float, float]:
        """Durations (s) a flash lighting this event's frames can have: ``(shortest, longest)``.

        A flash lighting ``k`` frames lasts more than ``k - 2`` frames and at
        most ``k`` frames, widened by half a frame either way for a frame lit
        too faintly to count (and the frames' durations not all equal). A
        lasting step is no flash: ``(inf, inf)``.
        """
        if self.frames == 0:
            return math.inf, math.inf
        return max(0.0, self.frames - 2.5) * self.frame_s, (self.frames + 0.5) * self.frame_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"boundary_s": round(self.boundary_s, 6), "ratio": round(self.ratio, 4),
                "sigma_s": round(self.sigma_s, 6), "frame": self.frame, "frames": self.frames,
                "strength": round(self.strength, 1), "cell": list(self.cell), "saturated": self.saturated,
                "uniform": self.uniform}


# -- detection ----------------------------------------------------------------------------------

def cell_brightness(path: str | Path, index) -> np.ndarray:
    """Mean luma of each :data:`GRID` cell of every frame: uint8 array (frames, rows, columns).

    Taken from the overlay pass when it already read the whole file, else read
    here (kept as uint8 while reading: 3 KB a frame).
    """
    cells = cached_cells(path, index)
    if cells is None:
        collector = CellCollector(index)
        for number, luma in iter_luma(path, index):
            collector.add(number, luma)
        cells = collector.finish()
        remember_cells(path, index, cells)
    return cells


def _moving(jump: np.ndarray, peak_cell: tuple[int, int], reach: int = 3) -> bool:
    """True when cells next to the brightening darken as much: an object moving, not a flash."""
    r, c = peak_cell
    near = jump[max(0, r - reach):r + reach + 1, max(0, c - reach):c + reach + 1]
    gain = float(np.clip(near, 0, None).sum())
    loss = float(np.clip(-near, 0, None).sum())
    return loss > 0.5 * gain


def _shift(block: np.ndarray, start: int, after: int, pre: np.ndarray, post: np.ndarray, mask: np.ndarray) -> float:
    """Mean change (grey levels) of the ``mask`` cells from before a flash to after it.

    The least of the change between the frames just around it and between
    the ``pre`` and ``post`` baselines (a flash shortly before or after may
    light one of them).
    """
    shifts = [float(np.abs(post - pre)[mask].mean())]
    if start >= 1 and after < len(block):
        shifts.append(float(np.abs(block[after] - block[start - 1])[mask].mean()))
    return min(shifts)


def _at_edge(cell: tuple[int, int], shape: tuple[int, ...], rings: int = EDGE_CELLS) -> bool:
    """True for a cell (row, column) in the outer ``rings`` rings of a grid of ``shape`` (rows, columns)."""
    return min(cell[0], cell[1], shape[0] - 1 - cell[0], shape[1] - 1 - cell[1]) < rings


def _blob(rose: np.ndarray, cell: tuple[int, int], jump: np.ndarray) -> np.ndarray:
    """The cells of ``rose`` connected to ``cell`` (or, if it did not rise, to the highest ``jump``)."""
    labels, _count = ndimage.label(rose)
    label = labels[cell] or labels.flat[int(np.argmax(np.where(rose, jump, -np.inf)))]
    return labels == label


def _same_shape(excess: np.ndarray) -> float:
    """Fraction of the energy of ``excess`` (frames, rows, columns) one spatial pattern explains.

    A light adds the same pattern (its glow) to every frame it lights, in
    proportion to how long it lit each, and nothing to the frames around: the
    excess over the baseline is one pattern times one time profile (fraction
    near 1). Something moving, or the picture changing, lights different cells
    in different frames, or darkens some (fraction well below 1).
    """
    flat = excess.reshape(len(excess), -1).astype(np.float64)  # (frames, cells)
    values = np.linalg.svd(flat, compute_uv=False)
    total = float(np.sum(values ** 2))
    return float(values[0] ** 2) / total if total > 0 else 0.0


def _event_at(bright: np.ndarray, n: int, times: np.ndarray, ends: np.ndarray, noise: np.ndarray,
              cell: tuple[int, int], reach: int = 4) -> tuple[VisualEvent | None, int]:
    """The event whose rise is detected at frame n around grid ``cell`` (row, column).

    Only the cells within ``reach`` of that cell take part, so a moving object
    elsewhere in the picture does not disturb the measure. Returns the event
    (or None) and the next frame to look at.
    """
    count = len(bright)
    r0, c0 = max(0, cell[0] - reach), max(0, cell[1] - reach)
    f0, f1 = max(0, n - 4), min(count, n + MAX_FLASH_FRAMES + 6)
    rows, cols = slice(r0, cell[0] + reach + 1), slice(c0, cell[1] + reach + 1)
    block = bright[f0:f1, rows, cols].astype(np.float32)  # the frames and cells around the rise
    noise = noise[rows, cols]

    def at(k: int) -> np.ndarray:
        return block[k - f0]

    pre = block[max(0, n - 3) - f0:n - 1 - f0].mean(axis=0) if n >= 2 else at(n - 1)
    jump = at(n) - at(n - 1)
    mask = _blob(jump > 0.3 * float(jump.max()), (cell[0] - r0, cell[1] - c0), jump)
    horizon = min(count, n + MAX_FLASH_FRAMES + 2)
    excess = np.clip(block[n - 1 - f0:horizon - f0] - pre, 0, None)[:, mask].sum(axis=1).astype(np.float64)
    noise_e = 3.0 * float(np.sqrt(np.sum(noise[mask] ** 2)))
    # the rise is at frame n (excess[1]) or, faint, already at n-1 (excess[0])
    e_ref = float(max(excess[0], excess[1]))
    lit = excess > max(LIT_FRACTION * e_ref, noise_e)
    first = 0 if lit[0] else 1
    last = first
    while last + 1 < len(lit) and lit[last + 1]:
        last += 1
    start = n - 1 + first
    dur = float(ends[start] - times[start])
    if last + 1 >= len(lit):  # still lit at the horizon: a lasting step
        if mask.sum() < MIN_STEP_CELLS or float(jump.max()) < MIN_STRENGTH:
            return None, n + 1  # a small lasting change (a clock digit, a moving edge)
        event = VisualEvent(boundary_s=float(times[start]) - dur / 2, ratio=0.0, sigma_s=dur / math.sqrt(12),
                            uniform=True, frame=start, frames=0, strength=float(jump.max()),
                            cell=(int(cell[1]), int(cell[0])), frame_s=dur)
        return event, n + MAX_FLASH_FRAMES + 2
    frames = last - first + 1
    if frames > MAX_FLASH_FRAMES or _moving(jump, (cell[0] - r0, cell[1] - c0)):
        return None, n - 1 + last + 2  # something bright passing through, not a flash
    # baseline from both sides of the flash: cancels slow changes of the scene
    after = start + frames
    post = block[after - f0:after + 2 - f0].mean(axis=0) if after < count else pre
    base = (pre + post) / 2
    lit_frames = block[start - f0:after - f0] - base
    e_lit = np.clip(lit_frames, 0, None)[:, mask].sum(axis=1).astype(np.float64)
    peak = lit_frames.max(axis=0)
    strength = float(peak[mask].max())
    if strength < MIN_STRENGTH or e_lit.sum() <= 0:
        return None, after
    if _shift(block, start - f0, after - f0, pre, post, mask) > MAX_SHIFT * float(peak[mask].mean()):
        return None, after  # not back to what it was: a cut or something moving, not a flash
    around = ndimage.binary_dilation(mask, iterations=1)
    if _same_shape((block[max(0, start - 1 - f0):after + 1 - f0] - base)[:, around]) < MIN_SAME_SHAPE:
        return None, after  # the picture around it changed otherwise: something moving, not a flash
    top = np.unravel_index(int(np.argmax(np.where(mask, peak, -np.inf))), peak.shape)
    if _at_edge((r0 + int(top[0]), c0 + int(top[1])), bright.shape[1:]):
        return None, after  # brightest at the picture's edge: something coming into view, as like as not
    common = dict(frame=start, frames=frames, strength=strength, cell=(int(cell[1]), int(cell[0])), frame_s=dur)
    boundary = float(ends[start])
    if float(block[start - f0:after - f0][:, mask].max()) >= SATURATED:
        # clipped: the split of energy between frames says nothing; the onset lies
        # somewhere in the first lit frame
        event = VisualEvent(boundary_s=boundary - dur / 2, ratio=0.0, sigma_s=dur / math.sqrt(12),
                            saturated=True, uniform=True, **common)
    elif frames == 1:
        event = VisualEvent(boundary_s=boundary - dur / 2, ratio=0.5, sigma_s=dur / math.sqrt(12), uniform=True,
                            **common)
    elif frames == 2:
        ratio = float(e_lit[0] / e_lit.sum())
        sigma = max(noise_e / float(e_lit.sum()), 0.02) * dur
        event = VisualEvent(boundary_s=boundary, ratio=ratio, sigma_s=sigma, **common)
    else:
        full = float(np.median(e_lit[1:-1]))
        onset = boundary - dur * min(1.0, float(e_lit[0]) / full)
        # one steady light fills the middle frames: none darker than the first or last; else (two
        # flashes close together) the first frame's share says little: somewhere in that frame
        steady = float(e_lit[1:-1].min()) >= 0.9 * max(float(e_lit[0]), float(e_lit[-1]))
        event = VisualEvent(boundary_s=onset, ratio=0.0, sigma_s=0.05 * dur if steady else dur / math.sqrt(12),
                            uniform=not steady, **common)
    return event, after


def _cell_noise(bright: np.ndarray, most: int = 20000) -> np.ndarray:
    """Robust sigma of each cell's frame-to-frame change (grey levels), from up to ``most`` frame pairs."""
    pick = np.unique(np.linspace(0, len(bright) - 2, min(most, len(bright) - 1)).round().astype(int))
    diff = bright[pick + 1].astype(np.float32) - bright[pick].astype(np.float32)
    med = np.median(diff, axis=0)
    return 1.4826 * np.median(np.abs(diff - med), axis=0) + 0.5


def _rises(bright: np.ndarray, noise: np.ndarray, chunk: int = 4096) -> list[tuple[int, np.ndarray]]:
    """Frames n where some cell brightens far above its noise, with the z-scores of that change."""
    out = []
    for s in range(0, len(bright) - 1, chunk):
        diff = np.diff(bright[s:s + chunk + 1].astype(np.float32), axis=0)
        z = np.where(diff > MIN_JUMP, diff / noise, 0.0)
        for k in np.nonzero((z > Z_THRESHOLD).any(axis=(1, 2)))[0]:
            out.append((s + int(k) + 1, z[k]))
    return out


def _places(zn: np.ndarray, busy: Sequence[tuple[int, int, int]], most: int = MAX_PLACES,
            apart: int = 4) -> Iterator[tuple[int, int]]:
    """Distinct places (row, column) where cells rose far above their noise, strongest first.

    Cells within ``apart`` of a stronger place, or within ``2 * apart`` of a
    ``busy`` place (an event found there and still lit: the list is read
    anew at each step, so an event found at one place hides the rest of its
    blob), are left out.
    """
    out: list[tuple[int, int]] = []
    for flat in np.argsort(zn, axis=None)[::-1][:np.count_nonzero(zn > Z_THRESHOLD)]:
        r, c = (int(v) for v in np.unravel_index(int(flat), zn.shape))
        if any(abs(r - r0) <= 2 * apart and abs(c - c0) <= 2 * apart for _, r0, c0 in busy) \
                or any(abs(r - r0) <= apart and abs(c - c0) <= apart for r0, c0 in out):
            continue
        out.append((r, c))
        yield r, c
        if len(out) >= most:
            return


def detect_flashes(path: str | Path, *, index=None, bright: np.ndarray | None = None) -> list[VisualEvent]:
    """Find flashes and other abrupt brightenings in a video.

    Parameters
    ----------
    path : the video (opened read-only).
    index : its FrameIndex (opened when not given); frame times come from it.
    bright : precomputed :func:`cell_brightness` (for tests and reuse).

    Returns
    -------
    list[VisualEvent]
        In time order.
    """
    if index is None:
        from timesync.media import FrameIndex

        index = FrameIndex.open(path)
    if bright is None:
        bright = cell_brightness(path, index)
    times = np.asarray(index.times, float)
    ends = np.append(times[1:], index.end_s)
    if len(bright) < 4:
        return []
    noise = _cell_noise(bright)
    events: list[VisualEvent] = []
    busy: list[tuple[int, int, int]] = []  # (until frame, row, column) of places already explained
    for n, zn in _rises(bright, noise):
        if n < 1:
            continue
        busy = [b for b in busy if b[0] > n]
        for cell in _places(zn, busy):
            event, _after = _event_at(bright, n, times, ends, noise, cell)
            if event is not None:
                events.append(event)
                busy.append((event.frame + max(1, event.frames), cell[0], cell[1]))
    return events


# -- matching -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventMatch:
    """The best pairing of two event lists: ``t_b = offset_s + t_a`` for the pairs.

    ``pairs``: ``(i, j)`` index pairs; ``agreeing``: their number;
    ``second_best``: agreeing events under the best hypothesis with a
    different offset (a clear winner has many more). ``evidence`` and
    ``second_evidence``: how unlikely (log10) the pairs of the best and of the
    runner-up hypothesis are as chance coincidences (see ``match_and_fit``).
    """

    offset_s: float
    pairs: list[tuple[int, int]]
    agreeing: int
    second_best: int
    evidence: float | None = None
    second_evidence: float | None = None


def _count(a: np.ndarray, b_sorted: np.ndarray, hyps: np.ndarray, tol: float) -> np.ndarray:
    shifted = a[None, :] + hyps[:, None]
    pos = np.clip(np.searchsorted(b_sorted, shifted), 1, len(b_sorted) - 1)
    near = np.minimum(np.abs(b_sorted[pos] - shifted), np.abs(b_sorted[pos - 1] - shifted))
    return (near <= tol).sum(axis=1)


def match_events(a: Sequence[float], b: Sequence[float], *, tol_s: float,
                 min_agreeing: int = MIN_AGREEING, max_events: int = 300) -> EventMatch | None:
    """Find the offset under which most events of ``a`` and ``b`` coincide.

    Parameters
    ----------
    a, b : event times (s) in each source's local time.
    tol_s : two events agree when within this (s).
    min_agreeing : events that must agree.
    max_events : at most this many events of each list are used (the first).

    Returns
    -------
    EventMatch or None
        None when fewer than ``min_agreeing`` events agree or the best
        hypothesis does not clearly beat the second best (by at least 2 events
        and a factor 1.5).
    """
    a = np.asarray(a, float)[:max_events]
    b = np.asarray(b, float)[:max_events]
    if len(a) < min_agreeing or len(b) < min_agreeing:
        return None
    b_sorted = np.sort(b)
    hyps = (b[None, :] - a[:, None]).ravel()
    counts = np.zeros(len(hyps), int)
    for start in range(0, len(hyps), 4096):
        counts[start:start + 4096] = _count(a, b_sorted, hyps[start:start + 4096], tol_s)
    best = int(np.argmax(counts))
    agreeing = int(counts[best])
    others = np.abs(hyps - hyps[best]) > 2 * tol_s
    second = int(counts[others].max()) if others.any() else 0
    if agreeing < min_agreeing or agreeing < second + 2 or agreeing < 1.5 * second:
        return None
    # refine: centre of the agreeing differences, then one-to-one nearest pairs
    offset = float(hyps[best])
    for _ in range(2):
        pairs = _pairs(a, b, offset, tol_s)
        if not pairs:
            return None
        offset = float(np.mean([b[j] - a[i] for i, j in pairs]))
    return EventMatch(offset_s=offset, pairs=pairs, agreeing=len(pairs), second_best=second)


def _pairs(a: np.ndarray, b: np.ndarray, offset: float, tol: float) -> list[tuple[int, int]]:
    used: set[int] = set()
    pairs = []
    for i in np.argsort(a):
        j = int(np.argmin(np.abs(b - (a[i] + offset))))
        if abs(b[j] - a[i] - offset) <= tol and j not in used:
            used.add(j)
            pairs.append((int(i), j))
    return pairs


@dataclass(frozen=True)
class MatchedFit:
    """Least-squares offset over matched events: ``t_b = offset_s + t_a`` at ``at_a_s``."""

    offset_s: float
    uncertainty_s: float
    flash_s: float
    flash_fitted: bool
    at_a_s: float
    residual_rms_s: float
    n: int


def fit_matched(t_a: np.ndarray, r_a: np.ndarray, s_a: np.ndarray,
                t_b: np.ndarray, r_b: np.ndarray, s_b: np.ndarray, *, flash_guess_s: float,
                flash_max_s: float = 0.2) -> MatchedFit:
    """Offset (and flash duration L) from matched events.

    Each matched pair obeys ``t_b - L r_b = offset + t_a - L r_a`` (for an
    audio impulse ``r = 0`` and ``t`` its onset). ``L`` is fitted when the
    ratios differ enough, else held at ``flash_guess_s``.

    Parameters
    ----------
    t_a, r_a, s_a, t_b, r_b, s_b : arrays
        Boundary times (s), ratios and one-sigma uncertainties (s) of the matched events.
    flash_guess_s : the flash duration used when it cannot be fitted (s).
    flash_max_s : the longest flash the events allow (s): a fitted duration beyond it is not taken.
    """
    y = t_b - t_a
    dr = r_b - r_a
    sig = np.sqrt(s_a**2 + s_b**2) + 1e-5
    w = 1 / sig**2
    n = len(y)
    fitted = n >= 4 and float(np.std(dr)) > 0.12
    if fitted:
        design = np.column_stack([np.ones(n), dr])
        cov = np.linalg.inv(design.T @ (design * w[:, None]))
        off, flash = cov @ (design.T @ (w * y))
        if not 0 < flash < min(0.2, flash_max_s):
            fitted = False
    if not fitted:
        flash = flash_guess_s
        off = float(np.sum(w * (y - flash * dr)) / np.sum(w))
        cov = np.array([[1 / np.sum(w)]])
    resid = y - off - flash * dr
    dof = max(1, n - (2 if fitted else 1))
    chi2 = float(np.sum(w * resid**2)) / dof
    sigma = math.sqrt(float(cov[0, 0]) * max(1.0, chi2))
    if not fitted:  # the unknown flash duration: half the guess either way
        sigma = math.hypot(sigma, 0.5 * flash_guess_s * abs(float(np.mean(dr))))
    # at the weighted centre of the events the offset and L decorrelate; report there
    at_a = float(np.sum(w * t_a) / np.sum(w))
    return MatchedFit(offset_s=float(off), uncertainty_s=max(sigma, 1e-4), flash_s=float(flash),
                      flash_fitted=fitted, at_a_s=at_a, residual_rms_s=float(np.sqrt(np.mean(resid**2))), n=n)


@dataclass(frozen=True)
class EventSet:
    """Events of one source for matching: ``onset = t - L * r`` with one-sigma ``sigma`` (arrays).

    ``shortest`` and ``longest``: the flash durations (s) each event allows
    (:meth:`VisualEvent.flash_bounds_s`); None for instants (any). Two events
    are the same flash only if their ranges overlap. ``uniform``: events whose
    onset is only known to an interval (:attr:`VisualEvent.uniform`); None:
    none. ``frame_s``: the duration of each event's first frame (s); None for
    instants.
    """

    t: np.ndarray
    r: np.ndarray
    sigma: np.ndarray
    shortest: np.ndarray | None = None
    longest: np.ndarray | None = None
    uniform: np.ndarray | None = None
    frame_s: np.ndarray | None = None

    @classmethod
    def of(cls, events: Sequence[VisualEvent]) -> EventSet:
        """From detected flashes."""
        bounds = np.array([e.flash_bounds_s() for e in events], float).reshape(-1, 2)
        return cls(np.array([e.boundary_s for e in events], float), np.array([e.ratio for e in events], float),
                   np.array([e.sigma_s for e in events], float), bounds[:, 0], bounds[:, 1],
                   np.array([e.uniform for e in events], bool), np.array([e.frame_s for e in events], float))

    def spread(self) -> tuple[np.ndarray, np.ndarray]:
        """``(normal sigma, half-width of a uniform error)`` of every event's onset (s): one of them is 0."""
        uniform = np.zeros(len(self.t), bool) if self.uniform is None else self.uniform
        return np.where(uniform, 0.0, self.sigma), np.where(uniform, math.sqrt(3) * self.sigma, 0.0)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(shortest, longest)`` flash durations (s) of every event (0 and inf when not known)."""
        if self.shortest is None or self.longest is None:
            return np.zeros_like(self.t), np.full_like(self.t, np.inf)
        return self.shortest, self.longest

    @classmethod
    def instants(cls, times: Sequence[float], sigma_s: float) -> EventSet:
        """From instants known to ``sigma_s`` (heard impulses)."""
        t = np.asarray(times, float)
        return cls(t, np.zeros_like(t), np.full_like(t, sigma_s))


def _tolerance(a: EventSet, b: EventSet) -> np.ndarray:
    """How far (s) the onsets of events ``i`` of ``a`` and ``j`` of ``b`` may differ if the same: ``[i, j]``.

    Three combined normal sigmas, plus the half-widths of uniform errors
    (bounded), plus 2 ms.
    """
    (sig_a, half_a), (sig_b, half_b) = a.spread(), b.spread()
    return 3 * np.hypot(sig_a[:, None], sig_b[None, :]) + half_a[:, None] + half_b[None, :] + 0.002


def _tight_pairs(a: EventSet, b: EventSet, offset: float, flash_s: float, slack: np.ndarray | None = None,
                 allowed: np.ndarray | None = None) -> list[tuple[int, int]]:
    """One-to-one pairs whose onsets agree within :func:`_tolerance` (+ ``slack[i, j]``) where ``allowed[i, j]``."""
    ta = a.t - flash_s * a.r
    tb = b.t - flash_s * b.r
    gap = np.abs(tb[None, :] - ta[:, None] - offset)
    tol = _tolerance(a, b)
    if slack is not None:
        tol = tol + slack
    ok = gap <= tol
    if allowed is not None:
        ok &= allowed
    pairs, used = [], set()
    for i in np.argsort(ta):
        cands = [j for j in np.nonzero(ok[i])[0] if j not in used]
        if cands:
            j = int(min(cands, key=lambda k: gap[i, k]))
            used.add(j)
            pairs.append((int(i), j))
    return pairs


def _crossings_unlikely(events: Sequence[tuple[EventSet, int]], flash_s: float, p_min: float = 1e-3) -> bool:
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


def _evidence(a: EventSet, b: EventSet, pairs: Sequence[tuple[int, int]], density: float) -> float:
    """How unlikely (log10) the ``pairs`` are as chance coincidences of unrelated events.

    Each pair agrees within its :func:`_tolerance` ``tol``; an event of ``b``
    (``density`` per second) falls within ``tol`` of a given time by chance
    with probability ``min(1, 2 tol density)``. Precise pairs weigh more than
    pairs of flashes lit in one frame only (known to a frame).
    """
    if not pairs:
        return 0.0
    tol = _tolerance(a, b)
    return -sum(math.log10(min(1.0, 2 * float(tol[i, j]) * density)) for i, j in pairs)


def _votes(a: EventSet, b: EventSet, frame_s: float, offsets_s: tuple[float, float] | None) \
        -> tuple[np.ndarray, np.ndarray]:
    """Offset hypotheses (every pairing of an event of ``a`` with one of ``b``, within
    ``offsets_s`` if given) and how many events agree within a frame under each."""
    guess = 0.5 * frame_s
    times_a, times_b = a.t - guess * a.r, b.t - guess * b.r
    b_sorted = np.sort(times_b)
    hyps = (times_b[None, :] - times_a[:, None]).ravel()
    if offsets_s is not None:
        hyps = hyps[(hyps >= offsets_s[0]) & (hyps <= offsets_s[1])]
    counts = np.zeros(len(hyps), int)
    for start in range(0, len(hyps), 4096):
        counts[start:start + 4096] = _count(times_a, b_sorted, hyps[start:start + 4096], frame_s)
    return hyps, counts


def match_and_fit(a: EventSet, b: EventSet, *, frame_s: float, min_agreeing: int = MIN_AGREEING,
                  candidates: int = 60, offsets_s: tuple[float, float] | None = None) \
        -> tuple[EventMatch, MatchedFit] | None:
    """Match two event sets and fit ``t_b = offset + t_a`` (and the flash duration).

    Hypotheses (every pairing of an event of ``a`` with one of ``b``) are
    ranked by how many events agree within a frame; the best ``candidates``
    distinct ones are refined: events are paired within their own
    uncertainties (:func:`_tolerance`) where their frame counts allow one
    flash duration, the offset and flash duration fitted, and the pairs
    counted again. Refined hypotheses within half a frame of a better one are
    the same. The one with most agreeing events wins if it has at least
    ``min_agreeing``, clearly beats the runner-up (whatever the runner-up's
    count: by 2 events and a factor 1.5), and its pairs are at least
    :data:`MIN_EVIDENCE_MARGIN` (log10) less likely as chance coincidences
    (:func:`_evidence`); otherwise None. With ``offsets_s`` (a closed range,
    seconds, from weaker evidence), only offsets in it are considered, the
    runner-up included, and None is returned unless the best offset inside
    has as many votes as the best anywhere.
    """
    guess = 0.5 * frame_s
    if len(a.t) < min_agreeing or len(b.t) < min_agreeing:
        return None
    hyps, counts = _votes(a, b, frame_s, offsets_s)
    if offsets_s is not None and hyps.size:
        # weaker evidence only settles which of several offsets that fit as well as
        # the best one is right: never one that an offset outside the range beats
        if counts.max() < _votes(a, b, frame_s, None)[1].max():
            return None
    chosen: list[float] = []
    for k in np.argsort(-counts, kind="stable"):
        if len(chosen) >= candidates:
            break
        if all(abs(hyps[k] - c) > 0.1 * frame_s for c in chosen):
            chosen.append(float(hyps[k]))
    slack = 0.5 * frame_s * np.abs(b.r[None, :] - a.r[:, None])  # the flash duration is not known yet
    (short_a, long_a), (short_b, long_b) = a.bounds(), b.bounds()
    # the same flash only where the durations the two events allow overlap
    allowed = np.maximum(short_a[:, None], short_b[None, :]) <= np.minimum(long_a[:, None], long_b[None, :])
    refined: list[tuple[int, float, list[tuple[int, int]], MatchedFit | None]] = []
    for hyp in chosen:
        pairs = _tight_pairs(a, b, hyp, guess, slack, allowed)
        fit, offset = None, hyp
        for _ in range(3):
            if len(pairs) < 2:
                break
            ia, ib = [i for i, _ in pairs], [j for _, j in pairs]
            longest = min([0.2] + [long_a[i] for i in ia if a.r[i] > 0] + [long_b[j] for j in ib if b.r[j] > 0])
            fit = fit_matched(a.t[ia], a.r[ia], a.sigma[ia], b.t[ib], b.r[ib], b.sigma[ib],
                              flash_guess_s=min(guess, longest), flash_max_s=longest)
            if fit.flash_fitted and _crossings_unlikely([(a, i) for i in ia] + [(b, j) for j in ib], fit.flash_s):
                # a flash that short (long) would seldom have lit two frames as often (seldom) as these did
                fit = fit_matched(a.t[ia], a.r[ia], a.sigma[ia], b.t[ib], b.r[ib], b.sigma[ib],
                                  flash_guess_s=min(guess, longest), flash_max_s=0.0)
            offset = fit.offset_s
            pairs = _tight_pairs(a, b, fit.offset_s, fit.flash_s, allowed=allowed)
        refined.append((len(pairs), offset, pairs, fit))
    # hypotheses within half a frame of a better one are the same one, paired differently; the
    # runner-up (whatever its count: chance coincidences of unrelated events) sets the bar
    distinct: list[tuple[int, float, list[tuple[int, int]], MatchedFit | None]] = []
    if offsets_s is not None:  # a refit may have moved out of the range
        refined = [r for r in refined if offsets_s[0] <= r[1] <= offsets_s[1]]
    for r in sorted(refined, key=lambda r: (-r[0], r[3].uncertainty_s if r[3] else math.inf)):
        if all(abs(r[1] - d[1]) >= 0.5 * frame_s for d in distinct):
            distinct.append(r)
    if not distinct or distinct[0][3] is None:
        return None
    density = len(b.t) / max(float(np.ptp(b.t)), frame_s)
    evidence = [_evidence(a, b, r[2], density) for r in distinct]
    best, best_evidence = distinct[0], evidence[0]
    second = distinct[1][0] if len(distinct) > 1 else 0
    second_evidence = max(evidence[1:], default=0.0)
    if best[0] < min_agreeing or best[0] < second + 2 or best[0] < 1.5 * second \
            or best_evidence < second_evidence + MIN_EVIDENCE_MARGIN:
        return None
    return EventMatch(offset_s=best[1], pairs=best[2], agreeing=best[0], second_best=second,
                      evidence=best_evidence, second_evidence=second_evidence), best[3]


def visual_constraint(name_a: str, ev_a: list[VisualEvent], name_b: str, ev_b: list[VisualEvent],
                      narrow: Constraint | None = None) -> tuple[Constraint | None, str | None]:
    """A ``"visual"`` constraint from two videos' flashes, or None and why.

    ``narrow`` is weaker evidence on the same offset (``t_b = offset_s + t_a``,
    e.g. :func:`timesync.align.metadata.prior`): when the flashes match no
    offset clearly, they are matched again within :meth:`Constraint.search_range`
    (as the audio search is); a match found only there says so in its evidence.
    """
    frame_s = max(float(np.median([e.frame_s for e in ev_a])), float(np.median([e.frame_s for e in ev_b])))
    sets = EventSet.of(ev_a), EventSet.of(ev_b)
    found = match_and_fit(*sets, frame_s=frame_s)
    narrowed: dict[str, Any] = {}
    span = narrow.search_range() if found is None and narrow is not None else None
    if span is not None:
        found = match_and_fit(*sets, frame_s=frame_s, offsets_s=span)
        narrowed = {"narrowed_by": narrow.kind, "narrowed_to_s": [round(span[0], 3), round(span[1], 3)]}
    if found is None:
        return None, f"flashes of {Path(name_a).name} and {Path(name_b).name} do not match clearly"
    match, fit = found
    constraint = Constraint(
        source=name_a, other=name_b, offset_s=fit.offset_s, uncertainty_s=fit.uncertainty_s, kind="visual",
        rate=1.0, score=float(match.agreeing), rate_uncertainty=None, at_source_s=fit.at_a_s,
        evidence={"events_agreeing": match.agreeing, "second_best": match.second_best,
                  "chance_log10": round(-(match.evidence or 0.0), 2),
                  "second_chance_log10": round(-(match.second_evidence or 0.0), 2),
                  "flash_s": round(fit.flash_s, 5), "flash_fitted": fit.flash_fitted,
                  "residual_rms_s": round(fit.residual_rms_s, 6),
                  "pairs_s": [[round(ev_a[i].onset_s(fit.flash_s), 4), round(ev_b[j].onset_s(fit.flash_s), 4)]
                              for i, j in match.pairs[:50]]} | narrowed,
    )
    return constraint, None


def find_constraints(sources: Sequence[Any], *, progress: Callable[[float, str], None] | None = None) \
        -> AlignerReport:
    """Flashes in every video; ``"visual"`` and ``"audio-visual"`` constraints.

    Parameters
    ----------
    sources : SourceMedia with ``name``, ``path``, ``info``.
    progress : optional ``progress(fraction, message)``.

    Returns
    -------
    AlignerReport
        ``findings[name]["visual_events"]``: the number of events seen;
        ``notes[name]`` for a video with no flash (``"no visual events (flashes) seen"``).
    """
    from timesync.errors import TimesyncError

    report = AlignerReport(method="visual")
    flashes: dict[str, list[VisualEvent]] = {}
    for i, src in enumerate(sources):
        info = getattr(src, "info", None)
        if info is not None and getattr(info, "video", None) is None:
            continue
        if progress:
            progress(0.8 * i / max(1, len(sources)), f"visual: flashes in {src.name}")
        try:
            events = detect_flashes(src.path)
        except (TimesyncError, OSError, ValueError) as exc:
            report.notes[src.name] = f"visual events not read: {exc}"
            continue
        report.findings.setdefault(src.name, {})["visual_events"] = len(events)
        if len(events) < MIN_AGREEING:
            report.notes[src.name] = NO_FLASHES if not events else \
                f"only {len(events)} visual event(s) seen: too few to match"
            continue
        flashes[src.name] = events
    names = list(flashes)
    by_name = {src.name: src for src in sources}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            narrow = metadata.prior(by_name[b], by_name[a])  # t_b = offset + t_a
            constraint, _why = visual_constraint(a, flashes[a], b, flashes[b], narrow)
            if constraint is not None:
                report.constraints.append(constraint)
    if flashes:
        from timesync.align import audiovisual

        if progress:
            progress(0.85, "visual: flashes against heard impulses")
        av_report = audiovisual.find_constraints(sources, flashes=flashes)
        report.constraints.extend(av_report.constraints)
        for name, finding in av_report.findings.items():
            report.findings.setdefault(name, {}).update(finding)
    linked = {n for c in report.constraints for n in (c.source, c.other)}
    for name in flashes:
        if name not in linked and name not in report.notes:
            report.notes[name] = (f"{len(flashes[name])} visual events seen, but their pattern matches no other "
                                  "source's flashes or heard impulses clearly")
    if progress:
        progress(1.0, "visual: done")
    return report
