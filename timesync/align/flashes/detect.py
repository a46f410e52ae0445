"""Visual events (flashes, strobes, lights switched on) detected in a video.

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

The events are matched by :mod:`timesync.align.flashes.pattern`; the
``"visual"`` aligner is :mod:`timesync.align.flashes.visual`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from timesync.align.flashes.event import VisualEvent
from timesync.align.flashes.grid import CellFile, cell_noise, noise_picks, robust_sigma
from timesync.align.flashes.guards import (
    MAX_TAIL_FRAMES,
    PLATEAU_LEVEL,
    PLATEAU_SPREAD,
    added_light,
    clean_steps,
    is_wash,
    moving,
    one_frame,
    plateau,
    subtracts_light,
)
from timesync.align.flashes.merge import one_per_brightening
from timesync.align.overlay.scan import (
    CELL_BYTES,
    CELL_GRID,
    CellCollector,
    cached_cells,
    iter_luma,
    remember_cells,
    worth_keeping,
)

__all__ = ["VisualEvent", "cell_brightness", "detect_flashes", "flashes_in"]

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
#: A flash falls back within this many frames at least (at a high frame rate, more: see
#: :data:`MAX_FLASH_S`); longer is a lasting step.
MAX_FLASH_FRAMES = 4
#: A flash (a spotlight sweeping over the lens, a light bar) lasts at most this long (s); longer is
#: a lasting step.
MAX_FLASH_S = 0.5
#: A lasting brightening (a light switched on) must cover this many cells (a tenth of the picture).
MIN_STEP_CELLS = round(0.1 * GRID[0] * GRID[1])
#: Places (apart from each other) looked at for a flash in one frame.
MAX_PLACES = 8
#: A flash lighting three or four frames is one steady light when its middle frames are lit at
#: least this fraction of the brightest of them (then its onset is read from the first frame's
#: share to a few percent of a frame).
STEADY_MIDDLE = 0.8
#: Frames whose rises are scored at a time when a long video's cell grid is on disk (12 MB).
CHUNK_FRAMES = 4096

def cell_brightness(path: str | Path, index) -> np.ndarray:
    """Mean luma of each :data:`GRID` cell of every frame: uint8 array (frames, rows, columns).

    Taken from the overlay pass when it already read the whole file, else read
    here (kept as uint8 while reading: 3 KB a frame) with the cheap decode
    (:func:`~timesync.align.overlay.scan.iter_luma` ``cheap``: the loop filter
    skipped on non-reference frames; on the sample helicopter, one cell in ten
    thousand moves by one grey level).
    """
    cells = cached_cells(path, index)
    if cells is None:
        collector = CellCollector(index)
        for number, luma in iter_luma(path, index, cheap=True):
            collector.add(number, luma)
        cells = collector.finish()
        remember_cells(path, index, cells)
    return cells


def _blob(rose: np.ndarray, cell: tuple[int, int], jump: np.ndarray) -> np.ndarray:
    """The cells of ``rose`` connected to ``cell`` (or, if it did not rise, to the highest ``jump``)."""
    labels, _count = ndimage.label(rose)
    label = labels[cell] or labels.flat[int(np.argmax(np.where(rose, jump, -np.inf)))]
    return labels == label


def _max_frames(times: np.ndarray) -> int:
    """Frames a flash may light at most in a video with frame times ``times`` (s)."""
    frame = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    longest = math.ceil(MAX_FLASH_S / max(frame, 1e-3))
    return max(MAX_FLASH_FRAMES, longest + 2 + max(MAX_TAIL_FRAMES, longest // 4))  # and its trail


def _event_at(bright: np.ndarray, n: int, times: np.ndarray, ends: np.ndarray, noise: np.ndarray,
              cell: tuple[int, int], reach: int = 4, max_frames: int = MAX_FLASH_FRAMES) \
        -> tuple[VisualEvent | None, int]:
    """The event whose rise is detected at frame n around grid ``cell`` (row, column).

    Only the cells within ``reach`` of that cell take part, so a moving object
    elsewhere in the picture does not disturb the measure; a flash lights at
    most ``max_frames`` frames. Returns the event (or None) and the next frame
    to look at.
    """
    count = len(bright)
    r0, c0 = max(0, cell[0] - reach), max(0, cell[1] - reach)
    f0, f1 = max(0, n - 4), min(count, n + max_frames + 6)
    rows, cols = slice(r0, cell[0] + reach + 1), slice(c0, cell[1] + reach + 1)
    block = bright[f0:f1, rows, cols].astype(np.float32)  # the frames and cells around the rise
    noise = noise[rows, cols]
    pre = block[max(0, n - 3) - f0:n - 1 - f0].mean(axis=0) if n >= 2 else block[n - 1 - f0]
    jump = block[n - f0] - block[n - 1 - f0]
    mask = _blob(jump > 0.3 * float(jump.max()), (cell[0] - r0, cell[1] - c0), jump)
    first, last, lasting, noise_e = _lit_run(block[n - 1 - f0:min(count, n + max_frames + 2) - f0], pre,
                                             mask, noise)
    if (lasting or last - first >= 2) and one_frame(block, n - f0, mask, float(jump[mask].mean()), bright.shape[1:]):
        # frame n alone stands out of both frames around it: the picture moving on after it kept its
        # cells over the baseline before (a light lighting three frames or more lights the middle
        # ones fully; one lighting two may light the second faintly: that reading stands)
        first, last, lasting = 1, 1, False
    start = n - 1 + first
    dur = float(ends[start] - times[start])
    if lasting:  # still lit at the horizon: a lasting step
        event = _step_event(float(times[start]), start, dur, mask, jump, cell)
        return event, n + 1 if event is None else n + max_frames + 2
    frames = last - first + 1
    if frames > max_frames or moving(jump, (cell[0] - r0, cell[1] - c0)):
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
    lit_end, clean = after, False
    if frames > MAX_FLASH_FRAMES:
        found = _long_light(bright, e_lit, start, after, cell)
        if found is None:
            return None, after  # something bright passing by slowly, not a light switched on and off
        lit_end, clean = found
    wash = is_wash(bright[n].astype(np.float32) - bright[n - 1])
    if not added_light(block, start - f0, after - f0, pre, post, mask, peak, bright.shape[1:], (r0, c0), wash,
                       clean) \
            or subtracts_light(bright, start, after, cell, long=frames > MAX_FLASH_FRAMES and not clean, clean=clean):
        return None, after
    if start == n - 1 and n >= 2 and lit_end - start > 1 and _stale(block[start - 1 - f0:start + 1 - f0], mask, noise_e):
        e_lit, start = e_lit[1:], n
        dur = float(ends[start] - times[start])
    common = dict(frame=start, frames=lit_end - start, strength=strength, cell=(int(cell[1]), int(cell[0])),
                  frame_s=dur, span_s=float(ends[lit_end - 1] - times[start]))
    saturated = float(block[start - f0:lit_end - f0][:, mask].max()) >= SATURATED
    return _flash_event(e_lit[:lit_end - start], noise_e, float(ends[start]), saturated, common), after


def _step_event(t0: float, start: int, dur: float, mask: np.ndarray, jump: np.ndarray, cell: tuple[int, int]) \
        -> VisualEvent | None:
    """A lasting step (a light switched on) whose first frame ``start`` begins at ``t0`` (s), lasts
    ``dur`` (s); None when it is small (a clock digit, a moving edge: see :data:`MIN_STEP_CELLS`)."""
    if mask.sum() < MIN_STEP_CELLS or float(jump.max()) < MIN_STRENGTH:
        return None
    return VisualEvent(boundary_s=t0 - dur / 2, ratio=0.0, sigma_s=dur / math.sqrt(12), uniform=True, frame=start,
                       frames=0, strength=float(jump.max()), cell=(int(cell[1]), int(cell[0])), frame_s=dur)


def _long_light(bright: np.ndarray, e_lit: np.ndarray, start: int, after: int, cell: tuple[int, int]) \
        -> tuple[int, bool] | None:
    """A brightening of frames ``start .. after - 1`` (longer than :data:`MAX_FLASH_FRAMES`, excess
    energies ``e_lit``) as a light switched on and off: ``(lit_end, clean)``, or None (not steady).

    ``lit_end``: the frame after its plateau and the frame it lights in part
    (a codec's trail after them is not the light's, see
    :func:`~timesync.align.flashes.guards.plateau`); ``clean``: switched on and
    off cleanly at ``cell`` (row, column) and longer than a short flash
    (:func:`~timesync.align.flashes.guards.clean_steps`): judged as a short
    flash is, the scene moving under it.
    """
    flat = plateau(e_lit)
    if flat is None:
        return None
    lit_end = start + min(len(e_lit), flat[1] + 2)
    clean = lit_end - start > MAX_FLASH_FRAMES \
        and clean_steps(bright, (start - 1, start + flat[0]), (start + flat[1], after), cell)
    return lit_end, clean


def _stale(pair: np.ndarray, mask: np.ndarray, noise_e: float) -> bool:
    """True when the second of two frames (``pair``: the frame before the rise's first lit frame, and
    that one) did not rise over the first beyond ``noise_e`` on the ``mask`` cells.

    Such a first frame is no faint first frame of the flash: the scene
    changed a frame earlier and stayed so (lifting it over the baseline).
    """
    return float(np.clip(pair[1] - pair[0], 0, None)[mask].sum()) <= noise_e


def _lit_run(block: np.ndarray, pre: np.ndarray, mask: np.ndarray, noise: np.ndarray) \
        -> tuple[int, int, bool, float]:
    """Which frames a rise lights: ``(first, last, lasting, noise_e)``.

    ``block`` holds the frames from the one before the rise (frames n - 1 ..
    the horizon), ``pre`` the baseline before it. A frame is lit when the
    ``mask`` cells' excess brightness over ``pre`` is above
    :data:`LIT_FRACTION` of the rise and above three sigmas of their noise
    (``noise_e``, grey levels summed over the cells). ``first`` and ``last``
    index ``block``; ``lasting``: still lit at the horizon (a lasting step).
    """
    excess = np.clip(block - pre, 0, None)[:, mask].sum(axis=1).astype(np.float64)
    noise_e = 3.0 * float(np.sqrt(np.sum(noise[mask] ** 2)))
    # the rise is at frame n (excess[1]) or, faint, already at n-1 (excess[0])
    e_ref = float(max(excess[0], excess[1]))
    lit = excess > max(LIT_FRACTION * e_ref, noise_e)
    first = 0 if lit[0] else 1
    last = first
    while last + 1 < len(lit) and lit[last + 1]:
        last += 1
    return first, last, last + 1 >= len(lit), noise_e


def _flash_event(e_lit: np.ndarray, noise_e: float, boundary: float, saturated: bool,
                 common: dict[str, Any]) -> VisualEvent:
    """The flash lighting frames with excess energies ``e_lit``, the first ending at ``boundary`` (s).

    See the module docstring for the onset by the number of frames lit;
    ``common``: the :class:`VisualEvent` fields known already (``frame_s`` is
    the first lit frame's duration).
    """
    dur = common["frame_s"]
    if saturated:
        # clipped: the split of energy between frames says nothing; the onset lies
        # somewhere in the first lit frame
        return VisualEvent(boundary_s=boundary - dur / 2, ratio=0.0, sigma_s=dur / math.sqrt(12),
                           saturated=True, uniform=True, **common)
    if len(e_lit) == 1:
        return VisualEvent(boundary_s=boundary - dur / 2, ratio=0.5, sigma_s=dur / math.sqrt(12), uniform=True,
                           **common)
    if len(e_lit) == 2:
        ratio = float(e_lit[0] / e_lit.sum())
        sigma = max(noise_e / float(e_lit.sum()), 0.02) * dur
        return VisualEvent(boundary_s=boundary, ratio=ratio, sigma_s=sigma, **common)
    if len(e_lit) > MAX_FLASH_FRAMES:
        # a long light (a spotlight, a wash of the frame): over a changing picture, with clipped
        # highlights, the first frame's share of it says little: somewhere in that frame, or, when
        # that frame is lit as fully as the plateau, about its start (the frame before it lit
        # below LIT_FRACTION: the onset lies at most that much of a frame before)
        centre = boundary - (dur if _fully_lit(e_lit) else dur / 2)
        return VisualEvent(boundary_s=centre, ratio=0.0, sigma_s=dur / math.sqrt(12), uniform=True, **common)
    full = float(np.median(e_lit[1:-1]))
    onset = boundary - dur * min(1.0, float(e_lit[0]) / full)
    # one steady light fills the middle frames: none darker than the first or last, all alike
    # (STEADY_MIDDLE); else (two flashes close together, a frame lit before the light by
    # something else) the first frame's share says little: somewhere in that frame
    middle = e_lit[1:-1]
    steady = float(middle.min()) >= max(0.9 * max(float(e_lit[0]), float(e_lit[-1])),
                                        STEADY_MIDDLE * float(middle.max()))
    return VisualEvent(boundary_s=onset, ratio=0.0, sigma_s=0.05 * dur if steady else dur / math.sqrt(12),
                       uniform=not steady, **common)


def _fully_lit(e_lit: np.ndarray) -> bool:
    """True when a long light's first frame (excess energies ``e_lit`` of the frames it lit) is lit
    as fully as its plateau: within :data:`~timesync.align.flashes.guards.PLATEAU_SPREAD` of the
    median of the later frames lit to :data:`~timesync.align.flashes.guards.PLATEAU_LEVEL` of the
    brightest (a light lasting a fraction of that frame lights it in proportion)."""
    later = e_lit[1:]
    full = float(np.median(later[later >= PLATEAU_LEVEL * float(later.max())]))
    return float(e_lit[0]) >= (1 - PLATEAU_SPREAD) * full


def _cell_noise(bright: np.ndarray, most: int = 20000, rows: int = 4) -> np.ndarray:
    """Robust sigma of each cell's frame-to-frame change (grey levels), from up to ``most`` frame pairs.

    Computed ``rows`` grid rows at a time (each cell's figure is its own), so a long video's
    float copies stay small (20,000 pairs of a whole 64x48 grid would take 245 MB each). A grid
    on disk: :func:`timesync.align.flashes.grid.cell_noise`, the same figures.
    """
    pick = noise_picks(len(bright), most)
    out = np.empty(bright.shape[1:], np.float32)
    for r in range(0, bright.shape[1], rows):
        block = slice(r, r + rows)
        out[block] = robust_sigma(bright[pick + 1, block].astype(np.float32) - bright[pick, block].astype(np.float32))
    return out


def _rises(bright: np.ndarray, noise: np.ndarray, chunk: int = 256) -> Iterator[tuple[int, np.ndarray]]:
    """Frames n where some cell brightens far above its noise, with the z-scores of that change.

    Yielded in frame order, ``chunk`` frames worked at a time (float32 z-scores of a 64x48 grid
    take 12 KB a frame, and four such arrays are made: a whole hour's would take gigabytes, 1,024
    frames 54 MB, 256 frames 13 MB).
    """
    for s in range(0, len(bright) - 1, chunk):
        diff = np.diff(bright[s:s + chunk + 1].astype(np.float32), axis=0)
        z = np.where(diff > MIN_JUMP, diff / noise, 0.0)
        for k in np.nonzero((z > Z_THRESHOLD).any(axis=(1, 2)))[0]:
            yield s + int(k) + 1, z[k]


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


def detect_flashes(path: str | Path, *, index=None, bright: np.ndarray | None = None,
                   keep_bytes: int | None = None, chunk: int = CHUNK_FRAMES) -> list[VisualEvent]:
    """Find flashes and other abrupt brightenings in a video.

    Parameters
    ----------
    path : the video (opened read-only).
    index : its FrameIndex (opened when not given); frame times come from it. Any object with
        ``times``, ``end_s`` and a length does when ``bright`` is given.
    bright : precomputed :func:`cell_brightness` (for tests and reuse).
    keep_bytes : int, optional
        A cell grid read here is held in memory up to this size (bytes); a larger one is
        written to an unnamed temporary file while the video is decoded and worked a window at a
        time (:mod:`timesync.align.flashes.grid`): the same events, memory bounded whatever the
        length. Default: grids the overlay pass would keep
        (:func:`~timesync.align.overlay.scan.worth_keeping`, about 11 min at 30 fps).
    chunk : int
        Frames whose rises are scored per window of a grid on disk (each window also holds
        the frames an event's tests look at around them).

    Returns
    -------
    list[VisualEvent]
        In time order.
    """
    if index is None:
        from timesync.media import FrameIndex

        index = FrameIndex.open(path)
    times = np.asarray(index.times, float)
    ends = np.append(times[1:], index.end_s)
    max_frames = _max_frames(times)
    if bright is None:
        bright = cached_cells(path, index)
    if bright is None and not _kept_in_memory(index, keep_bytes):
        if len(index) < 4:
            return []
        try:
            cells = CellFile(len(index))
        except OSError:  # no temp dir to write in: the grid is held in memory, as before
            cells = None
        if cells is not None:
            with cells:
                for number, luma in iter_luma(path, index, cheap=True):
                    cells.add(number, luma)
                cells.finish()
                noise = cell_noise(cells)
                return _events(_file_windows(cells, chunk, _reach(max_frames)), times, ends, noise, max_frames)
    if bright is None:
        bright = cell_brightness(path, index)
    if len(bright) < 4:
        return []
    return _events([(0, bright, 1, len(bright))], times, ends, _cell_noise(bright), max_frames)


def _kept_in_memory(index, keep_bytes: int | None) -> bool:
    """True when the cell grid of a video with this index is read into memory (see :func:`detect_flashes`)."""
    return worth_keeping(index) if keep_bytes is None else len(index) * CELL_BYTES <= keep_bytes


def _reach(max_frames: int) -> int:
    """Frames before and after a rise that its event's tests may look at (with a wide margin).

    :func:`_event_at` looks from 4 frames before the rise to ``max_frames + 6`` after; the
    tests of :mod:`~timesync.align.flashes.guards` from the lit frames' length plus 11
    before to twice it plus 9 after (``subtracts_light``'s ordinary frames, ``clean_steps``).
    """
    return 4 * max_frames + 64


def _file_windows(cells: CellFile, chunk: int, reach: int) -> Iterator[tuple[int, np.ndarray, int, int]]:
    """``(first, frames, lo, hi)``: frames ``first ..`` of ``cells`` read, to score rises at frames
    ``lo .. hi - 1``; ``reach`` frames more on either side (or to the grid's ends)."""
    for lo in range(1, len(cells), chunk):
        hi = min(len(cells), lo + chunk)
        first = max(0, lo - reach)
        yield first, cells.read(first, min(len(cells), hi + reach)), lo, hi


def _events(windows: Iterable[tuple[int, np.ndarray, int, int]], times: np.ndarray, ends: np.ndarray,
            noise: np.ndarray, max_frames: int) -> list[VisualEvent]:
    """The events of rises at frames ``lo .. hi - 1`` of each window ``(first, frames, lo, hi)``.

    ``frames`` holds the grid's frames ``first ..``, and ``frames`` reaches the grid's start
    (or :func:`_reach` before ``lo``) and its end (or as far after ``hi``): every test then
    sees what it would see in the whole grid. ``times``, ``ends``: every frame's start and end
    (local s); ``noise``: :func:`_cell_noise`.
    """
    events: list[VisualEvent] = []
    busy: list[tuple[int, int, int]] = []  # (until frame, row, column) of places already explained
    for first, frames, lo, hi in windows:
        starts, stops = times[first:], ends[first:]
        for k, zn in _rises(frames[lo - 1 - first:hi - first], noise):
            n = lo - 1 + k
            busy = [b for b in busy if b[0] > n]
            for cell in _places(zn, busy):
                event, _after = _event_at(frames, n - first, starts, stops, noise, cell, max_frames=max_frames)
                if event is not None:
                    if first:
                        event = replace(event, frame=event.frame + first)
                    events.append(event)
                    busy.append((event.frame + max(1, event.frames), cell[0], cell[1]))
    return one_per_brightening(events)


#: Videos whose detected flashes are kept (see :func:`flashes_in`).
_FLASHES_KEPT = 32
_FLASHES: OrderedDict[tuple, list[VisualEvent]] = OrderedDict()
_FLASHES_LOCK = threading.Lock()


def flashes_in(path: str | Path, sha256: str | None = None) -> list[VisualEvent]:
    """:func:`detect_flashes` of ``path``, read once for the visual and audio-visual aligners.

    The events are kept for the file as it is (same resolved path, size and
    modification time, as the cell grids of :mod:`timesync.align.overlay.scan`
    are, and the same ``sha256`` when the caller hashed the file: a file
    replaced under the same size and time is read again), for a few dozen
    files. The list returned is a copy.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_size, stat.st_mtime_ns, sha256)
    with _FLASHES_LOCK:
        kept = _FLASHES.get(key)
    if kept is None:  # read outside the lock: files are read in threads (timesync.align.video_reads)
        kept = detect_flashes(path)
    with _FLASHES_LOCK:
        _FLASHES[key] = kept
        _FLASHES.move_to_end(key)
        while len(_FLASHES) > _FLASHES_KEPT:
            _FLASHES.popitem(last=False)
    return list(kept)
