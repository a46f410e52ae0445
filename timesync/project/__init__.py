"""The incident project: sources on one shared clock, annotations, history; its file.

Pure Python (no Qt). The app and the CLI share one evented model and write only
through its methods; views subscribe to its change events.

Model
-----
``Project`` (:mod:`timesync.project.model`)::

    project = Project.load("incident.json")          # validated, migrated, every source re-hashed
    project = Project.from_sync_result(result, project_path="incident.json")
    project.save(path=None) -> Path                   # atomic; emits "saved", "dirty_changed"
    project.to_dict() -> dict                         # the project JSON
    project.verify() -> list[str]                     # re-hash; sets Source.hash_status; problems

    project.sources -> tuple[Source, ...]             project.source(name) -> Source
    project.clock(name) -> ClockMap | None            project.resolve(name) -> Path (absolute)
    project.reference -> str | None                   project.annotations -> tuple[Annotation, ...] (by time)
    project.annotation(id) -> Annotation              project.vocabulary -> tuple[str, ...]
    project.history -> tuple[HistoryEntry, ...]       project.is_dirty -> bool
    project.warnings -> list[str]                     project.path -> Path | None
    project.author  (default author of changes: $TIMESYNC_AUTHOR or the login name)

    add_annotation(type, shared_s, end_s=None, *, source=None, note="", author=None) -> Annotation
    update_annotation(id, *, author=None, type=, shared_s=, end_s=, source=, note=, annotation_author=)
    remove_annotation(id, *, author=None) -> Annotation       # undo: restore_annotation(ann)
    restore_annotation(annotation, *, author=None)            # re-adds with its id
    add_source(path, *, name=None, role="other", clock=None, reason="", sha256=None, probe=True, author=None)
    remove_source(name, *, author=None) -> (index, Source)    # undo: restore_source(source, index=index)
    restore_source(source, *, index=None, author=None)
    set_source_clock(name, clock | None, *, author=None, method="manual", reason="")
                      # undo: set_source_clock(name, old_clock, method=None)
    set_source_role(name, role, *, author=None)               # role in ROLES
    rename_source(name, new_name, *, author=None)             # annotations' source follows
    set_reference(name, *, author=None)
    add_event_type(name, *, author=None) -> str               # undo: remove_event_type(name)
    remove_event_type(name, *, author=None)                   # only when unused

Every method validates (``ProjectError`` naming the project and the problem),
applies the change, appends a :class:`HistoryEntry` (``when`` ISO UTC, ``who``,
``action``, ``target``, ``before``, ``after`` as JSON) and emits one
:class:`ChangeEvent`. A call that changes nothing records and emits nothing.

Events: ``project.events.connect(callback)`` / ``disconnect(callback)``;
``callback(ChangeEvent(kind, target, before, after))`` with ``kind`` one of
``annotation_added/changed/removed`` (target: id; before/after: Annotation or
None), ``source_added/changed/removed`` (target: source name; Source or None),
``clock_changed`` (target: source name; ClockMap or None), ``vocabulary_changed``
(tuples of types), ``reference_changed``, ``saved`` (old path, new path) and
``dirty_changed`` (bools).

Records (frozen dataclasses; the project replaces them on change)
-----------------------------------------------------------------
``Source(name, path, sha256, role, clock: ClockMap | None, reason, constraints,
overlay_clock, probe, hash_status, extra)`` with ``aligned``, ``offset_s``,
``uncertainty_s``, ``method``, ``duration_s``, ``has_video`` and ``has_audio``
(from the probe summary). ``ROLES``: body cam, aerial, fixed, phone, audio-only,
other. ``HASH_STATUSES``: verified, changed, missing, unverified.

``Annotation(id, type, shared_s, end_s, source, note, author, created,
modified)``: ids ``e1, e2...`` never reused; times are shared-clock seconds;
``end_s`` is ``None`` for a point event; ``annotation.locate(source, index)``.

``DEFAULT_EVENT_TYPES``: shot fired, verbal command, warning, use of force,
subject movement, person down, vehicle, other.

Locating a moment in a source (:mod:`timesync.project.locate`)
--------------------------------------------------------------
``locate(shared_s, source, index) -> Location(source, shared_s, status, local_s,
frame, frame_pts, frame_time_s)`` with ``status`` "recording", "not recording" or
"not aligned"; ``locate_annotation(ann, source, index)``; ``open_indexes(project)``;
``locate_all(project, shared_s, indexes)``. ``index`` is the source's
``timesync.media.FrameIndex`` (``None`` for audio-only sources).

Schema (:mod:`timesync.project.schema`) and store (:mod:`timesync.project.store`)
---------------------------------------------------------------------------------
The schema module is the one reader and writer of the JSON: its tag
(``SCHEMA_TAG``), every key, ``MIGRATIONS = {from_version: fn}`` (older files are
upgraded on load; newer ones are refused). The store reads and writes the
bytes; saves are atomic (temporary file in the same folder, fsync,
``os.replace``, fsync of the folder).
"""

from __future__ import annotations

from timesync.project.annotation import Annotation
from timesync.project.events import EVENT_KINDS, ChangeEvent, EventEmitter
from timesync.project.history import HistoryEntry
from timesync.project.locate import Location, locate, locate_all, locate_annotation, open_indexes
from timesync.project.model import Project
from timesync.project.schema import MIGRATIONS, SCHEMA_VERSION
from timesync.project.source import HASH_STATUSES, ROLES, Source, is_unsafe_path
from timesync.project.vocabulary import DEFAULT_EVENT_TYPES

__all__ = [
    "Project",
    "Source",
    "Annotation",
    "HistoryEntry",
    "ChangeEvent",
    "EventEmitter",
    "EVENT_KINDS",
    "ROLES",
    "HASH_STATUSES",
    "DEFAULT_EVENT_TYPES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Location",
    "locate",
    "locate_annotation",
    "locate_all",
    "open_indexes",
    "is_unsafe_path",
]
