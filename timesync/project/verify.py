"""Hash checks of a project's sources, and the probe summary kept per source."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from timesync.project.model import Project

__all__ = ["hash_file", "probe_summary", "verify_project", "SourceCheck", "check_sources"]

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
    """The outcome of re-hashing one source: ``status`` in verified/changed/missing/unverified."""

    name: str
    path: Path
    status: str
    message: str
    sha256: str | None = None


def check_sources(project: Project) -> list[SourceCheck]:
    """Re-hash every source of ``project`` (does not change the project)."""
    checks = []
    for source in project.sources:
        path = project.resolve(source.name)
        if not path.is_file():
            checks.append(SourceCheck(source.name, path, "missing", f"{source.path}: MISSING (no file at {path})"))
            continue
        if source.sha256 is None:
            checks.append(SourceCheck(source.name, path, "unverified", f"{source.path}: no SHA-256 recorded, cannot verify"))
            continue
        digest = hash_file(path)
        if digest == source.sha256.lower():
            checks.append(SourceCheck(source.name, path, "verified", f"{source.path}: verified", digest))
        else:
            checks.append(SourceCheck(
                source.name, path, "changed",
                f"{source.path}: CHANGED since it was added (SHA-256 {digest[:12]}..., recorded {source.sha256[:12]}...)",
                digest,
            ))
    return checks


def verify_project(project: Project) -> list[str]:
    """Re-hash every source, record each ``hash_status``; the problems go to ``project.warnings``."""
    problems = []
    for check in check_sources(project):
        project.set_hash_status(check.name, check.status)
        if check.status != "verified":
            problems.append(check.message)
    project.warnings = [w for w in project.warnings if not _is_hash_warning(w, project)] + problems
    return problems


def _is_hash_warning(text: str, project: Project) -> bool:
    return any(text.startswith(f"{s.path}: ") for s in project.sources)
