"""The whole-video scan's cheap path: the loop filter skipped for the flash cells, rows thinned, not columns.

Real H.264 with its deblocking on and non-reference B-frames (x264
``veryfast``, 3 B-frames; the ``ultrafast`` clips of ``media_factory`` have
neither, so the cheap decode changes nothing there).
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from timesync.align.flashes import detect
from timesync.align.overlay import scan
from timesync.media import FrameIndex

N_FRAMES = 40


def _write_deblocked(path, n_frames: int = N_FRAMES, size: tuple[int, int] = (320, 240)):
    """A moving grainy texture, coarsely quantized (crf 38), x264's deblocking on, 3 B-frames, one GOP."""
    rng = np.random.default_rng(7)
    texture = rng.integers(40, 215, (size[1] + 64, size[0] + 64), dtype=np.uint8)
    texture = np.repeat(np.repeat(texture[::4, ::4], 4, axis=0), 4, axis=1)  # 4-pixel grains
    with av.open(str(path), "w") as box:
        stream = box.add_stream("libx264", rate=30)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.options = {"crf": "38", "preset": "veryfast", "bf": "3", "g": "250"}
        for n in range(n_frames):
            luma = texture[n:n + size[1], 2 * n:2 * n + size[0]]
            frame = av.VideoFrame.from_ndarray(np.dstack([luma] * 3), format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return path


@pytest.fixture(scope="module")
def deblocked(tmp_path_factory):
    path = _write_deblocked(tmp_path_factory.mktemp("scan_cheap") / "deblocked.mp4")
    return path, FrameIndex.open(path)


def _lumas(path, index, cheap: bool) -> np.ndarray:
    return np.stack([luma.copy() for _n, luma in scan.iter_luma(path, index, cheap=cheap)])


def test_cheap_decode_really_skips_the_loop_filter(deblocked):
    """The option reaches the decoder: some B-frames differ a little, the I- and P-frames not at all."""
    path, index = deblocked
    true, cheap = _lumas(path, index, False), _lumas(path, index, True)
    assert true.shape == cheap.shape == (N_FRAMES, 240, 320)
    with av.open(str(path)) as box:
        kinds = [av.video.frame.PictureType(f.pict_type).name for f in box.decode(video=0)]  # as the index
    diff = np.abs(true.astype(int) - cheap.astype(int))
    changed = [kinds[n] for n in range(N_FRAMES) if diff[n].any()]
    assert len(changed) >= N_FRAMES // 4  # the deblocking really was skipped
    assert set(changed) == {"B"}  # only on frames nothing is predicted from: no error carried on
    assert float(diff.mean()) < 1.0


def test_true_decode_is_the_default(deblocked):
    """Without ``cheap`` (the overlay reader), the pictures are FFmpeg's own decode, pixel for pixel."""
    path, index = deblocked
    with av.open(str(path)) as box:
        plain = np.stack([f.to_ndarray()[:240] for f in box.decode(video=0)])  # yuv420p: Y rows first
    assert np.array_equal(_lumas(path, index, False), plain)
    # numbers come from the index's PTS, from a seek into the file on (the next-frame shortcut),
    # cheap or not
    times = index.times
    for cheap in (False, True):
        numbers = [n for n, _luma in scan.iter_luma(path, index, start_s=float(times[17]), cheap=cheap)]
        assert numbers == list(range(17, N_FRAMES))
        windows = [(float(times[30]), float(times[33])), (float(times[5]), float(times[7]))]
        got = []
        for k, number, luma in scan.iter_windows(path, index, windows, cheap=cheap):
            got.append((k, number))
            assert cheap or np.array_equal(luma, plain[number]), (k, number)
        assert got == [(0, 30), (0, 31), (0, 32), (1, 5), (1, 6)]


def test_flash_cells_come_from_the_cheap_decode(deblocked):
    """The flash detector's cells are those of the cheap decode, nearly all within a grey level of the true one's."""
    path, index = deblocked
    got = detect.cell_brightness(path, index)

    def cells(cheap: bool) -> np.ndarray:
        collector = scan.CellCollector(index)
        for number, luma in scan.iter_luma(path, index, cheap=cheap):
            collector.add(number, luma)
        return collector.finish()

    cheap, true = cells(True), cells(False)
    assert np.array_equal(got, cheap)
    assert not np.array_equal(cheap, true)  # this clip tells the two decodes apart
    diff = np.abs(cheap.astype(int) - true.astype(int))
    assert float(np.mean(diff <= 1)) > 0.99  # this coarse grainy clip is a hard case: a few B-frames'
    assert int(diff.max()) <= 16  # cells 5x5 pixels, so the worst move by up to 14 grey levels


def test_cells_average_every_column():
    """A fine vertical pattern (a grille, a fence) is averaged, not aliased by a column step."""
    luma = np.full((720, 1280), 30, np.uint8)
    luma[:, ::3] = 240  # every third column bright: a cell 20 columns wide holds 6 or 7 of them
    want = luma.reshape(48, 15, 64, 20).astype(np.float64).mean(axis=(1, 3))
    cells = scan.cells_of(luma)
    assert cells.shape == (scan.CELL_GRID[1], scan.CELL_GRID[0])
    assert float(np.abs(cells - want).max()) <= 0.5 + 1e-9  # 93 or 103.5, not 240 (every third column only)


def test_cells_are_the_block_means_of_the_rows_read():
    """On a 720p picture the cells are the exact means of every third row's 20x5 pixels, rounded."""
    rng = np.random.default_rng(3)
    luma = rng.integers(0, 256, (720, 1280), dtype=np.uint8)
    want = luma[::3].reshape(48, 5, 64, 20).astype(np.float64).mean(axis=(1, 3))
    got = scan.cells_of(luma)
    assert float(np.abs(got - want).max()) <= 0.5 + 1e-9
    # a padded decoder plane (a view with a longer row stride) and an output buffer give the same
    padded = np.zeros((720, 1344), np.uint8)
    padded[:, :1280] = luma
    out = np.zeros((48, 64), np.uint8)
    assert scan.cells_of(padded[:, :1280], out=out) is not None
    assert np.array_equal(out, got)
