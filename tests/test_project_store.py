"""The project file: round trip, validation of bad input, migrations, atomic saves under SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from test_project_factory import fixed_clock

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project import Project
from timesync.project.schema import SCHEMA_VERSION, upgrade
from timesync.project.store import dumps_project


@pytest.fixture
def saved(tmp_path):
    media = tmp_path / "evidence"
    media.mkdir()
    for name in ("camA.mp4", "camB.mp4"):
        (media / name).write_bytes(name.encode() * 100)
    work = tmp_path / "work"
    work.mkdir()
    project = Project(base_dir=tmp_path, author="alice", now=fixed_clock())
    project.add_source(media / "camA.mp4", probe={"duration_s": 3.0}, role="body cam",
                       clock=ClockMap(0.0, 1.0, 0.0, "reference"))
    project.add_source(media / "camB.mp4", probe={"duration_s": 3.0}, role="fixed",
                       clock=ClockMap(63.10425, 0.999955, 0.0003, "audio"))
    project.set_reference("camA.mp4")
    project.add_annotation("shot fired", 101.3042, source="camB.mp4", note="über")
    project.add_annotation("vehicle", 5.0, 9.5)
    path = project.save(work / "incident.json")
    return project, path


def test_round_trip_is_exact_and_paths_are_relative(saved):
    project, path = saved
    data = json.loads(path.read_text())
    assert data["schema"] == f"timesync.project/{SCHEMA_VERSION}" == "timesync.project/1"
    assert [s["path"] for s in data["sources"]] == ["../evidence/camA.mp4", "../evidence/camB.mp4"]
    b = data["sources"][1]
    assert (b["offset_s"], b["rate"], b["uncertainty_s"], b["method"], b["aligned"]) == (
        63.10425, 0.999955, 0.0003, "audio", True)
    again = Project.load(path)
    assert again.to_dict() == project.to_dict()
    assert path.read_bytes() == dumps_project(again.to_dict())  # deterministic bytes
    assert again.resolve("camB.mp4") == project.resolve("camB.mp4")
    assert again.annotation("e1").note == "über"
    assert [s.hash_status for s in again.sources] == ["verified", "verified"]
    assert not again.is_dirty


def test_save_as_elsewhere_rebases_paths(saved, tmp_path):
    project, _ = saved
    (tmp_path / "deep" / "er").mkdir(parents=True)
    out = project.save(tmp_path / "deep" / "er" / "copy.json")
    data = json.loads(out.read_text())
    assert data["sources"][0]["path"] == "../../evidence/camA.mp4"
    assert Project.load(out).warnings == []


def test_sync_result_dict_becomes_a_project(tmp_path, monkeypatch):
    (tmp_path / "camA.mp4").write_bytes(b"a")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    result = {
        "schema": "timesync.project/1",
        "reference": "camA.mp4",
        "sources": [
            {"path": "camA.mp4", "sha256": None, "aligned": True, "offset_s": 0.0, "rate": 1.0,
             "uncertainty_s": 0.0, "method": "reference"},
            {"path": "camB.mp4", "sha256": None, "aligned": False, "offset_s": None, "reason": "no audio",
             "constraints": [], "future_key": {"kept": True}},
        ],
        "solver": {"residual_s": 0.0001},
    }
    project = Project.from_sync_result(result, project_path="out/incident.json")
    assert project.is_dirty and project.reference == "camA.mp4"
    assert [s.path for s in project.sources] == ["../camA.mp4", "../camB.mp4"]
    assert [s.name for s in project.sources] == ["camA.mp4", "camB.mp4"]
    assert project.clock("camB.mp4") is None and project.source("camB.mp4").reason == "no audio"
    project.save()
    data = json.loads((tmp_path / "out" / "incident.json").read_text())
    assert data["solver"] == {"residual_s": 0.0001}
    assert data["sources"][1]["future_key"] == {"kept": True}
    assert data["sources"][1]["offset_s"] is None and data["sources"][1]["aligned"] is False


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def _valid(saved):
    return json.loads(saved[1].read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["events"][1].update(shared_s="abc"), "incident.json: events[1].shared_s must be a number, got 'abc'"),
        (lambda d: d["events"][0].update(end_s=1.0), "incident.json: events[0].end_s must be null or >= shared_s"),
        (lambda d: d["events"][0].pop("type"), "incident.json: events[0].type must be text, got None"),
        (lambda d: d["events"].append(7), "incident.json: events[2] must be an object, got 7"),
        (lambda d: d.update(events={"a": 1}), "incident.json: events must be a list, got dict"),
        (lambda d: d["sources"][1].update(offset_s=None), "incident.json: sources[1].offset_s must be a number, got None"),
        (lambda d: d["sources"][1].update(rate=0), "incident.json: sources[1].rate must be a number > 0, got 0"),
        (lambda d: d["sources"][0].update(sha256="xyz"), "incident.json: sources[0].sha256 must be 64 hex digits"),
        (lambda d: d["sources"][0].update(role="drone"), "incident.json: sources[0].role must be one of"),
        (lambda d: d["sources"][0].update(aligned="yes"), "incident.json: sources[0].aligned must be true or false"),
        (lambda d: d["sources"][0].update(constraints=[1]), "incident.json: sources[0].constraints[0] must be an object"),
        (lambda d: d["history"][0].update(who=3), "incident.json: history[0].who must be text, got 3"),
        (lambda d: d.update(reference="nope.mp4"), "incident.json: the reference 'nope.mp4' is not one of the sources"),
        (lambda d: d.update(vocabulary=["ok", ""]), "incident.json: vocabulary[1] must be a non-empty text"),
        (lambda d: d["sources"][1].update(name="camA.mp4"), "incident.json: two sources are named 'camA.mp4'"),
        (lambda d: d["events"][0].update(id="e1"), "incident.json: two events have the id 'e1'"),
        (lambda d: d.update(schema="timesync.project/99"), "incident.json: schema timesync.project/99 is newer"),
        (lambda d: d.update(schema="otio.Timeline/1"), "incident.json: not a timesync project"),
        (lambda d: d.pop("schema"), "incident.json: not a timesync project"),
    ],
    ids=["event-time-text", "end-before-start", "missing-type", "event-not-object", "events-not-list",
         "aligned-without-offset", "zero-rate", "bad-sha", "bad-role", "aligned-text", "constraint-not-object",
         "history-who", "unknown-reference", "empty-type", "duplicate-source", "duplicate-id",
         "newer-schema", "foreign-schema", "no-schema"],
)
def test_bad_fields_are_named(saved, tmp_path, mutate, message):
    data = _valid(saved)
    mutate(data)
    path = _write(tmp_path / "incident.json", data)
    with pytest.raises(ProjectError) as info:
        Project.load(path)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    ["http://example.com/cam.mp4", "https://x/y.mp4", "concat:a.mp4|b.mp4", "pipe:0", "subfile,,start,0,end,9,,:a.mp4",
     "file:a.mp4", "data:video/mp4;base64,AAAA", "tcp://10.0.0.1:9", "rtmp://host/app", "HTTP://EXAMPLE.COM/A",
     "gopher+ssl:x", "crypto+file:a"],
)
def test_url_sources_are_refused_before_anything_is_touched(saved, tmp_path, url):
    data = _valid(saved)
    data["sources"][1]["path"] = url
    path = _write(tmp_path / "incident.json", data)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match=r"sources\[1\]\.path .* is a URL or protocol"):
        Project.load(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("path", ["C:\\cases\\cam.mp4", "c:/cases/cam.mp4", "./http:x.mp4", "/abs/cam.mp4", "cam,1.mp4x"])
def test_plain_paths_and_windows_drives_are_not_urls(path):
    from timesync.project import is_unsafe_path

    assert is_unsafe_path(path) is (path == "cam,1.mp4x")  # "name," is an FFmpeg protocol form


def test_truncated_and_non_json_files(saved, tmp_path):
    text = saved[1].read_text()
    bad = tmp_path / "incident.json"
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(ProjectError, match=r"incident.json: not valid JSON \(.* line \d+ column \d+\); truncated"):
        Project.load(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError, match="not UTF-8"):
        Project.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(ProjectError, match="a project must be a JSON object, got list"):
        Project.load(bad)
    with pytest.raises(ProjectError, match="nope.json: no such project file"):
        Project.load(tmp_path / "nope.json")


def test_migration_hook_upgrades_an_older_version():
    def v1_to_v2(data):
        for event in data["events"]:
            event["shared_s"] = event.pop("t")
        return data

    old = {"schema": "timesync.project/1", "events": [{"id": "e1", "t": 2.5}]}
    new = upgrade(old, "old.json", migrations={1: v1_to_v2}, current=2)
    assert new["schema"] == "timesync.project/2" and new["events"] == [{"id": "e1", "shared_s": 2.5}]
    with pytest.raises(ProjectError, match="old.json: no upgrade from schema timesync.project/0"):
        upgrade({"schema": "timesync.project/0"}, "old.json", migrations={1: v1_to_v2}, current=2)


def test_migration_registry_is_used_on_load(saved, tmp_path, monkeypatch):
    from timesync.project import schema

    data = _valid(saved)
    data["schema"] = "timesync.project/0"
    for event in data["events"]:
        event["time"] = event.pop("shared_s")
    calls = []

    def v0_to_v1(d):
        calls.append(d["schema"])
        for event in d["events"]:
            event["shared_s"] = event.pop("time")
        return d

    monkeypatch.setitem(schema.MIGRATIONS, 0, v0_to_v1)
    project = Project.load(_write(tmp_path / "old.json", data))
    assert calls == ["timesync.project/0"]
    assert [a.shared_s for a in project.annotations] == [5.0, 101.3042]


def test_failed_save_leaves_old_file_and_no_temp(saved, monkeypatch):
    project, path = saved
    before = path.read_bytes()
    project.add_annotation("other", 1.0)

    def boom(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        project.save()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["incident.json"]
    assert project.is_dirty


SAVER = textwrap.dedent(
    """
    import sys
    from timesync.project import Annotation, Project
    from timesync.project.store import atomic_write_bytes, dumps_project
    path = sys.argv[1]
    events = [Annotation(id=f"e{i + 1}", type="tick", shared_s=float(i), note="x" * 800) for i in range(1500)]
    project = Project(base_dir=".", author="loop", annotations=events, vocabulary=["tick"])
    payloads = []
    for generation in (1, 2):
        project.update_annotation("e1", note=f"generation {generation}")
        payloads.append(dumps_project(project.to_dict()))
    project.save(path)
    print("ready", flush=True)
    n = 0
    while True:  # what Project.save does, minus the serialisation: most time is spent writing
        atomic_write_bytes(path, payloads[n % 2])
        n += 1
        print(f"wrote {n}", flush=True)  # write n held generation (n - 1) % 2 + 1
    """
)


def test_kill_during_save_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "big.json"
    rng = random.Random(20261125)
    generations, interrupted = set(), 0
    # Two kills right after a whole write of each generation (so both are seen however slow the
    # disk is), then eight at random moments (some land in the middle of a write).
    for after_write in (1, 2, *[None] * 8):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            if after_write is None:
                time.sleep(rng.uniform(0.05, 0.4))
            else:
                while proc.stdout.readline().strip() != f"wrote {after_write}":
                    pass
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        project = Project.load(path, verify=False)  # raises if the file were broken
        assert len(project.annotations) == 1500
        generations.add(project.annotation("e1").note)
        temps = list(tmp_path.glob(".big.json.*.tmp"))
        interrupted += len(temps)
        for temp in temps:  # a kill in the middle of a write leaves its temporary file, never a broken project
            temp.unlink()
    assert path.stat().st_size > 1_000_000
    assert generations == {"generation 1", "generation 2"}
    assert interrupted >= 1  # at least one kill did land in the middle of writing


def test_save_removes_temporary_files_left_by_a_crash(saved):
    project, path = saved
    stale = path.parent / f".{path.name}.abc123.tmp"
    stale.write_text("half a proj")
    other = path.parent / ".other.json.abc.tmp"
    other.write_text("not ours")
    project.add_annotation("other", 1.0)
    project.save()
    assert not stale.exists() and other.exists()


def test_a_real_sync_result_round_trips(tmp_path, monkeypatch):
    """``SyncResult.to_dict()`` (timesync.sync) is accepted as is; its provenance is kept."""
    from media_factory import make_video

    from timesync.align.constraints import Constraint
    from timesync.sync import SourceResult, SyncResult

    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "a.mp4", n_frames=10)
    make_video(tmp_path / "b.mp4", n_frames=10)
    c = Constraint("b.mp4", "a.mp4", 1.25, 0.001, "audio", score=12.0)
    result = SyncResult(
        reference="a.mp4",
        sources=[
            SourceResult("a.mp4", None, True, ClockMap(0.0, 1.0, 0.0, "reference")),
            SourceResult("b.mp4", None, True, ClockMap(1.25, 1.0, 0.001, "audio"), constraints=[c],
                         notes={"overlay": "no readable clock overlay"}),
            SourceResult("c.mp4", None, False, reason="no shared audio"),
        ],
        aligners={"audio": "ok"},
    )
    (tmp_path / "case").mkdir()
    project = Project.from_sync_result(result, project_path="case/incident.json")
    assert [s.path for s in project.sources] == ["../a.mp4", "../b.mp4", "../c.mp4"]
    assert project.clock("b.mp4").offset_s == 1.25 and project.clock("c.mp4") is None
    assert project.source("b.mp4").constraints[0]["with"] == "a.mp4"
    assert project.source("a.mp4").probe["video"]["frame_count"] == 10  # probed: sync does not say
    project.save()
    again = Project.load(tmp_path / "case" / "incident.json")
    assert again.extra["provenance"]["aligners"] == {"audio": "ok"}
    assert again.source("b.mp4").extra["notes"] == {"overlay": "no readable clock overlay"}
    assert [s.hash_status for s in again.sources] == ["unverified", "unverified", "missing"]


def test_any_annotations_round_trip_exactly(tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    times = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
    texts = st.text(max_size=40)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(times, st.one_of(st.none(), st.floats(0, 1e3)), texts, texts), max_size=8))
    def check(items):
        project = Project(base_dir=tmp_path, author="h", now=fixed_clock())
        for start, length, note, author in items:
            end = None if length is None else start + length
            project.add_annotation("other", start, end, note=note, author=author or None)
        path = project.save(tmp_path / "h.json")
        again = Project.load(path, verify=False)
        assert again.annotations == project.annotations
        assert again.history == project.history

    check()


def test_a_file_name_that_looks_like_a_protocol_is_stored_safely(tmp_path):
    (tmp_path / "cam,1.mp4").write_bytes(b"x")
    project = Project(base_dir=tmp_path, author="a")
    source = project.add_source(tmp_path / "cam,1.mp4", probe=False)
    assert source.path == "./cam,1.mp4" and source.name == "cam,1.mp4"
    path = project.save(tmp_path / "p.json")
    assert Project.load(path).source("cam,1.mp4").hash_status == "verified"
