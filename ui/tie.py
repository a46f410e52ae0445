"""Ties: "this frame of one view is the same moment as that frame of another" (issue 19).

A tie is a manual anchor (:class:`timesync.align.anchors.Anchor`) made from
two views' current frames. :func:`tie_between` turns two views into a
:class:`Tie` (or refuses, with one sentence); :class:`TieCommand` records it
through :func:`timesync.workflow.add_anchor` (the anchor is stored, with the
frames tied, and the clocks are solved again at once) and undoes it by
removing the anchor and putting every clock back as it was.

Times: each frame stands for the middle of its display interval,
``local = frame_time(n) + frame_duration(n) / 2`` (seconds of the source's
local time), so a tie of two frames that both show a moment is unbiased
whatever the two frame rates. The tie's one-sigma uncertainty is one frame
of the coarser source (the longer of the two frame durations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from timesync.align.anchors import Anchor
from timesync.clock import ClockMap
from timesync.project import Project
from ui.commands import ProjectCommand

if TYPE_CHECKING:
    from timesync.workflow import Resolution
    from ui.player import PlayerView

__all__ = ["Tie", "TieError", "TieCommand", "RoughPlaceCommand", "tie_between", "frame_moment", "clock_snapshot",
           "restore_clocks", "file_label"]

#: hash statuses of a file that is not the one added to the project
_CHANGED = {"changed": "has changed since it was added (its SHA-256 differs)",
            "missing": "is missing"}


class TieError(ValueError):
    """A tie that cannot be made; the message is one sentence for the reviewer."""


@dataclass(frozen=True)
class Tie:
    """Two views' frames to tie.

    Attributes
    ----------
    anchor : Anchor
        ``source`` at local ``source_s`` s is ``other`` at local ``other_s`` s,
        ``uncertainty_s`` one frame of the coarser source.
    frames : tuple[int, int]
        The frame numbers tied (of ``source``, of ``other``).
    warnings : list[str]
        Sentences stored with the anchor (a file changed since it was added).
    """

    anchor: Anchor
    frames: tuple[int, int]
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """``'a.mp4 frame 12 = b.mp4 frame 40'``."""
        a = self.anchor
        return f"{file_label(a.source)} frame {self.frames[0]} = {file_label(a.other)} frame {self.frames[1]}"

    def record(self) -> dict[str, Any]:
        """The keys stored with the anchor besides its times: the frames, how it was made, warnings."""
        out: dict[str, Any] = {"source_frame": self.frames[0], "other_frame": self.frames[1], "made_by": "tie"}
        if self.warnings:
            out["warning"] = " ".join(self.warnings)
        return out


def file_label(name: str) -> str:
    """A source name's file name (what messages call it)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def frame_moment(index, number: int) -> tuple[float, float]:
    """``(local_s, duration_s)``: the middle of frame ``number``'s display interval and its length (s)."""
    duration = float(index.frame_duration(number))
    return float(index.frame_time(number)) + duration / 2, duration


def _frame_of(view: PlayerView) -> int:
    """The frame number ``view`` is at, or :class:`TieError` saying why there is none."""
    spec = view.spec
    if view.error:
        raise TieError(f"{spec.label} cannot be tied: its frames cannot be read ({view.error})")
    if not spec.has_video:
        raise TieError(f"{spec.label} cannot be tied: it has no video frames (audio only)")
    if view.index is None:
        raise TieError(f"{spec.label} cannot be tied yet: its frames are still being opened")
    if view.wanted_frame is None:
        raise TieError(f"{spec.label} is not recording at this moment (outside its file): step it into "
                       "its recording, or unlink it (U) and step it alone, before tying")
    return int(view.wanted_frame)


def tie_between(first: PlayerView | None, second: PlayerView | None) -> Tie:
    """The tie of two views' current frames; :class:`TieError` (one sentence) when there is none.

    The anchor's ``source`` is the view being placed: ``second`` when only it
    is not placed, else ``first``.
    """
    if first is None or second is None:
        raise TieError("a tie needs two views: click one view, then the other, and press T")
    if first is second or first.spec.name == second.spec.name:
        raise TieError(f"a tie needs two different sources: both frames are of {first.spec.label}; "
                       "click a view of another source first")
    if first.spec.clock is not None and second.spec.clock is None:
        first, second = second, first
    frames = _frame_of(first), _frame_of(second)
    (a_s, a_d), (b_s, b_d) = frame_moment(first.index, frames[0]), frame_moment(second.index, frames[1])
    warnings = [f"{v.spec.label} {_CHANGED[v.spec.hash_status]}: this tie was made on the file as it is now"
                for v in (first, second) if v.spec.hash_status in _CHANGED]
    anchor = Anchor(first.spec.name, a_s, second.spec.name, b_s, max(a_d, b_d))
    return Tie(anchor, frames, warnings)


def clock_snapshot(project: Project) -> dict[str, tuple[ClockMap | None, str]]:
    """Every source's clock and not-placed reason, by name (what an undo puts back)."""
    return {s.name: (s.clock, s.reason) for s in project.sources}


def restore_clocks(project: Project, clocks: dict[str, tuple[ClockMap | None, str]]) -> None:
    """Put back the clocks and reasons of :func:`clock_snapshot` (each change is a history entry)."""
    for name, (clock, reason) in clocks.items():
        if project.has_source(name):
            project.set_source_clock(name, clock, method=None, reason=reason)


class TieCommand(ProjectCommand):
    """Record a tie and solve again (:func:`timesync.workflow.add_anchor`); undo removes the
    anchor and puts every clock (and not-placed reason) back; redo restores both.

    :attr:`tie` is the tie; after the first application :attr:`resolution` is
    the solve's answer and :attr:`number` the anchor's number (1-based) in the
    project's list.
    """

    def __init__(self, project: Project, tie: Tie, *, author: str | None = None) -> None:
        super().__init__(f"tie {tie.text}")
        self._project = project
        self.tie = tie
        self._author = author
        self._before = clock_snapshot(project)
        self._after: dict[str, tuple[ClockMap | None, str]] | None = None
        self._stored: dict[str, Any] | None = None
        self.number = 0
        self.resolution: Resolution | None = None

    def apply(self) -> None:  # noqa: D102
        project = self._project
        if self._stored is not None:  # redo: the same anchor, the clocks it gave
            project.add_anchor(self._stored, author=self._author)
            restore_clocks(project, self._after or {})
            return
        from timesync.workflow import add_anchor

        count = len(project.extra.get("anchors") or [])
        try:
            self.resolution = add_anchor(project, self.tie.anchor, author=self._author, record=self.tie.record())
        except Exception:
            if len(project.extra.get("anchors") or []) > count:  # recorded, then the solve failed
                project.remove_anchor(count + 1, author=self._author)
                restore_clocks(project, self._before)
            raise
        self.number = count + 1
        self._stored = dict(project.extra["anchors"][-1])
        self._after = clock_snapshot(project)

    def undo(self) -> None:  # noqa: D102
        self._project.remove_anchor(self.number, author=self._author)
        restore_clocks(self._project, self._before)


class RoughPlaceCommand(ProjectCommand):
    """Place a source roughly by hand (a clock of method "manual, rough", :mod:`ui.timeline.rough`);
    undo puts every clock (and not-placed reason) back. Successive rough moves of one source merge."""

    ID = 4219

    def __init__(self, project: Project, name: str, clock: ClockMap) -> None:
        super().__init__(f"place {file_label(name)} roughly")
        self._project = project
        self.name = name
        self._before = clock_snapshot(project)
        self._clock = clock

    def id(self) -> int:  # noqa: D102 - Qt API
        return self.ID

    def mergeWith(self, other) -> bool:  # noqa: N802, D102 - Qt API
        if not isinstance(other, RoughPlaceCommand) or other.name != self.name:
            return False
        self._clock = other._clock
        return True

    def apply(self) -> None:  # noqa: D102
        self._project.set_source_clock(self.name, self._clock, method=None)

    def undo(self) -> None:  # noqa: D102
        restore_clocks(self._project, self._before)
