"""A rough placement by hand narrows the aligners' searches, like creation_time tags (issue 19, 3b).

The case (:func:`test_align_metadata._looped_pair`): two 60 s recordings of one 20 s
sound loop, ``b`` starting 5 s after ``a`` (truth: ``t_a = 5 + t_b``), without tags.
Over all offsets the loop fits three (-15, +5, +25 s): the audio search refuses the
pair, so ``b`` is not placed. A reviewer drags ``b`` roughly near the truth (its
clock of method "manual, rough", one sigma 2 s here: the narrowed range then holds
one repetition only); aligning again searches that pair near the rough position and
places ``b`` within a millisecond of the truth. A rough position one loop off does
not pick the repetition the sound fits worse, and the rough placement is kept.

The flash aligner is narrowed the same way: a light bar's five-flash pattern
repeating every 20 s, seen by two silent videos (:func:`light_bar`), fits
several offsets and is refused; a rough position places the source by its
flashes, the window searched is the rough position's, and a rough position one
repetition off places nothing.
"""

from __future__ import annotations

import pytest
from test_align_metadata import _looped_pair
from test_project_factory import fixed_clock

from timesync.align.audio import refused_candidate
from timesync.align.metadata import ROUGH_NARROWING
from timesync.clock import IDENTITY, ClockMap
from timesync.errors import ProjectError
from timesync.project import Project
from timesync.workflow import ROUGH_METHOD, align_project, alignment_request

TRUE_OFFSET_S = 5.0  # shared (= a's local) of b's local 0


@pytest.fixture(scope="module")
def looped(tmp_path_factory):
    return _looped_pair(tmp_path_factory.mktemp("rough") / "media", "", "")


def _project(folder, paths, rough_at_s: float | None) -> Project:
    """``a`` placed (the reference); ``b`` placed roughly at shared ``rough_at_s`` (or not at all)."""
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(paths[0], clock=IDENTITY)
    project.set_reference("a.mp4")
    project.add_source(paths[1], reason="not aligned yet")
    if rough_at_s is not None:
        project.set_source_clock("b.mp4", ClockMap(rough_at_s, 1.0, 2.0, ROUGH_METHOD), method=None)
    return project


def test_unplaced_source_records_the_refused_candidate(looped, tmp_path):
    """Without a rough position the pair is refused, and b's audio note names the refused
    best candidate (the highest peak over all offsets: the truth here) with its score."""
    alignment = align_project(_project(tmp_path, looped, None), methods=["audio"])
    b = next(s for s in alignment.project.sources if s.name.endswith("b.mp4"))
    assert b.clock is None and "ambiguous" in b.reason
    other, clock, score = refused_candidate(b.extra["notes"]["audio"])
    assert other.endswith("a.mp4") and score > 0
    assert clock.to_shared(0.0) == pytest.approx(TRUE_OFFSET_S, abs=0.05)  # a's local at b's local 0
    assert clock.rate == pytest.approx(1.0, abs=1e-3)


def test_rough_position_narrows_the_search(looped, tmp_path):
    project = _project(tmp_path, looped, TRUE_OFFSET_S + 1.5)
    request = alignment_request(project)
    assert request.rough == (str(project.resolve("b.mp4")),)
    alignment = align_project(project, methods=["audio"])
    assert not alignment.new_project
    clock = project.clock("b.mp4")
    assert clock.method == "audio"
    assert clock.to_shared(0.0) == pytest.approx(TRUE_OFFSET_S, abs=1e-3)
    a_path, b_path = (str(project.resolve(n)) for n in ("a.mp4", "b.mp4"))
    verdict = alignment.result.source(b_path).findings["audio_pairs"][a_path]
    assert f"the offsets the {ROUGH_NARROWING} allows" in verdict
    assert project.history[-1].action == "alignment_applied"  # in the record, undoable by the app


def test_rough_position_one_loop_off_picks_nothing_and_is_kept(looped, tmp_path):
    """A rough position 20 s off points at a repetition with less overlap (a lower peak):
    the search stays refused, and the reviewer's rough placement stays (not dropped)."""
    project = _project(tmp_path, looped, TRUE_OFFSET_S + 20.0)
    align_project(project, methods=["audio"])
    clock = project.clock("b.mp4")
    assert clock is not None and clock.method == ROUGH_METHOD
    assert clock.offset_s == pytest.approx(TRUE_OFFSET_S + 20.0)
    assert "refused best candidate" in project.source("b.mp4").extra["notes"]["audio"]


def test_rough_search_without_the_rough_tag_is_plain(looped, tmp_path):
    """The narrowing is the rough placement's only: ``near`` naming no rough source is refused
    in one sentence, and ``near=[]`` narrows nothing."""
    project = _project(tmp_path, looped, TRUE_OFFSET_S + 1.5)
    with pytest.raises(ProjectError, match="a.mp4 is not placed roughly by hand"):
        alignment_request(project, near=["a.mp4"])
    assert alignment_request(project, near=[]).rough == ()
    assert alignment_request(project, near=["b.mp4"]).rough == (str(project.resolve("b.mp4")),)


def test_an_accepted_placement_by_device_clocks_stands(looped, tmp_path):
    """The reviewer accepted b's placement by device clocks (the app's suggestion): a re-solve
    (a tie elsewhere) or a re-alignment that suggests the same placement keeps the decision;
    a different placement is a new suggestion (taken, unverified again)."""
    from timesync.align.device_clocks import UNVERIFIED
    from timesync.project.alignment_edits import ACCEPTED_METHOD
    from timesync.workflow import resolve

    project = _project(tmp_path, looped, None)
    a, b = (s.name for s in project.sources)

    def result(offset_s: float) -> dict:
        return {"sources": [{"path": str(project.resolve(b)), "aligned": True, "offset_s": offset_s, "rate": 1.0,
                             "uncertainty_s": 900.0, "method": f"metadata ({UNVERIFIED})",
                             "constraints": [{"with": a, "offset_s": offset_s, "uncertainty_s": 900.0,
                                              "kind": "metadata", "rate": 1.0}]}]}

    project.apply_alignment(result(3.0))
    resolve(project)
    suggested = project.clock(b)
    assert UNVERIFIED in suggested.method and suggested.to_shared(0.0) == pytest.approx(3.0)
    project.set_source_clock(b, suggested, method=ACCEPTED_METHOD)
    entries = len(project.history)
    resolve(project)
    project.apply_alignment({"sources": [{**result(3.0)["sources"][0], "offset_s": suggested.offset_s,
                                          "rate": suggested.rate}]})
    assert project.clock(b).method == ACCEPTED_METHOD and len(project.history) == entries
    project.apply_alignment(result(4.0))
    assert UNVERIFIED in project.clock(b).method and project.clock(b).offset_s == 4.0


#: A light bar's five flashes (local s of the first video), repeating every 20 s, four times.
BAR = [20.0 * k + t for k in range(4) for t in (0.3, 1.1, 1.75, 2.9, 4.2)]
#: The second video starts 5 s before the first: shared (= the first's local) at its local 0.
BAR_OFFSET_S = -5.0


@pytest.fixture(scope="module")
def light_bar(tmp_path_factory):
    """Two silent 85 s videos (15 fps) of the light bar, without tags: ``a`` and ``b``."""
    from fractions import Fraction

    from synth.clips import ClipSpec, write_clip

    folder = tmp_path_factory.mktemp("bar") / "media"
    folder.mkdir()
    specs = {"a.mp4": ClipSpec(n_frames=85 * 15, fps=Fraction(15), size=(160, 120), flashes=BAR, flash_s=0.03),
             "b.mp4": ClipSpec(n_frames=85 * 15, fps=Fraction(15), size=(160, 120), flash_s=0.03,
                               flashes=[t - BAR_OFFSET_S for t in BAR], flash_at=(0.3, 0.4))}
    return [write_clip(folder / name, spec) for name, spec in specs.items()]


def test_rough_position_narrows_the_flash_search(light_bar, tmp_path):
    """Every aligner runs (the app's alignment): without a rough position the repeating flashes are
    refused; with one near the truth, b is placed by its flashes, searched within the window the rough
    position allows only; one repetition (20 s) off, nothing is placed and the rough placement stays."""
    from timesync.align.constraints import NARROW_MARGIN_S, NARROW_SIGMAS

    plain = align_project(_project(tmp_path, light_bar, None)).project
    b = next(s for s in plain.sources if s.name.endswith("b.mp4"))
    assert b.clock is None and "matches no other video's flashes clearly" in b.extra["notes"]["visual"]

    project = _project(tmp_path, light_bar, BAR_OFFSET_S + 1.5)  # one sigma 2 s
    alignment = align_project(project)
    clock = project.clock("b.mp4")
    assert clock.method == "visual"
    assert clock.to_shared(0.0) == pytest.approx(BAR_OFFSET_S, abs=1 / 15)  # within a frame
    (found,) = [c for c in alignment.result.source(str(project.resolve("b.mp4"))).constraints if c.kind == "visual"]
    assert found.evidence["narrowed_by"] == ROUGH_NARROWING
    low, high = found.evidence["narrowed_to_s"]
    assert high - low == pytest.approx(2 * (NARROW_SIGMAS * 2.0 + NARROW_MARGIN_S), abs=2e-3)
    # the window is of t_b - t_a (the pair searched from a): centred on the rough position, holding the fit
    assert (low + high) / 2 == pytest.approx(-(BAR_OFFSET_S + 1.5), abs=2e-3)
    assert found.source.endswith("b.mp4") and low < -found.offset_s < high

    far = _project(tmp_path, light_bar, BAR_OFFSET_S + 20.0)  # a repetition off: fewer flashes overlap
    align_project(far)
    clock = far.clock("b.mp4")
    assert clock.method == ROUGH_METHOD and clock.offset_s == pytest.approx(BAR_OFFSET_S + 20.0)
