"""Each registry takes a new entry at run time, and every reader sees it, end to end.

A throwaway export format (a tiny text file), annotation type and evidence kind
(an aligner that finds nothing) are registered here, in the test, without
editing any other module; the CLI's help and choices, the app's dialog and menu,
and the real export / annotate / sync runs then know them.
"""

from __future__ import annotations

import json
import sys
import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from test_project_factory import build_incident

import timesync.sync
from timesync.align.constraints import AlignerReport
from timesync.cli import main
from timesync.errors import ExportError
from timesync.export import export, registry
from timesync.export.registry import ExportFormat, FormOption
from timesync.project import Project
from timesync.project.vocabulary import EventType, register_event_type, unregister_event_type
from ui.dialogs import ExportDialog, KeysDialog
from ui.timeline import event_colour

pytest_plugins = ("conftest_ui",)

TINY = "tinytxt"


def write(project, target, *, fmt, progress=None, source=None, **_options):
    """The fake format's writer: one line naming the project, its sources and the chosen source."""
    target.write_text(f"{fmt} {project.label} {len(project.sources)} sources from {source or 'the reference'}\n")


@pytest.fixture
def tiny_format():
    registry.register(ExportFormat(TINY, __name__, ".tiny", "a tiny text file", options=("source",),
                                   form=(FormOption("source", "lines of", "source"),)))
    yield TINY
    registry.unregister(TINY)


def test_a_registered_format_is_offered_by_the_cli(tiny_format, incident, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "tinytxt" in capsys.readouterr().out
    out = tmp_path / "a.tiny"
    assert main(["export", str(incident), "-f", TINY, "--source", "camB.mp4", "-o", str(out)]) == 0
    assert out.read_text() == "tinytxt incident.json 4 sources from camB.mp4\n"
    assert main(["export", str(incident), "-f", TINY, "--timecode", "df", "-o", str(tmp_path / "b.tiny")]) == 3
    assert "--timecode applies to edl only" in capsys.readouterr().err
    with pytest.raises(ExportError, match="format tinytxt takes no option 'rate'"):
        export(Project.load(incident), TINY, tmp_path / "c.tiny", rate=25.0)


def test_a_registered_format_is_in_the_dialog_and_the_menu(tiny_format, window, qtbot, incident, tmp_path):
    dialog = ExportDialog(folder=tmp_path, stem="case", sources=["camA.mp4", "camB.mp4"])
    qtbot.addWidget(dialog)
    index = dialog.format.findData(TINY)
    assert index >= 0 and dialog.format.itemText(index) == "tinytxt: a tiny text file"
    dialog.format.setCurrentIndex(index)
    assert dialog.out.text() == str(tmp_path / "case-export.tiny")
    assert list(dialog.option_widgets) == ["source"]
    dialog.option_widgets["source"].setCurrentIndex(2)
    fmt, out, _force, options = dialog.values()
    assert (fmt, options) == (TINY, {"source": "camB.mp4"})
    window.open_project(incident)
    assert export(window.project, fmt, out, **options).read_text().endswith("from camB.mp4\n")
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "E&xport")
    assert "tinytxt: a tiny text file…" in [a.text() for a in menu.actions()]


def test_format_registry_refuses_a_dialog_option_the_format_does_not_take():
    with pytest.raises(ValueError, match="offers 'fps'"):
        registry.register(ExportFormat("bad", __name__, ".bad", "bad", form=(FormOption("fps", "fps", "float"),)))
    assert registry.get("bad") is None


TEA = EventType("tea break", (12, 34, 56), "Y")


@pytest.fixture
def tea_type():
    register_event_type(TEA)
    yield TEA
    unregister_event_type(TEA.name)


def test_a_registered_type_is_in_new_projects_and_the_cli(tea_type, tmp_path, ui_media_cache, capsys):
    assert Project().vocabulary[-1] == "tea break"
    with pytest.raises(SystemExit):
        main(["annotate", "--help"])
    assert "tea break" in " ".join(capsys.readouterr().out.split())
    build_incident(tmp_path / "case", media_cache=ui_media_cache)
    path = tmp_path / "case" / "incident.json"
    assert main(["annotate", str(path), "--type", "tea break", "--at", "0.6"]) == 0  # no --new-type needed
    saved = json.loads(path.read_text())
    assert "tea break" in saved["vocabulary"]
    assert [(e["type"], e["shared_s"]) for e in saved["events"] if e["type"] == "tea break"] == [("tea break", 0.6)]


def test_a_registered_type_has_its_key_and_colour_in_the_app(tea_type, window, qtbot, tmp_path, ui_media_cache):
    build_incident(tmp_path / "case", media_cache=ui_media_cache)
    window.open_project(tmp_path / "case" / "incident.json")
    assert event_colour("tea break") == QColor(12, 34, 56)
    keys = window.annotate.type_keys()
    assert keys["tea break"] == "Y"
    dialog = KeysDialog(keys, window)
    qtbot.addWidget(dialog)
    assert dialog.keys()["tea break"] == "Y"
    window.clock.seek(0.75)
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Y)
    assert [(a.type, a.shared_s) for a in window.project.annotations if a.type == "tea break"] == [("tea break", 0.75)]


def test_a_type_key_the_app_already_uses_adds_nothing_and_says_so(window, qtbot, tmp_path, ui_media_cache):
    clash = EventType("knock", (1, 2, 3), "T")  # T is the app's "tie" key
    register_event_type(clash)
    try:
        build_incident(tmp_path / "case", media_cache=ui_media_cache)
        window.open_project(tmp_path / "case" / "incident.json")
        assert "key T of “knock” is the app's" in window.statusBar().currentMessage()
        adds = [a for a in window.actions() if a.text() == "Add “knock”"]
        assert len(adds) == 1 and adds[0].shortcut().isEmpty()
        assert [a for a in window.actions() if a.shortcut().toString() == "T"]  # the tie key stays
    finally:
        unregister_event_type(clash.name)


@pytest.fixture
def nothing_kind(monkeypatch):
    """An evidence kind ``nothing`` whose aligner records what it was given and finds no constraint."""
    seen: list[list[str]] = []

    def find_constraints(sources, progress=None, **_kw):
        seen.append([s.name for s in sources])
        return AlignerReport(method="nothing")

    module = types.ModuleType("fakekinds.nothing")
    module.find_constraints = find_constraints
    monkeypatch.setitem(sys.modules, "fakekinds", types.ModuleType("fakekinds"))
    monkeypatch.setitem(sys.modules, "fakekinds.nothing", module)
    monkeypatch.setattr(timesync.sync, "ALIGNERS", (*timesync.sync.ALIGNERS, "fakekinds.nothing"))
    return seen


def test_a_registered_kind_is_a_method_of_the_cli_and_runs(nothing_kind, tmp_path, ui_media_cache, capsys):
    with pytest.raises(SystemExit):
        main(["sync", "--help"])
    assert "audiovisual, metadata, nothing)" in " ".join(capsys.readouterr().out.split())
    files = [str(ui_media_cache / "camA.mp4"), str(ui_media_cache / "camB.mp4")]
    out = tmp_path / "p.json"
    main(["sync", *files, "--methods", "nothing", "-o", str(out), "-q"])
    assert nothing_kind == [files]
    assert json.loads(out.read_text())["provenance"]["aligners"] == {"nothing": "ran"}
    result = timesync.sync.sync(files, methods=["audio", "nothing"])  # beside another kind: adds nothing
    assert result.to_dict()["provenance"]["aligners"] == {"audio": "ran", "nothing": "ran"}
    assert len(nothing_kind) == 2
