"""probe(): containers, codecs, exact frame counts and PTS, VFR, rotation, tags, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import av
import media_factory as mf
import numpy as np
import pytest

from timesync.cli import main
from timesync.media import MediaInfo, probe, sha256_file

VIDEO_CASES = [
    # (file name, codec, extra make_video kwargs)
    ("h264.mp4", "libx264", {}),
    ("h264.mov", "libx264", {}),
    ("h264.mkv", "libx264", {}),
    ("h264.ts", "libx264", {}),
    ("h264.avi", "libx264", {}),
    ("hevc.mp4", "libx265", {}),
    ("hevc.mkv", "libx265", {}),
    ("mpeg4.avi", "mpeg4", {}),
    ("mpeg4.mp4", "mpeg4", {}),
    ("mjpeg.avi", "mjpeg", {}),
    ("mjpeg.mov", "mjpeg", {}),
]

AUDIO_CASES = [
    # (file name, codec or None for the suffix default, sample rate, channels)
    ("pcm.wav", None, 44100, 1),
    ("stereo.wav", None, 48000, 2),
    ("mp3.mp3", None, 44100, 1),
    ("aac.m4a", None, 48000, 1),
    ("vorbis.ogg", None, 44100, 2),  # FFmpeg's own Vorbis encoder is stereo-only
    ("opus.ogg", "libopus", 48000, 1),
]


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    """A session folder of generated clips."""
    return tmp_path_factory.mktemp("probe-media")


def _decoded_video_pts(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [frame.pts for frame in container.decode(video=0)]


@pytest.mark.parametrize(("name", "codec", "kwargs"), VIDEO_CASES, ids=[c[0] for c in VIDEO_CASES])
def test_video_containers_and_codecs(media, name, codec, kwargs):
    path = mf.make_video(media / name, n_frames=12, codec=codec, **kwargs)
    info = probe(path)
    video = info.video
    assert video is not None and info.audio is None
    assert video.frame_count == 12
    assert video.frame_count == len(_decoded_video_pts(path))
    assert (video.width, video.height) == (160, 120)
    assert video.codec == {"libx264": "h264", "libx265": "hevc"}.get(codec, codec)
    assert video.avg_fps == 30
    assert video.is_vfr is False
    assert video.rotation == 0
    assert info.duration_s == pytest.approx(12 / 30, abs=1e-9)
    assert info.size_bytes == path.stat().st_size
    assert info.sha256 == sha256_file(path)
    assert info.warnings == ()


def test_container_names(media):
    names = {}
    for suffix in (".mp4", ".mov", ".mkv", ".ts", ".avi"):
        path = mf.make_video(media / f"names{suffix}", n_frames=3)
        names[suffix] = probe(path).container
    assert names == {
        ".mp4": "mp4",
        ".mov": "mov",
        ".mkv": "matroska",
        ".ts": "mpegts",
        ".avi": "avi",
    }


@pytest.mark.parametrize(
    ("name", "codec", "sr", "channels"), AUDIO_CASES, ids=[c[0] for c in AUDIO_CASES]
)
def test_audio_only_files(media, name, codec, sr, channels):
    rng = np.random.default_rng(1)
    samples = (0.1 * rng.standard_normal((channels, sr))).astype(np.float32)
    path = mf.make_audio(media / name, samples if channels > 1 else samples[0], sr, codec=codec)
    info = probe(path)
    assert info.video is None
    audio = info.audio
    assert audio.sample_rate == sr
    assert audio.channels == channels
    assert audio.start_s == 0.0
    assert info.duration_s == pytest.approx(1.0, abs=0.08)


def test_exact_pts_in_mp4(media):
    path = mf.make_video(media / "pts.mp4", n_frames=10, fps=30)
    info = probe(path)
    assert info.video.time_base == Fraction(1, 15360)
    with av.open(str(path)) as container:
        assert container.streams.video[0].time_base == Fraction(1, 15360)
    assert _decoded_video_pts(path) == [512 * i for i in range(10)]


def test_vfr_clip(media):
    pts = [0, 3000, 6000, 12000, 13500, 15000, 24000, 27000, 30000, 36000]
    path = mf.make_video(media / "vfr.mp4", n_frames=10, pts_list=pts, time_base=Fraction(1, 90000))
    info = probe(path)
    assert info.video.frame_count == 10
    assert info.video.is_vfr is True
    assert info.video.time_base == Fraction(1, 90000)
    assert _decoded_video_pts(path) == pts


def test_cfr_in_millisecond_time_base_is_not_vfr(media):
    # 29.97 fps in Matroska's 1/1000 time base alternates 33/34 ms deltas: rounding, not VFR.
    path = mf.make_video(media / "ntsc.mkv", n_frames=20, fps=Fraction(30000, 1001))
    info = probe(path)
    deltas = set(np.diff(_decoded_video_pts(path)).tolist())
    assert deltas == {33, 34}
    assert info.video.is_vfr is False


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_first_pts_not_zero(media, suffix):
    path = mf.make_video(media / f"late{suffix}", n_frames=10, first_pts=15)  # 0.5 s at 1/30
    info = probe(path)
    assert info.video.start_s == 0.0  # local time starts at the first frame
    first = Fraction(_decoded_video_pts(path)[0]) * info.video.time_base
    assert info.origin_s == pytest.approx(float(first), abs=1e-12)
    assert info.origin_s >= 0.5
    assert info.duration_s == pytest.approx(10 / 30, abs=1e-3)


def test_bframes_clip(media):
    path = mf.make_video(media / "bframes.mp4", n_frames=24, bframes=True, gop=12)
    with av.open(str(path)) as container:
        packets = [(p.pts, p.dts) for p in container.demux(video=0) if p.size]
    assert any(pts != dts for pts, dts in packets), "the clip should have B-frames"
    info = probe(path)
    assert info.video.frame_count == 24
    assert sorted(_decoded_video_pts(path)) == [512 * i for i in range(24)]


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_from_display_matrix(media, rotation):
    path = mf.make_video(media / f"rot{rotation}.mp4", n_frames=3, rotation=rotation)
    info = probe(path)
    assert info.video.rotation == rotation
    assert (info.video.width, info.video.height) == (160, 120)  # coded size


def test_rotation_of_a_late_video_after_early_audio(media):
    audio = mf.AudioSpec(mf.click_track(48000, 2.0, [1.0]), 48000, -0.75)
    path = mf.make_video(media / "late-rot.mp4", n_frames=6, rotation=270, audio=audio)
    info = probe(path)
    assert info.video.rotation == 270
    assert info.video.start_s == pytest.approx(0.75, abs=0.03)  # AAC priming in MP4 edit lists


def test_rotation_from_legacy_rotate_tag(media):
    from timesync.media import FrameReader

    path = mf.make_video(media / "tagrot.mkv", n_frames=3, stream_metadata={"rotate": "90"})
    assert probe(path).video.rotation == 90
    with FrameReader(path) as reader:
        assert reader.read(1).shape == (160, 120, 3)


def test_audio_lead_and_lag(media):
    sig = mf.click_track(48000, 1.0, [0.5])
    late = mf.make_video(
        media / "alate.mkv", n_frames=30, audio=mf.AudioSpec(sig, 48000, 0.5, "pcm_s16le")
    )
    info = probe(late)
    assert (info.video.start_s, info.audio.start_s, info.origin_s) == (0.0, 0.5, 0.0)
    assert info.duration_s == pytest.approx(1.5, abs=2e-3)  # 1/1000 time base
    early = mf.make_video(
        media / "aearly.mkv", n_frames=30, audio=mf.AudioSpec(sig, 48000, -0.25, "pcm_s16le")
    )
    info = probe(early)
    assert (info.audio.start_s, info.video.start_s) == (0.0, 0.25)
    assert info.duration_s == pytest.approx(1.25, abs=2e-3)


def test_tags_creation_time_make_model_timecode(media):
    path = mf.make_video(
        media / "tags.mov",
        n_frames=3,
        metadata={
            "creation_time": "2024-05-17T21:02:33.000000Z",
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 12",
        },
        stream_metadata={"timecode": "01:02:03:04"},
    )
    tags = probe(path).tags
    assert tags.creation_time == datetime(2024, 5, 17, 21, 2, 33, tzinfo=UTC)
    assert tags.creation_time.tzinfo is not None
    assert (tags.make, tags.model, tags.timecode) == ("Apple", "iPhone 12", "01:02:03:04")
    assert tags.encoder.startswith("Lavf")
    assert tags.raw["com.apple.quicktime.make"] == "Apple"


def test_device_tags_in_matroska(media):
    path = mf.make_video(
        media / "device.mkv",
        n_frames=2,
        metadata={
            "make": "Axon",
            "model": "Body 3",
            "serial_number": "X81234567",
            "creation_time": "2024-05-17T21:02:33.250000Z",
        },
    )
    tags = probe(path).tags
    assert (tags.make, tags.model, tags.serial) == ("Axon", "Body 3", "X81234567")
    assert tags.creation_time == datetime(2024, 5, 17, 21, 2, 33, 250000, tzinfo=UTC)


def test_creation_time_zones(media):
    from timesync.media.tags import parse_datetime

    assert parse_datetime("2024-05-17 14:02:33") == datetime(
        2024, 5, 17, 14, 2, 33
    )  # naive: no zone
    assert parse_datetime("2024-05-17T14:02:33-0700") == datetime(
        2024, 5, 17, 14, 2, 33, tzinfo=timezone(timedelta(hours=-7))
    )
    assert parse_datetime("2024:05:17 14:02:33") == datetime(2024, 5, 17, 14, 2, 33)
    assert parse_datetime("yesterday") is None


def test_given_sha256_is_used(media):
    path = mf.make_video(media / "sha.mp4", n_frames=2)
    assert probe(path, sha256="ab" * 32).sha256 == "ab" * 32
    with pytest.raises(ValueError, match="64 hex digits"):
        probe(path, sha256="not-a-hash")


def test_to_dict_is_json(media):
    path = mf.make_video(
        media / "json.mp4", n_frames=4, audio=mf.AudioSpec(np.zeros(4800, np.float32), 48000)
    )
    data = json.loads(json.dumps(probe(path).to_dict()))
    assert data["streams"][0]["frame_count"] == 4
    assert data["streams"][0]["avg_fps"] == "30/1"
    assert data["streams"][1]["sample_rate"] == 48000
    assert len(data["sha256"]) == 64


def test_real_media(shared_media_dir):
    """Every real file probes, and its frame count equals a full decode's."""
    for path in sorted(shared_media_dir.iterdir()):
        if path.suffix.lower() not in (".mp4", ".avi", ".wav", ".mov", ".mkv"):
            continue
        info = probe(path)
        assert isinstance(info, MediaInfo)
        assert info.duration_s > 0, path.name
        if info.video is not None:
            assert info.video.frame_count == len(_decoded_video_pts(path)), path.name
        else:
            assert info.audio.sample_rate > 0


def test_real_media_known_facts(shared_media_dir):
    bikes = probe(shared_media_dir / "bikes.mp4").video
    assert (bikes.width, bikes.height, bikes.frame_count) == (640, 272, 250)
    carphone = probe(shared_media_dir / "carphone.mp4").video
    assert carphone.frame_count == 120
    tree = probe(shared_media_dir / "tree.avi").video
    # tree.avi holds 68 frames at irregular PTS over 29.6 s: honest VFR, not 444 frames
    assert tree.frame_count == 68 and tree.is_vfr
    assert probe(shared_media_dir / "pyannote_sample.wav").audio.sample_rate == 16000


# -- command line ---------------------------------------------------------------------------
def test_cli_probe_summary(media, capsys):
    path = mf.make_video(
        media / "cli.mp4", n_frames=5, audio=mf.AudioSpec(np.zeros(9600, np.float32), 48000)
    )
    assert main(["probe", str(path)]) == 0
    out = capsys.readouterr().out
    assert "5 frames" in out and "h264" in out and "aac" in out and sha256_file(path) in out


def test_cli_probe_json(media, capsys):
    path = mf.make_video(media / "clijson.mp4", n_frames=5)
    assert main(["probe", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["streams"][0]["frame_count"] == 5


def test_console_script_error_is_one_line(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video at all\n")
    script = Path(sys.executable).parent / "timesync"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "timesync"]
    result = subprocess.run(
        [*command, "probe", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert str(bad) in lines[0] and "not a media file" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_cover_art_is_not_video(media):
    """An MP3 with artwork: the picture is an "attached_pic" stream, not the video."""
    import cv2
    import imageio_ffmpeg

    plain = mf.make_audio(media / "plain.mp3", mf.click_track(44100, 1.0, [0.5]), 44100)
    cover = media / "cover.png"
    cv2.imwrite(str(cover), np.full((32, 32, 3), 128, np.uint8))
    tagged = media / "with-cover.mp3"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-i",
        str(plain),
        "-i",
        str(cover),
    ]
    command += [
        "-map",
        "0",
        "-map",
        "1",
        "-c",
        "copy",
        "-disposition:v",
        "attached_pic",
        str(tagged),
    ]
    subprocess.run(command, check=True, timeout=60)
    info = probe(tagged)
    assert info.video is None
    assert [s.kind for s in info.streams] == ["audio", "attached_pic"]
    assert info.audio.codec == "mp3"
    assert info.origin_s == probe(plain).origin_s
