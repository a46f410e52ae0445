"""Two "cameras" of a real video with brightening events at known times (test and bench material).

Built with numpy, OpenCV and PyAV only (no timesync code): a scene from
``../shared/media`` (bikes.mp4, carphone.mp4, tree.avi, played back and forth
so no cut appears) is seen by two cameras with their own start time (true
seconds at their local 0), frame times (15-60 fps, or variable), crop, size
and look (colour, dark, grey, thermal, low resolution). Lights are added to
the scene before the cameras see it: whole-frame gain (``gain``), a wash to
white (``white``, saturating), a Gaussian spot (``spot``) or a bright bar
(``bar``), each lasting from a frame to half a second. A frame is lit in
proportion to how much of its interval (global shutter, full exposure) the
light covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
VIDEOS = ("bikes.mp4", "carphone.mp4", "tree.avi")
KINDS = ("gain", "white", "spot", "bar")
LOOKS = ("color", "dark", "gray", "thermal", "lowres")
_SCENES: dict[str, tuple[np.ndarray, float]] = {}


@dataclass(frozen=True)
class Light:
    """A brightening of the scene: true onset and duration (s), kind, strength, place (fractions)."""

    onset: float
    duration: float
    kind: str
    strength: float
    x: float = 0.5
    y: float = 0.5


@dataclass(frozen=True)
class Camera:
    """A camera: true time at its local 0 (s), its frame times (local s), crop (fractions), size, look."""

    start: float
    times: np.ndarray
    end: float
    crop: tuple[float, float, float, float]
    size: tuple[int, int]
    look: str = "color"


@dataclass
class Pair:
    """Two clips and their truth: ``t_b = offset + t_a`` with ``offset = start_a - start_b``."""

    video: str
    path_a: Path
    path_b: Path
    cam_a: Camera
    cam_b: Camera
    lights: list[Light] = field(default_factory=list)

    @property
    def offset(self) -> float:
        return self.cam_a.start - self.cam_b.start

    def local_onsets(self, cam: Camera) -> list[float]:
        """Onsets (local s of ``cam``) of the lights it saw whole."""
        return [lt.onset - cam.start for lt in self.lights
                if cam.times[0] < lt.onset - cam.start and lt.onset + lt.duration - cam.start < cam.end]


def scene(video: str) -> tuple[np.ndarray, float]:
    """The video's frames (uint8, at most 320 wide) and frame rate; cached."""
    import cv2

    if video not in _SCENES:
        cap = cv2.VideoCapture(str(MEDIA / video))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            if w > 320:
                frame = cv2.resize(frame, (320, round(h * 320 / w)), interpolation=cv2.INTER_AREA)
            frames.append(frame)
        cap.release()
        _SCENES[video] = (np.stack(frames), fps)
    return _SCENES[video]


def _scene_at(frames: np.ndarray, fps: float, t: float) -> np.ndarray:
    """The scene at true time ``t`` (s), played forth and back."""
    n = len(frames)
    k = int(np.floor(t * fps)) % (2 * n - 2)
    return frames[k if k < n else 2 * n - 2 - k]


def _weight(light: Light, t0: float, t1: float) -> float:
    """Fraction of the true interval [t0, t1) the light covers."""
    return max(0.0, min(t1, light.onset + light.duration) - max(t0, light.onset)) / (t1 - t0)


def _lit(img: np.ndarray, light: Light, w: float) -> np.ndarray:
    """``img`` (float, scene) with ``light`` added at weight ``w``."""
    h, wd = img.shape[:2]
    if light.kind == "gain":
        return img * (1 + light.strength * w) + 20 * w
    if light.kind == "white":
        return img + light.strength * 255 * w
    yy, xx = np.mgrid[0:h, 0:wd]
    if light.kind == "spot":
        r = 0.08 * wd
        mask = np.exp(-((xx - light.x * wd) ** 2 + (yy - light.y * h) ** 2) / (2 * r * r))
    else:  # a light bar: a bright rectangle
        mask = ((np.abs(xx - light.x * wd) < 0.12 * wd) & (np.abs(yy - light.y * h) < 0.03 * h)).astype(float)
    return img + (light.strength * 255 * w) * mask[..., None]


def render(video: str, cam: Camera, lights: list[Light]) -> list[np.ndarray]:
    """The camera's frames (BGR uint8)."""
    import cv2

    frames, fps = scene(video)
    ends = np.append(cam.times[1:], cam.end)
    out = []
    h, w = frames.shape[1:3]
    x0, y0, x1, y1 = (round(cam.crop[0] * w), round(cam.crop[1] * h), round(cam.crop[2] * w),
                      round(cam.crop[3] * h))
    for t0, t1 in zip(cam.times, ends, strict=True):
        img = _scene_at(frames, fps, cam.start + t0).astype(np.float32)
        if cam.look == "dark":
            img = img * 0.2
        for light in lights:
            weight = _weight(light, cam.start + t0, cam.start + t1)
            if weight > 0:
                img = _lit(img, light, weight)
        img = np.clip(img, 0, 255).astype(np.uint8)[y0:y1, x0:x1]
        size = (cam.size[0] // 3, cam.size[1] // 3) if cam.look == "lowres" else cam.size
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        if cam.look in ("gray", "thermal"):
            gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
            if cam.look == "thermal":  # white-hot, low contrast, sensor noise
                gray = 70 + 0.6 * cv2.GaussianBlur(gray, (5, 5), 0) \
                    + np.random.default_rng(round(t0 * 1e4)).normal(0, 2, gray.shape)
            img = cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
        out.append(img)
    return out


def write(path: Path, frames: list[np.ndarray], times: np.ndarray) -> Path:
    """H.264 in MP4 with each frame at its own time (variable frame rate allowed)."""
    import av

    tb = Fraction(1, 90000)
    with av.open(str(path), "w") as box:
        stream = box.add_stream("libx264", rate=30)
        stream.width, stream.height = frames[0].shape[1] // 2 * 2, frames[0].shape[0] // 2 * 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.options = {"crf": "18", "preset": "veryfast", "bf": "0"}
        for img, t in zip(frames, times, strict=True):
            frame = av.VideoFrame.from_ndarray(img[:stream.height, :stream.width], format="bgr24")
            frame.pts = round(t / tb)
            frame.time_base = tb
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return path


def frame_times(fps: float, duration: float, vfr: bool, rng: np.random.Generator) -> np.ndarray:
    """Frame times (s) from 0: regular, or jittered by up to a third of a frame with some frames dropped."""
    times = np.arange(0, duration, 1 / fps)
    if vfr:
        times = times + rng.uniform(-0.3, 0.3, len(times)) / fps
        times[0] = 0.0
        times = times[rng.random(len(times)) > 0.1]
        times[0] = 0.0
    return np.round(np.sort(times) * 90000) / 90000


def random_lights(rng: np.random.Generator, count: int, t0: float, t1: float, kinds=KINDS,
                  durations: tuple[float, float] = (0.015, 0.5), gap: float = 0.7) -> list[Light]:
    """``count`` lights at random times in [t0, t1] (true s), at least ``gap`` s apart (end to onset)."""
    lights: list[Light] = []
    while len(lights) < count:
        dur = float(np.exp(rng.uniform(np.log(durations[0]), np.log(durations[1]))))
        on = float(rng.uniform(t0, t1 - dur))
        if all(on > lt.onset + lt.duration + gap or on + dur + gap < lt.onset for lt in lights):
            kind = str(rng.choice(kinds))
            strength = {"gain": rng.uniform(0.6, 1.5), "white": rng.uniform(1.0, 1.5),
                        "spot": rng.uniform(0.5, 1.0), "bar": rng.uniform(0.5, 0.9)}[kind]
            lights.append(Light(on, dur, kind, float(strength), float(rng.uniform(0.4, 0.6)),
                                float(rng.uniform(0.4, 0.6))))
    return sorted(lights, key=lambda lt: lt.onset)


def random_pair(seed: int, folder: Path, *, count: int | None = None, kinds=KINDS,
                periodic: float | None = None) -> Pair:
    """A random pair of cameras of one video with ``count`` (3-5) lights; ``periodic``: lights every that many s."""
    rng = np.random.default_rng(seed)
    video = VIDEOS[seed % len(VIDEOS)]
    fps_a, fps_b = (float(f) for f in rng.choice([15, 24, 25, 30000 / 1001, 30, 50, 60], 2))
    start_b = float(rng.uniform(0.4, 2.0))
    dur_a, dur_b = 7.0, 7.0 - rng.uniform(0.0, 1.0)
    looks = rng.choice(LOOKS, 2)
    sizes = [(int(rng.choice([160, 240, 320])), 0) for _ in range(2)]
    crops = [(rng.uniform(0, 0.15), rng.uniform(0, 0.15), rng.uniform(0.8, 1), rng.uniform(0.8, 1)) for _ in range(2)]
    frames, _fps = scene(video)
    cams = []
    for (w, _), crop, look, fps, start, dur in zip(sizes, crops, looks, (fps_a, fps_b), (0.0, start_b),
                                                    (dur_a, dur_b), strict=True):
        aspect = (crop[3] - crop[1]) * frames.shape[1] / ((crop[2] - crop[0]) * frames.shape[2])
        times = frame_times(fps, dur, bool(rng.random() < 0.3), rng)
        cams.append(Camera(start, times, float(dur), tuple(float(c) for c in crop), (w, round(w * aspect / 2) * 2),
                           str(look)))
    lo, hi = start_b + 0.4, min(dur_a, start_b + dur_b) - 0.4
    if periodic:
        first = float(rng.uniform(lo, lo + periodic))
        lights = [Light(t, 0.08, "gain", 1.0) for t in np.arange(first, hi - 0.1, periodic)]
    else:
        lights = random_lights(rng, count or int(rng.integers(3, 6)), lo, hi, kinds)
    paths = []
    for tag, cam in zip("ab", cams, strict=True):
        paths.append(write(folder / f"{seed}_{tag}.mp4", render(video, cam, lights), cam.times))
    return Pair(video, paths[0], paths[1], cams[0], cams[1], lights)
