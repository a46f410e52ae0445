"""Local-file checks and read-only opening of media with PyAV.

Every path timesync hands to FFmpeg goes through :func:`check_local_file`:
URLs and FFmpeg protocols (``http:``, ``concat:``, ``pipe:``, ``subfile,``...)
are refused, and the path given to FFmpeg is absolute, so no part of a file
name can be read as a protocol. :func:`open_input` turns PyAV's errors into a
:class:`~timesync.errors.MediaError` naming the file and the problem.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from timesync.errors import MediaError

__all__ = ["check_local_file", "open_input", "looks_like_media", "mp4_problem"]

# What FFmpeg would read as a protocol prefix: scheme characters then ":"
# (``http:``, ``concat:``, ``file:``...), or ``subfile,``.
_PROTOCOL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:|^subfile,", re.IGNORECASE)

# Leading bytes of the containers we read (a file without any of them that
# FFmpeg cannot open is "not a media file" rather than "truncated").
_MAGIC_AT_0 = (
    b"RIFF",  # AVI, WAV
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM
    b"OggS",
    b"ID3",  # MP3 with a tag
    b"fLaC",
    b"\x00\x00\x01\xba",  # MPEG-PS
    b"\x00\x00\x01\xb3",
)
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid")


def check_local_file(path: str | os.PathLike[str], *, allow_empty: bool = False) -> str:
    """Absolute path of a local regular file, or :class:`MediaError`.

    Parameters
    ----------
    path : str or PathLike
        The path as the user gave it (used in messages).
    allow_empty : bool
        Accept a zero-byte file (hashing does; media opening does not).

    Returns
    -------
    str
        The absolute path, safe to give FFmpeg (it starts with ``/``).
    """
    name = os.fspath(path)
    if isinstance(name, bytes):  # pragma: no cover - we only take text paths
        name = os.fsdecode(name)
    if not name:
        raise MediaError("'': empty file name")
    if _PROTOCOL.match(name) and not Path(name).exists():
        raise MediaError(f"{name}: not a local file (URLs and FFmpeg protocols are refused)")
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise MediaError(f"{name}: file not found") from None
    except PermissionError:
        raise MediaError(f"{name}: permission denied") from None
    except OSError as exc:
        raise MediaError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(f"{name}: is a directory, not a media file")
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(f"{name}: not a regular file (devices, pipes and sockets are refused)")
    if info.st_size == 0 and not allow_empty:
        raise MediaError(f"{name}: empty file (0 bytes)")
    if not os.access(name, os.R_OK):
        raise MediaError(f"{name}: permission denied")
    return os.path.abspath(name)


def mp4_problem(local: str) -> str | None:
    """What is wrong with an ISO-BMFF (MP4/MOV) file's top-level boxes, or None.

    Walks the box headers only: reports a missing ``moov`` (the index a
    recording writes last, lost when the recording is cut short) and a box
    that runs past the end of the file.
    """
    size = os.path.getsize(local)
    seen: list[bytes] = []
    with open(local, "rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            length = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:
                length = size - offset
            if length < 8:
                return "corrupt box structure"
            seen.append(kind)
            if offset + length > size:
                box = kind.decode("latin-1")
                cut = f"the file ends inside the '{box}' box"
                return f"moov atom not found, {cut}" if b"moov" not in seen else cut
            offset += length
    return None if b"moov" in seen else "moov atom not found"


def looks_like_media(local: str) -> bool:
    """True when the first bytes of ``local`` are those of a container we read."""
    with open(local, "rb") as handle:
        head = handle.read(16)
    if head.startswith(_MAGIC_AT_0) or head[4:8] in _MP4_BOXES:
        return True
    if head[:1] == b"\x47":  # MPEG-TS sync byte
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0  # MPEG audio frame


def _is_mp4(local: str) -> bool:
    with open(local, "rb") as handle:
        return handle.read(8)[4:8] in _MP4_BOXES


def open_input(path: str | os.PathLike[str]):  # -> av.container.InputContainer
    """Open ``path`` read-only with PyAV, or raise :class:`MediaError`.

    The message tells a file that is not media at all ("not a media file")
    from a known container that FFmpeg cannot read ("truncated or corrupt
    media"), with FFmpeg's own reason in parentheses.
    """
    import av

    name = os.fspath(path)
    local = check_local_file(name)
    # FFmpeg's log is never switched on: PyAV's log callback takes the GIL from
    # FFmpeg's decoder threads, which deadlocks frame-threaded decoding running
    # in any other thread. The reason comes from the error and our own checks.
    try:
        # tags are not always UTF-8 (old cameras write Latin-1): replace, never fail
        container = av.open(local, mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        reason = exc.strerror or str(exc)
        reason = reason.rstrip(".")
        if _is_mp4(local):
            reason = mp4_problem(local) or reason
        if looks_like_media(local):
            raise MediaError(f"{name}: truncated or corrupt media ({reason})") from None
        raise MediaError(f"{name}: not a media file (no stream could be read)") from None
    except OSError as exc:  # pragma: no cover - raced with check_local_file
        raise MediaError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    return container
