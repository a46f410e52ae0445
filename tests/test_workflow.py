"""timesync.workflow: one home for aligning a project (sync with anchors, then adopt), and clock findings."""

from __future__ import annotations

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.align.anchors import Anchor
from timesync.project import Project
from timesync.workflow import adopt, align_project, alignment_request, fresh_project

incident_media = test_project_factory.incident_media  # the session fixture


def test_a_project_is_aligned_with_its_anchors_in_one_solve(tmp_path, incident_media):
    """The anchors go into the sync's solve (``sync(anchors=)``): camB, which the clips'
    evidence cannot place, is placed by the anchor, and no second solve is recorded."""
    project = build_incident(tmp_path, incident_media)
    project.extra["anchors"] = [Anchor("camA.mp4", 1.7, "camB.mp4", 0.5).to_dict()]
    alignment = align_project(project, methods=["audio"])
    assert not alignment.new_project and alignment.project is project
    assert alignment.result.parameters["anchors"] == 1
    clock = project.clock("camB.mp4")
    assert clock is not None and clock.method == "manual"
    assert clock.offset_s == pytest.approx(1.2, abs=1e-9)  # shared = 1.2 + t_camB
    b = project.source("camB.mp4")
    assert [c["kind"] for c in b.constraints] == ["manual"]
    assert {h.action for h in project.history[-len(alignment.changed) - 1:]} == {"alignment_applied"}


def test_the_request_names_the_anchors_by_the_files_synced(tmp_path, incident_media):
    project = build_incident(tmp_path, incident_media)
    project.extra["anchors"] = [Anchor("camB.mp4", 0.5, "camA.mp4", 1.7, 0.01).to_dict(),
                                Anchor("camA.mp4", 1.0, "gone.mp4", 2.0).to_dict()]  # a removed source
    request = alignment_request(project)
    assert request.paths == tuple(str(project.resolve(s.name)) for s in project.sources)
    assert request.reference == str(project.resolve("camA.mp4"))
    (anchor,) = request.anchors
    assert (anchor.source, anchor.other, anchor.kind) == (str(project.resolve("camB.mp4")),
                                                          str(project.resolve("camA.mp4")), "manual")
    assert anchor.offset_s == pytest.approx(1.2) and anchor.uncertainty_s == pytest.approx(0.01)


def test_a_set_up_project_becomes_a_new_one_keeping_roles_and_path(tmp_path, incident_media):
    media = tmp_path / "media"
    build_incident(tmp_path / "old", incident_media)  # only to get the media
    (tmp_path / "old" / "media").rename(media)
    project = Project(path=tmp_path / "incident.json")
    project.add_source(media / "camA.mp4", role="body cam")
    project.add_source(media / "camB.mp4")
    project.set_reference("camA.mp4")
    request = alignment_request(project)
    result = request.run(methods=["audio"])
    fresh = fresh_project(project, result)
    assert fresh is not None and fresh is not project and fresh.path == project.path
    assert [s.role for s in fresh.sources] == ["body cam", "other"]
    alignment = adopt(project, result)
    assert alignment.new_project and alignment.changed == [s.name for s in alignment.project.sources]


@pytest.mark.parametrize("extra", ["annotation", "anchor"])
def test_a_project_with_work_in_it_is_changed_not_replaced(tmp_path, incident_media, extra):
    project = build_incident(tmp_path, incident_media)
    fresh_data = project.to_dict()
    bare = Project.from_dict({k: v for k, v in fresh_data.items() if k not in ("events", "history")},
                             path=tmp_path / "incident.json")
    assert fresh_project(bare, fresh_data) is not None  # only set-up: replaced
    if extra == "annotation":
        bare.add_annotation("shot fired", 0.5)
    else:
        bare.extra["anchors"] = [Anchor("camA.mp4", 1.7, "camB.mp4", 0.5).to_dict()]
    assert fresh_project(bare, fresh_data) is None


def test_the_request_leaves_out_an_anchor_its_pair_rules_out(tmp_path, incident_media):
    project = build_incident(tmp_path, incident_media)
    project.extra["anchors"] = [Anchor("camA.mp4", 1.7, "camB.mp4", 0.5).to_dict(),
                                Anchor("camA.mp4", 2.7, "camB.mp4", 0.2).to_dict()]  # reversed order: ruled out
    (anchor,) = alignment_request(project).anchors
    assert anchor.offset_s == pytest.approx(-1.2) and anchor.rate == 1.0
