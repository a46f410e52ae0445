"""A burst fired two metres from one camera while the farther ones hear a loud scene.

Five cameras 2-70 m from a shooter (as in bench/bench_geometry.py), each on its own
clock; the first burst (four shots 0.1-0.2 s apart) comes while the four farther
cameras are drowned in noise (talk and traffic near them, fading out slowly, so no
onset of its own), the second burst when all five hear it. Every shot must be a row
of the table, once: the first burst is heard by the nearest camera alone, under the
"half of an array" rule that would drop it (issue 13, the geometry bench's two lost
shots).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.synth import sounds as syn
from timesync.clock import ClockMap
from timesync.detect.shots import TrackInput, detect_shots
from timesync.detect.travel import speed_of_sound

SR = 48000
C = speed_of_sound(20.0)
CAMERAS = {"cam1": (2.0, 0.0), "cam2": (0.0, 14.0), "cam3": (-31.0, 0.0), "cam4": (36.77, -36.77),
           "cam5": (-49.5, -49.5)}
#: True start of each recording (s of true time).
STARTS = {"cam1": 0.00, "cam2": 0.37, "cam3": 0.81, "cam4": 0.12, "cam5": 0.55}
#: Emission times (true s): a burst under the noise, then one all hear; 0.1-0.2 s apart.
SHOTS = [2.0, 2.1, 2.3, 2.45, 5.0, 5.2, 5.3, 5.5]
DURATION = 7.0


def _noise(n: int, rng: np.random.Generator, rms: float) -> np.ndarray:
    """Loud noise over the first burst: full from 1.0 to 3.0 s of true time, fading in
    and out over a second either side (no onset the detector would take for an impulse)."""
    t = np.arange(n) / SR
    env = np.clip(np.minimum(t, 4.0 - t), 0.0, 1.0)
    return rms * env * rng.standard_normal(n)


def _scene() -> list[TrackInput]:
    rng = np.random.default_rng(5)
    blasts = [syn.gunshot(SR, rng) for _ in SHOTS]
    tracks = []
    for name, pos in CAMERAS.items():
        d = math.dist(pos, (0.0, 0.0))
        n = round(DURATION * SR)
        x = rng.normal(0.0, 0.0005, n)
        if name != "cam1":  # the true-time noise, as heard on this camera's local clock
            noise = _noise(n + round(STARTS[name] * SR), rng, 0.25)
            x += noise[round(STARTS[name] * SR):]
        for t, blast in zip(SHOTS, blasts, strict=True):
            syn.place(x, blast, round((t + d / C - STARTS[name]) * SR), min(1.6 / d, 0.8))
        tracks.append(TrackInput(f"{name}.wav", np.clip(x, -1.0, 1.0), float(SR),
                                 ClockMap(STARTS[name], 1.0, 0.0002, "test")))
    return tracks


@pytest.fixture(scope="module")
def scene() -> list[TrackInput]:
    return _scene()


def _rows_per_shot(table) -> list[int]:
    return [sum(1 for s in table.shots if abs(s.shared_s - t) < 0.3 * 0.1) for t in SHOTS]


def test_burst_heard_up_close_is_listed_once(scene):
    """Without positions (rows on the earliest arrival: the nearest camera, 6 ms after
    emission): every shot once, nothing else; the first burst is cam1's alone."""
    table = detect_shots(scene)
    assert _rows_per_shot(table) == [1] * len(SHOTS), [round(s.shared_s, 3) for s in table.shots]
    assert len(table.shots) == len(SHOTS)
    for shot in table.shots[:4]:
        assert shot.heard_by == ["cam1.wav"]
    for shot in table.shots[4:]:
        assert len(shot.heard_by) == len(CAMERAS)


def test_burst_emission_times_with_positions(scene):
    """With the positions and the shooter: every shot once, each emission within 1 ms."""
    table = detect_shots(scene, positions={f"{n}.wav": p for n, p in CAMERAS.items()}, shooter=(0.0, 0.0))
    assert _rows_per_shot(table) == [1] * len(SHOTS)
    for shot in table.shots:
        assert min(abs(shot.shared_s - t) for t in SHOTS) < 0.001
