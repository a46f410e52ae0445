"""Bad input: one MediaError naming the file and the problem; truncated files; no writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import media_factory as mf
import numpy as np
import pytest

from timesync.cli import main
from timesync.errors import MediaError
from timesync.media import FrameIndex, FrameReader, decode_audio, probe, sha256_file


@pytest.fixture(scope="session")
def evidence(tmp_path_factory) -> Path:
    """A folder of bad and damaged files (and the good ones they were cut from)."""
    folder = tmp_path_factory.mktemp("evidence")
    (folder / "folder.mp4").mkdir()
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text.mp4").write_text("This is a text file, not a video.\n" * 20)
    (folder / "subtitles.mkv").write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n\n")
    # an AVI whose video codec tag FFmpeg does not know: packets, but nothing to decode them
    avi = mf.make_video(folder / "known.avi", n_frames=5, codec="mpeg4").read_bytes()
    assert avi.count(b"FMP4") == 2
    (folder / "unknown-codec.avi").write_bytes(avi.replace(b"FMP4", b"ZQZQ"))
    audio = mf.AudioSpec(np.zeros(96000, np.float32), 48000)
    for suffix in (".mp4", ".mkv", ".ts"):
        full = mf.make_video(folder / f"full{suffix}", n_frames=60, gop=10, audio=audio)
        data = full.read_bytes()
        (folder / f"cut{suffix}").write_bytes(data[: len(data) // 2])
    return folder


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


BAD = [
    ("missing.mp4", "file not found"),
    ("folder.mp4", "is a directory"),
    ("empty.mp4", r"empty file \(0 bytes\)"),
    ("text.mp4", "not a media file"),
    ("cut.mp4", r"truncated or corrupt media \(moov atom not found"),
    (
        "unknown-codec.avi",
        r"no decodable audio or video stream \(video stream 0: FFmpeg has no decoder"
        r"|the video stream cannot be decoded \(FFmpeg has no decoder|no audio stream",
    ),
    # probe names what it found; the frame and audio readers name what they needed
    (
        "subtitles.mkv",
        r"no decodable audio or video stream \(streams found: subtitle\)|no video stream|no audio stream",
    ),
]


@pytest.mark.parametrize(("name", "problem"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_raise_one_clear_media_error(evidence, name, problem):
    before = _listing(evidence)
    path = evidence / name
    for call in (
        lambda: probe(path),
        lambda: FrameIndex.open(path),
        lambda: FrameReader(path),
        lambda: decode_audio(path, sr=8000),
    ):
        with pytest.raises(MediaError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message
        assert re.search(problem, message), message
    assert _listing(evidence) == before  # nothing written next to the evidence


def test_media_error_is_a_value_error(evidence):
    with pytest.raises(ValueError):
        probe(evidence / "text.mp4")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/clip.mp4",
        "https://example.com/clip.mp4",
        "concat:a.mp4|b.mp4",
        "pipe:0",
        "file:clip.mp4",
        "subfile,,start,0,end,100,,:clip.mp4",
        "tcp://127.0.0.1:9/x",
    ],
)
def test_urls_and_protocols_are_refused(url):
    for call in (lambda: probe(url), lambda: sha256_file(url), lambda: decode_audio(url, sr=8000)):
        with pytest.raises(MediaError, match="not a local file"):
            call()


def test_local_file_with_a_colon_in_its_name_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mf.make_video(tmp_path / "http:clip.mp4", n_frames=3)
    assert probe("http:clip.mp4").video.frame_count == 3


def test_devices_and_pipes_are_refused(tmp_path):
    with pytest.raises(MediaError, match="not a regular file"):
        probe("/dev/null")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(MediaError, match="not a regular file"):
        probe(fifo)


@pytest.mark.parametrize("suffix", [".mkv", ".ts"])
def test_truncated_stream_keeps_its_first_frames(evidence, suffix):
    cut = evidence / f"cut{suffix}"
    info = probe(cut)
    assert info.warnings, "a truncated file must say so"
    assert any("truncated" in w for w in info.warnings)
    assert all(w.startswith(f"{cut}: ") for w in info.warnings)
    full = probe(evidence / f"full{suffix}")
    assert full.warnings == ()
    assert 0 < info.video.frame_count < full.video.frame_count == 60
    index = FrameIndex.open(cut)
    assert (
        index.pts.tolist() == FrameIndex.open(evidence / f"full{suffix}").pts[: len(index)].tolist()
    )
    with FrameReader(cut, index=index) as reader:
        last = len(index) - 1
        assert mf.frame_number(reader.read(last)) == last
        assert mf.frame_number(reader.read(0)) == 0
    assert len(decode_audio(cut, sr=8000)) > 0


def test_cli_bad_input_exits_3_with_one_line(evidence, capsys):
    before = _listing(evidence)
    for name, problem in BAD:
        path = evidence / name
        assert main(["probe", str(path)]) == 3
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in captured.err
        assert lines[0].startswith(f"timesync: error: {path}: ")
        assert re.search(problem, lines[0])
        assert captured.out == ""
    assert _listing(evidence) == before


def test_cli_truncated_file_warns(evidence, capsys):
    assert main(["probe", str(evidence / "cut.mkv")]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "truncated" in captured.err
    assert "frames" in captured.out


def test_stream_cut_at_its_start_counts_only_decodable_frames(tmp_path):
    """An MPEG-TS whose first third is missing starts mid-GOP: the packets shown before
    the first decodable frame never decode, so they are not frames."""
    import av

    audio = mf.AudioSpec(mf.click_track(48000, 1.0, [0.5]), 48000, offset_s=1.5)
    full = mf.make_video(tmp_path / "whole.ts", n_frames=90, gop=30, bframes=True, audio=audio)
    data = full.read_bytes()
    cut = tmp_path / "tail.ts"
    cut.write_bytes(data[188 * (len(data) // 188 // 4) :])
    with av.open(str(cut)) as container:
        shown = [mf.frame_number(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    info = probe(cut)
    assert info.video.frame_count == len(shown)
    assert any("without a keyframe" in w for w in info.warnings)
    assert info.video.start_s == 0.0 < info.audio.start_s  # the video, cut mid-GOP, is first
    index = FrameIndex.open(cut)
    with FrameReader(cut, index=index) as reader:
        for n in (0, 1, len(index) - 1, 7):
            assert mf.frame_number(reader.read(n)) == shown[n]
    # the audio reader puts local 0 where probe and the frame index do
    from timesync.media.scan import quick_origin

    with av.open(str(cut)) as container:
        origin, _starts = quick_origin(container)
    assert float(origin) == info.origin_s


def test_tags_that_are_not_utf8_do_not_stop_probing(tmp_path):
    """Old cameras write Latin-1 tags: the bytes are replaced, the file still probes."""
    clean = mf.make_video(tmp_path / "latin.mkv", n_frames=3, metadata={"make": "CamXXXX"})
    data = clean.read_bytes()
    assert data.count(b"CamXXXX") == 1
    latin = tmp_path / "latin1.mkv"
    latin.write_bytes(data.replace(b"CamXXXX", "Caméra".encode("latin-1") + b"X"))
    info = probe(latin)
    assert info.tags.make.startswith("Cam") and "\ufffd" in info.tags.make
    assert info.video.frame_count == 3


def _damaged(data: bytes, rng, count: int) -> bytes:
    """``data`` with ``count`` bytes at random places (from ``rng``) set to random values."""
    out = bytearray(data)
    for _ in range(count):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


@pytest.mark.parametrize("suffix", [".ts", ".mkv", ".mp4"])
def test_random_damage_gives_media_error_or_info(tmp_path, suffix):
    """Seeded random byte damage (in a TS it can make FFmpeg announce a stream mid-file,
    which PyAV's demux turns into an IndexError): only a MediaInfo or a MediaError."""
    import random

    source = mf.make_video(tmp_path / f"ok{suffix}", n_frames=30, gop=10)
    data = bytearray(source.read_bytes())
    rng = random.Random(0)
    for attempt in range(40):
        path = tmp_path / f"damaged{attempt}{suffix}"
        path.write_bytes(_damaged(data, rng, 20))
        try:
            info = probe(path)
        except MediaError:
            continue
        assert all(w.startswith(f"{path}: ") for w in info.warnings)
        if info.video is not None and info.video.frame_count:
            with FrameReader(path) as reader:
                try:
                    reader.read(len(reader.index) - 1)
                except MediaError:
                    pass


def test_stream_announced_mid_file(tmp_path):
    """Byte damage in a TS can make FFmpeg add a stream mid-file; PyAV's demux then raises
    IndexError. The file is probed as far as it goes, with a warning naming the damage."""
    import random

    audio = mf.AudioSpec(mf.click_track(48000, 1.0, [0.5]), 48000)
    data = mf.make_video(tmp_path / "src.ts", n_frames=30, gop=10, audio=audio).read_bytes()
    hits = 0
    for seed in range(20, 36):
        rng = random.Random(seed)
        path = tmp_path / f"damaged{seed}.ts"
        path.write_bytes(_damaged(data, rng, 50))
        try:
            info = probe(path)
        except MediaError:
            continue
        if any("did not announce" in w for w in info.warnings):
            hits += 1
            assert info.video.frame_count > 0
            try:
                decode_audio(path, sr=8000)
            except MediaError:
                pass
    assert hits, "no seed reproduced the mid-file stream (FFmpeg's behaviour changed?)"
