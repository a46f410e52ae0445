"""``timesync shots`` with positions: a small geometry case end to end, and bad input.

Five microphones 2-70 m from a shooter, each starting at its own true time;
the project's clocks are off by tens of ms (what an audio alignment on a sound
from elsewhere gives), with their sound-travel bound.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from media_factory import make_audio
from synth import sounds as syn

from timesync.cli import main
from timesync.clock import IDENTITY, ClockMap
from timesync.detect.travel import speed_of_sound
from timesync.project import Project

SR = 48000
C = speed_of_sound(20.0)
MICS = {"m1.wav": (2.0, 0.0), "m2.wav": (0.0, 15.0), "m3.wav": (-30.0, 0.0),
        "m4.wav": (35.36, -35.36), "m5.wav": (-49.5, -49.5)}
STARTS = {"m1.wav": 0.5, "m2.wav": 0.9, "m3.wav": 0.2, "m4.wav": 1.1, "m5.wav": 0.7}
#: Clock errors of the project (s): what sound travel from elsewhere did to the audio clocks.
ERRORS = {"m1.wav": 0.0, "m2.wav": 0.041, "m3.wav": -0.062, "m4.wav": 0.027, "m5.wav": -0.075}
SHOTS = [3.0, 3.15, 3.6, 5.2, 5.5]  # true emission times


@pytest.fixture(scope="module")
def mic_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("travel_media")
    rng = np.random.default_rng(5)
    shots = [syn.gunshot(SR, rng) for _ in SHOTS]
    for name, pos in MICS.items():
        x = 0.001 * rng.standard_normal(7 * SR)
        d = math.dist(pos, (0.0, 0.0))
        for t, shot in zip(SHOTS, shots, strict=True):
            syn.place(x, shot, round((t + d / C - STARTS[name]) * SR), min(1.5 / d, 0.7))
        make_audio(folder / name, x.astype(np.float32), SR)
    return folder


def _truth(name: str) -> float:
    return STARTS[name] - STARTS["m1.wav"]  # shared = m1's local time


@pytest.fixture
def incident(tmp_path, mic_media) -> Path:
    project = Project(base_dir=tmp_path, author="tester")
    for name in MICS:
        (tmp_path / name).write_bytes((mic_media / name).read_bytes())
        clock = IDENTITY if name == "m1.wav" else ClockMap(_truth(name) + ERRORS[name], 1.0, 0.001, "audio")
        project.add_source(tmp_path / name, clock=clock)
    project.set_reference("m1.wav")
    path = tmp_path / "incident.json"
    project.save(path)
    data = json.loads(path.read_text())
    for entry in data["sources"]:
        entry["travel_bound_s"] = 0.0 if entry["path"] == "m1.wav" else 100.0 / C
    path.write_text(json.dumps(data))
    return path


def _positions() -> list[str]:
    return [a for n, p in MICS.items() for a in ("--position", f"{n}={p[0]},{p[1]}")]


def test_correct_clocks_and_emission_times(incident, tmp_path, capsys):
    out = tmp_path / "shots.json"
    rc = main(["shots", str(incident), *_positions(), "--shooter", "0,0", "--correct-clocks", "-o", str(out)])
    assert rc == 0
    assert "clock corrected for sound travel" in capsys.readouterr().err
    project = Project.load(incident, verify=False)
    for name in MICS:
        assert abs(project.clock(name).offset_s - _truth(name)) < 0.003, name
    shots = json.loads(out.read_text())["shots"]
    true = [t - STARTS["m1.wav"] for t in SHOTS]
    assert len(shots) == len(SHOTS)  # each shot once
    for shot, t in zip(shots, true, strict=True):
        assert abs(shot["shared_s"] - t) < 0.003
        assert shot["time_basis"].startswith("emission")
    corrected = [h for h in project.history if h.action == "clock_corrected"]
    assert len(corrected) == 4
    assert "corrected for sound travel" in corrected[0].after["reason"]
    assert corrected[0].after["travel_bound_s"] == 0.0
    assert corrected[0].before["travel_bound_s"] == pytest.approx(100.0 / C)
    assert [h.action for h in project.history].count("position_set") == 6  # five mics and the shooter


def test_positions_kept_and_shots_located(incident, tmp_path):
    """Positions stay in the project; with corrected clocks and no shooter, each shot is
    located by multilateration with its uncertainty (JSON and CSV)."""
    assert main(["shots", str(incident), *_positions(), "--shooter", "0,0", "--correct-clocks"]) == 0
    data = json.loads(incident.read_text())
    data["positions"]["sounds"] = {}
    incident.write_text(json.dumps(data))
    out = tmp_path / "located.json"
    assert main(["shots", str(incident), "-o", str(out)]) == 0  # the positions come from the project
    shots = json.loads(out.read_text())["shots"]
    assert len(shots) == len(SHOTS)
    for shot in shots:
        assert shot["position_m"] is not None
        assert math.dist(shot["position_m"], (0.0, 0.0)) < max(4 * shot["position_uncertainty_m"], 0.05)
    csv_out = tmp_path / "located.csv"
    assert main(["shots", str(incident), "-o", str(csv_out)]) == 0
    header = csv_out.read_text().splitlines()[0].split(",")
    assert "position_m" in header and "position_uncertainty_m" in header


def test_too_few_sources_to_locate(incident, tmp_path):
    out = tmp_path / "few.json"
    two = [a for n, p in list(MICS.items())[:2] for a in ("--position", f"{n}={p[0]},{p[1]}")]
    assert main(["shots", str(incident), *two, "-o", str(out)]) == 0
    shot = json.loads(out.read_text())["shots"][0]
    assert shot["position_m"] is None
    assert any("multilateration needs 3" in note for note in shot["notes"])


def test_three_sources_locate_each_shot(incident, tmp_path):
    """Positions of three microphones (in 2-D) and corrected clocks: each shot is located
    from three arrivals, within its stated uncertainty, the notes saying so."""
    assert main(["shots", str(incident), *_positions(), "--shooter", "0,0", "--correct-clocks"]) == 0
    data = json.loads(incident.read_text())
    data["positions"] = {"frame": data["positions"]["frame"], "sources": {}, "sounds": {}}
    incident.write_text(json.dumps(data))
    out = tmp_path / "three.json"
    three = [a for n in ("m2.wav", "m3.wav", "m4.wav") for a in ("--position", f"{n}={MICS[n][0]},{MICS[n][1]}")]
    assert main(["shots", str(incident), *three, "-o", str(out)]) == 0
    shots = json.loads(out.read_text())["shots"]
    assert len(shots) == len(SHOTS)
    for shot in shots:
        assert shot["position_m"] is not None, shot.get("notes")
        assert math.dist(shot["position_m"][:2], (0.0, 0.0)) < 3 * shot["position_uncertainty_m"]
        assert any("heard by 3 sources" in note for note in shot["notes"])


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (["--position", "nobody.wav=1,2"], 3, "nobody.wav"),
        (["--position", "m1.wav=1,x"], 2, "m1.wav=1,x"),
        (["--position", "m1.wav=1"], 2, "X,Y[,Z]"),
        (["--temperature", "70"], 2, "70"),
        (["--temperature", "-41"], 2, "-41"),
        (["--position", "m1.wav=1,2", "--correct-clocks"], 3, "--shooter"),
    ],
)
def test_bad_input_saves_nothing(incident, capsys, args, status, words):
    before = incident.read_bytes()
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["shots", str(incident), *args]))
    assert exc.value.code == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 or "usage" in err[0]
    assert words in err[-1] and "Traceback" not in "\n".join(err)
    assert incident.read_bytes() == before


def test_app_shows_the_bound_apart(incident):
    """The sources panel shows the acoustic sigma and, apart, the sound-travel bound."""
    from ui.sources import SourcesModel

    project = Project.load(incident, verify=False)
    text = SourcesModel._text(project.source("m2.wav"), "± (1σ)", False)  # noqa: SLF001
    assert text == "±1.00 ms  + sound travel ≤ 291.4 ms"
    assert SourcesModel._text(project.source("m1.wav"), "± (1σ)", True) == "±0.0 µs"  # noqa: SLF001
