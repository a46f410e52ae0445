"""ProjectBridge: the Qt face of the core's evented :class:`timesync.project.Project`.

The bridge subscribes to ``project.events`` and re-emits each change as Qt
signals, so views never poll. It also turns the project's sources into
:class:`~ui.spec.SourceSpec` values for the players and the timeline. It never
changes the project itself: edits go through :mod:`ui.commands`, which call
the project's methods.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from timesync.export.provenance import travel_bound
from timesync.project import Project
from timesync.project.events import ChangeEvent
from ui.spec import SourceSpec, overlay_reading

__all__ = ["ProjectBridge", "source_extent"]

_SOURCE_KINDS = {"source_added", "source_changed", "source_removed", "clock_changed", "reference_changed"}
_ANNOTATION_KINDS = {"annotation_added", "annotation_changed", "annotation_removed"}


def source_extent(probe: dict) -> tuple[float, float, float]:
    """``(start_local_s, end_local_s, frame_s)`` of a source from its probe summary.

    ``frame_s`` is one frame's duration (1/fps; 1/30 s for audio-only sources,
    only used to size a one-frame nudge).
    """
    duration = probe.get("duration_s")
    end = float(duration) if isinstance(duration, int | float) else 0.0
    video = probe.get("video") or {}
    fps = video.get("fps") if isinstance(video, dict) else None
    frame_s = 1.0 / float(fps) if isinstance(fps, int | float) and fps > 0 else 1.0 / 30.0
    return 0.0, end, frame_s


class ProjectBridge(QObject):
    """Observe one project; emit Qt signals on its changes.

    Signals
    -------
    changed(object)
        Every :class:`~timesync.project.events.ChangeEvent`.
    sourcesChanged()
        A source was added, removed or changed (clock, role, hash status...).
    annotationsChanged()
        An annotation was added, changed or removed.
    vocabularyChanged()
    dirtyChanged(bool)
    saved(str)
        The path written.
    """

    changed = Signal(object)
    sourcesChanged = Signal()
    annotationsChanged = Signal()
    vocabularyChanged = Signal()
    dirtyChanged = Signal(bool)
    saved = Signal(str)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        project.events.connect(self._on_event)

    @property
    def project(self) -> Project:
        """The core project observed."""
        return self._project

    def detach(self) -> None:
        """Stop observing the project (before dropping it)."""
        self._project.events.disconnect(self._on_event)

    def _on_event(self, event: ChangeEvent) -> None:
        self.changed.emit(event)
        if event.kind in _SOURCE_KINDS:
            self.sourcesChanged.emit()
        elif event.kind in _ANNOTATION_KINDS:
            self.annotationsChanged.emit()
        elif event.kind == "vocabulary_changed":
            self.vocabularyChanged.emit()
        elif event.kind == "dirty_changed":
            self.dirtyChanged.emit(bool(event.after))
        elif event.kind == "saved":
            self.saved.emit(str(event.after))

    # -- views of the project ---------------------------------------------------
    def specs(self) -> list[SourceSpec]:
        """Every source as a :class:`SourceSpec` (absolute paths), in project order."""
        project = self._project
        return [
            SourceSpec(
                name=s.name,
                path=project.resolve(s.name),
                clock=s.clock,
                role=s.role,
                sha256=s.sha256,
                hash_status=s.hash_status,
                overlay_clock=s.overlay_clock,
                reason=s.reason,
                extra={"probe": dict(s.probe), "travel_bound_s": travel_bound(s, project.reference)},
            )
            for s in project.sources
        ]

    def extents(self) -> dict[str, tuple[float, float, float]]:
        """``{name: (start_local_s, end_local_s, frame_s)}`` from each source's probe summary."""
        return {s.name: source_extent(s.probe) for s in self._project.sources}

    def shared_span(self) -> tuple[float, float]:
        """Shared seconds from the earliest start to the latest end of the aligned sources."""
        starts, ends = [], []
        extents = self.extents()
        for s in self._project.sources:
            start, end, _ = extents[s.name]
            if s.clock is not None and end > start:
                starts.append(s.clock.to_shared(start))
                ends.append(s.clock.to_shared(end))
        for a in self._project.annotations:
            starts.append(a.shared_s)
            ends.append(a.end_s if a.end_s is not None else a.shared_s)
        return (min(starts), max(ends)) if starts else (0.0, 0.0)

    def wall_clock(self) -> tuple[_dt.datetime, str] | None:
        """Wall-clock reading at shared 0 and what it comes from, when known.

        The project's ``wall_clock`` (``utc_at_shared_zero``) when set; else the
        burned-in clock of the reference (or first aligned source with one),
        labelled with its name: a device clock, which may be off by seconds.
        """
        project = self._project
        wall = project.wall_clock or {}
        text = wall.get("utc_at_shared_zero") if isinstance(wall, dict) else None
        if text:
            try:
                return _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")), "UTC"
            except ValueError:
                pass
        ordered = sorted(project.sources, key=lambda s: s.name != project.reference)
        for s in ordered:
            if s.clock is not None and s.overlay_clock:
                reading = overlay_reading(s.overlay_clock, s.clock.to_local(0.0))
                if reading:
                    return _dt.datetime.fromisoformat(reading), f"clock of {Path(s.name).name}"
        return None
