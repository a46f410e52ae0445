"""Known-answer media for tests: tiny clips written with PyAV.

Every video frame carries its own number so a test can check exact frame
identity after decoding: the top half of the picture is a row of
:data:`BITS` black/white bars, most significant bit on the left (white = 1),
and the bottom half is a gray level that grows with the number. Read it back
with :func:`frame_number`.

Public, stable helpers (other test modules import them)::

    make_video(path, *, n_frames, fps=Fraction(30), size=(160, 120), codec="libx264",
               pts_list=None, first_pts=0, time_base=None, bframes=False, gop=None,
               rotation=None, audio=None) -> Path
    make_audio(path, samples, sr, *, codec=None, channels=1, offset_s=0.0) -> Path
    click_track(sr, duration_s, clicks_s) -> np.ndarray
    frame_number(image) -> int
    pattern(n, size) -> np.ndarray

The container comes from the file's suffix (``.mp4 .mov .mkv .avi .ts`` for
video; ``.wav .mp3 .m4a .ogg .opus .mka`` for audio). Keep clips small
(160x120, a few seconds): the machine is shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = [
    "BITS",
    "AudioSpec",
    "make_video",
    "make_audio",
    "click_track",
    "frame_number",
    "pattern",
]

#: Bits of the frame number drawn as bars (numbers up to 4095).
BITS = 12

_DEFAULT_AUDIO_CODEC = {
    ".wav": "pcm_s16le",
    ".mp3": "libmp3lame",
    ".m4a": "aac",
    ".mp4": "aac",
    ".mov": "aac",
    ".mkv": "aac",
    ".mka": "aac",
    ".ts": "aac",
    ".avi": "libmp3lame",
    ".ogg": "vorbis",
    ".opus": "libopus",
}


@dataclass(frozen=True)
class AudioSpec:
    """Audio to mux into a video clip.

    Attributes
    ----------
    signal : ndarray
        float32 samples in [-1, 1], shape (n,) mono or (channels, n).
    sr : int
        Sample rate (Hz).
    offset_s : float
        Audio start minus video start (s): > 0 the audio starts later,
        < 0 it starts first (the video is then delayed by ``-offset_s``).
    codec : str
        Encoder name ("aac", "libopus", "pcm_s16le", "libmp3lame"...).
    """

    signal: np.ndarray
    sr: int = 48000
    offset_s: float = 0.0
    codec: str = "aac"


def pattern(n: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """The RGB image (H, W, 3) uint8 that encodes frame number ``n``.

    ``size`` is (width, height) in pixels.
    """
    width, height = size
    if not 0 <= n < 2**BITS:
        raise ValueError(f"frame number {n} does not fit in {BITS} bits")
    image = np.zeros((height, width, 3), np.uint8)
    bar = width // BITS
    for bit in range(BITS):
        if (n >> (BITS - 1 - bit)) & 1:
            image[: height // 2, bit * bar : (bit + 1) * bar] = 255
    image[height // 2 :, :] = 16 + (n * 7) % 224
    return image


def frame_number(image: np.ndarray) -> int:
    """Read back the number drawn by :func:`pattern` (upright image, any size)."""
    height, width = image.shape[:2]
    bar = width // BITS
    gray = image[: height // 2].mean(axis=2) if image.ndim == 3 else image[: height // 2]
    rows = slice(height // 8, height // 2 - height // 8)
    value = 0
    for bit in range(BITS):
        cols = slice(bit * bar + bar // 4, (bit + 1) * bar - bar // 4)
        value = (value << 1) | int(gray[rows, cols].mean() > 127)
    return value


def click_track(
    sr: int, duration_s: float, clicks_s: list[float] | tuple[float, ...]
) -> np.ndarray:
    """float32 mono silence of ``round(duration_s * sr)`` samples with one-sample clicks.

    Each click is one sample of value 0.9 at ``round(t * sr)``.
    """
    signal = np.zeros(round(duration_s * sr), np.float32)
    for t in clicks_s:
        signal[round(t * sr)] = 0.9
    return signal


def _pix_fmt(codec: str) -> str:
    return "yuvj420p" if codec == "mjpeg" else "yuv420p"


def _video_options(codec: str, bframes: bool) -> dict[str, str]:
    options: dict[str, str] = {}
    if codec in ("libx264", "libx265"):
        options["preset"] = "ultrafast" if not bframes else "superfast"
    if codec == "libx265":
        options["x265-params"] = "log-level=error" + ("" if bframes else ":bframes=0")
    if codec in ("libx264", "mpeg4"):
        options["bf"] = "2" if bframes else "0"
    return options


def _add_audio_stream(container, spec: AudioSpec):
    stream = container.add_stream(spec.codec, rate=spec.sr)
    channels = 1 if spec.signal.ndim == 1 else spec.signal.shape[0]
    stream.layout = "mono" if channels == 1 else "stereo"
    if spec.codec == "vorbis":
        stream.codec_context.options = {"strict": "experimental"}
    return stream


def _audio_frames(signal: np.ndarray, sr: int, first_sample: int, block: int = 1024):
    data = signal[None, :] if signal.ndim == 1 else signal
    data = np.ascontiguousarray(data, np.float32)
    layout = "mono" if data.shape[0] == 1 else "stereo"
    for start in range(0, data.shape[1], block):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data[:, start : start + block]), format="fltp", layout=layout
        )
        frame.sample_rate = sr
        frame.pts = first_sample + start
        frame.time_base = Fraction(1, sr)
        yield frame


def make_video(
    path: str | Path,
    *,
    n_frames: int,
    fps: Fraction | int = Fraction(30),
    size: tuple[int, int] = (160, 120),
    codec: str = "libx264",
    pts_list: list[int] | None = None,
    first_pts: int = 0,
    time_base: Fraction | None = None,
    bframes: bool = False,
    gop: int | None = None,
    rotation: int | None = None,
    audio: AudioSpec | None = None,
    metadata: dict[str, str] | None = None,
    stream_metadata: dict[str, str] | None = None,
) -> Path:
    """Write a clip whose frame ``i`` shows :func:`pattern(i) <pattern>`.

    Parameters
    ----------
    path : str or Path
        Output file; the suffix picks the container.
    n_frames : int
        Number of frames.
    fps : Fraction
        Nominal rate; frame ``i`` has PTS ``first_pts + i`` in ticks of
        ``1/fps`` unless ``pts_list`` or ``time_base`` say otherwise.
    size : (int, int)
        (width, height) in pixels.
    codec : str
        "libx264", "libx265", "mpeg4", "mjpeg"...
    pts_list : list of int, optional
        Explicit PTS (in ``time_base`` ticks) of every frame, for VFR.
    first_pts : int
        Added to every PTS (a clip whose first PTS is not 0).
    time_base : Fraction, optional
        Encoder time base; default ``1/fps`` (``1/90000`` with ``pts_list``).
    bframes : bool
        Use B-frames (presentation order differs from decode order).
    gop : int, optional
        Keyframe interval in frames.
    rotation : int, optional
        Clockwise display rotation (degrees) written as the display matrix.
    audio : AudioSpec, optional
        An audio track, placed ``audio.offset_s`` after the video start.
    metadata, stream_metadata : dict, optional
        Container and video-stream tags (e.g. ``creation_time``,
        ``com.apple.quicktime.make``; ``timecode`` on the stream makes MP4/MOV
        write a timecode track). MOV keeps arbitrary keys (``use_metadata_tags``).

    Returns
    -------
    Path
        ``path``. Frame ``i``'s container PTS is the ``i``-th given PTS,
        rescaled to the container's time base.
    """
    path = Path(path)
    fps = Fraction(fps)
    if time_base is None:
        time_base = Fraction(1, 90000) if pts_list is not None else 1 / fps
    if pts_list is None:
        pts_list = [round(i / fps / time_base) for i in range(n_frames)]
    if len(pts_list) != n_frames:
        raise ValueError("pts_list must have n_frames entries")
    video_delay = 0
    if audio is not None and audio.offset_s < 0:
        video_delay = round(Fraction(-audio.offset_s) / time_base)
    options = (
        {"movflags": "use_metadata_tags"} if metadata and path.suffix.lower() == ".mov" else {}
    )
    with av.open(str(path), mode="w", options=options) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream(codec, rate=fps)
        stream.metadata.update(stream_metadata or {})
        stream.width, stream.height = size
        stream.pix_fmt = _pix_fmt(codec)
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.codec_context.options = _video_options(codec, bframes)
        if gop is not None:
            stream.codec_context.gop_size = gop
        if rotation:
            stream.set_display_rotation(-rotation)  # PyAV takes counter-clockwise degrees
        astream = _add_audio_stream(container, audio) if audio is not None else None
        for i, pts in enumerate(pts_list):
            frame = av.VideoFrame.from_ndarray(pattern(i, size), format="rgb24")
            frame.pts = first_pts + video_delay + pts
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if astream is not None:
            video_start = Fraction(first_pts + video_delay) * time_base
            first_sample = round((video_start + Fraction(audio.offset_s)) * audio.sr)
            for frame in _audio_frames(audio.signal, audio.sr, first_sample):
                for packet in astream.encode(frame):
                    container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
    return path


def make_audio(
    path: str | Path,
    samples: np.ndarray,
    sr: int,
    *,
    codec: str | None = None,
    offset_s: float = 0.0,
) -> Path:
    """Write an audio-only file of ``samples`` (float32, (n,) or (channels, n)) at ``sr`` Hz.

    ``codec`` defaults by suffix (.wav PCM 16-bit, .mp3 MP3, .m4a AAC, .ogg
    Vorbis (FFmpeg's encoder: stereo only), .opus Opus). ``offset_s`` is the first sample's PTS in seconds.
    """
    path = Path(path)
    codec = codec or _DEFAULT_AUDIO_CODEC[path.suffix.lower()]
    spec = AudioSpec(np.asarray(samples, np.float32), sr=sr, codec=codec)
    with av.open(str(path), mode="w") as container:
        stream = _add_audio_stream(container, spec)
        for frame in _audio_frames(spec.signal, sr, round(offset_s * sr)):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
