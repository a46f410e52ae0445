"""Autosave writes a copy through the store's public ``save_copy``: the project itself is left as it was."""

from __future__ import annotations

import json

from timesync.project import Project
from timesync.project.store import dumps_project, save_copy


def test_save_copy_writes_the_json_and_leaves_the_project_unsaved(tmp_path):
    (tmp_path / "camA.mp4").write_bytes(b"x" * 100)
    project = Project(base_dir=tmp_path)
    project.add_source(tmp_path / "camA.mp4", probe={"duration_s": 3.0})
    project.add_annotation("vehicle", 1.5)
    saved_path = project.save(tmp_path / "incident.json")
    project.add_annotation("person down", 2.0)
    seen = []
    project.events.connect(seen.append)
    copy = save_copy(project, tmp_path / ".incident.json.autosave")
    assert copy.read_bytes() == dumps_project(project.to_dict())
    assert [e["type"] for e in json.loads(copy.read_text(encoding="utf-8"))["events"]] == ["vehicle", "person down"]
    assert project.is_dirty and project.path == saved_path and not seen  # no "saved", no "dirty_changed"
    assert [e["type"] for e in json.loads(saved_path.read_text(encoding="utf-8"))["events"]] == ["vehicle"]
    assert Project.from_dict(json.loads(copy.read_text(encoding="utf-8")), path=saved_path).to_dict() == project.to_dict()
