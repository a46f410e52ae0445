"""Project life cycle in the window: save, autosave and recovery, prompts, media, hashes, exports, alignment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel

import ui.main_window as main_window
from timesync.project import Project
from ui.main_window import autosave_path

pytest_plugins = ("conftest_ui",)


def _finished(qtbot, win, kind, action, timeout=20000):
    with qtbot.waitSignal(win.jobFinished, timeout=timeout, check_params_cb=lambda k, _r: k == kind) as blocker:
        job = action()
    return job, blocker.args[1]


def test_save_writes_the_annotations_and_clears_dirty(qtbot, window, incident):
    window.open_project(incident)
    window.clock.seek(2.0)
    window.add_annotation("vehicle")
    assert window.has_unsaved_changes and window.windowTitle().startswith("incident.json *")
    assert window.save()
    assert not window.has_unsaved_changes
    saved = json.loads(incident.read_text(encoding="utf-8"))
    assert ("vehicle", 2.0) in [(e["type"], e["shared_s"]) for e in saved["events"]]
    assert window.recent_files()[0] == str(incident)


def test_autosave_then_recover_on_next_open(qtbot, window, incident):
    window.open_project(incident)
    window.clock.seek(1.0)
    window.add_annotation("use of force")
    written = window.autosave()
    assert written == autosave_path(incident) == incident.with_name(".incident.json.autosave")
    assert "use of force" not in [e["type"] for e in json.loads(incident.read_text(encoding="utf-8"))["events"]]
    window.set_project(Project())  # as if the app had crashed and restarted
    window.open_project(incident)
    offer = [m for m in window.messages.visible_messages if "autosave" in m.text]
    assert offer, window.messages.messages
    assert window.recover(incident)
    assert window.has_unsaved_changes
    assert any(a.type == "use of force" for a in window.project.annotations)
    assert window.save()
    assert not autosave_path(incident).exists()


def test_close_with_unsaved_changes_asks_and_can_cancel(qtbot, window, incident, monkeypatch):
    window.open_project(incident)
    window.add_annotation("other")
    answers = []
    monkeypatch.setattr(main_window, "ask_unsaved", lambda *_a: answers.append("asked") or "cancel")
    assert not window.close()
    assert answers == ["asked"] and window.isVisible()
    monkeypatch.setattr(main_window, "ask_unsaved", lambda *_a: "save")
    assert window.close()
    assert "other" in [e["type"] for e in json.loads(incident.read_text(encoding="utf-8"))["events"]]


def test_layout_is_remembered(qtbot, window, incident, tmp_path):
    window.timeline_dock.hide()
    window.save_layout()
    assert window.settings.value("window/state") is not None
    other = main_window.MainWindow(window.settings, autosave_s=0)
    qtbot.addWidget(other)
    other.show()
    assert not other.timeline_dock.isVisible()
    other.shutdown()


def test_add_media_by_drop_hashes_in_a_worker(qtbot, window, incident, tmp_path):
    media = incident.parent / "media"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media / "camA.mp4")), QUrl.fromLocalFile(str(tmp_path / "nothing.mp4"))])
    (tmp_path / "nothing.mp4").write_bytes(b"not a video at all")
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.jobFinished, timeout=20000):
        window.dropEvent(event)  # offscreen Qt does not route a synthetic drop through event()
    project = window.project
    assert [s.name for s in project.sources] == ["camA.mp4"]
    source = project.sources[0]
    assert source.hash_status == "verified" and project.reference == "camA.mp4"
    assert source.clock is not None and source.clock.method == "reference"
    assert any("nothing.mp4" in m.text for m in window.messages.messages if m.level == "error")
    qtbot.waitUntil(lambda: window.grid.views and window.grid.views[0].index is not None, timeout=5000)


def test_verify_reports_a_changed_file(qtbot, window, incident):
    window.open_project(incident)
    qtbot.waitUntil(lambda: window.project.source("camB.mp4").hash_status == "verified", timeout=10000)
    wav = incident.parent / "media" / "phone.wav"
    wav.write_bytes(wav.read_bytes()[:-10] + b"0123456789")
    _job, checks = _finished(qtbot, window, "verify", window.verify_hashes)
    assert {c.name: c.status for c in checks}["phone.wav"] == "changed"
    assert window.project.source("phone.wav").hash_status == "changed"
    assert any("phone.wav" in m.text and "CHANGED" in m.text for m in window.messages.messages)


@pytest.mark.parametrize("fmt", ["csv", "srt"])
def test_export_in_a_worker(qtbot, window, incident, tmp_path, fmt):
    pytest.importorskip("timesync.export")
    window.open_project(incident)
    out = tmp_path / f"events.{fmt}"
    _job, result = _finished(qtbot, window, "export", lambda: window.export(fmt, out))
    assert result is not None and Path(result) == out and out.stat().st_size > 0
    text = out.read_text(encoding="utf-8")
    assert "drop it" in text
    _job, again = _finished(qtbot, window, "export", lambda: window.export(fmt, out))
    assert again is None  # exists, no force: refused, message shown
    assert "exists" in window.messages.messages[-1].text or out.name in window.messages.messages[-1].text


def test_alignment_can_be_cancelled_and_the_window_stays_responsive(qtbot, window, incident):
    pytest.importorskip("timesync.sync")
    window.open_project(incident)
    before = window.project.clock("camB.mp4")
    job = window.run_alignment()
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=30000)
    qtbot.waitUntil(lambda: any("cancelled" in m.text for m in window.messages.messages) or job.result is not None,
                    timeout=5000)
    assert window.project.clock("camB.mp4") == before
    window.clock.seek(1.0)  # the GUI thread was never blocked
    assert window.clock.time == 1.0
    assert not window.progress.isVisible()


def test_realigning_an_annotated_project_takes_the_new_evidence_and_undoes(qtbot, window, incident):
    """Alignment run on a project with annotations: clocks, the constraints behind them and
    the provenance all come from the new run (one undo step puts the old ones back)."""
    from timesync import __version__

    window.open_project(incident)
    window.clock.seek(2.0)
    window.add_annotation("vehicle")
    old_b = window.project.source("camB.mp4")
    _job, result = _finished(qtbot, window, "align", window.run_alignment, timeout=60000)
    new_entry = next(e for e in result.to_dict()["sources"] if e["path"].endswith("camB.mp4"))
    b = window.project.source("camB.mp4")
    assert [c["kind"] for c in b.constraints] == [c["kind"] for c in new_entry["constraints"]]
    # these pattern clips share no sound and no flash: the new run cannot place camB, and says why
    assert new_entry["aligned"] is False and b.clock is None and b.reason == new_entry["reason"]
    assert old_b.clock is not None and old_b.clock.method == "audio"  # what the saved project claimed
    assert window.project.extra["provenance"]["timesync_version"] == __version__
    assert "vehicle" in [a.type for a in window.project.annotations]
    assert window.undo.undoText() == "run alignment"
    window.undo.undo()
    back = window.project.source("camB.mp4")
    assert (back.clock, back.constraints) == (old_b.clock, old_b.constraints)


def test_realigning_keeps_the_projects_manual_anchors(qtbot, window, incident):
    """A project anchor (camB at 0.5 s is camA at 1.7 s) still places camB after a re-run
    whose evidence cannot (the CLI's ``timesync anchor`` solves the same way)."""
    from timesync.align.anchors import Anchor

    data = json.loads(incident.read_text(encoding="utf-8"))
    data["anchors"] = [Anchor("camA.mp4", 1.7, "camB.mp4", 0.5).to_dict()]
    incident.write_text(json.dumps(data), encoding="utf-8")
    window.open_project(incident)
    window.add_annotation("vehicle")
    _finished(qtbot, window, "align", window.run_alignment, timeout=60000)
    clock = window.project.clock("camB.mp4")
    assert clock is not None and clock.method == "manual"
    assert clock.offset_s == pytest.approx(1.2, abs=1e-9)  # shared = 1.2 + t_camB


def test_shortcut_overlay_lists_the_keys(qtbot, window):
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    if not window.overlay.isVisible():
        window.act_overlay.trigger()
    assert window.overlay.isVisible()
    texts = {(g, k) for g, k, _t in window.shortcut_entries()}
    assert ("Playback", "Space") in texts and ("Annotate", "S") in texts and ("Annotate", "I") in texts
    mouse = [k for g, k, _t in window.shortcut_entries() if g == "Mouse"]  # the gestures, after the keys
    assert "Drag a tile's name strip" in mouse and "Wheel on a picture" in mouse
    assert all(g == "Mouse" for g, _k, _t in window.shortcut_entries()[-len(mouse):])
    shown = " ".join(label.text() for label in window.overlay.findChildren(QLabel))
    assert "Reorder the tiles" in shown and "Mouse" in shown
    window.cancel_mark()
    assert not window.overlay.isVisible()
    assert QPoint(0, 0) is not None


def test_role_edit_is_undoable(qtbot, window, incident):
    window.open_project(incident)
    model = window.sources_panel.model
    assert model.setData(model.index(1, 1), "phone")
    assert window.project.source("camB.mp4").role == "phone"
    window.undo.undo()
    assert window.project.source("camB.mp4").role == "body cam"


def test_export_dialog_passes_only_the_options_set(qtbot, window, incident, tmp_path):
    from ui.dialogs import ExportDialog

    window.open_project(incident)
    dialog = ExportDialog(window, fmt="mp4", folder=tmp_path, stem="case", sources=["camA.mp4", "camB.mp4"])
    qtbot.addWidget(dialog)
    fmt, out, force, options = dialog.values()
    assert (fmt, out, force, options) == ("mp4", tmp_path / "case-export.mp4", False, {})
    dialog.option_widgets["start"].setValue(1.5)
    dialog.option_widgets["source"].setCurrentIndex(2)
    assert dialog.values()[3] == {"start": 1.5, "source": "camB.mp4"}
    dialog.format.setCurrentIndex(dialog.format.findData("vtt"))
    assert dialog.values()[1] == tmp_path / "case-export.vtt" and set(dialog.option_widgets) == {"source", "caption_s"}


def test_hash_status_is_unverified_until_rechecked(qtbot, window, incident):
    window.open_project(incident)
    # the check's result arrives through the event loop, which has not run yet
    assert {s.hash_status for s in window.project.sources} == {"unverified"}
    qtbot.waitUntil(lambda: {s.hash_status for s in window.project.sources} == {"verified"}, timeout=10000)
    assert not window.project.is_dirty
