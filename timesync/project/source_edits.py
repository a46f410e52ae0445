"""The source edits of a :class:`~timesync.project.model.Project`.

A mixin: :class:`SourceEdits` holds the methods, the Project holds the state
(``_sources``, ``_reference``) and records each change with ``_commit``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.events import ChangeEvent
from timesync.project.source import ROLES, Source, is_unsafe_path

__all__ = ["SourceEdits"]


class SourceEdits:
    """Add, remove, restore, place, rename and relink sources; the reference; hash and probe facts."""

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

    def set_hash_status(self, name: str, status: str) -> Source:
        """Record the outcome of a hash check (emits ``source_changed``; no history, not dirty)."""
        old = self.source(name)
        if old.hash_status == status:
            return old
        new = replace(old, hash_status=status)
        self._replace_source(old, new)
        self.events.emit(ChangeEvent("source_changed", old.name, old, new))
        return new

    def set_probe(self, name: str, summary: dict[str, Any]) -> Source:
        """Keep a probe summary of source ``name``'s file (``timesync.project.store.fill_probes``).

        Not a change of the project: no history, no event, not dirty.
        """
        old = self.source(name)
        new = replace(old, probe=dict(summary))
        self._replace_source(old, new)
        return new


def _same_clock(a: ClockMap | None, b: ClockMap | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b and a.method == b.method

