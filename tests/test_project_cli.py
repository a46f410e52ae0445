"""The annotate, export and verify commands: exit codes, one-line errors, evidence untouched."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.cli import main

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture
def case(tmp_path, incident_media):
    build_incident(tmp_path, incident_media)
    return tmp_path


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "media").iterdir())}


def _one_line_error(err, fragment):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("timesync: error: ") and fragment in lines[0], err
    assert "Traceback" not in err


def test_annotate_adds_and_saves(case, capsys):
    project = case / "incident.json"
    media = _digests(case)
    code = main(["annotate", str(project), "--type", "use of force", "--at", "1:01.25", "--end", "62.5",
                 "--source", "camB.mp4", "--note", "baton", "--author", "det. smith", "--allow-outside"])
    assert code == 0
    assert capsys.readouterr().out.strip() == "e4\tuse of force\t61.250000 to 62.500000 s"
    data = json.loads(project.read_text())
    event = next(e for e in data["events"] if e["id"] == "e4")
    assert (event["shared_s"], event["end_s"], event["source"], event["note"], event["author"]) == (
        61.25, 62.5, "camB.mp4", "baton", "det. smith")
    assert data["history"][-1]["who"] == "det. smith" and data["history"][-1]["action"] == "annotation_added"
    assert _digests(case) == media


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--type", "explosion", "--at", "1"], "unknown event type 'explosion'"),
        (["--type", "warning", "--at", "1", "--source", "nope.mp4"], "no source named 'nope.mp4'"),
        (["--type", "warning", "--at", "5", "--end", "4"], "before its start"),
    ],
    ids=["unknown-type", "unknown-source", "end-before-start"],
)
def test_annotate_bad_input_is_one_line_and_changes_nothing(case, capsys, args, fragment):
    project = case / "incident.json"
    before = project.read_bytes()
    assert main(["annotate", str(project), *args]) == 3
    _one_line_error(capsys.readouterr().err, fragment)
    assert project.read_bytes() == before


def test_annotate_new_type_and_bad_project(case, tmp_path, capsys):
    project = case / "incident.json"
    assert main(["annotate", str(project), "--type", "Taser  deployed", "--new-type", "--at", "2"]) == 0
    assert "taser" not in json.loads(project.read_text())["vocabulary"][0]
    assert "Taser deployed" in json.loads(project.read_text())["vocabulary"]
    broken = tmp_path / "broken.json"
    broken.write_text(project.read_text()[:100])
    capsys.readouterr()
    assert main(["annotate", str(broken), "--type", "warning", "--at", "1"]) == 3
    _one_line_error(capsys.readouterr().err, "broken.json: not valid JSON")
    with pytest.raises(SystemExit) as info:
        main(["annotate", str(project), "--type", "warning", "--at", "abc"])
    assert info.value.code == 2


def test_verify_exit_codes(case, capsys):
    project = case / "incident.json"
    assert main(["verify", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("4 of 4 sources verified")
    with open(case / "media" / "camB.mp4", "ab") as handle:
        handle.write(b"\0")
    assert main(["verify", str(project)]) == 1
    out = capsys.readouterr().out
    assert "camB.mp4   CHANGED" in out and out.strip().endswith("3 of 4 sources verified, 1 not")
    (case / "media" / "phone.wav").unlink()
    assert main(["verify", str(project)]) == 1
    out = capsys.readouterr().out
    assert "phone.wav  MISSING" in out
    assert json.loads(project.read_text())["sources"][1]["hash_status"] == "verified"  # verify writes nothing


def test_export_command(case, capsys):
    project = case / "incident.json"
    out = case / "events.csv"
    assert main(["export", str(project), "--format", "csv", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    first = out.read_bytes()
    assert main(["export", str(project), "--format", "csv", "-o", str(out)]) == 3
    _one_line_error(capsys.readouterr().err, "events.csv exists; pass --force to overwrite")
    assert main(["export", str(project), "--format", "csv", "-o", str(out), "--force"]) == 0
    assert out.read_bytes() == first
    assert main(["export", str(project), "-f", "vtt", "-o", str(case / "b.vtt"), "--source", "camB.mp4"]) == 0
    assert "local time of camB.mp4" in (case / "b.vtt").read_text()
    capsys.readouterr()
    assert main(["export", str(project), "-f", "csv", "-o", str(case / "x.csv"), "--start", "1"]) == 3
    _one_line_error(capsys.readouterr().err, "--start applies to mp4 only")


def test_export_marks_a_changed_source_and_exits_1(case, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(case, copy)
    with open(copy / "media" / "camA.mp4", "ab") as handle:
        handle.write(b"\0")
    assert main(["export", str(copy / "incident.json"), "-f", "json", "-o", str(copy / "p.json")]) == 1
    err = capsys.readouterr().err
    assert "timesync: warning: media/camA.mp4: CHANGED" in err
    data = json.loads((copy / "p.json").read_text())
    assert data["export_provenance"]["sources"][0]["hash_status"] == "changed"


def test_annotate_source_by_path_from_the_current_folder(case, capsys, monkeypatch):
    monkeypatch.chdir(case / "media")
    assert main(["annotate", "../incident.json", "--type", "warning", "--at", "1", "--source", "camB.mp4"]) == 0
    assert main(["annotate", str(case / "incident.json"), "--type", "warning", "--at", "2",
                 "--source", str(case / "media" / "phone.wav")]) == 0
    events = json.loads((case / "incident.json").read_text())["events"]
    assert [(e["shared_s"], e["source"]) for e in events if e["type"] == "warning"] == [
        (1.0, "camB.mp4"), (2.0, "phone.wav")]


def test_export_mp4_range_from_the_command_line(case, capsys):
    import av

    out = case / "clip.mp4"
    assert main(["export", str(case / "incident.json"), "-f", "mp4", "-o", str(out), "--start", "0.5",
                 "--end", "1.0", "--source", "camA.mp4"]) == 0
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (1280, 720)
        assert sum(1 for _ in container.decode(video=0)) == 15  # 0.5 s at 30 fps
        assert container.streams.audio[0].sample_rate == 48000
    capsys.readouterr()
    assert main(["export", str(case / "incident.json"), "-f", "mp4", "-o", str(case / "x.mp4"),
                 "--start", "3", "--end", "2"]) == 3
    _one_line_error(capsys.readouterr().err, "the range 3.0 to 2.0 s is empty")
