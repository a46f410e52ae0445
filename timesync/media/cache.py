"""The frame-index cache: small ``.npz`` files keyed by the media's SHA-256.

The folder is ``$TIMESYNC_CACHE_DIR``, else ``$XDG_CACHE_HOME/timesync``, else
``~/.cache/timesync``: never next to the evidence. The cache is only a
speed-up, so it must never change an answer:

* **Written only for a hashed file.** An entry under SHA-256 ``h`` is written
  only for a file this process read in full and hashed to ``h``, and that
  still has the stat and fingerprint it had then
  (:func:`timesync.media.hashing.verified`). A hash merely *claimed*
  (a project's recorded hash, ``probe(path, sha256=...)``) never writes: a
  changed file cannot overwrite the entry of the file that hash names.
* **Checked before use.** An entry records the key it was written under, the
  cache layout version, the timesync version that built it and the file's
  :func:`~timesync.media.hashing.fingerprint` (size + sampled bytes) taken when
  it was hashed. :func:`load_index` returns it only when all four match the
  key asked for and the file at hand; otherwise (also for an unreadable,
  truncated or damaged file) it returns None and the caller rebuilds.
* **Written atomically**: a temporary file in the cache folder, then
  ``os.replace``. A cache that cannot be written or read is skipped.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from timesync.media.hashing import fingerprint, is_sha256, verified
from timesync.media.scan import StreamScan

__all__ = ["cache_dir", "CachedIndex", "store_scan", "store", "load_index", "FORMAT_VERSION"]

#: Bumped whenever the stored layout or the way the index is built changes.
FORMAT_VERSION = 4


def _tool_version() -> str:
    from timesync import __version__

    return str(__version__)


@dataclass(frozen=True)
class CachedIndex:
    """What the cache holds for one file's first video stream."""

    stream_index: int
    pts: np.ndarray  # int64, sorted
    time_base: Fraction
    origin: Fraction  # container seconds of local time 0
    last_duration: int  # ticks
    keyframes: np.ndarray  # int64 sorted PTS of keyframes


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    explicit = os.environ.get("TIMESYNC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "timesync"
    return Path.home() / ".cache" / "timesync"


def _index_path(sha256: str) -> Path:
    return cache_dir() / "frame-index" / f"{sha256}.v{FORMAT_VERSION}.npz"


def _identity(sha256: str, print_: str) -> list[str]:
    """What an entry must say about itself: layout, tool version, key, file fingerprint."""
    return [str(FORMAT_VERSION), _tool_version(), sha256, print_]


def entry_from_scan(scan: StreamScan, origin: Fraction) -> CachedIndex | None:
    """The cache entry of a video stream's scan (None when it has no PTS)."""
    if scan.pts is None:
        return None
    keyframes = scan.keyframes if scan.keyframes is not None else np.zeros(0, np.int64)
    return CachedIndex(
        scan.index,
        np.asarray(scan.pts, np.int64),
        scan.time_base,
        Fraction(origin),
        int(scan.last_duration or 0),
        np.asarray(keyframes, np.int64),
    )


def store_scan(path: str | os.PathLike[str], sha256: str, scan: StreamScan, origin: Fraction) -> bool:
    """Store a video stream's scan of ``path`` as the frame index of the file ``sha256``.

    Returns True when written; see :func:`store` for when it is not.
    """
    entry = entry_from_scan(scan, origin)
    return entry is not None and store(path, sha256, entry)


def store(path: str | os.PathLike[str], sha256: str, entry: CachedIndex) -> bool:
    """Write ``entry``, built from ``path``, under ``sha256``, atomically.

    Nothing is written (False) unless this process hashed ``path`` in full to
    ``sha256`` and the file still has the stat and fingerprint it had then
    (:func:`timesync.media.hashing.verified`); the entry keeps that
    fingerprint. False too when the cache folder cannot be written.
    """
    if not is_sha256(sha256):
        return False
    known = verified(path)
    if known is None or known[0] != sha256:
        return False
    target = _index_path(sha256)
    written = _write(target, entry, _identity(sha256, known[1]))
    if written:
        _drop_other_versions(target, sha256)
    return written


def _drop_other_versions(target: Path, sha256: str) -> None:
    """Remove entries of ``sha256`` in other layouts (``<sha>.v<N>.npz``): never read again."""
    try:
        for other in target.parent.glob(f"{sha256}.v*.npz"):
            if other != target:
                other.unlink(missing_ok=True)
    except OSError:
        return


def _write(target: Path, entry: CachedIndex, identity: list[str]) -> bool:
    meta = np.array(
        [
            entry.stream_index,
            entry.time_base.numerator,
            entry.time_base.denominator,
            entry.origin.numerator,
            entry.origin.denominator,
            entry.last_duration,
        ],
        dtype=object,
    ).astype(str)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(
                    handle,
                    pts=np.asarray(entry.pts, dtype=np.int64),
                    keyframes=np.asarray(entry.keyframes, dtype=np.int64),
                    meta=meta,
                    identity=np.array(identity, dtype=str),
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def load_index(sha256: str, path: str | os.PathLike[str]) -> CachedIndex | None:
    """The cached index of the file ``sha256``, checked against ``path``, or None.

    None when there is no entry, when it cannot be read whole (truncated,
    damaged, not an npz), when it is of another layout or timesync version,
    was written under another key, or when ``path``'s fingerprint is not the
    one of the file it was made from. None means "build it"; whether ``path``
    really is the file ``sha256`` is for the caller to decide (by hashing).
    """
    if not is_sha256(sha256):
        return None
    read = _read(_index_path(sha256))
    if read is None:
        return None
    entry, identity = read
    try:
        expected = _identity(sha256, fingerprint(path))
    except (OSError, ValueError):
        return None
    return entry if identity == expected else None


def _read(target: Path) -> tuple[CachedIndex, list[str]] | None:
    """An entry file's index and identity; None for anything unreadable or malformed."""
    try:
        with np.load(target, allow_pickle=False) as data:
            pts = np.asarray(data["pts"], dtype=np.int64)
            keyframes = np.asarray(data["keyframes"], dtype=np.int64)
            meta = [int(x) for x in data["meta"]]
            identity = [str(x) for x in data["identity"]]
    except Exception:  # a damaged entry is rebuilt, whatever numpy or zipfile raise
        return None
    if len(meta) != 6 or meta[2] <= 0 or meta[4] <= 0 or pts.ndim != 1 or len(pts) == 0:
        return None
    if np.any(np.diff(pts) < 0) or keyframes.ndim != 1:
        return None
    entry = CachedIndex(
        stream_index=meta[0],
        pts=pts,
        time_base=Fraction(meta[1], meta[2]),
        origin=Fraction(meta[3], meta[4]),
        last_duration=meta[5],
        keyframes=keyframes,
    )
    return entry, identity
