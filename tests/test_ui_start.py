"""The start screen (issue 17 item 5): shown while there are no recordings; open, recent, new incident."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

pytest_plugins = ("conftest_ui",)


def test_empty_window_shows_the_start_screen_and_a_project_hides_it(window, incident):
    start = window.start
    assert start.showing and not window.grid.isVisibleTo(window)
    assert start.screen.open_button.text() == "Open project…"
    assert start.screen.new_button.text() == "New incident from media…"
    assert not start.screen.recent.isVisibleTo(window)  # no recent projects yet
    assert window.open_project(incident)
    assert not start.showing and window.grid.isVisibleTo(window)


def test_recent_projects_are_listed_and_open_on_activation(qtbot, window, incident):
    assert window.open_project(incident)
    window.files.new_project()
    start = window.start
    assert start.showing
    item = start.screen.recent.item(0)
    assert item.data(Qt.ItemDataRole.UserRole) == str(incident.absolute())
    assert item.toolTip() == str(incident.absolute())
    start.screen.recent.itemActivated.emit(item)
    assert window.project.path == incident.absolute() and not start.showing


def test_new_incident_from_media_hashes_then_aligns_with_a_progress_dialog(qtbot, window, ui_media_cache):
    files = [ui_media_cache / "camA.mp4", ui_media_cache / "phone.wav"]
    with qtbot.waitSignal(window.jobFinished, timeout=90000, check_params_cb=lambda k, _r: k == "align"):
        assert window.start.new_incident(files)
        dialog = window.start.progress
        assert dialog is not None and dialog.isVisible()
    assert not dialog.isVisible()
    assert sorted(Path(s.name).name for s in window.project.sources) == ["camA.mp4", "phone.wav"]
    assert all(s.sha256 for s in window.project.sources)
    assert not window.start.showing and window.grid.isVisibleTo(window)
    assert any("alignment" in m.text for m in window.messages.messages)


def test_cancel_in_the_progress_dialog_stops_the_new_incident(qtbot, window, ui_media_cache):
    files = [ui_media_cache / "camA.mp4", ui_media_cache / "camB.mp4"]
    with qtbot.waitSignal(window.jobFinished, timeout=30000):
        assert window.start.new_incident(files)
        cancel = window.start.progress.findChild(QPushButton)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert not window.start.progress.isVisible()
    assert "align" not in window.jobs
