"""Where a moment of the shared clock falls in each source: local time and frame number.

Frame numbers come from the source's :class:`timesync.media.FrameIndex` (container
PTS, half-open frame intervals), never from ``time * fps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project.annotation import Annotation
    from timesync.project.source import Source
    from timesync.project.view import ProjectView

__all__ = [
    "Location", "locate", "locate_annotation", "locate_all", "open_indexes", "NOT_RECORDING", "NOT_ALIGNED",
    "recorded_spans", "within", "format_spans",
]

NOT_RECORDING = "not recording"
NOT_ALIGNED = "not aligned"


@dataclass(frozen=True)
class Location:
    """A shared-clock moment seen in one source.

    Attributes
    ----------
    source : str
        The source's name.
    shared_s : float
        The moment, shared-clock seconds.
    status : str
        ``"recording"``, ``"not recording"`` (before its start or after its end) or
        ``"not aligned"`` (no ClockMap).
    local_s : float or None
        The source's local time at that moment (seconds; ``None`` when not aligned).
        Given even when not recording (it is then outside the file).
    frame : int or None
        Number (from 0, presentation order) of the frame shown at that moment.
    frame_pts : int or None
        That frame's container PTS.
    frame_time_s : float or None
        That frame's local start time (seconds).
    """

    source: str
    shared_s: float
    status: str
    local_s: float | None = None
    frame: int | None = None
    frame_pts: int | None = None
    frame_time_s: float | None = None

    @property
    def recording(self) -> bool:
        """True when the source holds that moment."""
        return self.status == "recording"

    def text(self, decimals: int = 3) -> str:
        """``"0:00:12.345 frame 370"``, ``"0:00:12.345"`` (audio) or the status."""
        if not self.recording or self.local_s is None:
            return self.status
        local = format_hms(self.local_s, decimals)
        return local if self.frame is None else f"{local} frame {self.frame}"


def locate(shared_s: float, source: Source, index: Any | None = None) -> Location:
    """Where shared time ``shared_s`` falls in ``source``.

    Parameters
    ----------
    shared_s : float
        Shared-clock seconds.
    source : Source
        Its ``clock`` maps local to shared time.
    index : FrameIndex or None
        The source's frame index (``timesync.media.FrameIndex``); ``None`` for an
        audio-only source, then "recording" means ``0 <= local < duration``.
    """
    clock = source.clock
    if clock is None:
        return Location(source.name, shared_s, NOT_ALIGNED)
    local_s = clock.to_local(shared_s)
    if index is not None:
        ref = index.frame_at_shared(clock, shared_s)
        if ref is None:
            return Location(source.name, shared_s, NOT_RECORDING, local_s)
        return Location(source.name, shared_s, "recording", local_s, int(ref.number), int(ref.pts), float(ref.time_s))
    duration = source.duration_s
    if duration is not None and 0.0 <= local_s < duration:
        return Location(source.name, shared_s, "recording", local_s)
    return Location(source.name, shared_s, NOT_RECORDING, local_s)


def locate_annotation(annotation: Annotation, source: Source, index: Any | None = None,
                      *, at_end: bool = False) -> Location:
    """:func:`locate` at an annotation's start (or its end, for an interval, with ``at_end``)."""
    shared = annotation.end_s if at_end and annotation.end_s is not None else annotation.shared_s
    return locate(shared, source, index)


def open_indexes(project: ProjectView) -> dict[str, Any | None]:
    """A :class:`timesync.media.FrameIndex` per source with video whose file is there, else ``None``."""
    from timesync.errors import MediaError
    from timesync.media import FrameIndex

    indexes: dict[str, Any | None] = {}
    for source in project.sources:
        path = project.resolve(source.name)
        if not path.is_file() or not source.has_video:
            indexes[source.name] = None
            continue
        try:
            index = FrameIndex.open(path, sha256=source.sha256 if source.hash_status == "verified" else None)
        except MediaError:  # no video stream: located by its duration
            index = None
        indexes[source.name] = index if index is not None and len(index) else None
    return indexes


def locate_all(project: ProjectView, shared_s: float, indexes: dict[str, Any | None] | None = None) -> list[Location]:
    """:func:`locate` in every source of ``project``, in source order."""
    indexes = open_indexes(project) if indexes is None else indexes
    return [locate(shared_s, s, indexes.get(s.name)) for s in project.sources]


def recorded_spans(project: ProjectView) -> list[tuple[float, float]] | None:
    """The shared-clock intervals some aligned source recorded, merged and sorted (seconds).

    Each aligned source covers ``[to_shared(0), to_shared(duration)]``. Returns
    ``None`` when that cannot be known: no source is aligned, or an aligned
    source has no recorded duration.
    """
    spans = []
    for source in project.sources:
        if source.clock is None:
            continue
        if not source.duration_s or source.duration_s <= 0:
            return None
        ends = sorted((source.clock.to_shared(0.0), source.clock.to_shared(source.duration_s)))
        spans.append((ends[0], ends[1]))
    if not spans:
        return None
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def within(spans: list[tuple[float, float]], shared_s: float) -> bool:
    """True when ``shared_s`` lies in one of ``spans`` (closed intervals, seconds)."""
    return any(start <= shared_s <= end for start, end in spans)


def format_spans(spans: list[tuple[float, float]]) -> str:
    """``"0.000 to 3.000 s, 5.000 to 9.500 s"``."""
    return ", ".join(f"{start:.3f} to {end:.3f} s" for start, end in spans)
