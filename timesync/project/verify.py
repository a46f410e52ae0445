"""Hash checks of a project's sources, and the probe summary kept per source."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from timesync.project.view import ProjectView

__all__ = [
    "hash_file", "probe_summary", "verify_project", "SourceCheck", "check_sources", "relink_hint", "Wanted",
    "find_by_hash",
]

_BLOCK = 1 << 20


def hash_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file, read-only, streamed in 1 MiB blocks."""
    try:
        from timesync.media import sha256_file
    except ImportError:  # media package not available: same algorithm here
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
        return digest.hexdigest()
    return sha256_file(path)


def probe_summary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A small JSON-able summary of a media file (duration, container, video and audio facts).

    Uses :func:`timesync.media.probe`; a file it cannot read raises its
    ``MediaError``.
    """
    from timesync.media.probe import probe, summarize

    return summarize(probe(path))


@dataclass(frozen=True)
class SourceCheck:
    """The outcome of re-hashing one source.

    Attributes
    ----------
    name : str
        The source's name.
    path : Path
        The absolute path that was tried.
    status : str
        ``"verified"``, ``"changed"``, ``"missing"`` or ``"unverified"``.
    message : str
        One line for a warning: ``"<stored path>: CHANGED since it was added (...)"``.
    sha256 : str or None
        The file's SHA-256 now, when it was hashed.
    detail : str
        What ``timesync verify`` prints after the name and status: the stored
        path (left out when it is the name) and the facts, without repeating
        the status.
    """

    name: str
    path: Path
    status: str
    message: str
    sha256: str | None = None
    detail: str = ""


def relink_hint(project: ProjectView) -> str:
    """``timesync relink PROJECT --search DIR``, with the project's path when it has one."""
    where = str(project.path) if project.path is not None else "PROJECT"
    return f"timesync relink {where} --search DIR"


def _check(name: str, path: Path, status: str, stored: str, warning: str, facts: str,
           sha256: str | None = None) -> SourceCheck:
    """A SourceCheck: the warning reads ``stored: warning``, the detail ``stored: facts``."""
    shown = "" if stored == name else stored
    detail = f"{shown}: {facts}" if shown and facts else (shown or facts)
    return SourceCheck(name, path, status, f"{stored}: {warning}", sha256, detail)


def check_sources(project: ProjectView) -> list[SourceCheck]:
    """Re-hash every source of ``project`` (does not change the project)."""
    checks = []
    for source in project.sources:
        path = project.resolve(source.name)
        stored = source.path
        if not path.is_file():
            what = "a folder" if path.is_dir() else "no file"
            facts = (f"{what} at {os.path.normpath(path)} (source paths are relative to the project file's folder); "
                     f"if it was moved: {relink_hint(project)}")
            checks.append(_check(source.name, path, "missing", stored, f"MISSING: {facts}", facts))
            continue
        if source.sha256 is None:
            facts = "no SHA-256 recorded, cannot verify"
            checks.append(_check(source.name, path, "unverified", stored, facts, facts))
            continue
        digest = hash_file(path)
        if digest == source.sha256.lower():
            checks.append(_check(source.name, path, "verified", stored, "verified", "", digest))
            continue
        facts = f"SHA-256 now {digest[:12]}..., recorded {source.sha256[:12]}..."
        checks.append(_check(source.name, path, "changed", stored, f"CHANGED since it was added ({facts})",
                             facts, digest))
    return checks


def verify_project(project: ProjectView) -> list[str]:
    """Re-hash every source, record each ``hash_status``; the problems go to ``project.warnings``."""
    problems = []
    for check in check_sources(project):
        project.set_hash_status(check.name, check.status)
        if check.status != "verified":
            problems.append(check.message)
    project.warnings = [w for w in project.warnings if not _is_hash_warning(w, project)] + problems
    return problems


def _is_hash_warning(text: str, project: ProjectView) -> bool:
    return any(text.startswith(f"{s.path}: ") for s in project.sources)


@dataclass(frozen=True)
class Wanted:
    """A source looked for by :func:`find_by_hash`: its recorded SHA-256 and size (bytes, if known)."""

    name: str
    sha256: str
    size_bytes: int | None = None
    file_name: str = ""


def _candidates(folders: list[Path]) -> list[tuple[Path, int]]:
    """Every regular file under ``folders`` with its size, in a stable (sorted) order."""
    out: list[tuple[Path, int]] = []
    seen: set[str] = set()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                try:
                    real, size = os.path.realpath(path), path.stat().st_size
                except OSError:
                    continue
                if real not in seen and path.is_file():
                    seen.add(real)
                    out.append((path, size))
    return out


def find_by_hash(wanted: list[Wanted], folders: list[Path],
                 on_hash: Any = None) -> dict[str, Path]:
    """Files under ``folders`` whose SHA-256 is a wanted source's (``timesync relink``).

    Only files of the recorded size are hashed (a source without a recorded
    size: files of its file name first, then every file); among several
    copies, one with the source's file name wins, then the first in path order.
    Each file is hashed at most once; ``on_hash(path, size_bytes)`` is called
    before each. Unreadable files are skipped.

    Returns
    -------
    dict
        Source name -> the path found (as walked: under one of ``folders``).
    """
    from timesync.errors import MediaError

    files = _candidates(folders)
    sizes = dict(files)
    digests: dict[Path, str | None] = {}
    found: dict[str, Path] = {}
    for item in wanted:
        pool = [p for p, size in files if item.size_bytes is None or size == item.size_bytes]
        pool.sort(key=lambda p: (p.name != item.file_name, str(p)))
        for path in pool:
            if path not in digests:
                if on_hash is not None:
                    on_hash(path, sizes[path])
                try:
                    digests[path] = hash_file(path)
                except (OSError, MediaError):  # unreadable: not it
                    digests[path] = None
            if digests[path] == item.sha256.lower():
                found[item.name] = path
                break
    return found
