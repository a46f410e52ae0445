"""A raw CBR MP3 with damaged frame headers: the lost frames are silence at their time.

The damage (zeros over a frame's header, as the stress corpus's seed 53 has)
makes FFmpeg's MP3 demuxer hand the frame over inside the previous packet, which
decodes as one frame: before, every later sample came one frame (36 ms at 16 kHz)
early, so the offset stepped at each damaged spot. The packets now take their
byte times (:mod:`timesync.media.byteclock`).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from timesync.media.audio import decode_audio
from timesync.media.byteclock import ByteClock
from timesync.media.probe import probe

SR = 16000
FRAME = 576  # samples per MPEG-2 layer III frame at 16 kHz
DAMAGED = (200, 400)  # packets whose header is zeroed


def _encode(path: Path, x: np.ndarray, *, vbr: bool = False) -> None:
    with av.open(str(path), "w", format="mp3") as c:
        s = c.add_stream("libmp3lame", rate=SR)
        s.layout = "mono"
        if vbr:
            s.codec_context.qscale = 4
            s.codec_context.flags |= av.codec.context.Flags.qscale
        else:
            s.bit_rate = 64000
        for k in range(0, x.size, 1152):
            frame = av.AudioFrame.from_ndarray(x[None, k:k + 1152], format="flt", layout="mono")
            frame.sample_rate = SR
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode(None):
            c.mux(packet)


def _packets(path: Path) -> list[tuple[int, int]]:
    with av.open(str(path)) as c:
        return [(int(p.pos), int(p.size)) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory) -> tuple[Path, Path]:
    """A 20-s CBR 64 kb/s MP3 of noise bursts, and a copy with two frame headers zeroed."""
    folder = tmp_path_factory.mktemp("mp3")
    rng = np.random.default_rng(7)
    n = SR * 20
    env = np.repeat(rng.uniform(0.1, 1.0, n // 800 + 1), 800)[:n]
    x = (0.3 * rng.standard_normal(n) * env).astype(np.float32)
    clean, damaged = folder / "clean.mp3", folder / "damaged.mp3"
    _encode(clean, x)
    data = bytearray(clean.read_bytes())
    packets = _packets(clean)
    assert {size for _pos, size in packets} == {288}  # constant bit rate: one frame size
    for k in DAMAGED:
        pos = packets[k][0]
        data[pos:pos + 4] = bytes(4)
    damaged.write_bytes(bytes(data))
    assert sorted(size for _pos, size in _packets(damaged) if size != 288) == [576, 576]  # two merged
    return clean, damaged


def _lag(a: np.ndarray, b: np.ndarray, at: int, span: int = 4000, search: int = 2000) -> int:
    """Samples by which ``b`` is late against ``a`` around sample ``at`` (best normalised correlation)."""
    seg = a[at:at + span]
    scores = [float(np.dot(seg, b[at + d:at + d + span])) / (np.linalg.norm(b[at + d:at + d + span]) + 1e-9)
              for d in range(-search, search + 1)]
    return int(np.argmax(scores)) - search


def test_audio_after_the_damage_keeps_its_time(mp3s):
    clean, damaged = mp3s
    a, b = decode_audio(clean, sr=SR), decode_audio(damaged, sr=SR)
    for seconds in (5, 10, 12, 16, 19):  # before, between and after the damaged frames
        assert _lag(a, b, seconds * SR) == 0, seconds
    first = round(DAMAGED[0] * FRAME)  # the lost frame is silence where it was
    hole = b[first - FRAME:first + 2 * FRAME]
    assert np.count_nonzero(np.abs(hole) < 1e-6) >= FRAME // 2


def test_the_probe_says_how_much_was_lost(mp3s):
    clean, damaged = mp3s
    assert not any("damaged MP3" in w for w in probe(clean).warnings)
    (warning,) = [w for w in probe(damaged).warnings if "damaged MP3" in w]
    assert "72 ms in all" in warning and "keeps its place" in warning


def test_variable_bit_rate_is_left_alone(tmp_path):
    """VBR frames vary in size: byte positions are no clock, and nothing is moved."""
    rng = np.random.default_rng(3)
    n = SR * 10
    env = np.repeat(rng.uniform(0.0, 1.0, n // 1600 + 1), 1600)[:n]
    path = tmp_path / "vbr.mp3"
    _encode(path, (0.3 * rng.standard_normal(n) * env).astype(np.float32), vbr=True)
    assert len({size for _pos, size in _packets(path)}) > 2
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        clock = ByteClock(c, stream)
        counted = []
        for packet in c.demux(stream):
            before = packet.pts
            clock.retime(packet)
            counted.append(before == packet.pts)
    assert not clock.active and clock.moved == 0 and all(counted)
    assert clock.warning("vbr.mp3", 0, 0) is None
