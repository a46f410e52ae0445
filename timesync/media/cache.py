"""The frame-index cache: small ``.npz`` files keyed by the media's SHA-256.

The folder is ``$TIMESYNC_CACHE_DIR``, else ``$XDG_CACHE_HOME/timesync``, else
``~/.cache/timesync``: never next to the evidence. A cache that cannot be
written or read is skipped silently (the index is then rebuilt), because the
cache is only a speed-up.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from timesync.media.scan import StreamScan

__all__ = ["cache_dir", "CachedIndex", "store_scan", "load_index", "FORMAT_VERSION"]

#: Bumped whenever the stored layout or the way the index is built changes.
FORMAT_VERSION = 3


@dataclass(frozen=True)
class CachedIndex:
    """What the cache holds for one file's first video stream."""

    stream_index: int
    pts: np.ndarray  # int64, sorted
    time_base: Fraction
    origin: Fraction  # container seconds of local time 0
    last_duration: int  # ticks
    keyframes: np.ndarray  # int64 sorted PTS of keyframes
    size_bytes: int = -1  # size of the file that was indexed (-1: unknown)


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


def store_scan(sha256: str, scan: StreamScan, origin: Fraction, size_bytes: int) -> None:
    """Store a video stream's scan as the frame index of the file ``sha256``."""
    if scan.pts is None or len(sha256) != 64:
        return
    keyframes = scan.keyframes if scan.keyframes is not None else np.zeros(0, np.int64)
    entry = CachedIndex(
        scan.index,
        scan.pts,
        scan.time_base,
        origin,
        int(scan.last_duration or 0),
        keyframes,
        size_bytes,
    )
    store(sha256, entry)


def store(sha256: str, entry: CachedIndex) -> None:
    """Write ``entry`` atomically (temp file + rename); errors are ignored."""
    target = _index_path(sha256)
    meta = np.array(
        [
            entry.stream_index,
            entry.time_base.numerator,
            entry.time_base.denominator,
            entry.origin.numerator,
            entry.origin.denominator,
            entry.last_duration,
            entry.size_bytes,
        ],
        dtype=object,
    ).astype(str)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(
                    handle,
                    pts=np.asarray(entry.pts, dtype=np.int64),
                    keyframes=np.asarray(entry.keyframes, dtype=np.int64),
                    meta=meta,
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return


def load_index(sha256: str) -> CachedIndex | None:
    """The cached index of the file ``sha256``, or None (absent or unreadable)."""
    target = _index_path(sha256)
    try:
        with np.load(target, allow_pickle=False) as data:
            pts = data["pts"].astype(np.int64)
            keyframes = data["keyframes"].astype(np.int64)
            meta = [int(x) for x in data["meta"]]
    except (OSError, ValueError, KeyError):
        return None
    if len(meta) != 7 or meta[2] == 0 or meta[4] == 0:
        return None
    return CachedIndex(
        stream_index=meta[0],
        pts=pts,
        time_base=Fraction(meta[1], meta[2]),
        origin=Fraction(meta[3], meta[4]),
        last_duration=meta[5],
        keyframes=keyframes,
        size_bytes=meta[6],
    )
