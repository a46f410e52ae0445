"""Sound travel: positions as project data, multilateration, and the travel bound of audio clocks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from media_factory import make_audio

from timesync.align.constraints import Constraint
from timesync.align.solve import solve
from timesync.clock import IDENTITY, ClockMap
from timesync.detect.travel import (
    MIN_SOURCES,
    PATH_SIGMA_M,
    multilaterate,
    multilateration_problem,
    speed_of_sound,
)
from timesync.errors import ProjectError
from timesync.project import Project
from timesync.project.positions import positions_of, sound_position

SR = 16000
C = speed_of_sound(20.0)


@pytest.fixture
def project(tmp_path) -> Project:
    for name in ("a.wav", "b.wav"):
        make_audio(tmp_path / name, np.zeros(SR, np.float32), SR)
    p = Project(base_dir=tmp_path, author="tester")
    p.add_source(tmp_path / "a.wav", clock=IDENTITY)
    p.add_source(tmp_path / "b.wav", clock=ClockMap(0.1, 1.0, 1e-4, "audio"))
    p.set_reference("a.wav")
    p.save(tmp_path / "incident.json")
    return p


def test_positions_round_trip_with_history(project, tmp_path):
    project.set_position("sources", "a.wav", [1.0, 2.0])
    project.set_position("sources", str(tmp_path / "b.wav"), [3.0, 4.0, 1.5])  # by path
    project.set_position("sounds", "shooter", (0.0, 0.0))
    project.set_position("sources", "a.wav", [1.0, 2.0])  # the same: no new entry
    project.save()
    again = Project.load(tmp_path / "incident.json")
    assert positions_of(again) == {"a.wav": (1.0, 2.0), "b.wav": (3.0, 4.0, 1.5)}
    assert sound_position(again) == (0.0, 0.0)
    entries = [h for h in again.history if h.action == "position_set"]
    assert [h.target for h in entries] == ["positions.sources.a.wav", "positions.sources.b.wav",
                                           "positions.sounds.shooter"]
    assert entries[1].before is None and entries[1].after == [3.0, 4.0, 1.5]
    data = json.loads((tmp_path / "incident.json").read_text())
    assert data["positions"]["frame"] == "local east/north/up, metres"


def test_older_file_without_positions_loads(project, tmp_path):
    data = json.loads((tmp_path / "incident.json").read_text())
    assert "positions" not in data
    again = Project.load(tmp_path / "incident.json")
    assert positions_of(again) == {} and sound_position(again) is None


@pytest.mark.parametrize("value", [[1.0], [1.0, 2.0, 3.0, 4.0], [1.0, math.nan], "1,2"])
def test_bad_positions_are_refused(project, value):
    before = len(project.history)
    with pytest.raises(ProjectError, match="X,Y"):
        project.set_position("sources", "a.wav", value)
    assert len(project.history) == before


def test_position_for_unknown_source(project):
    with pytest.raises(ProjectError, match="nobody.wav"):
        project.set_position("sources", "nobody.wav", [1.0, 2.0])


LAYOUT = {"a": (0.0, 0.0), "b": (60.0, 5.0), "c": (10.0, 55.0), "d": (45.0, 40.0), "e": (-25.0, 30.0)}


def test_multilateration_within_its_stated_uncertainty():
    rng = np.random.default_rng(7)
    shooter, t_e, sigma = (18.0, 21.0), 12.5, 2e-4
    worst = 0.0
    for _ in range(40):
        arrivals = {n: t_e + math.dist(p, shooter) / C + rng.normal(0, sigma) for n, p in LAYOUT.items()}
        em = multilaterate(arrivals, {n: sigma for n in LAYOUT}, LAYOUT, C)
        assert em is not None and em.shooter_uncertainty_m is not None
        assert abs(em.shared_s - t_e) < 4 * em.uncertainty_s
        worst = max(worst, math.dist(em.shooter, shooter) / em.shooter_uncertainty_m)
    assert worst < 4.0  # within 4 sigma over 40 trials (2-D: sqrt(var_x + var_y))


@pytest.mark.parametrize("count", [4, 5])
def test_least_squares_states_the_path_error(count):
    """Four or five sources whose arrivals are off the straight-line ranges by path errors
    of PATH_SIGMA_M (wind, temperature, survey) while each states only its onset sigma:
    the survey is within three stated sigmas in every one of 200 trials (the chi-square
    of one or two degrees of freedom alone let 10-25 % fall outside), and noise-free
    arrivals still give the exact position, with no less than the path error's sigma."""
    layout = dict(list(LAYOUT.items())[:count])
    rng = np.random.default_rng(11)
    shooter, onset = (18.0, 21.0), 2e-4
    ratios = []
    for _ in range(200):
        arrivals = {n: 12.5 + math.dist(p, shooter) / C + rng.normal(0, math.hypot(onset, PATH_SIGMA_M / C))
                    for n, p in layout.items()}
        em = multilaterate(arrivals, {n: onset for n in layout}, layout, C)
        ratios.append(math.dist(em.shooter, shooter) / em.shooter_uncertainty_m)
    assert max(ratios) < 3.0
    assert 0.4 < np.mean(np.array(ratios) < 1.0) < 0.9
    exact = {n: 12.5 + math.dist(p, shooter) / C for n, p in layout.items()}
    em = multilaterate(exact, {n: onset for n in layout}, layout, C)
    assert em.shooter == pytest.approx(shooter, abs=1e-6)
    assert em.shooter_uncertainty_m > PATH_SIGMA_M / math.sqrt(count)


def test_multilateration_needs_three_sources():
    arrivals = {n: 1.0 + math.dist(p, (5.0, 5.0)) / C for n, p in list(LAYOUT.items())[:2]}
    assert MIN_SOURCES == 3
    assert multilaterate(arrivals, {}, LAYOUT, C) is None
    assert "multilateration needs 3" in multilateration_problem(arrivals, LAYOUT)


def test_travel_bound_through_the_solve():
    b = 50.0 / C
    constraints = [
        Constraint("B", "A", 0.30, 1e-5, "audio", travel_bound_s=b),
        Constraint("C", "B", 0.20, 1e-5, "audio", travel_bound_s=b),
        Constraint("D", "A", 0.10, 1e-3, "manual"),
    ]
    sol = solve(["A", "B", "C", "D"], constraints, "A")
    assert sol.travel_bounds["A"] == 0.0 and sol.travel_bounds["D"] == 0.0
    assert sol.travel_bounds["B"] == pytest.approx(b, rel=1e-6)
    assert sol.travel_bounds["C"] == pytest.approx(2 * b, rel=1e-6)  # two hops
    assert sol.clocks["B"].uncertainty_s < 1e-4  # the acoustic sigma is unchanged by the bound
    reversed_ = constraints[0].reversed()
    assert reversed_.travel_bound_s == pytest.approx(b)


def test_sync_reports_the_bound_apart(shared_media_dir, tmp_path, capsys):
    """Two microphones 5 m and 40 m from one talker: the audio clock is off by the
    path difference (102 ms), far beyond its acoustic sigma, within the bound."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    from timesync.cli import main

    sr, x = wavfile.read(shared_media_dir / "pyannote_sample.wav")
    x = resample_poly(x.astype(np.float64) / 32768.0, 48000, sr)
    starts, dist = {"near.wav": 1.0, "far.wav": 1.6}, {"near.wav": 5.0, "far.wav": 40.0}
    for name in starts:
        k0 = round((starts[name] - dist[name] / C) * 48000)
        seg = x[k0:k0 + 20 * 48000] * (5.0 / dist[name])
        make_audio(tmp_path / name, (seg + 1e-3 * np.random.default_rng(1).standard_normal(seg.size))
                   .astype(np.float32), 48000)
    out = tmp_path / "p.json"
    rc = main(["sync", str(tmp_path / "near.wav"), str(tmp_path / "far.wav"), "--reference",
               str(tmp_path / "near.wav"), "-o", str(out), "--max-distance", "50", "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "sound travel <= 145.7 ms" in printed
    data = json.loads(out.read_text())
    far = next(s for s in data["sources"] if s["path"].endswith("far.wav"))
    assert data["provenance"]["parameters"]["max_distance_m"] == 50.0
    assert far["travel_bound_s"] == pytest.approx(50.0 / C, rel=1e-6)
    error = far["offset_s"] - (starts["far.wav"] - starts["near.wav"])
    assert abs(error) > 10 * far["uncertainty_s"]  # arrivals: the acoustic sigma does not cover it
    assert abs(error) <= far["travel_bound_s"] + 3 * far["uncertainty_s"]  # the bound does
    assert abs(abs(error) - 35.0 / C) < 0.003


def test_every_constraint_on_heard_sound_gets_the_bound():
    """Audio (arrival against arrival) and audio-visual (arrival against light) are moved by sound
    travel; flashes against flashes (light against light) and device clocks are not."""
    from timesync.sync import _with_travel_bounds

    kinds = ("audio", "audio-visual", "visual", "overlay", "metadata", "manual")
    given = [Constraint(source="a", other="b", offset_s=1.0, uncertainty_s=0.001, kind=k) for k in kinds]
    bounds = {c.kind: c.travel_bound_s for c in _with_travel_bounds(given, 34.3)}
    c = 34.3 / speed_of_sound(20.0)
    assert bounds == {"audio": c, "audio-visual": c, "visual": 0.0, "overlay": 0.0, "metadata": 0.0, "manual": 0.0}
