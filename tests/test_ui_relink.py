"""Bad input (issue 17): a project whose sources are all missing opens, says once which are missing,
and offers relink; relinking (a folder chosen in the dialog) finds the files by SHA-256, undoably."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

import ui.relink as relink
from ui.tile import badges

pytest_plugins = ("conftest_ui",)

NAMES = ["camA.mp4", "camB.mp4", "phone.wav", "drone.mp4"]


def _moved(incident):
    """The incident's media folder moved away; returns where it went."""
    moved = incident.parent.parent / "moved-media"
    shutil.move(str(incident.parent / "media"), str(moved))
    return moved


def _offer_rows(window):
    return [row for row in window.messages._rows if hasattr(row, "action_button")]


def test_a_project_whose_sources_are_all_missing_opens_and_says_so_once(qtbot, window, incident):
    _moved(incident)
    assert window.open_project(incident)
    qtbot.waitUntil(lambda: all(s.hash_status == "missing" for s in window.project.sources), timeout=10000)
    errors = [m.text for m in window.messages.messages if m.level == "error"]
    assert len(errors) == 1, errors  # not one per source, nor one per tile
    assert "every source is missing" in errors[0] and all(n in errors[0] for n in NAMES)
    rows = _offer_rows(window)
    assert len(rows) == 1 and rows[0].action_button.text() == "Relink…"
    assert window.grid.isVisible() and len(window.grid.views) == 4
    assert all(b == "MISSING" for v in window.grid.views for b, _why, _c in badges(v.spec))
    window.add_annotation("warning")  # the rest keeps working
    assert [a.type for a in window.project.annotations].count("warning") == 1


def test_relink_finds_the_moved_files_by_hash_and_undoes(qtbot, window, incident, wait_frames, monkeypatch):
    moved = _moved(incident)
    asked = []
    monkeypatch.setattr(relink, "choose_folder", lambda _parent, start: asked.append(start) or str(moved))
    assert window.open_project(incident)
    qtbot.waitUntil(lambda: len(_offer_rows(window)) == 1, timeout=10000)
    QTest.mouseClick(_offer_rows(window)[0].action_button, Qt.MouseButton.LeftButton)
    assert asked == [str(incident.parent)]
    qtbot.waitUntil(lambda: window.messages.messages[-1].text.startswith("relinked"), timeout=20000)  # job done
    project = window.project
    assert all(s.hash_status == "verified" for s in project.sources)
    assert all(project.resolve(n).resolve() == (moved / n).resolve() for n in NAMES)
    assert window.messages.messages[-1].text == "relinked 4 source(s) by SHA-256: " + ", ".join(NAMES)
    assert sorted(h.target for h in project.history if h.action == "source_relinked") == sorted(NAMES)
    wait_frames(window, timeout=15000)  # the tiles open the files found
    assert all(v.error is None and v.index is not None for v in window.grid.views if v.spec.has_video)
    window.undo.undo()
    assert all(project.resolve(n).resolve() == (incident.parent / "media" / n).resolve() for n in NAMES)
    assert all(s.hash_status == "missing" for s in project.sources)


def test_relink_in_a_folder_without_the_files_says_what_is_still_missing(qtbot, window, incident, tmp_path):
    _moved(incident)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert window.open_project(incident)
    qtbot.waitUntil(lambda: all(s.hash_status == "missing" for s in window.project.sources), timeout=10000)
    count = window.undo.count()
    window.relink.relink([empty])
    qtbot.waitUntil(lambda: window.messages.messages[-1].text.startswith("still missing"), timeout=10000)
    last = window.messages.messages[-1]
    assert last.level == "error" and last.text.startswith("still missing (camA.mp4, camB.mp4, phone.wav, drone.mp4)")
    assert str(empty) in last.text and window.undo.count() == count
