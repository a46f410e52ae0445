"""The append-only history of every change made to a project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["HistoryEntry", "utc_now_iso"]


def utc_now_iso() -> str:
    """Now, as ISO 8601 UTC with milliseconds and a ``Z``: ``2026-11-25T09:30:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class HistoryEntry:
    """Who changed what, when, from what to what.

    Attributes
    ----------
    when : str
        ISO 8601 UTC time of the change.
    who : str
        The author of the change.
    action : str
        What was done: ``annotation_added``, ``clock_changed``, ``source_renamed``...
    target : str
        The annotation id, source name or ``"vocabulary"`` / ``"project"``.
    before, after : JSON-able or None
        The value before and after (``None``: did not exist / no longer exists).
    """

    when: str
    who: str
    action: str
    target: str
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The project-JSON form (keys ``when who action target before after``)."""
        return {
            "when": self.when,
            "who": self.who,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HistoryEntry:
        """Inverse of :meth:`to_dict` (the store validates types first)."""
        return cls(
            when=data["when"],
            who=data["who"],
            action=data["action"],
            target=data["target"],
            before=data.get("before"),
            after=data.get("after"),
        )
