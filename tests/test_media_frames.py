"""FrameIndex and FrameReader: exact PTS, half-open lookups, cache, frame-exact reads."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import media_factory as mf
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timesync.clock import ClockMap
from timesync.errors import MediaError
from timesync.media import FrameIndex, FrameReader, FrameRef, probe, sha256_file
from timesync.media import cache as media_cache

VFR_PTS = [0, 3000, 6000, 12000, 13500, 15000, 24000, 27000, 30000, 36000, 37000, 45000]

READER_CASES = {
    # name: make_video kwargs
    "h264-bframes.mp4": dict(n_frames=40, bframes=True, gop=10),
    "h264-bframes.mkv": dict(n_frames=40, bframes=True, gop=10),
    "h264.ts": dict(n_frames=40, gop=10),
    "hevc-bframes.mp4": dict(n_frames=30, codec="libx265", bframes=True, gop=10),
    "mpeg4-bframes.avi": dict(n_frames=40, codec="mpeg4", bframes=True, gop=10),
    "mjpeg.mov": dict(n_frames=20, codec="mjpeg"),
    "vfr.mp4": dict(n_frames=len(VFR_PTS), pts_list=VFR_PTS, gop=4),
    "late-start.mkv": dict(n_frames=30, first_pts=45, gop=10),
}


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("frames-media")


@pytest.fixture(scope="session")
def clip(media) -> Path:
    """30 frames at 30 fps, H.264 in MP4 (time base 1/15360: frame i has PTS 512 i)."""
    return mf.make_video(media / "clip.mp4", n_frames=30, gop=10)


@pytest.fixture(scope="session")
def reader_clips(media) -> dict[str, Path]:
    return {name: mf.make_video(media / name, **kwargs) for name, kwargs in READER_CASES.items()}


def _sequential_decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        frames = sorted(container.decode(video=0), key=lambda f: f.pts)
        return [f.to_ndarray(format="rgb24") for f in frames]


# -- FrameIndex ---------------------------------------------------------------------------------
def test_index_exact_pts(clip):
    index = FrameIndex.open(clip)
    assert len(index) == 30
    assert index.pts.dtype == np.int64
    assert index.pts.tolist() == [512 * i for i in range(30)]
    assert index.time_base == Fraction(1, 15360)
    assert index.start_s == 0.0
    assert index.end_s == 1.0
    assert index.frame_time(7) == float(Fraction(7, 30))
    assert index.times.tolist() == [float(Fraction(i, 30)) for i in range(30)]


def test_frame_at_half_open_boundaries(clip):
    index = FrameIndex.open(clip)
    tick = 1 / 15360
    for n in (0, 1, 15, 29):
        start = index.frame_time(n)
        assert index.frame_at(start).number == n  # a frame's start belongs to it
        assert index.frame_at(start + 0.6 * tick).number == n
        if n:
            assert index.frame_at(start - 0.6 * tick).number == n - 1
    assert index.frame_at(Fraction(1, 3) * 1.0).number == 10  # 1/3 s: float just below 10/30
    assert index.frame_at(-0.6 * tick) is None
    assert index.frame_at(index.end_s) is None
    assert index.frame_at(index.end_s - 0.6 * tick).number == 29
    assert index.frame_at(float("nan")) is None
    ref = index.frame_at(0.5)
    assert ref == FrameRef(number=15, pts=15 * 512, time_s=0.5, duration_s=float(Fraction(1, 30)))


def test_frame_at_does_not_truncate(clip):
    # int(t * fps) would give 9 for t = 0.3 (0.3 * 30 = 8.999999999999998): 0.3 s is frame 9's end
    index = FrameIndex.open(clip)
    assert index.frame_at(0.3).number == 9
    assert index.frame_at(0.3 + 1e-4).number == 9
    assert index.frame_at(10 / 30).number == 10


@pytest.fixture(scope="session")
def clip_index(clip) -> FrameIndex:
    return FrameIndex.open(clip)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(t=st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_frame_at_contains_t(clip_index, t):
    index = clip_index
    half_tick = 0.5 / 15360
    ref = index.frame_at(t)
    if t >= index.end_s - half_tick:
        assert ref is None or t < ref.time_s + ref.duration_s
        return
    assert ref is not None
    assert ref.time_s - half_tick <= t < ref.time_s + ref.duration_s + half_tick


def test_vfr_index(media):
    path = mf.make_video(media / "vfr-index.mp4", n_frames=len(VFR_PTS), pts_list=VFR_PTS)
    index = FrameIndex.open(path)
    assert index.pts.tolist() == VFR_PTS
    assert index.time_base == Fraction(1, 90000)
    assert index.frame_at(12000 / 90000).number == 3
    assert index.frame_at(13499 / 90000).number == 3
    assert index.frame_at(13500 / 90000).number == 4
    assert index.frame_at(23999 / 90000).number == 5
    assert index.frame_duration(5) == pytest.approx(9000 / 90000)
    # the last frame lasts the packet duration (or the median delta)
    assert index.end_s > 45000 / 90000
    assert index.frame_at(45000 / 90000).number == 11


def test_bframe_index_is_presentation_order(media):
    path = mf.make_video(media / "bf-index.mp4", n_frames=24, bframes=True, gop=12)
    index = FrameIndex.open(path)
    assert index.pts.tolist() == [512 * i for i in range(24)]


def test_first_pts_not_zero(media):
    path = mf.make_video(media / "late.mp4", n_frames=10, first_pts=15)  # 0.5 s
    index = FrameIndex.open(path)
    assert index.pts[0] == 7680  # 0.5 s at 1/15360
    assert index.start_s == 0.0  # local time starts at the first frame
    assert index.frame_at(0.0).number == 0
    assert index.frame_at(0.1).number == 3


def test_audio_leads_video(media):
    sig = mf.click_track(48000, 1.0, [0.5])
    path = mf.make_video(
        media / "lead.mkv", n_frames=30, audio=mf.AudioSpec(sig, 48000, -0.25, "pcm_s16le")
    )
    index = FrameIndex.open(path)
    assert index.start_s == 0.25  # the audio is local 0
    assert index.frame_at(0.1) is None
    assert index.frame_at(0.25).number == 0
    assert index.frame_at(0.25 + 1 / 30).number == 1


def test_audio_lags_video(media):
    sig = mf.click_track(48000, 1.0, [0.5])
    path = mf.make_video(
        media / "lag.mkv", n_frames=30, audio=mf.AudioSpec(sig, 48000, 0.5, "pcm_s16le")
    )
    index = FrameIndex.open(path)
    assert index.start_s == 0.0
    assert index.frame_at(0.5).number == 15


def test_frame_at_shared(clip):
    index = FrameIndex.open(clip)
    clock = ClockMap(offset_s=10.0, rate=1.0)
    assert index.frame_at_shared(clock, 10.0 + index.frame_time(5)).number == 5
    assert index.frame_at_shared(clock, 9.9) is None
    fast = ClockMap(offset_s=-2.0, rate=1.0001)
    t = index.frame_time(20)
    assert index.frame_at_shared(fast, fast.to_shared(t)).number == 20


def test_index_cached_away_from_evidence(media, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("TIMESYNC_CACHE_DIR", str(cache_dir))
    evidence = media / "cached"
    evidence.mkdir()
    path = mf.make_video(evidence / "c.mp4", n_frames=12)
    before = sorted(p.name for p in evidence.iterdir())
    index = FrameIndex.open(path)
    digest = sha256_file(path)
    assert (cache_dir / "frame-index" / f"{digest}.v{media_cache.FORMAT_VERSION}.npz").is_file()
    assert sorted(p.name for p in evidence.iterdir()) == before

    def fail(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr("timesync.media.frames.scan_container", fail)
    again = FrameIndex.open(path, sha256=digest)
    assert again.pts.tolist() == index.pts.tolist()
    assert again.time_base == index.time_base and again.origin == index.origin


def test_probe_fills_the_cache(media, tmp_path, monkeypatch):
    monkeypatch.setenv("TIMESYNC_CACHE_DIR", str(tmp_path / "c2"))
    path = mf.make_video(media / "probe-cache.mp4", n_frames=9, bframes=True)
    info = probe(path)
    monkeypatch.setattr("timesync.media.frames.scan_container", lambda *a, **k: 1 / 0)
    assert len(FrameIndex.open(path, sha256=info.sha256)) == info.video.frame_count == 9


def test_corrupt_cache_is_rebuilt(media, tmp_path, monkeypatch):
    monkeypatch.setenv("TIMESYNC_CACHE_DIR", str(tmp_path / "c3"))
    path = mf.make_video(media / "corrupt-cache.mp4", n_frames=6)
    FrameIndex.open(path)
    (entry,) = (tmp_path / "c3" / "frame-index").iterdir()
    entry.write_bytes(b"garbage")
    assert len(FrameIndex.open(path)) == 6


def test_cache_dir_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("TIMESYNC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert media_cache.cache_dir() == tmp_path / "timesync"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert media_cache.cache_dir() == Path.home() / ".cache" / "timesync"


def test_index_of_audio_only_file_is_an_error(media):
    path = mf.make_audio(media / "only.wav", np.zeros(800, np.float32), 8000)
    with pytest.raises(MediaError, match="no video stream"):
        FrameIndex.open(path)


# -- FrameReader ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(READER_CASES), ids=list(READER_CASES))
def test_reader_random_access_is_exact(reader_clips, name):
    path = reader_clips[name]
    reference = _sequential_decode(path)
    n_frames = READER_CASES[name]["n_frames"]
    assert len(reference) == n_frames
    assert [mf.frame_number(im) for im in reference] == list(range(n_frames))
    rng = np.random.default_rng(7)
    order = [int(n) for n in rng.integers(0, n_frames, 25)] + [n_frames - 1, 0, n_frames - 1]
    with FrameReader(path) as reader:
        assert len(reader.index) == n_frames
        for n in order:
            image = reader.read(n)
            assert image.dtype == np.uint8 and image.shape == (120, 160, 3)
            assert np.array_equal(image, reference[n]), f"frame {n}"
        for n in range(n_frames - 1, -1, -7):  # backwards
            assert mf.frame_number(reader.read(n)) == n


class _SeekCounter:
    """Wraps a container and counts seeks."""

    def __init__(self, container) -> None:
        self._container = container
        self.seeks = 0

    def seek(self, *args, **kwargs):
        self.seeks += 1
        return self._container.seek(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._container, name)


def test_sequential_reads_do_not_seek(reader_clips):
    path = reader_clips["h264-bframes.mp4"]
    with FrameReader(path) as reader:
        counter = _SeekCounter(reader._container)
        reader._container = counter
        assert [mf.frame_number(reader.read(n)) for n in range(40)] == list(range(40))
        assert counter.seeks <= 1
        assert [mf.frame_number(reader.read(n)) for n in range(39, 19, -1)] == list(range(39, 19, -1))
        assert counter.seeks <= 1  # stepping back through recently decoded frames: no seek
        reader._recent.clear()
        assert mf.frame_number(reader.read(5)) == 5
        assert counter.seeks == 2  # going back past the recent frames needs a seek


def test_recent_frames_are_bounded(reader_clips):
    path = reader_clips["h264.ts"]
    with FrameReader(path) as reader:
        reader.RECENT_FRAMES = 7
        for n in range(40):
            reader.read(n)
        assert len(reader._recent) == 7
        assert sorted(reader._recent) == reader.index.pts[33:40].tolist()


def test_reader_rotation(media):
    path = mf.make_video(media / "rot90.mp4", n_frames=6, rotation=90)
    with FrameReader(path) as reader:
        upright = reader.read(3)
    assert upright.shape == (160, 120, 3)
    assert mf.frame_number(np.rot90(upright, k=1)) == 3  # undo the 90° clockwise turn
    with FrameReader(path, rotate=False) as reader:
        coded = reader.read(3)
    assert coded.shape == (120, 160, 3)
    assert np.array_equal(np.rot90(coded, k=-1), upright)


def test_read_at_and_thumbnail(clip):
    with FrameReader(clip) as reader:
        ref, image = reader.read_at(0.5)
        assert ref.number == 15 and mf.frame_number(image) == 15
        assert reader.read_at(2.0) is None
        thumb = reader.thumbnail(4, max_side=80)
        assert thumb.shape == (60, 80, 3)
        with pytest.raises(IndexError):
            reader.read(30)


def test_reader_close(clip):
    reader = FrameReader(clip)
    reader.read(2)
    reader.close()
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(2)


def test_reader_real_media(shared_media_dir):
    path = shared_media_dir / "carphone.mp4"
    reference = _sequential_decode(path)
    with FrameReader(path) as reader:
        for n in (0, 57, 119, 3, 64):
            assert np.array_equal(reader.read(n), reference[n])


def test_edit_list_trimmed_start(media):
    """An MP4 cut without re-encoding (edit list starting between keyframes): the
    pre-roll packets are decoded but never shown, so they are not frames."""
    import subprocess

    import imageio_ffmpeg

    source = mf.make_video(media / "untrimmed.mp4", n_frames=60, gop=30, bframes=True)
    trimmed = media / "trimmed.mp4"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-ss",
        "0.5",
        "-i",
        str(source),
    ]
    subprocess.run([*command, "-c", "copy", str(trimmed)], check=True, timeout=60)
    with av.open(str(trimmed)) as container:
        shown = [mf.frame_number(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    assert shown == list(range(15, 60))
    info = probe(trimmed)
    assert info.video.frame_count == 45
    index = FrameIndex.open(trimmed)
    assert index.pts.tolist() == [512 * i for i in range(45)]
    with FrameReader(trimmed, index=index) as reader:
        for n in (0, 30, 1, 44, 14, 15):
            assert mf.frame_number(reader.read(n)) == n + 15


def test_cached_index_of_a_changed_file_is_refused(media):
    """A SHA-256 from ingest that no longer fits the file (its size changed) must not
    bring back the old file's frame index."""
    before = mf.make_video(media / "evidence-v1.mp4", n_frames=10)
    after = mf.make_video(media / "evidence-v2.mp4", n_frames=20)
    old_digest = sha256_file(before)
    FrameIndex.open(before, sha256=old_digest)
    with pytest.raises(MediaError, match="changed since it was hashed"):
        FrameIndex.open(after, sha256=old_digest)
