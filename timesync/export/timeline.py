"""``otio``, ``fcpxml`` (FCP 7 XML) and ``edl`` (CMX 3600) through OpenTimelineIO.

The timeline starts at shared time ``t0`` = the earliest aligned source start or
event. Each aligned source is a track: a gap from ``t0`` to its local 0 on the
shared clock, then one clip of the whole file; each event is a marker on the
timeline's stack at ``shared_s - t0``. Times are whole frames at ``rate`` (rounded, not truncated);
the exact offsets, rates and uncertainties are in each clip's metadata and the
timeline's ``timesync`` metadata. Sources not aligned are left out (and named
in the metadata). A CMX 3600 EDL holds one video track: ``edl`` exports the
chosen ``source`` (default: the reference) with the events as clip markers
(``* LOC`` lines), and the provenance as ``*`` comment lines at the end (the OTIO
reader refuses comments before the first event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export.provenance import provenance, provenance_lines

if TYPE_CHECKING:
    import opentimelineio as otio

    from timesync.project import Project, Source

OPTIONS = {"otio": ("rate",), "fcpxml": ("rate",), "edl": ("rate", "source")}

ADAPTERS = {"otio": "otio_json", "fcpxml": "fcp_xml", "edl": "cmx_3600"}


def default_rate(project: Project) -> float:
    """The reference's video frame rate rounded to an integer (or to 29.97-style NTSC), else 30."""
    name = project.reference or (project.sources[0].name if project.sources else None)
    if name is not None:
        fps = (project.source(name).probe.get("video") or {}).get("fps")
        if isinstance(fps, int | float) and fps > 0:
            if abs(fps * 1.001 - round(fps * 1.001)) < 1e-3 and abs(fps - round(fps)) > 1e-3:
                return round(fps * 1.001) / 1.001
            return float(round(fps))
    return 30.0


def _duration_s(project: Project, source: Source) -> float:
    duration = source.duration_s
    if duration is None:
        raise ExportError(f"{project.label}: {source.name} has no known duration (probe it again)")
    return duration


def timeline_origin(project: Project) -> float:
    """``t0``: the shared time at timeline zero (seconds)."""
    starts = [s.clock.to_shared(0.0) for s in project.sources if s.clock is not None]
    starts += [a.shared_s for a in project.annotations]
    return min(starts) if starts else 0.0


def build_timeline(project: Project, rate: float | None = None, *,
                   only: str | None = None) -> otio.schema.Timeline:
    """The OTIO timeline of ``project`` (see module docstring); ``only``: just that source's track."""
    import opentimelineio as otio

    rate = float(rate or default_rate(project))
    t0 = timeline_origin(project)

    def frames(seconds: float) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(round(seconds * rate), rate)

    timeline = otio.schema.Timeline(name=project.label)
    timeline.metadata["timesync"] = {
        "provenance": provenance(project),
        "timeline_zero_shared_s": t0,
        "not_aligned": [s.name for s in project.sources if s.clock is None],
    }
    for source in project.sources:
        clock = source.clock
        if clock is None or (only is not None and source.name != only):
            continue
        kind = otio.schema.TrackKind.Video if source.has_video else otio.schema.TrackKind.Audio
        track = otio.schema.Track(name=source.name, kind=kind)
        lead = frames(clock.to_shared(0.0) - t0)
        if lead.value > 0:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(frames(0), lead)))
        length = frames(clock.shared_duration(_duration_s(project, source)))
        span = otio.opentime.TimeRange(frames(0), length)
        reference = otio.schema.ExternalReference(target_url=project.resolve(source.name).as_uri(),
                                                  available_range=span)
        clip = otio.schema.Clip(name=source.name, media_reference=reference, source_range=span)
        clip.metadata["timesync"] = {
            "sha256": source.sha256, "hash_status": source.hash_status, "offset_s": clock.offset_s,
            "rate": clock.rate, "uncertainty_s": clock.uncertainty_s, "method": clock.method,
        }
        track.append(clip)
        timeline.tracks.append(track)
    for ann in project.annotations:
        end = ann.end_s if ann.end_s is not None else ann.shared_s
        duration = frames(end - t0) - frames(ann.shared_s - t0)
        marker = otio.schema.Marker(
            name=f"{ann.type} ({ann.id})",
            marked_range=otio.opentime.TimeRange(frames(ann.shared_s - t0), duration),
            color=otio.schema.MarkerColor.RED,
            metadata={"timesync": {"id": ann.id, "shared_s": ann.shared_s, "end_s": ann.end_s,
                                   "source": ann.source, "note": ann.note, "author": ann.author}},
        )
        timeline.tracks.markers.append(marker)
    return timeline


def edl_timeline(project: Project, rate: float | None, source: str | None) -> otio.schema.Timeline:
    """One video track (CMX 3600 holds one): ``source`` (default the reference), markers on its clip."""
    import opentimelineio as otio

    name = project.source(source or project.reference or project.sources[0].name).name
    timeline = build_timeline(project, rate, only=name)
    tracks = list(timeline.tracks)
    if not tracks or tracks[0].kind != otio.schema.TrackKind.Video:
        raise ExportError(f"{project.label}: an EDL needs an aligned video source; {name} is not one")
    clip = next(item for item in tracks[0] if isinstance(item, otio.schema.Clip))
    placed = clip.range_in_parent()
    for marker in list(timeline.tracks.markers):
        start = marker.marked_range.start_time
        if placed.start_time <= start < placed.end_time_exclusive():
            marker.marked_range = otio.opentime.TimeRange(start - placed.start_time + clip.source_range.start_time,
                                                          marker.marked_range.duration)
            clip.markers.append(marker.clone())
    timeline.tracks.markers.clear()
    return timeline


def render(project: Project, *, fmt: str = "otio", rate: float | None = None, source: str | None = None,
           **_: Any) -> bytes:
    """The timeline through the OTIO adapter for ``fmt``."""
    import opentimelineio as otio

    timeline = edl_timeline(project, rate, source) if fmt == "edl" else build_timeline(project, rate)
    if not len(timeline.tracks):
        raise ExportError(f"{project.label}: no aligned source to put on a timeline")
    try:
        text = otio.adapters.write_to_string(timeline, ADAPTERS[fmt])
    except Exception as exc:  # adapters raise many kinds: report as one clear sentence
        raise ExportError(f"{project.label}: the {fmt} adapter failed: {exc}") from exc
    if fmt == "fcpxml":  # the FCP 7 adapter drops OTIO metadata: provenance as an XML comment
        comment = "\n".join(provenance_lines(project)).replace("--", "- -")
        head, _, rest = text.partition("\n")
        text = f"{head}\n<!--\n{comment}\n-->\n{rest}" if head.startswith("<?xml") else f"<!--\n{comment}\n-->\n{text}"
    if fmt == "edl":
        text = text.rstrip("\n") + "\n" + "".join(f"* {line}\n" for line in provenance_lines(project))
    return text.encode("utf-8")
