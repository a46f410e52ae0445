"""An Annotation: an event of the incident on the shared clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Annotation", "ANNOTATION_FIELDS", "EDITABLE_FIELDS", "ID_NUMBER"]

#: The keys of an annotation in the project JSON (``events`` list), in order.
ANNOTATION_FIELDS = ("id", "type", "shared_s", "end_s", "source", "note", "author", "created", "modified")

#: An annotation id ``eN``; group 1 is N.
ID_NUMBER = re.compile(r"^e(\d+)$")

#: Fields :meth:`Project.update_annotation` may change.
EDITABLE_FIELDS = ("type", "shared_s", "end_s", "source", "note", "author")


@dataclass(frozen=True)
class Annotation:
    """One event: a point (``end_s is None``) or an interval on the shared clock.

    Attributes
    ----------
    id : str
        Unique in the project, deterministic: ``e1``, ``e2``... never reused.
    type : str
        An event type of the project's vocabulary ("shot fired"...).
    shared_s : float
        Shared-clock seconds of the event (of its start for an interval).
    end_s : float or None
        Shared-clock seconds of the end of an interval (``>= shared_s``), or ``None``.
    source : str or None
        Name of the source where it was observed, if any.
    note : str
        Free text.
    author : str
        Who made it.
    created, modified : str
        ISO 8601 UTC times (``2026-11-25T09:30:00.123Z``).
    """

    id: str
    type: str
    shared_s: float
    end_s: float | None = None
    source: str | None = None
    note: str = ""
    author: str = ""
    created: str = ""
    modified: str = ""

    @property
    def duration_s(self) -> float:
        """``end_s - shared_s`` for an interval, 0 for a point (seconds)."""
        return 0.0 if self.end_s is None else self.end_s - self.shared_s

    def locate(self, source: Any, index: Any | None = None, *, at_end: bool = False) -> Any:
        """Its local time and frame number in ``source`` (see :func:`timesync.project.locate.locate`)."""
        from timesync.project.locate import locate_annotation

        return locate_annotation(self, source, index, at_end=at_end)

    def to_dict(self) -> dict[str, Any]:
        """The project-JSON form (keys :data:`ANNOTATION_FIELDS`)."""
        return {name: getattr(self, name) for name in ANNOTATION_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Annotation:
        """Inverse of :meth:`to_dict` (the store validates types first)."""
        end = data.get("end_s")
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            shared_s=float(data["shared_s"]),
            end_s=None if end is None else float(end),
            source=data.get("source"),
            note=str(data.get("note") or ""),
            author=str(data.get("author") or ""),
            created=str(data.get("created") or ""),
            modified=str(data.get("modified") or ""),
        )
