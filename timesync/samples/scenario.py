"""The sample incident's script: devices, their clocks, and the events of the scene.

Everything here is plain data, computed from ``duration_s`` and a seed, so the
audio and video synthesizers and the truth file read one description.

Time vocabulary (see DESIGN.md, "Time"):

* **true time** ``tau``: seconds on the scene's ideal clock (0 = scene start).
* **local time** ``t`` of a device: seconds from its file's first frame/sample,
  counted by the device's own crystal. ``tau = start_true_s + rate * t``.
* **shared clock**: the reference (``bodycam_A``) local time. Camera A's crystal
  is taken as perfect, so ``shared = tau - A.start_true_s`` and every device's
  ClockMap is ``offset_s = start_true_s - A.start_true_s``, ``rate = rate``.
* **wall time**: true UTC, ``wall = WALL_AT_TRUE_ZERO + tau``. Device clocks
  (burned-in overlays, creation_time tags) are wrong by ``clock_error_s`` at
  local 0 and then count local seconds (they share the device crystal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import numpy as np

__all__ = [
    "SCENE_SR",
    "WALL_AT_TRUE_ZERO",
    "FLASH_DURATION_S",
    "Device",
    "Scenario",
    "build_scenario",
]

#: Sample rate (Hz) of the true-clock scene sound, before each device samples it.
SCENE_SR = 48_000
#: True UTC wall time at true time 0 (the incident is fictitious).
WALL_AT_TRUE_ZERO = datetime(2024, 5, 17, 21, 2, 26, 370_000, tzinfo=UTC)
#: How long a muzzle flash lasts (seconds of true time, from the shot's onset).
FLASH_DURATION_S = 0.030
#: The default burst pattern of the full incident: 20 shots.
FULL_BURSTS = (3, 5, 2, 6, 4)
#: The burst pattern of short test incidents.
SHORT_BURSTS = (2, 3)


@dataclass(frozen=True)
class Device:
    """One recording device and the file it produces.

    Attributes
    ----------
    name : str
        File name (``bodycam_A.mp4``...).
    kind : {"bodycam", "thermal"}
    start_true_s : float
        True time (s) of the file's local time 0.
    duration_s : float
        Local seconds recorded (frames and samples cover ``[0, duration_s)``).
    rate : float
        True seconds per local second (``1 + drift_ppm * 1e-6``).
    fps : Fraction
        Nominal frame rate; frame ``i`` starts at local ``i / fps`` exactly.
    size : (int, int)
        Width, height in pixels.
    sample_rate : int
        Audio sample rate (Hz); sample ``n`` is at local ``n / sample_rate``.
    clock_error_s : float
        Device clock minus true wall time at local 0 (s).
    device_id : str
        Text burned in beside the clock.
    seed : int
        Seed of this device's own noise.
    snr_db, gain, clip_level : float
        Scene-to-noise ratio, scene gain, and the absolute level where the
        recording clips (1.0: no clipping beyond full scale).
    """

    name: str
    kind: str
    start_true_s: float
    duration_s: float
    rate: float
    fps: Fraction
    size: tuple[int, int]
    sample_rate: int
    clock_error_s: float
    device_id: str
    seed: int
    snr_db: float = 15.0
    gain: float = 1.0
    clip_level: float = 1.0

    @property
    def frame_count(self) -> int:
        """Number of video frames (frames starting before ``duration_s``)."""
        return math.ceil(Fraction(self.duration_s) * self.fps)

    @property
    def sample_count(self) -> int:
        """Number of audio samples (rounded on purpose)."""
        return round(self.duration_s * self.sample_rate)

    def frame_start(self, i: int) -> Fraction:
        """Exact local start (s) of frame ``i``."""
        return Fraction(i) / self.fps

    def true_time(self, local_s: float | np.ndarray) -> float | np.ndarray:
        """True time at local time ``local_s`` (seconds)."""
        return self.start_true_s + self.rate * local_s

    def clock_at_local_zero(self) -> datetime:
        """What the device clock reads at local time 0 (UTC, possibly wrong)."""
        return WALL_AT_TRUE_ZERO + timedelta(seconds=self.start_true_s + self.clock_error_s)

    def clock_reading(self, local_s: Fraction) -> datetime:
        """What the device clock reads at local time ``local_s`` (s).

        The clock counts the device crystal's seconds, as the local time does.
        """
        return self.clock_at_local_zero() + timedelta(seconds=float(local_s))


@dataclass(frozen=True)
class Scenario:
    """The whole incident: devices, shots and sound segments, all in true time (s)."""

    duration_s: float
    devices: tuple[Device, ...]
    shots_true_s: tuple[float, ...]
    bursts: tuple[int, ...]
    speech_segments: tuple[tuple[float, float], ...]
    siren_segment: tuple[float, float]
    scene_end_s: float
    seed: int
    shot_seeds: tuple[int, ...] = field(default=())

    @property
    def reference(self) -> Device:
        """The device whose local time is the shared clock (``bodycam_A``)."""
        return self.devices[0]

    def device(self, name: str) -> Device:
        """The device whose file is ``name``."""
        for dev in self.devices:
            if dev.name == name:
                return dev
        raise KeyError(name)

    def shared_of_true(self, tau: float) -> float:
        """Shared-clock seconds of true time ``tau`` (the reference's local time)."""
        ref = self.reference
        return (tau - ref.start_true_s) / ref.rate


def _on_scene_grid(t: float) -> float:
    """``t`` rounded to the scene sample grid (so the reference samples it exactly)."""
    return round(t * SCENE_SR) / SCENE_SR


def _even(x: float) -> int:
    return max(2, 2 * round(x / 2))


def _devices(a_start: float, duration_s: float, size: tuple[int, int], seed: int) -> tuple[Device, ...]:
    """The three devices: ``bodycam_A`` (the reference, ``duration_s`` long, starting at true
    ``a_start`` s), ``bodycam_B`` and ``helicopter``, their starts and lengths scaled with
    ``duration_s`` (90 s: the full incident); ``size``: the body cams' frame size."""
    s = duration_s / 90.0
    w, h = size
    thermal_size = (_even(w * 0.75), _even(h * 0.75))
    return (
        Device(
            "bodycam_A.mp4", "bodycam", a_start, duration_s, 1.0, Fraction(30), (w, h),
            48_000, +2.35, "AXON-A1 X81234567", seed + 1, snr_db=18.0, gain=0.9,
        ),
        Device(
            "bodycam_B.mp4", "bodycam", a_start + 7.3127 * s, 84.0 * s, 1.0 + 41.3e-6,
            Fraction(30000, 1001), (w, h), 44_100, -4.80, "AXON-B1 X81239021", seed + 2,
            snr_db=12.0, gain=1.6, clip_level=0.98,
        ),
        Device(
            "helicopter.mp4", "thermal", a_start - 3.3821 * s, 95.0 * s, 1.0 - 23.7e-6,
            Fraction(25), thermal_size, 48_000, +1.15, "NPAS 41", seed + 3, snr_db=0.0,
        ),
    )


def _shot_times(rng: np.random.Generator, bursts: tuple[int, ...], a_start: float, duration_s: float) \
        -> list[float]:
    """True times (s, on the scene grid) of every shot: the bursts start at fractions of the
    reference recording inside every device (+- 0.3 s, scaled), 100-400 ms between shots."""
    s = duration_s / 90.0
    fractions = np.linspace(0.16, 0.80, len(bursts))
    shots = []
    for frac, count in zip(fractions, bursts, strict=True):
        t = a_start + frac * duration_s + rng.uniform(-0.3, 0.3) * s
        for _ in range(count):
            shots.append(_on_scene_grid(t))
            t += rng.uniform(0.100, 0.400)
    return shots


def build_scenario(
    duration_s: float = 90.0,
    size: tuple[int, int] = (1280, 720),
    *,
    seed: int = 20240517,
) -> Scenario:
    """The incident's script for a reference recording of ``duration_s`` seconds.

    Parameters
    ----------
    duration_s : float > 0
        Length of ``bodycam_A`` (s); the other devices and the events scale with it.
    size : (int, int)
        Body-cam frame size (width, height); the thermal camera is 3/4 of it.
    seed : int
        Master seed: every random choice derives from it.
    """
    if not duration_s > 2.0:
        raise ValueError(f"duration_s must be > 2 s, got {duration_s!r}")
    s = duration_s / 90.0  # time scale relative to the full incident
    a_start = _on_scene_grid(4.5 * s)
    devices = _devices(a_start, duration_s, size, seed)
    rng = np.random.default_rng(seed)
    bursts = FULL_BURSTS if duration_s >= 60 else SHORT_BURSTS
    shots = _shot_times(rng, bursts, a_start, duration_s)
    ends = [d.start_true_s + d.rate * d.duration_s for d in devices]
    speech = tuple(
        (a_start + lo * duration_s, a_start + hi * duration_s)
        for lo, hi in ((0.02, 0.12), (0.25, 0.34), (0.52, 0.62), (0.88, 0.97))
    )
    siren = (a_start + 0.38 * duration_s, a_start + 0.58 * duration_s)
    shot_seeds = tuple(int(x) for x in rng.integers(0, 2**31, size=len(shots)))
    return Scenario(
        duration_s=duration_s,
        devices=devices,
        shots_true_s=tuple(shots),
        bursts=tuple(bursts),
        speech_segments=speech,
        siren_segment=siren,
        scene_end_s=max(ends) + 0.5,
        seed=seed,
        shot_seeds=shot_seeds,
    )
