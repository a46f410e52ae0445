"""sync(), sync_many() and ``timesync sync`` on real files written by the tests."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import make_audio, make_video
from test_align_audio import atoms, render

from timesync.cli import main
from timesync.sync import SCHEMA, sync, sync_many

#: Scene seconds covered by each file: A [0, 30], B [20, 50] (fast clock), C [42, 60].
#: A and C share no sound: C is placed through B.
SCENE = {"A": (0.0, 30.0), "B": (20.0, 30.0), "C": (42.0, 18.0)}
RATE_B = 1 + 40e-6  # B's clock: scene time = 20 + RATE_B * t_B
FILES = {"A": "a.wav", "B": "b.m4a", "C": "c.mp4"}
SR = {"A": 16000, "B": 48000, "C": 44100}


@pytest.fixture(scope="session")
def incident(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("incident")
    table = atoms(62.0, seed=21, fmax=7000)
    rng = np.random.default_rng(5)
    paths = {}
    for key, (start, dur) in SCENE.items():
        rate = RATE_B if key == "B" else 1.0
        sr = SR[key]
        x = render(table, start + rate * np.arange(round(dur * sr)) / sr)
        x = (x + rng.normal(0, 0.01, x.size)).astype(np.float32)
        path = folder / FILES[key]
        if key == "C":
            make_video(path, n_frames=10, fps=Fraction(5), size=(64, 48), audio=_spec(x, sr))
        else:
            make_audio(path, x, sr)
        paths[key] = str(path)
    paths["V"] = str(make_video(folder / "silent.mp4", n_frames=10, size=(64, 48)))
    bad = folder / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    paths["X"] = str(bad)
    return paths


def _spec(x, sr):
    from media_factory import AudioSpec

    return AudioSpec(x, sr=sr, codec="aac")


@pytest.fixture(scope="session")
def result(incident):
    order = [incident[k] for k in ("A", "B", "C", "V", "X")]
    return sync(order, reference=incident["A"], methods=["audio"])


def test_offsets_and_drift_against_truth(result, incident):
    b = result.source(incident["B"])
    assert b.aligned and b.clock.method == "audio"
    # B's local 0 is scene 20 s = A's local 20 s
    assert b.clock.offset_s == pytest.approx(20.0, abs=2e-4)
    assert b.clock.drift_ppm == pytest.approx(40.0, abs=3.0)
    assert 0 < b.clock.uncertainty_s < 5e-4


def test_chain_source_placed_through_the_middle_one(result, incident):
    c = result.source(incident["C"])
    assert c.aligned
    # C's local 0 is scene 42 s (A's local 42 s); the video starts with the audio
    assert c.clock.offset_s == pytest.approx(42.0, abs=5e-4)
    assert [k.other for k in c.constraints] == [incident["B"]]
    assert all(k.kind == "audio" for k in c.constraints)
    assert c.clock.uncertainty_s > result.source(incident["B"]).clock.uncertainty_s


def test_no_audio_and_corrupt_files_reported(result, incident):
    v = result.source(incident["V"])
    assert not v.aligned and v.clock is None
    assert "no audio" in v.reason
    x = result.source(incident["X"])
    assert not x.aligned and x.sha256 is None
    assert incident["X"] in x.reason and "\n" not in x.reason
    assert not result.all_aligned


def test_project_json(result, incident):
    data = json.loads(json.dumps(result.to_dict()))
    assert data["schema"] == SCHEMA and data["reference"] == incident["A"]
    by = {s["path"]: s for s in data["sources"]}
    assert list(by) == [incident[k] for k in ("A", "B", "C", "V", "X")]
    a = by[incident["A"]]
    assert a["sha256"] == hashlib.sha256(Path(incident["A"]).read_bytes()).hexdigest()
    assert (a["offset_s"], a["rate"], a["aligned"]) == (0.0, 1.0, True)
    b = by[incident["B"]]
    assert set(b) >= {
        "path",
        "sha256",
        "aligned",
        "offset_s",
        "rate",
        "uncertainty_s",
        "method",
        "constraints",
    }
    assert b["constraints"][0]["kind"] == "audio" and b["constraints"][0]["score"] > 0
    assert by[incident["X"]]["offset_s"] is None and by[incident["X"]]["reason"]
    assert data["provenance"]["timesync_version"]
    assert "created" not in json.dumps(data["provenance"])  # reproducible: no wall-clock time


def test_default_reference_and_reproducible(incident):
    paths = [incident["A"], incident["B"]]
    one = sync(paths, methods=["audio"]).to_dict()
    two = sync(paths, methods=["audio"]).to_dict()
    assert one == two
    assert one["reference"] == incident["A"]  # the first given among equals


def test_sync_many_on_dask(incident):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        jobs = [
            [incident["A"], incident["B"]],
            {"paths": [incident["B"], incident["C"]], "reference": incident["B"]},
        ]
        results = sync_many(jobs, executor=client.get_executor())
    assert [r.reference for r in results] == [incident["A"], incident["B"]]
    assert results[0].source(incident["B"]).clock.offset_s == pytest.approx(20.0, abs=2e-4)
    # C's local 0 is scene 42 = B's local (42 - 20) / RATE_B
    assert results[1].source(incident["C"]).clock.offset_s == pytest.approx(22.0 / RATE_B, abs=5e-4)


def test_cli_table_json_and_exit_codes(incident, tmp_path, capsys):
    out = tmp_path / "project.json"
    code = main(["sync", incident["A"], incident["B"], "-o", str(out), "--methods", "audio"])
    captured = capsys.readouterr()
    assert code == 0
    assert "source" in captured.out and "drift ppm" in captured.out
    assert incident["B"] in captured.out and "audio" in captured.out
    data = json.loads(out.read_text())
    assert data["schema"] == SCHEMA and all(s["aligned"] for s in data["sources"])
    code = main(["sync", incident["A"], incident["V"], "-o", str(out), "--methods", "audio", "-q", "--force"])
    captured = capsys.readouterr()
    assert code == 1
    assert "not aligned" in captured.out
    data = json.loads(out.read_text())
    assert [s["aligned"] for s in data["sources"]] == [True, False]


def test_sample_incident_bodycam_b(sample_media_dir):
    truth = json.loads((sample_media_dir / "truth.json").read_text())
    names = [s["path"] for s in truth["sources"]]
    paths = [str(sample_media_dir / n) for n in names]
    res = sync(paths, reference=str(sample_media_dir / truth["reference"]), methods=["audio"])
    want = next(s for s in truth["sources"] if s["path"] == "bodycam_B.mp4")
    got = res.source(str(sample_media_dir / "bodycam_B.mp4"))
    assert got.aligned, got.reason
    assert abs(got.clock.offset_s - want["offset_s"]) < 1e-3
    assert abs(got.clock.drift_ppm - want["drift_ppm"]) < 3.0
    heli = res.source(str(sample_media_dir / "helicopter.mp4"))
    # the helicopter hears only its rotor: never a confident audio answer
    assert not heli.aligned or heli.clock.method != "audio"


def test_cli_project_written_elsewhere_finds_its_sources(incident, tmp_path, monkeypatch):
    """Paths given relative to the working folder are stored relative to the project file."""
    from timesync.project import Project

    folder = Path(incident["A"]).parent
    monkeypatch.chdir(folder)
    out = tmp_path / "elsewhere" / "incident.json"
    out.parent.mkdir()
    code = main(["sync", "a.wav", "b.m4a", "-o", str(out), "--methods", "audio", "-q"])
    assert code == 0
    monkeypatch.chdir(tmp_path)
    project = Project.load(out)
    assert [s.hash_status for s in project.sources] == ["verified", "verified"]
    assert project.warnings == []
    assert project.clock(project.sources[1].name).offset_s == pytest.approx(20.0, abs=5e-4)
