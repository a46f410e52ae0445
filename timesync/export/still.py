"""A still: one exact video frame as a PNG, with a sidecar JSON stating where it came from.

:func:`export_still` hashes the source file (SHA-256, read in full: the still
vouches for those bytes), opens its frame index under that hash, decodes the
frame with :class:`~timesync.media.FrameReader` (the very frame the app and the
exports name) and writes ``OUT.png`` plus ``OUT.png.provenance.json``
(:func:`~timesync.export.provenance.sidecar_path`):

* ``source`` (name, file, ``sha256`` now, ``recorded_sha256``, ``hash_matches``);
* ``frame``: ``number`` (from 0, presentation order), ``pts`` (ticks),
  ``time_base`` ("num/den" seconds per tick), ``local_s`` (start, seconds from
  the source's local 0) and ``duration_s``;
* ``shared``: ``start_s`` (the frame's start on the shared clock, seconds),
  ``uncertainty_s`` (one sigma of the source's placement, seconds), ``clock``
  (the map, ``shared = offset_s + rate * local``) and ``requested_s``;
* ``image`` (width, height, the PNG's own ``sha256``).

No Qt here: the app calls this in a worker. Nothing is overwritten without
``force``; both files are written atomically.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError, ProjectError

if TYPE_CHECKING:
    from timesync.project import Project

__all__ = ["export_still", "still_record", "STILL_SCHEMA"]

#: The sidecar's schema tag.
STILL_SCHEMA = "timesync.still.1"


def _frame_number(index, clock, name: str, shared_s: float | None, frame: int | None) -> int:
    """The frame asked for: ``frame`` when given, else the one shown at ``shared_s``."""
    if frame is None:
        if shared_s is None:
            raise ProjectError(f"{name}: give a shared time or a frame number for the still")
        ref = index.frame_at_shared(clock, shared_s)
        if ref is None:
            raise ProjectError(f"{name}: not recording at shared time {shared_s:.6f} s")
        return ref.number
    if not 0 <= frame < len(index):
        raise ProjectError(f"{name}: frame {frame} out of range (0..{len(index) - 1})")
    return int(frame)


def still_record(project: Project, name: str, *, shared_s: float | None = None,
                 frame: int | None = None) -> tuple[dict[str, Any], Any]:
    """The sidecar record (without ``image``) and the ``(H, W, 3)`` RGB frame.

    Parameters
    ----------
    project : Project
    name : str
        The source (name or path, as :meth:`Project.source` accepts).
    shared_s : float, optional
        Shared time in seconds: the frame shown then is taken.
    frame : int, optional
        The frame number instead (e.g. after stepping one view alone).
    """
    from timesync import __version__
    from timesync.clock import shared_frame_start
    from timesync.media import FrameIndex, FrameReader
    from timesync.media.hashing import sha256_file

    source = project.source(name)
    if source.clock is None:
        raise ProjectError(f"{source.name}: not placed on the shared clock; a still would have no shared time")
    path = project.resolve(source.name)
    digest = sha256_file(path)
    index = FrameIndex.open(path, sha256=digest)
    number = _frame_number(index, source.clock, source.name, shared_s, frame)
    with FrameReader(path, index=index) as reader:
        image = reader.read(number)
    tb = index.time_base
    record = {
        "schema": STILL_SCHEMA,
        "timesync_version": __version__,
        "source": {"name": source.name, "file": path.as_posix(), "sha256": digest,
                   "recorded_sha256": source.sha256, "hash_matches": digest == source.sha256},
        "frame": {"number": number, "pts": int(index.pts[number]), "time_base": f"{tb.numerator}/{tb.denominator}",
                  "local_s": index.frame_time(number), "duration_s": index.frame_duration(number)},
        "shared": {"start_s": shared_frame_start(source.clock, index, number),
                   "uncertainty_s": source.clock.uncertainty_s, "clock": source.clock.to_dict(),
                   "requested_s": shared_s},
    }
    return record, image


def _png_bytes(image) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def export_still(project: Project, name: str, out: str | os.PathLike[str], *, shared_s: float | None = None,
                 frame: int | None = None, force: bool = False) -> Path:
    """Write the frame as ``out`` (PNG) and its provenance beside it; returns ``out``.

    The frame is the one source ``name`` shows at shared time ``shared_s``
    seconds, or frame number ``frame``. Raises :class:`ExportError` when
    ``out`` or its sidecar exists and ``force`` is False, :class:`ProjectError`
    for a source that is not placed or not recording then, and
    :class:`~timesync.errors.MediaError` for a file that cannot be read.
    """
    from timesync.export.provenance import sidecar_path
    from timesync.project.store import atomic_write_bytes, dumps_project

    out = Path(out)
    sidecar = sidecar_path(out)
    for target in (out, sidecar):
        if target.exists() and not force:
            raise ExportError(f"{target}: exists (use force to overwrite)")
    record, image = still_record(project, name, shared_s=shared_s, frame=frame)
    png = _png_bytes(image)
    record["image"] = {"file": out.name, "width": int(image.shape[1]), "height": int(image.shape[0]),
                       "sha256": hashlib.sha256(png).hexdigest()}
    atomic_write_bytes(out, png)
    atomic_write_bytes(sidecar, dumps_project(record))
    return out
