"""``csv``: a row per event with its time in every source.

Leading lines starting with ``#`` carry the provenance (read with
``csv.reader`` after skipping them, or ``pandas.read_csv(..., comment="#")``).
Columns: ``id, type, shared_s, shared_hms, end_s, wall_clock, wall_clock_basis,
source, note, author``, then per source ``<name> local_s`` and ``<name> frame``:
the source's local time (seconds) and frame number (from its container PTS) at
the event, or ``not recording`` / ``not aligned``. An audio-only source has no
frame number (empty).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import fmt_s, provenance_lines
from timesync.project.locate import locate, open_indexes
from timesync.project.wallclock import wall_clock_of
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Project

OPTIONS: tuple[str, ...] = ()


def render(project: Project, *, fmt: str = "csv", indexes: dict[str, Any] | None = None, **_: Any) -> bytes:
    """The CSV bytes (UTF-8, ``\\n`` line ends)."""
    indexes = open_indexes(project) if indexes is None else indexes
    wall = wall_clock_of(project)
    buffer = io.StringIO()
    for line in provenance_lines(project):
        buffer.write(f"# {line}\n")
    if wall is not None:
        buffer.write(f"# wall clock basis: {wall.basis}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["id", "type", "shared_s", "shared_hms", "end_s", "wall_clock", "wall_clock_basis",
              "source", "note", "author"]
    for source in project.sources:
        header += [f"{source.name} local_s", f"{source.name} frame"]
    writer.writerow(header)
    for ann in project.annotations:
        row = [ann.id, ann.type, fmt_s(ann.shared_s), format_hms(ann.shared_s), fmt_s(ann.end_s),
               "" if wall is None else wall.text(ann.shared_s), "" if wall is None else wall.basis,
               ann.source or "", ann.note, ann.author]
        for source in project.sources:
            where = locate(ann.shared_s, source, indexes.get(source.name))
            if where.recording:
                row += [fmt_s(where.local_s), "" if where.frame is None else str(where.frame)]
            else:
                row += [where.status, where.status]
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")
