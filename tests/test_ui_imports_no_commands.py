"""The app calls the core (``timesync.workflow``, ``timesync.project``...), never the CLI's subcommands."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "ui"
FORBIDDEN = "timesync.commands"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_commands(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


def test_no_ui_module_imports_the_cli_commands(tmp_path):
    sample = tmp_path / "sample.py"  # the check sees imports in functions, and every spelling
    sample.write_text("def f():\n    from timesync.commands.anchor import run\n    import timesync.commands\n"
                      "from timesync import commands\n", encoding="utf-8")
    assert {m for m in _imported_modules(sample) if _is_commands(m)} == {
        "timesync.commands.anchor", "timesync.commands.anchor.run", "timesync.commands"}
    offenders = {str(p.relative_to(UI)): sorted(m for m in _imported_modules(p) if _is_commands(m))
                 for p in UI.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
