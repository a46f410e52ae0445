"""Suggestions, never silent decisions, and "search near here" in the app (issue 19, items 3b, 4, 5).

* A source placed by device clocks only is drawn dashed, "unverified"; the reviewer
  accepts or rejects it from its track's menu; each decision is undoable and a
  clock change in the project history.
* A source the audio refused (the 20 s sound loop of :func:`test_align_metadata._looped_pair`:
  ``b`` starts 5 s after ``a``, the loop fits three offsets) gets a dashed outline where
  the refused best candidate puts it, with its score; "Look there" jumps its unlinked view
  there, "Place roughly there" places it roughly (undoable).
* A rough track's "Search near here" aligns again with its searches narrowed to near
  the rough position: ``b`` lands within a millisecond of the truth; undo puts the
  rough placement back.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from test_align_metadata import _looped_pair
from test_project_factory import fixed_clock

from timesync.align.device_clocks import UNVERIFIED
from timesync.clock import IDENTITY, ClockMap
from timesync.project import Project
from timesync.project.alignment_edits import ACCEPTED_METHOD, ROUGH_METHOD
from timesync.workflow import align_project
from ui.frames import qimage_to_array
from ui.timeline.suggestions import SUGGESTION_COLOR

pytest_plugins = ("conftest_ui",)

TRUE_OFFSET_S = 5.0  # shared (= a's local) at b's local 0


@pytest.fixture(scope="module")
def looped(tmp_path_factory):
    """The looped pair aligned by audio alone (b refused), as a saved project's folder."""
    folder = tmp_path_factory.mktemp("suggest")
    paths = _looped_pair(folder / "media", "", "")
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(paths[0], clock=IDENTITY)
    project.set_reference("a.mp4")
    project.add_source(paths[1], reason="not aligned yet")
    fresh = align_project(project, methods=["audio"]).project
    fresh.save(folder / "case.json")
    return folder


@pytest.fixture
def case(tmp_path, looped):
    shutil.copytree(looped, tmp_path / "case")
    return tmp_path / "case" / "case.json"


def _name(window, end: str) -> str:
    return next(s.name for s in window.project.sources if s.name.endswith(end))


def _open(qtbot, window, wait_frames, path):
    assert window.open_project(path)
    wait_frames(window, timeout=15000)


def _trigger(window, name: str, text: str) -> None:
    """Trigger the action of ``name``'s track menu whose text starts with ``text``."""
    menu = window.placement.suggest.track_menu(name)
    actions = [a for a in menu.actions() if a.text().startswith(text)]
    assert actions, [a.text() for a in menu.actions()]
    actions[0].trigger()


def _dashed_pixels(window, rect) -> int:
    """Pixels of the suggestion colour along the top edge of ``rect`` on the timeline."""
    image = qimage_to_array(window.timeline.grab().toImage())
    y = round(rect.top()) + 1
    x0, x1 = max(round(rect.left()), 200), min(round(rect.right()), image.shape[1] - 1)
    row = image[y - 1: y + 2, x0:x1, :3].astype(int)
    want = np.array([SUGGESTION_COLOR.red(), SUGGESTION_COLOR.green(), SUGGESTION_COLOR.blue()])
    return int(np.sum(np.all(np.abs(row - want) < 40, axis=-1)))


@pytest.fixture
def unverified(tmp_path, looped):
    """a placed (the reference); b placed by device clocks only (its tags), unverified."""
    folder = tmp_path / "unverified"
    shutil.copytree(looped / "media", folder / "media")
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(folder / "media" / "a.mp4", clock=IDENTITY)
    project.set_reference("a.mp4")
    project.add_source(folder / "media" / "b.mp4", clock=ClockMap(3.0, 1.0, 900.0, f"metadata ({UNVERIFIED})"))
    project.save(folder / "case.json")
    return folder / "case.json"


def test_device_clock_placement_is_dashed_and_accepted_undoably(qtbot, wait_frames, window, unverified):
    _open(qtbot, window, wait_frames, unverified)
    b = _name(window, "b.mp4")
    suggested = window.timeline.suggested
    assert list(suggested) == [b] and suggested[b][1].startswith("unverified")
    window.timeline.resize(1200, 400)
    window.timeline.fit()
    assert _dashed_pixels(window, window.timeline.track_rect(b)) > 20
    history = len(window.project.history)
    _trigger(window, b, "Accept")
    clock = window.project.clock(b)
    assert clock.method == ACCEPTED_METHOD and clock.offset_s == 3.0 and clock.uncertainty_s == 900.0
    entry = window.project.history[-1]
    assert len(window.project.history) == history + 1 and entry.action == "clock_changed"
    assert entry.after["method"] == ACCEPTED_METHOD and UNVERIFIED in entry.before["method"]
    assert window.timeline.suggested == {}  # decided: no longer a suggestion
    assert "accepted by you" in window.messages.messages[-1].text
    window.undo.undo()
    assert UNVERIFIED in window.project.clock(b).method and b in window.timeline.suggested
    window.undo.redo()
    assert window.project.clock(b).method == ACCEPTED_METHOD


def test_device_clock_placement_rejected_undoably(qtbot, wait_frames, window, unverified):
    _open(qtbot, window, wait_frames, unverified)
    b = _name(window, "b.mp4")
    window.timeline.select_source(b)
    window.placement.suggest.decide(accept=False)  # the Sources menu's action, on the selected track
    source = window.project.source(b)
    assert source.clock is None and "rejected its placement by device clocks only" in source.reason
    assert window.project.history[-1].after is None
    window.undo.undo()
    assert UNVERIFIED in window.project.clock(b).method


def test_refused_audio_candidate_is_a_place_to_look(qtbot, wait_frames, window, case):
    _open(qtbot, window, wait_frames, case)
    b = _name(window, "b.mp4")
    assert window.project.clock(b) is None
    (suggestion,) = window.placement.suggest.current.values()
    assert suggestion.kind == "audio candidate" and suggestion.score > 0
    assert suggestion.clock.to_shared(0.0) == pytest.approx(TRUE_OFFSET_S, abs=0.05)
    assert window.timeline.suggested[b][1].startswith(f"audio candidate, score {suggestion.score:.1f}")
    window.timeline.resize(1200, 400)
    window.timeline.fit()
    rect = window.timeline.suggestion_rect(b)
    assert rect is not None and window.timeline.track_rect(b) is None  # an outline, not a placement
    assert _dashed_pixels(window, rect) > 20
    window.clock.seek(30.0)
    _trigger(window, b, "Look there")
    view = window.grid.view_for(b)
    assert view.free and window.clock.time == 30.0  # its own clock moved, not the shared one
    assert view.playback.time == pytest.approx(30.0 - TRUE_OFFSET_S, abs=0.05)
    assert window.project.clock(b) is None and window.undo.count() == 0  # looking decides nothing
    _trigger(window, b, "Place roughly there")
    clock = window.project.clock(b)
    assert clock.method == ROUGH_METHOD and clock.uncertainty_s == 5.0
    assert clock.to_shared(0.0) == pytest.approx(TRUE_OFFSET_S, abs=0.05)
    window.undo.undo()
    assert window.project.clock(b) is None and b in window.timeline.suggested


def test_search_near_a_rough_position_places_the_source(qtbot, wait_frames, window, case):
    project = Project.load(case)
    b = next(s.name for s in project.sources if s.name.endswith("b.mp4"))
    rough = ClockMap(TRUE_OFFSET_S + 1.5, 1.0, 2.0, ROUGH_METHOD)
    project.set_source_clock(b, rough, method=None)
    project.save()
    _open(qtbot, window, wait_frames, case)
    with qtbot.waitSignal(window.jobFinished, timeout=120000, check_params_cb=lambda kind, _result: kind == "align"):
        _trigger(window, b, "Search near here")
    clock = window.project.clock(b)
    assert clock.method == "audio", [m.text for m in window.messages.messages]
    assert clock.to_shared(0.0) == pytest.approx(TRUE_OFFSET_S, abs=1e-3)
    assert "placed by the search near its rough position" in window.messages.messages[-1].text
    window.undo.undo()
    assert window.project.clock(b) == rough


def test_a_right_click_on_a_track_opens_its_menu(qtbot, wait_frames, window, unverified):
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication, QMenu

    _open(qtbot, window, wait_frames, unverified)
    b = _name(window, "b.mp4")
    window.timeline.resize(1200, 400)
    window.timeline.fit()
    seen = []

    def close_menu():  # runs inside the menu's own event loop
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMenu) and widget.isVisible():
                seen.append([a.text() for a in widget.actions()])
                widget.close()

    QTimer.singleShot(0, close_menu)
    pos = window.timeline.track_rect(b).center().toPoint()
    QApplication.sendEvent(window.timeline, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                              window.timeline.mapToGlobal(pos)))
    assert seen == [["Accept the placement by device clocks", "Reject the placement by device clocks"]]
    assert window.timeline.selected_source == b
