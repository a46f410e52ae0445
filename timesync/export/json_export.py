"""``json``: the full project, with an ``export_provenance`` block, deterministic bytes.

Source paths are rewritten to resolve from the export's own folder (so
``timesync verify OUT.json`` finds the files wherever the export was written),
and each source also gets ``absolute_path`` (POSIX), the file as resolved when
exporting. (``provenance`` is left to what ``timesync sync`` recorded: aligners,
parameters, dropped constraints.)

``export_provenance`` (:func:`timesync.export.provenance.provenance`): each
source's hash status, alignment and ``travel_bound_s``, the ``sound_travel``
assumption, the manual ties (``anchors``, with frames), the reviewer's
``rejected_suggestions``, and ``events``: per
event its shared time's ``uncertainty_s`` (one sigma), ``travel_bound_s`` and
``total_uncertainty_s`` (their sum), seconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import event_records, media_paths, provenance
from timesync.project.store import atomic_write_bytes, dumps_project

if TYPE_CHECKING:
    from timesync.project import Project


def render(project: Project, *, fmt: str = "json", folder: Path | None = None, **_: Any) -> bytes:
    """The project JSON plus ``export_provenance`` (sorted keys, UTF-8, final newline).

    ``folder`` is where the JSON goes (default: the project's own folder):
    relative source paths are made relative to it.
    """
    folder = project.base_dir if folder is None else Path(folder)
    data = project.to_dict()
    for entry, source in zip(data["sources"], project.sources, strict=True):
        entry["path"], entry["absolute_path"] = media_paths(project, source, folder)
    data["export_provenance"] = provenance(project)
    data["export_provenance"]["events"] = event_records(project)
    return dumps_project(data)


def write(project: Project, out: Path, *, fmt: str = "json",
          progress: Callable[[float, str], Any] | None = None, **_: Any) -> None:
    """Write :func:`render` for ``out``'s folder to ``out`` atomically."""
    atomic_write_bytes(out, render(project, folder=out.parent))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
