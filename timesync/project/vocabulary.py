"""The editable vocabulary of annotation (event) types."""

from __future__ import annotations

__all__ = ["DEFAULT_EVENT_TYPES", "normalize_event_type"]

#: The vocabulary a new project starts with; a project can add its own types.
DEFAULT_EVENT_TYPES: tuple[str, ...] = (
    "shot fired",
    "verbal command",
    "warning",
    "use of force",
    "subject movement",
    "person down",
    "vehicle",
    "other",
)


def normalize_event_type(name: str) -> str:
    """An event type as stored: surrounding blanks removed, inner runs of blanks made one space.

    Raises ``ValueError`` for an empty name.
    """
    text = " ".join(str(name).split())
    if not text:
        raise ValueError("an event type needs a non-empty name")
    return text
