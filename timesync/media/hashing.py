"""SHA-256 of evidence files, streamed once, read-only."""

from __future__ import annotations

import hashlib
import os

from timesync.media.source import check_local_file

__all__ = ["sha256_file", "BLOCK_BYTES"]

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
