"""The evented incident project: the :class:`Project` facade over its state, its file and its edits.

The edits live by idea in mixins (:mod:`~timesync.project.source_edits`,
:mod:`~timesync.project.annotation_edits`, :mod:`~timesync.project.alignment_edits`);
the JSON shape in :mod:`~timesync.project.schema`; the file in :mod:`~timesync.project.store`.
None of them imports this module (only for type hints).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.alignment_edits import AlignmentEdits
from timesync.project.annotation import ID_NUMBER, Annotation
from timesync.project.annotation_edits import AnnotationEdits
from timesync.project.events import ChangeEvent, EventEmitter
from timesync.project.history import HistoryEntry, utc_now_iso
from timesync.project.rejections import RejectionEdits
from timesync.project.schema import SCHEMA_TAG, project_document, project_fields, source_entry
from timesync.project.source import Source, is_unsafe_path, stored_path
from timesync.project.source_edits import SourceEdits
from timesync.project.store import fill_probes, read_document, save_project
from timesync.project.vocabulary import default_event_types, normalize_event_type

__all__ = ["Project", "default_author", "stored_path"]


def default_author() -> str:
    """``$TIMESYNC_AUTHOR``, else the login name, else ``"unknown"``."""
    name = os.environ.get("TIMESYNC_AUTHOR")
    if name:
        return name
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


class Project(SourceEdits, AnnotationEdits, AlignmentEdits, RejectionEdits):
    """An incident: its sources on one shared clock, its annotations and their history.

    Every change goes through a method, which validates it, appends a
    :class:`HistoryEntry` (who, when, what, before, after) and emits a
    :class:`ChangeEvent` on :attr:`events` -- only when a value really changes.
    See the package docstring for the whole API.

    Parameters
    ----------
    sources : sequence of Source
        The recordings, names unique.
    reference : str or None
        Name of the reference source (shared clock = its local time).
    annotations, vocabulary, history
        As stored in the project file (``vocabulary`` None: the registered types,
        :func:`~timesync.project.vocabulary.default_event_types`).
    path : path-like or None
        The project file, when it has one; source paths are relative to its folder.
    base_dir : path-like or None
        Folder source paths are relative to when there is no ``path`` (default: cwd).
    wall_clock : dict or None
        ``{"utc_at_shared_zero": ISO, "uncertainty_s": s, "basis": text}`` when known.
    author : str or None
        Default author of changes (default :func:`default_author`).
    now : callable
        Returns the current ISO UTC time (tests pass a fixed one).
    """

    def __init__(
        self,
        *,
        sources: Sequence[Source] = (),
        reference: str | None = None,
        annotations: Sequence[Annotation] = (),
        vocabulary: Iterable[str] | None = None,
        history: Sequence[HistoryEntry] = (),
        path: str | os.PathLike[str] | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        wall_clock: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        author: str | None = None,
        now: Callable[[], str] = utc_now_iso,
    ) -> None:
        self.events = EventEmitter()
        self.author = author or default_author()
        self.now = now
        self.warnings: list[str] = []
        self.wall_clock = wall_clock
        self.extra: dict[str, Any] = dict(extra or {})
        self._path = Path(path).absolute() if path is not None else None
        if self._path is not None:
            self._base_dir = self._path.parent
        else:
            self._base_dir = Path(base_dir).absolute() if base_dir is not None else Path.cwd()
        self._sources: list[Source] = []
        for source in sources:
            if any(s.name == source.name for s in self._sources):
                raise ProjectError(f"two sources are named {source.name!r}")
            self._sources.append(source)
        if reference is not None and self._find_source(reference) is None:
            raise ProjectError(f"the reference {reference!r} is not one of the sources")
        self._reference = reference
        self._annotations: dict[str, Annotation] = {}
        for ann in annotations:
            if ann.id in self._annotations:
                raise ProjectError(f"two events have the id {ann.id!r}")
            self._annotations[ann.id] = ann
        self._vocabulary: list[str] = []
        for name in default_event_types() if vocabulary is None else vocabulary:  # None: the registry's
            name = normalize_event_type(name)
            if name not in self._vocabulary:
                self._vocabulary.append(name)
        self._history: list[HistoryEntry] = list(history)
        self._dirty = False
        self._next_id = self._first_free_id()

    # ------------------------------------------------------------------ state
    @property
    def path(self) -> Path | None:
        """The project file (absolute), or ``None`` before the first save."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """The folder relative source paths are resolved against."""
        return self._base_dir

    @property
    def label(self) -> str:
        """The project file's name for messages ("incident.json"), or "project"."""
        return self._path.name if self._path is not None else "project"

    @property
    def sources(self) -> tuple[Source, ...]:
        """The sources, in order."""
        return tuple(self._sources)

    @property
    def reference(self) -> str | None:
        """Name of the reference source, if any."""
        return self._reference

    @property
    def annotations(self) -> tuple[Annotation, ...]:
        """The annotations sorted by (shared_s, id number): the order of every export."""
        return tuple(sorted(self._annotations.values(), key=_annotation_order))

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """The event types, in the order they were added."""
        return tuple(self._vocabulary)

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        """Every change so far, oldest first (append-only)."""
        return tuple(self._history)

    @property
    def is_dirty(self) -> bool:
        """True when there are changes not yet saved."""
        return self._dirty

    def source(self, name: str) -> Source:
        """The source named ``name``, or whose stored path, or whose file (a path from the current
        folder) is ``name``; ``ProjectError`` if none."""
        found = self._find_source(name)
        if found is None:
            known = ", ".join(s.name for s in self._sources) or "none"
            raise ProjectError(f"{self.label}: no source named {name!r} (sources: {known})")
        return found

    def has_source(self, name: str) -> bool:
        """True when :meth:`source` would find ``name``."""
        return self._find_source(name) is not None

    def clock(self, name: str) -> ClockMap | None:
        """The ClockMap of source ``name`` (``None`` when it is not aligned)."""
        return self.source(name).clock

    def annotation(self, annotation_id: str) -> Annotation:
        """The annotation with this id; ``ProjectError`` if none."""
        try:
            return self._annotations[annotation_id]
        except KeyError:
            raise ProjectError(f"{self.label}: no event with id {annotation_id!r}") from None

    def resolve(self, name: str) -> Path:
        """The absolute path of source ``name``'s file (it may not exist)."""
        return (self._base_dir / self.source(name).path).absolute()

    # ---------------------------------------------------- store / verification
    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = True) -> Project:
        """Open a project file (validated; migrated if older); re-hash every source unless ``verify=False``.

        A changed or missing source does not stop the load: it is in
        :attr:`warnings` and its ``hash_status``. Sources without a probe summary
        are probed (:func:`~timesync.project.store.fill_probes`).
        """
        project = cls.from_dict(read_document(path), path=Path(path))
        fill_probes(project)
        if verify:
            project.verify()
        return project

    @classmethod
    def from_dict(cls, data: Any, *, path: str | os.PathLike[str] | None = None, label: str | None = None,
                  base_dir: str | os.PathLike[str] | None = None) -> Project:
        """A project from its JSON form, validated and migrated (:func:`timesync.project.schema.project_fields`).

        ``path`` is its file, if any; ``base_dir`` the folder source paths are
        relative to when there is no ``path``. ``ProjectError`` names ``label``
        (default: the file name, else "project") and the field.
        """
        label = label or (Path(path).name if path is not None else "project")
        return cls(**project_fields(data, label), path=path, base_dir=base_dir)

    @classmethod
    def from_sync_result(cls, result: Any, project_path: str | os.PathLike[str] | None = None) -> Project:
        """A project from a ``SyncResult`` (or its ``to_dict()``), not saved yet (dirty).

        Source paths in the result are as given on the command line (relative to
        the current directory); with ``project_path`` they are rewritten relative
        to that file's folder and the project takes that path (not yet saved).
        """
        data = result.to_dict() if hasattr(result, "to_dict") else result
        if not isinstance(data, dict):
            raise ProjectError(f"sync result: expected a SyncResult or a dict, got {type(data).__name__}")
        data = json.loads(json.dumps(data))  # a private copy, JSON types only
        data.setdefault("schema", SCHEMA_TAG)
        project = cls.from_dict(data, label="sync result", base_dir=Path.cwd())
        fill_probes(project)
        if project_path is not None:
            target = Path(project_path).absolute()
            project.rebase(target.parent)
            project._path = target
            project._base_dir = target.parent
        project._set_dirty(True)  # a new project, not saved yet
        return project

    def to_dict(self) -> dict[str, Any]:
        """The project JSON (``schema``, ``reference``, ``sources``, ``vocabulary``, ``events``, ``history``...)."""
        return project_document(self)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was loaded from).

        Saving to another folder rewrites relative source paths. Emits
        ``saved`` (and ``dirty_changed``). Returns the absolute path written.
        """
        return save_project(self, path)

    def verify(self) -> list[str]:
        """Re-hash every source; set each ``hash_status``; return (and keep in :attr:`warnings`) the problems."""
        from timesync.project.verify import verify_project

        return verify_project(self)

    def rebase(self, new_base: Path) -> None:
        """Rewrite relative source paths for a project file in the folder ``new_base``.

        Emits ``source_changed`` per rewritten path; no history (the files did
        not move), not dirty.
        """
        if new_base == self._base_dir:
            return
        for old in self.sources:
            stored = stored_path((self._base_dir / old.path).absolute(), new_base)
            if stored != old.path:
                new = replace(old, path=stored)
                self._replace_source(old, new)
                self.events.emit(ChangeEvent("source_changed", old.name, old, new))

    def mark_saved(self, path: Path) -> None:
        """Record that the project was just written to ``path`` (absolute): it becomes the
        project's file and folder; emits ``saved`` (old path, new path), then not dirty."""
        old_path = self._path
        self._path = path
        self._base_dir = path.parent
        self.events.emit(ChangeEvent("saved", "project", old_path, path))
        self._set_dirty(False)

    # --------------------------------------------------------------- internals
    def _find_source(self, name: str) -> Source | None:
        for source in self._sources:
            if source.name == name:
                return source
        for source in self._sources:
            if source.path == name:
                return source
        if name and not is_unsafe_path(name):  # a path as typed, relative to the current folder
            wanted = Path(name).absolute()
            for source in self._sources:
                if (self._base_dir / source.path).absolute() == wanted:
                    return source
        return None

    def _replace_source(self, old: Source, new: Source) -> None:
        self._sources[self._sources.index(old)] = new

    def _change_source(self, source_name: str, author: str | None, action: str, /, **changes: Any) -> Source:
        old = self.source(source_name)
        new = replace(old, **changes)
        if new == old:
            return old
        self._replace_source(old, new)
        key = next(iter(changes))
        self._commit("source_changed", old.name, old, new, author or self.author, action=action,
                     history_before={key: getattr(old, key)}, history_after={key: getattr(new, key)})
        return new

    def _relative(self, absolute: Path) -> str:
        return stored_path(absolute, self._base_dir)

    def _free_name(self, wanted: str) -> str:
        name, n = wanted, 2
        while self._find_source(name) is not None:
            name = f"{wanted} ({n})"
            n += 1
        return name

    def _first_free_id(self) -> int:
        numbers = [0]
        ids = list(self._annotations) + [h.target for h in self._history if h.action.startswith("annotation")]
        for text in ids:
            match = ID_NUMBER.match(text)
            if match:
                numbers.append(int(match.group(1)))
        return max(numbers) + 1

    def _commit(
        self,
        kind: str,
        target: str,
        before: Any,
        after: Any,
        who: str,
        when: str | None = None,
        *,
        action: str | None = None,
        history_before: Any = ...,
        history_after: Any = ...,
    ) -> None:
        """Record a change that has been applied, mark dirty, emit its event."""
        hb = _jsonable(before) if history_before is ... else history_before
        ha = _jsonable(after) if history_after is ... else history_after
        self._history.append(HistoryEntry(when or self.now(), who, action or kind, target, hb, ha))
        self.events.emit(ChangeEvent(kind, target, before, after))
        self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.events.emit(ChangeEvent("dirty_changed", "project", not dirty, dirty))

    def __repr__(self) -> str:
        return (f"<Project {self.label}: {len(self._sources)} sources, {len(self._annotations)} events, "
                f"{len(self._history)} changes{', unsaved' if self._dirty else ''}>")


def _annotation_order(ann: Annotation) -> tuple[float, int, str]:
    match = ID_NUMBER.match(ann.id)
    return (ann.shared_s, int(match.group(1)) if match else 0, ann.id)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Source):
        return source_entry(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
