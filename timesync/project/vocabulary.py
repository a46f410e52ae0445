"""The annotation (event) types: the one registry of their names, colours and keys.

:data:`EVENT_TYPES` lists the types a new project's vocabulary starts with,
each with the plain data the app draws it with (an RGB colour, the default
one-key shortcut). The core reads the names (a new project's vocabulary, a
project file without one); the app builds its Qt colours and key actions from
the same entries (``ui.timeline.lanes.event_colour``, the annotate
controller). A project may add types of its own (``Project.add_event_type``);
those get a stable colour made from their name in the app and no key.

Every type is drawn in the one events lane of the timeline, as a point
(filled triangle) or, when the event has an end, a span (a band to its end):
point or span is a property of each event, not of its type.

Adding a type is one :func:`register_event_type` call (or one entry below).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_EVENT_TYPES", "EVENT_TYPES", "EventType", "default_event_types", "event_type",
           "normalize_event_type", "register_event_type", "unregister_event_type"]


@dataclass(frozen=True)
class EventType:
    """One annotation type.

    Attributes
    ----------
    name
        The type as stored in the project ("shot fired"); see :func:`normalize_event_type`.
    colour
        ``(red, green, blue)``, 0-255: its marks on the timeline and in the events list.
    key
        The app's default one-key shortcut to add it at the playhead ("" for none);
        the user may change it (kept in the app's settings).
    """

    name: str
    colour: tuple[int, int, int]
    key: str = ""


#: Type name -> :class:`EventType`, in vocabulary order (a new project starts with these).
EVENT_TYPES: dict[str, EventType] = {t.name: t for t in (
    EventType("shot fired", (235, 64, 52), "S"),
    EventType("verbal command", (66, 165, 245), "C"),
    EventType("warning", (255, 193, 7), "W"),
    EventType("use of force", (255, 112, 67), "F"),
    EventType("subject movement", (102, 187, 106), "M"),
    EventType("person down", (171, 71, 188), "D"),
    EventType("vehicle", (38, 198, 218), "V"),
    EventType("other", (189, 189, 189), "O"),
)}

#: The built-in types' names, as registered at import (use :func:`default_event_types`
#: for the registry as it is now).
DEFAULT_EVENT_TYPES: tuple[str, ...] = tuple(EVENT_TYPES)


def default_event_types() -> tuple[str, ...]:
    """The vocabulary a new project starts with: every registered type's name, in order."""
    return tuple(EVENT_TYPES)


def event_type(name: str) -> EventType | None:
    """The registered type called ``name``, or None (a project's own type)."""
    return EVENT_TYPES.get(name)


def register_event_type(entry: EventType) -> EventType:
    """Add (or replace) a type; new projects' vocabularies and the app see it from then on.

    Raises
    ------
    ValueError
        An empty name, a name not in its stored form, or a colour channel outside 0-255.
    """
    if normalize_event_type(entry.name) != entry.name:
        raise ValueError(f"event type {entry.name!r}: give it as stored, {normalize_event_type(entry.name)!r}")
    if len(entry.colour) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in entry.colour):
        raise ValueError(f"event type {entry.name!r}: a colour is three whole numbers 0-255, not {entry.colour!r}")
    EVENT_TYPES[entry.name] = entry
    return entry


def unregister_event_type(name: str) -> None:
    """Remove type ``name`` from the registry (a no-op when it is not there)."""
    EVENT_TYPES.pop(name, None)


def normalize_event_type(name: str) -> str:
    """An event type as stored: surrounding blanks removed, inner runs of blanks made one space.

    Raises ``ValueError`` for an empty name.
    """
    text = " ".join(str(name).split())
    if not text:
        raise ValueError("an event type needs a non-empty name")
    return text
