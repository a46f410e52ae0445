"""SHA-256 of evidence files, streamed once, read-only."""

from __future__ import annotations

import hashlib
import os
import threading

from timesync.media.source import check_local_file

__all__ = ["sha256_file", "BLOCK_BYTES", "file_key", "memo_sha256"]

#: Bytes read per block while hashing (1 MiB).
BLOCK_BYTES = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a local file, read once in 1 MiB blocks, opened ``"rb"``.

    Parameters
    ----------
    path : str or PathLike
        A local regular file (URLs and ffmpeg protocols are refused).

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    MediaError
        The file is missing, a directory, not a regular file or unreadable.
    """
    local = check_local_file(path, allow_empty=True)
    digest = hashlib.sha256()
    with open(local, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def file_key(path: str | os.PathLike[str]) -> tuple:
    """(absolute path, device, inode, size, mtime in ns): changes when the file does."""
    local = check_local_file(path, allow_empty=True)
    info = os.stat(local)
    return (local, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


_MEMO: dict[tuple, str] = {}
_MEMO_MAX = 256
_MEMO_LOCK = threading.Lock()


def memo_sha256(path: str | os.PathLike[str]) -> str:
    """:func:`sha256_file`, remembered for this process while the file's stat is unchanged.

    Only a cache key for derived data (the frame index): integrity checks
    (ingest, ``verify``) must call :func:`sha256_file`, which always reads.
    """
    key = file_key(path)
    with _MEMO_LOCK:
        digest = _MEMO.get(key)
    if digest is None:
        digest = sha256_file(path)
        with _MEMO_LOCK:
            if len(_MEMO) >= _MEMO_MAX:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[key] = digest
    return digest
