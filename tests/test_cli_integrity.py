"""No command destroys saved work; outputs are checked before the work; arguments are checked.

Real media (tests/test_project_factory.py), real runs of the commands.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.cli import main
from timesync.sync import ALIGNERS

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture
def case(tmp_path, incident_media) -> Path:
    build_incident(tmp_path, incident_media)
    return tmp_path


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_sync_does_not_overwrite_an_annotated_project(case, capsys):
    project = case / "incident.json"
    before = project.read_bytes()
    assert len(json.loads(before)["events"]) == 3
    files = [str(case / "media" / "camA.mp4"), str(case / "media" / "phone.wav")]
    code = main(["sync", *files, "-o", str(project), "--methods", "audio", "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert _lines(err) == [f"timesync: error: {project} exists; pass --force to overwrite it "
                           "(the old file is then kept as incident.json.bak)"]
    assert project.read_bytes() == before and not (case / "incident.json.bak").exists()
    assert main(["sync", *files, "-o", str(project), "--methods", "audio", "-q", "--force"]) in (0, 1)
    err = capsys.readouterr().err
    assert f"kept the old incident.json as {case / 'incident.json.bak'}" in err
    assert (case / "incident.json.bak").read_bytes() == before  # the annotated project, byte for byte
    assert json.loads(project.read_text())["events"] == []


def test_shots_output_is_refused_then_backed_up(case, capsys):
    out = case / "shots.csv"
    out.write_text("a table someone annotated\n")
    assert main(["shots", str(case / "incident.json"), "-o", str(out)]) == 3
    assert _lines(capsys.readouterr().err)[-1].endswith("shots.csv exists; pass --force to overwrite it "
                                                        "(the old file is then kept as shots.csv.bak)")
    assert out.read_text() == "a table someone annotated\n"
    assert main(["shots", str(case / "incident.json"), "-o", str(out), "--force"]) == 0
    assert (case / "shots.csv.bak").read_text() == "a table someone annotated\n"
    assert out.read_text().startswith("number,")


def test_export_force_keeps_the_old_file(case, capsys):
    out = case / "events.csv"
    assert main(["export", str(case / "incident.json"), "-f", "csv", "-o", str(out)]) == 0
    first = out.read_bytes()
    out.write_bytes(first + b"reviewer's note\n")
    assert main(["export", str(case / "incident.json"), "-f", "csv", "-o", str(out), "--force"]) == 0
    assert (case / "events.csv.bak").read_bytes() == first + b"reviewer's note\n"
    assert out.read_bytes() == first


@pytest.mark.parametrize("command", ["sync", "shots", "export"])
def test_a_missing_output_folder_is_refused_before_any_work(case, capsys, command):
    """Without -q, any work would print progress first: the error must be the only line."""
    project, missing = str(case / "incident.json"), str(case / "nodir" / "out.csv")
    argv = {
        "sync": ["sync", str(case / "media" / "camA.mp4"), str(case / "media" / "camB.mp4"), "-o",
                 str(case / "nodir" / "p.json")],
        "shots": ["shots", project, "-o", missing],
        "export": ["export", project, "-f", "csv", "-o", missing],
    }[command]
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert _lines(captured.err) == [f"timesync: error: {argv[-1]}: the folder {case / 'nodir'} does not exist"]
    assert captured.out == ""


def test_methods_are_checked_against_the_aligners(case, capsys):
    files = [str(case / "media" / "camA.mp4"), str(case / "media" / "camB.mp4")]
    assert _run(["sync", *files, "--methods", "audio,foo", "-q"]) == 2
    error = _lines(capsys.readouterr().err)[-1]
    known = [m.rsplit(".", 1)[-1] for m in ALIGNERS]
    assert error == f"timesync sync: error: argument --methods: unknown aligner 'foo' (known: {', '.join(known)})"


def test_annotate_refuses_a_time_outside_every_recording(case, capsys):
    project = case / "incident.json"
    before = project.read_bytes()
    # camA covers 0-3 s, camB 1-4 s, phone 0.5-2.5 s on the shared clock (drone is not aligned)
    assert main(["annotate", str(project), "--type", "warning", "--at", "99999"]) == 3
    assert _lines(capsys.readouterr().err) == [
        "timesync: error: incident.json: --at 99999.000 s is outside every recording (on the shared clock they "
        "cover 0.000 to 4.000 s); pass --allow-outside to add it anyway"]
    assert project.read_bytes() == before
    assert main(["annotate", str(project), "--type", "warning", "--at", "3.9"]) == 0  # camB only
    assert main(["annotate", str(project), "--type", "warning", "--at", "99999", "--allow-outside"]) == 0
    times = [e["shared_s"] for e in json.loads(project.read_text())["events"] if e["type"] == "warning"]
    assert times == [3.9, 99999.0]


def _rename_like_sync(case: Path) -> None:
    """Source names as ``sync`` makes them: the path as typed (``sample/camB.mp4``)."""
    from timesync.project import Project

    project = Project.load(case / "incident.json")
    for source in project.sources:
        project.rename_source(source.name, f"sample/{source.name}")
    project.save()


def test_every_command_takes_a_source_by_its_file_name(case, capsys, monkeypatch):
    _rename_like_sync(case)
    monkeypatch.chdir(case.parent)  # not the media folder: the file name is not a path from here
    project = str(case / "incident.json")
    assert main(["annotate", project, "--type", "warning", "--at", "1.5", "--source", "camB.mp4"]) == 0
    event = json.loads((case / "incident.json").read_text())["events"][-1]
    assert event["source"] == "sample/camB.mp4"
    assert main(["export", project, "-f", "vtt", "-o", str(case / "b.vtt"), "--source", "camB.mp4"]) == 0
    assert "local time of sample/camB.mp4" in (case / "b.vtt").read_text()
    assert main(["shots", project, "-o", str(case / "s.json"), "--distance", "camA.mp4=10",
                 "--distance", "media/camB.mp4=20"]) == 0
    assert json.loads((case / "s.json").read_text())["provenance"]["parameters"]["distances_m"] == {
        "sample/camA.mp4": 10.0, "sample/camB.mp4": 20.0}


def test_an_ambiguous_file_name_lists_the_candidates(case, capsys):
    from timesync.project import Project

    (case / "other").mkdir()
    shutil.copy(case / "media" / "drone.mp4", case / "other" / "camB.mp4")
    project = Project.load(case / "incident.json")
    project.rename_source("camB.mp4", "first camB")
    project.add_source(case / "other" / "camB.mp4", name="second camB")
    project.save()
    before = (case / "incident.json").read_bytes()
    assert main(["annotate", str(case / "incident.json"), "--type", "warning", "--at", "1",
                 "--source", "camB.mp4"]) == 3
    assert _lines(capsys.readouterr().err) == [
        "timesync: error: incident.json: 2 sources have the file name 'camB.mp4': first camB (media/camB.mp4); "
        "second camB (other/camB.mp4); give the name or the path"]
    assert (case / "incident.json").read_bytes() == before
    assert main(["annotate", str(case / "incident.json"), "--type", "warning", "--at", "1",
                 "--source", "other/camB.mp4"]) == 0


def _damage(case: Path) -> None:
    with open(case / "media" / "camB.mp4", "ab") as handle:
        handle.write(b"\0")
    (case / "media" / "phone.wav").unlink()


def _hash_warnings(case: Path) -> list[str]:
    missing = case / "media" / "phone.wav"
    return [
        "timesync: warning: media/camB.mp4: CHANGED since it was added (SHA-256 now ",
        f"timesync: warning: media/phone.wav: MISSING: no file at {missing} (source paths are relative to the "
        f"project file's folder); if it was moved: timesync relink {case / 'incident.json'} --search DIR",
    ]


@pytest.mark.parametrize("argv", [
    ["annotate", "{P}", "--type", "warning", "--at", "1"],
    ["shots", "{P}"],
    ["export", "{P}", "-f", "csv", "-o", "{T}/e.csv"],
], ids=["annotate", "shots", "export"])
def test_commands_warn_of_changed_and_missing_sources_before_working(case, capsys, argv):
    _damage(case)
    code = main([a.replace("{P}", str(case / "incident.json")).replace("{T}", str(case)) for a in argv])
    assert code in (0, 1)
    err = _lines(capsys.readouterr().err)
    warnings = [line for line in err if line.startswith("timesync: warning: ")]
    changed, missing = _hash_warnings(case)
    assert len(warnings) == 2 and warnings[0].startswith(changed) and warnings[1] == missing
    assert err[:2] == warnings  # before any progress or result


def test_verify_lines_say_each_thing_once(case, capsys):
    _damage(case)
    assert main(["verify", str(case / "incident.json")]) == 1
    lines = _lines(capsys.readouterr().out)
    assert lines[0] == "camA.mp4   ok          media/camA.mp4"
    assert lines[1].startswith("camB.mp4   CHANGED     media/camB.mp4: SHA-256 now ")
    assert lines[2] == (f"phone.wav  MISSING     media/phone.wav: no file at {case / 'media' / 'phone.wav'} "
                        "(source paths are relative to the project file's folder); if it was moved: "
                        f"timesync relink {case / 'incident.json'} --search DIR")
    for line in lines[:4]:
        words = line.split()
        assert words.count("CHANGED") + words.count("MISSING") <= 1
        assert sum(w.rstrip(":") == f"media/{words[0]}" for w in words) == 1, line


def test_a_copied_project_is_relinked_by_hash(case, tmp_path_factory, capsys):
    elsewhere = tmp_path_factory.mktemp("copied")
    shutil.copy(case / "incident.json", elsewhere / "incident.json")
    moved = elsewhere / "incident.json"
    assert main(["verify", str(moved)]) == 1
    out = capsys.readouterr().out
    assert out.count("MISSING") == 4 and str(elsewhere / "media" / "camA.mp4") in out
    assert main(["relink", str(moved), "--search", str(case)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == (
        f"relinked camA.mp4: media/camA.mp4 -> {Path('..') / case.name / 'media' / 'camA.mp4'}")
    data = json.loads(moved.read_text())
    assert all(s["path"] == f"../{case.name}/media/{s['name']}" for s in data["sources"])
    relinks = [h for h in data["history"] if h["action"] == "source_relinked"]
    assert [(h["target"], h["before"], h["after"]) for h in relinks][0] == (
        "camA.mp4", {"path": "media/camA.mp4"}, {"path": f"../{case.name}/media/camA.mp4"})
    assert len(relinks) == 4
    assert main(["verify", str(moved)]) == 0
    capsys.readouterr()
    before = moved.read_bytes()
    assert main(["relink", str(moved), "--search", str(case)]) == 0
    assert "nothing to relink" in capsys.readouterr().out
    assert moved.read_bytes() == before
    (elsewhere / "deeper").mkdir()
    shutil.copy(moved, elsewhere / "deeper" / "incident.json")  # its ../ paths now lead nowhere
    assert main(["verify", str(elsewhere / "deeper" / "incident.json")]) == 1
    out = capsys.readouterr().out
    assert f"no file at {elsewhere / case.name / 'media' / 'camA.mp4'} (" in out and "/../" not in out.split(": ", 1)[1]


def test_relink_hashes_only_files_of_the_recorded_size(case, capsys):
    search = case / "search"
    (search / "deep").mkdir(parents=True)
    size = (case / "media" / "phone.wav").stat().st_size
    shutil.move(case / "media" / "phone.wav", search / "deep" / "renamed.wav")
    (search / "phone.wav").write_bytes(b"\0" * size)  # same name and size, other content: not it
    (search / "small.bin").write_bytes(b"\0" * 10)
    (case / "media" / "camB.mp4").unlink()  # not under search: stays missing
    assert main(["relink", str(case / "incident.json"), "--search", str(search)]) == 1
    captured = capsys.readouterr()
    hashed = sorted(line for line in captured.err.splitlines() if line.startswith("timesync: hashing "))
    assert [h.split()[2] for h in hashed] == [str(search / "deep" / "renamed.wav"), str(search / "phone.wav")]
    assert captured.out.splitlines() == [
        "relinked phone.wav: media/phone.wav -> search/deep/renamed.wav",
        f"still missing camB.mp4: no file under {search} has its SHA-256 "
        f"({json.loads((case / 'incident.json').read_text())['sources'][1]['probe']['size_bytes']} bytes)",
    ]
    data = json.loads((case / "incident.json").read_text())
    assert data["sources"][2]["path"] == "search/deep/renamed.wav"


def test_relink_writes_nothing_when_nothing_is_found(case, capsys):
    (case / "media" / "camB.mp4").unlink()
    (case / "empty").mkdir()
    before = (case / "incident.json").read_bytes()
    assert main(["relink", str(case / "incident.json"), "--search", str(case / "empty")]) == 1
    captured = capsys.readouterr()
    assert "nothing relinked; incident.json is not written" in captured.err
    assert (case / "incident.json").read_bytes() == before
