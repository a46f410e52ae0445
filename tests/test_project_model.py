"""The evented Project model, without Qt: events once, history, undo helpers, validation."""

from __future__ import annotations

import pytest
from test_project_factory import fixed_clock

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project import DEFAULT_EVENT_TYPES, ChangeEvent, Project, Source


@pytest.fixture
def project(tmp_path):
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(name.encode() * 10)
    p = Project(base_dir=tmp_path, author="alice", now=fixed_clock())
    p.add_source(tmp_path / "a.mp4", probe=False, clock=ClockMap(0, 1, 0, "reference"))
    p.add_source(tmp_path / "b.mp4", probe=False, role="phone")
    p.set_reference("a.mp4")
    return p


@pytest.fixture
def seen(project):
    events: list[ChangeEvent] = []
    project.events.connect(events.append)
    return events


def kinds(events):
    return [(e.kind, e.target) for e in events]


def test_no_qt_and_default_vocabulary(project):
    import subprocess
    import sys

    code = ("import sys, timesync.project, timesync.export, timesync.project.store; "
            "print(any(m.startswith(('PySide6', 'PyQt')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert project.vocabulary == DEFAULT_EVENT_TYPES
    assert len(DEFAULT_EVENT_TYPES) == 8


def test_add_annotation_emits_once_and_records_history(project, seen):
    before = len(project.history)
    ann = project.add_annotation("shot fired", 12.5, source="b.mp4", note="pop")
    assert ann.id == "e1" and ann.author == "alice" and ann.created == ann.modified
    assert ann.created.endswith("Z")
    assert kinds(seen) == [("annotation_added", "e1")]  # already dirty: no dirty_changed
    assert seen[0].before is None and seen[0].after == ann
    entry = project.history[-1]
    assert len(project.history) == before + 1
    assert (entry.who, entry.action, entry.target, entry.before) == ("alice", "annotation_added", "e1", None)
    assert entry.after["shared_s"] == 12.5 and entry.after["source"] == "b.mp4"


def test_update_only_when_a_value_differs(project, seen):
    ann = project.add_annotation("warning", 3.0)
    seen.clear()
    n = len(project.history)
    assert project.update_annotation(ann.id, shared_s=3.0, note="") is ann
    assert seen == [] and len(project.history) == n
    new = project.update_annotation(ann.id, shared_s=3.25, author="bob")
    assert kinds(seen) == [("annotation_changed", ann.id)]
    assert seen[0].before.shared_s == 3.0 and seen[0].after.shared_s == 3.25
    assert new.created == ann.created and new.modified > ann.modified
    assert new.author == "alice"  # the annotation's author is kept; bob is in the history
    assert project.history[-1].who == "bob"
    assert project.history[-1].before["shared_s"] == 3.0 and project.history[-1].after["shared_s"] == 3.25


def test_remove_and_restore_keep_the_id(project, seen):
    a = project.add_annotation("warning", 1.0)
    b = project.add_annotation("vehicle", 2.0, 4.0)
    removed = project.remove_annotation(a.id)
    assert removed == a and [x.id for x in project.annotations] == [b.id]
    c = project.add_annotation("other", 0.5)
    assert c.id == "e3"  # ids are never reused
    project.restore_annotation(removed)
    assert [x.id for x in project.annotations] == ["e3", "e1", "e2"]  # sorted by time
    assert project.annotation("e1") == a
    assert [h.action for h in project.history[-4:]] == [
        "annotation_added", "annotation_removed", "annotation_added", "annotation_restored"]
    assert kinds(seen)[-2:] == [("annotation_added", "e3"), ("annotation_added", "e1")]
    with pytest.raises(ProjectError, match="already exists"):
        project.restore_annotation(removed)


def test_ids_continue_after_reload_even_when_the_last_was_removed(project, tmp_path):
    project.add_annotation("warning", 1.0)
    e2 = project.add_annotation("warning", 2.0)
    project.remove_annotation(e2.id)
    project.save(tmp_path / "p.json")
    again = Project.load(tmp_path / "p.json", verify=False)
    assert again.add_annotation("warning", 3.0).id == "e3"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "explosion", "shared_s": 1.0}, "unknown event type 'explosion'"),
        ({"type": "warning", "shared_s": float("nan")}, "finite number"),
        ({"type": "warning", "shared_s": "1.0"}, "finite number"),
        ({"type": "warning", "shared_s": 2.0, "end_s": 1.0}, "before its start"),
        ({"type": "warning", "shared_s": 2.0, "source": "nope.mp4"}, "no source named 'nope.mp4'"),
    ],
    ids=["unknown-type", "nan", "string-time", "end-before-start", "unknown-source"],
)
def test_add_annotation_rejects_bad_values(project, seen, kwargs, message):
    n = len(project.history)
    with pytest.raises(ProjectError, match=message):
        project.add_annotation(**kwargs)
    assert seen == [] and len(project.history) == n and project.annotations == ()


def test_clock_edit_records_before_after_and_undoes(project, seen):
    old = project.clock("a.mp4")
    assert project.clock("b.mp4") is None
    project.set_source_clock("b.mp4", ClockMap(63.1, 1.00001, 0.0003), author="carol")
    clock = project.clock("b.mp4")
    assert clock.method == "manual" and clock.offset_s == 63.1
    assert kinds(seen) == [("clock_changed", "b.mp4")]
    assert seen[0].before is None and seen[0].after == clock
    entry = project.history[-1]
    assert (entry.who, entry.action, entry.before) == ("carol", "clock_changed", None)
    assert entry.after == {"offset_s": 63.1, "rate": 1.00001, "uncertainty_s": 0.0003, "method": "manual"}
    # the same again: nothing
    project.set_source_clock("b.mp4", ClockMap(63.1, 1.00001, 0.0003))
    assert len(seen) == 1
    # undo: back to not aligned
    project.set_source_clock("b.mp4", None, reason="undo")
    assert project.clock("b.mp4") is None and project.source("b.mp4").reason == "undo"
    # method=None keeps the clock's own method (what an undo of an automatic result needs)
    project.set_source_clock("a.mp4", ClockMap(0.5, 1, 0.1, "audio"), method=None)
    project.set_source_clock("a.mp4", old, method=None)
    assert project.clock("a.mp4") == old and project.clock("a.mp4").method == "reference"


def test_role_rename_and_vocabulary(project, seen):
    project.add_annotation("warning", 1.0, source="b.mp4")
    project.set_source_role("b.mp4", "phone")  # unchanged
    assert seen[-1].kind == "annotation_added"
    project.set_source_role("b.mp4", "aerial")
    assert project.source("b.mp4").role == "aerial" and seen[-1].kind == "source_changed"
    with pytest.raises(ProjectError, match="role must be one of"):
        project.set_source_role("b.mp4", "satellite")
    project.rename_source("a.mp4", "Officer A")
    project.rename_source("b.mp4", "Helicopter")
    assert project.reference == "Officer A"
    assert project.annotation("e1").source == "Helicopter"
    assert project.source("b.mp4").name == "Helicopter"  # still found by its path
    assert project.history[-1].action == "source_renamed"
    assert project.history[-1].before == {"name": "b.mp4"}
    assert project.add_event_type("  taser   deployed ") == "taser deployed"
    assert project.vocabulary[-1] == "taser deployed"
    n = len(seen)
    project.add_event_type("taser deployed")
    assert len(seen) == n
    with pytest.raises(ProjectError, match="used by e1"):
        project.remove_event_type("warning")
    project.remove_event_type("taser deployed")
    assert "taser deployed" not in project.vocabulary


def test_remove_and_restore_source(project, seen):
    with pytest.raises(ProjectError, match="is the reference"):
        project.remove_source("a.mp4")
    index, source = project.remove_source("b.mp4")
    assert index == 1 and isinstance(source, Source) and not project.has_source("b.mp4")
    project.restore_source(source, index=index)
    assert project.sources[1] == source
    assert kinds(seen) == [("source_removed", "b.mp4"), ("source_added", "b.mp4")]


def test_add_source_refuses_urls_missing_and_duplicates(project, tmp_path):
    for bad in ("http://example.com/a.mp4", "concat:a.mp4|b.mp4", "subfile,,start,0,end,0,,:a.mp4",
                "pipe:0", "data:video/mp4;base64,AAAA", "tcp://1.2.3.4:5"):
        with pytest.raises(ProjectError, match="URL or protocol"):
            project.add_source(bad, probe=False)
    with pytest.raises(ProjectError, match="no such file"):
        project.add_source(tmp_path / "missing.mp4", probe=False)
    with pytest.raises(ProjectError, match="already a source"):
        project.add_source(tmp_path / "a.mp4", probe=False)
    other = tmp_path / "sub"
    other.mkdir()
    (other / "a.mp4").write_bytes(b"different")
    assert project.add_source(other / "a.mp4", probe=False).name == "a.mp4 (2)"


def test_dirty_and_saved_events(project, seen, tmp_path):
    assert project.is_dirty
    project.save(tmp_path / "p.json")
    assert not project.is_dirty
    assert kinds(seen)[-2:] == [("saved", "project"), ("dirty_changed", "project")]
    assert seen[-1].before is True and seen[-1].after is False
    seen.clear()
    project.add_annotation("other", 1.0)
    assert kinds(seen) == [("annotation_added", "e1"), ("dirty_changed", "project")]


def test_a_failing_listener_does_not_stop_the_others(project):
    heard = []

    def broken(event):
        raise RuntimeError("view bug")

    project.events.connect(broken)
    project.events.connect(heard.append)
    with pytest.raises(RuntimeError, match="view bug"):
        project.add_annotation("other", 1.0)
    assert [e.kind for e in heard] == ["annotation_added"]
    assert len(project.annotations) == 1  # the change itself was applied and recorded
    project.events.disconnect(broken)
    project.add_annotation("other", 2.0)
    assert len(heard) == 2


def test_annotation_locates_itself_in_each_source(tmp_path):
    from media_factory import make_video

    from timesync.media import FrameIndex

    make_video(tmp_path / "v.mp4", n_frames=30, fps=25)
    p = Project(base_dir=tmp_path, author="a")
    src = p.add_source(tmp_path / "v.mp4", clock=ClockMap(10.0, 1.0, 0.001, "audio"))
    index = FrameIndex.open(tmp_path / "v.mp4")
    inside = p.add_annotation("warning", 10.5, 11.01)
    where = inside.locate(src, index)
    assert (where.status, where.frame, where.local_s) == ("recording", 12, 0.5)
    assert where.text() == "0:00:00.500 frame 12"
    assert inside.locate(src, index, at_end=True).frame == 25
    before = p.add_annotation("warning", 9.99).locate(src, index)
    assert (before.status, before.frame, before.text()) == ("not recording", None, "not recording")
    assert abs(before.local_s + 0.01) < 1e-9
    after = p.add_annotation("warning", 11.2).locate(src, index)  # 30 frames at 25 fps end at local 1.2
    assert after.status == "not recording"
    p.set_source_clock(src.name, None)
    assert p.annotation("e1").locate(p.source(src.name), index).status == "not aligned"


def _alignment(tmp_path, offset_s: float, kind: str, version: str) -> dict:
    """A sync result's dict for a.mp4 (reference) and b.mp4 at ``offset_s``, placed by ``kind``."""
    constraint = {"kind": kind, "other": str(tmp_path / "a.mp4"), "offset_s": offset_s,
                  "uncertainty_s": 0.001, "rate": 1.0}
    return {
        "sources": [
            {"path": str(tmp_path / "a.mp4"), "aligned": True, "offset_s": 0.0, "rate": 1.0,
             "uncertainty_s": 0.0, "method": "reference", "constraints": []},
            {"path": str(tmp_path / "b.mp4"), "aligned": True, "offset_s": offset_s, "rate": 1.00002,
             "uncertainty_s": 0.001, "method": kind, "constraints": [constraint],
             "overlay_clock": {"at_local_zero": "2024-05-17T21:02:33Z", "rate": 1.0}},
        ],
        "provenance": {"timesync_version": version, "aligners": {kind: "ran"}},
    }


def test_apply_alignment_replaces_clock_evidence_and_provenance_and_undoes(project, seen, tmp_path):
    note = project.add_annotation(type="shot fired", shared_s=3.0)
    project.apply_alignment(_alignment(tmp_path, 7.25, "audio", "0.1.0"))
    before = project.to_dict()
    del seen[:]
    changed = project.apply_alignment(_alignment(tmp_path, 7.5, "visual", "0.2.0"))
    b = project.source("b.mp4")
    assert changed == ["b.mp4"]
    assert b.clock == ClockMap(7.5, 1.00002, 0.001, "visual")
    assert [c["kind"] for c in b.constraints] == ["visual"]  # the evidence behind the new clock
    assert b.overlay_clock["at_local_zero"] == "2024-05-17T21:02:33Z"
    assert b.role == "phone" and project.annotation(note.id) == note  # everything else kept
    assert project.extra["provenance"]["timesync_version"] == "0.2.0"
    assert [k for k in kinds(seen) if k[0] != "dirty_changed"] == [
        ("clock_changed", "b.mp4"), ("provenance_changed", "project")]
    entry = [h for h in project.history if h.action == "alignment_applied"][-2]
    assert entry.target == "b.mp4" and entry.before["methods"] == ["audio"] and entry.after["methods"] == ["visual"]
    project.apply_alignment(before)  # what an undo does
    assert project.source("b.mp4").clock == ClockMap(7.25, 1.00002, 0.001, "audio")
    assert [c["kind"] for c in project.source("b.mp4").constraints] == ["audio"]
    assert project.extra["provenance"]["timesync_version"] == "0.1.0"
    assert project.apply_alignment(before) == []  # nothing differs: nothing recorded


def test_apply_alignment_marks_unaligned_sources_and_refuses_garbage(project, tmp_path):
    data = _alignment(tmp_path, 7.5, "audio", "0.2.0")
    data["sources"][1] = {"path": str(tmp_path / "b.mp4"), "aligned": False, "offset_s": None,
                          "reason": "no reliable audio match", "constraints": []}
    project.apply_alignment(data)
    assert project.source("b.mp4").clock is None
    assert project.source("b.mp4").reason == "no reliable audio match"
    with pytest.raises(ProjectError, match="sources"):
        project.apply_alignment({"sources": "none"})


def test_apply_alignment_keeps_a_manual_placement_it_cannot_replace(project, tmp_path):
    project.set_source_clock("b.mp4", ClockMap(3.0, 1.0, 0.04))  # placed by hand
    data = _alignment(tmp_path, 7.5, "audio", "0.2.0")
    data["sources"][1] = {"path": str(tmp_path / "b.mp4"), "aligned": False, "offset_s": None,
                          "reason": "no evidence links it to the reference", "constraints": []}
    assert project.apply_alignment(data) == []
    assert project.source("b.mp4").clock == ClockMap(3.0, 1.0, 0.04, "manual")
    assert project.apply_alignment(_alignment(tmp_path, 7.5, "audio", "0.2.0")) == ["b.mp4"]
    assert project.source("b.mp4").clock.method == "audio"  # evidence replaces it
