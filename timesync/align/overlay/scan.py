"""Fast sequential access to the luma of video frames, numbered by the FrameIndex.

Overlay and flash analysis look at small regions or coarse grids of every
frame. On inter-coded video every frame of a GOP must be decoded anyway, so a
sequential decode that keeps only the luma plane (no RGB conversion, no copy of
the whole picture) is the cheapest way to see them. Frame numbers and times
come from the :class:`timesync.media.FrameIndex` (container PTS), never from
a counter times a frame rate.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["iter_luma", "iter_windows", "DecodeCount", "luma_of", "CELL_GRID", "CELL_BYTES", "CHEAP_DECODE", "cells_of", "remember_cells", "cached_cells", "CellCollector",
           "worth_keeping", "repeat_last_seen"]

#: Grid (columns, rows) of mean-brightness cells kept per frame for flash detection.
CELL_GRID = (64, 48)
#: Bytes of one frame's cell grid (uint8 cells).
CELL_BYTES = CELL_GRID[0] * CELL_GRID[1]
#: Whole-file cell grids kept in memory (the overlay pass leaves them for the flash pass).
_CELLS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CELLS_KEPT = 6
_CELLS_LOCK = threading.Lock()
#: At most this many bytes of cell grids are kept (a 3-hour file at 30 fps takes 1 GB), and a
#: file's grid only when it takes at most half of it (about 11 min at 30 fps): the grids are
#: kept for short files, which the overlay reader reads whole; a long file's would hold
#: hundreds of MB against the 500 MB bound while the next file is scanned.
_CELLS_MAX_BYTES = 128 * 2**20


def luma_of(frame) -> np.ndarray:
    """The luma plane of a decoded PyAV frame as an (H, W) uint8 view (no copy when possible)."""
    fmt = frame.format.name
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21", "gray")) and not fmt.startswith("gray16"):
        plane = frame.planes[0]
        data = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return data[:, : frame.width]
    return frame.to_ndarray(format="gray")


class DecodeCount:
    """How many frames the decoder returned (those skipped after a seek included).

    Pass one to :func:`iter_luma` or :func:`iter_windows` to count what a read
    cost: the overlay reader reports it as ``OverlayClock.frames_decoded``.
    """

    def __init__(self) -> None:
        self.frames = 0


#: Decoder options of a cheap decode (see :func:`iter_luma`): the in-loop deblocking filter skipped on
#: the frames no other frame is predicted from (H.264 honours it; other decoders ignore it). Not on
#: every frame ("all"): the unfiltered pictures would then be the references of the next ones, and
#: the error grows along a GOP (37 grey levels in a cell after 40 frames of a coarsely quantized
#: clip; on the sample helicopter, steps of 8 at its keyframes, where the error resets).
CHEAP_DECODE = {"skip_loop_filter": "noref"}


def _open_video(container, cheap: bool = False):
    """The first video stream, set to decode with threads (and with :data:`CHEAP_DECODE` when ``cheap``)."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    if cheap:
        stream.codec_context.options = dict(CHEAP_DECODE)  # taken when the decoder opens (first packet)
    return stream


def _decode_from(container, stream, pts_all: np.ndarray, times: np.ndarray, first: int,
                 stop_s: float | None, count: DecodeCount | None, seek: bool = False) \
        -> Iterator[tuple[int, np.ndarray]]:
    """Frames ``first`` on (seeking there first when ``first`` > 0 or ``seek``) up to ``stop_s``: ``(number, luma)``."""
    if first > 0 or seek:
        container.seek(int(pts_all[first]), stream=stream, backward=True)
    counter = None
    last = len(pts_all) - 1
    number = -1  # the frame last yielded or skipped, -1 when unknown
    for frame in container.decode(stream):
        if count is not None:
            count.frames += 1
        pts = frame.pts
        if pts is not None:
            if 0 <= number < last and pts_all[number + 1] == pts and pts_all[number] < pts:
                number += 1  # the usual case: the index's next frame (what searchsorted finds)
            else:
                number = int(np.searchsorted(pts_all, pts))
                if number > last or pts_all[number] != pts:
                    number = -1
                    continue  # not a presented frame of the index
        else:
            counter = first if counter is None else counter + 1
            number = counter
        if number < first:
            continue
        if stop_s is not None and times[number] >= stop_s:
            break
        yield number, luma_of(frame)


def iter_luma(path: str | Path, index, *, start_s: float = 0.0, stop_s: float | None = None,
              count: DecodeCount | None = None, cheap: bool = False) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame number, luma)`` for every frame from ``start_s`` up to ``stop_s``.

    Parameters
    ----------
    path : path of the video (opened read-only).
    index : FrameIndex of that file; its ``pts`` give the frame numbers.
    start_s, stop_s : float
        Local seconds; frames whose start lies in ``[start_s, stop_s)`` are yielded.
    count : DecodeCount, optional
        Incremented for every frame decoded.
    cheap : bool
        Decode with :data:`CHEAP_DECODE` (the loop filter skipped on
        non-reference frames): less decoding work where the codec filters
        (H.264 with its deblocking on and B-frames), those pictures a few grey
        levels off the true decode near block edges, no error carried to other
        frames. For coarse statistics (the flash detector's cells), never for
        reading text (the overlay reader keeps the true decode).

    Notes
    -----
    The luma array is only valid until the next iteration (it may view the
    decoder's buffer): copy what you keep.
    """
    import av

    pts_all = np.asarray(index.pts)
    times = np.asarray(index.times)
    first = int(np.searchsorted(times, start_s - 1e-9))
    if first >= len(pts_all):
        return
    with av.open(str(path), mode="r") as container:
        stream = _open_video(container, cheap)
        yield from _decode_from(container, stream, pts_all, times, first, stop_s, count)


def iter_windows(path: str | Path, index, windows: list[tuple[float, float]], *,
                 count: DecodeCount | None = None, cheap: bool = False) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(window k, frame number, luma)`` for the frames of each ``(start_s, stop_s)`` window.

    One open of the file, one seek per window (local seconds, in the order given);
    see :func:`iter_luma` for the frames of one window, ``cheap`` and the life of ``luma``.
    """
    import av

    pts_all = np.asarray(index.pts)
    times = np.asarray(index.times)
    with av.open(str(path), mode="r") as container:
        stream = _open_video(container, cheap)
        for k, (start_s, stop_s) in enumerate(windows):
            first = int(np.searchsorted(times, start_s - 1e-9))
            if first >= len(pts_all):
                continue
            for number, luma in _decode_from(container, stream, pts_all, times, first, stop_s, count,
                                             seek=k > 0):
                yield k, number, luma


def cells_of(luma: np.ndarray, grid: tuple[int, int] = CELL_GRID, out: np.ndarray | None = None) -> np.ndarray:
    """Mean luma of each cell of a ``grid`` (columns, rows): uint8 array (rows, columns), rounded.

    Large pictures are read on fewer rows: ``step`` such that a cell keeps at
    least 4 rows and would keep 4 columns (a flash lights whole areas, so the
    means of a flash-sized area change by the same fraction). When the columns
    split into whole cells (1280, 1920, 960 wide), every column counts (a fine
    vertical pattern is averaged, not aliased) and each cell is the exact mean
    of ``n = height // (rows * step)`` of its rows, ``rows * n`` rows spread
    evenly over the picture (:func:`_spread_rows`), by cv2's integer-ratio
    area average (``float32(sum) * float32(1 / area)``, rounded half to even):
    1280x720, every third row (cells of 5 rows and 20 columns; a view, no
    copy); 1920x1080, 4 rows of each 22.5 (30 columns); 960x540, 5 rows of each
    11.25 (15 columns). Otherwise every ``step``-th row and column (``step`` 1
    for pictures under 512x384: every pixel), averaged as cv2's area average
    (``INTER_AREA``) averages them, to the bit: where a cell holds a whole
    number of pixels each way (320x240, 640x480), by cv2 itself; else
    (480x270, 640x360, 426x240, ...) by :func:`_area_cells`, exact sums with
    fractional pixels weighed by their share, about 2 to 3 times cheaper than
    cv2's own general area average. ``out``: a C-contiguous uint8 (rows,
    columns) array to write into (and return).
    """
    import cv2

    height, width = luma.shape
    step = max(1, min(height // (grid[1] * 4), width // (grid[0] * 4)))
    if step > 1 and width % grid[0] == 0:
        rows = luma[::step]
        if rows.shape[0] % grid[1] != 0:  # 1080p, 540p: n rows of each cell, copied (1080p: 368 KB)
            rows = np.take(luma, _spread_rows(height, grid[1] * (height // (grid[1] * step))), axis=0)
        luma = rows
    elif step > 1:
        luma = luma[::step, ::step]
    plan = _area_plan(luma.shape[0], luma.shape[1], grid[0], grid[1])
    if plan is not None:
        return _area_cells(luma, plan, out)
    if out is None:
        return cv2.resize(luma, grid, interpolation=cv2.INTER_AREA)
    return cv2.resize(luma, grid, dst=out, interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=16)
def _spread_rows(height: int, count: int) -> np.ndarray:
    """``count`` row numbers spread evenly over ``height`` rows: ``floor(j * height / count)``, j = 0 .. count-1.

    With ``count`` a multiple of the grid's rows, each cell holds ``count / rows`` of them.
    """
    rows = np.arange(count, dtype=np.intp) * height // count
    rows.flags.writeable = False
    return rows


@dataclass(frozen=True)
class _Axis:
    """cv2's area-average table along one axis, and the exact weights of its cells.

    ``pixels``, ``alpha``: (count, k) pixel numbers and cv2's float32 weights
    of each cell (padded with pixel 0, weight 0); ``period``, ``cells``:
    ``size / count`` as a fraction in lowest terms (a pattern of ``period``
    pixels over ``cells`` cells repeats); ``weights``: (cells, period) the
    integer weights of the first pattern, in ``1 / cells`` of a pixel (a whole
    pixel weighs ``cells``).
    """

    pixels: np.ndarray
    alpha: np.ndarray
    period: int
    cells: int
    weights: np.ndarray


#: Multiply-adds of one matrix product kept under OpenBLAS's threshold for threads (m n k < 4 * 65536):
#: on two busy cores its threads cost 50 times the CPU of one for these small products.
_ONE_THREAD = 2**18 - 1
#: A plan's products may cost at most this many multiply-adds a pixel (``cells`` of the rows' pattern
#: plus ``rows * cells / height`` of the columns'): about half of what cv2's general average costs.
_MACS_PER_PIXEL = 32


def _cv2_area_table(size: int, count: int) -> list[list[tuple[int, np.float32]]]:
    """cv2's ``computeResizeAreaTab`` (``imgproc/resize.cpp``): per cell, its (pixel, float32 weight), in order."""
    scale = 1.0 / (count / size)  # as cv2.resize computes it from the sizes
    table = []
    for d in range(count):
        fsx1 = d * scale
        fsx2 = fsx1 + scale
        width = min(scale, size - fsx1)
        sx2 = min(math.floor(fsx2), size - 1)
        sx1 = min(math.ceil(fsx1), sx2)
        cell = []
        if sx1 - fsx1 > 1e-3:
            cell.append((sx1 - 1, np.float32((sx1 - fsx1) / width)))
        cell += [(sx, np.float32(1.0 / width)) for sx in range(sx1, sx2)]
        if fsx2 - sx2 > 1e-3:
            cell.append((sx2, np.float32(min(min(fsx2 - sx2, 1.0), width) / width)))
        table.append(cell)
    return table


def _axis(size: int, count: int) -> _Axis | None:
    """The table of ``size`` pixels averaged into ``count`` cells, or None where it is not the exact one."""
    share = Fraction(size, count)
    period, cells = share.numerator, share.denominator
    table = _cv2_area_table(size, count)
    exact = []
    for d in range(count):
        lo, hi = d * share, (d + 1) * share
        exact.append([(x, int((min(hi, x + 1) - max(lo, x)) * cells)) for x in range(math.floor(lo), math.ceil(hi))])
    if [[x for x, _a in c] for c in table] != [[x for x, w in c if w > 0] for c in exact]:
        return None  # cv2 leaves out a sliver of a pixel (never for shares in 64ths or 48ths)
    k = max(len(c) for c in table)
    pixels, alpha = np.zeros((count, k), np.intp), np.zeros((count, k), np.float32)
    for d, cell in enumerate(table):
        pixels[d, :len(cell)] = [x for x, _a in cell]
        alpha[d, :len(cell)] = [a for _x, a in cell]
    weights = np.zeros((cells, period))
    for d in range(cells):
        for x, w in exact[d]:
            weights[d, x] = w
    return _Axis(pixels, alpha, period, cells, weights)


@dataclass(frozen=True)
class _AreaPlan:
    """How :func:`_area_cells` averages a (height, width) picture into cells (see there)."""

    rows: _Axis
    cols: _Axis
    wy: np.ndarray  # (cells, period) of the rows: float32 where its sums of integers stay exact, else float64
    wx: np.ndarray  # (period, cells) of the columns
    divisor: int  # of the exact weighted sums: the mean is sum / divisor
    near: float  # a cell whose mean is farther than this from an integer is rounded as cv2 rounds it


@lru_cache(maxsize=16)
def _area_plan(height: int, width: int, columns: int, rows: int) -> _AreaPlan | None:
    """The plan of cv2's general area average of a (height, width) picture into (rows, columns) cells.

    None where cv2 takes another path: a whole number of pixels per cell both
    ways (its integer-ratio average), fewer pixels than cells (it enlarges), or
    a table that is not the exact area weights.
    """
    if height < rows or width < columns or (height % rows == 0 and width % columns == 0):
        return None
    ay, ax = _axis(height, rows), _axis(width, columns)
    if ay is None or ax is None or ay.cells + rows * ax.cells / height > _MACS_PER_PIXEL:
        return None  # long patterns (383 rows = 48 x 7 47/48): the products would cost about what cv2 does
    divisor = ay.period * ax.period
    dtype = np.float32 if 255 * divisor < 2**24 else np.float64  # float32 sums of integers stay exact
    # cv2's float32 mean is off the exact one by at most (terms + 2) roundings of 2**-24 relative:
    # cells nearer than twice that to a half are rounded by repeating its arithmetic
    slack = (ay.alpha.shape[1] + ax.alpha.shape[1] + 2) * 2.0**-24 * 255 * 2
    # the means are multiples of 1 / divisor: ``near`` lies halfway between two of them, at the first
    # within ``slack`` of a half, so that a double's rounding cannot move a mean across it
    tie = math.floor(slack * 2 * divisor)  # cells with |2 (sum % divisor) - divisor| <= tie
    near = 0.5 - (tie + 0.5) / (2 * divisor)
    return _AreaPlan(ay, ax, ay.weights.astype(dtype), np.ascontiguousarray(ax.weights.T.astype(dtype)),
                     divisor, near)


def _area_cells(luma: np.ndarray, plan: _AreaPlan, out: np.ndarray | None = None) -> np.ndarray:
    """cv2's general ``INTER_AREA`` average of ``luma`` into cells, to the bit, about 2 to 3 times cheaper.

    Each cell is the exact sum of its pixels weighed by the share of each in
    the cell (integers: a pixel split between two cells weighs its share in
    ``1 / cells`` of a pixel), taken as two products with the small weight
    matrix of the pattern that repeats along each axis (float32 sums of
    integers, exact), divided by the whole weight and rounded. cv2 sums the
    same in float32 (weights ``float32(share / cell width)``, summed pixel
    by pixel along the row, then row by row), so its mean is a few 2**-24 off
    the exact one and it rounds the same, but for cells within that of a half
    (exact halves: 640x360's cells weigh 150, so one cell in 150 of random
    pictures): those repeat cv2's float32 arithmetic, in its order.
    """
    height, width = luma.shape
    ay, ax = plan.rows, plan.cols
    pictures = luma.astype(plan.wy.dtype).reshape(height // ay.period, ay.period, width)
    by_rows = np.empty((pictures.shape[0], ay.cells, width), plan.wy.dtype)  # the rows' weighted sums
    span = max(1, _ONE_THREAD // (ay.cells * ay.period))
    for c in range(0, width, span):
        np.matmul(plan.wy, pictures[:, :, c:c + span], out=by_rows[:, :, c:c + span])
    patterns = by_rows.reshape(-1, ax.period)
    sums = np.empty((patterns.shape[0], ax.cells), plan.wy.dtype)
    span = max(1, _ONE_THREAD // (ax.cells * ax.period))
    for r in range(0, len(patterns), span):
        np.matmul(patterns[r:r + span], plan.wx, out=sums[r:r + span])
    sums = sums.reshape(len(ay.pixels), len(ax.pixels))
    means = np.divide(sums, plan.divisor, dtype=np.float64)  # the exact quotient, rounded to a double
    whole = np.rint(means)
    if out is None:
        out = np.empty(whole.shape, np.uint8)
    np.copyto(out, whole, casting="unsafe")
    near = np.abs(means - whole) > plan.near  # within cv2's error of a half: its own arithmetic decides
    if near.any():
        cy, cx = np.nonzero(near)
        out[cy, cx] = _as_cv2_sums(luma, ay, ax, cy, cx)
    return out


def _as_cv2_sums(luma: np.ndarray, ay: _Axis, ax: _Axis, cy: np.ndarray, cx: np.ndarray) -> np.ndarray:
    """cv2's float32 area means of cells (``cy``, ``cx``), rounded as it rounds them (half to even).

    Its order: along each row of a cell, ``buf += pixel * alpha`` pixel by
    pixel, then ``sum += beta * buf`` row by row (zero weights pad the
    shorter cells: adding 0 changes no float), here for all the cells at once.
    """
    down, across = luma.strides  # bytes (a decoder plane's rows are padded; thinned pictures skip some)
    height, width = luma.shape
    flat = np.lib.stride_tricks.as_strided(luma, shape=((height - 1) * down + (width - 1) * across + 1,),
                                           strides=(1,), writeable=False)  # the bytes the picture spans
    starts = ay.pixels[cy] * down  # (cells, k rows)
    columns = ax.pixels[cx] * across  # (cells, k columns)
    alpha = ax.alpha[cx]
    along = flat[starts + columns[:, :1]] * alpha[:, :1]
    for j in range(1, alpha.shape[1]):
        along += flat[starts + columns[:, j:j + 1]] * alpha[:, j:j + 1]
    beta = ay.alpha[cy]
    mean = along[:, 0] * beta[:, 0]
    for i in range(1, beta.shape[1]):
        mean += along[:, i] * beta[:, i]
    return np.clip(np.rint(mean), 0, 255)


def _key(path: str | Path, index) -> tuple:
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_size, stat.st_mtime_ns, len(index)


def worth_keeping(index) -> bool:
    """True when the cell grid of a file with this index is small enough to keep."""
    return len(index) * CELL_GRID[0] * CELL_GRID[1] <= _CELLS_MAX_BYTES // 2


def remember_cells(path: str | Path, index, cells: np.ndarray) -> None:
    """Keep the whole-file cell grid of ``path`` for a later pass (a few files at most)."""
    if cells.nbytes > _CELLS_MAX_BYTES // 2:
        return  # too big to keep around: the flash pass reads the file again
    key = _key(path, index)
    with _CELLS_LOCK:  # files are read in threads (timesync.align.video_reads)
        _CELLS[key] = cells
        _CELLS.move_to_end(key)
        while len(_CELLS) > _CELLS_KEPT or sum(c.nbytes for c in _CELLS.values()) > _CELLS_MAX_BYTES:
            _CELLS.popitem(last=False)


def cached_cells(path: str | Path, index) -> np.ndarray | None:
    """The cell grid kept for ``path`` (same size, modification time and frame count), or None."""
    key = _key(path, index)
    with _CELLS_LOCK:
        return _CELLS.get(key)


class CellCollector:
    """Collects the :data:`CELL_GRID` cells of every frame during a pass over a whole file."""

    def __init__(self, index) -> None:
        cols, rows = CELL_GRID
        self.cells = np.zeros((len(index), rows, cols), np.uint8)
        self.seen = np.zeros(len(index), bool)

    def add(self, number: int, luma: np.ndarray) -> None:
        """Record frame ``number``'s luma."""
        cells_of(luma, out=self.cells[number])
        self.seen[number] = True

    def finish(self) -> np.ndarray:
        """The grid; frames the decoder did not give repeat the previous picture."""
        repeat_last_seen(self.cells, self.seen)
        return self.cells


def repeat_last_seen(cells: np.ndarray, seen: np.ndarray, *, fill_head: bool = False) -> None:
    """In place: each frame the decoder did not give (``seen`` False) repeats the last one it gave before it.

    ``cells`` holds one picture (any shape) per frame, ``seen`` one flag per frame. Frames
    before the first one seen keep frame 0 (kept as it is), or, with ``fill_head``, repeat the
    first frame seen. Nothing changes when no frame was seen and ``fill_head`` is set. Only the
    unseen frames are copied (no second grid is held).
    """
    n = len(cells)
    if n == 0 or seen.all() or (fill_head and not seen.any()):
        return
    numbers = np.arange(n)
    source = np.where(seen, numbers, -1)
    np.maximum.accumulate(source, out=source)
    source[source < 0] = int(np.argmax(seen)) if fill_head else 0
    unseen = np.nonzero(source != numbers)[0]
    cells[unseen] = cells[source[unseen]]
