"""One home for the project file's shape (issue 18): :mod:`timesync.project.schema`.

A scan of the syntax trees of every module under ``timesync/`` and ``ui/`` checks:

* the schema tag: no string constant other than a docstring contains
  ``"timesync.project/"`` outside ``timesync/project/schema.py``;
* a source entry: no dict literal (``{...}`` or ``dict(...)``) has both the keys
  ``"sha256"`` and ``"aligned"`` (a project source entry) outside schema.py, apart
  from the listed (file, function) exceptions;
* a constraint entry: no dict literal has both the keys ``"kind"`` and ``"with"``
  (a constraint as the project stores it) outside schema.py;
* the ``overlay_clock`` entry is read (``x["at_local_zero"]`` or
  ``x.get("at_local_zero")``) only by :class:`timesync.clock.BurnedInClock` and
  schema.py's type check, apart from the listed (file, function) exceptions;
* no module of ``timesync/project`` imports ``timesync.project.model``, not even for
  type hints (``ProjectView`` names what they use), and the runtime imports among
  ``timesync/project`` modules (imports under ``if TYPE_CHECKING:`` not counted) have no cycle;
* no module but model.py touches a private attribute of a variable named ``project``.
"""

from __future__ import annotations

import ast
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from timesync.clock import BurnedInClock

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("timesync", "ui")
HOME = "timesync/project/schema.py"
TAG = "timesync.project/"

#: (file, function) -> why it may read an ``at_local_zero`` key itself; every entry must still match.
OVERLAY_READERS: dict[tuple[str, str], str] = {
    ("timesync/clock.py", "BurnedInClock.from_dict"): "the home of the overlay_clock entry",
    ("timesync/demo.py", "compare_overlays"): "reads the sample truth file's overlay_clock, not a project entry",
    ("timesync/demo.py", "format_summary"): "prints the demo report's own rows",
}


#: (file, function) -> why it may build a dict with a source entry's keys; every entry must still match.
SOURCE_BUILDERS: dict[tuple[str, str], str] = {
    ("timesync/export/provenance.py", "_source_record"): "the export sidecar's own record of a source "
                                                          "(provenance.json), not a project entry",
}


def _modules() -> list[tuple[str, ast.Module]]:
    paths = sorted(p for pkg in SCANNED for p in (ROOT / pkg).rglob("*.py"))
    return [(p.relative_to(ROOT).as_posix(), ast.parse(p.read_text(encoding="utf-8"))) for p in paths]


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are bare expression statements (docstrings, comments)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def _dict_keys(node: ast.AST) -> set[str] | None:
    """The constant string keys of a dict display or a ``dict(key=...)`` call, else None."""
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {k.arg for k in node.keywords if k.arg}
    return None


def _functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """(qualified name, node) of every function, methods as ``Class.method``."""
    out = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append((f"{prefix}{child.name}", child))
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return out


def _reads_key(node: ast.AST, key: str) -> bool:
    """``x[key]`` or ``x.get(key...)``."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == key
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        first = node.args[0] if node.args else None
        return isinstance(first, ast.Constant) and first.value == key
    return False


def test_only_schema_spells_the_schema_tag():
    found = []
    for name, tree in _modules():
        if name == HOME:
            continue
        skip = _docstrings(tree)
        found += [f"{name}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and TAG in node.value and id(node) not in skip]
    assert found == [], f"the schema tag is spelled outside {HOME}: {found}"


def _builders(keys: set[str]) -> set[tuple[str, str]]:
    """(file, innermost function or "<module>") of each dict literal with all of ``keys``, outside schema.py."""
    found = set()
    for name, tree in _modules():
        if name == HOME:
            continue
        for node in ast.walk(tree):
            if (present := _dict_keys(node)) is not None and keys <= present:
                found.add((name, _enclosing(tree, node)))
    return found


def _enclosing(tree: ast.Module, target: ast.AST) -> str:
    best = "<module>"
    for qualname, function in _functions(tree):  # outer functions come first: the last match is innermost
        if any(node is target for node in ast.walk(function)):
            best = qualname
    return best


def test_only_schema_builds_source_entries():
    found = _builders({"sha256", "aligned"})
    assert found - set(SOURCE_BUILDERS) == set(), f"a source entry is built outside {HOME}"
    assert set(SOURCE_BUILDERS) - found == set(), "an exception no longer needed: take it off the list"


def test_only_schema_builds_constraint_entries():
    assert _builders({"kind", "with"}) == set(), f"a constraint entry is built outside {HOME}"


def test_the_overlay_clock_entry_is_read_in_one_place():
    found = set()
    for name, tree in _modules():
        for qualname, function in _functions(tree):
            if any(_reads_key(node, "at_local_zero") for node in ast.walk(function)):
                found.add((name, qualname))
        top = [node for node in tree.body if not isinstance(node, ast.FunctionDef | ast.ClassDef)]
        if any(_reads_key(node, "at_local_zero") for stmt in top for node in ast.walk(stmt)):
            found.add((name, "<module>"))
    # a nested function's reads are its enclosing function's too: keep the innermost
    innermost = {f for f in found if not any(g != f and g[0] == f[0] and g[1].startswith(f[1] + ".") for g in found)}
    assert innermost - set(OVERLAY_READERS) == set(), "read the overlay_clock entry with BurnedInClock.from_dict"
    assert set(OVERLAY_READERS) - innermost == set(), "an exception no longer needed: take it off the list"


def _runtime_imports(tree: ast.Module, *, hints: bool = False) -> set[str]:
    """Modules imported when the module runs (anywhere, functions included); with ``hints``
    also those imported under ``if TYPE_CHECKING:``."""
    hidden = set() if hints else {id(n) for node in ast.walk(tree)
                                  if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                                  for stmt in node.body for n in ast.walk(stmt)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _project_graph(*, hints: bool = False) -> dict[str, set[str]]:
    folder = ROOT / "timesync" / "project"
    names = {f"timesync.project.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    return {module: _runtime_imports(ast.parse((folder / f"{module.rsplit('.', 1)[1]}.py").read_text()),
                                     hints=hints) & names
            for module in sorted(names)}


def test_no_project_module_imports_the_model_and_no_cycle():
    graph = _project_graph()
    importers = sorted(m for m, deps in graph.items() if "timesync.project.model" in deps)
    assert importers == [], f"these import the model when they run: {importers}"
    seen: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for dep in sorted(graph[module]):
            assert seen.get(dep) != 1, f"import cycle: {' -> '.join([*path, module, dep])}"
            if dep not in seen:
                visit(dep, [*path, module])
        seen[module] = 2

    for module in graph:
        if module not in seen:
            visit(module, [])


def test_no_project_module_names_the_model_even_for_type_hints():
    """They name what they use of a Project with :class:`timesync.project.view.ProjectView`."""
    graph = _project_graph(hints=True)
    assert sorted(m for m, deps in graph.items() if "timesync.project.model" in deps) == []


def test_no_module_but_the_model_touches_project_private_fields():
    found = []
    for name, tree in _modules():
        if name == "timesync/project/model.py":
            continue
        found += [f"{name}:{node.lineno} project.{node.attr}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name) and node.value.id == "project"]
    assert found == [], f"private fields of a Project written from outside: {found}"


# -- the overlay clock's home ---------------------------------------------------------------------
def test_burned_in_clock_reads_an_overlay_clock_entry():
    entry = {"at_local_zero": "2024-05-01T14:03:07.250", "rate": 1.000002, "uncertainty_s": 0.004,
             "layout": "YYYY-MM-DD HH:MM:SS", "ticks": 40, "readings": []}
    clock = BurnedInClock.from_dict(entry)
    assert clock == BurnedInClock("2024-05-01T14:03:07.250", 1.000002, 0.004, "YYYY-MM-DD HH:MM:SS")
    assert clock.to_dict() == {k: entry[k] for k in ("at_local_zero", "rate", "uncertainty_s", "layout")}
    assert clock.zero() == datetime(2024, 5, 1, 14, 3, 7, 250000)
    # 10 local s at rate 1.000002 are 10.00002 overlay s: rounded to the microsecond, not truncated
    assert clock.reading(10.0) == datetime(2024, 5, 1, 14, 3, 17, 250020)
    assert BurnedInClock("2024-05-01T14:03:07Z").zero() == datetime(2024, 5, 1, 14, 3, 7, tzinfo=UTC)


@pytest.mark.parametrize("entry", [None, {}, {"at_local_zero": ""}, {"at_local_zero": 5}, "text", []])
def test_burned_in_clock_is_none_without_a_reading(entry):
    assert BurnedInClock.from_dict(entry) is None


@pytest.mark.parametrize("rate", [None, "2", True, 0, -1.0, math.nan, math.inf])
def test_burned_in_clock_without_a_valid_rate_runs_at_one(rate):
    clock = BurnedInClock.from_dict({"at_local_zero": "2024-05-01T00:00:00", "rate": rate, "uncertainty_s": "x"})
    assert clock.rate == 1.0 and clock.uncertainty_s is None and clock.layout is None
    assert BurnedInClock("not a time").reading(1.0) is None
