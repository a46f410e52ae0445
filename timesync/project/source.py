"""A Source: one recording of the incident, placed on the shared clock."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap

__all__ = [
    "Source",
    "ROLES",
    "HASH_STATUSES",
    "is_unsafe_path",
    "stored_path",
]

#: What kind of recorder a source comes from.
ROLES = ("body cam", "aerial", "fixed", "phone", "audio-only", "other")

#: ``verified``: the file's SHA-256 matches; ``changed``: it does not; ``missing``:
#: the file is not there; ``unverified``: not checked yet (or no hash recorded).
HASH_STATUSES = ("verified", "changed", "missing", "unverified")

_URL_LIKE = re.compile(r"^[a-z][a-z0-9+.-]*[:,]", re.IGNORECASE)
_WINDOWS_DRIVE = re.compile(r"^[a-z]:([\\/]|$)", re.IGNORECASE)


def is_unsafe_path(path: str) -> bool:
    """True when ``path`` looks like a URL or an FFmpeg protocol, not a file path.

    Anything that starts like ``scheme:`` or ``name,`` (``http:``, ``concat:``,
    ``pipe:``, ``subfile,``, ``file:``, ``data:``...) is refused, except a
    Windows drive (``C:\\clips\\a.mp4``). Such a "path" would make FFmpeg open a
    network connection, a pipe or other files than the one named.
    """
    if _WINDOWS_DRIVE.match(path):
        return False
    return bool(_URL_LIKE.match(path))


@dataclass(frozen=True)
class Source:
    """One recording of the incident (immutable; the :class:`Project` replaces it on change).

    Attributes
    ----------
    name : str
        Unique name in the project, shown to the user (default: the path as given
        to ``sync``, or the file name for ``add_source``). Annotations name their
        source by it.
    path : str
        The file, relative to the project file's folder where possible.
    sha256 : str or None
        SHA-256 (hex) of the file when it was added.
    role : str
        One of :data:`ROLES`.
    clock : ClockMap or None
        Local time -> shared clock (``shared = offset_s + rate * local``, seconds,
        one-sigma ``uncertainty_s``, ``method``); ``None`` when not aligned.
    reason : str
        Why the source is not aligned ("" when it is).
    constraints : tuple of dict
        The evidence the solve used (project-JSON dicts, see DESIGN.md).
    overlay_clock : dict or None
        What the burned-in clock reads at local 0 (``at_local_zero``, ``rate``,
        ``uncertainty_s``), see DESIGN.md.
    probe : dict
        A JSON-able summary of the media (duration, streams, fps...).
    hash_status : str
        One of :data:`HASH_STATUSES` (set by :meth:`Project.verify`).
    warnings : tuple of str
        What probing the file found a reviewer should know (cut short, damaged
        packets, timestamp gaps...), one short sentence each; empty for a clean
        file. Warnings are not failures: a source with warnings may be aligned.
    extra : dict
        Keys of the project file this version does not know, kept as they were.
    """

    name: str
    path: str
    sha256: str | None = None
    role: str = "other"
    clock: ClockMap | None = None
    reason: str = ""
    constraints: tuple[dict[str, Any], ...] = ()
    overlay_clock: dict[str, Any] | None = None
    probe: dict[str, Any] = field(default_factory=dict)
    hash_status: str = "unverified"
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"source {self.name}: role must be one of {', '.join(ROLES)}, got {self.role!r}")
        if self.hash_status not in HASH_STATUSES:
            raise ValueError(f"source {self.name}: unknown hash status {self.hash_status!r}")

    @property
    def aligned(self) -> bool:
        """True when the source is placed on the shared clock."""
        return self.clock is not None

    @property
    def offset_s(self) -> float | None:
        """Shared time of local 0 (seconds), ``None`` when not aligned."""
        return None if self.clock is None else self.clock.offset_s

    @property
    def uncertainty_s(self) -> float | None:
        """One sigma of the placement (seconds), ``None`` when not aligned."""
        return None if self.clock is None else self.clock.uncertainty_s

    @property
    def method(self) -> str:
        """The evidence that placed the source ("" when not aligned)."""
        return "" if self.clock is None else self.clock.method

    @property
    def duration_s(self) -> float | None:
        """Duration from the probe summary (seconds), when known."""
        value = self.probe.get("duration_s")
        return float(value) if isinstance(value, int | float) else None

    @property
    def has_video(self) -> bool:
        """From the probe summary; without one, any role but "audio-only" is taken to have video."""
        if self.probe:
            return self.probe.get("video") is not None
        return self.role != "audio-only"

    @property
    def has_audio(self) -> bool:
        """From the probe summary; without one, taken to have audio."""
        return self.probe.get("audio") is not None if self.probe else True


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
