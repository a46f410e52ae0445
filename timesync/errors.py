"""The exception hierarchy of timesync.

Every error timesync raises on purpose derives from :class:`TimesyncError`, and
its message is one sentence naming the file (or object) and the problem, so the
CLI and the app can show it as is.  Each subclass also derives from the builtin
that fits, as PyAV does (``MediaError`` is a ``ValueError``), so callers that
only know builtins still catch it.
"""

from __future__ import annotations

__all__ = [
    "TimesyncError",
    "MediaError",
    "SourceChangedError",
    "ProjectError",
    "AlignmentError",
    "ExportError",
]


class TimesyncError(Exception):
    """Root of every error timesync raises on purpose."""


class MediaError(TimesyncError, ValueError):
    """A media file is missing, unreadable, corrupt or holds nothing we can decode."""


class SourceChangedError(MediaError):
    """A file is not the one its recorded SHA-256 names: it changed since it was hashed."""


class ProjectError(TimesyncError, ValueError):
    """A project file is missing, malformed, of an unknown schema, or names an unsafe source."""


class AlignmentError(TimesyncError, RuntimeError):
    """Alignment could not be carried out (not: "no match", which is a normal result)."""


class ExportError(TimesyncError, RuntimeError):
    """An export could not be written (target exists without force, renderer failed...)."""
