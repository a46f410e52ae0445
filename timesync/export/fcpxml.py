"""``fcpxml``: Final Cut Pro XML 1.9 (FCP 10.5 and later; read by OTIO's ``fcpx_xml`` adapter).

One ``asset`` and one ``asset-clip`` per aligned source. Times are rational
seconds: an asset's length is its own frames at its own rate (``2518*1001/30000s``
for 2518 frames at 29.97; audio-only media: its samples), placements and
markers are exact to 1/48000 s (within 11 us of the project's clocks; Final Cut
may snap a video clip to the sequence's frames on import, which moves it by
less than half a frame).

Layout: the sequence (the reference's format; ``rate`` option: another frame
rate) holds one gap in its primary storyline, as long as the incident; each
source is a clip connected to it, video sources on lanes 1, 2... and audio-only
sources on lanes -1, -2..., at ``offset`` = its placement. A source's drift is a
``timeMap`` (two linear points: the clip's media played at ``1/rate`` speed;
OTIO's reader ignores it). Each event is a marker on the gap (timeline time)
and on every clip that recorded it, at that source's local (media) time, with
the event's note in ``note``. A clip's ``note`` holds its hash and alignment;
the whole provenance is an XML comment after the DOCTYPE.

Paths: each asset's ``media-rep src`` is the file's URL relative to the folder
the ``.fcpxml`` is written in; the absolute ``file:`` URL is in the asset's
``metadata`` (``com.timesync.absoluteURL``).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export import editorial as ed
from timesync.export.provenance import provenance_lines, source_line

if TYPE_CHECKING:
    from timesync.project import Project, Source

VERSION = "1.9"

#: Ticks per second of placements and markers (one sample at 48 kHz).
TICKS = 48000

_RATE_CODES = {Fraction(24000, 1001): "2398", Fraction(30000, 1001): "2997", Fraction(60000, 1001): "5994"}


def rational(seconds: Fraction) -> str:
    """FCPXML time text: ``"0s"``, ``"5s"`` or ``"N/Ds"`` (exact)."""
    seconds = Fraction(seconds)
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def frames_time(frames: int, rate: Fraction) -> str:
    """``frames`` at ``rate`` as FCPXML time in units of the frame duration (``2518*1001/30000s``)."""
    if frames == 0:
        return "0s"
    return f"{frames * rate.denominator}/{rate.numerator}s"


def ticks_time(seconds: float) -> str:
    """``seconds`` rounded to 1/48000 s, as FCPXML time."""
    return rational(Fraction(round(seconds * TICKS), TICKS))


def _format_name(width: Any, height: Any, rate: Fraction) -> str | None:
    if height not in (480, 576, 720, 1080, 2160) or width is None:
        return None
    code = _RATE_CODES.get(rate, str(rate.numerator) if rate.denominator == 1 else None)
    return None if code is None else f"FFVideoFormat{height}p{code}"


class _Resources:
    """The ``resources`` element: one format per distinct (rate, size), one asset per source."""

    def __init__(self, root: ET.Element) -> None:
        self.element = ET.SubElement(root, "resources")
        self.formats: dict[tuple[Any, ...], str] = {}
        self.count = 0

    def next_id(self) -> str:
        self.count += 1
        return f"r{self.count}"

    def format(self, rate: Fraction, width: Any, height: Any) -> str:
        key = (rate, width, height)
        if key not in self.formats:
            self.formats[key] = rid = self.next_id()
            attrs = {"id": rid}
            name = _format_name(width, height, rate)
            if name:
                attrs["name"] = name
            attrs["frameDuration"] = rational(1 / rate)
            if width and height:
                attrs.update(width=str(width), height=str(height))
            ET.SubElement(self.element, "format", attrs)
        return self.formats[key]


def _asset(project: Project, res: _Resources, source: Source, folder: Path) -> tuple[str, str | None]:
    """Add the source's asset; returns (asset id, format id or None for audio-only)."""
    video = source.probe.get("video") or {}
    fps, sr = ed.frame_rate(source), ed.sample_rate(source)
    fmt = res.format(fps, video.get("width"), video.get("height")) if fps is not None else None
    rid = res.next_id()
    attrs = {"id": rid, "name": source.name, "start": "0s", "duration": _media_time(project, source)}
    attrs["hasVideo"] = "1" if fps is not None else "0"
    if fmt:
        attrs.update(format=fmt, videoSources="1")
    attrs["hasAudio"] = "1" if sr is not None else "0"
    if sr is not None:
        channels = (source.probe.get("audio") or {}).get("channels") or 1
        attrs.update(audioSources="1", audioChannels=str(channels), audioRate=str(sr))
    asset = ET.SubElement(res.element, "asset", attrs)
    relative, absolute = ed.media_paths(project, source, folder)
    ET.SubElement(asset, "media-rep", {"kind": "original-media", "src": relative})
    meta = ET.SubElement(asset, "metadata")
    ET.SubElement(meta, "md", {"key": "com.timesync.absoluteURL", "value": absolute.as_uri()})
    ET.SubElement(meta, "md", {"key": "com.timesync.sha256", "value": source.sha256 or ""})
    return rid, fmt


def _media_time(project: Project, source: Source) -> str:
    """The media's local length: its frames at its own rate, else its samples, else ticks."""
    fps, sr = ed.frame_rate(source), ed.sample_rate(source)
    count = ed.frame_count(source)
    if fps is not None and count is not None:
        return frames_time(count, fps)
    seconds = ed.media_seconds(project, source)
    if sr is not None:
        return rational(Fraction(round(seconds * sr), sr))
    return ticks_time(float(seconds))


def _marker(parent: ET.Element, ann: Any, start_s: float, end_s: float | None, frame: Fraction) -> None:
    attrs = {"start": ticks_time(start_s)}
    attrs["duration"] = ticks_time(end_s - start_s) if end_s is not None and end_s > start_s else rational(1 / frame)
    attrs["value"] = f"{ann.type} ({ann.id})"
    if ann.note:
        attrs["note"] = ann.note
    ET.SubElement(parent, "marker", attrs)


def _clip(project: Project, parent: ET.Element, source: Source, ids: tuple[str, str | None], lane: int,
          t0: float, seq: Fraction) -> float:
    """The source's connected clip; returns its end on the timeline (s)."""
    clock = source.clock
    local_len = float(ed.media_seconds(project, source))
    shared_len = clock.shared_duration(local_len)
    placed = ed.placement_s(source, t0)
    attrs = {"ref": ids[0], "lane": str(lane), "offset": ticks_time(placed), "name": source.name, "start": "0s"}
    attrs["duration"] = _media_time(project, source) if clock.rate == 1.0 else ticks_time(shared_len)
    fps = ed.frame_rate(source)
    if ids[1]:
        attrs.update(format=ids[1], tcFormat="DF" if fps is not None and ed.is_ntsc(fps) else "NDF")
    clip = ET.SubElement(parent, "asset-clip", attrs)
    ET.SubElement(clip, "note").text = source_line(source, project.reference)
    if clock.rate != 1.0:
        time_map = ET.SubElement(clip, "timeMap")
        ET.SubElement(time_map, "timept", {"time": "0s", "value": "0s", "interp": "linear"})
        ET.SubElement(time_map, "timept", {"time": ticks_time(shared_len), "value": ticks_time(local_len),
                                           "interp": "linear"})
    for ann in project.annotations:
        local = ed.event_local_s(source, ann)
        if 0.0 <= local < local_len:
            end = None if ann.end_s is None else clock.to_local(ann.end_s)
            _marker(clip, ann, local, end, fps or seq)
    return placed + shared_len


def render(project: Project, *, rate: float | None = None, folder: Path | None = None, **_: Any) -> bytes:
    """The FCPXML document of ``project`` (see module docstring) as UTF-8 bytes."""
    sources = ed.aligned_sources(project)
    if not sources:
        raise ExportError(f"{project.label}: no aligned source to put on a timeline")
    seq = ed.sequence_rate(project, rate)
    t0 = ed.timeline_origin(project)
    root = ET.Element("fcpxml", {"version": VERSION})
    res = _Resources(root)
    ref = project.source(project.reference) if project.reference else sources[0]
    ref_video = ref.probe.get("video") or {}
    seq_format = res.format(seq, ref_video.get("width") or 1920, ref_video.get("height") or 1080)
    assets = [_asset(project, res, s, folder or project.base_dir) for s in sources]
    event = ET.SubElement(root, "event", {"name": project.label})
    proj = ET.SubElement(event, "project", {"name": project.label})
    sequence = ET.SubElement(proj, "sequence", {"format": seq_format, "duration": "0s", "tcStart": "0s",
                                                "tcFormat": "DF" if ed.is_ntsc(seq) else "NDF",
                                                "audioLayout": "stereo", "audioRate": "48k"})
    gap = ET.SubElement(ET.SubElement(sequence, "spine"), "gap",
                        {"name": "incident", "offset": "0s", "start": "0s", "duration": "0s"})
    ends = [0.0]
    video_lane, audio_lane = 0, 0
    for source, ids in zip(sources, assets, strict=True):
        if ids[1]:
            video_lane += 1
        else:
            audio_lane -= 1
        ends.append(_clip(project, gap, source, ids, video_lane if ids[1] else audio_lane, t0, seq))
    for ann in project.annotations:
        end = None if ann.end_s is None else ann.end_s - t0
        _marker(gap, ann, ann.shared_s - t0, end, seq)
        ends.append(ann.shared_s - t0 if end is None else end)
    length = frames_time(math.ceil(max(ends) * seq - Fraction(1, 10**6)), seq)
    sequence.set("duration", length)
    gap.set("duration", length)
    ET.indent(root, "    ")
    comment = "\n".join(provenance_lines(project)).replace("--", "- -")
    body = ET.tostring(root, encoding="unicode")
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n<!--\n{comment}\n-->\n{body}\n'
    return text.encode("utf-8")


def write(project: Project, target: Path, *, fmt: str = "fcpxml", progress: Any = None, **options: Any) -> None:
    """Render for the folder of ``target`` and write it atomically."""
    from timesync.project.store import atomic_write_bytes

    atomic_write_bytes(target, render(project, folder=target.parent, **options))
    if progress is not None:
        progress(1.0, f"wrote {target.name}")
