"""The flash cells of small and odd-sized pictures: cv2's general area average, to the bit, computed cheaply.

Pictures whose cells do not hold a whole number of pixels each way (480x270:
7.5 x 5.625 pixels a cell; 640x360, 426x240, 854x480 read on every second
row and column, ...) are averaged by exact weighted sums
(``scan._area_cells``), no longer by cv2's own general ``INTER_AREA``; the
cells stay those cv2 gives, bit for bit, ties included (cells whose exact mean
is a half: cv2's float32 sum decides, and the new path repeats its arithmetic
for them). Whole-pixel cells (320x240, 640x480 read on every second row),
enlargements and long row patterns stay with cv2 itself.
"""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from tests.media_factory import make_video
from timesync.align.overlay import scan
from timesync.media import FrameIndex

COLS, ROWS = scan.CELL_GRID

#: (width, height) of pictures on the new path: body cams (480x270 is the issue's), SD, odd sizes.
NEW_PATH = [(480, 270), (640, 360), (426, 240), (427, 240), (854, 480), (720, 576), (352, 288), (176, 144),
            (1366, 768), (544, 306), (1000, 700), (3000, 100), (100, 3000), (3990, 99)]
#: Sizes cv2 still averages itself: whole-pixel cells, fewer pixels than cells, long row patterns.
CV2_PATH = [(320, 240), (640, 480), (64, 48), (100, 47), (63, 60), (500, 383), (128, 97), (333, 250), (65, 50)]


def _thinned(luma: np.ndarray) -> np.ndarray:
    """The rows and columns ``cells_of`` reads (every ``step``-th; every column where they split into cells)."""
    height, width = luma.shape
    step = max(1, min(height // (ROWS * 4), width // (COLS * 4)))
    if width % COLS == 0:
        assert (height // step) % ROWS == 0 or step == 1  # not the spread rows of 1080p and 540p
        return luma[::step]
    return luma[::step, ::step]


def _cv2(luma: np.ndarray) -> np.ndarray:
    return cv2.resize(_thinned(luma), (COLS, ROWS), interpolation=cv2.INTER_AREA)


def _pictures(size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """Noise, two-level noise, three grey levels, a clipped gaussian, a flat grey with a few pixels flipped."""
    width, height = size
    rng = np.random.default_rng(seed)
    flat = np.full((height, width), rng.integers(0, 256), np.uint8)
    flat[rng.integers(0, height, 40), rng.integers(0, width, 40)] ^= 1
    return [rng.integers(0, 256, (height, width), dtype=np.uint8),
            (rng.integers(0, 2, (height, width)) * rng.integers(1, 256)).astype(np.uint8),
            (rng.integers(0, 3, (height, width)) + 100).astype(np.uint8),
            np.clip(rng.normal(128, 70, (height, width)), 0, 255).astype(np.uint8),
            flat]


@pytest.mark.parametrize("size", NEW_PATH, ids=[f"{w}x{h}" for w, h in NEW_PATH])
def test_cells_are_cv2s_area_average_to_the_bit(size):
    """On random pictures of many sizes the cells are cv2's INTER_AREA of the rows and columns read, bit for bit."""
    width, height = size
    assert scan._area_plan(*_thinned(np.zeros((height, width), np.uint8)).shape, COLS, ROWS) is not None
    for seed in range(8):
        for luma in _pictures(size, seed):
            got = scan.cells_of(luma)
            assert got.shape == (ROWS, COLS) and got.dtype == np.uint8
            assert np.array_equal(got, _cv2(luma)), (size, seed)


def test_sums_too_large_for_float32_are_taken_in_float64():
    """3990x99: a cell weighs 1995 x 33 shares, 255 times that passes 2**24: its sums are float64 (and exact)."""
    assert scan._area_plan(99, 3990, COLS, ROWS).wy.dtype == np.float64
    assert scan._area_plan(270, 480, COLS, ROWS).wy.dtype == np.float32


@pytest.mark.parametrize("size", CV2_PATH, ids=[f"{w}x{h}" for w, h in CV2_PATH])
def test_other_sizes_stay_with_cv2(size):
    """Whole-pixel cells, enlargements and long row patterns (383 = 48 x 7.98) keep cv2's own average."""
    width, height = size
    assert scan._area_plan(*_thinned(np.zeros((height, width), np.uint8)).shape, COLS, ROWS) is None
    for luma in _pictures(size, 3):
        assert np.array_equal(scan.cells_of(luma), _cv2(luma))


def _exact_sums(luma: np.ndarray) -> tuple[np.ndarray, int]:
    """The exact area sums of the cells, integers, and their divisor: a cell's mean is ``sum / divisor``."""
    height, width = luma.shape

    def weights(size: int, count: int) -> tuple[np.ndarray, int]:
        share = Fraction(size, count)  # pixels a cell; a pixel split between two weighs its share in each
        out = np.zeros((count, size), np.int64)
        for d in range(count):
            lo, hi = d * share, (d + 1) * share
            for x in range(int(lo), min(size, int(hi) + 1)):
                out[d, x] = max(Fraction(0), min(hi, Fraction(x + 1)) - max(lo, Fraction(x))) * share.denominator
        return out, share.numerator

    (wy, py), (wx, px) = weights(height, ROWS), weights(width, COLS)
    return wy @ luma.astype(np.int64) @ wx.T, py * px


def test_exact_halves_round_as_cv2_rounds_them():
    """640x360: a cell weighs 150 shares, so random pictures have cells whose mean is exactly k + 1/2.

    cv2 rounds those up or down as its float32 sum falls; the cells follow it,
    not a rounding rule of the exact mean (there are cells of each kind).
    """
    luma = _pictures((640, 360), 21)[0]
    sums, divisor = _exact_sums(luma)
    assert divisor == 150
    halves = 2 * (sums % divisor) == divisor
    assert halves.sum() > 5
    want, got = _cv2(luma), scan.cells_of(luma)
    assert np.array_equal(got, want)
    ups = int(np.sum(want[halves] > sums[halves] // divisor))
    assert 0 < ups < halves.sum()  # cv2 rounds some halves up, some down: neither rule gives its cells
    nearest = (2 * sums + divisor) // (2 * divisor)  # elsewhere: the exact mean, rounded
    assert np.array_equal(got[~halves], nearest[~halves])


def test_cells_of_a_decoded_480x270_clip(tmp_path):
    """The whole-file scan of a real 480x270 H.264 clip gives cv2's cells of each decoded frame."""
    path = make_video(tmp_path / "small.mp4", n_frames=12, size=(480, 270))
    index = FrameIndex.open(path)
    collector = scan.CellCollector(index)
    want = []
    for number, luma in scan.iter_luma(path, index, cheap=True):
        collector.add(number, luma)
        want.append(cv2.resize(luma, (COLS, ROWS), interpolation=cv2.INTER_AREA))
    assert np.array_equal(collector.finish(), np.stack(want))
