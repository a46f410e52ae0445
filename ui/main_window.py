"""MainWindow: players, timeline, sources and annotation docks, toolbar, menus, autosave.

The window owns one :class:`~ui.clock.PlaybackClock`, one ``QUndoStack`` and
one :class:`~ui.bridge.ProjectBridge` over the current core project. Every
edit is an undoable command calling the project's methods; long work
(alignment, exports, hashing, waveforms) runs in :mod:`ui.workers` jobs.
Errors are shown in the in-window :class:`~ui.messages.MessageBar`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from timesync.clock import IDENTITY, ClockMap, shared_frame_start
from timesync.errors import ProjectError, TimesyncError
from timesync.project import Project
from timesync.timeutil import format_hms
from ui.annotations import AnnotationPanel
from ui.audio.actions import audio_actions
from ui.bridge import ProjectBridge
from ui.clock import PlaybackClock
from ui.commands import (
    AddAnnotationCommand,
    AddShotsCommand,
    ApplyAlignmentCommand,
    SetClockCommand,
    push,
)
from ui.dialogs import DEFAULT_TYPE_KEYS, ExportDialog, KeysDialog, ShortcutOverlay
from ui.messages import MessageBar
from ui.player import PlayerGrid
from ui.shots import ShotPanel
from ui.sources import SourcesPanel
from ui.spec import format_datetime_ms
from ui.thumbnails import ThumbnailLoader
from ui.timeline import ShotMarker, TimelineEvent, TimelinePanel
from ui.window_chrome import MARK_IN_KEY, WindowChrome
from ui.workers import ENVELOPE_HZ, Job, audio_envelope, start_job

__all__ = ["MainWindow", "autosave_path", "ask_unsaved", "MARK_IN_KEY"]

RECENT_MAX = 8
MEDIA_FILTER = "Media (*.mp4 *.mov *.m4v *.mkv *.avi *.mts *.m2ts *.ts *.wav *.mp3 *.m4a *.aac *.flac *.ogg *.opus);;All files (*)"


def autosave_path(project_path: Path) -> Path:
    """The recovery file of a project: ``.incident.json.autosave`` beside ``incident.json``."""
    return project_path.with_name(f".{project_path.name}.autosave")


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
        self.background = QThreadPool(self)
        self.background.setMaxThreadCount(1)
        self.jobs: dict[str, Job] = {}
        self._envelopes: dict[str, object] = {}
        self._mark_in: float | None = None
        self._recovered = False
        self._closed = False
        self._background_jobs: list[Job] = []
        self.bridge: ProjectBridge | None = None
        self._type_actions: list[QAction] = []

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
        self.setCentralWidget(central)

        self.timeline_panel = TimelinePanel(self.clock, self)
        self.timeline = self.timeline_panel.timeline
        self.timeline.seekRequested.connect(self.clock.seek)
        self.timeline.clockEdited.connect(self.set_source_clock)
        self.timeline.eventClicked.connect(self._on_event_clicked)
        self.timeline.trackSelected.connect(self._on_track_selected)
        self.timeline.frame_times = self._frame_times
        self.thumbnails = ThumbnailLoader(parent=self)
        self.timeline.set_thumbnail_loader(self.thumbnails)
        self.sources_dock = self._dock("Sources", "sourcesDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.annotations_dock = self._dock("Annotations", "annotationsDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.timeline_dock = self._dock("Timeline", "timelineDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.timeline_dock.setWidget(self.timeline_panel)
        self.shots_panel = ShotPanel(self)
        self.shots_panel.seekRequested.connect(self.clock.seek)
        self.shots_panel.decisionsChanged.connect(self._show_shot_markers)
        self.shots_panel.addRequested.connect(self.add_accepted_shots)
        self.shots_panel.view.currentCellChanged.connect(
            lambda *_: self.timeline.set_selected_shot(self.shots_panel.selected_id()))
        self.timeline.shotClicked.connect(self.shots_panel.select)
        self.shots_dock = self._dock("Shot candidates", "shotsDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.shots_dock.setWidget(self.shots_panel)
        self.shots_dock.hide()

        self._build_status_bar()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self.overlay = ShortcutOverlay(self)
        self.overlay.set_entries(self.shortcut_entries())

        self.clock.timeChanged.connect(self._on_time)
        self.clock.playingChanged.connect(self._on_playing)
        self.clock.rateChanged.connect(self._guard(lambda r: self.rate_label.setText(f"{r:+g}x")))
        self.undo.cleanChanged.connect(self._guard(lambda _clean: self._update_title()))

        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave)
        if autosave_s > 0:
            self._autosave_timer.start(round(autosave_s * 1000))

        self.set_project(Project())
        self._restore_layout()

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
        self._mark_in = None
        self._recovered = False
        if hasattr(self, "shots_panel"):
            self.shots_panel.set_table(None)
            self.timeline.set_shot_candidates([])
        self.bridge = ProjectBridge(project, self)
        self.bridge.sourcesChanged.connect(self._on_sources_changed)
        self.bridge.annotationsChanged.connect(self._on_annotations_changed)
        self.bridge.dirtyChanged.connect(self._guard(lambda _d: self._update_title()))
        self.bridge.vocabularyChanged.connect(self._rebuild_type_actions)
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
        self._on_sources_changed()
        self._on_annotations_changed()
        self._rebuild_type_actions()
        self.timeline.fit()
        start, _end = self.bridge.shared_span()
        self.clock.seek(start)
        for warning in project.warnings:
            self.messages.warning(warning)
        self._update_title()
        self.projectChanged.emit(project)

    def new_project(self) -> None:
        """An empty project (asks first about unsaved changes)."""
        if self.maybe_save():
            self.set_project(Project())

    def open_project(self, path: str | os.PathLike[str]) -> bool:
        """Open a project file; on failure, the message bar says why and the current project stays."""
        path = Path(path)
        if not self.maybe_save():
            return False
        try:
            project = Project.load(path, verify=False)
        except (TimesyncError, OSError, ValueError) as exc:
            self.messages.error(_sentence(exc, path))
            return False
        _unverify(project)
        self.set_project(project)
        self._add_recent(path)
        self.verify_hashes()
        self._offer_recovery(path)
        return True

    def save(self) -> bool:
        """Save to the project's file (asks for one if it has none); False if not saved."""
        if self.project.path is None:
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Save to ``path`` (asks when ``None``)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save project", str(self._default_folder() / "incident.json"),
                                                    "Project (*.json)")
            if not chosen:
                return False
            path = chosen
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            written = self.project.save(path)
        except (TimesyncError, OSError) as exc:
            self.messages.error(_sentence(exc, path))
            return False
        self._recovered = False
        self.undo.setClean()
        recovery = autosave_path(written)
        if recovery.exists():
            try:
                recovery.unlink()
            except OSError as exc:
                self.messages.warning(f"{recovery}: could not remove the recovery file ({exc.strerror})")
        self._add_recent(written)
        self.statusBar().showMessage(f"saved {written}", 4000)
        self._update_title()
        return True

    @property
    def has_unsaved_changes(self) -> bool:
        """True when closing now would lose something."""
        return self.project.is_dirty or self._recovered

    def maybe_save(self) -> bool:
        """Before dropping the project: True when it is safe to go on."""
        if not self.has_unsaved_changes:
            return True
        answer = ask_unsaved(self, self.project.label)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ---------------------------------------------------------------- autosave
    def autosave(self) -> Path | None:
        """Write the recovery file of a dirty project that has a path; returns it (or ``None``)."""
        project = self.project
        if not project.is_dirty or project.path is None:
            return None
        from timesync.project.store import atomic_write_bytes, dumps_project

        target = autosave_path(project.path)
        try:
            atomic_write_bytes(target, dumps_project(project.to_dict()))
        except (TimesyncError, OSError) as exc:
            self.messages.warning(f"{target}: autosave failed ({exc})")
            return None
        self.statusBar().showMessage(f"autosaved to {target.name}", 3000)
        return target

    def _offer_recovery(self, path: Path) -> None:
        recovery = autosave_path(path)
        try:
            newer = recovery.is_file() and recovery.stat().st_mtime >= path.stat().st_mtime
        except OSError:
            newer = False
        if newer:
            self.messages.warning(
                f"{path.name}: a newer autosave with unsaved changes was found ({recovery.name}).",
                ("Recover", lambda: self.recover(path)),
            )

    def recover(self, path: Path) -> bool:
        """Replace the shown project by its autosave (the project file is not touched until saved)."""
        import json

        recovery = autosave_path(Path(path))
        try:
            data = json.loads(recovery.read_text(encoding="utf-8"))
            project = Project.from_dict(data, path=path)
        except (TimesyncError, OSError, ValueError) as exc:
            self.messages.error(_sentence(exc, recovery))
            return False
        _unverify(project)
        self.set_project(project)
        self._recovered = True
        self._update_title()
        self.messages.info(f"{Path(path).name}: recovered the autosaved changes; save to keep them.")
        self.verify_hashes()
        return True

    # ----------------------------------------------------------------- recent
    def recent_files(self) -> list[str]:
        """Recently opened or saved projects, newest first."""
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        text = str(Path(path).absolute())
        items = [text] + [p for p in self.recent_files() if p != text]
        self.settings.setValue("recent", items[:RECENT_MAX])
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        menu = getattr(self, "recent_menu", None)
        if menu is None:
            return
        menu.clear()
        for item in self.recent_files():
            menu.addAction(item, lambda p=item: self.open_project(p))
        menu.setEnabled(bool(self.recent_files()))

    def _default_folder(self) -> Path:
        return self.project.path.parent if self.project.path is not None else Path.cwd()

    # ================================================================ sources
    def add_media(self, paths: list[str | os.PathLike[str]]) -> Job | None:
        """Hash and probe files in a worker, then add them to the project (reports bad files)."""
        paths = [Path(p) for p in paths]
        if not paths:
            return None
        from timesync.project.verify import hash_file, probe_summary

        def work(progress, files):
            done = []
            for i, path in enumerate(files):
                progress(i / len(files), f"hashing {path.name}")
                try:
                    done.append((path, hash_file(path), probe_summary(path), None))
                except (TimesyncError, OSError) as exc:
                    done.append((path, None, None, _sentence(exc, path)))
            return done

        return self._run_job("add", f"adding {len(paths)} file(s)", Job(work, paths), self._on_media_hashed)

    def _on_media_hashed(self, results) -> None:
        project = self.project
        for path, digest, summary, error in results:
            if error is not None:
                self.messages.error(error)
                continue
            try:
                first = project.reference is None and not project.sources
                source = project.add_source(path, sha256=digest, probe=summary,
                                            clock=IDENTITY if first else None,
                                            reason="" if first else "not aligned yet: run alignment")
                project.set_hash_status(source.name, "verified")
                if first:
                    project.set_reference(source.name)
            except (TimesyncError, OSError) as exc:
                self.messages.error(_sentence(exc, path))

    def set_source_clock(self, name: str, clock: ClockMap) -> None:
        """Place a source by hand (undoable; recorded as "manual" in the history)."""
        try:
            push(self.undo, SetClockCommand(self.project, name, clock))
        except TimesyncError as exc:
            self.messages.error(str(exc))

    def nudge(self, frames: int = 0, milliseconds: int = 0) -> None:
        """Nudge the selected track (timeline selection, else the focused view's source)."""
        name = self.timeline.selected_source
        if name is None and self.grid.focused_view is not None:
            name = self.grid.focused_view.spec.name
            self.timeline.select_source(name)
        if name is None:
            self.messages.info("select a track first (click it in the timeline)")
            return
        if frames:
            self.timeline.nudge_selected_frames(frames)
        if milliseconds:
            self.timeline.nudge_selected_ms(milliseconds)

    def verify_hashes(self) -> Job:
        """Re-hash every source in the background; statuses and problems appear when done."""
        from timesync.project.verify import check_sources

        snapshot = Project.from_dict(self.project.to_dict(), path=self.project.path)
        project = self.project

        def work(progress, snap):
            progress(0.0, "verifying hashes")
            return check_sources(snap)

        def done(checks):
            if self.project is not project:
                return
            problems = 0
            for check in checks:
                if project.has_source(check.name):
                    project.set_hash_status(check.name, check.status)
                if check.status != "verified":
                    problems += 1
                    (self.messages.error if check.status in ("changed", "missing") else self.messages.warning)(check.message)
            if not problems and checks:
                self.statusBar().showMessage(f"all {len(checks)} sources verified", 5000)

        return self._run_job("verify", "verifying hashes", Job(work, snapshot), done, pool=self.background)

    # ============================================================== alignment
    def run_alignment(self) -> Job | None:
        """Align every source, with the project's anchors, in a worker (progress, cancel):
        :func:`timesync.workflow.alignment_request`, then :meth:`_on_aligned`."""
        from timesync.workflow import alignment_request

        project = self.project
        if len(project.sources) < 2:
            self.messages.info("add at least two recordings before running alignment")
            return None
        try:
            request = alignment_request(project)
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return None

        def work(progress, req):
            return req.run(progress)

        return self._run_job("align", "aligning", Job(work, request), self._on_aligned, cancellable=True)

    def _on_aligned(self, result) -> None:
        """A new project when the open one holds only its set-up, else an undoable
        re-alignment (:func:`timesync.workflow.fresh_project` decides)."""
        from timesync.workflow import fresh_project

        data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        project = self.project
        try:
            fresh = fresh_project(project, data)
            if fresh is None:
                push(self.undo, ApplyAlignmentCommand(project, data))
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return
        if fresh is not None:
            self._adopt(fresh)
            return
        self.messages.info("alignment applied to the open project (undo reverts it)")

    def _adopt(self, fresh: Project) -> None:
        """Show a project built from a sync result (it has the old one's roles and path)."""
        self.set_project(fresh)
        unaligned = [s.name for s in fresh.sources if s.clock is None]
        text = "alignment done"
        if unaligned:
            text += "; not aligned: " + ", ".join(unaligned)
            self.messages.warning(text)
        else:
            self.messages.info(text)

    # ================================================================== shots
    def detect_shots(self) -> Job | None:
        """Find shot candidates with the core's ``timesync.events.detect_shots`` in a worker (progress, cancel)."""
        project = self.project
        if not project.sources:
            self.messages.info("add recordings before detecting shots")
            return None
        data = project.to_dict()
        if project.path is None:  # a snapshot without a file resolves relative paths from the cwd
            for entry in data.get("sources", []):
                entry["path"] = str(project.resolve(entry["name"]))
        snapshot = Project.from_dict(data, path=project.path)

        def work(progress, snap):
            from timesync.events import detect_shots

            return detect_shots(snap, progress=progress)

        def done(table):
            if self.project is not project:
                return
            earlier = self.shots_panel.table
            carried = table.carry_decisions(earlier) if earlier is not None else 0
            self.shots_panel.set_table(table)
            self._show_shot_markers()
            self.shots_dock.show()
            self.shots_dock.raise_()
            kept = f"; {carried} earlier decision(s) kept" if carried else ""
            self.statusBar().showMessage(
                f"{len(table.shots)} shot candidate(s): accept (A) or reject (R){kept}", 6000)

        return self._run_job("shots", "detecting shots", Job(work, snapshot), done, cancellable=True)

    def add_accepted_shots(self) -> list:
        """Add the accepted candidates as "shot fired" events (one undo step); returns the new events."""
        table = self.shots_panel.table
        if table is None or not any(s.accepted is True for s in table.shots):
            self.messages.info("accept at least one shot candidate first (A)")
            return []
        command = AddShotsCommand(self.project, table)
        try:
            command.apply()
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return []
        added = command.annotations or []
        if added:
            command._skip_redo = True
            self.undo.push(command)
            self.statusBar().showMessage(f"added {len(added)} shot fired event(s)", 4000)
        else:
            self.messages.info("the accepted shots are already annotated")
        self.shots_panel.refresh()
        return added

    def _show_shot_markers(self) -> None:
        table = self.shots_panel.table
        shots = table.shots if table is not None else []
        self.timeline.set_shot_candidates([ShotMarker(s.id, s.shared_s, s.accepted) for s in shots])

    # ================================================================ exports
    def export_dialog(self, fmt: str = "csv") -> None:
        """Ask for a format and options, then export in a worker."""
        dialog = ExportDialog(self, fmt=fmt, folder=self._default_folder(), stem=Path(self.project.label).stem,
                              sources=[s.name for s in self.project.sources])
        if dialog.exec():
            fmt, out, force, options = dialog.values()
            self.export(fmt, out, force=force, **options)

    def export(self, fmt: str, out: str | os.PathLike[str], *, force: bool = False, **options) -> Job:
        """Export a snapshot of the project with the core's ``timesync.export.export``."""
        snapshot = Project.from_dict(self.project.to_dict(), path=self.project.path)

        def work(progress, snap, fmt_, out_):
            from timesync.export import export

            return export(snap, fmt_, out_, force=force, progress=progress, **options)

        def done(result):
            self.messages.info(f"exported {fmt} to {result or out}")

        return self._run_job("export", f"exporting {fmt}", Job(work, snapshot, fmt, Path(out)), done,
                             cancellable=True)

    # =================================================================== jobs
    def _run_job(self, kind: str, label: str, job: Job, on_done: Callable, *, cancellable: bool = False,
                 pool: QThreadPool | None = None) -> Job:
        self.jobs[kind] = job
        self.progress.setValue(0)
        self.progress.setFormat(f"{label} %p%")
        self.progress.show()
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.setEnabled(True)
        self._current_job = job

        def finish():
            if self._current_job is job:
                self.progress.hide()
                self.cancel_button.hide()

        def ok(result):
            finish()
            try:
                on_done(result)
            finally:
                self.jobFinished.emit(kind, result)

        def failed(message):
            finish()
            self.messages.error(message)
            self.jobFinished.emit(kind, None)

        def cancelled():
            finish()
            self.messages.info(f"{label}: cancelled")
            self.jobFinished.emit(kind, None)

        job.signals.progress.connect(self._guard(lambda f, m: self._on_progress(job, f, m)))
        job.signals.finished.connect(self._guard(ok))
        job.signals.failed.connect(self._guard(failed))
        job.signals.cancelled.connect(self._guard(cancelled))
        return start_job(job, pool)

    def _guard(self, fn: Callable) -> Callable:
        """``fn`` that does nothing once the window is shut down (late signals from jobs)."""

        def guarded(*args):
            if not self._closed:
                fn(*args)

        return guarded

    def _on_progress(self, job: Job, fraction: float, message: str) -> None:
        if self._current_job is job:
            self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
            if message:
                self.progress.setToolTip(message)

    def cancel_job(self) -> None:
        """Cancel the running job (alignment or export)."""
        job = getattr(self, "_current_job", None)
        if job is not None and not job.done:
            job.cancel()
            self.cancel_button.setEnabled(False)

    # ============================================================ annotations
    def add_annotation(self, event_type: str) -> None:
        """Add an event of ``event_type`` at the playhead (an interval from the mark-in, if set)."""
        t = self.clock.time
        end = None
        if self._mark_in is not None:
            t, end = min(self._mark_in, t), max(self._mark_in, t)
            self._mark_in = None
        view = self.grid.focused_view
        source = view.spec.name if view is not None else None
        try:
            push(self.undo, AddAnnotationCommand(self.project, event_type, t, end, source=source))
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return
        self.statusBar().showMessage(f"added {event_type} at {format_hms(t)}", 3000)

    def mark_in(self) -> None:
        """Mark the start of an interval at the playhead (Esc cancels)."""
        self._mark_in = self.clock.time
        self.statusBar().showMessage(f"mark in at {format_hms(self._mark_in)}: press an event key at the end", 6000)

    def cancel_mark(self) -> None:
        """Forget the mark-in, hide the overlay."""
        self._mark_in = None
        if self.overlay.isVisible():
            self.overlay.hide()

    def delete_annotation(self) -> None:
        """Delete the selected annotation (undoable)."""
        if not self.annotation_panel.delete_selected():
            self.messages.info("select an event in the list to delete it")

    def type_keys(self) -> dict[str, str]:
        """``{event type: key}`` from the settings (defaults: S C W F M D V O)."""
        keys = {}
        for event_type in self.project.vocabulary:
            default = DEFAULT_TYPE_KEYS.get(event_type, "")
            keys[event_type] = str(self.settings.value(f"keys/{event_type}", default) or "")
        return keys

    def edit_keys(self) -> None:
        """Let the user change the event-type keys."""
        dialog = KeysDialog(self.type_keys(), self)
        if dialog.exec():
            for event_type, key in dialog.keys().items():
                self.settings.setValue(f"keys/{event_type}", key)
            self._rebuild_type_actions()

    def _rebuild_type_actions(self) -> None:
        for action in self._type_actions:
            self.removeAction(action)
            action.deleteLater()
        self._type_actions = []
        menu = getattr(self, "annotate_menu", None)
        if menu is not None:
            menu.clear()
        for event_type, key in self.type_keys().items():
            action = QAction(f"Add “{event_type}”", self)
            if key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, t=event_type: self.add_annotation(t))
            self.addAction(action)
            self._type_actions.append(action)
            if menu is not None:
                menu.addAction(action)
        if menu is not None:
            menu.addSeparator()
            menu.addAction(self.act_mark_in)
            menu.addAction(self.act_delete)
            menu.addAction(self.act_keys)
            menu.addSeparator()
            menu.addAction(self.act_detect_shots)
        if hasattr(self, "overlay"):
            self.overlay.set_entries(self.shortcut_entries())

    # ============================================================== transport
    def step_frame(self, direction: int) -> None:
        """Shared step: move the clock to the next (+1) or previous (-1) frame start of the focused source."""
        view = self.grid.focused_view
        t = self.clock.time
        self.clock.pause()
        index = view.index if view is not None else None
        clock = view.spec.clock if view is not None else None
        if index is None or clock is None or len(index) == 0:
            self.clock.seek(t + direction / 30.0)
            return
        ref = index.frame_at_shared(clock, t)
        if ref is None:  # outside the recording: go to its first or last frame
            target = 0 if clock.to_local(t) < index.start_s else len(index) - 1
        else:
            target = min(max(ref.number + direction, 0), len(index) - 1)
        self.clock.seek(shared_frame_start(clock, index, target))

    def step_source(self, direction: int) -> None:
        """Per-source step: the focused view alone shows one frame later/earlier (clock unchanged)."""
        view = self.grid.focused_view
        if view is not None:
            self.clock.pause()
            view.step_local(direction)

    def jump_event(self, direction: int) -> None:
        """Seek to the next (+1) or previous (-1) event."""
        t = self.clock.time
        times = sorted({a.shared_s for a in self.project.annotations})
        if direction > 0:
            later = [x for x in times if x > t + 1e-6]
            if later:
                self.clock.seek(later[0])
        else:
            earlier = [x for x in times if x < t - 1e-6]
            if earlier:
                self.clock.seek(earlier[-1])

    # ================================================================ updates
    def _on_sources_changed(self) -> None:
        bridge = self.bridge
        specs = bridge.specs()
        self.grid.set_sources(specs)
        self.timeline.set_sources(specs, bridge.extents())
        self.timeline.set_wall_clock(*self._wall_args())
        start, end = bridge.shared_span()
        self.clock.set_range(start, end)
        for spec in specs:
            if spec.hash_status == "missing" or not spec.path.is_file():
                continue
            key = f"{spec.path}|{spec.sha256}"
            if key in self._envelopes:
                env = self._envelopes[key]
                if env is not None:
                    self.timeline.set_envelope(spec.name, env, ENVELOPE_HZ)
                continue
            if not (spec.extra.get("probe") or {}).get("audio"):
                continue
            self._envelopes[key] = None
            duration = (spec.extra.get("probe") or {}).get("duration_s")
            job = Job(audio_envelope, str(spec.path), duration_s=duration)
            self._background_jobs.append(job)
            job.signals.finished.connect(self._guard(lambda env, k=key, n=spec.name: self._on_envelope(k, n, env)))
            job.signals.failed.connect(self._guard(lambda msg: self.messages.warning(f"waveform: {msg}")))
            start_job(job, self.background)

    def _frame_times(self, name: str):
        """Exact local frame start times of a source, from its view's FrameIndex (``None`` if not open)."""
        view = self.grid.view_for(name)
        index = view.index if view is not None else None
        return None if index is None else index.times

    def _on_envelope(self, key: str, name: str, env) -> None:
        self._envelopes[key] = env
        self.timeline.set_envelope(name, env, ENVELOPE_HZ)

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

    def _on_time(self, t: float) -> None:
        self.clock_label.setText(format_hms(t, 3))
        wall = self._wall_args()[0]
        if wall is not None:
            import datetime as _dt

            reading = wall + _dt.timedelta(seconds=t)
            self.wall_label.setText(format_datetime_ms(reading))
        self.wall_action.setVisible(wall is not None)

    def _on_playing(self, playing: bool) -> None:
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setChecked(playing)

    def _update_title(self) -> None:
        project = self.project
        star = " *" if self.has_unsaved_changes else ""
        self.setWindowTitle(f"{project.label}{star} — timesync")
        self.project_label.setText(f"{project.label}{star}  ·  {len(project.sources)} sources  ·  "
                                   f"{len(project.annotations)} events")

    def _reset_view_zoom(self) -> None:
        view = self.grid.focused_view
        if view is not None:
            view.reset_zoom()

    # ================================================================ dialogs
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(self._default_folder()), "Project (*.json)")
        if path:
            self.open_project(path)

    def _add_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add media", str(self._default_folder()), MEDIA_FILTER)
        if paths:
            self.add_media(paths)

    # ============================================================ drag & drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        projects = [f for f in files if f.lower().endswith(".json")]
        if len(projects) == 1 and len(files) == 1:
            self.open_project(projects[0])
        else:
            self.add_media([f for f in files if not f.lower().endswith(".json")])
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
        self._closed = True
        self.clock.pause()
        self._autosave_timer.stop()
        for job in [*self.jobs.values(), *self._background_jobs]:
            job.cancel()
        self.grid.shutdown()
        self.timeline.shutdown()
        self.background.waitForDone(5000)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.hide()
            self.overlay.toggle()


def _unverify(project: Project) -> None:
    """Mark every source "unverified": a stored status is last session's; the re-check decides."""
    for source in project.sources:
        project.set_hash_status(source.name, "unverified")


def _sentence(exc: BaseException, path: Path) -> str:
    """One sentence for an error about ``path`` (timesync errors already name the file)."""
    if isinstance(exc, TimesyncError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{path}: {exc.strerror or exc}"
    return f"{path}: {exc}"
