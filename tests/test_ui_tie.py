"""Placing a source by hand in the app (issue 19): watch it, unlink a view, tie two frames, undo.

The case: ``ref.mp4`` (30 fps, the reference) and ``heli.mp4`` (25 fps, no
audio: it shares nothing with the reference, so no aligner can place it).
Each records two 20 s stretches about half an hour apart in one file (a
recorder that pauses keeps its clock), so two ties can measure a drift a
frame-accurate reviewer could see. Heli's truth: ``shared = OFFSET_S + RATE *
heli_local``, a clock 50 ppm fast. Every frame shows its own number
(:func:`media_factory.pattern`), so the test reads back what each view shows.
The reviewer's moments are frames of both videos that show one instant (what
a flash or a door would give): the test picks them from the truth, then
reaches them with the app's keys.
"""

from __future__ import annotations

import shutil
from fractions import Fraction

import numpy as np
import pytest
from media_factory import frame_number, make_video
from PySide6.QtCore import Qt
from test_project_factory import fixed_clock

from timesync.clock import IDENTITY
from timesync.project import Project
from ui.frames import qimage_to_array
from ui.tie import TieError, tie_between

pytest_plugins = ("conftest_ui",)

OFFSET_S = 6.37
RATE = 1.00005
REF_FPS, HELI_FPS = 30, 25
#: local start (s) of each 20 s stretch
REF_STRETCHES, HELI_STRETCHES = (0.0, 1780.0), (0.0, 1772.0)
REASON = "no shared audio or visual event: the audio search found no match"


def truth(heli_local):
    """Shared (= ref local) seconds of heli local seconds."""
    return OFFSET_S + RATE * np.asarray(heli_local, float)


def _starts(fps: int, stretches: tuple[float, ...]) -> np.ndarray:
    """Local start (s) of every frame: 20 s of frames at ``fps`` from each stretch's start."""
    return np.concatenate([start + np.arange(20 * fps) / fps for start in stretches])


REF_T, HELI_T = _starts(REF_FPS, REF_STRETCHES), _starts(HELI_FPS, HELI_STRETCHES)


def _write(path, fps: int, starts: np.ndarray, **more):
    make_video(path, n_frames=len(starts), fps=Fraction(fps), time_base=Fraction(1, fps),
               pts_list=[round(s * fps) for s in starts], **more)


@pytest.fixture(scope="session")
def tie_media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tie-media")
    _write(folder / "ref.mp4", REF_FPS, REF_T)
    _write(folder / "heli.mp4", HELI_FPS, HELI_T)
    return folder


@pytest.fixture
def case(tmp_path, tie_media):
    """A saved project: ref.mp4 placed (the reference), heli.mp4 not placed."""
    folder = tmp_path / "case"
    shutil.copytree(tie_media, folder / "media")
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(folder / "media" / "ref.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("ref.mp4")
    project.add_source(folder / "media" / "heli.mp4", role="aerial", reason=REASON)
    project.save(folder / "case.json")
    return folder / "case.json"


def _view(win, name):
    view = win.grid.view_for(name)
    assert view is not None
    return view


def _shown_number(view) -> int:
    return frame_number(qimage_to_array(view.image))


def _press(qtbot, win, key, times=1, modifier=Qt.KeyboardModifier.NoModifier):
    for _ in range(times):
        qtbot.keyClick(win.grid, key, modifier)


def _click(qtbot, view):
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton)


def _moment(near_s: float) -> tuple[int, int]:
    """(ref frame, heli frame) showing one instant near shared ``near_s``: the middles of the two
    frames within 3 ms of each other under the truth (the test's stand-in for a crisp event)."""
    best = None
    first = int(np.searchsorted(REF_T, near_s))
    for n in range(first, first + 150):
        heli_local = (REF_T[n] + 0.5 / REF_FPS - OFFSET_S) / RATE
        k = int(np.searchsorted(HELI_T, heli_local, side="right")) - 1
        inside = 4 <= k < len(HELI_T) - 1 and heli_local < HELI_T[k] + 1 / HELI_FPS
        miss = abs(heli_local - (HELI_T[k] + 0.5 / HELI_FPS))
        if inside and (best is None or miss < best[0]):
            best = (miss, n, k)
    assert best is not None and best[0] < 0.003
    return best[1], best[2]


def _go_to_ref_frame(qtbot, win, wait_frames, number: int) -> None:
    """Click the reference, put the playhead on the frame before, then step onto ``number`` (Right)."""
    ref = _view(win, "ref.mp4")
    _click(qtbot, ref)
    win.clock.seek(REF_T[number - 1] + 0.5 / REF_FPS)  # the reviewer drags the playhead near it
    _press(qtbot, win, Qt.Key.Key_Right)
    wait_frames(win)
    assert ref.shown_frame == number and _shown_number(ref) == number


def _go_to_heli_frame(qtbot, win, wait_frames, number: int) -> None:
    """Click heli (free), bring its own clock near ``number`` and step onto it frame by frame."""
    heli = _view(win, "heli.mp4")
    _click(qtbot, heli)
    assert heli.free
    heli.playback.seek(HELI_T[number - 4] + 0.5 / HELI_FPS)  # played up to near the moment
    shared_before = win.clock.time
    _press(qtbot, win, Qt.Key.Key_Right, 3)
    _press(qtbot, win, Qt.Key.Key_Right, 1, Qt.KeyboardModifier.ShiftModifier)
    wait_frames(win)
    assert heli.shown_frame == number and _shown_number(heli) == number
    assert win.clock.time == shared_before  # the shared clock did not move


def _open(qtbot, window, wait_frames, case):
    assert window.open_project(case)
    wait_frames(window, timeout=15000)
    return _view(window, "ref.mp4"), _view(window, "heli.mp4")


def _tie(qtbot, win):
    count = win.undo.count()
    _press(qtbot, win, Qt.Key.Key_T)
    return win.undo.count() > count


def _max_error_s(clock) -> float:
    """The largest error (s) of ``clock`` against the truth over heli's frames."""
    return float(np.max(np.abs(clock.to_shared(HELI_T) - truth(HELI_T))))


# -- 1. every source can be watched -------------------------------------------------------------

def test_an_unplaced_source_plays_and_steps_on_its_own_clock(qtbot, wait_frames, window, case):
    ref, heli = _open(qtbot, window, wait_frames, case)
    assert heli.free and heli.spec.clock is None
    assert heli.toolTip() == f"not placed: {REASON}"
    assert heli.shown_frame == 0 and _shown_number(heli) == 0 and heli._status_text() is None
    _click(qtbot, heli)
    shared = window.clock.time
    _press(qtbot, window, Qt.Key.Key_Right, 2)
    wait_frames(window)
    assert heli.shown_frame == 2 and _shown_number(heli) == 2 and window.clock.time == shared
    assert "local 0:00:00.080" in heli._info_lines() and "frame 2" in heli._info_lines()
    _press(qtbot, window, Qt.Key.Key_Space)  # plays heli alone
    qtbot.waitUntil(lambda: heli.playback.time > 0.4, timeout=5000)
    _press(qtbot, window, Qt.Key.Key_K)
    wait_frames(window)
    assert heli.shown_frame >= 10 and window.clock.time == shared and not window.clock.playing
    before = heli.shown_frame
    _press(qtbot, window, Qt.Key.Key_Right, 1, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_frames(window)  # ten seconds later on its own clock
    assert heli.shown_frame == before + 10 * HELI_FPS and window.clock.time == shared
    _press(qtbot, window, Qt.Key.Key_U)  # cannot be linked: it is not placed
    assert heli.free and "not placed" in window.messages.messages[-1].text


# -- 2. tie two moments: placed, then drift ------------------------------------------------------

def test_two_ties_place_a_source_that_shares_nothing_within_a_frame_with_its_drift(
        qtbot, wait_frames, window, case):
    ref, heli = _open(qtbot, window, wait_frames, case)
    n1, k1 = _moment(8.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    one_tie = window.project.clock("heli.mp4")
    assert one_tie is not None and not heli.free  # placed: it follows the shared clock again
    assert abs(one_tie.to_shared(HELI_T[k1] + 0.5 / HELI_FPS) - REF_T[n1] - 0.5 / REF_FPS) < 1e-9
    anchor = window.project.extra["anchors"][0]
    assert anchor["uncertainty_s"] == pytest.approx(1 / HELI_FPS)  # one frame of the coarser source
    assert one_tie.uncertainty_s > 1 / HELI_FPS  # and its rate unknown: wider over half an hour
    assert _max_error_s(one_tie) > 1 / HELI_FPS  # an offset alone is a frame off by the far end
    assert "drift not measured" in window.messages.messages[-1].text

    n2, k2 = _moment(1790.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n2)
    assert abs(heli.shown_frame - k2) <= 2  # already close: it follows its first tie
    _click(qtbot, heli)
    _press(qtbot, window, Qt.Key.Key_U)  # unlink to step it alone
    assert heli.free
    _go_to_heli_frame(qtbot, window, wait_frames, k2)
    assert ref.shown_frame == n2
    assert _tie(qtbot, window)
    placed = window.project.clock("heli.mp4")
    assert _max_error_s(placed) < 1 / HELI_FPS  # within one frame of truth everywhere
    assert placed.drift_ppm == pytest.approx((RATE - 1) * 1e6, abs=10)
    assert f"drift {placed.drift_ppm:+.0f} ppm" in window.messages.messages[-1].text

    anchors = window.project.extra["anchors"]
    assert [(a["source"], a["source_frame"], a["other"], a["other_frame"]) for a in anchors] == [
        ("heli.mp4", k1, "ref.mp4", n1), ("heli.mp4", k2, "ref.mp4", n2)]
    added = [h for h in window.project.history if h.action == "anchor_added"]
    assert [h.after["source_frame"] for h in added] == [k1, k2] and all(h.who == window.project.author for h in added)
    assert all(h.when for h in added)


def test_undo_restores_the_unplaced_state_and_redo_the_tie(qtbot, wait_frames, window, case):
    ref, heli = _open(qtbot, window, wait_frames, case)
    n1, k1 = _moment(15.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    placed = window.project.clock("heli.mp4")
    _press(qtbot, window, Qt.Key.Key_Z, 1, Qt.KeyboardModifier.ControlModifier)
    source = window.project.source("heli.mp4")
    assert source.clock is None and source.reason == REASON and not window.project.extra.get("anchors")
    assert heli.free and heli.toolTip() == f"not placed: {REASON}"
    assert [h.action for h in window.project.history][-2:] == ["anchor_removed", "clock_changed"]
    _press(qtbot, window, Qt.Key.Key_Z, 1, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.project.clock("heli.mp4") == placed and len(window.project.extra["anchors"]) == 1
    assert not heli.free


# -- a tie that contradicts the others -----------------------------------------------------------

def test_a_contradictory_tie_is_reported_with_its_figure_and_kept_out_of_the_solve(
        qtbot, wait_frames, window, case):
    ref, heli = _open(qtbot, window, wait_frames, case)
    n1, k1 = _moment(10.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    placed = window.project.clock("heli.mp4")
    n2, k2 = _moment(14.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n2)
    _click(qtbot, heli)
    _press(qtbot, window, Qt.Key.Key_U)
    _go_to_heli_frame(qtbot, window, wait_frames, k2 + 10)  # ten frames (400 ms) wrong
    assert _tie(qtbot, window)  # recorded (undoable), not silently dropped
    assert window.project.clock("heli.mp4") == placed
    assert len(window.project.extra["anchors"]) == 2
    warnings = [m.text for m in window.messages.messages if m.level == "warning"]
    assert any(w.startswith("anchor 2 (") and "contradicts anchor 1" in w and "ms" in w
               and "left out of the solve" in w for w in warnings)


@pytest.fixture
def audio_case(case):
    """The case with heli placed by a (stored) audio constraint at its true offset, rate 1."""
    data = Project.load(case).to_dict()
    found = {"kind": "audio", "offset_s": OFFSET_S, "rate": 1.0, "uncertainty_s": 0.002,
             "rate_uncertainty": None, "at_source_s": 10.0, "score": 0.9, "travel_bound_s": 0.0}
    ref, heli = data["sources"]
    ref["constraints"] = [{**found, "with": "heli.mp4", "offset_s": -OFFSET_S, "at_source_s": 10.0 + OFFSET_S}]
    heli.update(aligned=True, offset_s=OFFSET_S, rate=1.0, uncertainty_s=0.002, method="audio", reason="",
                constraints=[{**found, "with": "ref.mp4"}])
    Project.from_dict(data, path=case).save(case)
    return case


def test_a_tie_against_the_audio_evidence_is_reported_in_ms(qtbot, wait_frames, window, audio_case):
    ref, heli = _open(qtbot, window, wait_frames, audio_case)
    placed = window.project.clock("heli.mp4")
    assert placed is not None and not heli.free
    n1, k1 = _moment(10.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _click(qtbot, heli)
    _press(qtbot, window, Qt.Key.Key_U)
    _go_to_heli_frame(qtbot, window, wait_frames, k1 - 5)  # five frames (200 ms) early
    assert _tie(qtbot, window)
    assert window.project.clock("heli.mp4").offset_s == pytest.approx(OFFSET_S, abs=0.002)  # audio holds
    warnings = [m.text for m in window.messages.messages if m.level == "warning"]
    assert "manual and audio evidence differ by -200.0 ms (5.0 sigma) between ref.mp4 and heli.mp4" in warnings
    _press(qtbot, window, Qt.Key.Key_Z, 1, Qt.KeyboardModifier.ControlModifier)
    assert window.project.clock("heli.mp4") == placed and not window.project.extra.get("anchors")


# -- bad input: a clear message, nothing changes -------------------------------------------------

def _nothing_changed(window, before_dict, undo_count):
    after = window.project.to_dict()
    assert after["sources"] == before_dict["sources"] and after.get("anchors") == before_dict.get("anchors")
    assert window.undo.count() == undo_count


def test_a_tie_outside_a_file_or_of_one_source_changes_nothing(qtbot, wait_frames, window, case):
    ref, heli = _open(qtbot, window, wait_frames, case)
    n1, k1 = _moment(10.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    before, count = window.project.to_dict(), window.undo.count()
    _click(qtbot, ref)
    window.clock.seek(3.0)  # heli (placed, linked) starts at shared 6.37: not recording
    wait_frames(window)
    _click(qtbot, heli)
    assert heli.wanted_frame is None
    assert not _tie(qtbot, window)
    message = window.messages.messages[-1]
    assert message.level == "error" and "heli.mp4 is not recording" in message.text
    _nothing_changed(window, before, count)
    with pytest.raises(TieError, match="two different sources"):
        tie_between(ref, ref)


def test_a_tie_on_a_missing_file_changes_nothing(qtbot, wait_frames, window, case):
    (case.parent / "media" / "heli.mp4").unlink()
    assert window.open_project(case)
    heli = _view(window, "heli.mp4")
    qtbot.waitUntil(lambda: heli.error is not None, timeout=15000)
    before, count = window.project.to_dict(), window.undo.count()
    _click(qtbot, _view(window, "ref.mp4"))
    _click(qtbot, heli)
    assert not _tie(qtbot, window)
    message = window.messages.messages[-1]
    assert message.level == "error" and message.text.startswith("nothing tied: heli.mp4 cannot be tied")
    _nothing_changed(window, before, count)


def test_a_tie_on_a_changed_file_is_allowed_with_a_warning_on_the_anchor(
        qtbot, wait_frames, window, case, tie_media):
    heli_path = case.parent / "media" / "heli.mp4"
    _write(heli_path, HELI_FPS, HELI_T, metadata={"comment": "re-encoded"})
    assert window.open_project(case)
    qtbot.waitUntil(lambda: window.project.source("heli.mp4").hash_status == "changed", timeout=15000)
    wait_frames(window, timeout=15000)
    n1, k1 = _moment(10.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    anchor = window.project.extra["anchors"][0]
    assert "heli.mp4 has changed since it was added" in anchor["warning"]
    assert any(m.level == "warning" and "anchor 1: heli.mp4 has changed" in m.text for m in window.messages.messages)
    assert window.project.clock("heli.mp4") is not None


def test_the_tie_keys_are_in_the_shortcut_overlay(window):
    entries = {(group, keys) for group, keys, _text in window.shortcut_entries()}
    assert ("Place", "T") in entries and ("Place", "U") in entries


# -- rough placement by a drag -------------------------------------------------------------------

def test_dragging_an_unplaced_track_places_it_roughly_then_a_tie_places_it(qtbot, wait_frames, window, case):
    from PySide6.QtCore import QPoint

    from ui.timeline.axis import TRACK_H

    ref, heli = _open(qtbot, window, wait_frames, case)
    tl = window.timeline
    assert tl.track_rect("heli.mp4") is None
    y = round(tl.track_rect("ref.mp4").center().y() + TRACK_H)  # heli's (empty) row
    x0, x1 = round(tl.x_of(300.0)), round(tl.x_of(10.0))
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=QPoint(x0, y))
    qtbot.mouseMove(tl, QPoint(x0 - 10, y))
    qtbot.mouseMove(tl, QPoint(x1, y))
    assert tl.track_rect("heli.mp4") is not None  # previewed while dragged
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=QPoint(x1, y))
    rough = window.project.clock("heli.mp4")
    assert rough.method == "manual, rough" and rough.offset_s == pytest.approx(tl.time_at(x1), abs=1e-9)
    assert rough.uncertainty_s >= 5.0 and not heli.free  # it follows the shared clock, roughly
    last = window.project.history[-1]
    assert (last.action, last.target, last.after["method"]) == ("clock_changed", "heli.mp4", "manual, rough")

    n1, k1 = _moment(10.0)
    _go_to_ref_frame(qtbot, window, wait_frames, n1)
    _click(qtbot, heli)
    _press(qtbot, window, Qt.Key.Key_U)
    _go_to_heli_frame(qtbot, window, wait_frames, k1)
    assert _tie(qtbot, window)
    tied = window.project.clock("heli.mp4")
    assert tied.method == "manual" and abs(tied.to_shared(HELI_T[k1]) - truth(HELI_T[k1])) < 1 / HELI_FPS
    window.undo.undo()
    assert window.project.clock("heli.mp4") == rough
    window.undo.undo()
    source = window.project.source("heli.mp4")
    assert source.clock is None and source.reason == REASON and heli.free
