"""Size limits of the code (issue 18): no module over 500 lines, no function over 60.

Every ``.py`` file under ``timesync/`` and ``ui/`` is measured: a module by its
number of lines, a function (methods and nested functions included) from its
``def`` line to its last line, not counting its docstring (a numpydoc docstring
with units and sign conventions is documentation, not length to split).

An exception is listed below with a one-line reason: either a lasting one, which
``docs/architecture.md`` names and explains (the test checks that the file is
named there), or ``"to split, issue 18"``: a file that other work is splitting
now. An entry that is within the limits again must be taken off the list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("timesync", "ui")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
TO_SPLIT = "to split, issue 18"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

#: Modules allowed over MAX_MODULE_LINES: path -> reason.
MODULE_EXCEPTIONS: dict[str, str] = {
}
#: Functions allowed over MAX_FUNCTION_LINES: "path::qualified.name" -> reason.
FUNCTION_EXCEPTIONS: dict[str, str] = {
}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _docstring_lines(node: ast.AST) -> int:
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno - first.lineno + 1
    return 0


def function_lengths(source: str) -> dict[str, int]:
    """Length (lines, docstring not counted) of every function in ``source``, by qualified name."""
    out: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                out[name] = child.end_lineno - child.lineno + 1 - _docstring_lines(child)
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return out


def _measure() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        modules[_name(path)] = len(text.splitlines())
        for qualname, length in function_lengths(text).items():
            functions[f"{_name(path)}::{qualname}"] = length
    return modules, functions


def test_no_module_over_the_limit():
    modules, _ = _measure()
    over = {m: n for m, n in modules.items() if n > MAX_MODULE_LINES and m not in MODULE_EXCEPTIONS}
    assert not over, f"modules over {MAX_MODULE_LINES} lines (split them, or list and explain them): {over}"


def test_no_function_over_the_limit():
    _, functions = _measure()
    over = {f: n for f, n in functions.items() if n > MAX_FUNCTION_LINES and f not in FUNCTION_EXCEPTIONS}
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines (split them, or list and explain them): {over}"


def test_every_exception_is_still_needed_and_explained():
    modules, functions = _measure()
    docs = ARCHITECTURE.read_text(encoding="utf-8")
    for table, sizes, limit in ((MODULE_EXCEPTIONS, modules, MAX_MODULE_LINES),
                                (FUNCTION_EXCEPTIONS, functions, MAX_FUNCTION_LINES)):
        for entry, reason in table.items():
            assert entry in sizes, f"{entry}: listed as an exception but not found"
            assert sizes[entry] > limit, f"{entry}: {sizes[entry]} lines, within the limit now: take it off the list"
            assert reason.strip(), f"{entry}: no reason given"
            if not reason.startswith(TO_SPLIT):
                path = entry.split("::")[0]
                assert path in docs, f"{entry}: a lasting exception must be named in docs/architecture.md"


@pytest.mark.parametrize(("source", "expected"), [
    ('def f():\n    """Doc.\n\n    More.\n    """\n    return 1\n', {"f": 2}),
    ("class C:\n    def m(self):\n        def inner():\n            pass\n        return inner\n",
     {"C.m": 4, "C.m.inner": 2}),
])
def test_function_length_counts_code_not_docstrings(source, expected):
    assert function_lengths(source) == expected


def test_the_main_window_stays_under_400_lines():
    """Issue 18: MainWindow lays out and wires; what it does lives in its controllers."""
    lines = len((ROOT / "ui" / "main_window.py").read_text(encoding="utf-8").splitlines())
    assert lines < 400, f"ui/main_window.py has {lines} lines: move behaviour into ui/controllers/"
