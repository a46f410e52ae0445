"""What the timeline draws: events, shot candidates, tracks (plain data, no painting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ui.spec import SourceSpec

__all__ = ["TimelineEvent", "ShotMarker", "Track"]


@dataclass(frozen=True)
class TimelineEvent:
    """An annotation as the timeline draws it (shared seconds)."""

    id: str
    type: str
    shared_s: float
    end_s: float | None = None


@dataclass(frozen=True)
class ShotMarker:
    """A detected shot candidate (not an event yet): hollow triangle in the events lane."""

    id: str
    shared_s: float
    accepted: bool | None = None


@dataclass
class Track:
    """One source's row: its spec, its extent in local seconds, and what was loaded for it."""

    spec: SourceSpec
    start_local: float
    end_local: float
    frame_s: float
    envelope: np.ndarray | None = None
    envelope_hz: float = 0.0
    index: object | None = None  # FrameIndex, once the thumbnail loader opened the source
