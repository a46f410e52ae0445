"""The evented incident project: sources, clocks, annotations, vocabulary, history."""

from __future__ import annotations

import getpass
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.annotation import EDITABLE_FIELDS, Annotation
from timesync.project.events import ChangeEvent, EventEmitter
from timesync.project.history import HistoryEntry, utc_now_iso
from timesync.project.source import ROLES, Source, is_unsafe_path
from timesync.project.vocabulary import default_event_types, normalize_event_type

__all__ = ["Project", "default_author"]

_ID_NUMBER = re.compile(r"^e(\d+)$")


def default_author() -> str:
    """``$TIMESYNC_AUTHOR``, else the login name, else ``"unknown"``."""
    name = os.environ.get("TIMESYNC_AUTHOR")
    if name:
        return name
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProjectError(f"{what} must be a finite number of seconds, got {value!r}")
    return float(value)


class Project:
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

    # ------------------------------------------------------------ annotations
    def add_annotation(
        self,
        type: str,
        shared_s: float,
        end_s: float | None = None,
        *,
        source: str | None = None,
        note: str = "",
        author: str | None = None,
    ) -> Annotation:
        """Add an event at ``shared_s`` (to ``end_s`` for an interval), seconds on the shared clock.

        ``type`` must be in :attr:`vocabulary` (see :meth:`add_event_type`);
        ``source`` must name a source. Returns the new :class:`Annotation` (id ``eN``).
        """
        who = author or self.author
        when = self.now()
        fields = self._checked_annotation_fields(
            {"type": type, "shared_s": shared_s, "end_s": end_s, "source": source, "note": note}
        )
        ann = Annotation(id=f"e{self._next_id}", author=who, created=when, modified=when, **fields)
        self._next_id += 1
        self._annotations[ann.id] = ann
        self._commit("annotation_added", ann.id, None, ann, who, when)
        return ann

    def update_annotation(self, annotation_id: str, *, author: str | None = None, **changes: Any) -> Annotation:
        """Change fields of an annotation (``type``, ``shared_s``, ``end_s``, ``source``, ``note``).

        ``author`` is who makes the change (history); the annotation's own
        ``author`` field can be changed with ``annotation_author=``. Nothing is
        recorded or emitted when no value differs. Returns the annotation as it now is.
        """
        old = self.annotation(annotation_id)
        if "annotation_author" in changes:
            changes["author"] = changes.pop("annotation_author")
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ProjectError(f"{self.label}: an event has no editable field {sorted(unknown)[0]!r}")
        merged = {name: changes.get(name, getattr(old, name)) for name in EDITABLE_FIELDS}
        checked = self._checked_annotation_fields(
            {k: merged[k] for k in ("type", "shared_s", "end_s", "source", "note")},
            old_source=old.source,
        )
        checked["author"] = str(merged["author"])
        if all(checked[name] == getattr(old, name) for name in EDITABLE_FIELDS):
            return old
        who = author or self.author
        when = self.now()
        new = replace(old, modified=when, **checked)
        self._annotations[annotation_id] = new
        self._commit("annotation_changed", annotation_id, old, new, who, when)
        return new

    def remove_annotation(self, annotation_id: str, *, author: str | None = None) -> Annotation:
        """Remove an annotation; returns it (pass it to :meth:`restore_annotation` to undo)."""
        old = self.annotation(annotation_id)
        del self._annotations[annotation_id]
        self._commit("annotation_removed", annotation_id, old, None, author or self.author)
        return old

    def restore_annotation(self, annotation: Annotation, *, author: str | None = None) -> Annotation:
        """Re-add a removed annotation with its id and times (undo of a removal)."""
        if annotation.id in self._annotations:
            raise ProjectError(f"{self.label}: an event with id {annotation.id!r} already exists")
        if annotation.type not in self._vocabulary:
            self._vocabulary.append(annotation.type)
        self._annotations[annotation.id] = annotation
        match = _ID_NUMBER.match(annotation.id)
        if match:
            self._next_id = max(self._next_id, int(match.group(1)) + 1)
        self._commit("annotation_added", annotation.id, None, annotation, author or self.author,
                     action="annotation_restored")
        return annotation

    # ---------------------------------------------------------------- sources
    def add_source(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        role: str = "other",
        clock: ClockMap | None = None,
        reason: str = "",
        sha256: str | None = None,
        probe: bool | dict[str, Any] = True,
        author: str | None = None,
    ) -> Source:
        """Add a recording: hashes it (unless ``sha256`` is given) and probes it.

        ``path`` is as given (relative to the current directory, or absolute);
        it is stored relative to the project's folder. ``probe`` may be a ready
        summary dict, ``True`` to probe with :func:`timesync.media.probe`, or
        ``False``. A URL or FFmpeg protocol, a missing file or a duplicate name
        raise ``ProjectError``.
        """
        from timesync.project.verify import hash_file, probe_summary

        text = os.fspath(path)
        if is_unsafe_path(text):
            raise ProjectError(f"{text}: a URL or protocol is not a source; give a file path")
        absolute = Path(text).absolute()
        if not absolute.is_file():
            raise ProjectError(f"{text}: no such file")
        if role not in ROLES:
            raise ProjectError(f"{text}: role must be one of {', '.join(ROLES)}, got {role!r}")
        stored = self._relative(absolute)
        if any(self.resolve(s.name) == absolute for s in self._sources):
            raise ProjectError(f"{text}: this file is already a source of {self.label}")
        name = name or self._free_name(absolute.name)
        if self._find_source(name) is not None:
            raise ProjectError(f"{self.label}: a source is already named {name!r}")
        summary = probe if isinstance(probe, dict) else (probe_summary(absolute) if probe else {})
        source = Source(
            name=name,
            path=stored,
            sha256=sha256 or hash_file(absolute),
            role=role,
            clock=clock,
            reason=reason if clock is None else "",
            probe=summary,
            hash_status="verified" if sha256 is None else "unverified",
        )
        return self.restore_source(source, author=author, action="source_added")

    def restore_source(
        self, source: Source, *, index: int | None = None, author: str | None = None, action: str = "source_restored"
    ) -> Source:
        """Insert a :class:`Source` as is (undo of :meth:`remove_source`), at ``index`` (default: last)."""
        if self._find_source(source.name) is not None:
            raise ProjectError(f"{self.label}: a source is already named {source.name!r}")
        if is_unsafe_path(source.path):
            raise ProjectError(f"{source.path}: a URL or protocol is not a source; give a file path")
        position = len(self._sources) if index is None else max(0, min(index, len(self._sources)))
        self._sources.insert(position, source)
        self._commit("source_added", source.name, None, source, author or self.author, action=action)
        return source

    def remove_source(self, name: str, *, author: str | None = None) -> tuple[int, Source]:
        """Remove a source; returns ``(index, source)`` for :meth:`restore_source`.

        Annotations keep naming it as where they were observed. The reference
        cannot be removed (set another first with :meth:`set_reference`).
        """
        old = self.source(name)
        if old.name == self._reference:
            raise ProjectError(f"{self.label}: {old.name} is the reference; choose another reference first")
        index = self._sources.index(old)
        del self._sources[index]
        self._commit("source_removed", old.name, old, None, author or self.author)
        return index, old

    def set_source_clock(
        self,
        name: str,
        clock: ClockMap | None,
        *,
        author: str | None = None,
        method: str | None = "manual",
        reason: str = "",
    ) -> Source:
        """Place a source on the shared clock (an offset edit), or mark it not aligned (``None``).

        ``method`` replaces ``clock.method`` (default ``"manual"``); pass ``None``
        to keep the clock's own method (what an undo does). ``reason`` says why
        a source is not aligned. Emits ``clock_changed`` (before/after ClockMap).
        """
        old = self.source(name)
        if clock is not None and method is not None:
            clock = replace(clock, method=method)
        new_reason = "" if clock is not None else (reason or old.reason or "set as not aligned")
        if _same_clock(old.clock, clock) and new_reason == old.reason:
            return old
        new = replace(old, clock=clock, reason=new_reason)
        self._replace_source(old, new)
        before = None if old.clock is None else old.clock.to_dict()
        after = None if clock is None else clock.to_dict()
        self._commit("clock_changed", old.name, old.clock, clock, author or self.author,
                     history_before=before, history_after=after)
        return new

    def set_source_role(self, name: str, role: str, *, author: str | None = None) -> Source:
        """Set a source's role (one of :data:`timesync.project.ROLES`)."""
        if role not in ROLES:
            raise ProjectError(f"{self.label}: role must be one of {', '.join(ROLES)}, got {role!r}")
        return self._change_source(name, author, "source_role_changed", role=role)

    def relink_source(self, name: str, path: str | os.PathLike[str], *, author: str | None = None) -> Source:
        """Point a source at its file in another place (``timesync relink``: the same SHA-256).

        ``path`` is stored relative to the project's folder when possible; the
        history records the old and the new path (action ``"source_relinked"``).
        """
        text = os.fspath(path)
        if is_unsafe_path(text):
            raise ProjectError(f"{text}: a URL or protocol is not a source; give a file path")
        return self._change_source(name, author, "source_relinked", path=self._relative(Path(text).absolute()))

    def rename_source(self, name: str, new_name: str, *, author: str | None = None) -> Source:
        """Give a source another display name; annotations and the reference follow it."""
        new_name = " ".join(str(new_name).split())
        old = self.source(name)
        if not new_name:
            raise ProjectError(f"{self.label}: a source name cannot be empty")
        if new_name == old.name:
            return old
        if self._find_source(new_name) is not None:
            raise ProjectError(f"{self.label}: a source is already named {new_name!r}")
        who = author or self.author
        when = self.now()
        new = replace(old, name=new_name)
        self._replace_source(old, new)
        if self._reference == old.name:
            self._reference = new_name
        moved = []
        for ann in list(self._annotations.values()):
            if ann.source == old.name:
                self._annotations[ann.id] = replace(ann, source=new_name, modified=when)
                moved.append((ann, self._annotations[ann.id]))
        self._commit("source_changed", old.name, old, new, who, when, action="source_renamed",
                     history_before={"name": old.name}, history_after={"name": new_name})
        for before, after in moved:
            self.events.emit(ChangeEvent("annotation_changed", before.id, before, after))
        return new

    def set_reference(self, name: str, *, author: str | None = None) -> None:
        """Record which source the shared clock is the local time of (does not move clocks)."""
        new = self.source(name).name
        if new == self._reference:
            return
        old = self._reference
        self._reference = new
        self._commit("reference_changed", "project", old, new, author or self.author)

    def apply_alignment(self, result: Any, *, author: str | None = None) -> list[str]:
        """Take a new alignment of this project's sources, keeping everything else.

        ``result`` is a :class:`timesync.sync.SyncResult` or a dict of its form
        (a project dict works too, which is how an undo puts the previous
        alignment back). For each of its sources found here (by name, stored
        path, or absolute path), the clock, the reason it is not aligned, the
        constraints that placed it, its overlay clock and the file's warnings
        (when the entry has a ``warnings`` list) are replaced, so the clock and
        the evidence for it always agree; its ``provenance`` replaces
        the project's (``"provenance": None`` removes it). A source placed by
        hand (clock method ``"manual"``) that the new alignment cannot place
        keeps its clock. Annotations, roles and names are untouched. Each
        changed source is one history entry (action ``"alignment_applied"``)
        and emits ``clock_changed``.

        Returns
        -------
        list of str
            The names of the sources that changed.
        """
        data = result.to_dict() if hasattr(result, "to_dict") else result
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            raise ProjectError("alignment: expected a sync result with a 'sources' list")
        who = author or self.author
        changed = []
        for entry in data["sources"]:
            old = self._find_source(str(entry.get("path", ""))) if isinstance(entry, dict) else None
            if old is None:
                continue
            fields = _alignment_fields(entry)
            if fields["clock"] is None and old.clock is not None and old.clock.method == "manual":
                continue  # a reviewer's own placement stays until evidence places the source
            new = replace(old, **fields)
            if new == old:
                continue
            self._replace_source(old, new)
            self._commit("clock_changed", old.name, old.clock, new.clock, who, action="alignment_applied",
                         history_before=_alignment_summary(old), history_after=_alignment_summary(new))
            changed.append(old.name)
        provenance = data.get("provenance")
        if "provenance" in data and provenance != self.extra.get("provenance"):
            before = self.extra.get("provenance")
            if isinstance(provenance, dict):
                self.extra["provenance"] = provenance
            else:  # None: the alignment put back had no provenance
                self.extra.pop("provenance", None)
            self._commit("provenance_changed", "project", before, provenance, who, action="alignment_applied",
                         history_before=(before or {}).get("timesync_version"),
                         history_after=(provenance or {}).get("timesync_version"))
        return changed

    def add_anchor(self, anchor: dict[str, Any], *, author: str | None = None) -> dict[str, Any]:
        """Append a manual anchor (``Anchor.to_dict()``, sources named as in this project) to
        ``extra["anchors"]``; always one history entry (action ``"anchor_added"``, target
        ``"anchors"``, ``after`` the anchor and its number), whether or not a clock moves.
        Emits ``anchors_changed``. Returns the anchor as stored. Solving is the caller's
        (:func:`timesync.workflow.add_anchor`)."""
        for key in ("source", "other"):
            self.source(str(anchor.get(key)))
        stored = dict(anchor)
        before = list(self.extra.get("anchors") or [])
        self.extra["anchors"] = [*before, stored]
        self._commit("anchors_changed", "anchors", before, list(self.extra["anchors"]), author or self.author,
                     action="anchor_added", history_before=None,
                     history_after={"anchor": len(before) + 1, **stored})
        return stored

    def remove_anchor(self, number: int, *, author: str | None = None) -> dict[str, Any]:
        """Remove manual anchor ``number`` (1-based, as messages count them); one history entry
        (action ``"anchor_removed"``, ``before`` the anchor and its number). Returns the anchor."""
        before = list(self.extra.get("anchors") or [])
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(before):
            raise ProjectError(f"{self.label}: no anchor {number!r} (the project has {len(before)})")
        removed = before[number - 1]
        self.extra["anchors"] = before[: number - 1] + before[number:]
        self._commit("anchors_changed", "anchors", before, list(self.extra["anchors"]), author or self.author,
                     action="anchor_removed", history_before={"anchor": number, **removed}, history_after=None)
        return removed

    # -------------------------------------------------------------- positions
    def set_position(self, group: str, name: str, position: Sequence[float] | None, *,
                     author: str | None = None) -> tuple[float, ...] | None:
        """Set (or with ``None`` clear) a position, metres, local east/north/up
        (:mod:`timesync.project.positions`). ``group`` is ``"sources"`` (``name``
        a source, by name, path or unique file name) or ``"sounds"`` (a sound
        source such as ``"shooter"``). One history entry (``position_set``) when it changes.
        """
        from timesync.project.names import resolve_source
        from timesync.project.positions import GROUPS, checked_position, section

        if group not in GROUPS:
            raise ProjectError(f"{self.label}: positions are of {' or '.join(GROUPS)}, not {group!r}")
        if group == "sources":
            name = resolve_source(self, name)
        new = None if position is None else checked_position(position, name)
        data = section(self.extra)
        old = data[group].get(name)
        if (None if old is None else list(old)) == (None if new is None else list(new)):
            return new
        if new is None:
            data[group].pop(name, None)
        else:
            data[group][name] = list(new)
        self.extra["positions"] = data
        self._commit("positions_changed", f"positions.{group}.{name}", old, None if new is None else list(new),
                     author or self.author, action="position_set")
        return new

    def correct_clock(self, name: str, clock: ClockMap, travel_bound_s: float, reason: str, *,
                      constraints: Sequence[dict[str, Any]] | None = None, author: str | None = None) -> Source:
        """Replace a source's clock, its sound-travel bound (s) and (optionally) its stored
        constraints after a correction; one history entry (``clock_corrected``) with ``reason``."""
        old = self.source(name)
        extra = dict(old.extra)
        before = {"clock": None if old.clock is None else old.clock.to_dict(),
                  "travel_bound_s": extra.get("travel_bound_s")}
        extra["travel_bound_s"] = float(travel_bound_s)
        changes: dict[str, Any] = {"clock": clock, "reason": "", "extra": extra}
        if constraints is not None:
            changes["constraints"] = tuple(constraints)
        new = replace(old, **changes)
        self._replace_source(old, new)
        after = {"clock": clock.to_dict(), "travel_bound_s": float(travel_bound_s), "reason": reason}
        self._commit("clock_changed", old.name, old.clock, clock, author or self.author, action="clock_corrected",
                     history_before=before, history_after=after)
        return new

    def set_hash_status(self, name: str, status: str) -> Source:
        """Record the outcome of a hash check (emits ``source_changed``; no history, not dirty)."""
        old = self.source(name)
        if old.hash_status == status:
            return old
        new = replace(old, hash_status=status)
        self._replace_source(old, new)
        self.events.emit(ChangeEvent("source_changed", old.name, old, new))
        return new

    # ------------------------------------------------------------- vocabulary
    def add_event_type(self, name: str, *, author: str | None = None) -> str:
        """Add an event type to the vocabulary; returns it as stored (no-op if present)."""
        try:
            name = normalize_event_type(name)
        except ValueError as exc:
            raise ProjectError(f"{self.label}: {exc}") from None
        if name in self._vocabulary:
            return name
        before = self.vocabulary
        self._vocabulary.append(name)
        self._commit("vocabulary_changed", "vocabulary", before, self.vocabulary, author or self.author,
                     action="event_type_added", history_before=list(before), history_after=list(self.vocabulary))
        return name

    def remove_event_type(self, name: str, *, author: str | None = None) -> None:
        """Remove an unused event type (undo of :meth:`add_event_type`)."""
        if name not in self._vocabulary:
            raise ProjectError(f"{self.label}: {name!r} is not an event type")
        used = [a.id for a in self._annotations.values() if a.type == name]
        if used:
            raise ProjectError(f"{self.label}: event type {name!r} is used by {', '.join(sorted(used))}")
        before = self.vocabulary
        self._vocabulary.remove(name)
        self._commit("vocabulary_changed", "vocabulary", before, self.vocabulary, author or self.author,
                     action="event_type_removed", history_before=list(before), history_after=list(self.vocabulary))

    # ---------------------------------------------------- store / verification
    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = True) -> Project:
        """Open a project file (validated; migrated if older); re-hash every source unless ``verify=False``.

        A changed or missing source does not stop the load: it is in
        :attr:`warnings` and its ``hash_status``.
        """
        from timesync.project.store import load_project

        project = load_project(path)
        if verify:
            project.verify()
        return project

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, path: str | os.PathLike[str] | None = None,
                  label: str | None = None) -> Project:
        """A project from its JSON form (validated, migrated); ``path`` is its file, if any."""
        from timesync.project.store import project_from_dict

        return project_from_dict(data, path=path, label=label)

    @classmethod
    def from_sync_result(cls, result: Any, project_path: str | os.PathLike[str] | None = None) -> Project:
        """A project from a ``SyncResult`` (or its ``to_dict()``).

        Source paths in the result are as given on the command line (relative to
        the current directory); with ``project_path`` they are rewritten relative
        to that file's folder and the project takes that path (not yet saved).
        """
        from timesync.project.store import project_from_sync_result

        return project_from_sync_result(result, project_path)

    def to_dict(self) -> dict[str, Any]:
        """The project JSON (``schema``, ``reference``, ``sources``, ``vocabulary``, ``events``, ``history``...)."""
        from timesync.project.store import project_to_dict

        return project_to_dict(self)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was loaded from).

        Saving to another folder rewrites relative source paths. Emits
        ``saved`` (and ``dirty_changed``). Returns the absolute path written.
        """
        from timesync.project.store import save_project

        return save_project(self, path)

    def verify(self) -> list[str]:
        """Re-hash every source; set each ``hash_status``; return (and keep in :attr:`warnings`) the problems."""
        from timesync.project.verify import verify_project

        return verify_project(self)

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
            match = _ID_NUMBER.match(text)
            if match:
                numbers.append(int(match.group(1)))
        return max(numbers) + 1

    def _checked_annotation_fields(self, fields: dict[str, Any], old_source: str | None = None) -> dict[str, Any]:
        type_ = fields["type"]
        if type_ not in self._vocabulary:
            raise ProjectError(
                f"{self.label}: unknown event type {type_!r} (known: {', '.join(self._vocabulary)}); add it first"
            )
        shared_s = _finite(fields["shared_s"], "an event's time")
        end_s = fields["end_s"]
        if end_s is not None:
            end_s = _finite(end_s, "an event's end")
            if end_s < shared_s:
                raise ProjectError(f"an event's end ({end_s} s) is before its start ({shared_s} s)")
        source = fields["source"]
        if source is not None:
            if source != old_source:
                source = self.source(source).name
        note = fields["note"]
        if not isinstance(note, str):
            raise ProjectError(f"an event's note must be text, got {note!r}")
        return {"type": type_, "shared_s": shared_s, "end_s": end_s, "source": source, "note": note}

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


def stored_path(absolute: Path, base_dir: Path) -> str:
    """How a file is written in the project: relative to ``base_dir`` (POSIX), or absolute.

    A relative path that would read as a URL or FFmpeg protocol (``a,b.mp4``)
    gets a ``./`` prefix, so it is never refused on load.
    """
    try:
        text = Path(os.path.relpath(absolute, base_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return str(absolute)
    return f"./{text}" if is_unsafe_path(text) else text


def _annotation_order(ann: Annotation) -> tuple[float, int, str]:
    match = _ID_NUMBER.match(ann.id)
    return (ann.shared_s, int(match.group(1)) if match else 0, ann.id)


def _same_clock(a: ClockMap | None, b: ClockMap | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b and a.method == b.method


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _alignment_fields(entry: dict[str, Any]) -> dict[str, Any]:
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


def _alignment_summary(source: Source) -> dict[str, Any]:
    """What the history records of a source's alignment."""
    return {
        "clock": None if source.clock is None else source.clock.to_dict(),
        "reason": source.reason,
        "constraints": len(source.constraints),
        "methods": sorted({str(c.get("kind", "")) for c in source.constraints}),
    }
