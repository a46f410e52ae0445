"""SHA-256 of evidence files, streamed once, read-only; and a cheap fingerprint.

Two different questions, kept apart:

* :func:`sha256_file` answers "what are these bytes?" by reading them all.
  Every full hash is remembered for this process under the file's stat
  (:func:`file_key`) with its fingerprint: :func:`verified` returns it while
  the stat and the fingerprint are unchanged. The stat is only a *hint* that
  the bytes are the ones hashed; it is never written to disk and never
  outlives the process.
* :func:`fingerprint` answers "is this (probably) the file a cache entry was
  made from?" by reading about 160 KiB: the size, the first and last 64 KiB and
  eight 4 KiB blocks spread evenly between them. It is a check, not a proof:
  a file edited only between the sampled blocks keeps its fingerprint, which is
  why integrity checks (ingest, ``verify``) always call :func:`sha256_file`.
"""

from __future__ import annotations

import hashlib
import os
import threading

from timesync.errors import MediaError
from timesync.media.source import check_local_file

__all__ = [
    "sha256_file",
    "BLOCK_BYTES",
    "file_key",
    "memo_sha256",
    "verified",
    "verified_sha256",
    "fingerprint",
    "is_sha256",
]

#: Bytes read per block while hashing (1 MiB).
BLOCK_BYTES = 1 << 20
#: Bytes of the start and of the end of a file in its fingerprint (64 KiB each).
EDGE_BYTES = 64 * 1024
#: Evenly spaced blocks between the edges in a fingerprint, and their size.
SAMPLE_COUNT = 8
SAMPLE_BYTES = 4096

_HEX = frozenset("0123456789abcdef")


def is_sha256(text: object) -> bool:
    """True for 64 lowercase hex digits (a SHA-256 as this package writes it)."""
    return isinstance(text, str) and len(text) == 64 and set(text) <= _HEX


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a local file, read once in 1 MiB blocks, opened ``"rb"``.

    Always reads the whole file. The result (with the file's
    :func:`fingerprint` taken right after) is remembered for
    :func:`verified_sha256` when the file's stat was the same before and
    after (a file written to meanwhile is not remembered).

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
        The file is missing, a directory, not a regular file or unreadable; the OS
        refused a read part way (I/O error, permissions: the message says after how
        many bytes); or its size changed while it was read (still being written).
    """
    local = check_local_file(path, allow_empty=True)
    before = file_key(local)
    digest = hashlib.sha256()
    done = 0
    try:
        with open(local, "rb") as handle:
            for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
                digest.update(block)
                done += len(block)
    except OSError as exc:  # the OS refused the read: permissions, an I/O error, a lost drive
        raise MediaError(
            f"{os.fspath(path)}: cannot be read (the system refused it after {done} of "
            f"{before[3]} bytes: {exc.strerror or exc})"
        ) from None
    if done != before[3]:
        raise MediaError(
            f"{os.fspath(path)}: changed while it was being hashed ({before[3]} bytes when "
            f"hashing began, {done} read): is it still being written?"
        )
    hexdigest = digest.hexdigest()
    print_ = fingerprint(local)
    if file_key(local) == before:
        _remember(before, (hexdigest, print_))
    return hexdigest


def file_key(path: str | os.PathLike[str]) -> tuple:
    """(absolute path, device, inode, size, mtime ns, ctime ns): changes when the file does.

    A hint only: a file rewritten within one timestamp tick keeps its key.
    The change time cannot be set back by ``touch``, unlike the mtime.
    """
    local = check_local_file(path, allow_empty=True)
    info = os.stat(local)
    return (local, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


_MEMO: dict[tuple, tuple[str, str]] = {}
_MEMO_MAX = 256
_MEMO_LOCK = threading.Lock()


def _remember(key: tuple, value: tuple[str, str]) -> None:
    with _MEMO_LOCK:
        if key not in _MEMO and len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = value


def verified(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """(SHA-256, fingerprint) this process read from ``path``, if it still looks the same, else None.

    Never reads the whole file: the answer holds while the file's stat
    (:func:`file_key`) is the one it had when hashed *and* its fingerprint
    now is the one taken then. This is what lets a cache entry be written
    under a SHA-256: the file was read in full and hashed to it, not merely
    claimed to have it (a project's recorded hash is a claim).
    """
    try:
        key = file_key(path)
    except (OSError, ValueError):
        return None
    with _MEMO_LOCK:
        known = _MEMO.get(key)
    if known is None:
        return None
    try:
        now = fingerprint(key[0])
    except (OSError, ValueError):
        return None
    return known if now == known[1] else None


def verified_sha256(path: str | os.PathLike[str]) -> str | None:
    """The SHA-256 part of :func:`verified` (None when the file must be hashed again)."""
    known = verified(path)
    return None if known is None else known[0]


def memo_sha256(path: str | os.PathLike[str]) -> str:
    """:func:`sha256_file`, remembered for this process while the file looks unchanged.

    Only a key for derived data (the frame index): integrity checks
    (ingest, ``verify``) must call :func:`sha256_file`, which always reads.
    """
    digest = verified_sha256(path)
    return digest if digest is not None else sha256_file(path)


def _sample_offsets(size: int) -> list[tuple[int, int]]:
    """(offset, length) of the bytes a fingerprint reads, in file order (overlaps allowed)."""
    spans = [(0, min(size, EDGE_BYTES))]
    inner_start, inner_end = EDGE_BYTES, size - EDGE_BYTES
    if inner_end - inner_start > SAMPLE_BYTES:
        step = (inner_end - inner_start - SAMPLE_BYTES) // (SAMPLE_COUNT + 1)
        spans += [(inner_start + step * (i + 1), SAMPLE_BYTES) for i in range(SAMPLE_COUNT)]
    spans.append((max(0, size - EDGE_BYTES), min(size, EDGE_BYTES)))
    return spans


def fingerprint(path: str | os.PathLike[str]) -> str:
    """A cheap identity of a file's bytes: ``"<size>:<sha256 of sampled bytes>"``.

    The sampled bytes are the first and last :data:`EDGE_BYTES` and
    :data:`SAMPLE_COUNT` blocks of :data:`SAMPLE_BYTES` spread evenly between
    them (about 160 KiB read, whatever the file's size), each prefixed with
    its offset. Equal fingerprints mean "same size and same sampled bytes",
    not "same file": see the module notes.

    Raises
    ------
    MediaError
        The file is missing, not a regular file or unreadable.
    """
    local = check_local_file(path, allow_empty=True)
    digest = hashlib.sha256()
    with open(local, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        for offset, length in _sample_offsets(size):
            handle.seek(offset)
            digest.update(f"{offset}:".encode())
            digest.update(handle.read(length))
    return f"{size}:{digest.hexdigest()}"
