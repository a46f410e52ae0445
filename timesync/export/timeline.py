"""``otio`` (OpenTimelineIO JSON) and ``xml`` (Final Cut Pro 7 XML, for Premiere and Resolve).

The timeline starts at shared time ``t0`` (the earliest aligned source start or
event; :mod:`timesync.export.editorial`). Each aligned source gets a video track
(if it has video) and an audio track (if it has audio): a gap from ``t0`` to its
local 0 on the shared clock, then one clip of the whole file at the media's own
rate. Events are markers on the timeline's stack at ``shared_s - t0``, their
note in the metadata (``xml``: the marker's ``<comment>``). Sources not aligned
are left out and named in the metadata.

``otio``: clips are whole frames at the source's frame rate (audio tracks: whole
samples at its sample rate); placements and markers are finer than a frame, in
ticks of 1/48000 s (audio tracks: one sample), so they are within 11 us of the
project's clocks. A source's drift is a ``LinearTimeWarp`` effect on its clips
(``time_scalar`` = local seconds per shared second); OTIO's own duration maths
and most readers ignore effects, so the clip's length on the timeline is its
media length. Each clip has two media references: ``DEFAULT_MEDIA``, a URL
relative to the folder the ``.otio`` is written in, and ``absolute``, the
``file:`` URL.

``xml`` holds whole frames only: placements and markers are rounded to the
sequence's frames (``rate``, default the reference's frame rate), within half a
frame; each clip keeps its own rate (``<rate>`` of its clipitem, ntsc flag for
29.97); audio clips are counted in their source's frames (the sequence's for
audio-only sources). ``pathurl`` is the absolute ``file:`` URL (what Premiere and
Resolve open); the path relative to the XML's folder is in each file's
``<comments>``. FCP 7 XML cannot carry drift (documented in the provenance comment).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export import editorial as ed
from timesync.export.provenance import provenance, provenance_lines

if TYPE_CHECKING:
    import opentimelineio as otio

    from timesync.project import Project, Source

ADAPTERS = {"otio": "otio_json", "xml": "fcp_xml"}

#: Ticks per second of placements and markers in ``otio`` (one sample at 48 kHz).
PLACEMENT_RATE = 48000


class _Grid:
    """How times are written: exact ticks (``otio``) or whole sequence frames (``xml``)."""

    def __init__(self, exact: bool, seq_rate: Fraction) -> None:
        self.exact, self.seq_rate = exact, seq_rate

    def at(self, seconds: float, rate: float | None = None) -> otio.opentime.RationalTime:
        """``seconds`` as ticks at ``rate`` (default: placement ticks or sequence frames), rounded."""
        import opentimelineio as otio

        if rate is None:
            rate = PLACEMENT_RATE if self.exact else float(self.seq_rate)
        return otio.opentime.RationalTime(round(seconds * rate), rate)


def _reference(project: Project, source: Source, folder: Path, rate: float, length: int,
               exact: bool) -> dict[str, Any]:
    import opentimelineio as otio

    relative, absolute = ed.media_paths(project, source, folder)
    span = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(length, rate))
    if exact:
        return {"DEFAULT_MEDIA": otio.schema.ExternalReference(target_url=relative, available_range=span),
                "absolute": otio.schema.ExternalReference(target_url=absolute.as_uri(), available_range=span)}
    ref = otio.schema.ExternalReference(target_url=absolute.as_uri(), available_range=span)
    ref.metadata["fcp_xml"] = {"comments": {"mastercomment1": f"relative to this XML: {relative}"}}
    return {"DEFAULT_MEDIA": ref}


def _clip_rates(source: Source, grid: _Grid) -> list[tuple[str, float]]:
    """``(track kind, clip rate)`` of each track the source gets."""
    fps, sr = ed.frame_rate(source), ed.sample_rate(source)
    out = []
    if fps is not None:
        out.append(("Video", float(fps)))
    if sr is not None:
        out.append(("Audio", float(sr) if grid.exact else float(fps or grid.seq_rate)))
    return out


def _source_tracks(project: Project, source: Source, grid: _Grid, t0: float,
                   folder: Path) -> list[otio.schema.Track]:
    import opentimelineio as otio

    clock = source.clock
    media_s = ed.media_seconds(project, source)
    tracks = []
    for kind, rate in _clip_rates(source, grid):
        name = source.name if kind == "Video" else f"{source.name} audio"
        track = otio.schema.Track(name=name, kind=getattr(otio.schema.TrackKind, kind))
        tick = rate if (grid.exact and kind == "Audio") else None
        lead = grid.at(ed.placement_s(source, t0), tick)
        if lead.value > 0:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(grid.at(0.0, tick), lead)))
        length = round(media_s * Fraction(rate))
        clip = otio.schema.Clip(name=source.name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(length, rate)))
        refs = _reference(project, source, folder, rate, length, grid.exact)
        if kind == "Audio" and not grid.exact:  # its own clipitem, from the file's first audio track
            clip.metadata["fcp_xml"] = {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}
        clip.set_media_references(refs, "DEFAULT_MEDIA")
        clip.metadata["timesync"] = {
            "sha256": source.sha256, "hash_status": source.hash_status, "offset_s": clock.offset_s,
            "rate": clock.rate, "drift_ppm": clock.drift_ppm, "uncertainty_s": clock.uncertainty_s,
            "method": clock.method, "placement_s": ed.placement_s(source, t0),
            "absolute_url": str(refs.get("absolute", refs["DEFAULT_MEDIA"]).target_url),
        }
        if grid.exact and clock.rate != 1.0:
            clip.effects.append(otio.schema.LinearTimeWarp(
                name="drift", time_scalar=clock.local_duration(1.0),
                metadata={"timesync": {"drift_ppm": clock.drift_ppm,
                                       "meaning": "local seconds per shared second"}}))
        track.append(clip)
        tracks.append(track)
    return tracks


def _markers(project: Project, grid: _Grid, t0: float) -> list[otio.schema.Marker]:
    import opentimelineio as otio

    out = []
    for ann in project.annotations:
        start = grid.at(ann.shared_s - t0)
        end = grid.at((ann.end_s if ann.end_s is not None else ann.shared_s) - t0)
        local = {s.name: ed.event_local_s(s, ann) for s in ed.aligned_sources(project)}
        meta: dict[str, Any] = {"timesync": {"id": ann.id, "shared_s": ann.shared_s, "end_s": ann.end_s,
                                             "source": ann.source, "note": ann.note, "author": ann.author,
                                             "local_s": local}}
        if ann.note:
            meta["fcp_xml"] = {"comment": ann.note}
        out.append(otio.schema.Marker(name=f"{ann.type} ({ann.id})", color=otio.schema.MarkerColor.RED,
                                      marked_range=otio.opentime.TimeRange(start, end - start), metadata=meta))
    return out


def build_timeline(project: Project, rate: float | None = None, *, folder: Path | None = None,
                   exact: bool = True) -> otio.schema.Timeline:
    """The OTIO timeline of ``project`` (module docstring); ``exact=False``: whole frames (``xml``).

    ``folder``: where the export is written (media URLs are relative to it;
    default the project's folder); ``rate``: the sequence frame rate.
    """
    import opentimelineio as otio

    seq = ed.sequence_rate(project, rate)
    grid = _Grid(exact, seq)
    t0 = ed.timeline_origin(project)
    timeline = otio.schema.Timeline(name=project.label,
                                    global_start_time=otio.opentime.RationalTime(0, float(seq)))
    timeline.metadata["timesync"] = {
        "provenance": provenance(project), "timeline_zero_shared_s": t0,
        "not_aligned": [s.name for s in project.sources if s.clock is None],
        "times": "clips at each source's own rate; placements and markers in 1/48000 s ticks"
                 if exact else "whole sequence frames (rounded)",
    }
    for source in ed.aligned_sources(project):
        timeline.tracks.extend(_source_tracks(project, source, grid, t0, folder or project.base_dir))
    timeline.tracks.markers.extend(_markers(project, grid, t0))
    return timeline


def render(project: Project, *, fmt: str = "otio", rate: float | None = None, folder: Path | None = None,
           **_: Any) -> bytes:
    """The timeline through the OTIO adapter for ``fmt`` (``folder``: where it will be written)."""
    import opentimelineio as otio

    timeline = build_timeline(project, rate, folder=folder, exact=fmt == "otio")
    if not len(timeline.tracks):
        raise ExportError(f"{project.label}: no aligned source to put on a timeline")
    try:
        text = otio.adapters.write_to_string(timeline, ADAPTERS[fmt])
    except Exception as exc:  # adapters raise many kinds: report as one clear sentence
        raise ExportError(f"{project.label}: the {fmt} adapter failed: {exc}") from exc
    if fmt == "xml":  # the FCP 7 adapter drops OTIO metadata: provenance as an XML comment
        lines = provenance_lines(project) + [
            "times: whole sequence frames (rounded); FCP 7 XML cannot carry clock drift"]
        comment = "\n".join(lines).replace("--", "- -")
        head, _, rest = text.partition("\n")
        text = f"{head}\n<!--\n{comment}\n-->\n{rest}" if head.startswith("<?xml") else f"<!--\n{comment}\n-->\n{text}"
    return text.encode("utf-8")


def write(project: Project, target: Path, *, fmt: str, progress: Any = None, **options: Any) -> None:
    """Render for the folder of ``target`` and write it atomically."""
    from timesync.project.store import atomic_write_bytes

    atomic_write_bytes(target, render(project, fmt=fmt, folder=target.parent, **options))
    if progress is not None:
        progress(1.0, f"wrote {target.name}")
