"""The project file's shape: the one reader and writer of the project JSON.

Every key of the file is spelled here: the schema tag, the top-level keys, a
source entry (of a project and of a sync result), a constraint entry, and the
migrations of older versions. Files, bytes and atomic saves are
:mod:`timesync.project.store`'s; the evented model is
:class:`timesync.project.model.Project`, which builds itself from
:func:`project_fields` and writes itself with :func:`project_document`.

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

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.annotation import Annotation
from timesync.project.history import HistoryEntry
from timesync.project.source import HASH_STATUSES, ROLES, Source, is_unsafe_path
from timesync.project.vocabulary import default_event_types

if TYPE_CHECKING:
    from timesync.align.constraints import Constraint
    from timesync.project.view import ProjectView

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "SCHEMA_TAG",
    "MIGRATIONS",
    "schema_version",
    "upgrade",
    "project_fields",
    "project_document",
    "source_entry",
    "constraint_entry",
    "sync_source_entry",
    "sync_document",
    "unaligned_document",
    "alignment_fields",
]

SCHEMA_NAME = "timesync.project"
SCHEMA_VERSION = 1
#: The ``schema`` value this version writes.
SCHEMA_TAG = f"{SCHEMA_NAME}/{SCHEMA_VERSION}"

#: ``{from_version: upgrade}``: each takes a project dict of ``from_version``
#: and returns one of ``from_version + 1`` (it may modify its argument).
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

#: Top-level keys this version reads; any other is kept in ``Project.extra``.
TOP_KEYS = frozenset({"schema", "reference", "sources", "events", "history", "vocabulary", "wall_clock"})

#: Source-entry keys this version reads; any other is kept in ``Source.extra``.
SOURCE_KEYS = frozenset({
    "name", "path", "sha256", "role", "aligned", "offset_s", "rate", "uncertainty_s", "method",
    "reason", "constraints", "overlay_clock", "probe", "hash_status", "warnings",
})

#: The keys of a constraint entry, in the order they are written (``with`` names the other source).
CONSTRAINT_KEYS = ("kind", "with", "offset_s", "rate", "uncertainty_s", "rate_uncertainty", "at_source_s",
                   "score", "travel_bound_s")


# ----------------------------------------------------------------- versions
def schema_version(data: dict[str, Any], label: str) -> int:
    """The N of ``"timesync.project/N"``; ``ProjectError`` when absent or not ours."""
    tag = data.get("schema")
    prefix = SCHEMA_NAME + "/"
    if not isinstance(tag, str) or not tag.startswith(prefix) or not tag[len(prefix):].isdigit():
        raise ProjectError(f"{label}: not a timesync project (schema is {tag!r}, expected '{SCHEMA_TAG}')")
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
class Checker:
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


def source_from_dict(c: Checker, raw: Any, i: int) -> Source:
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
        extra={k: v for k, v in obj.items() if k not in SOURCE_KEYS},
    )


def annotation_from_dict(c: Checker, raw: Any, i: int) -> Annotation:
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


def history_from_dict(c: Checker, raw: Any, i: int) -> HistoryEntry:
    where = f"history[{i}]"
    obj = c.mapping(raw, where)
    return HistoryEntry(
        when=c.text(obj, "when", where), who=c.text(obj, "who", where),
        action=c.text(obj, "action", where), target=c.text(obj, "target", where),
        before=obj.get("before"), after=obj.get("after"),
    )


# ------------------------------------------------------------------ reading
def _first_duplicate(values: Sequence[str]) -> str | None:
    return next((v for v in values if values.count(v) > 1), None)


def project_fields(data: Any, label: str) -> dict[str, Any]:
    """Validate (every field's type) and migrate a project dict; the keyword arguments of
    :class:`~timesync.project.model.Project` (``sources``, ``reference``, ``annotations``,
    ``vocabulary``, ``history``, ``wall_clock``, ``extra``).

    ``ProjectError`` names ``label`` and the field.
    """
    c = Checker(label)
    if not isinstance(data, dict):
        raise ProjectError(f"{label}: a project must be a JSON object, got {type(data).__name__}")
    data = upgrade(data, label)
    sources = [source_from_dict(c, s, i) for i, s in enumerate(c.array(data.get("sources"), "sources"))]
    duplicate = _first_duplicate([s.name for s in sources])
    if duplicate is not None:
        raise ProjectError(f"{label}: two sources are named {duplicate!r}")
    events = [annotation_from_dict(c, e, i) for i, e in enumerate(c.array(data.get("events"), "events"))]
    duplicate = _first_duplicate([e.id for e in events])
    if duplicate is not None:
        raise ProjectError(f"{label}: two events have the id {duplicate!r}")
    history = [history_from_dict(c, h, i) for i, h in enumerate(c.array(data.get("history"), "history"))]
    vocab_raw = data.get("vocabulary")
    vocabulary = list(default_event_types()) if vocab_raw is None else c.array(vocab_raw, "vocabulary")
    for i, item in enumerate(vocabulary):
        if not isinstance(item, str) or not item.strip():
            c.fail(f"vocabulary[{i}]", "a non-empty text", item)
    for event in events:  # an event's type is always in the vocabulary
        if event.type not in vocabulary:
            vocabulary.append(event.type)
    wall = c.mapping(data.get("wall_clock"), "wall_clock", optional=True)
    if wall is not None:
        c.text(wall, "utc_at_shared_zero", "wall_clock")
    return {
        "sources": sources, "reference": _reference(c, data.get("reference"), sources), "annotations": events,
        "vocabulary": vocabulary, "history": history, "wall_clock": wall,
        "extra": {k: v for k, v in data.items() if k not in TOP_KEYS},
    }


def _reference(c: Checker, reference: Any, sources: Sequence[Source]) -> str | None:
    """The reference's source name (the file may name it by its path)."""
    if reference is None:
        return None
    if not isinstance(reference, str):
        c.fail("reference", "text", reference)
    match = next((s for s in sources if reference in (s.name, s.path)), None)
    if match is None:
        raise ProjectError(f"{c.label}: the reference {reference!r} is not one of the sources")
    return match.name


def alignment_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """A sync result's source entry as Source fields: clock, reason, constraints, overlay clock,
    and the file's warnings when the entry has them (an entry without the key keeps the old ones)."""
    aligned = entry.get("aligned", entry.get("offset_s") is not None) and entry.get("offset_s") is not None
    constraints = entry.get("constraints") or []
    overlay = entry.get("overlay_clock")
    fields = {
        "clock": ClockMap.from_dict(entry) if aligned else None,
        "reason": "" if aligned else str(entry.get("reason") or "not aligned"),
        "constraints": tuple(dict(c) for c in constraints if isinstance(c, dict)),
        "overlay_clock": dict(overlay) if isinstance(overlay, dict) else None,
    }
    if isinstance(entry.get("warnings"), list):
        fields["warnings"] = tuple(str(w) for w in entry["warnings"])
    return fields


# ------------------------------------------------------------------ writing
def project_document(project: ProjectView) -> dict[str, Any]:
    """The project JSON dict (events sorted by time, sources in order, unknown keys kept)."""
    data: dict[str, Any] = dict(project.extra)
    data.update(
        {
            "schema": SCHEMA_TAG,
            "reference": project.reference,
            "sources": [source_entry(s) for s in project.sources],
            "vocabulary": list(project.vocabulary),
            "events": [a.to_dict() for a in project.annotations],
            "history": [h.to_dict() for h in project.history],
        }
    )
    if project.wall_clock is not None:
        data["wall_clock"] = dict(project.wall_clock)
    return data


def source_entry(source: Source) -> dict[str, Any]:
    """A project's source entry (DESIGN.md keys plus ``name``, ``role``, ``probe``, ``hash_status``,
    ``warnings``; unknown keys it was read with kept)."""
    data: dict[str, Any] = dict(source.extra)
    clock = source.clock
    data.update(
        {
            "name": source.name,
            "path": source.path,
            "sha256": source.sha256,
            "role": source.role,
            "aligned": clock is not None,
            "offset_s": None if clock is None else clock.offset_s,
            "rate": None if clock is None else clock.rate,
            "uncertainty_s": None if clock is None else clock.uncertainty_s,
            "method": "" if clock is None else clock.method,
            "reason": source.reason,
            "constraints": [dict(c) for c in source.constraints],
            "overlay_clock": None if source.overlay_clock is None else dict(source.overlay_clock),
            "probe": dict(source.probe),
            "hash_status": source.hash_status,
            "warnings": list(source.warnings),
        }
    )
    return data


def constraint_entry(constraint: Constraint) -> dict[str, Any]:
    """A constraint as a source entry stores it: :meth:`Constraint.to_dict` without its
    ``source`` (the entry's own) and ``evidence``, keys in :data:`CONSTRAINT_KEYS` order."""
    data = constraint.to_dict()
    return {key: data[key] for key in CONSTRAINT_KEYS}


def sync_source_entry(result: Any) -> dict[str, Any]:
    """The source entry of a :class:`timesync.sync_result.SourceResult` (path as given to sync)."""
    clock = result.clock
    out: dict[str, Any] = {
        "path": result.name,
        "sha256": result.sha256,
        "aligned": result.aligned,
        "offset_s": clock.offset_s if clock else None,
        "rate": clock.rate if clock else None,
        "uncertainty_s": clock.uncertainty_s if clock else None,
        "method": clock.method if clock else None,
        "constraints": [constraint_entry(c) for c in result.constraints],
        "warnings": list(result.warnings),
    }
    if clock is not None and result.travel_bound_s is not None:
        out["travel_bound_s"] = result.travel_bound_s
    if result.reason:
        out["reason"] = result.reason
    if "overlay_clock" in result.findings:
        out["overlay_clock"] = result.findings["overlay_clock"]
    if result.notes:
        out["notes"] = dict(result.notes)
    if result.probe:
        out["probe"] = result.probe
    return out


def sync_document(result: Any, version: str) -> dict[str, Any]:
    """The project JSON of a :class:`timesync.sync_result.SyncResult`, made by timesync ``version``
    (reproducible: no wall-clock time in it)."""
    return {
        "schema": SCHEMA_TAG,
        "reference": result.reference,
        "sources": [sync_source_entry(s) for s in result.sources],
        "events": [],
        "history": [],
        "provenance": {
            "timesync_version": version,
            "aligners": dict(result.aligners),
            "parameters": dict(result.parameters),
            "dropped_constraints": list(result.dropped),
            "disagreements": list(result.disagreements),
        },
    }


def unaligned_document(paths: Sequence[str], reference: str, reason: str) -> dict[str, Any]:
    """A project dict where only ``reference`` is placed (offset 0, rate 1) and every other
    path is not aligned, ``reason`` saying why (no alignment could run)."""
    sources = []
    for p in paths:
        if p == reference:
            sources.append({"path": p, "sha256": None, "aligned": True, "offset_s": 0.0, "rate": 1.0,
                            "uncertainty_s": 0.0, "method": "reference"})
        else:
            sources.append({"path": p, "sha256": None, "aligned": False, "offset_s": None, "rate": None,
                            "uncertainty_s": None, "method": None, "reason": reason})
    return {"schema": SCHEMA_TAG, "reference": reference, "sources": sources, "events": [], "history": []}
