"""The project file on disk: read with clear errors, saved atomically.

The JSON's shape (schema tag, keys, migrations) is :mod:`timesync.project.schema`'s;
this module reads and writes the bytes: :func:`read_document`, :func:`dumps_project`
(deterministic), :func:`atomic_write_bytes`, :func:`save_project` and :func:`save_copy`.
It reaches a :class:`~timesync.project.model.Project` only through its public methods.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ProjectError
from timesync.project.schema import project_document

if TYPE_CHECKING:
    from timesync.project.view import ProjectView

__all__ = [
    "read_document",
    "save_project",
    "save_copy",
    "atomic_write_bytes",
    "dumps_project",
    "fill_probes",
]

def dumps_project(data: dict[str, Any]) -> bytes:
    """Deterministic JSON bytes: sorted keys, 2-space indent, UTF-8, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------- files
def read_document(path: str | os.PathLike[str]) -> Any:
    """The JSON of a project file, not yet validated (see :meth:`Project.load`).

    A missing, unreadable, non-UTF-8 or non-JSON file raises ``ProjectError``
    naming the file.
    """
    path = Path(path)
    label = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{label}: no such project file") from None
    except IsADirectoryError:
        raise ProjectError(f"{label}: is a folder, not a project file") from None
    except OSError as exc:
        raise ProjectError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProjectError(f"{label}: not a project file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{label}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); truncated or damaged?"
        ) from None
    return data


def fill_probes(project: ProjectView) -> None:
    """Probe sources that have no probe summary (e.g. written by ``timesync sync -o``).

    Not a change of the project (no history, not dirty); a file that cannot be
    probed keeps an empty summary and adds a warning.
    """
    from timesync.errors import MediaError
    from timesync.project.verify import probe_summary

    for source in project.sources:
        path = project.resolve(source.name)
        if source.probe or not path.is_file():
            continue
        try:
            summary = probe_summary(path)
        except MediaError as exc:
            project.warnings.append(f"{source.path}: could not be probed ({exc})")
            continue
        project.set_probe(source.name, summary)


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` so that ``path`` is always either the old file or the whole new one.

    A temporary file in the same folder is written, flushed and fsynced, then
    ``os.replace``\\ d over ``path``, then the folder is fsynced. On any error
    the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def save_project(project: ProjectView, path: str | os.PathLike[str] | None = None) -> Path:
    """Save ``project`` atomically (see :meth:`Project.save`)."""
    target = Path(path).absolute() if path is not None else project.path
    if target is None:
        raise ProjectError("project: no file to save to; give a path")
    if target.is_dir():
        raise ProjectError(f"{target.name}: is a folder, not a project file")
    if not target.parent.is_dir():
        raise ProjectError(f"{target.name}: the folder {target.parent} does not exist")
    project.rebase(target.parent)
    atomic_write_bytes(target, dumps_project(project_document(project)))
    _remove_stale_temporaries(target)
    project.mark_saved(target)
    return target


def save_copy(project: ProjectView, path: str | os.PathLike[str]) -> Path:
    """Write ``project``'s JSON atomically to ``path`` as a copy: an autosave, a recovery file.

    Unlike :func:`save_project` the project is untouched: its file, its source
    paths (relative to its own folder, so the copy belongs beside the project
    file) and its dirty flag stay as they are; no event is emitted. Returns the
    path written; raises ``OSError`` when it cannot be written.
    """
    target = Path(path)
    atomic_write_bytes(target, dumps_project(project_document(project)))
    return target


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temporary files an interrupted save of ``target`` left (``.NAME.*.tmp``)."""
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            stale.unlink()
        except OSError:
            pass
