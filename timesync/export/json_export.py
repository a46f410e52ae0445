"""``json``: the full project, with an ``export_provenance`` block, deterministic bytes.

(``provenance`` is left to what ``timesync sync`` recorded: aligners, parameters,
dropped constraints.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from timesync.export.provenance import provenance
from timesync.project.store import dumps_project

if TYPE_CHECKING:
    from timesync.project import Project

OPTIONS: tuple[str, ...] = ()


def render(project: Project, *, fmt: str = "json", **_: Any) -> bytes:
    """The project JSON plus ``export_provenance`` (sorted keys, UTF-8, final newline)."""
    data = project.to_dict()
    data["export_provenance"] = provenance(project)
    return dumps_project(data)
