"""PlacementController: placing a source by hand with ties (issue 19).

* **U** unlinks the focused view (it then plays and steps on its own local
  clock while the others follow the shared clock) or links it again. A source
  that is not placed is always unlinked.
* **T** ties the focused view's frame to the frame of the view focused before
  it (:attr:`ui.grid.PlayerGrid.previous_view`; with only two video views, the
  other one): :func:`ui.tie.tie_between` makes the anchor (one frame of the
  coarser source as its uncertainty), :class:`ui.tie.TieCommand` records it
  with :func:`timesync.workflow.add_anchor`, which solves again at once. The
  undo stack holds the tie; the project history holds the anchor (who, when,
  which frames) and every clock it moved. A tie that contradicts the other
  evidence stays in the project, left out of the solve, and its disagreement
  (in ms) is shown.
* Dragging the empty track of a source not placed places it roughly
  (:mod:`ui.timeline.rough`: method "manual, rough", a wide uncertainty;
  undoable), so its view follows the shared clock near the moment to tie.
* Suggested placements (device clocks only, a refused audio candidate) and
  "Search near here" on a rough track: :mod:`ui.controllers.suggestions`.
"""

from __future__ import annotations

from timesync.errors import TimesyncError
from ui.commands import push
from ui.controllers.base import Controller
from ui.controllers.suggestions import SuggestionController
from ui.spec import format_uncertainty
from ui.tie import RoughPlaceCommand, TieCommand, TieError, tie_between

__all__ = ["PlacementController"]


class PlacementController(Controller):
    """Unlink views and tie two views' frames (see the module docstring); :attr:`suggest` holds the
    suggested placements (:mod:`ui.controllers.suggestions`)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.suggest = SuggestionController(window)

    def toggle_link(self) -> None:
        """Unlink the focused view from the shared clock, or link it again."""
        view = self.win.grid.focused_view
        if view is None:
            self.messages.info("click a view first")
            return
        name = view.spec.label
        if view.free and view.spec.clock is None:
            self.messages.info(f"{name} is not placed: it plays on its own clock until a tie (T) places it")
            return
        view.set_free(not view.free)
        if view.free:
            self.status(f"{name} unlinked: its keys step it alone; T ties it to the view clicked before, "
                        "U links it again", 8000)
        else:
            self.status(f"{name} follows the shared clock again", 5000)

    def place_rough(self, name: str, clock) -> None:
        """Place ``name`` roughly where its track was dropped (undoable, method "manual, rough")."""
        try:
            push(self.win.undo, RoughPlaceCommand(self.project, name, clock))
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return
        label = name.replace("\\", "/").rsplit("/", 1)[-1]
        self.messages.info(f"{label} placed roughly ({format_uncertainty(clock.uncertainty_s)}, manual, rough): "
                           "find a moment another view shows too, unlink it (U), step it there and tie (T)")

    def tie_views(self):
        """The two views a tie joins: the focused one and the one focused before it (or the other of two)."""
        grid = self.win.grid
        first, second = grid.focused_view, grid.previous_view
        if second is None or second is first:
            others = [v for v in grid.views if v is not first and v.worker is not None]
            second = others[0] if len(others) == 1 else second
        return first, second

    def tie(self) -> TieCommand | None:
        """Tie the two views' current frames (undoable); reports the placement or the disagreement."""
        first, second = self.tie_views()
        self.win.clock.pause()
        for view in (first, second):
            if view is not None and view.free:
                view.playback.pause()
        try:
            tie = tie_between(first, second)
            command = push(self.win.undo, TieCommand(self.project, tie))
        except (TieError, TimesyncError, ValueError) as exc:
            self.messages.error(f"nothing tied: {exc}")
            return None
        for warning in tie.warnings:
            self.messages.warning(f"anchor {command.number}: {warning}")
        for view in (first, second):
            view.set_free(False)
        self._report(command)
        return command

    def _report(self, command: TieCommand) -> None:
        """The tie's outcome in the message bar: its disagreement, else where the source now is."""
        resolution = command.resolution
        number = command.number
        if resolution is None:
            return
        for sentence in resolution.disagreements:
            self.messages.warning(sentence)
        if number - 1 in resolution.left_out:
            return
        source = command.tie.anchor.source
        clock = self.project.clock(source)
        label = source.replace("\\", "/").rsplit("/", 1)[-1]
        if clock is None:
            still = ", ".join(n.replace("\\", "/").rsplit("/", 1)[-1] for n in resolution.unplaced)
            self.messages.warning(f"tied ({command.tie.text}, anchor {number}); still not placed: {still} "
                                  "(nothing links them to the reference)")
            return
        anchor = command.tie.anchor
        pair = {anchor.source, anchor.other}
        ties = sum(1 for a in self.project.extra.get("anchors") or [] if {a.get("source"), a.get("other")} == pair)
        drift = (f"drift {clock.drift_ppm:+.0f} ppm" if ties > 1
                 else "drift not measured (a second tie at another moment measures it)")
        self.messages.info(f"tied {command.tie.text} (anchor {number}): {label} at offset "
                           f"{clock.offset_s:+.3f} s, {format_uncertainty(clock.uncertainty_s)}, {drift}; "
                           "Ctrl+Z undoes it")
