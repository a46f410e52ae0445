"""Pictures of the issue-14 footage (``bench_footage.py --issue-footage``): raw H.264 pieces.

Two kinds of picture, both encoded with PyAV's libx264 into raw Annex-B H.264 (``.h264``)
so that pieces can be joined by plain byte concatenation (every piece starts with an IDR
frame and repeats its parameter sets; the encoder settings, hence the SPS and PPS, are
the same for every piece of one file):

* a body cam (:func:`write_bodycam_clip`): 1920x1080, a detailed texture seen through a
  hand-held wobble, cut to another place now and then, with sensor grain on every frame;
  x264 ``superfast``, High profile (CABAC, deblocking on), no B-frames (a raw stream keeps
  no reordering times), one keyframe a second, ABR at :data:`BIT_RATE`;
* a helicopter's thermal camera (:func:`write_thermal_gop`): 1920x1080 gray, a still
  street seen from above with warm people and a car on paths that repeat with the loop,
  grain, and muzzle flashes: a flash lasts :data:`FLASH_S` from the shot's onset and a
  frame is lit in proportion to the part of its interval the flash covers (sub-frame
  placement, as in :mod:`timesync.samples.video`). One piece is one GOP of
  :data:`THERMAL_GOP` frames, so that a GOP with a flash can be encoded again, lit, in
  place of the same GOP of the unlit loop.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

SIZE = (1920, 1080)
#: Bit rate asked of x264 (bits/s): the issue's "realistic 5 Mbit/s".
BIT_RATE = 5_000_000
#: Frames per GOP of the thermal camera (5 s at 25 fps).
THERMAL_GOP = 125
#: How long a muzzle flash lasts (s of true time from the shot's onset).
FLASH_S = 0.030
_X264 = "scenecut=0:bframes=0:keyint={k}:min-keyint={k}"


def _encoder(path: Path, fps: int, keyint: int) -> tuple[av.container.OutputContainer, av.VideoStream]:
    out = av.open(str(path), "w", format="h264")
    v = out.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt, v.bit_rate = SIZE[0], SIZE[1], "yuv420p", BIT_RATE
    v.options = {"preset": "superfast", "profile": "high", "x264-params": _X264.format(k=keyint)}
    return out, v


def _octaves(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Value noise of several scales summed (float32, about 0..1): a detailed texture."""
    acc = np.zeros((h, w), np.float32)
    for cell, gain in ((96, 1.0), (24, 0.6), (6, 0.35), (2, 0.25)):
        small = rng.random((h // cell + 2, w // cell + 2), dtype=np.float32)
        acc += gain * cv2.resize(small, (w + 2 * cell, h + 2 * cell), interpolation=cv2.INTER_CUBIC)[:h, :w]
    acc -= acc.min()
    return acc / acc.max()


def _grain(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Sensor grain frames: uint8 in [0, 16) to add to a luma plane kept under 240."""
    return [rng.integers(0, 16, (SIZE[1], SIZE[0]), dtype=np.uint8) for _ in range(count)]


def _wobble(rng: np.random.Generator, frames: int, fps: int, room: tuple[int, int]) -> np.ndarray:
    """Top-left corners (x, y) of the view of every frame: a hand-held walk, with a cut to
    another place every 8 to 25 s."""
    xy = np.empty((frames, 2), np.int64)
    i = 0
    while i < frames:
        n = min(frames - i, int(rng.uniform(8, 25) * fps))
        base = rng.uniform(0.2, 0.8, 2) * room
        t = np.arange(n) / fps
        walk = np.cumsum(rng.normal(0, 3.0, (n, 2)), axis=0)
        shake = 12 * np.sin(2 * np.pi * np.outer(t, rng.uniform(0.5, 2.0, 2)) + rng.uniform(0, 6, 2))
        xy[i:i + n] = np.clip(np.rint(base + walk + shake), 0, np.array(room) - 1)
        i += n
    return xy


def write_bodycam_clip(path: Path, seconds: int, fps: int, seed: int) -> int:
    """Encode ``seconds`` of body-cam picture at ``fps`` to raw H.264 ``path``; returns frames."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    big_w, big_h = 2 * w, 2 * h
    luma = (8 + 231 * _octaves(rng, big_h, big_w)).astype(np.uint8)
    chroma = [(96 + 64 * _octaves(rng, big_h // 2, big_w // 2)).astype(np.uint8) for _ in range(2)]
    grain = _grain(rng, 7)
    frames = seconds * fps
    corners = _wobble(rng, frames, fps, (big_w - w, big_h - h)) // 2 * 2
    planes = np.empty((h * 3 // 2, w), np.uint8)
    out, v = _encoder(path, fps, fps)
    with out:
        for i, (x, y) in enumerate(corners):
            np.add(luma[y:y + h, x:x + w], grain[i % len(grain)], out=planes[:h])
            cx, cy = x // 2, y // 2
            planes[h:h + h // 4] = chroma[0][cy:cy + h // 2, cx:cx + w // 2].reshape(h // 4, w)
            planes[h + h // 4:] = chroma[1][cy:cy + h // 2, cx:cx + w // 2].reshape(h // 4, w)
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return frames


class Thermal:
    """The thermal camera's picture: frame ``phase`` of the loop of ``loop_frames`` frames,
    lit by the flashes of true times ``shots_s`` at the flash position."""

    def __init__(self, loop_frames: int, fps: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        w, h = SIZE
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        bg = 40 + 18 * xx / w + 10 * yy / h + 22 * (np.abs(yy - 0.55 * h) < 0.12 * h)
        bg += 30 * (_octaves(rng, h, w) - 0.5)
        self.background = np.clip(bg, 0, 200).astype(np.uint8)
        self.grain = _grain(rng, 5)
        self.loop_frames, self.fps = loop_frames, fps
        self.paths = rng.uniform(0, 1, (8, 4))  # per mover: x0, y0, phase, radius
        self.flash_xy = (int(0.58 * w), int(0.47 * h))
        r = 26
        glow = np.zeros((8 * r, 8 * r), np.float32)
        cv2.circle(glow, (4 * r, 4 * r), r, 1.0, -1)
        self.glow = cv2.GaussianBlur(glow, (0, 0), 6.0) * 175.0

    def frame(self, phase: int, lit: float) -> np.ndarray:
        """Luma of loop frame ``phase`` with a flash covering ``lit`` (0..1) of its interval."""
        w, h = SIZE
        img = self.background.copy()
        turn = 2 * np.pi * phase / self.loop_frames
        for k, (x0, y0, ph, rad) in enumerate(self.paths):
            u = int(w * (0.15 + 0.7 * x0) + 0.2 * w * rad * np.cos(turn * (1 + k % 3) + 6 * ph))
            v = int(h * (0.2 + 0.6 * y0) + 0.2 * h * rad * np.sin(turn * (1 + k % 2) + 6 * ph))
            if k == 0:
                cv2.rectangle(img, (u - 80, v - 36), (u + 80, v + 36), 95, -1)
                cv2.circle(img, (u + 56, v), 20, 200, -1)
            else:
                cv2.circle(img, (u, v), 18, 165, -1)
        np.add(img, self.grain[phase % len(self.grain)], out=img)
        if lit > 0:
            gh, gw = self.glow.shape
            x, y = self.flash_xy[0] - gw // 2, self.flash_xy[1] - gh // 2
            patch = img[y:y + gh, x:x + gw]
            patch[:] = np.clip(patch + lit * self.glow, 0, 255).astype(np.uint8)
        return img


def flash_cover(shots_s: np.ndarray, t0: float, t1: float) -> float:
    """Largest part (0..1) of the interval ``[t0, t1)`` (true s) that one flash covers."""
    if shots_s.size == 0:
        return 0.0
    lo = np.maximum(shots_s, t0)
    hi = np.minimum(shots_s + FLASH_S, t1)
    return float(np.max(np.clip(hi - lo, 0.0, None)) / (t1 - t0))


def write_thermal_gop(path: Path, thermal: Thermal, gop: int, start_true_s: float,
                      shots_s: np.ndarray | None) -> None:
    """Encode GOP ``gop`` of the thermal loop (frames ``gop * THERMAL_GOP ...`` of the loop) to
    raw H.264 ``path``. With ``shots_s`` (true s), lit by those flashes as GOP ``gop`` of the
    file, whose frame 0 starts at true ``start_true_s``; without, unlit."""
    fps = thermal.fps
    chroma = np.full((SIZE[1] // 2, SIZE[0]), 128, np.uint8)
    loops = thermal.loop_frames // THERMAL_GOP
    out, v = _encoder(path, fps, THERMAL_GOP)
    with out:
        for f in range(THERMAL_GOP):
            i = gop * THERMAL_GOP + f
            lit = 0.0 if shots_s is None else flash_cover(shots_s, start_true_s + i / fps,
                                                          start_true_s + (i + 1) / fps)
            luma = thermal.frame((gop % loops) * THERMAL_GOP + f, lit)
            frame = av.VideoFrame.from_ndarray(np.concatenate([luma, chroma]), format="yuv420p")
            frame.pts = f
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
