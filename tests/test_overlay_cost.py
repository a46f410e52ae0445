"""What the burned-in clock search costs on a video with no clock, and that its cheaper arithmetic is exact.

* A video with no clock is searched (when the first look cannot rule a clock out:
  tests/test_overlay_cost_glance.py) in four 5 s windows and two 16 s faint-clock
  windows. The two faint windows begin where two region windows do: their frames
  are decoded once for both searches (before, the faint search decoded them again),
  counted by :class:`~timesync.align.overlay.scan.DecodeCount`.
* The faint search's statistics (the 75th percentile of each pixel's mean change
  over the phase bins, the median step) are computed from integers and a histogram
  instead of ``np.percentile`` and ``np.median`` over floats: the same values, to the bit.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from timesync.align.overlay.faint import FAINT_WINDOW_S, PhaseStats, _median_u8, _p75, faint_region
from timesync.align.overlay.locate import REGION_WINDOW_S, _faint_search, _locate_region, _scale
from timesync.align.overlay.read import NO_OVERLAY, read_overlay_clock
from timesync.align.overlay.scan import DecodeCount, iter_luma
from timesync.media import FrameIndex

FPS = 10
SECONDS = 150  # over FAINT_MIDDLE_AFTER_S: a faint window at the start and one in the middle
GOP = 10  # a keyframe every second: a seek decodes at most a second before its window


def _write_moving(path: Path) -> Path:
    """A texture that drifts a few pixels every frame (every pixel changes: no clock anywhere)."""
    import av

    yy, xx = np.mgrid[0:240, 0:320].astype(np.float32)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "20", "g": str(GOP), "keyint_min": str(GOP),
                         "sc_threshold": "0"}
        for i in range(SECONDS * FPS):
            grey = 128 + 60 * np.sin((xx + 3 * i) / 9.0) * np.cos((yy - 2 * i) / 13.0)
            image = np.repeat(grey.astype(np.uint8)[:, :, None], 3, axis=2)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def no_clock(tmp_path_factory):
    return _write_moving(tmp_path_factory.mktemp("cost") / "no_clock.mp4")


def test_a_video_without_a_clock_decodes_its_search_windows_once(no_clock):
    """The search past the first look (which settles this clip by itself: test_overlay_cost_glance)."""
    index = FrameIndex.open(no_clock)
    duration = float(index.end_s - index.start_s)
    count, primed = DecodeCount(), {}
    scale = _scale(no_clock, index, count)
    assert _locate_region(no_clock, index, duration, scale, count, primed) is None
    assert _faint_search(no_clock, index, duration, scale, count, primed) is None
    # one frame for the scale; the two windows that begin a faint window, decoded once for
    # both searches (each up to the first frame past its end); the other two region windows,
    # each from the keyframe before it. Before, the faint windows were decoded again: 537 frames.
    budget = 1 + 2 * (FAINT_WINDOW_S * FPS + 1) + 2 * ((REGION_WINDOW_S + GOP / FPS) * FPS + 1)
    assert 0 < count.frames <= budget
    clock = read_overlay_clock(no_clock)
    assert clock.fit is None and clock.region is None and clock.note.startswith(NO_OVERLAY)
    assert clock.finding() == {}


def test_sharing_the_windows_finds_what_a_fresh_faint_search_finds(shared_media_dir, tmp_path):
    """A tiny faint clock over a real street scene: the faint search on the region search's
    frames gives the region a faint search of its own decoding gives."""
    from test_device_clocks_faint import _background, _write

    path = _write(tmp_path / "tinier.mp4", _background(shared_media_dir), 20.0, 0.28, 0.55)
    index = FrameIndex.open(path)
    duration = float(index.end_s - index.start_s)
    scale = _scale(path, index)
    primed: dict = {}
    shared, fresh = DecodeCount(), DecodeCount()
    assert _locate_region(path, index, duration, scale, shared, primed) is None
    assert set(primed) == {0.0}  # the window at the start found nothing and went on to 16 s
    before = shared.frames
    region = _faint_search(path, index, duration, scale, shared, primed)
    assert region is not None
    assert shared.frames == before  # its frames were decoded once, by the region search
    assert _faint_search(path, index, duration, scale, fresh) == region
    assert fresh.frames > 0


def test_several_files_read_at_once_give_the_serial_report(no_clock, tmp_path, monkeypatch):
    """Files are read two at a time (threads); the report is the serial one, in source order:
    notes, findings, constraints; a file that cannot be opened gets its note, the others go on."""
    from datetime import datetime
    from types import SimpleNamespace

    from synth.clips import ClipSpec, write_clip

    import timesync.align.overlay as overlay
    from timesync.align import video_reads
    from timesync.media import probe

    start = datetime(2024, 5, 17, 21, 2, 33, 370000)
    clocks = [write_clip(tmp_path / f"cam{k}.mp4", ClipSpec(n_frames=150, fps=Fraction(25), clock_at_zero=start,
                                                          clock_suffix=f"CAM-{k}")) for k in (1, 2)]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    paths = [clocks[0], no_clock, clocks[1]]
    sources = [SimpleNamespace(name=p.name, path=p, info=probe(p)) for p in paths]
    sources.insert(1, SimpleNamespace(name=broken.name, path=broken, info=None))
    assert video_reads.read_workers([s for s in sources if s.info is not None]) == 2

    def report_of(workers: int):
        monkeypatch.setattr(video_reads, "READ_WORKERS", workers)
        report = overlay.find_constraints(sources)
        return (list(report.notes.items()), report.findings,
                [(c.source, c.other, c.kind, c.offset_s, c.uncertainty_s) for c in report.constraints])

    at_once, serial = report_of(2), report_of(1)
    assert at_once == serial
    notes = dict(at_once[0])
    assert [name for name, _ in at_once[0]] == ["broken.mp4", "no_clock.mp4"]
    assert notes["broken.mp4"].startswith("overlay not read: ")
    assert notes["no_clock.mp4"].startswith(NO_OVERLAY)
    assert set(at_once[1]) == {"cam1.mp4", "cam2.mp4"}
    assert len(at_once[2]) == 1


def _stats_of(path: Path, seconds: float) -> PhaseStats:
    index = FrameIndex.open(path)
    stats = None
    for number, luma in iter_luma(path, index, stop_s=index.start_s + seconds):
        if stats is None:
            stats = PhaseStats(luma.shape, float(np.median(np.diff(np.asarray(index.times[:200])))))
        stats.add(float(index.times[number]), luma)
    return stats


def test_the_percentile_of_the_phase_bins_is_numpys_to_the_bit(no_clock, shared_media_dir):
    for stats in (_stats_of(no_clock, FAINT_WINDOW_S), _stats_of(shared_media_dir / "bikes.mp4", 9.0)):
        for used in (stats.counts > 0, (stats.counts > 0) & (np.arange(stats.bins) % 3 != 1)):
            means = stats.sums[used] / stats.counts[used][:, None, None]
            expected = np.percentile(means, 75, axis=0).astype(np.float32)
            assert np.array_equal(_p75(stats, used), expected)
    # unequal counts (flashes left out of some bins), odd and even numbers of bins
    rng = np.random.default_rng(7)
    for bins in (2, 5, 24, 25, 30, 60):
        stats = PhaseStats((12, 16), 1.0 / bins)
        stats.counts[:] = rng.integers(5, 18, bins)
        stats.sums[:] = rng.integers(0, 5, stats.sums.shape) * (stats.counts[:, None, None] // 4)
        used = stats.counts > 0
        means = stats.sums[used] / stats.counts[used][:, None, None]
        assert np.array_equal(_p75(stats, used), np.percentile(means, 75, axis=0).astype(np.float32))
    stats = PhaseStats((12, 16), 0.2)  # counts whose common multiple is too large for integer keys
    stats.counts[:] = [101, 103, 107, 109, 113]
    stats.sums[:] = rng.integers(0, 100, stats.sums.shape)
    used = stats.counts > 0
    means = stats.sums[used] / stats.counts[used][:, None, None]
    assert np.array_equal(_p75(stats, used), np.percentile(means, 75, axis=0).astype(np.float32))


def test_the_median_step_is_numpys():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 10, 11, 4800):
        for high in (2, 20, 256):
            values = rng.integers(0, high, (n, 3)).astype(np.uint8)
            assert _median_u8(values) == float(np.median(values))


def test_a_faint_region_needs_enough_frames():
    stats = PhaseStats((24, 32), 0.1)
    stats.add(0.0, np.zeros((24, 32), np.uint8))
    assert faint_region(stats) is None
