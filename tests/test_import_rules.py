"""Import rules between core packages: a package never imports the layers above it.

RULES maps a package folder (relative to the repository) to the module-name
prefixes that no module under it may import, at the top or inside a function
(a prefix is taken as written: "timesync.workflow" also forbids
"timesync.workflow_shots", "timesync.sync" also "timesync.sync_result").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RULES: dict[str, tuple[str, ...]] = {
    "timesync/detect": ("timesync.project", "timesync.sync", "timesync.workflow", "timesync.commands"),
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, root: Path) -> set[str]:
    """Every module (and ``module.name``) an import in ``path`` names, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def violations(rules: dict[str, tuple[str, ...]], root: Path = ROOT) -> dict[str, list[str]]:
    """``{module file: [forbidden imports]}`` over every module of every package of ``rules``."""
    out = {}
    for folder, forbidden in rules.items():
        for path in sorted((root / folder).rglob("*.py")):
            bad = sorted(n for n in _imported(path, root) if n.startswith(forbidden))
            if bad:
                out[path.relative_to(root).as_posix()] = bad
    return out


def test_every_rule_names_a_package():
    assert all((ROOT / folder / "__init__.py").is_file() for folder in RULES)


def test_import_rules_hold():
    assert violations(RULES) == {}


def test_a_function_local_or_relative_import_is_seen(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("def f():\n    from timesync.project import Project\n    return Project\n")
    (package / "rel.py").write_text("from ..timesync import workflow_shots\n")
    (package / "ok.py").write_text("import timesync.clock\nfrom . import mod\n")
    found = violations({"pkg": ("timesync.project", "timesync.workflow")}, root=tmp_path)
    assert found == {"pkg/mod.py": ["timesync.project", "timesync.project.Project"],
                     "pkg/rel.py": ["timesync.workflow_shots"]}
