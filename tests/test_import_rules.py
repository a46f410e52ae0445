"""Which package may import which (issue 18): the layering of the core, checked on the syntax trees.

Each rule of :data:`RULES` names a package and the module prefixes that no
module under it may import: at the top, inside a function, under
``TYPE_CHECKING``, relatively (``from ..sync import x``), as ``from timesync
import sync``, or by a constant string handed to ``importlib.import_module``.
A prefix forbids the module itself and everything under it
(``timesync.project`` forbids ``timesync.project.model``, not
``timesync.project_x``). To add a rule, add a row.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (package, forbidden module prefixes, why).
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "timesync.align",
        ("timesync.sync", "timesync.project", "timesync.workflow", "timesync.commands", "timesync.cli"),
        "an aligner is handed media and returns constraints; what runs it (sync, workflow, "
        "the CLI) and the project model sit above it",
    ),
    (
        "timesync.detect",
        ("timesync.project", "timesync.sync", "timesync.sync_result", "timesync.workflow",
         "timesync.workflow_shots", "timesync.commands", "timesync.cli"),
        "detection works on plain data (samples, clocks, names); turning a project into tracks and the "
        "shot table into project events is timesync.workflow_shots' job",
    ),
)


def module_name(path: Path) -> str:
    """Dotted name of the module in ``path`` (a file under :data:`ROOT`)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` node reads from, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _dynamic(node: ast.Call) -> str | None:
    """The constant module name of ``importlib.import_module("x")`` / ``__import__("x")``."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if called in ("import_module", "__import__") and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name ``source`` (the text of ``module``) imports, anywhere in it.

    ``from a import b`` gives both ``a`` and ``a.b`` (``b`` may be a submodule).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and (name := _dynamic(node)) is not None:
            found.add(name)
    return found


def _forbidden(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(package: str, prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """``{module: [forbidden imports]}`` over every module of ``package``."""
    folder = ROOT.joinpath(*package.split("."))
    files = sorted(folder.rglob("*.py"))
    assert files, f"{package}: no modules found under {folder} (renamed? update RULES)"
    out = {}
    for path in files:
        module = module_name(path)
        names = imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        bad = sorted(n for n in names if _forbidden(n, prefixes))
        if bad:
            out[module] = bad
    return out


@pytest.mark.parametrize(("package", "prefixes", "why"), RULES, ids=[r[0] for r in RULES])
def test_import_rule(package, prefixes, why):
    assert violations(package, prefixes) == {}, f"{package} must not import {prefixes}: {why}"


@pytest.mark.parametrize(("source", "module", "is_package", "expected"), [
    ("import timesync.sync\n", "timesync.align.solve", False, {"timesync.sync"}),
    ("def f():\n    from timesync.sync import SourceMedia\n", "timesync.align.audio", True,
     {"timesync.sync", "timesync.sync.SourceMedia"}),
    ("from timesync import project\n", "timesync.align.solve", False, {"timesync", "timesync.project"}),
    ("from ..sync import x\n", "timesync.align.solve", False, {"timesync.sync", "timesync.sync.x"}),
    ("from ...project import model\n", "timesync.align.audio", True,
     {"timesync.project", "timesync.project.model"}),
    ("from . import fine\n", "timesync.align.audio.match", False,
     {"timesync.align.audio", "timesync.align.audio.fine"}),
    ("import importlib\nimportlib.import_module('timesync.workflow')\n", "timesync.align.x", False,
     {"importlib", "timesync.workflow"}),
])
def test_imports_are_found_in_every_form(source, module, is_package, expected):
    assert imported_modules(source, module, is_package) == expected


def test_a_prefix_forbids_submodules_not_namesakes():
    assert _forbidden("timesync.project.model", ("timesync.project",))
    assert _forbidden("timesync.project", ("timesync.project",))
    assert not _forbidden("timesync.sync_result", ("timesync.sync",))
