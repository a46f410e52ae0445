"""MainWindow: players, timeline, sources and annotation docks, toolbar, menus; layout and wiring.

The window owns one :class:`~ui.clock.PlaybackClock`, one ``QUndoStack`` and one
:class:`~ui.bridge.ProjectBridge` over the current core project. What it does lives in its
controllers (:mod:`ui.controllers`: files, media, alignment, shots, exports, annotate, transport,
placement, runner) and in :mod:`ui.start` (the start screen) and :mod:`ui.focus`. Every edit is an
undoable command calling the project's methods; views redraw from the project's change events;
errors go to the in-window :class:`~ui.messages.MessageBar`.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMessageBox, QVBoxLayout, QWidget

from timesync.errors import ProjectError
from timesync.project import Project
from ui.annotations import AnnotationPanel
from ui.audio.actions import audio_actions
from ui.bridge import ProjectBridge
from ui.clock import PlaybackClock
from ui.controllers import (
    AlignmentController,
    AnnotateController,
    ExportController,
    FileController,
    JobRunner,
    MediaController,
    PlacementController,
    ShotsController,
    TransportController,
)
from ui.controllers.files import autosave_path
from ui.focus import FocusKeeper
from ui.grid import PlayerGrid
from ui.messages import MessageBar
from ui.shortcut_overlay import ShortcutOverlay
from ui.shots import ShotPanel
from ui.sources import SourcesPanel
from ui.start import StartController
from ui.thumbnails import ThumbnailLoader
from ui.timeline import TimelineEvent, TimelinePanel
from ui.window_chrome import MARK_IN_KEY, WindowChrome
from ui.workers import Job

__all__ = ["MainWindow", "autosave_path", "ask_unsaved", "MARK_IN_KEY"]


def ask_unsaved(parent: QWidget, label: str) -> str:
    """Ask what to do with unsaved changes: ``"save"``, ``"discard"`` or ``"cancel"``.

    A module-level function so tests can replace it (no modal dialog in tests).
    """
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent, "Unsaved changes", f"{label} has unsaved changes. Save them?",
        buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save,
    )
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


class MainWindow(QMainWindow, WindowChrome):
    """The reviewer's window (see the module docstring).

    Parameters
    ----------
    settings : QSettings or None
        Where layout, recent files and keys are kept (tests pass a temporary one).
    autosave_s : float
        Seconds between autosaves of a dirty project (0: never).

    Signals
    -------
    projectChanged(object)
        A new project is shown.
    jobFinished(str, object)
        A job ("align", "export", "verify", "add", "shots") ended with its result (or ``None``).
    """

    projectChanged = Signal(object)
    jobFinished = Signal(str, object)

    def __init__(self, settings: QSettings | None = None, *, autosave_s: float = 60.0) -> None:
        super().__init__()
        self.setWindowTitle("timesync")
        self.setObjectName("timesyncMain")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings("timesync", "timesync-app")
        self.clock = PlaybackClock(self)
        self.undo = QUndoStack(self)
        self.bridge: ProjectBridge | None = None
        self._build_controllers()
        self._build_views()
        self._build_status_bar()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self.overlay = ShortcutOverlay(self)
        self.overlay.set_entries(self.shortcut_entries())
        self._connect_clock()
        self.focus_keeper = FocusKeeper(self)  # the keys come back to the window after any dialog
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave)
        if autosave_s > 0:
            self._autosave_timer.start(round(autosave_s * 1000))
        self.set_project(Project())
        self._restore_layout()

    def _build_controllers(self) -> None:
        self.runner = JobRunner(self)
        self.jobs: dict[str, Job] = self.runner.jobs
        self._guard = self.runner.guard
        self.files = FileController(self)
        self.media = MediaController(self)
        self.alignment = AlignmentController(self)
        self.shots = ShotsController(self)
        self.exports = ExportController(self)
        self.annotate = AnnotateController(self)
        self.transport = TransportController(self)
        self.placement = PlacementController(self)

    def _build_views(self) -> None:
        self.messages = MessageBar(self)
        self.grid = PlayerGrid(self.clock, self)
        self.grid.failed.connect(self.messages.error)
        self.audio_actions = audio_actions(self, self.grid)  # mix / mute / solo keys (ui/audio/actions.py)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.messages)
        layout.addWidget(self.grid, 1)
        self.start = StartController(self)  # shown instead of the grid while there are no sources
        layout.addWidget(self.start.screen, 1)
        self.setCentralWidget(central)
        self._build_timeline()
        self.sources_dock = self._dock("Sources", "sourcesDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.annotations_dock = self._dock("Annotations", "annotationsDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.timeline_dock = self._dock("Timeline", "timelineDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.timeline_dock.setWidget(self.timeline_panel)
        self.shots_panel = ShotPanel(self)
        self.shots_panel.seekRequested.connect(self.clock.seek)
        self.shots_panel.decisionsChanged.connect(self.shots.show_markers)
        self.shots_panel.addRequested.connect(self.shots.add_accepted_shots)
        self.shots_panel.view.currentCellChanged.connect(
            lambda *_: self.timeline.set_selected_shot(self.shots_panel.selected_id()))
        self.timeline.shotClicked.connect(self.shots_panel.select)
        self.shots_dock = self._dock("Shot candidates", "shotsDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.shots_dock.setWidget(self.shots_panel)
        self.shots_dock.hide()

    def _build_timeline(self) -> None:
        self.timeline_panel = TimelinePanel(self.clock, self)
        self.timeline = self.timeline_panel.timeline
        self.timeline.seekRequested.connect(self.clock.seek)
        self.timeline.clockEdited.connect(self.media.set_source_clock)
        self.timeline.roughPlaced.connect(self.placement.place_rough)
        self.timeline.eventClicked.connect(self._on_event_clicked)
        self.timeline.trackSelected.connect(self._on_track_selected)
        self.timeline.frame_times = self._frame_times
        self.thumbnails = ThumbnailLoader(parent=self)
        self.timeline.set_thumbnail_loader(self.thumbnails)

    def _connect_clock(self) -> None:
        """The toolbar's readouts and the title follow the clock and the undo stack.

        Playback wiring goes here too (the clock drives every view; an audio
        output would follow ``clock.timeChanged`` / ``playingChanged`` / ``rateChanged``).
        """
        self.clock.timeChanged.connect(self._on_time)
        self.clock.playingChanged.connect(self._on_playing)
        self.clock.rateChanged.connect(self._guard(lambda r: self.rate_label.setText(f"{r:+g}x")))
        self.undo.cleanChanged.connect(self._guard(lambda _clean: self.update_title()))

    # ================================================================ project
    @property
    def project(self) -> Project:
        """The project shown."""
        assert self.bridge is not None
        return self.bridge.project

    def set_project(self, project: Project) -> None:
        """Show ``project`` (replaces the current one without asking: see :meth:`open_project`)."""
        if self.bridge is not None:
            self.bridge.detach()
            self.bridge.deleteLater()
        self.clock.pause()
        self.undo.clear()
        self.annotate.mark_in_s = None
        self.files.recovered = False
        if hasattr(self, "shots_panel"):
            self.shots.clear()
        self.bridge = ProjectBridge(project, self)
        self.bridge.sourcesChanged.connect(self._on_sources_changed)
        self.bridge.annotationsChanged.connect(self._on_annotations_changed)
        self.bridge.dirtyChanged.connect(self._guard(lambda _d: self.update_title()))
        self.bridge.vocabularyChanged.connect(self.annotate.rebuild_type_actions)
        self._build_project_panels()
        self._on_sources_changed()
        self._on_annotations_changed()
        self.annotate.rebuild_type_actions()
        self.timeline.fit()
        start, _end = self.bridge.shared_span()
        self.clock.seek(start)
        for warning in project.warnings:
            self.messages.warning(warning)
        self.update_title()
        self.projectChanged.emit(project)

    def _build_project_panels(self) -> None:
        """The sources and annotation panels, made anew over each project's bridge."""
        for dock in (self.sources_dock, self.annotations_dock):
            old = dock.widget()
            if old is not None:
                old.setParent(None)
                old.deleteLater()
        self.sources_panel = SourcesPanel(self.bridge, self.undo, self)
        self.sources_panel.sourceSelected.connect(self._on_source_selected)
        self.sources_panel.model.editFailed.connect(self.messages.error)
        self.sources_dock.setWidget(self.sources_panel)
        self.annotation_panel = AnnotationPanel(self.bridge, self.undo, self)
        self.annotation_panel.seekRequested.connect(self.clock.seek)
        self.annotation_panel.annotationSelected.connect(self.timeline.set_selected_event)
        self.annotation_panel.model.editFailed.connect(self.messages.error)
        self.annotations_dock.setWidget(self.annotation_panel)

    # ============================================== the controllers' entry points
    # (kept on the window: tests, docs/make_screenshots.py and bench/ call them)
    def open_project(self, path: str | os.PathLike[str]) -> bool:
        """Open a project file (:meth:`FileController.open_project <ui.controllers.files.FileController.open_project>`)."""
        return self.files.open_project(path)

    def save(self) -> bool:
        """Save to the project's file (asks for one if it has none); False if not saved."""
        return self.files.save()

    def maybe_save(self) -> bool:
        """Before dropping the project: True when it is safe to go on (asks with :func:`ask_unsaved`)."""
        return self.files.maybe_save(ask_unsaved)

    @property
    def has_unsaved_changes(self) -> bool:
        """True when closing now would lose something."""
        return self.files.has_unsaved_changes

    def autosave(self) -> Path | None:
        """Write the recovery file of a dirty project that has a path; returns it (or ``None``)."""
        return self.files.autosave()

    def recover(self, path: str | os.PathLike[str]) -> bool:
        """Replace the shown project by its autosave (the project file is not touched until saved)."""
        return self.files.recover(path)

    def recent_files(self) -> list[str]:
        """Recently opened or saved projects, newest first."""
        return self.files.recent_files()

    def add_media(self, paths: list[str | os.PathLike[str]]) -> Job | None:
        """Hash and probe files in a worker, then add them to the project."""
        return self.media.add_media(paths)

    def verify_hashes(self) -> Job:
        """Re-hash every source in the background."""
        return self.media.verify_hashes()

    def nudge(self, frames: int = 0, milliseconds: int = 0) -> None:
        """Nudge the selected track by frames and/or milliseconds."""
        self.media.nudge(frames, milliseconds)

    def run_alignment(self) -> Job | None:
        """Align every source in a worker (:mod:`ui.controllers.alignment`)."""
        return self.alignment.run_alignment()

    def export(self, fmt: str, out: str | os.PathLike[str], *, force: bool = False, **options) -> Job:
        """Export a snapshot of the project in a worker."""
        return self.exports.export(fmt, out, force=force, **options)

    def add_annotation(self, event_type: str) -> None:
        """Add an event at the playhead (an interval from the mark-in, if set)."""
        self.annotate.add_annotation(event_type)

    def cancel_mark(self) -> None:
        """Forget the mark-in, hide the overlay."""
        self.annotate.cancel_mark()

    def delete_annotation(self) -> None:
        """Delete the selected annotation (undoable)."""
        self.annotate.delete_annotation()

    def step_frame(self, direction: int) -> None:
        """One frame of the focused source on the shared clock (+1 next, -1 previous)."""
        self.transport.step_frame(direction)

    def step_source(self, direction: int) -> None:
        """One frame of the focused view only (clock unchanged)."""
        self.transport.step_source(direction)

    def jump_event(self, direction: int) -> None:
        """Seek to the next (+1) or previous (-1) event."""
        self.transport.jump_event(direction)

    # ================================================================ updates
    def _on_sources_changed(self) -> None:
        bridge = self.bridge
        specs = bridge.specs()
        self.grid.set_sources(specs)
        self.timeline.set_sources(specs, bridge.extents())
        self.timeline.set_wall_clock(*self._wall_args())
        start, end = bridge.shared_span()
        self.clock.set_range(start, end)
        self.media.load_envelopes(specs)

    def _frame_times(self, name: str):
        """Exact local frame start times of a source, from its view's FrameIndex (``None`` if not open)."""
        view = self.grid.view_for(name)
        index = view.index if view is not None else None
        return None if index is None else index.times

    def _wall_args(self):
        wall = self.bridge.wall_clock() if self.bridge is not None else None
        return (None, "") if wall is None else wall

    def _on_annotations_changed(self) -> None:
        events = [TimelineEvent(a.id, a.type, a.shared_s, a.end_s) for a in self.project.annotations]
        self.timeline.set_events(events)
        start, end = self.bridge.shared_span()
        self.clock.set_range(start, end)

    def _on_event_clicked(self, annotation_id: str) -> None:
        self.annotation_panel.select(annotation_id)
        try:
            self.clock.seek(self.project.annotation(annotation_id).shared_s)
        except ProjectError:
            pass

    def _on_track_selected(self, name: str) -> None:
        view = self.grid.view_for(name)
        if view is not None:
            self.grid.set_focused(view)

    def _on_source_selected(self, name: str) -> None:
        self.timeline.select_source(name)
        self._on_track_selected(name)

    # ============================================================ drag & drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.files.drop_files([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    # ================================================================ layout
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)

    def save_layout(self) -> None:
        """Remember the window geometry and dock layout."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.save_layout()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop playback, workers and jobs (the window can then be dropped)."""
        self.runner.closed = True
        self.clock.pause()
        self._autosave_timer.stop()
        self.runner.cancel_all()
        self.grid.shutdown()
        self.timeline.shutdown()
        self.runner.background.waitForDone(5000)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.hide()
            self.overlay.toggle()
