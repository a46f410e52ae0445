"""Shots across sources: association, sound travel, the table (numpy tracks, no files)."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from synth import sounds as syn

from timesync.clock import IDENTITY, ClockMap
from timesync.detect.shots import TrackInput, TrackStream, detect_shots
from timesync.detect.table import NO_POSITIONS_BASIS
from timesync.detect.travel import emission_from_distances, multilaterate, speed_of_sound
from timesync.errors import MediaError, ProjectError
from timesync.workflow_shots import add_shots_to_project, detect_project_shots

SR = 48000
C20 = speed_of_sound(20.0)
SHOTS = [1.0, 1.1, 1.25, 1.4, 2.5, 2.62]


def _track(seed: int, emissions: list[float], clock: ClockMap, *, distance_m: float = 0.0,
           dur_s: float = 4.0, c: float = C20, gain: float = 0.5) -> np.ndarray:
    """A recording whose local time maps to shared by ``clock``, hearing shots at ``distance_m``."""
    rng = np.random.default_rng(seed)
    x = 0.002 * rng.standard_normal(round(dur_s * SR))
    for t in emissions:
        local = clock.to_local(t + distance_m / c)
        syn.place(x, syn.gunshot(SR, rng), round(local * SR), gain)
    return x


def test_speed_of_sound():
    assert speed_of_sound(20.0) == pytest.approx(343.2, abs=0.05)
    assert speed_of_sound(0.0) == pytest.approx(331.3)
    assert speed_of_sound(-10.0) < speed_of_sound(30.0)
    with pytest.raises(ValueError):
        speed_of_sound(-300.0)


def test_two_sources_with_a_known_offset_are_one_shot_each():
    cam_b = ClockMap(offset_s=-0.7, rate=1.0, uncertainty_s=0.0005)  # B started 0.7 s before A
    a = TrackInput("A", _track(1, SHOTS, IDENTITY), SR, IDENTITY)
    b = TrackInput("B", _track(2, SHOTS, cam_b), SR, cam_b)
    table = detect_shots([a, b])
    assert [s.number for s in table.shots] == [1, 2, 3, 4, 5, 6]
    for shot, truth in zip(table.shots, SHOTS, strict=True):
        assert shot.shared_s == pytest.approx(truth, abs=0.001)
        assert set(shot.heard_by) == {"A", "B"}
        assert shot.sources["B"].local_s == pytest.approx(truth + 0.7, abs=0.001)
        assert shot.accepted is None and shot.id.startswith("shot-")
        assert shot.time_basis.startswith("arrival at ") and "no positions given" in shot.time_basis
        assert shot.tdoa_s is not None and min(shot.tdoa_s.values()) == 0.0
    assert [round(s.interval_s, 3) if s.interval_s else None for s in table.shots] == \
        [None, 0.1, 0.15, 0.15, 1.1, 0.12]
    assert table.per_source == {"A": "ok", "B": "ok"}
    # the same input gives the same ids
    assert [s.id for s in detect_shots([a, b]).shots] == [s.id for s in table.shots]


def test_unknown_travel_delay_keeps_burst_order():
    """B is 12 m further (35 ms later): shots 100 ms apart must pair in order, never swapped."""
    burst = [1.0, 1.1, 1.2, 1.3, 1.4]
    a = TrackInput("A", _track(3, burst, IDENTITY, distance_m=3.0), SR, IDENTITY)
    b = TrackInput("B", _track(4, burst, IDENTITY, distance_m=15.0), SR, IDENTITY)
    table = detect_shots([a, b])
    assert len(table.shots) == 5
    for shot, t in zip(table.shots, burst, strict=True):
        assert shot.sources["A"].local_s == pytest.approx(t + 3.0 / C20, abs=0.001)
        assert shot.sources["B"].local_s == pytest.approx(t + 15.0 / C20, abs=0.001)
        assert shot.shared_s == pytest.approx(t + 3.0 / C20, abs=0.001)  # earliest arrival


def test_sound_travel_correction_with_known_distances():
    dist = {"A": 20.0, "B": 80.0, "C": 140.0}
    tracks = [TrackInput(n, _track(10 + k, SHOTS[:3], IDENTITY, distance_m=d, gain=0.5 * 20 / d), SR, IDENTITY)
              for k, (n, d) in enumerate(dist.items())]
    table = detect_shots(tracks, distances_m=dist)
    assert len(table.shots) == 3
    for shot, t in zip(table.shots, SHOTS[:3], strict=True):
        assert shot.shared_s == pytest.approx(t, abs=0.0005)
        assert shot.time_basis.startswith("emission")
        assert all(abs(s.residual_s) < 0.0005 for s in shot.sources.values())
        assert shot.tdoa_s["C"] == pytest.approx(120.0 / C20, abs=0.0005)
    # a wrong temperature shifts the emission by the travel error, and the check notices
    cold = detect_shots(tracks, distances_m=dist, temperature_c=-20.0)
    assert cold.shots[0].shared_s < table.shots[0].shared_s - 0.01


def test_multilateration_finds_the_shooter():
    positions = {"A": (0.0, 0.0), "B": (60.0, 0.0), "C": (0.0, 60.0), "D": (60.0, 60.0)}
    shooter = (20.0, 35.0)
    arrivals = {n: 5.0 + math.dist(p, shooter) / C20 for n, p in positions.items()}
    em = multilaterate(arrivals, {n: 1e-4 for n in positions}, positions, C20)
    assert em is not None
    assert em.shared_s == pytest.approx(5.0, abs=1e-6)
    assert em.shooter == pytest.approx(shooter, abs=0.01)
    assert multilaterate({"A": 1.0, "B": 1.1}, {}, positions, C20) is None  # too few


def test_emission_least_squares_and_residuals():
    arrivals = {"A": 1.0 + 10 / C20, "B": 1.0 + 50 / C20 + 0.004}  # B's clock 4 ms off
    em = emission_from_distances(arrivals, {"A": 0.001, "B": 0.001}, {"A": 10.0, "B": 50.0}, C20)
    assert em.shared_s == pytest.approx(1.002, abs=1e-6)
    assert em.residuals_s["B"] - em.residuals_s["A"] == pytest.approx(0.004, abs=1e-9)


def test_positions_and_shooter_in_detect_shots():
    positions = {"A": (0.0, 0.0), "B": (40.0, 0.0)}
    shooter = (10.0, 0.0)
    tracks = [TrackInput(n, _track(20 + k, [1.5], IDENTITY, distance_m=math.dist(p, shooter)), SR, IDENTITY)
              for k, (n, p) in enumerate(positions.items())]
    table = detect_shots(tracks, positions=positions, shooter=shooter)
    [shot] = table.shots
    assert shot.shared_s == pytest.approx(1.5, abs=0.0005)


def test_streams_of_blocks_give_the_shots_of_arrays_and_say_why_they_have_none():
    """A TrackStream (what a project's source becomes) is listened to in turn, block by block."""
    cam_b = ClockMap(offset_s=-0.7, rate=1.0, uncertainty_s=0.0005)
    a = TrackInput("A", _track(1, SHOTS, IDENTITY), SR, IDENTITY)
    x = _track(2, SHOTS, cam_b)

    def blocks(sr_max):
        assert sr_max == SR
        return float(SR), ((k / SR, x[k:k + SR]) for k in range(0, len(x), SR))

    def unreadable(sr_max):
        raise MediaError("d.mp4: no audio stream")

    said = []
    streams = [a, TrackStream("B", cam_b, blocks), TrackStream("C", IDENTITY, lambda sr: "missing: c.mp4"),
               TrackStream("D", IDENTITY, unreadable)]
    table = detect_shots(streams, progress=lambda f, m: said.append((f, m)))
    arrays = detect_shots([a, TrackInput("B", x, SR, cam_b)])
    assert [s.shared_s for s in table.shots] == pytest.approx([s.shared_s for s in arrays.shots], abs=1e-9)
    assert [s.sources["B"].local_s for s in table.shots] == \
        pytest.approx([s.sources["B"].local_s for s in arrays.shots], abs=1e-9)
    assert table.per_source == {"A": "ok", "B": "ok", "C": "missing: c.mp4",
                                "D": "unreadable: d.mp4: no audio stream"}
    assert table.provenance["analysis_sr"] == {"A": SR, "B": SR, "C": None, "D": None}
    assert said == [(0.25, "shots: listening to B"), (0.5, "shots: listening to C"),
                    (0.75, "shots: listening to D"), (1.0, f"shots: {len(table.shots)} found")]
    with pytest.raises(ProjectError, match="TrackInput or TrackStream"):
        detect_shots(["incident.json"])


def test_silent_noisy_and_missing_audio_sources_never_invent_shots():
    rng = np.random.default_rng(30)
    tracks = [
        TrackInput("silent", np.zeros(3 * SR), SR),
        TrackInput("hiss", 0.2 * rng.standard_normal(3 * SR), SR),
        TrackInput("drone", None, SR),
        TrackInput("unaligned", _track(31, [1.0], IDENTITY), SR, clock=None),
    ]
    table = detect_shots(tracks)
    assert table.shots == []
    assert table.per_source["silent"] == "silent"
    assert table.per_source["hiss"].startswith("very noisy")
    assert table.per_source["drone"] == "no audio"
    assert table.per_source["unaligned"] == "not aligned"
    summary = table.to_dict()["summary"]
    assert summary["count"] == 0 and summary["first_shared_s"] is None


def test_a_source_that_stopped_recording():
    a = TrackInput("A", _track(40, [1.0, 3.5], IDENTITY), SR, IDENTITY)
    short = _track(41, [1.0], IDENTITY, dur_s=2.0)
    b = TrackInput("B", short, SR, IDENTITY)
    table = detect_shots([a, b])
    assert len(table.shots) == 2
    last = table.shots[1].sources["B"]
    assert not last.heard and last.status == "not recording" and last.frame is None


def test_table_json_and_csv():
    cam_b = ClockMap(offset_s=0.25, rate=1.0, uncertainty_s=0.001)
    a = TrackInput("A", _track(50, SHOTS[:2], IDENTITY), SR, IDENTITY)
    b = TrackInput("B", _track(51, SHOTS[:2], cam_b), SR, cam_b)
    table = detect_shots([a, b])
    data = json.loads(table.to_json())
    assert set(data) == {"shots", "summary", "provenance"}
    first = data["shots"][0]
    assert first["number"] == 1 and first["interval_s"] is None and first["wall_clock"] is None
    assert first["sources"]["B"]["heard"] is True and first["sources"]["B"]["frame"] is None
    assert first["sources"]["B"]["local_s"] == pytest.approx(0.75, abs=0.001)
    s = data["summary"]
    assert s["count"] == 2 and s["span_s"] == pytest.approx(0.1, abs=0.001)
    assert s["mean_rate_per_s"] == pytest.approx(10.0, rel=0.02)
    assert s["time_basis"] == NO_POSITIONS_BASIS and s["per_source"] == {"A": "ok", "B": "ok"}
    assert data["provenance"]["parameters"]["min_score"] == 0.5
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert [r["number"] for r in rows] == ["1", "2"]
    assert float(rows[1]["B local_s"]) == pytest.approx(0.85, abs=0.001)
    assert rows[0]["B heard"] == "yes"


def test_sample_incident_all_shots_within_a_millisecond(sample_media_dir):
    """The generated incident: 20 shots in bursts; body cams hear them, the helicopter only its rotor."""
    from timesync.project import Project

    truth = json.loads((sample_media_dir / "truth.json").read_text())
    project = Project(base_dir=sample_media_dir, author="test",
                      wall_clock={"utc_at_shared_zero": truth["utc_at_shared_zero"], "uncertainty_s": 0.0})
    for src in truth["sources"]:
        clock = ClockMap(src["offset_s"], src["rate"], 0.0003, "truth")
        project.add_source(sample_media_dir / src["path"], clock=clock, sha256=src["sha256"], probe=False)
    table = detect_project_shots(project)
    true_s = [s["shared_s"] for s in truth["shots"]]
    assert len(table.shots) == len(true_s) == 20
    for shot, t, s in zip(table.shots, true_s, truth["shots"], strict=True):
        assert abs(shot.shared_s - t) < 0.001
        assert shot.sources["helicopter.mp4"].heard is False
        for name in ("bodycam_A.mp4", "bodycam_B.mp4"):
            frames = [f["frame"] for f in s["flash_frames"][name]]
            assert shot.sources[name].frame in frames  # the frame showing the muzzle flash
    assert table.per_source["bodycam_A.mp4"] == "ok"
    assert table.summary()["count"] == 20 and table.shots[0].wall_clock.startswith("2024-05-17T21:02:45.11")


def test_reviewer_decisions_and_a_failed_travel_check():
    from timesync.project import Project

    dist = {"A": 20.0, "B": 80.0, "C": 140.0}
    tracks = [TrackInput(n, _track(60 + k, SHOTS[:3], IDENTITY, distance_m=d, gain=0.5 * 20 / d), SR, IDENTITY)
              for k, (n, d) in enumerate(dist.items())]
    wrong = dict(dist, C=40.0)  # C is really 140 m away: 290 ms of travel unexplained
    table = detect_shots(tracks, distances_m=wrong, max_travel_s=0.5)
    assert any("sound-travel check failed" in note for s in table.shots for note in s.notes)
    good = detect_shots(tracks, distances_m=dist)
    first, second, third = good.shots
    good.set_accepted(first.id, True)
    good.set_accepted(second.id, False)
    with pytest.raises(KeyError, match="no shot"):
        good.set_accepted("shot-0", True)
    project = Project(author="tester")
    added = add_shots_to_project(project, good, require_accepted=True)
    assert [a.shared_s for a in added] == [first.shared_s]
    added = add_shots_to_project(project, good)  # the undecided third; the rejected second never
    assert [a.shared_s for a in added] == [third.shared_s]
    assert add_shots_to_project(project, good) == []


def _table(times, accepted=None, sigma_s=0.0002):
    from timesync.detect.table import Shot, ShotTable

    accepted = accepted or [None] * len(times)
    shots = [Shot(id=f"shot-{k}", number=k + 1, shared_s=t, uncertainty_s=sigma_s, sources={}, score=1.0,
                  confidence=1.0, time_basis="test", accepted=a)
             for k, (t, a) in enumerate(zip(times, accepted, strict=True))]
    return ShotTable(shots, {}, "test")


def test_decisions_carry_to_a_new_detection_of_the_same_shots():
    """Re-detecting (e.g. after re-aligning, which moves shots by milliseconds) keeps the
    reviewer's decisions; a shot that moved further, or a new one, is undecided again."""
    earlier = _table([10.0, 11.0, 12.0, 13.0], [True, False, None, True])
    later = _table([10.004, 10.9985, 12.0, 13.2, 14.0])
    assert later.carry_decisions(earlier) == 2
    assert [s.accepted for s in later.shots] == [True, False, None, None, None]


def test_a_decision_never_jumps_to_the_next_shot_of_a_burst():
    """Shots 12 ms apart (a fast burst): a decision goes only to a shot at most a quarter
    of the way to its neighbour (in either table), nearest first, and to one shot at most."""
    earlier = _table([5.000, 5.012, 5.024], [True, False, True])
    later = _table([5.004, 5.0125, 5.024])  # the first moved 4 ms: past a quarter of 8.5 ms
    assert later.carry_decisions(earlier) == 2
    assert [s.accepted for s in later.shots] == [None, False, True]
    twice = _table([7.0, 7.008])  # two new shots near one earlier decision: the nearer takes it
    assert twice.carry_decisions(_table([7.0065], [False])) == 1
    assert [s.accepted for s in twice.shots] == [None, False]
    between = _table([9.0045])  # moved towards the middle of two decided shots: neither
    assert between.carry_decisions(_table([9.000, 9.012], [True, False])) == 0
    assert between.shots[0].accepted is None
