"""SuggestionController: suggested placements on the timeline, and the reviewer's decisions (issue 19).

:func:`ui.suggest.suggestions` says what the evidence suggests; this controller
hands it to the timeline (dashed bars, :mod:`ui.timeline.suggestions`) each
time the sources change, and offers on a track's menu (right click) and in the
Sources menu, for the selected track:

* **Accept** / **Reject** a placement by device clocks only
  (:class:`ui.suggest.SuggestionCommand`, undoable, in the project history; a
  rejection is project data: a later alignment does not offer the same placement);
* **Look there**: jump the view of a source not placed to where the refused
  audio candidate puts the shared playhead (its own clock moves, the shared
  clock does not), and **Place roughly there** (accept it as a rough placement);
* **Search near here** on a rough track: align again with that source's
  searches narrowed to near its rough position
  (:meth:`ui.controllers.alignment.AlignmentController.search_near`).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from timesync.errors import TimesyncError
from timesync.project.alignment_edits import ROUGH_METHOD
from ui.commands import push
from ui.controllers.base import Controller
from ui.suggest import AUDIO_CANDIDATE, DEVICE_CLOCKS, Suggestion, SuggestionCommand, suggestions
from ui.tie import file_label

__all__ = ["SuggestionController"]


class SuggestionController(Controller):
    """Suggestions on the timeline and the decisions on them (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.current: dict[str, Suggestion] = {}
        self._wired = False
        window.projectChanged.connect(self._on_project)

    def _on_project(self, _project) -> None:
        if not self._wired:
            self.win.timeline.trackMenuRequested.connect(self._menu_at)
            self._wired = True
        self.win.bridge.sourcesChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Suggestions of the project as it is now, drawn on the timeline."""
        self.current = suggestions(self.project)
        self.win.timeline.set_suggestions({n: (s.clock, s.label) for n, s in self.current.items()})

    def _name(self, name: str | None) -> str | None:
        name = name or self.win.timeline.selected_source
        if name is None:
            self.messages.info("click a track on the timeline first")
        return name

    def _suggestion(self, name: str | None, kind: str) -> Suggestion | None:
        name = self._name(name)
        if name is None:
            return None
        found = self.current.get(name)
        if found is None or found.kind != kind:
            what = "placement by device clocks only" if kind == DEVICE_CLOCKS else "refused audio candidate"
            self.messages.info(f"{file_label(name)} has no {what} to act on")
            return None
        return found

    def decide(self, name: str | None = None, *, accept: bool, kind: str = DEVICE_CLOCKS) -> SuggestionCommand | None:
        """Accept or reject ``name``'s suggestion of ``kind`` (default: the selected track); undoable."""
        suggestion = self._suggestion(name, kind)
        if suggestion is None:
            return None
        try:
            command = push(self.win.undo, SuggestionCommand(self.project, suggestion, accept=accept))
        except TimesyncError as exc:
            self.messages.error(f"nothing decided: {exc}")
            return None
        label = file_label(suggestion.name)
        if not accept:
            self.messages.info(f"{label}: placement by device clocks only rejected; it is not placed "
                               "(tie it, or drag it roughly), and an alignment that suggests it again "
                               "leaves it so; Ctrl+Z undoes it")
        elif kind == DEVICE_CLOCKS:
            self.messages.info(f"{label}: placement by device clocks accepted by you (its uncertainty stays "
                               "the device clocks'; a tie refines it); Ctrl+Z undoes it")
        else:
            self.messages.info(f"{label} placed roughly where the refused audio candidate puts it: tie it (T) "
                               "or search near here; Ctrl+Z undoes it")
        return command

    def place_at_candidate(self, name: str | None = None) -> SuggestionCommand | None:
        """Place ``name`` (default: the selected track) roughly where its refused audio candidate puts it."""
        return self.decide(name, accept=True, kind=AUDIO_CANDIDATE)

    def look(self, name: str | None = None) -> float | None:
        """Jump the view of ``name`` (not placed) to where its refused audio candidate puts the
        shared playhead; returns the local time (s) it was sent to."""
        suggestion = self._suggestion(name, AUDIO_CANDIDATE)
        if suggestion is None:
            return None
        view = self.win.grid.view_for(suggestion.name)
        if view is None:
            self.messages.info(f"{file_label(suggestion.name)} has no view in the grid to jump")
            return None
        view.set_free(True)
        local = float(suggestion.clock.to_local(self.win.clock.time))
        view.playback.seek(local)
        self.messages.info(f"{file_label(suggestion.name)} jumped to local {local:.3f} s, where {suggestion.why}; "
                           "step it (it is unlinked) and tie (T) when both views show one moment")
        return local

    def search_near(self, name: str | None = None):
        """Search near the rough position of ``name`` (default: the selected track), in a worker."""
        name = self._name(name)
        return None if name is None else self.win.alignment.search_near(name)

    def track_menu(self, name: str) -> QMenu:
        """The menu of ``name``'s track: what can be done with its suggestion or rough placement."""
        menu = QMenu(self.win)
        found = self.current.get(name)
        clock = self.project.clock(name) if self.project.has_source(name) else None
        if found is not None and found.kind == DEVICE_CLOCKS:
            menu.addAction("Accept the placement by device clocks", lambda: self.decide(name, accept=True))
            menu.addAction("Reject the placement by device clocks", lambda: self.decide(name, accept=False))
        if found is not None and found.kind == AUDIO_CANDIDATE:
            menu.addAction(f"Look there (refused audio candidate, score {found.score:.1f})", lambda: self.look(name))
            menu.addAction("Place roughly there", lambda: self.place_at_candidate(name))
        if clock is not None and clock.method == ROUGH_METHOD:
            menu.addAction("Search near here", lambda: self.search_near(name))
        if menu.isEmpty():
            menu.addAction("Nothing suggested for this track").setEnabled(False)
        return menu

    def _menu_at(self, name: str, position) -> None:
        menu = self.track_menu(name)
        menu.exec(position)
        menu.deleteLater()
