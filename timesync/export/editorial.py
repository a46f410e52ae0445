"""What the editorial exports (otio, xml, fcpxml, edl) share: media rates, placements, paths.

Every source keeps its own rate: a video source's frame rate (NTSC rates are
snapped to ``n * 1000/1001``), an audio-only source's sample rate. A source's
placement is where its local time 0 falls on the timeline, ``to_shared(0) - t0``,
with ``t0`` (:func:`timeline_origin`) the shared time at timeline zero; an
event's place on a source is ``to_local(shared_s)``. Both come from the source's
:class:`~timesync.clock.ClockMap` alone.

Paths: :func:`media_paths` gives each source file as a URL relative to the
folder the export is written in (so an export moved together with the media, or
written outside the project folder, still finds it) and as an absolute path.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from timesync.errors import ExportError

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source

__all__ = ["frame_rate", "frame_count", "sample_rate", "media_seconds", "timeline_origin",
           "placement_s", "event_local_s", "media_paths", "aligned_sources", "is_ntsc", "sequence_rate",
           "snap_rate"]


def snap_rate(fps: float) -> Fraction:
    """A probed frame rate as an exact fraction: ``n*1000/1001`` when within 1e-3 fps of one."""
    ntsc = Fraction(round(fps * 1.001)) * Fraction(1000, 1001)
    if abs(float(ntsc) - fps) < 1e-3 and abs(fps - round(fps)) > 1e-3:
        return ntsc
    return Fraction(fps).limit_denominator(1001)


def is_ntsc(rate: Fraction) -> bool:
    """True for ``n * 1000/1001`` rates (29.97, 23.976, 59.94...)."""
    return rate.denominator == 1001


def frame_rate(source: Source) -> Fraction | None:
    """The source's video frame rate (frames per second), or None for audio-only media."""
    fps = (source.probe.get("video") or {}).get("fps")
    if source.has_video and isinstance(fps, int | float) and fps > 0:
        return snap_rate(float(fps))
    return None


def sample_rate(source: Source) -> int | None:
    """The source's audio sample rate (Hz), or None without audio."""
    rate = (source.probe.get("audio") or {}).get("sample_rate")
    return int(rate) if source.has_audio and isinstance(rate, int | float) and rate > 0 else None


def frame_count(source: Source) -> int | None:
    """Frames in the video stream: the probe's count, else the duration at the frame rate (rounded)."""
    rate = frame_rate(source)
    if rate is None:
        return None
    count = (source.probe.get("video") or {}).get("frame_count")
    if isinstance(count, int) and count > 0:
        return count
    duration = source.duration_s
    return None if duration is None else round(duration * rate)


def media_seconds(project: Project, source: Source) -> Fraction:
    """Local length of the media (s): frames / frame rate for video, else the probed duration."""
    count, rate = frame_count(source), frame_rate(source)
    if count is not None and rate is not None:
        return count / rate
    if source.duration_s is None:
        raise ExportError(f"{project.label}: {source.name} has no known duration (probe it again)")
    return Fraction(source.duration_s)


def aligned_sources(project: Project) -> list[Source]:
    """The sources with a clock, in project order (the others are named in the provenance)."""
    return [s for s in project.sources if s.clock is not None]


def timeline_origin(project: Project) -> float:
    """``t0``: the shared time at timeline zero (s): the earliest aligned source start or event."""
    starts = [s.clock.to_shared(0.0) for s in aligned_sources(project)]
    starts += [a.shared_s for a in project.annotations]
    return min(starts) if starts else 0.0


def placement_s(source: Source, t0: float) -> float:
    """Timeline seconds at which the source's local time 0 falls (``to_shared(0) - t0``)."""
    return source.clock.to_shared(0.0) - t0


def event_local_s(source: Source, ann: Annotation) -> float:
    """The event's time on the source's own clock (local seconds)."""
    return source.clock.to_local(ann.shared_s)


def sequence_rate(project: Project, rate: float | None = None) -> Fraction:
    """The timeline's frame rate: ``rate`` if given, else the reference's (else the first video source's), else 30.

    Raises
    ------
    ExportError
        ``rate`` is not a number of frames per second in (0, 240].
    """
    if rate is not None:
        if not isinstance(rate, int | float) or not 0 < rate <= 240:
            raise ExportError(f"{project.label}: rate must be a frame rate in (0, 240] fps, not {rate!r}")
        return snap_rate(float(rate))
    names = [project.reference] if project.reference else []
    names += [s.name for s in project.sources]
    for name in names:
        rate = frame_rate(project.source(name))
        if rate is not None:
            return rate
    return Fraction(30)


def media_paths(project: Project, source: Source, folder: Path) -> tuple[str, Path]:
    """``(relative URL from folder, absolute path)`` of the source file.

    The relative URL is percent-encoded POSIX (``../media/cam%20A.mp4``); it is
    the absolute ``file:`` URL when the two are on different drives.
    """
    absolute = Path(os.path.normpath(project.resolve(source.name)))
    try:
        relative = os.path.relpath(absolute, folder)
    except ValueError:  # another drive (Windows): only the absolute path can name it
        return absolute.as_uri(), absolute
    return quote(Path(relative).as_posix()), absolute
