"""``json``: the full project, with a ``provenance`` block, deterministic bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from timesync.export.provenance import provenance
from timesync.project.store import dumps_project

if TYPE_CHECKING:
    from timesync.project import Project

OPTIONS: tuple[str, ...] = ()


def render(project: Project, *, fmt: str = "json", **_: Any) -> bytes:
    """The project JSON plus ``provenance`` (sorted keys, UTF-8, final newline)."""
    data = project.to_dict()
    data["provenance"] = provenance(project)
    return dumps_project(data)
