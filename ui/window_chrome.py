"""The window's chrome: docks, status bar, actions with their shortcuts, toolbar, menus, readouts.

A mixin of :class:`ui.main_window.MainWindow`: every action calls the clock,
a view, or a method of one of the window's controllers (:mod:`ui.controllers`);
the readouts (clock, wall clock, play state, title) follow the clock and the
project. Nothing here holds state of its own.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from timesync.timeutil import format_hms
from ui.dialogs import EXPORT_FORMATS
from ui.relink import RelinkController
from ui.spec import format_datetime_ms
from ui.stills import export_still_dialog
from ui.viewmodes import DockFitter, TileOrderMemory, toggle_full_screen

__all__ = ["WindowChrome", "MARK_IN_KEY"]

#: Key that marks the start of an interval; the next event-type key ends it at the playhead.
MARK_IN_KEY = "I"



#: The mouse gestures the ``?`` overlay lists after the keys: (gesture, what it does).
MOUSE_GESTURES: tuple[tuple[str, str], ...] = (
    ("Wheel on a picture", "Zoom in the picture"),
    ("Drag a zoomed picture", "Pan it"),
    ("Drag a tile's name strip", "Reorder the tiles"),
    ("Double-click a picture", "Show it large"),
    ("Click / drag the timeline", "Seek"),
    ("Drag a placed track", "Nudge its offset (manual)"),
    ("Drag a track not placed", "Place it roughly (manual, rough)"),
    ("Wheel on the timeline", "Scroll; with Ctrl, zoom"),
)

class WindowChrome:
    """Builds the docks, actions, toolbar and menus of the main window."""

    def _dock(self, title: str, name: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.project_label = QLabel(self)
        bar.addWidget(self.project_label, 1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        bar.addPermanentWidget(self.progress)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.cancel_button.hide()
        bar.addPermanentWidget(self.cancel_button)

    def _action(self, text: str, slot: Callable, keys: str | QKeySequence.StandardKey | list | None = None, *,
                group: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if keys is not None:
            if isinstance(keys, list):
                action.setShortcuts([QKeySequence(k) for k in keys])
            else:
                action.setShortcut(QKeySequence(keys))
        action.setCheckable(checkable)
        action.triggered.connect(lambda _checked=False: slot())
        action.setProperty("group", group)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        S = QKeySequence.StandardKey  # noqa: N806
        self.act_new = a("New project", self.files.new_project, S.New, group="Project")
        self.act_open = a("Open project…", self.files.open_dialog, S.Open, group="Project")
        self.act_save = a("Save", self.save, S.Save, group="Project")
        self.act_save_as = a("Save as…", self.files.save_as, "Ctrl+Shift+S", group="Project")
        self.act_add = a("Add media…", self.media.add_dialog, "Ctrl+Shift+A", group="Project")
        self.act_quit = a("Quit", self.close, S.Quit, group="Project")
        self.act_undo = self.undo.createUndoAction(self, "Undo")
        self.act_undo.setShortcut(QKeySequence(S.Undo))
        self.act_redo = self.undo.createRedoAction(self, "Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for act in (self.act_undo, self.act_redo):
            act.setProperty("group", "Edit")
            self.addAction(act)
        # Playback: the clock itself, or ui.controllers.transport (playback actions belong here)
        self.act_play = a("Play", self.transport.toggle_play, "Space", group="Playback", checkable=True)
        self.act_j = a("Shuttle back (J)", lambda: self.transport.shuttle(-1), "J", group="Playback")
        self.act_k = a("Pause (K)", lambda: self.transport.shuttle(0), "K", group="Playback")
        self.act_l = a("Shuttle forward (L)", lambda: self.transport.shuttle(1), "L", group="Playback")
        self.act_next_frame = a("Next frame", lambda: self.transport.step_frame(1), ["Right", "."], group="Playback")
        self.act_prev_frame = a("Previous frame", lambda: self.transport.step_frame(-1), ["Left", ","], group="Playback")
        self.act_src_next = a("Focused source: next frame only", lambda: self.transport.step_source(1), "Shift+Right", group="Playback")
        self.act_src_prev = a("Focused source: previous frame only", lambda: self.transport.step_source(-1), "Shift+Left",
                              group="Playback")
        self.act_next_event = a("Next event", lambda: self.transport.jump_event(1), "E", group="Playback")
        self.act_prev_event = a("Previous event", lambda: self.transport.jump_event(-1), "Shift+E", group="Playback")
        self.act_home = a("Go to start", lambda: self.transport.go_to_end(False), "Home", group="Playback")
        self.act_end = a("Go to end", lambda: self.transport.go_to_end(True), "End", group="Playback")
        self.act_mark_in = a("Mark in (then an event key adds an interval)", self.annotate.mark_in, MARK_IN_KEY,
                             group="Annotate")
        self.act_delete = a("Delete selected event", self.delete_annotation, "Delete", group="Annotate")
        self.act_keys = a("Event keys…", self.annotate.edit_keys, group="Annotate")
        self.act_detect_shots = a("Detect shots…", self.shots.detect_shots, "Ctrl+Shift+D", group="Annotate")
        self.act_escape = a("Cancel mark / close overlay", self.cancel_mark, "Esc", group="Annotate")
        self.act_nudge_fwd = a("Nudge track +1 frame", lambda: self.nudge(frames=1), "Alt+Right", group="Timeline")
        self.act_nudge_back = a("Nudge track −1 frame", lambda: self.nudge(frames=-1), "Alt+Left", group="Timeline")
        self.act_nudge_ms_fwd = a("Nudge track +1 ms", lambda: self.nudge(milliseconds=1), "Alt+Shift+Right",
                                  group="Timeline")
        self.act_nudge_ms_back = a("Nudge track −1 ms", lambda: self.nudge(milliseconds=-1), "Alt+Shift+Left",
                                   group="Timeline")
        self.act_zoom_in = a("Zoom timeline in", lambda: self.timeline.zoom_at(1.5), ["Ctrl+=", "Ctrl++"], group="Timeline")
        self.act_zoom_out = a("Zoom timeline out", lambda: self.timeline.zoom_at(1 / 1.5), "Ctrl+-", group="Timeline")
        self.act_fit = a("Whole incident", self.timeline.fit, "Ctrl+0", group="Timeline")
        self.act_align = a("Run alignment", self.run_alignment, "Ctrl+R", group="Project")
        self.act_verify = a("Verify hashes", self.verify_hashes, "Ctrl+Shift+V", group="Project")
        self.relink = RelinkController(self)  # missing sources found again by SHA-256 (ui/relink.py)
        self.act_relink = a("Relink missing sources…", self.relink.relink_dialog, group="Project")
        self.act_export = a("Export…", self.exports.export_dialog, "Ctrl+E", group="Project")
        self.act_single = a("Enlarge focused view / back to grid", lambda: self.grid.toggle_single(self.grid.focused_view),
                            "G", group="View")
        self.act_large = a("Focused view large, the others as a strip / back to grid",
                           lambda: self.grid.toggle_large(self.grid.focused_view), "Shift+G", group="View")
        self.act_full = a("Full screen: focused view alone / back", lambda: toggle_full_screen(self), "F11", group="View")
        self.act_still = a("Export still of the focused view…", lambda: export_still_dialog(self), "Ctrl+Shift+P",
                           group="View")
        self.act_reset_zoom = a("Reset view zoom", self.transport.reset_view_zoom, "Z", group="View")
        self.act_overlay = a("Keyboard shortcuts", lambda: self.overlay.toggle(), ["?", "F1"], group="View")
        self._build_place_actions()

    def _build_place_actions(self) -> None:
        """Jumps, and placing by hand (ui.controllers.placement): a view's own clock, ties (issue 19)."""
        a = self._action
        self.act_jump = [a(f"Jump {abs(s)} s {'later' if s > 0 else 'earlier'}", lambda s=s: self.transport.jump(s),
                           keys, group="Playback")
                         for s, keys in ((1, "Ctrl+Right"), (-1, "Ctrl+Left"), (10, "Ctrl+Shift+Right"),
                                         (-10, "Ctrl+Shift+Left"))]
        self.act_unlink = a("Unlink / link the focused view (it steps on its own clock)", self.placement.toggle_link,
                            "U", group="Place")
        self.act_tie = a("Tie: the focused view's frame = the previous view's frame", self.placement.tie, "T",
                         group="Place")
        suggest = self.placement.suggest  # suggestions and "search near here" (ui.controllers.suggestions)
        self.act_suggest = [a(text, slot, group="Place") for text, slot in (
            ("Search near here (the selected track's rough position)", suggest.search_near),
            ("Accept the selected track's placement by device clocks", lambda: suggest.decide(accept=True)),
            ("Reject the selected track's placement by device clocks", lambda: suggest.decide(accept=False)),
            ("Look where the refused audio candidate puts the selected track", suggest.look),
            ("Place the selected track roughly where the refused audio candidate puts it", suggest.place_at_candidate))]

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Transport")
        bar.setObjectName("transportToolbar")
        bar.setMovable(False)
        for act, text in ((self.act_open, "Open"), (self.act_save, "Save"), (self.act_add, "Add media")):
            self._tool(bar, act, text)
        bar.addSeparator()
        for act, text in ((self.act_prev_event, "◀ event"), (self.act_prev_frame, "◀|"), (self.act_j, "◀◀"),
                          (self.act_play, "▶ / ❚❚"), (self.act_l, "▶▶"), (self.act_next_frame, "|▶"),
                          (self.act_next_event, "event ▶")):
            self._tool(bar, act, text)
        bar.addSeparator()
        self.clock_label = QLabel("0:00:00.000", self)
        self.clock_label.setObjectName("clockReadout")
        self.clock_label.setToolTip("shared clock (H:MM:SS.mmm)")
        bar.addWidget(self.clock_label)
        self.rate_label = QLabel("+1x", self)
        self.rate_label.setObjectName("rateReadout")
        bar.addWidget(self.rate_label)
        self.wall_label = QLabel("", self)
        self.wall_label.setObjectName("wallReadout")
        self.wall_label.setToolTip("wall clock (from the project's wall clock, or a burned-in device clock)")
        self.wall_action = bar.addWidget(self.wall_label)
        self.wall_action.setVisible(False)
        spacer = QWidget(self)
        spacer.setObjectName("toolbarSpacer")
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self._tool(bar, self.act_align, "Run alignment")
        self._tool(bar, self.act_export, "Export")
        self._tool(bar, self.act_overlay, "?")

    @staticmethod
    def _tool(bar, action: QAction, text: str) -> None:
        bar.addAction(action)
        button = bar.widgetForAction(action)
        if button is not None:
            button.setText(text)
            keys = action.shortcut().toString()
            button.setToolTip(f"{action.text()} ({keys})" if keys else action.text())

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for act in (self.act_new, self.act_open):
            file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open recent")
        self.files.rebuild_recent_menu()
        for act in (self.act_save, self.act_save_as, None, self.act_add, None, self.act_quit):
            file_menu.addSeparator() if act is None else file_menu.addAction(act)
        edit = menus.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo, None, self.act_delete, self.act_keys):
            edit.addSeparator() if act is None else edit.addAction(act)
        play = menus.addMenu("&Playback")
        for act in (self.act_play, self.act_j, self.act_k, self.act_l, None, self.act_prev_frame, self.act_next_frame,
                    self.act_src_prev, self.act_src_next, None, self.act_prev_event, self.act_next_event,
                    self.act_home, self.act_end):
            play.addSeparator() if act is None else play.addAction(act)
        self.annotate_menu = menus.addMenu("&Annotate")
        sources = menus.addMenu("&Sources")
        for act in (self.act_align, self.act_verify, self.act_relink, None, self.act_unlink, self.act_tie, *self.act_suggest, None,
                    self.act_nudge_back, self.act_nudge_fwd, self.act_nudge_ms_back, self.act_nudge_ms_fwd):
            sources.addSeparator() if act is None else sources.addAction(act)
        export = menus.addMenu("E&xport")
        for fmt, (text, _suffix) in EXPORT_FORMATS.items():
            export.addAction(f"{fmt}: {text}…", lambda f=fmt: self.exports.export_dialog(f))
        export.addSeparator()
        export.addAction(self.act_still)
        export.addAction(self.act_verify)
        view = menus.addMenu("&View")
        for dock in (self.sources_dock, self.annotations_dock, self.timeline_dock, self.shots_dock):
            view.addAction(dock.toggleViewAction())
        self.dock_fitter = DockFitter(self)  # narrow window: Sources and Annotations as tabs (ui/viewmodes.py)
        self.tile_order = TileOrderMemory(self)  # the tiles' dragged order, per project (ui/viewmodes.py)
        for act in (None, self.act_single, self.act_large, self.act_full, self.act_still, self.act_reset_zoom, self.act_zoom_in, self.act_zoom_out, self.act_fit,
                    None, self.act_overlay):
            view.addSeparator() if act is None else view.addAction(act)

    def shortcut_entries(self) -> list[tuple[str, str, str]]:
        """``(group, keys, text)`` of every action with a shortcut, then the mouse gestures
        (:data:`MOUSE_GESTURES`): the ``?`` overlay."""
        entries = []
        actions = [a for a in self.actions() if a.shortcuts()]
        for action in actions:
            group = action.property("group") or "Annotate"
            keys = " / ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
            entries.append((group, keys, action.text().replace("&", "")))
        order = ["Project", "Edit", "Playback", "Place", "Annotate", "Timeline", "View"]
        ordered = sorted(entries, key=lambda e: order.index(e[0]) if e[0] in order else len(order))
        return ordered + [("Mouse", gesture, text) for gesture, text in MOUSE_GESTURES]

    # ------------------------------------------------------------- readouts
    def _on_time(self, t: float) -> None:
        self.clock_label.setText(format_hms(t, 3))
        wall = self._wall_args()[0]
        if wall is not None:
            # the date over the time, two short lines: the toolbar keeps room for every button at 1366 px
            self.wall_label.setText(format_datetime_ms(wall + _dt.timedelta(seconds=t)).replace(" ", "\n", 1))
        self.wall_action.setVisible(wall is not None)

    def _on_playing(self, playing: bool) -> None:
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setChecked(playing)

    def update_title(self) -> None:
        """The title bar and the status bar's summary: label, unsaved star, counts."""
        project = self.project
        star = " *" if self.has_unsaved_changes else ""
        self.setWindowTitle(f"{project.label}{star} — timesync")
        self.project_label.setText(f"{project.label}{star}  ·  {len(project.sources)} sources  ·  "
                                   f"{len(project.annotations)} events")
