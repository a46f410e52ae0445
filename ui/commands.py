"""Undoable edits: each QUndoCommand calls the project's methods, nothing else.

The project records every call in its append-only history (an undo is itself
a recorded change), so the audit trail shows the edit and its undo.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from timesync.clock import ClockMap
from timesync.project import Project
from timesync.project.annotation import Annotation

__all__ = [
    "push",
    "ProjectCommand",
    "AddAnnotationCommand",
    "EditAnnotationCommand",
    "RemoveAnnotationCommand",
    "SetClockCommand",
    "ApplyAlignmentCommand",
    "SetRoleCommand",
    "AddShotsCommand",
]


class ProjectCommand(QUndoCommand):
    """A command whose first application happens in :func:`push`, before it enters the stack.

    The project validates every call; a refused edit raises there (a
    ``ProjectError`` naming the problem) and nothing is pushed. ``QUndoStack.push``
    then calls ``redo`` once more, which this class skips.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._skip_redo = False

    def apply(self) -> None:
        """Do the edit (raises when the project refuses it)."""
        raise NotImplementedError

    def redo(self) -> None:  # noqa: D102
        if self._skip_redo:
            self._skip_redo = False
            return
        self.apply()


def push(stack: QUndoStack, command: ProjectCommand) -> ProjectCommand:
    """Apply ``command`` (raising if the project refuses it), then put it on ``stack``."""
    command.apply()
    command._skip_redo = True
    stack.push(command)
    return command


class AddAnnotationCommand(ProjectCommand):
    """Add an event (undo: remove it; redo: restore it with the same id)."""

    def __init__(self, project: Project, type_: str, shared_s: float, end_s: float | None = None, *,
                 source: str | None = None, note: str = "") -> None:
        super().__init__(f"add {type_}")
        self._project = project
        self._args = (type_, shared_s, end_s)
        self._kwargs = {"source": source, "note": note}
        self.annotation: Annotation | None = None

    def apply(self) -> None:  # noqa: D102
        if self.annotation is None:
            self.annotation = self._project.add_annotation(*self._args, **self._kwargs)
        else:
            self._project.restore_annotation(self.annotation)

    def undo(self) -> None:  # noqa: D102
        if self.annotation is not None:
            self._project.remove_annotation(self.annotation.id)


class EditAnnotationCommand(ProjectCommand):
    """Change fields of an event (``type``, ``shared_s``, ``end_s``, ``source``, ``note``)."""

    def __init__(self, project: Project, annotation_id: str, **changes: Any) -> None:
        super().__init__(f"edit {annotation_id} " + ", ".join(sorted(changes)))
        old = project.annotation(annotation_id)
        self._project = project
        self._id = annotation_id
        self._new = dict(changes)
        self._old = {name: getattr(old, name) for name in changes}

    def apply(self) -> None:  # noqa: D102
        self._project.update_annotation(self._id, **self._new)

    def undo(self) -> None:  # noqa: D102
        self._project.update_annotation(self._id, **self._old)


class RemoveAnnotationCommand(ProjectCommand):
    """Delete an event (undo: restore it with its id)."""

    def __init__(self, project: Project, annotation_id: str) -> None:
        super().__init__(f"delete {annotation_id}")
        self._project = project
        self._id = annotation_id
        self._removed: Annotation | None = None

    def apply(self) -> None:  # noqa: D102
        self._removed = self._project.remove_annotation(self._id)

    def undo(self) -> None:  # noqa: D102
        if self._removed is not None:
            self._project.restore_annotation(self._removed)


class ApplyAlignmentCommand(ProjectCommand):
    """Take a new alignment (clocks, the constraints behind them, provenance) into an
    annotated project; undo puts the previous alignment back the same way.

    The alignment comes from :func:`timesync.workflow.alignment_request`, so it
    was solved with the project's manual anchors: nothing is solved here.
    """

    def __init__(self, project: Project, result: dict[str, Any]) -> None:
        super().__init__("run alignment")
        self._project = project
        self._new = result
        self._old = project.to_dict()
        self._old.setdefault("provenance", None)

    def apply(self) -> None:  # noqa: D102
        self._project.apply_alignment(self._new)

    def undo(self) -> None:  # noqa: D102
        self._project.apply_alignment(self._old)


class SetClockCommand(ProjectCommand):
    """Place a source (by hand: method "manual"); undo puts the old map (and method) back.

    ``method=None`` keeps the new clock's own method (alignment results).
    Successive manual moves of the same source merge into one undo step.
    """

    ID = 4201

    def __init__(self, project: Project, name: str, clock: ClockMap | None, *, method: str | None = "manual") -> None:
        super().__init__(f"move {name}" if method == "manual" else f"align {name}")
        self._project = project
        self._name = name
        self._old = project.clock(name)
        self._new = clock
        self._method = method

    @property
    def name(self) -> str:
        """The source moved."""
        return self._name

    def id(self) -> int:  # noqa: D102 - Qt API
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802, D102 - Qt API
        if not isinstance(other, SetClockCommand) or other.name != self._name or self._method != "manual" or other._method != "manual":
            return False
        self._new = other._new
        return True

    def apply(self) -> None:  # noqa: D102
        self._project.set_source_clock(self._name, self._new, method=self._method)

    def undo(self) -> None:  # noqa: D102
        self._project.set_source_clock(self._name, self._old, method=None)


class SetRoleCommand(ProjectCommand):
    """Change a source's role."""

    def __init__(self, project: Project, name: str, role: str) -> None:
        super().__init__(f"role of {name}")
        self._project = project
        self._name = name
        self._old = project.source(name).role
        self._new = role

    def apply(self) -> None:  # noqa: D102
        self._project.set_source_role(self._name, self._new)

    def undo(self) -> None:  # noqa: D102
        self._project.set_source_role(self._name, self._old)


class AddShotsCommand(ProjectCommand):
    """Add a shot table's accepted candidates as "shot fired" events, in one undo step.

    The first application calls the core's
    ``timesync.workflow_shots.add_shots_to_project(project, table, require_accepted=True)``
    (shots already annotated within 5 ms are skipped); undo removes the events
    it added, redo restores them with their ids.
    """

    def __init__(self, project: Project, table: Any) -> None:
        super().__init__("add accepted shots")
        self._project = project
        self._table = table
        self.annotations: list[Annotation] | None = None

    def apply(self) -> None:  # noqa: D102
        if self.annotations is None:
            from timesync.workflow_shots import add_shots_to_project

            self.annotations = add_shots_to_project(self._project, self._table, min_score=0.0,
                                                    require_accepted=True)
            self.setText(f"add {len(self.annotations)} accepted shot(s)")
        else:
            for annotation in self.annotations:
                self._project.restore_annotation(annotation)

    def undo(self) -> None:  # noqa: D102
        for annotation in reversed(self.annotations or []):
            self._project.remove_annotation(annotation.id)
