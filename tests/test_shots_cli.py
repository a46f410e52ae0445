"""``timesync shots``: a tiny incident with real (encoded) media, end to end through the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import AudioSpec, make_audio, make_video
from synth import sounds as syn

from timesync.cli import main
from timesync.clock import IDENTITY, ClockMap
from timesync.project import Project
from timesync.workflow_shots import detect_project_shots

SR = 48000
#: Shared-clock times of the shots; camB's local time is shared - 0.5 s.
SHOTS = [1.01, 1.12, 1.25, 2.21]
B_OFFSET = 0.5
#: Frame shown at each shot: camA 30 fps (floor(30 t)), camB 25 fps (floor(25 (t - 0.5))).
FRAMES_A = [30, 33, 37, 66]
FRAMES_B = [12, 15, 18, 42]


def _audio(seed: int, local_onsets: list[float], dur_s: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.003 * rng.standard_normal(round(dur_s * SR))
    for t in local_onsets:
        syn.place(x, syn.gunshot(SR, rng), round(t * SR), 0.45)
    return x.astype(np.float32)


@pytest.fixture(scope="session")
def shot_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shot_media")
    make_video(folder / "camA.mp4", n_frames=90, fps=Fraction(30),
               audio=AudioSpec(_audio(1, SHOTS), sr=SR))
    make_video(folder / "camB.mp4", n_frames=75, fps=Fraction(25),
               audio=AudioSpec(_audio(2, [t - B_OFFSET for t in SHOTS]), sr=SR))
    make_audio(folder / "phone.wav", np.zeros(2 * SR, np.float32), SR)
    make_video(folder / "drone.mp4", n_frames=20, fps=Fraction(10))
    return folder


@pytest.fixture
def incident(tmp_path, shot_media) -> Path:
    media = tmp_path / "media"
    shutil.copytree(shot_media, media)
    project = Project(base_dir=tmp_path, author="tester",
                      wall_clock={"utc_at_shared_zero": "2024-05-17T21:02:33.000Z", "uncertainty_s": 0.02,
                                  "basis": "overlay"})
    project.add_source(media / "camA.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    project.add_source(media / "camB.mp4", role="body cam", clock=ClockMap(B_OFFSET, 1.0, 0.0005, "audio"))
    project.add_source(media / "phone.wav", role="audio-only", clock=ClockMap(0.2, 1.0, 0.001, "audio"))
    project.add_source(media / "drone.mp4", role="aerial", clock=ClockMap(0.0, 1.0, 0.01, "visual"))
    path = tmp_path / "incident.json"
    project.save(path)
    return path


def test_json_table(incident, tmp_path, capsys):
    out = tmp_path / "shots.json"
    assert main(["shots", str(incident), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 shot(s)" in printed and "earliest arrival" in printed
    data = json.loads(out.read_text())
    shots = data["shots"]
    assert [s["number"] for s in shots] == [1, 2, 3, 4]
    for shot, t, fa, fb in zip(shots, SHOTS, FRAMES_A, FRAMES_B, strict=True):
        assert abs(shot["shared_s"] - t) < 0.001
        a, b = shot["sources"]["camA.mp4"], shot["sources"]["camB.mp4"]
        assert a["heard"] and b["heard"]
        assert abs(a["local_s"] - t) < 0.001 and abs(b["local_s"] - (t - B_OFFSET)) < 0.001
        assert (a["frame"], b["frame"]) == (fa, fb)
        assert shot["sources"]["phone.wav"]["heard"] is False
        assert shot["sources"]["phone.wav"]["frame"] is None  # audio-only: no frame
        assert shot["accepted"] is None and shot["annotated"] is False
    assert shots[0]["interval_s"] is None
    assert abs(shots[1]["interval_s"] - 0.11) < 0.001
    wall = datetime.fromisoformat(shots[0]["wall_clock"].replace("Z", "+00:00"))
    assert abs((wall - datetime(2024, 5, 17, 21, 2, 34, 10000, tzinfo=UTC)).total_seconds()) < 0.0015
    summary = data["summary"]
    assert summary["count"] == 4
    assert summary["time_basis"] == "earliest arrival (no positions given; sound travel not corrected)"
    assert summary["per_source"] == {"camA.mp4": "ok", "camB.mp4": "ok", "phone.wav": "silent",
                                     "drone.mp4": "no audio"}
    assert data["provenance"]["tool"] == "timesync shots"


def test_csv_table(incident, tmp_path):
    out = tmp_path / "shots.csv"
    assert main(["shots", str(incident), "-o", str(out), "--temperature", "5"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4
    assert [int(r["camB.mp4 frame"]) for r in rows] == FRAMES_B
    assert [r["phone.wav heard"] for r in rows] == ["no"] * 4


def test_add_is_idempotent(incident, capsys):
    assert main(["shots", str(incident), "--add"]) == 0
    assert "added 4 shot fired" in capsys.readouterr().err
    project = Project.load(incident)
    shots = [a for a in project.annotations if a.type == "shot fired"]
    assert len(shots) == 4
    assert all(a.author == "timesync" and a.note.startswith("detected by timesync shots, score ") for a in shots)
    assert {a.source for a in shots} <= {"camA.mp4", "camB.mp4"}  # who heard it first (a tie here)
    assert all(abs(a.shared_s - t) < 0.001 for a, t in zip(shots, SHOTS, strict=True))
    assert main(["shots", str(incident), "--add"]) == 0
    assert "added 0 shot fired" in capsys.readouterr().err
    again = Project.load(incident)
    assert len([a for a in again.annotations if a.type == "shot fired"]) == 4
    table = detect_project_shots(again)
    assert all(s.annotated for s in table.shots)


def test_high_min_score_and_bad_arguments(incident, tmp_path, capsys):
    assert main(["shots", str(incident), "--min-score", "1"]) == 0
    assert "no shots found" in capsys.readouterr().out
    assert main(["shots", str(incident), "-o", str(tmp_path / "shots.txt")]) == 3
    assert main(["shots", str(tmp_path / "missing.json")]) == 3
    assert main(["shots", str(incident), "--distance", "nope.mp4=10"]) == 3
    err = capsys.readouterr().err
    assert "shots.txt" in err and "nope.mp4" in err and "Traceback" not in err


def test_distances_on_the_command_line(incident, tmp_path):
    out = tmp_path / "shots.json"
    assert main(["shots", str(incident), "-o", str(out), "--distance", "camA.mp4=34.32",
                 "--distance", "camB.mp4=34.32"]) == 0
    data = json.loads(out.read_text())
    # both heard it at once, both 34.32 m away: fired 100 ms before it was heard (c = 343.2 m/s)
    assert abs(data["shots"][0]["shared_s"] - (SHOTS[0] - 0.1)) < 0.001
    assert data["summary"]["time_basis"].startswith("emission")
