"""The project file: JSON with a schema version, validated on load, saved atomically.

Format (DESIGN.md, "The project file") with these additions: ``vocabulary``
(event types), ``history`` (every change), per source ``name``, ``role``,
``probe``, ``hash_status``, ``reason``, ``warnings`` (a list of sentences, absent
in older files: none); optional top-level ``wall_clock``.
Unknown keys are kept as they were.

Schema versions: ``"schema": "timesync.project/N"``. A file of an older version
is upgraded on load by the functions of :data:`MIGRATIONS` (``{N: fn}`` takes a
version-N dict to version N+1); a newer or unknown version is refused.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.annotation import Annotation
from timesync.project.history import HistoryEntry
from timesync.project.model import Project, stored_path
from timesync.project.source import HASH_STATUSES, ROLES, Source, is_unsafe_path
from timesync.project.vocabulary import default_event_types

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "upgrade",
    "load_project",
    "save_project",
    "save_copy",
    "project_to_dict",
    "project_from_dict",
    "project_from_sync_result",
    "atomic_write_bytes",
    "dumps_project",
    "fill_probes",
]

SCHEMA_NAME = "timesync.project"
SCHEMA_VERSION = 1

#: ``{from_version: upgrade}``: each takes a project dict of ``from_version``
#: and returns one of ``from_version + 1`` (it may modify its argument).
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

_SOURCE_KEYS = {
    "name", "path", "sha256", "role", "aligned", "offset_s", "rate", "uncertainty_s", "method",
    "reason", "constraints", "overlay_clock", "probe", "hash_status", "warnings",
}
_TOP_KEYS = {"schema", "reference", "sources", "events", "history", "vocabulary", "wall_clock"}


# ----------------------------------------------------------------- versions
def schema_version(data: dict[str, Any], label: str) -> int:
    """The N of ``"timesync.project/N"``; ``ProjectError`` when absent or not ours."""
    tag = data.get("schema")
    prefix = SCHEMA_NAME + "/"
    if not isinstance(tag, str) or not tag.startswith(prefix) or not tag[len(prefix):].isdigit():
        raise ProjectError(f"{label}: not a timesync project (schema is {tag!r}, expected '{prefix}{SCHEMA_VERSION}')")
    return int(tag[len(prefix):])


def upgrade(
    data: dict[str, Any],
    label: str = "project",
    *,
    migrations: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
    current: int = SCHEMA_VERSION,
) -> dict[str, Any]:
    """Bring a project dict of an older schema version up to ``current`` with ``migrations``."""
    steps = MIGRATIONS if migrations is None else migrations
    version = schema_version(data, label)
    if version > current:
        raise ProjectError(
            f"{label}: schema {SCHEMA_NAME}/{version} is newer than this timesync reads "
            f"({SCHEMA_NAME}/{current}); update timesync"
        )
    while version < current:
        step = steps.get(version)
        if step is None:
            raise ProjectError(f"{label}: no upgrade from schema {SCHEMA_NAME}/{version}")
        data = step(data)
        version += 1
        data["schema"] = f"{SCHEMA_NAME}/{version}"
    return data


# --------------------------------------------------------------- validation
class _Checker:
    """Type checks that name the file and the field: ``incident.json: events[3].shared_s must be...``."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, where: str, expected: str, value: Any) -> None:
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        raise ProjectError(f"{self.label}: {where} must be {expected}, got {shown}")

    def number(self, obj: dict[str, Any], key: str, where: str, *, optional: bool = False,
               positive: bool = False) -> float | None:
        value = obj.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(f"{where}.{key}", "a number", value)
        if positive and value <= 0:
            self.fail(f"{where}.{key}", "a number > 0", value)
        return float(value)

    def text(self, obj: dict[str, Any], key: str, where: str, *, optional: bool = False,
             default: str | None = None) -> str | None:
        value = obj.get(key, default)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", "text", value)
        return value

    def mapping(self, value: Any, where: str, *, optional: bool = False) -> dict[str, Any] | None:
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            self.fail(where, "an object", value)
        return value

    def array(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, "a list", value)
        return value


def _source_from_dict(c: _Checker, raw: Any, i: int) -> Source:
    where = f"sources[{i}]"
    obj = c.mapping(raw, where)
    path = c.text(obj, "path", where)
    if not path:
        c.fail(f"{where}.path", "a file path", path)
    if is_unsafe_path(path):
        raise ProjectError(f"{c.label}: {where}.path {path!r} is a URL or protocol, not a file path")
    name = c.text(obj, "name", where, optional=True) or path
    sha = c.text(obj, "sha256", where, optional=True)
    if sha is not None and (len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha.lower())):
        c.fail(f"{where}.sha256", "64 hex digits", sha)
    role = c.text(obj, "role", where, default="other")
    if role not in ROLES:
        c.fail(f"{where}.role", "one of " + ", ".join(ROLES), role)
    status = c.text(obj, "hash_status", where, default="unverified")
    if status not in HASH_STATUSES:
        c.fail(f"{where}.hash_status", "one of " + ", ".join(HASH_STATUSES), status)
    aligned = obj.get("aligned", obj.get("offset_s") is not None)
    if not isinstance(aligned, bool):
        c.fail(f"{where}.aligned", "true or false", aligned)
    method = c.text(obj, "method", where, optional=True) or ""
    clock = None
    if aligned:
        offset = c.number(obj, "offset_s", where)
        rate = c.number(obj, "rate", where, optional=True, positive=True)
        unc = c.number(obj, "uncertainty_s", where, optional=True)
        if unc is not None and unc < 0:
            c.fail(f"{where}.uncertainty_s", "a number >= 0", unc)
        clock = ClockMap(offset, 1.0 if rate is None else rate, unc or 0.0, method)
    constraints = c.array(obj.get("constraints"), f"{where}.constraints")
    for j, item in enumerate(constraints):
        c.mapping(item, f"{where}.constraints[{j}]")
    overlay = c.mapping(obj.get("overlay_clock"), f"{where}.overlay_clock", optional=True)
    if overlay is not None and "at_local_zero" in overlay:
        c.text(overlay, "at_local_zero", f"{where}.overlay_clock")
    probe = c.mapping(obj.get("probe") or {}, f"{where}.probe")
    reason = c.text(obj, "reason", where, optional=True) or ""
    warnings = c.array(obj.get("warnings"), f"{where}.warnings")
    for j, item in enumerate(warnings):
        if not isinstance(item, str):
            c.fail(f"{where}.warnings[{j}]", "text", item)
    return Source(
        name=name, path=path, sha256=sha, role=role, clock=clock, reason=reason,
        constraints=tuple(constraints), overlay_clock=overlay, probe=probe, hash_status=status,
        warnings=tuple(warnings),
        extra={k: v for k, v in obj.items() if k not in _SOURCE_KEYS},
    )


def _annotation_from_dict(c: _Checker, raw: Any, i: int) -> Annotation:
    where = f"events[{i}]"
    obj = c.mapping(raw, where)
    ann_id = c.text(obj, "id", where)
    type_ = c.text(obj, "type", where)
    shared = c.number(obj, "shared_s", where)
    end = c.number(obj, "end_s", where, optional=True)
    if end is not None and end < shared:
        c.fail(f"{where}.end_s", f"null or >= shared_s ({shared})", end)
    return Annotation(
        id=ann_id, type=type_, shared_s=shared, end_s=end,
        source=c.text(obj, "source", where, optional=True),
        note=c.text(obj, "note", where, default=""),
        author=c.text(obj, "author", where, default=""),
        created=c.text(obj, "created", where, default=""),
        modified=c.text(obj, "modified", where, default=""),
    )


def _history_from_dict(c: _Checker, raw: Any, i: int) -> HistoryEntry:
    where = f"history[{i}]"
    obj = c.mapping(raw, where)
    return HistoryEntry(
        when=c.text(obj, "when", where), who=c.text(obj, "who", where),
        action=c.text(obj, "action", where), target=c.text(obj, "target", where),
        before=obj.get("before"), after=obj.get("after"),
    )


def project_from_dict(data: Any, *, path: str | os.PathLike[str] | None = None,
                      label: str | None = None, base_dir: str | os.PathLike[str] | None = None) -> Project:
    """Validate (every field's type), migrate and build a :class:`Project`.

    ``ProjectError`` names ``label`` (default: the file name) and the field.
    """
    label = label or (Path(path).name if path is not None else "project")
    c = _Checker(label)
    if not isinstance(data, dict):
        raise ProjectError(f"{label}: a project must be a JSON object, got {type(data).__name__}")
    data = upgrade(data, label)
    sources = [_source_from_dict(c, s, i) for i, s in enumerate(c.array(data.get("sources"), "sources"))]
    names = [s.name for s in sources]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ProjectError(f"{label}: two sources are named {duplicate!r}")
    events = [_annotation_from_dict(c, e, i) for i, e in enumerate(c.array(data.get("events"), "events"))]
    ids = [e.id for e in events]
    duplicate = next((n for n in ids if ids.count(n) > 1), None)
    if duplicate is not None:
        raise ProjectError(f"{label}: two events have the id {duplicate!r}")
    history = [_history_from_dict(c, h, i) for i, h in enumerate(c.array(data.get("history"), "history"))]
    vocab_raw = data.get("vocabulary")
    vocabulary = list(default_event_types()) if vocab_raw is None else c.array(vocab_raw, "vocabulary")
    for i, item in enumerate(vocabulary):
        if not isinstance(item, str) or not item.strip():
            c.fail(f"vocabulary[{i}]", "a non-empty text", item)
    for event in events:  # an event's type is always in the vocabulary
        if event.type not in vocabulary:
            vocabulary.append(event.type)
    reference = data.get("reference")
    if reference is not None:
        if not isinstance(reference, str):
            c.fail("reference", "text", reference)
        match = next((s for s in sources if reference in (s.name, s.path)), None)
        if match is None:
            raise ProjectError(f"{label}: the reference {reference!r} is not one of the sources")
        reference = match.name
    wall = c.mapping(data.get("wall_clock"), "wall_clock", optional=True)
    if wall is not None:
        c.text(wall, "utc_at_shared_zero", "wall_clock")
    return Project(
        sources=sources, reference=reference, annotations=events, vocabulary=vocabulary,
        history=history, path=path, base_dir=base_dir, wall_clock=wall,
        extra={k: v for k, v in data.items() if k not in _TOP_KEYS},
    )


def project_to_dict(project: Project) -> dict[str, Any]:
    """The project JSON dict (events sorted by time, sources in order)."""
    data: dict[str, Any] = dict(project.extra)
    data.update(
        {
            "schema": f"{SCHEMA_NAME}/{SCHEMA_VERSION}",
            "reference": project.reference,
            "sources": [s.to_dict() for s in project.sources],
            "vocabulary": list(project.vocabulary),
            "events": [a.to_dict() for a in project.annotations],
            "history": [h.to_dict() for h in project.history],
        }
    )
    if project.wall_clock is not None:
        data["wall_clock"] = dict(project.wall_clock)
    return data


def dumps_project(data: dict[str, Any]) -> bytes:
    """Deterministic JSON bytes: sorted keys, 2-space indent, UTF-8, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------- files
def load_project(path: str | os.PathLike[str]) -> Project:
    """Read, validate and migrate a project file (no hashing: see :meth:`Project.load`)."""
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
    project = project_from_dict(data, path=path)
    fill_probes(project)
    return project


def fill_probes(project: Project) -> None:
    """Probe sources that have no probe summary (e.g. written by ``timesync sync -o``).

    Not a change of the project (no history, not dirty); a file that cannot be
    probed keeps an empty summary and adds a warning.
    """
    from dataclasses import replace

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
        project._replace_source(source, replace(source, probe=summary))  # noqa: SLF001


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


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Save ``project`` atomically (see :meth:`Project.save`)."""
    target = Path(path).absolute() if path is not None else project.path
    if target is None:
        raise ProjectError("project: no file to save to; give a path")
    if target.is_dir():
        raise ProjectError(f"{target.name}: is a folder, not a project file")
    if not target.parent.is_dir():
        raise ProjectError(f"{target.name}: the folder {target.parent} does not exist")
    _rebase(project, target.parent)
    atomic_write_bytes(target, dumps_project(project_to_dict(project)))
    _remove_stale_temporaries(target)
    old_path = project.path
    project._path = target  # noqa: SLF001 - the store owns the file identity
    project._base_dir = target.parent  # noqa: SLF001
    from timesync.project.events import ChangeEvent

    project.events.emit(ChangeEvent("saved", "project", old_path, target))
    project._set_dirty(False)  # noqa: SLF001
    return target


def save_copy(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write ``project``'s JSON atomically to ``path`` as a copy: an autosave, a recovery file.

    Unlike :func:`save_project` the project is untouched: its file, its source
    paths (relative to its own folder, so the copy belongs beside the project
    file) and its dirty flag stay as they are; no event is emitted. Returns the
    path written; raises ``OSError`` when it cannot be written.
    """
    target = Path(path)
    atomic_write_bytes(target, dumps_project(project_to_dict(project)))
    return target


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temporary files an interrupted save of ``target`` left (``.NAME.*.tmp``)."""
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            stale.unlink()
        except OSError:
            pass


def _rebase(project: Project, new_base: Path) -> None:
    """Rewrite relative source paths for a project file in ``new_base``."""
    if new_base == project.base_dir:
        return
    from dataclasses import replace

    from timesync.project.events import ChangeEvent

    for old in project.sources:
        stored = stored_path((project.base_dir / old.path).absolute(), new_base)
        if stored != old.path:
            new = replace(old, path=stored)
            project._replace_source(old, new)  # noqa: SLF001
            project.events.emit(ChangeEvent("source_changed", old.name, old, new))


def project_from_sync_result(result: Any, project_path: str | os.PathLike[str] | None = None) -> Project:
    """See :meth:`Project.from_sync_result`."""
    data = result.to_dict() if hasattr(result, "to_dict") else result
    if not isinstance(data, dict):
        raise ProjectError(f"sync result: expected a SyncResult or a dict, got {type(data).__name__}")
    data = json.loads(json.dumps(data))  # a private copy, JSON types only
    data.setdefault("schema", f"{SCHEMA_NAME}/{SCHEMA_VERSION}")
    project = project_from_dict(data, label="sync result", base_dir=Path.cwd())
    fill_probes(project)
    if project_path is not None:
        target = Path(project_path).absolute()
        _rebase(project, target.parent)
        project._path = target  # noqa: SLF001
        project._base_dir = target.parent  # noqa: SLF001
    project._set_dirty(True)  # noqa: SLF001 - a new project, not saved yet
    return project
