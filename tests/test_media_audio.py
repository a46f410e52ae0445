"""decode_audio / iter_audio_blocks: sample-exact placement on local time, seeking, blocks."""

from __future__ import annotations

from pathlib import Path

import media_factory as mf
import numpy as np
import pytest

import timesync.media.audio as media_audio
from timesync.errors import MediaError
from timesync.media import decode_audio, iter_audio_blocks, probe

CLICKS = (0.25, 1.0, 1.7371)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audio-media")


def _peaks(signal: np.ndarray, sr: int, times, window_s: float = 0.1) -> list[int]:
    """Index of the largest |sample| near each time."""
    out = []
    for t in times:
        lo = max(0, round((t - window_s) * sr))
        hi = round((t + window_s) * sr)
        out.append(lo + int(np.argmax(np.abs(signal[lo:hi]))))
    return out


@pytest.mark.parametrize(
    ("native", "sr"), [(48000, 16000), (44100, 8000), (48000, 48000), (16000, 44100)]
)
def test_click_lands_on_its_sample(media, native, sr):
    path = mf.make_audio(media / f"clicks{native}.wav", mf.click_track(native, 2.0, CLICKS), native)
    audio = decode_audio(path, sr=sr)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == round(2.0 * sr)
    for got, t in zip(_peaks(audio, sr, CLICKS), CLICKS, strict=True):
        assert abs(got - t * sr) <= 1, (t, got, t * sr)


def test_window_start_and_duration(media):
    path = mf.make_audio(media / "window.wav", mf.click_track(48000, 2.0, CLICKS), 48000)
    audio = decode_audio(path, sr=16000, start_s=0.5, duration_s=1.0)
    assert len(audio) == 16000
    assert abs(_peaks(audio, 16000, [0.5])[0] - 8000) <= 1  # the click at 1.0 s
    full = decode_audio(path, sr=16000)
    np.testing.assert_allclose(audio, full[8000:24000], atol=1e-6)


def test_before_start_is_zeros_and_after_end_is_cut(media):
    path = mf.make_audio(media / "edges.wav", mf.click_track(8000, 1.0, [0.5]), 8000)
    early = decode_audio(path, sr=8000, start_s=-0.25, duration_s=0.5)
    assert len(early) == 4000
    assert not early[:2000].any()
    tail = decode_audio(path, sr=8000, start_s=0.75, duration_s=10.0)
    assert len(tail) == 2000  # never padded after the end of the audio
    assert len(decode_audio(path, sr=8000, start_s=5.0)) == 0


def test_seek_does_not_decode_from_the_start(media, monkeypatch):
    sr = 16000
    path = mf.make_audio(media / "long.wav", mf.click_track(sr, 12.0, [1.0, 9.0, 9.5]), sr)
    first_frame = []
    real = media_audio._frame_local

    def spy(frame, stream, origin, segment):
        local = real(frame, stream, origin, segment)
        first_frame.append(local)
        return local

    monkeypatch.setattr(media_audio, "_frame_local", spy)
    window = decode_audio(path, sr=sr, start_s=8.0, duration_s=2.0)
    assert min(first_frame) >= 8.0 - media_audio.PREROLL_S - 0.5  # started near the window
    assert len(window) == 2 * sr
    assert _peaks(window, sr, [1.0, 1.5]) == [sr, sr + sr // 2]
    monkeypatch.setattr(media_audio, "_frame_local", real)
    full = decode_audio(path, sr=sr)
    np.testing.assert_array_equal(window, full[8 * sr : 10 * sr])


def test_seek_with_resampling_matches_full_decode(media):
    path = mf.make_audio(media / "long44.wav", mf.click_track(44100, 8.0, [6.5]), 44100)
    window = decode_audio(path, sr=8000, start_s=5.0, duration_s=2.0)
    full = decode_audio(path, sr=8000)
    assert abs(_peaks(window, 8000, [1.5])[0] - 12000) <= 1
    np.testing.assert_allclose(window, full[40000:56000], atol=1e-4)


@pytest.mark.parametrize(
    ("offset_s", "codec"), [(0.5, "pcm_s16le"), (-0.25, "pcm_s16le"), (0.5, "aac")]
)
def test_audio_start_relative_to_video(media, offset_s, codec):
    """Audio starting after (or before) the video sits at its local time, sample-exact."""
    sr_native, sr = 48000, 16000
    sig = mf.click_track(sr_native, 1.0, [0.5])
    path = mf.make_video(
        media / f"av{offset_s}{codec}.mkv",
        n_frames=30,
        audio=mf.AudioSpec(sig, sr_native, offset_s, codec),
    )
    info = probe(path)
    audio_start = max(offset_s, 0.0)
    video_start = max(-offset_s, 0.0)
    assert info.audio.start_s == audio_start and info.video.start_s == video_start
    audio = decode_audio(path, sr=sr)
    lead = round(audio_start * sr)
    assert not audio[:lead].any()  # zeros before a late audio stream
    click = audio_start + 0.5
    assert abs(_peaks(audio, sr, [click])[0] - click * sr) <= 1
    if codec.startswith("pcm"):
        assert len(audio) == lead + sr
        assert np.count_nonzero(audio[: lead + 1]) == 0 and audio[lead:].any()


LOSSY = [
    ("mp3.mp3", 44100, 0),
    ("aac.m4a", 48000, 0),
    ("opus.opus", 48000, 0),
    ("vorbis.ogg", 44100, 0),
    ("aac.mkv", 48000, 0),
    ("aac.ts", 48000, 1024),
]


@pytest.mark.parametrize(("name", "native", "priming"), LOSSY, ids=[c[0] for c in LOSSY])
def test_lossy_codecs_keep_the_click(media, name, native, priming):
    """Encoder delay is removed where the container says so (MP3 gapless info, MP4
    edit lists, Matroska/Ogg codec delay); AAC in MPEG-TS keeps its 1024 priming
    samples in the stream, so there the click plays 1024 samples late, as in any player."""
    signal = mf.click_track(native, 2.0, CLICKS)
    if name.endswith(".ogg"):
        signal = np.stack([signal, signal])  # FFmpeg's Vorbis encoder is stereo-only
    path = mf.make_audio(media / name, signal, native)
    audio = decode_audio(path, sr=16000)
    for got, t in zip(_peaks(audio, 16000, CLICKS), CLICKS, strict=True):
        assert abs(got - (t + priming / native) * 16000) <= 1, (t, got)


@pytest.mark.parametrize("name", ["seek.mp3", "seek.m4a", "seek.opus"])
def test_compressed_window_matches_full_decode(media, name):
    """Windows past the seek threshold are placed exactly as in a full decode (MP3 is
    never seeked: its timestamps after a seek are estimated from the byte position)."""
    native = 48000 if name.endswith(".opus") else 44100
    path = mf.make_audio(media / name, mf.click_track(native, 6.0, [1.0, 4.5]), native)
    full = decode_audio(path, sr=8000)
    window = decode_audio(path, sr=8000, start_s=3.5, duration_s=2.0)
    assert abs(_peaks(window, 8000, [1.0])[0] - 8000) <= 1
    np.testing.assert_allclose(window, full[28000:44000], atol=2e-3)


MKV_CODECS = ["aac", "libopus", "vorbis", "pcm_s16le", "libmp3lame"]


@pytest.mark.parametrize("codec", MKV_CODECS)
def test_matroska_window_after_seek_matches_full_decode(media, codec):
    """Matroska keeps audio timestamps in milliseconds and decoders re-trim their start-up
    delay after a seek: a window read after a seek must still equal a decode from the start."""
    sig = mf.click_track(48000, 6.0, [4.3])
    if codec == "vorbis":
        sig = np.stack([sig, sig])
    path = mf.make_video(
        media / f"seek-{codec}.mkv", n_frames=5, audio=mf.AudioSpec(sig, 48000, 0.0, codec)
    )
    full = decode_audio(path, sr=16000)
    for start in (3.0, 3.01, 3.5):
        window = decode_audio(path, sr=16000, start_s=start, duration_s=2.0)
        first = round(start * 16000)
        np.testing.assert_allclose(window, full[first : first + len(window)], atol=1e-5)
        assert abs(_peaks(window, 16000, [4.3 - start])[0] - (4.3 - start) * 16000) <= 1


def test_stereo_is_mixed_down(media):
    left = mf.click_track(48000, 1.0, [0.3])
    right = mf.click_track(48000, 1.0, [0.7])
    path = mf.make_audio(media / "stereo.wav", np.stack([left, right]), 48000)
    audio = decode_audio(path, sr=16000)
    assert _peaks(audio, 16000, [0.3, 0.7], window_s=0.05) == [4800, 11200]


def test_blocks_are_contiguous_and_bounded(media):
    path = mf.make_audio(media / "blocks.wav", mf.click_track(44100, 2.0, CLICKS), 44100)
    blocks = list(iter_audio_blocks(path, sr=8000, block_s=0.3, start_s=0.1))
    starts = [t for t, _ in blocks]
    sizes = [len(b) for _, b in blocks]
    assert all(size == 2400 for size in sizes[:-1]) and 0 < sizes[-1] <= 2400
    assert sum(sizes) == round(1.9 * 8000)
    expected_starts = [0.1 + k * 0.3 for k in range(len(blocks))]
    np.testing.assert_allclose(starts, expected_starts, atol=1e-12)
    np.testing.assert_array_equal(
        np.concatenate([b for _, b in blocks]), decode_audio(path, sr=8000, start_s=0.1)
    )


def test_real_recording(shared_media_dir):
    path = shared_media_dir / "pyannote_sample.wav"
    info = probe(path)
    audio = decode_audio(path, sr=8000)
    assert len(audio) == pytest.approx(info.audio.duration_s * 8000, abs=1)
    assert np.abs(audio).max() > 0.01


def test_errors(media):
    video_only = mf.make_video(media / "silent.mp4", n_frames=3)
    with pytest.raises(MediaError, match="no audio stream"):
        decode_audio(video_only, sr=16000)
    wav = mf.make_audio(media / "tiny.wav", np.zeros(100, np.float32), 8000)
    for bad in (0, -8000, 8000.5):
        with pytest.raises(ValueError, match="sr"):
            decode_audio(wav, sr=bad)
    with pytest.raises(ValueError, match="duration_s"):
        decode_audio(wav, sr=8000, duration_s=-1)
    with pytest.raises(MediaError, match="file not found"):
        decode_audio(media / "missing.wav", sr=8000)


def test_blocks_use_bounded_memory(media):
    import tracemalloc

    sr_native, seconds = 48000, 20
    path = mf.make_audio(
        media / "long48.wav", mf.click_track(sr_native, seconds, [19.5]), sr_native
    )
    whole_output = seconds * 16000 * 4  # bytes of float32 at 16 kHz
    tracemalloc.start()
    try:
        total = 0
        for _t, block in iter_audio_blocks(path, sr=16000, block_s=0.5):
            total += len(block)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == seconds * 16000
    assert peak < whole_output / 4, f"peak {peak} bytes"


def test_timestamp_gap_is_filled_with_zeros(media):
    """A recording that pauses (PTS jump of 0.5 s) keeps later sounds at their PTS."""
    from fractions import Fraction

    import av

    sr = 8000
    path = media / "gap.mkv"
    before = np.full(sr, 0.1, np.float32)  # 1 s of a constant level
    after = mf.click_track(sr, 1.0, [0.25])  # resumes at 1.5 s, click at 1.75 s
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=sr)
        stream.layout = "mono"
        for first, chunk in ((0, before), (round(1.5 * sr), after)):
            for start in range(0, len(chunk), 800):
                frame = av.AudioFrame.from_ndarray(
                    chunk[None, start : start + 800], format="flt", layout="mono"
                )
                frame.sample_rate, frame.pts, frame.time_base = sr, first + start, Fraction(1, sr)
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    audio = decode_audio(path, sr=sr)
    assert len(audio) == round(2.5 * sr)
    assert np.allclose(audio[: sr - 1], 0.1, atol=1e-3)
    assert not audio[sr + 1 : round(1.5 * sr) - 1].any()
    assert _peaks(audio, sr, [1.75]) == [round(1.75 * sr)]


def test_seek_landing_inside_the_window_falls_back(media, monkeypatch):
    """If a seek lands after the window start (an imprecise demuxer), the window is
    decoded from the start rather than padded with zeros."""
    from fractions import Fraction

    sr = 8000
    path = mf.make_audio(media / "overshoot.wav", mf.click_track(sr, 8.0, [5.2]), sr)
    full = decode_audio(path, sr=sr)

    def bad_seek(container, stream, audio_start, origin, start_s):
        late = Fraction(start_s) + Fraction(1, 2)  # half a second into the window
        container.seek(round(late / Fraction(stream.time_base)), stream=stream, backward=True)
        return True

    monkeypatch.setattr(media_audio, "_seek_near", bad_seek)
    window = decode_audio(path, sr=sr, start_s=5.0, duration_s=1.0)
    np.testing.assert_array_equal(window, full[5 * sr : 6 * sr])


READER_FILES = [
    "reader.m4a", "reader.opus", "reader.mp3", "reader.wav", "reader-aac.mkv", "reader-libopus.mkv"
]


@pytest.mark.parametrize("name", READER_FILES)
def test_reader_windows_equal_decode_audio(media, name, monkeypatch):
    """An AudioReader keeps one container open and seeks in it: windows read in any
    order (forward, back, near the start where it decodes from the beginning) are
    sample-identical to decode_audio's, which opens the file for each window. Only a
    window it cannot seek to (near the start; MP3 never seeks) opens the file again."""
    from timesync.media import AudioReader

    native = 44100 if name.endswith((".m4a", ".mp3")) else 48000
    sig = mf.click_track(native, 6.0, [1.0, 3.3, 4.5])
    if name.endswith(".mkv"):
        codec = name[len("reader-") : -len(".mkv")]
        path = mf.make_video(media / name, n_frames=5, audio=mf.AudioSpec(sig, native, 0.0, codec))
    else:
        path = mf.make_audio(media / name, sig, native)
    starts = [3.5, 2.2, 4.01, 0.5, 3.0, 3.0]
    want = {start: decode_audio(path, sr=16000, start_s=start, duration_s=1.3) for start in starts}
    opened = []
    real_open = media_audio.open_input
    monkeypatch.setattr(media_audio, "open_input", lambda p: opened.append(p) or real_open(p))
    with AudioReader(path) as reader:
        for start in starts:
            got = reader.read(sr=16000, start_s=start, duration_s=1.3)
            assert got.dtype == np.float32 and got.size == want[start].size == round(1.3 * 16000)
            np.testing.assert_array_equal(got, want[start], err_msg=f"{name} at {start} s")
    unseekable = sum(1 for s in starts if s < media_audio.SEEK_THRESHOLD_S)
    assert len(opened) <= 1 + (len(starts) if name.endswith(".mp3") else unseekable), opened


def test_reader_reopens_after_an_overshooting_seek(media, monkeypatch):
    """A seek that lands inside the window falls back to a fresh decode from the start;
    the reader's container stays usable for the next window."""
    from fractions import Fraction

    from timesync.media import AudioReader

    sr = 8000
    path = mf.make_audio(media / "overshoot-reader.wav", mf.click_track(sr, 8.0, [5.2, 6.4]), sr)
    full = decode_audio(path, sr=sr)
    real_seek = media_audio._seek_near

    def bad_seek(container, stream, audio_start, origin, start_s):
        late = Fraction(start_s) + Fraction(1, 2)
        container.seek(round(late / Fraction(stream.time_base)), stream=stream, backward=True)
        return True

    with AudioReader(path) as reader:
        monkeypatch.setattr(media_audio, "_seek_near", bad_seek)
        np.testing.assert_array_equal(reader.read(sr=sr, start_s=5.0, duration_s=1.0),
                                      full[5 * sr : 6 * sr])
        monkeypatch.setattr(media_audio, "_seek_near", real_seek)
        np.testing.assert_array_equal(reader.read(sr=sr, start_s=6.0, duration_s=1.0),
                                      full[6 * sr : 7 * sr])


def test_reader_names_a_missing_file(tmp_path):
    from timesync.media import AudioReader

    with AudioReader(tmp_path / "gone.m4a") as reader, pytest.raises(MediaError, match="gone.m4a"):
        reader.read(sr=8000, start_s=3.0, duration_s=1.0)
