"""The flash cells of large pictures: exact block means of rows spread evenly, every column; frames by PTS.

1280x720 keeps cv2's integer-ratio area average of every third row to the bit;
1920x1080 and 960x540 (whose rows do not split into whole cells) take the
exact means of ``n`` rows of each cell (4 of 22.5, 5 of 11.25) over all its
columns, no longer cv2's fractional area average of every ``step``-th row and
column.
"""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from tests.media_factory import frame_number, make_video
from timesync.align.overlay import scan
from timesync.media import FrameIndex

COLS, ROWS = scan.CELL_GRID


def _reference(luma: np.ndarray, per_cell: int) -> np.ndarray:
    """Float means of ``per_cell`` rows of each cell (rows ``floor(j * H / (ROWS * per_cell))``), every column."""
    height, width = luma.shape
    count = ROWS * per_cell
    rows = np.array([j * height // count for j in range(count)])
    picked = luma[rows].astype(np.float64)
    return picked.reshape(ROWS, per_cell, COLS, width // COLS).mean(axis=(1, 3))


def _pictures(size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """Random noise, a smooth gradient and a bright disc on a dark ground, ``size`` (width, height)."""
    width, height = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    noise = rng.integers(0, 256, (height, width), dtype=np.uint8)
    gradient = ((xx * 0.37 + yy * 0.21) % 256).astype(np.uint8)
    disc = np.where((xx - width * 0.6) ** 2 + (yy - height * 0.4) ** 2 < (height * 0.2) ** 2, 235, 20).astype(np.uint8)
    return [noise, gradient, disc]


@pytest.mark.parametrize(("size", "per_cell"), [((1920, 1080), 4), ((960, 540), 5)], ids=["1080p", "540p"])
def test_cells_are_exact_block_means_where_rows_do_not_split(size, per_cell):
    """1080p: 4 rows of each 22.5, all 30 columns; 540p: 5 of each 11.25, all 15: the exact means, rounded."""
    for luma in _pictures(size, 11):
        got = scan.cells_of(luma)
        assert got.shape == (ROWS, COLS) and got.dtype == np.uint8
        assert float(np.abs(got - _reference(luma, per_cell)).max()) <= 0.5 + 1e-6


def test_1080p_fine_vertical_pattern_is_averaged():
    """Every fifth column bright (a grille): the cells hold its mean, not what a column step of 5 would see."""
    luma = np.full((1080, 1920), 30, np.uint8)
    luma[:, ::5] = 240
    cells = scan.cells_of(luma)
    assert np.all(cells == round(30 + 210 / 5))  # 72, not 240


def test_720p_cells_are_cv2s_area_average_to_the_bit():
    """The 720p cells are cv2's integer-ratio area average of every third row, ties rounded as it rounds."""
    for seed in range(4):
        for luma in _pictures((1280, 720), seed):
            want = cv2.resize(luma[::3], (COLS, ROWS), interpolation=cv2.INTER_AREA)
            assert np.array_equal(scan.cells_of(luma), want)
    ties = np.zeros((720, 1280), np.uint8)
    ties[::3][:, ::2] = 1  # a cell of 5 x 20 pixels read holds 50 ones: mean 0.5, rounded to 0
    ties[0::15, 0:20] = [[3] * 20]  # first cell: 50 + 2 * 20 = 90 -> 0.9, rounded to 1
    want = cv2.resize(ties[::3], (COLS, ROWS), interpolation=cv2.INTER_AREA)
    assert want[0, 0] == 1 and want[0, 1] == 0
    assert np.array_equal(scan.cells_of(ties), want)


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (960, 540), (480, 270), (426, 240), (854, 480)],
                         ids=["1080p", "720p", "540p", "480x270", "426x240", "854x480"])
def test_padded_plane_and_output_buffer(size):
    """A decoder plane with a longer row stride, written into a buffer, gives the same cells (every cell path)."""
    width, height = size
    luma = _pictures(size, 5)[0]
    padded = np.zeros((height, width + 128), np.uint8)
    padded[:, :width] = luma
    out = np.zeros((ROWS, COLS), np.uint8)
    assert scan.cells_of(padded[:, :width], out=out) is out
    assert np.array_equal(out, scan.cells_of(luma))


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory):
    """A VFR clip with B-frames (decode order differs from presentation order): pattern frames 0..N-1."""
    steps = [3000, 3000, 4500, 1500, 3000, 6000, 3000, 1200, 4800, 3000] * 3  # ticks of 1/90000 s
    pts = [int(p) for p in np.concatenate([[0], np.cumsum(steps)[:-1]])]
    path = make_video(tmp_path_factory.mktemp("scan_cells") / "vfr.mp4", n_frames=len(pts), fps=Fraction(30),
                      size=(320, 240), pts_list=pts, bframes=True)
    return path, FrameIndex.open(path)


def test_frames_are_numbered_by_pts_on_vfr_with_b_frames(vfr_clip):
    """Each frame's number is its place in presentation order (the index's PTS), cheap or not, and the
    true decode's luma is PyAV's own Y plane."""
    path, index = vfr_clip
    n = len(index)
    with av.open(str(path)) as box:
        plain = {f.pts: f.to_ndarray()[:240].copy() for f in box.decode(video=0)}  # yuv420p: Y rows first
    assert len(plain) == n
    for cheap in (False, True):
        numbers = []
        for number, luma in scan.iter_luma(path, index, cheap=cheap):
            numbers.append(number)
            assert frame_number(luma) == number
            if not cheap:
                assert np.array_equal(luma, plain[int(index.pts[number])])
        assert numbers == list(range(n))
        later = [k for k, _luma in scan.iter_luma(path, index, start_s=float(index.times[7]), cheap=cheap)]
        assert later == list(range(7, n))
