"""Exports of an incident project: json, csv, vtt, srt, otio, xml, fcpxml, edl, eaf, mp4, html, pdf.

The formats, their options and modules are listed once, in
:mod:`timesync.export.registry` (read by the CLI and the app's dialog too).

``export(project, fmt, out, *, force=False, progress=None, **options) -> Path``
writes one file (``edl`` with ``out`` an existing folder: one file per source
there). Every format carries provenance (tool version, each source's
SHA-256 and hash status, how it was aligned and to what uncertainty: see
:mod:`timesync.export.provenance`) and is byte-identical when repeated on the
same project. Text formats are written atomically; an existing ``out`` is
refused without ``force``; a source file is never overwritten.

Options by format:

* ``vtt``, ``srt``: ``source`` (name; default the reference), ``caption_s``
  (seconds a point event stays on screen, default 2).
* ``otio`` (OpenTimelineIO), ``xml`` (Final Cut Pro 7 XML, for Premiere and
  Resolve), ``fcpxml`` (Final Cut Pro XML 1.9): ``rate`` (the sequence's frame
  rate; default the reference's own, 29.97 as 30000/1001). Every source keeps
  its own rate and has an audio track when it has audio; media paths are
  relative to the export's folder, plus the absolute path
  (:mod:`timesync.export.timeline`, :mod:`timesync.export.fcpxml`).
* ``edl`` (CMX 3600, :mod:`timesync.export.edl`): ``source`` (default the
  reference; ``out`` a folder: every aligned source, one file each), at the
  source's own frame rate; ``timecode`` (``ndf`` or ``df`` for 29.97),
  ``tracks`` (``video``, ``audio``, ``both``), ``rate`` (audio-only sources).
* ``mp4``: ``source`` (audio from; default the reference), ``start``, ``end``
  (shared seconds), ``width``, ``height`` (output pixels, default 1280x720) or
  ``tile_width``, ``tile_height`` (the output size then follows), ``fps``
  (default 30), ``caption_s``, ``crf`` (default 23), ``preset`` (x264, default
  ``ultrafast``).
* ``html``, ``pdf``: ``thumb_side`` (pixels of the inline stills, default 320),
  ``case``, ``examiner``, ``agency`` (the case block).

``csv`` and ``srt`` also write ``NAME.provenance.json`` beside ``out`` (refused
like ``out`` when it exists without ``force``). Every export that names media
(json, eaf) writes paths relative to its own folder, plus the absolute path. A
project whose source files are all missing is refused.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export import registry
from timesync.export.registry import RegistryView

if TYPE_CHECKING:
    from timesync.project import Project

__all__ = ["export", "FORMATS", "EXTENSIONS", "check_some_source_present"]

#: Format name -> module implementing it: a live view of :data:`timesync.export.registry.REGISTRY`.
FORMATS: Mapping[str, str] = RegistryView(lambda f: f.module)
#: Format name -> the usual file extension (a live view of the registry).
EXTENSIONS: Mapping[str, str] = RegistryView(lambda f: f.extension)


def export(
    project: Project,
    fmt: str,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    progress: Callable[[float, str], Any] | None = None,
    **options: Any,
) -> Path:
    """Write ``project`` as ``fmt`` to ``out``; returns the absolute path written.

    Raises
    ------
    ExportError
        Unknown format or option, ``out`` exists and ``force`` is false, ``out``
        is one of the project's sources, or the renderer failed.
    """
    fmt = fmt.lower()
    entry = registry.get(fmt)
    if entry is None:
        raise ExportError(f"{Path(out).name}: unknown export format {fmt!r} (known: {', '.join(registry.names())})")
    target = Path(out).absolute()
    for source in project.sources:
        if project.resolve(source.name) == target:
            raise ExportError(f"{target.name}: is the source {source.name}; evidence is never overwritten")
    check_some_source_present(project, target)
    module = importlib.import_module(entry.module)
    for extra in module.sidecars(target, fmt) if hasattr(module, "sidecars") else ():
        if extra.exists() and not force:
            raise ExportError(f"{extra.name} exists; pass --force to overwrite")
    unknown = sorted(k for k, v in options.items() if k not in entry.options and v is not None)
    if unknown:
        raise ExportError(f"{target.name}: format {fmt} takes no option {unknown[0]!r}")
    options = {k: v for k, v in options.items() if v is not None}
    if target.is_dir() and entry.folder:  # edl: one file per source in the folder
        module.write_folder(project, target, force=force, progress=progress, **options)
        return target
    if target.is_dir():
        raise ExportError(f"{target.name}: is a folder; give a file name")
    if target.exists() and not force:
        raise ExportError(f"{target.name} exists; pass --force to overwrite")
    if not target.parent.is_dir():
        raise ExportError(f"{target.name}: the folder {target.parent} does not exist")
    if hasattr(module, "write"):
        module.write(project, target, fmt=fmt, progress=progress, **options)
    else:
        from timesync.project.store import atomic_write_bytes

        payload = module.render(project, fmt=fmt, progress=progress, **options)
        atomic_write_bytes(target, payload)
        if progress is not None:
            progress(1.0, f"wrote {target.name}")  # (html reports its own progress too)
    return target


def check_some_source_present(project: Project, target: Path) -> None:
    """Refuse to export ``project`` to ``target`` when every one of its source files is missing.

    Raises
    ------
    ExportError
        One sentence naming ``target`` and the project.
    """
    if project.sources and not any(project.resolve(s.name).is_file() for s in project.sources):
        raise ExportError(f"{target.name}: every source file of {project.label} is missing; "
                          "restore or relink them before exporting")
