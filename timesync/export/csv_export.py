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
* ``uncertainty_s`` (one sigma, the statistics: acoustic, visual, anchors),
  ``travel_bound_s`` (the largest error sound travel can cause under the
  project's stated maximum distance: a bound, apart) and
  ``total_uncertainty_s`` (their sum: the true time is within it, one sigma
  plus the bound), ``uncertainty_basis``: of the event's shared time, from the
  clock of the source it was marked on
  (:func:`timesync.export.provenance.event_uncertainty`,
  :func:`~timesync.export.provenance.event_travel_bound`);
* ``wall_clock``, ``wall_clock_basis`` (ISO 8601, when known);
* ``observed_in``, ``note``, ``author``;
* per source ``<name> status`` (``recording``, ``not recording``, ``not
  aligned``; ``; file CHANGED`` / ``; file MISSING`` added when the file is
  not the one aligned), ``<name> local_time_s``, ``<name> frame_number``
  (from its container PTS; empty for audio), ``<name> uncertainty_s`` (0 in
  the source the event was marked on, else the event's uncertainty and that
  source's placement in quadrature) and ``<name> travel_bound_s`` (0 there,
  else the event's bound plus that source's: bounds add); the numbers are empty
  when not recording (or unknown), so every numeric column reads as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import (
    combine_sigma,
    event_travel_bound,
    event_uncertainty,
    fmt_s,
    sidecar_bytes,
    sidecar_path,
    total_uncertainty,
    travel_bound,
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
    "uncertainty_s": "one standard deviation of the event's shared time, seconds (empty: unknown); "
                     "the statistics only, sound travel apart",
    "travel_bound_s": "the largest error of the event's shared time that sound travel can cause, seconds, "
                      "under the project's stated maximum distance (a bound, not a sigma; empty: not recorded)",
    "total_uncertainty_s": "uncertainty_s + travel_bound_s, seconds: the true time is within this of "
                           "shared_time_s (one sigma plus the bound; empty: unknown)",
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
    "<source> travel_bound_s": "the sound-travel bound of that local time, seconds: 0 in the source the event "
                               "was marked on, else the event's bound plus the source's",
}

#: The per-source columns, in order.
PER_SOURCE = ("status", "local_time_s", "frame_number", "uncertainty_s", "travel_bound_s")


def sidecars(out: Path, fmt: str = "csv") -> list[Path]:
    """The files written beside ``out``: the provenance sidecar."""
    return [sidecar_path(out)]


def _source_cells(project: Project, ann: Annotation, sigma: float | None, bound: float | None, source: Source,
                  index: Any | None) -> list[str]:
    """The :data:`PER_SOURCE` cells of one event in one source (``sigma``, ``bound``: the event's)."""
    where = locate(ann.shared_s, source, index)
    status = where.status
    if source.hash_status in ("changed", "missing"):
        status += f"; file {source.hash_status.upper()}"
    if not where.recording:
        return [status, "", "", "", ""]
    marked = ann.source == source.name
    own = 0.0 if marked else combine_sigma(sigma, source.uncertainty_s)
    own_bound = 0.0 if marked else total_uncertainty(bound, travel_bound(source, project.reference))
    return [status, fmt_s(where.local_s), "" if where.frame is None else str(where.frame), fmt_s(own),
            fmt_s(own_bound)]


def render(project: Project, *, fmt: str = "csv", indexes: dict[str, Any] | None = None, **_: Any) -> bytes:
    """The CSV bytes (UTF-8, CRLF row ends, header first)."""
    indexes = open_indexes(project) if indexes is None else indexes
    wall = wall_clock_of(project)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [name for name in COLUMNS if not name.startswith("<")]
    for source in project.sources:
        header += [f"{source.name} {column}" for column in PER_SOURCE]
    writer.writerow(header)
    for ann in project.annotations:
        sigma, basis = event_uncertainty(project, ann)
        bound = event_travel_bound(project, ann)
        row = [ann.id, ann.type, fmt_s(ann.shared_s), format_hms(ann.shared_s), fmt_s(ann.end_s), fmt_s(sigma),
               fmt_s(bound), fmt_s(total_uncertainty(sigma, bound)), basis,
               "" if wall is None else wall.text(ann.shared_s),
               "" if wall is None else wall.basis, ann.source or "", ann.note, ann.author]
        for source in project.sources:
            row += _source_cells(project, ann, sigma, bound, source, indexes.get(source.name))
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def write(project: Project, out: Path, *, fmt: str = "csv",
          progress: Callable[[float, str], Any] | None = None, **_: Any) -> None:
    """Write the CSV to ``out`` and its sidecar beside it (each atomically)."""
    atomic_write_bytes(out, render(project))
    atomic_write_bytes(sidecar_path(out), sidecar_bytes(project, out, columns=COLUMNS))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
