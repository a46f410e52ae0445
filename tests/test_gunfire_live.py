"""Real gunfire (issue 13): live-fire recordings, the join by the pattern of the shots, time bases.

The live-fire tests use ``../shared/media/live-fire`` (ShotSpotter's Pittsburgh
tests, 12 kHz GPS-timed sensors); they skip with a reason when it is absent.
The detector's far-field parameters were set on FP5; the tests here use FP9
(held out).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from synth import sounds as syn

from timesync.clock import IDENTITY, ClockMap
from timesync.detect.impulses import detect_impulses
from timesync.detect.shots import TrackInput, detect_shots

REPO = Path(__file__).resolve().parents[1]
LIVE = REPO / ".." / "shared" / "media" / "live-fire"
SR = 48000


def _bench():
    if not LIVE.is_dir():
        pytest.skip(f"{LIVE} is absent: the live-fire tests need ../shared/media/live-fire")
    sys.path.insert(0, str(REPO / "bench"))
    import bench_livefire

    return bench_livefire


@pytest.mark.parametrize("test_id", [154, 158, 160])
def test_live_fire_arrivals_found_within_5ms_at_near_sensors(test_id):
    """Held-out FP9 tests: the rounds' arrivals at the sensors within 300 m are found within 5 ms."""
    bench = _bench()
    test = bench.load_test(LIVE / "FP9" / f"test_{test_id}")
    rows = [bench.score_sensor(test, s) for s in test.sensors if s.distance_m <= 300]
    assert rows
    found = sum(r["found"] for r in rows)
    # the sensor at 140 m (clipped, buried in its own echoes) is still missed: 2 of 3 sensors
    assert found >= 0.6 * sum(r["rounds"] for r in rows), rows


def test_live_fire_three_rounds_are_three_rows():
    """A 3-round test, sensors up to ~600 m apart (travel differences over 1 s), with positions: 3 rows."""
    bench = _bench()
    test = bench.load_test(LIVE / "FP9" / "test_158")
    res = bench.score_table(test, positions=True)
    assert res["rows"] == 3 and res["right"], res
    assert all(b.startswith(("emission", "arrival at SCP-")) for b in res["bases"]), res["bases"]


def test_digital_silence_is_no_background():
    """A sensor clip padded with zeros: the start of the recorded noise is not an impulse,
    and the padding does not sink the background under the noise."""
    rng = np.random.default_rng(3)
    sr = 12000
    x = np.zeros(6 * sr)
    x[2 * sr : 4 * sr] = 0.05 * rng.standard_normal(2 * sr)
    assert detect_impulses(x, sr, min_score=0.0) == []


def _tracks(lag_s: float, times: list[float]) -> list[TrackInput]:
    out = []
    for k, shift in enumerate((0.0, lag_s)):
        rng = np.random.default_rng(10 + k)
        x = 0.002 * rng.standard_normal(4 * SR)
        for t in times:
            syn.place(x, syn.gunshot(SR, rng), round((t + shift) * SR), 0.5)
        out.append(TrackInput("AB"[k], x, SR, IDENTITY if k == 0 else ClockMap(0.0, 1.0, 0.0003, "test")))
    return out


@pytest.mark.parametrize("lag_s", [0.12, 0.2])
def test_join_by_pattern_without_positions(lag_s):
    """Arrivals 120-200 ms apart (a travel difference, no positions): one row per shot, paired by the
    pattern of intervals, never crosswise, each row's time the arrival at a named source."""
    times = [0.5, 0.62, 1.1, 2.3]
    table = detect_shots(_tracks(lag_s, times))
    assert len(table.shots) == len(times)
    for shot, t in zip(table.shots, times, strict=True):
        assert shot.heard_by == ["A", "B"] or sorted(shot.heard_by) == ["A", "B"]
        assert shot.sources["B"].arrival_shared_s - shot.sources["A"].arrival_shared_s == pytest.approx(lag_s, abs=0.001)
        assert shot.shared_s == pytest.approx(t, abs=0.001)
        assert shot.time_basis.startswith("arrival at A ")


def test_thud_at_a_sensor_rate_is_refused():
    """The far-field score (12 kHz sensors) refuses a door-slam-like thud: it rings at one resonance."""
    rng = np.random.default_rng(4)
    sr = 12000
    x = 0.001 * rng.standard_normal(2 * sr)
    for k in range(3):
        syn.place(x, syn.thud(sr, rng), round((0.3 + 0.5 * k) * sr), 0.5)
    assert detect_impulses(x, sr, min_score=0.5) == []
