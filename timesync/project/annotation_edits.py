"""The annotation and vocabulary edits of a :class:`~timesync.project.model.Project`.

A mixin: :class:`AnnotationEdits` holds the methods, the Project holds the state
(``_annotations``, ``_vocabulary``, ``_next_id``) and records each change with
``_commit`` (one history entry, one event).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from timesync.errors import ProjectError
from timesync.project.annotation import EDITABLE_FIELDS, ID_NUMBER, Annotation
from timesync.project.vocabulary import normalize_event_type

__all__ = ["AnnotationEdits"]


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProjectError(f"{what} must be a finite number of seconds, got {value!r}")
    return float(value)



class AnnotationEdits:
    """Add, change, remove and restore annotations; add and remove event types."""

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
        match = ID_NUMBER.match(annotation.id)
        if match:
            self._next_id = max(self._next_id, int(match.group(1)) + 1)
        self._commit("annotation_added", annotation.id, None, annotation, author or self.author,
                     action="annotation_restored")
        return annotation

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
