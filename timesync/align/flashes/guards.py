"""Is a brightening added light? The tests :mod:`timesync.align.flashes.detect` puts a candidate flash to.

A flash adds light to the picture: every cell it reaches is brighter than the
scene would be without it, none darker, and the picture is as before once it
is over. Something moving (an object crossing, a hand leaving and coming
back, a clip played back and forth), a cut, a pan or something coming into
view brightens some cells too, but darkens others as much, or leaves the
picture changed. Each test here rejects one of these.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["added_light", "clean_steps", "moving", "one_frame", "plateau", "steady", "subtracts_light", "MAX_DARKENING_NEAR", "MAX_DARKENING_FRAME"]

#: A flash leaves the scene as it was: its cells' brightness after it differs from before by at
#: most this fraction of the brightening (else a cut or something moving).
MAX_SHIFT = 0.25
#: Fraction of a flash's excess brightness (over the frames it lit and the two around) that one
#: spatial pattern must explain (see :func:`_same_shape`).
MIN_SAME_SHAPE = 0.95
#: A brightening brightest this close to the picture's edge (cells) may be something coming into
#: view: no flash.
EDGE_CELLS = 2
#: A long light's plateau: the frames lit to at least this fraction of its brightest (see :func:`plateau`).
PLATEAU_LEVEL = 0.5
#: A long light's plateau's inner frames are this close (fraction) to their median brightness: a
#: light switched on and off is steady, where a brightening that steps up (something bright
#: coming in, then a wash of the frame) is not.
PLATEAU_SPREAD = 0.15
#: A long light's rise and fall change the cells around it alike: correlation at least this (see
#: :func:`clean_steps`; something bright passing, over busy real video, stayed below 0.7).
MIN_SAME_STEPS = 0.8
#: After a long light's plateau and the frame it lights in part, a codec's trail of it stays below
#: this fraction of the plateau (something bright passing fades out slowly).
MAX_TRAIL = 0.3
#: Frames a long light may take to fall back after its plateau (a frame lit in part, a codec's trail).
MAX_TAIL_FRAMES = 4
#: At a flash's brightest frame, the cells around it (see :func:`_around`) may darken (against the
#: frames around) by at most this fraction of what they brighten (see :func:`subtracts_light`).
MAX_DARKENING_NEAR = 0.25
#: The same over the whole picture, less what ordinary frames nearby darken (a busy scene).
MAX_DARKENING_FRAME = 0.4
#: A brightening longer than a few frames may darken the whole picture by at most this fraction
#: of what it brightens (see :func:`subtracts_light`).
MAX_DARKENING_LONG = 0.4
#: Reach (cells) of the neighbourhood of :data:`MAX_DARKENING_NEAR`, at least.
NEAR_CELLS = 6
#: The two frames just before a flash, and the two just after, differ by at most this fraction
#: of its brightening (see :func:`_flickers`).
MAX_FLICKER = 0.5
#: A flash lighting one frame that stands this far (fraction of its brightening) above both frames
#: around it is not blamed for the picture moving under it (see :func:`_up_and_down`) ...
MIN_UP_AND_DOWN = 0.6
#: ... when it lights this fraction of the picture at least (something small moving through a
#: busy scene stands out of one frame too) ...
MIN_UP_AND_DOWN_AREA = 0.01
#: ... by this many grey levels on average at least.
MIN_UP_AND_DOWN_RISE = 25.0
#: A brightening whose lit cells cover this fraction of the picture is the whole frame lit.
WASH_FRACTION = 0.5
#: Percentile of the cells' rise that a wash is measured against (see :func:`is_wash`).
WASH_TOP = 95


def moving(jump: np.ndarray, peak_cell: tuple[int, int], reach: int = 3) -> bool:
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


def one_frame(block: np.ndarray, frame: int, mask: np.ndarray, rise: float, shape: tuple[int, ...]) -> bool:
    """True when the ``mask`` cells of ``block``'s ``frame`` stand out of both frames around it: a light
    lighting that one frame, whatever the picture does before and after.

    They brighten by ``rise`` grey levels on average (at least
    :data:`MIN_UP_AND_DOWN_RISE`), each stands above the brighter of the two
    frames around by :data:`MIN_UP_AND_DOWN` of that on average, and they
    cover :data:`MIN_UP_AND_DOWN_AREA` of the picture (``shape``: the grid's
    rows, columns) at least.
    """
    return bool(mask.sum() >= MIN_UP_AND_DOWN_AREA * shape[0] * shape[1] and rise >= MIN_UP_AND_DOWN_RISE
                and _up_and_down(block, frame, frame + 1, mask) >= MIN_UP_AND_DOWN * rise)


def _up_and_down(block: np.ndarray, start: int, after: int, mask: np.ndarray) -> float:
    """How far (grey levels, mean over the ``mask`` cells) a brightening lighting the one frame
    ``start`` (``after == start + 1``) stands above both frames around it, each cell against the
    brighter of the two; 0 for a longer brightening or one at the ends of ``block``."""
    if after != start + 1 or start < 1 or after >= len(block):
        return 0.0
    return float((block[start] - np.maximum(block[start - 1], block[after]))[mask].mean())


def _usual_shift(block: np.ndarray, start: int, after: int, mask: np.ndarray) -> float:
    """Median change (grey levels, mean over the ``mask`` cells) between ordinary frames of ``block``
    as far apart as the frames just around a brightening of frames ``start .. after - 1`` are.

    None of the frames compared is lit (pairs wholly before the brightening or
    wholly after it): how much the picture moves over that time anyway (a
    person talking, a camera carried), which a short flash over a moving
    picture is not to be blamed for. 0 when no such pair fits in ``block``.
    """
    span = after - start + 1
    firsts = [*range(0, start - 1 - span), *range(after + 1, len(block) - span)]
    if not firsts:
        return 0.0
    changes = [float(np.abs(block[f + span] - block[f])[mask].mean()) for f in firsts]
    return float(np.median(changes))


def _usual_motion(block: np.ndarray, start: int, after: int, cells: np.ndarray) -> float:
    """Median energy (squared grey levels summed over ``cells``) that ordinary frames of ``block``
    give the excess :func:`added_light` tests for one pattern, with no light in them.

    For each frame ``f`` whose test frames lie wholly before a brightening of
    frames ``start .. after - 1`` or wholly after it, the energy of frames
    ``f - 1 .. f + 1`` less the baseline a one-frame flash at ``f`` is given
    (the mean of frames ``f - 3, f - 2`` averaged with that of ``f + 1, f + 2``):
    a moving picture leaves that much in it with no light. 0 when no such
    frame fits in ``block``.
    """
    firsts = [*range(3, start - 3), *range(after + 3, len(block) - 2)]
    energies = []
    for f in firsts:
        base = (block[f - 3:f - 1].mean(axis=0) + block[f + 1:f + 3].mean(axis=0)) / 2
        energies.append(float(np.sum(((block[f - 1:f + 2] - base)[:, cells]).astype(np.float64) ** 2)))
    return float(np.median(energies)) if energies else 0.0


def _shape_despite_motion(excess: np.ndarray, motion: float) -> bool:
    """True when one spatial pattern explains a short flash's ``excess`` (frames, cells) but for the
    ``motion`` energy (:func:`_usual_motion`) ordinary frames of a moving picture leave anyway:
    what it leaves unexplained, less that, is at most ``1 - MIN_SAME_SHAPE`` of its energy."""
    flat = excess.reshape(len(excess), -1).astype(np.float64)
    values = np.linalg.svd(flat, compute_uv=False)
    total = float(np.sum(values ** 2))
    return total > 0 and total - float(values[0] ** 2) - motion <= (1 - MIN_SAME_SHAPE) * total


def _at_edge(cell: tuple[int, int], shape: tuple[int, ...], rings: int = EDGE_CELLS) -> bool:
    """True for a cell (row, column) in the outer ``rings`` rings of a grid of ``shape`` (rows, columns)."""
    return min(cell[0], cell[1], shape[0] - 1 - cell[0], shape[1] - 1 - cell[1]) < rings


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


def added_light(block: np.ndarray, start: int, after: int, pre: np.ndarray, post: np.ndarray, mask: np.ndarray,
                peak: np.ndarray, shape: tuple[int, ...], origin: tuple[int, int], wash: bool,
                clean: bool = False) -> bool:
    """True when a brightening of frames ``start .. after - 1`` of ``block`` looks like added light.

    Not so when the picture is not back to what it was (a cut or something
    moving), when the picture around it changed otherwise (something moving,
    :func:`_same_shape`), or when it is brightest at the picture's edge
    (something coming into view, as like as not) unless it is an even ``wash``
    of the whole frame. ``peak``: the most each cell brightened; ``shape``:
    the grid's (rows, columns); ``origin``: the grid cell of ``block``'s cell
    (0, 0). A ``clean`` long light (:func:`clean_steps`: its fall undoes its
    rise) need not find the picture as it was: the scene moved under it.
    Nor need a flash lighting one frame well above both frames around it, over
    a fair part of the picture (:data:`MIN_UP_AND_DOWN`, over a moving
    low-resolution picture): the picture may differ after it, and leave more
    than one pattern in the frames around it, by as much as ordinary frames as
    far apart do (:func:`_usual_shift`, :func:`_usual_motion`).
    """
    base = (pre + post) / 2
    rise = float(peak[mask].mean())
    # one frame lit above both frames around it: a moving picture may differ after it, and leave
    # more in the frames around it, by as much as it does anyway
    single = after == start + 1 and one_frame(block, start, mask, rise, shape)
    shift = _shift(block, start, after, pre, post, mask) - (_usual_shift(block, start, after, mask) if single else 0)
    if not clean and shift > MAX_SHIFT * rise or _flickers(block, start, after, mask, rise):
        return False
    around = ndimage.binary_dilation(mask, iterations=1)
    excess = (block[max(0, start - 1):after + 1] - base)[:, around]
    if _same_shape(excess) < MIN_SAME_SHAPE \
            and not (single and _shape_despite_motion(excess, _usual_motion(block, start, after, around))):
        return False
    lit = peak[mask]
    if wash and mask.mean() >= 0.8 and float(np.median(lit)) >= 0.7 * float(lit.max()):
        return True  # an even wash of the whole frame: lit whatever its edge
    top = np.unravel_index(int(np.argmax(np.where(mask, peak, -np.inf))), peak.shape)
    return not _at_edge((origin[0] + int(top[0]), origin[1] + int(top[1])), shape)


def _flickers(block: np.ndarray, start: int, after: int, mask: np.ndarray, rise: float) -> bool:
    """True when the ``mask`` cells change by more than :data:`MAX_FLICKER` of ``rise`` (grey levels)
    between the two frames just before a brightening (``start``), or the two just after it (``after``).

    A flash lifts a steady picture and leaves it steady: cells that were
    already switching just before (a blinking display, a flickering light, a
    bar of a frame counter) are not lit by one.
    """
    steps = []
    if start >= 2:
        steps.append(np.abs(block[start - 1] - block[start - 2])[mask].mean())
    if after + 1 < len(block):
        steps.append(np.abs(block[after + 1] - block[after])[mask].mean())
    return len(steps) == 2 and all(float(step) > MAX_FLICKER * rise for step in steps)


def is_wash(jump: np.ndarray) -> bool:
    """True when a rise (``jump``: each cell's change, whole grid) lifts most of the picture at once.

    Measured against the rise of the brightest few percent of the picture
    (:data:`WASH_TOP`), not its one brightest cell: a gain on the whole frame
    lifts a bright highlight far more than the rest (a 15-fps camera of a
    busy street, corpus tuning seed 138: its highest cell rose 180 grey
    levels, half the picture 35 or more).
    """
    top = float(np.percentile(jump, WASH_TOP))
    return top > 0 and float(np.mean(jump > 0.3 * top)) >= WASH_FRACTION


def steady(e_lit: np.ndarray, spread: float = PLATEAU_SPREAD) -> bool:
    """True when a long brightening (energies ``e_lit`` of the frames it lit) is a steady light.

    See :func:`plateau`: a steady light is one whose plateau is found.
    """
    return plateau(e_lit, spread) is not None


def plateau(e_lit: np.ndarray, spread: float = PLATEAU_SPREAD) -> tuple[int, int] | None:
    """The frames ``(first, last)`` (indices of ``e_lit``) a steady light lights fully, or None.

    A light switched on and off (a spotlight, a light bar) adds the same
    brightness to every frame between its first and last: its plateau (the
    frames within ``spread`` of the median of those lit to at least
    :data:`PLATEAU_LEVEL` of the brightest, in one run) starts at the first
    frame or the next (the first may be lit in part) and it falls back within
    :data:`MAX_TAIL_FRAMES` frames (or a quarter of the plateau, at a high
    frame rate): a frame lit in part, then what a video codec leaves of a
    bright picture for a few frames after it is gone (below
    :data:`MAX_TRAIL` of the plateau). Something bright
    passing by swells and fades slowly instead, or steps up (something bright
    coming into view, then a wash of the whole frame over it), or flickers.
    """
    top = float(np.max(e_lit)) if len(e_lit) else 0.0
    if top <= 0:
        return None
    full = float(np.median(e_lit[e_lit >= PLATEAU_LEVEL * top]))
    flat = np.nonzero(np.abs(e_lit - full) <= spread * full)[0]
    if not len(flat):
        return None
    first, last = int(flat[0]), int(flat[-1])
    if len(flat) != last - first + 1 or first > 1 \
            or len(e_lit) - 1 - last > max(MAX_TAIL_FRAMES, (last - first + 1) // 4) \
            or np.any(e_lit[last + 2:] > MAX_TRAIL * full):
        return None
    return first, last


def _darkening(excess: np.ndarray) -> float:
    """Darkening over brightening (summed grey levels) of an excess picture; inf when nothing brightened."""
    gain = float(np.clip(excess, 0, None).sum())
    loss = float(np.clip(-excess, 0, None).sum())
    return loss / gain if gain > 0 else float("inf")


def _residual(bright: np.ndarray, frame: int, after: int) -> np.ndarray | None:
    """Frame ``frame`` less the mean of the means of up to three frames before it and three from ``after`` on."""
    before = bright[max(0, frame - 3):frame].astype(np.float32)
    later = bright[after:after + 3].astype(np.float32)
    if not len(before) or not len(later):
        return None
    return bright[frame].astype(np.float32) - (before.mean(axis=0) + later.mean(axis=0)) / 2


def _usual_darkening(bright: np.ndarray, start: int, after: int, lag: int = 1) -> float:
    """Median darkening (grey levels summed over the picture) of ordinary frames near a brightening.

    The brightening (frames ``start .. after - 1``) is measured at a frame
    against up to three frames before it and three from ``lag`` frames after
    it on (:func:`_residual`); each of up to five ordinary frames before
    ``start`` and five after ``after`` is measured the same way (none of the
    frames it is compared with lit): how much a busy scene darkens some cells
    over that time anyway (the longer the brightening, the more the scene
    moves between the frames compared).
    """
    losses = []
    for f in [*range(start - lag - 7, start - lag - 2), *range(after + 2, after + 7)]:
        if 0 < f < len(bright) - lag:
            x = _residual(bright, f, f + lag)
            if x is not None:
                losses.append(float(np.clip(-x, 0, None).sum()))
    return float(np.median(losses)) if losses else 0.0


def _around(excess: np.ndarray, cell: tuple[int, int]) -> np.ndarray | tuple[slice, slice]:
    """The cells around a brightening at ``cell`` (row, column) of ``excess`` (rows, columns).

    Its lit blob (the cells connected to ``cell`` brightened by at least 30 %
    as much) widened by its own size, at least :data:`NEAR_CELLS`: a large
    object moving darkens cells further away than a small one does. Without
    a blob (``cell`` not brightened), the square within :data:`NEAR_CELLS`.
    """
    r, c = cell
    top = float(excess[r, c])
    if top <= 0:
        return slice(max(0, r - NEAR_CELLS), r + NEAR_CELLS + 1), slice(max(0, c - NEAR_CELLS), c + NEAR_CELLS + 1)
    labels, _count = ndimage.label(excess >= 0.3 * top)
    blob = labels == labels[r, c]
    return ndimage.binary_dilation(blob, iterations=max(NEAR_CELLS, round(float(np.sqrt(blob.sum())))))


def subtracts_light(bright: np.ndarray, start: int, after: int, cell: tuple[int, int], long: bool = False,
                    clean: bool = False) -> bool:
    """True when a brightening of frames ``start .. after - 1`` darkens the picture as well: not a flash.

    ``bright``: the cell grid of every frame (frames, rows, columns); ``cell``:
    (row, column) of the brightening. At its brightest frame, against the
    mean of up to three frames before and three after, the cells around it
    (:func:`_around`) must darken by at most :data:`MAX_DARKENING_NEAR`
    of what they brighten, and the whole picture by at most
    :data:`MAX_DARKENING_FRAME` of it more than ordinary frames nearby do
    (:func:`_usual_darkening`: a busy scene darkens some cells anyway while a
    flash lights others). An object that moves away and back (a hand
    uncovering the sky for a frame, a clip played back and forth) brightens
    cells on one side and darkens them on the other as much. A ``long``
    brightening (more than a few frames: the scene has time to change
    under it) must darken the picture by at most :data:`MAX_DARKENING_LONG`
    of what it brightens, whatever ordinary frames do: a light that long is
    strong and steady, while something bright passing through a busy scene
    goes with as much darkening elsewhere. A ``clean`` one (a long light
    switched on and off cleanly, :func:`clean_steps`) is compared with
    ordinary frames as far apart as the frames its brightest is measured
    against: the scene moves under a light that long.
    """
    lit = [(f, x) for f, x in ((f, _residual(bright, f, after)) for f in range(start, after)) if x is not None]
    if not lit:
        return False  # at the start or end of the video: nothing to compare with on one side
    r, c = cell
    near = (slice(max(0, r - NEAR_CELLS), r + NEAR_CELLS + 1), slice(max(0, c - NEAR_CELLS), c + NEAR_CELLS + 1))
    at, peak = max(lit, key=lambda fx: float(np.clip(fx[1][near], 0, None).sum()))
    if _darkening(peak[_around(peak, cell)]) > MAX_DARKENING_NEAR:
        return True
    gain = float(np.clip(peak, 0, None).sum())
    loss = float(np.clip(-peak, 0, None).sum())
    if long and loss > MAX_DARKENING_LONG * gain:
        return True
    return loss - _usual_darkening(bright, start, after, after - at if clean else 1) > MAX_DARKENING_FRAME * gain


def clean_steps(bright: np.ndarray, rise: tuple[int, int], fall: tuple[int, int], cell: tuple[int, int]) -> bool:
    """True when a long light is switched on and off cleanly: each step changes the cells around it
    the right way, hardly the wrong way, and the two steps change them alike (the same light).

    ``bright``: the cell grid of every frame; ``rise``: (frame before the
    light, first frame fully lit), ``fall``: (last frame fully lit, first frame
    after it); ``cell``: (row, column) of the light. Within
    ``2 * NEAR_CELLS`` of it, each step (a frame or a few apart) may change
    the picture the wrong way (darken at the rise, brighten at the fall) by at
    most :data:`MAX_DARKENING_NEAR` of what it changes it the right way, more
    than ordinary frame pairs as far apart nearby do; the two steps change it
    by amounts within a factor two, and alike (correlation at least
    :data:`MIN_SAME_STEPS`). Over a busy scene a light lasting half a second
    spans frames between which the scene itself moved (so
    :func:`subtracts_light` cannot tell it from something bright passing),
    but its steps are as short as the frame interval; something bright
    coming into view and leaving changes other cells when it goes.
    """
    if rise[0] < 0 or fall[1] >= len(bright):
        return False
    r, c = cell
    reach = 2 * NEAR_CELLS
    bright = bright[:, max(0, r - reach):r + reach + 1, max(0, c - reach):c + reach + 1]
    gains, steps = [], []
    # the rise against frame pairs as far apart before it, the fall against pairs after it
    for (lo, hi), sign, near in ((rise, 1.0, range(rise[0] - 2 * (rise[1] - rise[0]) - 6, rise[0] - (rise[1] - rise[0]))),
                                 (fall, -1.0, range(fall[1] + 1, fall[1] + 6))):
        span = hi - lo
        step = sign * (bright[hi].astype(np.float32) - bright[lo])  # the light's change: positive
        gain = float(np.clip(step, 0, None).sum())
        wrong = float(np.clip(-step, 0, None).sum())
        usual = [float(np.clip(-sign * (bright[f + span].astype(np.float32) - bright[f]), 0, None).sum())
                 for f in near if 0 <= f and f + span < len(bright)]
        if gain <= 0 or wrong - (float(np.median(usual)) if usual else 0.0) > MAX_DARKENING_NEAR * gain:
            return False
        gains.append(gain)
        steps.append(step.ravel())
    same = float(np.corrcoef(steps[0], steps[1])[0, 1]) if min(np.std(steps[0]), np.std(steps[1])) > 0 else 0.0
    return min(gains) >= 0.5 * max(gains) and same >= MIN_SAME_STEPS
