"""Several video files read at once (timesync.align.video_reads): how many, and the same report as one at a time."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import pytest
from synth.clips import ClipSpec, write_clip

from timesync.align import video_reads
from timesync.align.flashes import detect
from timesync.align.flashes.visual import NO_FLASHES, video_flashes
from timesync.media import probe


def _video(width: int | None, height: int | None) -> SimpleNamespace:
    return SimpleNamespace(info=SimpleNamespace(video=SimpleNamespace(width=width, height=height)))


def test_read_workers_two_small_videos_one_large_or_unknown() -> None:
    assert video_reads.read_workers([_video(1280, 720), _video(1920, 1080)]) == min(2, video_reads.os.cpu_count())
    assert video_reads.read_workers([_video(1280, 720), _video(3840, 2160)]) == 1
    assert video_reads.read_workers([_video(1280, 720), SimpleNamespace(info=None)]) == 1
    assert video_reads.read_workers([_video(640, 360)]) == 1


def test_in_order_keeps_the_order_and_reads_lazily_one_at_a_time() -> None:
    seen: list[int] = []

    def read(k: int) -> int:
        seen.append(k)
        return k * k

    one = video_reads.in_order(read, [3, 1, 2], 1)
    assert next(one) == (3, 9) and seen == [3]  # nothing read ahead of its turn
    assert list(one) == [(1, 1), (2, 4)]
    assert list(video_reads.in_order(read, [5, 4, 6, 7], 2)) == [(5, 25), (4, 16), (6, 36), (7, 49)]


@pytest.fixture(scope="module")
def flash_sources(tmp_path_factory: pytest.TempPathFactory) -> list[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("flash_reads")
    shots = [0.8, 1.9, 2.5, 3.7]
    clips = [write_clip(folder / "a.mp4", ClipSpec(n_frames=150, fps=Fraction(30), size=(160, 120), flashes=shots)),
             write_clip(folder / "plain.mp4", ClipSpec(n_frames=90, fps=Fraction(25), size=(160, 120))),
             write_clip(folder / "b.mp4", ClipSpec(n_frames=125, fps=Fraction(25), size=(160, 120),
                                                   flashes=[t + 0.3 for t in shots], flash_at=(0.3, 0.4)))]
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    sources = [SimpleNamespace(name=p.name, path=p, info=probe(p)) for p in clips]
    sources.insert(1, SimpleNamespace(name=broken.name, path=broken, info=None))
    return sources


def test_flash_scan_two_at_a_time_gives_the_serial_report(flash_sources, monkeypatch) -> None:
    from timesync.align.constraints import AlignerReport

    def scanned(workers: int):
        detect._FLASHES.clear()
        monkeypatch.setattr(video_reads, "read_workers", lambda videos, most_frames=None: workers)
        report = AlignerReport(method="visual")
        found = video_flashes(flash_sources, report)
        return ({k: [(e.frame, e.boundary_s, e.sigma_s) for e in v] for k, v in found.items()},
                list(report.notes.items()), report.findings)

    at_once, serial = scanned(2), scanned(1)
    assert at_once == serial
    assert set(at_once[0]) == {"a.mp4", "b.mp4"}
    assert [len(at_once[0][n]) for n in ("a.mp4", "b.mp4")] == [4, 4]
    notes = dict(at_once[1])
    assert [name for name, _ in at_once[1]] == ["broken.mp4", "plain.mp4"]  # in the sources' order
    assert notes["broken.mp4"].startswith("visual events not read: ")
    assert notes["plain.mp4"] == NO_FLASHES


def test_read_workers_one_at_a_time_when_the_grids_would_not_fit() -> None:
    def video(frames: int | None) -> SimpleNamespace:
        return SimpleNamespace(info=SimpleNamespace(video=SimpleNamespace(width=1920, height=1080,
                                                                          frame_count=frames)))

    two = min(2, video_reads.os.cpu_count())
    assert video_reads.read_workers([video(1000), video(3000)], most_frames=4000) == two
    assert video_reads.read_workers([video(1000), video(3001)], most_frames=4000) == 1
    assert video_reads.read_workers([video(1000), video(None)], most_frames=4000) == 1
    hour = 108_000  # 60 min at 30 fps: 332 MB of cells each
    assert video_reads.read_workers([video(hour), video(90_000)], most_frames=96 * 2**20 // 3072) == 1


def test_cell_noise_by_blocks_of_rows_equals_the_whole_grid() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    bright = rng.integers(0, 256, size=(500, 48, 64), dtype=np.uint8)
    pick = np.unique(np.linspace(0, len(bright) - 2, len(bright) - 1).round().astype(int))
    diff = bright[pick + 1].astype(np.float32) - bright[pick].astype(np.float32)
    whole = 1.4826 * np.median(np.abs(diff - np.median(diff, axis=0)), axis=0) + 0.5
    assert detect._cell_noise(bright).dtype == whole.dtype == np.float32
    assert np.array_equal(detect._cell_noise(bright), whole)
    assert np.array_equal(detect._cell_noise(bright, rows=5), whole)
