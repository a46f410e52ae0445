"""One way to name a source on the command line: its name, its path, or its file name.

Every command that takes a source (``annotate --source``, ``export --source``,
``shots --position NAME=...``, ``anchor A@T``...) resolves what the user typed
with :func:`resolve_source`, so a name accepted by one is accepted by all.

The forms tried, in order (the first that matches wins):

1. the source's name in the project (``"camB.mp4"``, ``"sample_media/bodycam_B.mp4"``);
2. its path as stored in the project (``"media/camB.mp4"``, relative to the
   project file's folder);
3. a path to its file as typed: absolute, relative to the current folder, or
   relative to the project file's folder (compared after resolving ``..`` and
   symbolic links);
4. the file name alone (``"bodycam_B.mp4"``), or the last part of a source's
   name, when exactly one source has it (a path with a folder part that names
   an existing file, but not a source's file, is refused rather than matched
   by its file name).

Two or more sources with that file name raise :class:`AmbiguousSourceError`
listing them; no match raises :class:`UnknownSourceError` listing every name.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from timesync.errors import ProjectError

if TYPE_CHECKING:
    from timesync.project.source import Source
    from timesync.project.view import ProjectView

__all__ = ["SourceNameError", "UnknownSourceError", "AmbiguousSourceError", "resolve_source", "source_names"]


class SourceNameError(ProjectError):
    """A source named on the command line (or in a file) is not one source of the project."""


class UnknownSourceError(SourceNameError):
    """No source of the project has that name, path or file name."""


class AmbiguousSourceError(SourceNameError):
    """Several sources have that file name; the message lists them."""


def source_names(project: ProjectView) -> str:
    """The project's source names for a message: ``"camA.mp4, camB.mp4"`` (or ``"none"``)."""
    return ", ".join(s.name for s in project.sources) or "none"


def resolve_source(project: ProjectView, text: str) -> str:
    """The name of the project's source that ``text`` designates (see the module docstring).

    Parameters
    ----------
    project : Project
        Source paths are relative to ``project.base_dir`` (the project file's folder).
    text : str
        A name, a stored path, a path to the file, or a unique file name.

    Returns
    -------
    str
        The source's name in the project.

    Raises
    ------
    UnknownSourceError
        Nothing matches; the message lists the project's sources.
    AmbiguousSourceError
        Only the file name was given and several sources have it.
    """
    text = str(text)
    sources = project.sources
    for source in sources:
        if text == source.name:
            return source.name
    for source in sources:
        if text == source.path:
            return source.name
    found = _by_file(project, text)
    if found is not None:
        return found.name
    if _is_other_file(text):
        raise UnknownSourceError(
            f"{project.label}: {text} is a file but not the file of any source (sources: {source_names(project)})"
        )
    return _by_file_name(project, text)


def _is_other_file(text: str) -> bool:
    """True when ``text`` has a folder part and names an existing file (then not a source's file)."""
    has_folder = "/" in text or "\\" in text or os.sep in text
    return has_folder and Path(text).expanduser().is_file()


def _real(path: Path) -> str:
    """``path`` made absolute, with ``..`` and symbolic links resolved (it need not exist)."""
    return os.path.realpath(path)


def _by_file(project: ProjectView, text: str) -> Source | None:
    """The source whose file is ``text`` read from the current folder or the project's folder."""
    if not text.strip():
        return None
    typed = Path(text).expanduser()
    candidates = {_real(typed)}
    if not typed.is_absolute():
        candidates.add(_real(project.base_dir / typed))
    for source in project.sources:
        if _real(project.base_dir / source.path) in candidates:
            return source
    return None


def _by_file_name(project: ProjectView, text: str) -> str:
    """The one source whose file name (or the last part of its name) is ``text``'s file name."""
    wanted = PurePath(text.replace("\\", "/")).name if text.strip() else ""
    matches = [
        s for s in project.sources
        if wanted and wanted in (PurePath(s.path.replace("\\", "/")).name, PurePath(s.name.replace("\\", "/")).name)
    ]
    if len(matches) == 1:
        return matches[0].name
    label = project.label
    if len(matches) > 1:
        listed = "; ".join(f"{s.name} ({s.path})" for s in matches)
        raise AmbiguousSourceError(
            f"{label}: {len(matches)} sources have the file name {wanted!r}: {listed}; give the name or the path"
        )
    raise UnknownSourceError(f"{label}: no source named {text!r} (sources: {source_names(project)})")
