"""Known-answer clips for the overlay and flash aligners (tests and benchmarks; not part of timesync).

:func:`write_clip` encodes a short video whose burned-in clock ticks at known
times (``clock = at_zero + rate * t`` at each frame's start time ``t``, shown
floored to the second) and whose flashes cover known parts of frame intervals
(a frame is brightened in proportion to the part of its interval
``[t_n, t_n+1)`` the flash covers), optionally over the frames of a real video
and with impulses in a PCM audio track. Nothing here reads evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np

__all__ = ["ClipSpec", "write_clip", "clock_text"]

_LETTERS = str.maketrans("0123456789", "ABCDEFHKMN")


@dataclass
class ClipSpec:
    """What to draw.

    Attributes
    ----------
    n_frames, fps, size : frame count, rate (frames/s), ``(width, height)``.
    clock_at_zero : datetime or None
        What the overlay reads at local time 0 (None: no overlay).
    clock_rate : overlay seconds per local second.
    clock_format : strftime layout of the overlay text.
    clock_suffix : text after the clock (device id).
    clock_at : ``"top"`` or ``"bottom"``.
    fraction_digits : digits of fractional seconds shown after the time (0: none).
    clock_jump : ``(local s, jump s)``: the clock jumps at that time.
    cover_from_s : from this local time a box covers the right half of the text.
    unreadable : draw letters instead of digits (ticks visible, nothing to read).
    flashes : onset times (local s) of flashes lasting ``flash_s``.
    flash_at : ``(x, y)`` centre of the flash, fraction of width and height.
    impulses : onset times (local s) of impulses in a PCM audio track (48 kHz).
    background : a video to take frames from (looped), or None for a moving pattern.
    metadata : container tags (e.g. ``creation_time``).
    """

    n_frames: int
    fps: Fraction = Fraction(30)
    size: tuple[int, int] = (320, 240)
    clock_at_zero: datetime | None = None
    clock_rate: float = 1.0
    clock_format: str = "%Y-%m-%d %H:%M:%S"
    clock_suffix: str = ""
    clock_at: str = "top"
    fraction_digits: int = 0
    clock_jump: tuple[float, float] | None = None
    cover_from_s: float | None = None
    unreadable: bool = False
    flashes: Sequence[float] = field(default_factory=tuple)
    flash_s: float = 0.02
    flash_at: tuple[float, float] = (0.7, 0.55)
    impulses: Sequence[float] = field(default_factory=tuple)
    background: str | Path | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def clock_text(spec: ClipSpec, t: float) -> str | None:
    """The overlay text at local time ``t`` (s)."""
    if spec.clock_at_zero is None:
        return None
    seconds = spec.clock_rate * t
    if spec.clock_jump is not None and t >= spec.clock_jump[0]:
        seconds += spec.clock_jump[1]
    value = spec.clock_at_zero + timedelta(seconds=seconds)
    text = value.strftime(spec.clock_format)  # floored: %S shows whole seconds
    if spec.fraction_digits:
        text += f".{value.microsecond // 10 ** (6 - spec.fraction_digits):0{spec.fraction_digits}d}"
    if spec.unreadable:
        text = text.translate(_LETTERS)
    return text + (f"  {spec.clock_suffix}" if spec.clock_suffix else "")


def _backgrounds(spec: ClipSpec) -> Callable[[int], np.ndarray]:
    import cv2

    width, height = spec.size
    if spec.background is None:
        yy, xx = np.mgrid[0:height, 0:width]
        base = np.zeros((height, width, 3), np.uint8)
        base[..., 0] = (40 + 100 * xx / width).astype(np.uint8)
        base[..., 1] = (30 + 80 * yy / height).astype(np.uint8)
        base[..., 2] = 60

        def synthetic(i: int) -> np.ndarray:
            img = base.copy()
            cx = int(width * (0.3 + 0.2 * np.sin(i / 9)))
            cv2.circle(img, (cx, int(height * 0.6)), max(3, height // 8), (150, 60, 60), -1)
            return img

        return synthetic
    import av

    frames = []
    with av.open(str(spec.background)) as container:
        for frame in container.decode(video=0):
            frames.append(cv2.resize(frame.to_ndarray(format="rgb24"), (width, height)))
            if len(frames) >= spec.n_frames:
                break
    return lambda i: frames[i % len(frames)].copy()


def _draw_clock(img: np.ndarray, spec: ClipSpec, t: float) -> None:
    import cv2

    text = clock_text(spec, t)
    if text is None:
        return
    width, height = spec.size
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = 1.0
    thick = max(1, round(height / 240))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    scale = min(1.0, 0.9 * width / tw, height / 10 / th)
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    pad = max(3, th // 3)
    x0 = pad
    y0 = pad if spec.clock_at == "top" else height - th - base - 3 * pad
    cv2.rectangle(img, (x0 - pad // 2, y0), (x0 + tw + pad, y0 + th + base + 2 * pad), (20, 20, 20), -1)
    cv2.putText(img, text, (x0 + pad // 2, y0 + th + pad), font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if spec.cover_from_s is not None and t >= spec.cover_from_s:
        cv2.rectangle(img, (x0 + tw // 2, y0), (x0 + tw + pad, y0 + th + base + 2 * pad), (90, 90, 90), -1)


def _draw_flash(img: np.ndarray, spec: ClipSpec, t0: float, t1: float) -> None:
    import cv2

    cover = 0.0
    for onset in spec.flashes:
        cover = max(cover, max(0.0, min(onset + spec.flash_s, t1) - max(onset, t0)) / (t1 - t0))
    if cover <= 0:
        return
    width, height = spec.size
    glow = np.zeros(img.shape[:2], np.float32)
    centre = (round(spec.flash_at[0] * width), round(spec.flash_at[1] * height))
    cv2.circle(glow, centre, max(3, height // 12), 1.0, -1)
    lit = img.astype(np.float32) + cover * 200.0 * glow[..., None]
    img[:] = np.clip(lit, 0, 255).astype(np.uint8)


def _impulse_track(spec: ClipSpec, duration: float, sr: int = 48000) -> np.ndarray:
    rng = np.random.default_rng(7)
    n = round(duration * sr)
    track = 0.003 * rng.standard_normal(n)
    decay = np.exp(-np.arange(round(0.05 * sr)) / (0.01 * sr))
    for onset in spec.impulses:
        k = round(onset * sr)
        burst = 0.6 * rng.standard_normal(len(decay)) * decay
        end = min(n, k + len(burst))
        if k < n:
            track[k:end] += burst[: end - k]
    return np.clip(track, -1, 1).astype(np.float32)


def write_clip(path: str | Path, spec: ClipSpec) -> Path:
    """Encode the clip (H.264 yuv420p; PCM 48 kHz mono audio when impulses are given).

    Frame ``i`` starts at exactly ``i / fps`` (PTS ``i`` in time base ``1/fps``).
    Use ``.mkv`` when impulses are given (PCM audio starts at local 0 exactly).
    """
    import av

    path = Path(path)
    width, height = spec.size
    background = _backgrounds(spec)
    duration = float(spec.n_frames / spec.fps)
    with av.open(str(path), mode="w") as out:
        out.metadata.update(spec.metadata)
        stream = out.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = 1 / spec.fps
        stream.options = {"crf": "20", "preset": "ultrafast", "threads": "1"}
        audio = None
        if spec.impulses:
            audio = out.add_stream("pcm_s16le", rate=48000, layout="mono")
        for i in range(spec.n_frames):
            t0, t1 = float(i / spec.fps), float((i + 1) / spec.fps)
            img = background(i)
            _draw_flash(img, spec, t0, t1)
            _draw_clock(img, spec, t0)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if audio is not None:
            track = (_impulse_track(spec, duration) * 32767).astype(np.int16)
            for start in range(0, len(track), 4800):
                chunk = track[start:start + 4800]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
                frame.sample_rate, frame.pts = 48000, start
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    return path
