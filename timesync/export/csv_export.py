"""``csv``: plain RFC 4180 CSV, one row per event, the header on line 1.

No comment lines: the provenance (tool version, each source's SHA-256, hash
status and alignment, media paths from the export's folder) and a description
of every column with its unit go in the sidecar ``NAME.provenance.json``
beside the CSV (``events.csv`` -> ``events.csv.provenance.json``). Rows end in
CRLF and fields are quoted only when needed (RFC 4180), UTF-8 without BOM.

Columns (seconds unless told; uncertainties are one standard deviation):

* ``event_id``, ``event_type``;
* ``shared_time_s``, ``shared_time_hms`` (H:MM:SS.mmm), ``end_shared_time_s``
  (intervals only);
* ``uncertainty_s``, ``uncertainty_basis``: of the event's shared time, from
  the clock of the source it was marked on
  (:func:`timesync.export.provenance.event_uncertainty`);
* ``wall_clock``, ``wall_clock_basis`` (ISO 8601, when known);
* ``observed_in``, ``note``, ``author``;
* per source ``<name> status`` (``recording``, ``not recording``, ``not
  aligned``; ``; file CHANGED`` / ``; file MISSING`` added when the file is
  not the one aligned), ``<name> local_time_s``, ``<name> frame_number``
  (from its container PTS; empty for audio) and ``<name> uncertainty_s`` (0 in
  the source the event was marked on, else the event's uncertainty and that
  source's placement in quadrature); the numbers are empty when not recording,
  so every numeric column reads as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import (
    combine_sigma,
    event_uncertainty,
    fmt_s,
    sidecar_bytes,
    sidecar_path,
)
from timesync.project.locate import locate, open_indexes
from timesync.project.store import atomic_write_bytes
from timesync.project.wallclock import wall_clock_of
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source

#: Column -> what it holds (written in the sidecar).
COLUMNS = {
    "event_id": "the event's id in the project",
    "event_type": "the event type (the project's vocabulary)",
    "shared_time_s": "shared-clock time of the event (of its start for an interval), seconds",
    "shared_time_hms": "the same as H:MM:SS.mmm",
    "end_shared_time_s": "shared-clock time of an interval's end, seconds (empty for a point event)",
    "uncertainty_s": "one standard deviation of the event's shared time, seconds (empty: unknown)",
    "uncertainty_basis": "what that uncertainty rests on",
    "wall_clock": "date and time of day at the event, ISO 8601 (empty: not known)",
    "wall_clock_basis": "whose clock the wall-clock time is",
    "observed_in": "the source the event was marked on",
    "note": "free text",
    "author": "who marked the event",
    "<source> status": "recording, not recording (before its start or after its end) or not aligned; "
                       "then '; file CHANGED' or '; file MISSING' when the file is not the one aligned",
    "<source> local_time_s": "the source's own time at the event, seconds from its first frame or sample "
                             "(empty when not recording)",
    "<source> frame_number": "the frame shown then (from 0, presentation order, container PTS); empty for audio",
    "<source> uncertainty_s": "one standard deviation of that local time, seconds: 0 in the source the event "
                              "was marked on, else the event's and the source's placement in quadrature",
}


def sidecars(out: Path, fmt: str = "csv") -> list[Path]:
    """The files written beside ``out``: the provenance sidecar."""
    return [sidecar_path(out)]


def _source_cells(ann: Annotation, sigma: float | None, source: Source, index: Any | None) -> list[str]:
    """``status, local_time_s, frame_number, uncertainty_s`` of one event in one source."""
    where = locate(ann.shared_s, source, index)
    status = where.status
    if source.hash_status in ("changed", "missing"):
        status += f"; file {source.hash_status.upper()}"
    if not where.recording:
        return [status, "", "", ""]
    own = 0.0 if ann.source == source.name else combine_sigma(sigma, source.uncertainty_s)
    return [status, fmt_s(where.local_s), "" if where.frame is None else str(where.frame), fmt_s(own)]


def render(project: Project, *, fmt: str = "csv", indexes: dict[str, Any] | None = None, **_: Any) -> bytes:
    """The CSV bytes (UTF-8, CRLF row ends, header first)."""
    indexes = open_indexes(project) if indexes is None else indexes
    wall = wall_clock_of(project)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [name for name in COLUMNS if not name.startswith("<")]
    for source in project.sources:
        header += [f"{source.name} {column}" for column in ("status", "local_time_s", "frame_number", "uncertainty_s")]
    writer.writerow(header)
    for ann in project.annotations:
        sigma, basis = event_uncertainty(project, ann)
        row = [ann.id, ann.type, fmt_s(ann.shared_s), format_hms(ann.shared_s), fmt_s(ann.end_s),
               fmt_s(sigma), basis, "" if wall is None else wall.text(ann.shared_s),
               "" if wall is None else wall.basis, ann.source or "", ann.note, ann.author]
        for source in project.sources:
            row += _source_cells(ann, sigma, source, indexes.get(source.name))
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def write(project: Project, out: Path, *, fmt: str = "csv",
          progress: Callable[[float, str], Any] | None = None, **_: Any) -> None:
    """Write the CSV to ``out`` and its sidecar beside it (each atomically)."""
    atomic_write_bytes(out, render(project))
    atomic_write_bytes(sidecar_path(out), sidecar_bytes(project, out, columns=COLUMNS))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
