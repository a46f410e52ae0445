"""``vtt`` and ``srt``: event captions on one source's local time.

Cue times are the chosen source's local time (``local = (shared - offset) / rate``)
rounded to the millisecond, so the captions play in sync with that file. A point
event stays ``caption_s`` seconds; an interval event spans its interval. Events
outside the source's recording are left out (an interval that overlaps it is
clipped to its start). Provenance goes in a ``NOTE``
block (WebVTT); SubRip has no comments, so an SRT's provenance is written beside
it in ``NAME.provenance.json`` (``events.srt.provenance.json``) and every cue
of the SRT is an event (numbered from 1, none of zero length).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export.provenance import provenance_lines, sidecar_bytes, sidecar_path
from timesync.project.store import atomic_write_bytes
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source


def cue_time(t_s: float, *, sep: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``sep="."``, WebVTT) or ``HH:MM:SS,mmm`` (SRT), rounded to the ms."""
    total_ms = round(max(t_s, 0.0) * 1000)
    seconds, ms = divmod(total_ms, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{sec:02d}{sep}{ms:03d}"


def _pick_source(project: Project, name: str | None) -> Source:
    name = name or project.reference or (project.sources[0].name if project.sources else None)
    if name is None:
        raise ExportError(f"{project.label}: has no source to put captions on")
    source = project.source(name)
    if source.clock is None:
        raise ExportError(f"{project.label}: {source.name} is not aligned; captions need its clock")
    return source


def cues(project: Project, source: Source, caption_s: float = 2.0) -> list[tuple[float, float, Annotation]]:
    """``(local_start_s, local_end_s, annotation)`` of every event inside ``source``'s recording."""
    clock = source.clock
    assert clock is not None
    duration = source.duration_s
    found = []
    for ann in project.annotations:
        start = clock.to_local(ann.shared_s)
        end = clock.to_local(ann.end_s) if ann.end_s is not None else start + caption_s
        end = max(end, start + 0.001)
        if (duration is not None and start >= duration) or end <= 0:
            continue
        if ann.end_s is None and start < 0:  # a moment before the recording began
            continue
        found.append((max(start, 0.0), end, ann))
    return found


def _text(ann: Annotation) -> list[str]:
    lines = [f"{ann.type} ({ann.id}) at shared {format_hms(ann.shared_s)}"]
    if ann.note:
        lines += [line for line in ann.note.splitlines() if line.strip()]
    return [line.replace("-->", "->") for line in lines]


def render(project: Project, *, fmt: str = "vtt", source: str | None = None, caption_s: float = 2.0,
           **_: Any) -> bytes:
    """WebVTT (``fmt="vtt"``) or SubRip (``fmt="srt"``) bytes."""
    chosen = _pick_source(project, source)
    head = provenance_lines(project) + [f"cue times: local time of {chosen.name}"]
    out: list[str] = []
    if fmt == "vtt":
        out += ["WEBVTT", "", "NOTE"] + [line.replace("-->", "->") for line in head] + [""]
        for start, end, ann in cues(project, chosen, caption_s):
            out += [ann.id, f"{cue_time(start)} --> {cue_time(end)}", *_text(ann), ""]
    else:
        for n, (start, end, ann) in enumerate(cues(project, chosen, caption_s), start=1):
            out += [str(n), f"{cue_time(start, sep=',')} --> {cue_time(end, sep=',')}", *_text(ann), ""]
    return ("\n".join(out) + "\n").encode("utf-8")


def sidecars(out: Path, fmt: str = "vtt") -> list[Path]:
    """The files written beside ``out``: the provenance sidecar of an SRT (a VTT carries its own)."""
    return [sidecar_path(out)] if fmt == "srt" else []


def write(project: Project, out: Path, *, fmt: str = "vtt", progress: Callable[[float, str], Any] | None = None,
          source: str | None = None, caption_s: float = 2.0, **_: Any) -> None:
    """Write the captions to ``out`` (and an SRT's provenance sidecar), each atomically."""
    payload = render(project, fmt=fmt, source=source, caption_s=caption_s)
    atomic_write_bytes(out, payload)
    if fmt == "srt":
        chosen = _pick_source(project, source)
        atomic_write_bytes(sidecar_path(out), sidecar_bytes(project, out, cue_times=f"local time of {chosen.name}"))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
