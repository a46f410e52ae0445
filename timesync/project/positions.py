"""Positions as project data: where the sources and the sound sources (a shooter) were.

Stored in the project file under ``"positions"``::

    "positions": {
      "frame": "local east/north/up, metres",
      "sources": {"<source name>": [x, y] or [x, y, z]},
      "sounds": {"shooter": [x, y] or [x, y, z]}
    }

Coordinates are metres in one local Cartesian frame: x east, y north, z up
(any origin, the same for every position of the project). A position is fixed
for the whole recording; a per-time track for a moving camera is a later
extension (it would be a list of ``{"shared_s": t, "at": [x, y, z]}``). Every
change goes through :meth:`timesync.project.Project.set_position`, which keeps
it in the history. Older project files without the section load unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from timesync.errors import ProjectError

__all__ = ["FRAME", "GROUPS", "SHOOTER", "checked_position", "positions_of", "sound_position"]

#: The coordinate frame of every position.
FRAME = "local east/north/up, metres"
#: ``"sources"``: recordings, by source name; ``"sounds"``: sound sources, by a name of the user's.
GROUPS = ("sources", "sounds")
#: The name of the shooter among the sound sources.
SHOOTER = "shooter"


def checked_position(value: Any, what: str) -> tuple[float, ...]:
    """``value`` as a tuple of 2 or 3 finite metres; ``ProjectError`` naming ``what`` otherwise."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) not in (2, 3):
        raise ProjectError(f"{what}: a position is X,Y or X,Y,Z in metres, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ProjectError(f"{what}: a position is X,Y or X,Y,Z in finite metres, got {value!r}")
        out.append(float(v))
    return tuple(out)


def section(extra: dict[str, Any]) -> dict[str, Any]:
    """The project's ``positions`` section (a fresh, empty one when there is none)."""
    raw = extra.get("positions")
    if not isinstance(raw, dict):
        return {"frame": FRAME, "sources": {}, "sounds": {}}
    return {"frame": raw.get("frame", FRAME),
            "sources": dict(raw.get("sources") or {}), "sounds": dict(raw.get("sounds") or {})}


def positions_of(project: Any) -> dict[str, tuple[float, ...]]:
    """Positions of the project's sources (m), by source name; malformed entries are left out."""
    names = {s.name for s in project.sources}
    out = {}
    for name, value in section(project.extra)["sources"].items():
        try:
            if name in names:
                out[name] = checked_position(value, name)
        except ProjectError:
            continue
    return out


def sound_position(project: Any, name: str = SHOOTER) -> tuple[float, ...] | None:
    """The stored position (m) of the sound source ``name``, or ``None``."""
    value = section(project.extra)["sounds"].get(name)
    if value is None:
        return None
    try:
        return checked_position(value, name)
    except ProjectError:
        return None
