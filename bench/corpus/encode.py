"""Writing a case's files with PyAV: audio codecs, H.264 video with AAC sound, damage.

Codecs: ``aac`` (in .m4a), ``mp3``, ``opus`` (in .ogg; 8/12/16/24/48 kHz), ``pcm``
(16-bit .wav), ``g711u`` / ``g711a`` (8 kHz mu-law / A-law .wav). Timestamps are
sample counts, so the first sample of a file is its local time 0 (encoder
priming is the codec's own: AAC and Opus declare it, MP3 relies on the LAME tag).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

EXTENSIONS = {"aac": ".m4a", "mp3": ".mp3", "opus": ".ogg", "pcm": ".wav", "g711u": ".wav", "g711a": ".wav"}
_CODEC = {"aac": "aac", "mp3": "libmp3lame", "opus": "libopus", "pcm": "pcm_s16le",
          "g711u": "pcm_mulaw", "g711a": "pcm_alaw"}
_FORMAT = {"aac": "mp4", "mp3": "mp3", "opus": "ogg", "pcm": "wav", "g711u": "wav", "g711a": "wav"}


def _audio_stream(container, codec: str, fs: int, bitrate: int | None):
    stream = container.add_stream(_CODEC[codec], rate=fs)
    stream.layout = "mono"
    if bitrate and codec in ("aac", "mp3", "opus"):
        stream.bit_rate = int(bitrate)
    stream.time_base = Fraction(1, fs)
    return stream


class _AudioFeed:
    """Float samples -> encoded packets of one stream (the codec's frame size and sample format)."""

    def __init__(self, stream, fs: int):
        self.stream, self.fs, self.pts = stream, fs, 0
        self.resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=fs)
        self.size = stream.codec_context.frame_size or 1024

    def packets(self, x: np.ndarray):
        for lo in range(0, len(x), self.size):
            chunk = np.clip(x[lo: lo + self.size], -1, 1).astype(np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = self.fs
            frame.pts = None
            for f in self.resampler.resample(frame):
                f.pts, f.time_base = self.pts, Fraction(1, self.fs)
                self.pts += f.samples
                yield from self.stream.encode(f)

    def flush(self):
        for f in self.resampler.resample(None):
            f.pts, f.time_base = self.pts, Fraction(1, self.fs)
            self.pts += f.samples
            yield from self.stream.encode(f)
        yield from self.stream.encode(None)


def write_audio(path: Path, x: np.ndarray, fs: int, codec: str, bitrate: int | None = None) -> None:
    """Write mono float samples ``x`` (about -1..1) at ``fs`` Hz with ``codec``."""
    with av.open(str(path), "w", format=_FORMAT[codec]) as c:
        feed = _AudioFeed(_audio_stream(c, codec, fs, bitrate), fs)
        for p in feed.packets(x):
            c.mux(p)
        for p in feed.flush():
            c.mux(p)


def write_video(path: Path, frames, fps: Fraction, size: tuple[int, int], audio: np.ndarray | None,
                fs: int = 48000, bitrate: int = 96000) -> None:
    """Write RGB ``frames`` (an iterable) as H.264 at ``fps``, with AAC ``audio`` at ``fs`` if given.

    ``size`` is ``(width, height)``. Video and sound both start at time 0.
    """
    with av.open(str(path), "w", format="mp4") as c:
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        v.time_base = 1 / fps
        v.options = {"preset": "ultrafast", "crf": "23", "g": str(int(round(2 * float(fps))))}
        feed = _AudioFeed(_audio_stream(c, "aac", fs, bitrate), fs) if audio is not None else None
        sound = iter(feed.packets(audio)) if feed else iter(())
        done = 0
        for k, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = k
            for p in v.encode(frame):
                c.mux(p)
            want = (k + 1) / float(fps) * fs
            while feed is not None and done < want:
                p = next(sound, None)
                if p is None:
                    break
                done = feed.pts
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        if feed is not None:
            for p in sound:
                c.mux(p)
            for p in feed.flush():
                c.mux(p)


def damage(path: Path, rng: np.random.Generator, count: int = 3, size: int = 300) -> list[int]:
    """Overwrite ``count`` runs of ``size`` random bytes between 30 % and 80 % of the file; their offsets."""
    data = bytearray(path.read_bytes())
    spots = sorted(int(v) for v in rng.integers(int(0.3 * len(data)), int(0.8 * len(data)), count))
    for at in spots:
        data[at: at + size] = rng.integers(0, 256, min(size, len(data) - at), dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return spots
