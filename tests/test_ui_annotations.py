"""Annotations: one key per type at the playhead, intervals, edits, filter, undo/redo."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.annotations import COLUMNS

pytest_plugins = ("conftest_ui",)


def _col(key):
    return [k for k, _h in COLUMNS].index(key)


def _types(win):
    return [(a.type, a.shared_s, a.end_s) for a in win.project.annotations]


def test_type_key_adds_at_the_playhead_and_undo_redo(qtbot, window, incident):
    window.open_project(incident)
    window.clock.seek(1.25)
    window.grid.set_focused(window.grid.view_for("camB.mp4"))
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_S)
    added = [a for a in window.project.annotations if a.shared_s == 1.25]
    assert len(added) == 1 and added[0].type == "shot fired" and added[0].source == "camB.mp4"
    assert added[0].id == "e4"
    assert window.annotation_panel.model.rowCount() == 4
    window.undo.undo()
    assert all(a.shared_s != 1.25 for a in window.project.annotations)
    assert window.annotation_panel.model.rowCount() == 3
    window.undo.redo()
    assert [a.id for a in window.project.annotations if a.shared_s == 1.25] == ["e4"]
    actions = [h.action for h in window.project.history[-3:]]
    assert actions == ["annotation_added", "annotation_removed", "annotation_restored"]


def test_mark_in_then_a_type_key_adds_an_interval(qtbot, window, incident):
    window.open_project(incident)
    window.clock.seek(0.8)
    qtbot.keyClick(window.grid, Qt.Key.Key_I)
    window.clock.seek(1.1)
    qtbot.keyClick(window.grid, Qt.Key.Key_W)
    assert ("warning", 0.8, 1.1) in _types(window)
    qtbot.keyClick(window.grid, Qt.Key.Key_O)
    assert ("other", 1.1, None) in _types(window)


def test_edit_type_note_and_time_in_the_table_with_undo(qtbot, window, incident):
    window.open_project(incident)
    model = window.annotation_panel.model
    row = model.row_of("e1")
    assert model.setData(model.index(row, _col("note")), "two shots heard")
    assert window.project.annotation("e1").note == "two shots heard"
    assert model.setData(model.index(model.row_of("e1"), _col("type")), "warning")
    assert model.setData(model.index(model.row_of("e1"), _col("shared_s")), "0:00:00.600")
    ann = window.project.annotation("e1")
    assert (ann.type, ann.shared_s, ann.note) == ("warning", 0.6, "two shots heard")
    for _ in range(3):
        window.undo.undo()
    ann = window.project.annotation("e1")
    assert (ann.type, ann.shared_s, ann.note) == ("shot fired", 0.51, "first report")
    assert not model.setData(model.index(model.row_of("e1"), _col("type")), "no such type")
    assert any("no such type" in m.text for m in window.messages.messages)


def test_delete_selected_and_undo(qtbot, window, incident):
    window.open_project(incident)
    panel = window.annotation_panel
    panel.select("e2")
    assert panel.selected_id() == "e2"
    window.delete_annotation()
    assert [a.id for a in window.project.annotations] == ["e1", "e3"]
    window.undo.undo()
    assert [a.id for a in window.project.annotations] == ["e1", "e2", "e3"]


def test_filter_search_and_click_to_seek(qtbot, window, incident):
    window.open_project(incident)
    panel = window.annotation_panel
    panel.type_filter.setCurrentIndex(panel.type_filter.findData("person down"))
    assert panel.proxy.rowCount() == 1
    panel.type_filter.setCurrentIndex(0)
    qtbot.keyClicks(panel.search, "drop it")
    assert panel.proxy.rowCount() == 1
    index = panel.proxy.index(0, _col("type"))
    rect = panel.table.visualRect(index)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.clock.time == 1.5
    assert window.timeline._selected_event == "e2"


def test_next_and_previous_event(qtbot, window, incident):
    window.open_project(incident)
    window.clock.seek(0.0)
    window.jump_event(1)
    assert window.clock.time == 0.51
    window.jump_event(1)
    assert window.clock.time == 1.5
    window.jump_event(-1)
    assert window.clock.time == 0.51


def test_event_keys_are_configurable(qtbot, window, incident):
    window.open_project(incident)
    window.settings.setValue("keys/shot fired", "X")
    window.annotate.rebuild_type_actions()
    window.clock.seek(0.75)
    qtbot.keyClick(window.grid, Qt.Key.Key_X)
    assert ("shot fired", 0.75, None) in _types(window)
    qtbot.keyClick(window.grid, Qt.Key.Key_S)  # S is no longer bound
    assert [t for t in _types(window) if t[1] == 0.75] == [("shot fired", 0.75, None)]


def test_selection_survives_edits(qtbot, window, incident):
    window.open_project(incident)
    panel = window.annotation_panel
    panel.select("e2")
    window.clock.seek(0.2)
    window.add_annotation("other")
    assert panel.selected_id() == "e2"
