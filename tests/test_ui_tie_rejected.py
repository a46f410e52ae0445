"""A rejected suggestion stays rejected after a re-alignment (issue 19, item 4).

The case: two silent 10 s videos whose creation_time tags are 5 s apart and
nothing else (no sound, no flashes, no burned-in clock): alignment places
``b`` by device clocks only (method "... unverified", one sigma 1 h), a
suggestion. The reviewer rejects it; aligning again (Ctrl+R's action, the real
aligners) suggests the very same placement, which stays rejected: ``b`` is not
placed and nothing is offered. Undo of the rejection brings the suggestion
back. A clearly different placement (another reading of the clocks) is offered.
"""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest
from media_factory import make_video
from test_project_factory import fixed_clock

from timesync.align.device_clocks import UNVERIFIED
from timesync.clock import IDENTITY, ClockMap
from timesync.project import Project
from timesync.project.rejections import REJECTED_KEY, SAME_OFFSET_S
from timesync.workflow import align_project, resolve
from ui.suggest import suggestions

pytest_plugins = ("conftest_ui",)

TAGS = {"a.mp4": "2024-05-17T21:02:33.000000Z", "b.mp4": "2024-05-17T21:02:38.000000Z"}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """The two tagged videos aligned (b placed by device clocks only), as a saved project's folder."""
    folder = tmp_path_factory.mktemp("rejected")
    (folder / "media").mkdir()
    paths = [make_video(folder / "media" / name, n_frames=50, fps=Fraction(5), size=(64, 48),
                        metadata={"creation_time": tag}) for name, tag in TAGS.items()]
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(paths[0], clock=IDENTITY)
    project.set_reference("a.mp4")
    project.add_source(paths[1], reason="not aligned yet")
    project.save(folder / "case.json")
    aligned = align_project(project)
    aligned.project.save(folder / "case.json")
    assert '"media/b.mp4"' in (folder / "case.json").read_text()  # relative: the folder can be copied
    return folder


@pytest.fixture
def case(tmp_path, tagged):
    shutil.copytree(tagged, tmp_path / "case")
    return tmp_path / "case" / "case.json"


def _realign(qtbot, window) -> None:
    """Run alignment from the window's action (Ctrl+R) and wait for its result."""
    with qtbot.waitSignal(window.jobFinished, timeout=120000, check_params_cb=lambda kind, _r: kind == "align"):
        window.act_align.trigger()


def test_a_rejected_placement_stays_rejected_after_a_realignment_and_undo_brings_it_back(
        qtbot, wait_frames, window, case):
    assert window.open_project(case)
    wait_frames(window, timeout=15000)
    b = next(s.name for s in window.project.sources if s.name.endswith("b.mp4"))
    suggested = window.project.clock(b)
    assert UNVERIFIED in suggested.method and suggested.offset_s == pytest.approx(5.0)
    assert list(window.timeline.suggested) == [b]
    window.timeline.select_source(b)
    window.placement.suggest.decide(accept=False)
    assert window.project.clock(b) is None and window.timeline.suggested == {}
    assert "an alignment that suggests it again leaves it so" in window.messages.messages[-1].text
    (record,) = window.project.source(b).extra[REJECTED_KEY]  # project data, saved with the project
    assert record["offset_s"] == pytest.approx(5.0) and record["by"] == window.project.author
    assert [h.action for h in window.project.history][-2:] == ["suggestion_rejected", "clock_changed"]

    _realign(qtbot, window)  # the aligners suggest the same placement again
    source = window.project.source(b)
    assert source.clock is None, [m.text for m in window.messages.messages]
    assert "rejected its placement by device clocks only" in source.reason and "suggested again" in source.reason
    assert window.placement.suggest.current == {} and window.timeline.suggested == {}  # not offered again
    assert window.grid.view_for(b).free  # not placed: it plays on its own clock
    assert "metadata" in {c["kind"] for c in source.constraints}  # the evidence is kept, the decision too

    window.undo.undo()  # the re-alignment
    window.undo.undo()  # the rejection
    source = window.project.source(b)
    assert source.clock == suggested and UNVERIFIED in source.clock.method
    assert REJECTED_KEY not in source.extra and list(window.timeline.suggested) == [b]  # offered again
    assert window.project.history[-2].action == "suggestion_rejection_withdrawn"
    _realign(qtbot, window)  # the rejection taken back: the placement is a suggestion again
    assert UNVERIFIED in window.project.clock(b).method and list(window.timeline.suggested) == [b]


def _unverified(offset_s: float) -> dict:
    return {"offset_s": offset_s, "rate": 1.0, "uncertainty_s": 3600.0, "method": f"metadata ({UNVERIFIED})"}


def _alignment(project: Project, name: str, offset_s: float) -> dict:
    """A sync result's dict placing ``name`` by device clocks only at ``offset_s`` (the others unchanged)."""
    entry = {"path": str(project.resolve(name)), "aligned": True, "reason": UNVERIFIED, **_unverified(offset_s)}
    return {"sources": [entry]}


def test_the_same_suggestion_stays_rejected_a_clearly_different_one_is_offered(tmp_path, tagged):
    project = Project.load(tagged / "case.json")
    b = next(s.name for s in project.sources if s.name.endswith("b.mp4"))
    project.reject_suggestion(b)
    resolve(project)  # a re-solve (a tie anywhere) from the stored constraints: still not placed
    assert project.clock(b) is None and "metadata" in {c["kind"] for c in project.source(b).constraints}
    project.save(tmp_path / "saved.json")
    project = Project.load(tmp_path / "saved.json")  # the rejection is in the file
    project.apply_alignment(_alignment(project, b, 5.0 + 0.4 * SAME_OFFSET_S))  # the same reading again
    assert project.clock(b) is None and suggestions(project) == {}
    project.apply_alignment(_alignment(project, b, 5.0 + 3600.0))  # another reading (a zone an hour off)
    assert project.clock(b).offset_s == 3605.0 and list(suggestions(project)) == [b]
    assert len(project.source(b).extra[REJECTED_KEY]) == 1  # the first rejection stays on record
    project.reject_suggestion(b)
    assert len(project.source(b).extra[REJECTED_KEY]) == 2 and project.clock(b) is None


def test_only_a_placement_by_device_clocks_only_can_be_rejected(tmp_path, tagged):
    from timesync.errors import ProjectError

    project = Project.load(tagged / "case.json")
    b = next(s.name for s in project.sources if s.name.endswith("b.mp4"))
    project.set_source_clock(b, ClockMap(5.0, 1.0, 0.04))  # placed by hand: nothing to reject
    with pytest.raises(ProjectError, match="not placed by device clocks only"):
        project.reject_suggestion(b)
