"""The flash scan's memory is bounded whatever the video's length, its events unchanged (issue 14).

A long video's cell grid (3 KB a frame: 332 MB an hour at 30 fps) is written to an unnamed
temporary file while it is decoded and scored a window at a time
(:mod:`timesync.align.flashes.grid`); ``keep_bytes=0`` forces that path on short clips, a small
``chunk`` puts many window boundaries among the flashes. Peaks are measured with tracemalloc
(numpy reports its buffers to it), so they do not depend on the machine's load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media_factory import make_video
from synth.clips import ClipSpec, write_clip

from timesync.align.flashes import detect, grid
from timesync.align.overlay import scan
from timesync.media import FrameIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flashes_real_media as fm  # noqa: E402

REAL = all((fm.MEDIA / v).is_file() for v in fm.VIDEOS)


def _in_memory(path: Path) -> list[detect.VisualEvent]:
    """The events as the detector finds them with the whole grid in memory (as before issue 14)."""
    index = FrameIndex.open(path)
    return detect.detect_flashes(path, index=index, bright=detect.cell_brightness(path, index))


def _spilled(path: Path, chunk: int) -> list[detect.VisualEvent]:
    scan._CELLS.clear()  # a grid kept by an earlier read of this file would be taken instead
    return detect.detect_flashes(path, keep_bytes=0, chunk=chunk)


@pytest.fixture(scope="module")
def flash_clip(tmp_path_factory) -> Path:
    """15 s at 25 fps, 30-ms flashes every 0.37-0.9 s (some one frame apart from a window boundary)."""
    onsets = list(np.cumsum(np.tile([0.41, 0.37, 0.9, 0.53], 8))[:26])
    spec = ClipSpec(n_frames=375, fps=Fraction(25), size=(160, 120), flashes=onsets, flash_s=0.03)
    return write_clip(tmp_path_factory.mktemp("flash_memory") / "flashes.mp4", spec)


@pytest.mark.parametrize("chunk", [5, 64, detect.CHUNK_FRAMES])
def test_spilled_grid_gives_the_same_events(flash_clip, chunk):
    expected = _in_memory(flash_clip)
    assert len(expected) >= 20
    assert _spilled(flash_clip, chunk) == expected  # every field of every VisualEvent


@pytest.mark.skipif(not REAL, reason=f"the real videos {', '.join(fm.VIDEOS)} are not in {fm.MEDIA}")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spilled_grid_gives_the_same_events_over_real_scenes(tmp_path, seed):
    """Every kind of light (gain, wash, spot, bar, up to half a second) over real moving scenes."""
    pair = fm.random_pair(seed, tmp_path)
    for path in (pair.path_a, pair.path_b):
        expected = _in_memory(path)
        assert expected
        assert _spilled(path, 7) == expected


def test_cell_file_holds_what_the_collector_holds(tmp_path):
    """Frames given late, twice or never (the first one too) end up as in the in-memory grid."""
    rng = np.random.default_rng(3)
    count = 3 * grid.WRITE_FRAMES + 17
    order = [n for n in range(count) if n % 97 not in (0, 5, 6)]  # gaps, frame 0 never given
    order[40:48] = order[40:48][::-1]  # out of order within the buffer
    order.insert(700, 12)  # a frame given again, long after its place was written
    order.insert(300, 2 * grid.WRITE_FRAMES + 5)  # a jump ahead, then back
    index = list(range(count))
    collector, cells = scan.CellCollector(index), grid.CellFile(count, folder=tmp_path)
    with cells:
        for n in order:
            luma = rng.integers(0, 256, (96, 128), dtype=np.uint8)
            collector.add(n, luma)
            cells.add(n, luma)
        cells.finish()
        assert np.array_equal(cells.read(0, count), collector.finish())
        assert np.array_equal(cells.read(290, 301), collector.cells[290:301])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("frames", "most"), [(3000, 20000), (5000, 700)])
def test_noise_from_the_file_is_the_in_memory_noise_to_the_bit(tmp_path, frames, most):
    rng = np.random.default_rng(frames)
    bright = np.clip(rng.normal(128, 40, (frames, 48, 64)) + rng.normal(0, 3, (frames, 1, 1)) * 20, 0, 255)
    bright = bright.round().astype(np.uint8)
    bright[::50] = 255  # extreme changes: +-255
    with grid.CellFile(frames, folder=tmp_path) as cells:
        for start in range(0, frames, 1000):
            cells._write(start, bright[start:start + 1000])
        got = grid.cell_noise(cells, most=most, chunk=333)
    want = detect._cell_noise(bright, most=most)
    assert got.dtype == want.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def _leftovers(folder: Path) -> list[str]:
    """Entries of ``folder``, and files of this process open under it (an unnamed temp file too)."""
    fds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return [p.name for p in folder.iterdir()] + [f for f in fds if f.startswith(str(folder))]


def test_temporary_grid_is_gone_after_a_decode_that_fails_midway(tmp_path, monkeypatch):
    source = make_video(tmp_path / "ok.mp4", n_frames=300, fps=25, size=(160, 120), gop=25)
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4000] = bytes(4000)  # the decoder refuses a packet half way through
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    with pytest.raises(av.error.InvalidDataError):  # the same error the in-memory read gives
        detect.detect_flashes(damaged, keep_bytes=0)
    with pytest.raises(av.error.InvalidDataError):
        detect.detect_flashes(damaged)
    assert _leftovers(spill) == []
    assert detect.detect_flashes(source, keep_bytes=0) == detect.detect_flashes(source)
    assert _leftovers(spill) == []


def _noisy_clip(path: Path, frames: int) -> Path:
    """A grey picture with fresh noise every frame, 64x48 at 30 fps (cheap to decode)."""
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x48:r=30,noise=alls=6:allf=t", "-frames:v", str(frames),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", str(path)], check=True)
    return path


def _traced_peak(fn) -> int:
    """Peak bytes traced while ``fn()`` ran, above what was held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_length_when_spilled(tmp_path):
    """Twice the frames: the in-memory scan's peak grows by at least the added grid, the spilled
    one's by a small part of it (its arrays of frame times, and the noise's pairs, 20,000 at most)."""
    short, long = _noisy_clip(tmp_path / "short.mp4", 2500), _noisy_clip(tmp_path / "long.mp4", 5000)
    indexes = {p: FrameIndex.open(p) for p in (short, long)}
    grown = 2500 * scan.CELL_BYTES

    def peak(path: Path, **kw) -> int:
        scan._CELLS.clear()
        return _traced_peak(lambda: detect.detect_flashes(path, index=indexes[path], chunk=256, **kw))

    spilled = peak(long, keep_bytes=0) - peak(short, keep_bytes=0)
    whole = peak(long, keep_bytes=2**40) - peak(short, keep_bytes=2**40)
    assert whole >= 0.9 * grown  # the measure sees a grid held whole
    assert spilled <= 0.25 * grown, f"spilled scan grew {spilled / 1e6:.1f} MB for {grown / 1e6:.1f} MB of grid"


def test_without_a_temp_dir_the_grid_is_held_in_memory(flash_clip, tmp_path, monkeypatch):
    expected = _in_memory(flash_clip)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))  # no such folder: nowhere to spill
    assert _spilled(flash_clip, 64) == expected


def test_a_full_disk_is_named_as_the_temp_file_not_the_video():
    """A write refused (here by /dev/full, as by a full temp dir) says whose file it was."""
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(OSError, match=r"flash scan could not write its temporary file in .* \(No space left"):
            grid._pwrite_all(fd, np.zeros(4096, np.uint8), 0)
    finally:
        os.close(fd)
