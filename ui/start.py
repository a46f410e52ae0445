"""The start screen: what to do when the window shows no recordings yet.

:class:`StartScreen` sits in the central area, in place of the (empty) player
grid, while the project shown has no sources: "Open project…", "New incident
from media…" and the recent projects (QSettings ``recent``, newest first).
:class:`StartController` shows and hides it, and runs "New incident from
media": the files are hashed and probed (:meth:`MediaController.add_media
<ui.controllers.media.MediaController.add_media>`), then aligned
(:meth:`AlignmentController.run_alignment
<ui.controllers.alignment.AlignmentController.run_alignment>`), with a
:class:`QProgressDialog` that follows both jobs and whose Cancel stops them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timesync.project import Project
from ui.controllers.media import MEDIA_FILTER

__all__ = ["StartScreen", "StartController"]


class StartScreen(QWidget):
    """Two buttons and the recent projects.

    Signals
    -------
    openRequested()
        "Open project…" was pressed.
    newRequested()
        "New incident from media…" was pressed.
    recentRequested(str)
        A recent project was activated (its path).
    """

    openRequested = Signal()
    newRequested = Signal()
    recentRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startScreen")
        title = QLabel("timesync: put every recording of an incident on one clock", self)
        title.setObjectName("startTitle")
        title.setWordWrap(True)
        hint = QLabel("Open a saved project, or start a new incident from its recordings "
                      "(they are hashed, read only, and aligned).", self)
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open project…", self)
        self.open_button.clicked.connect(self.openRequested)
        self.new_button = QPushButton("New incident from media…", self)
        self.new_button.clicked.connect(self.newRequested)
        self.recent_label = QLabel("Recent projects", self)
        self.recent = QListWidget(self)
        self.recent.setObjectName("startRecent")
        self.recent.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.recent.itemActivated.connect(lambda item: self.recentRequested.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        for widget in (title, hint, self.open_button, self.new_button, self.recent_label):
            layout.addWidget(widget)
        layout.addWidget(self.recent, 1)

    def set_recent(self, paths: list[str]) -> None:
        """Show these recent project files (newest first); the full path is the tooltip."""
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}   ({Path(path).parent})")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            if not Path(path).is_file():
                item.setText(item.text() + "   [missing]")
            self.recent.addItem(item)
        self.recent_label.setVisible(bool(paths))
        self.recent.setVisible(bool(paths))


class StartController(QObject):
    """Shows :class:`StartScreen` while the project is empty; runs "New incident from media".

    Parameters
    ----------
    window : MainWindow
        The window (its ``files``, ``media``, ``alignment`` and ``runner`` controllers).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.win = window
        self.screen = StartScreen(window)
        self.screen.openRequested.connect(window.files.open_dialog)
        self.screen.newRequested.connect(self.new_incident_dialog)
        self.screen.recentRequested.connect(window.files.open_project)
        self.progress: QProgressDialog | None = None
        self._pending_align = False
        window.projectChanged.connect(self._on_project)
        window.jobFinished.connect(self._on_job_finished)

    @property
    def showing(self) -> bool:
        """True while the start screen is shown in place of the players."""
        return self.screen.isVisibleTo(self.win)

    def update(self) -> None:
        """The start screen when the project has no sources, else the players."""
        empty = self.win.bridge is not None and not self.win.project.sources
        if empty:
            self.screen.set_recent(self.win.files.recent_files())
        self.screen.setVisible(empty)
        self.win.grid.setVisible(not empty)

    def _on_project(self, _project) -> None:
        self.win.bridge.sourcesChanged.connect(self.update)
        self.update()

    # ------------------------------------------------------------ new incident
    def new_incident_dialog(self) -> None:
        """Ask for the incident's recordings, then :meth:`new_incident`."""
        paths, _ = QFileDialog.getOpenFileNames(self.win, "New incident: choose its recordings",
                                                str(Path.cwd()), MEDIA_FILTER)
        if paths:
            self.new_incident(paths)

    def new_incident(self, paths: list[str | os.PathLike[str]]) -> bool:
        """A new project of these files, hashed then aligned, with a progress dialog.

        Returns False when nothing was started (unsaved changes kept, or no files).
        """
        if not paths or not self.win.maybe_save():
            return False
        self.win.set_project(Project())
        job = self.win.media.add_media(list(paths))
        if job is None:
            return False
        self._pending_align = True
        self._show_progress("Hashing and probing the recordings…", job)
        return True

    def _show_progress(self, text: str, job) -> None:
        dialog = self.progress
        if dialog is None:
            dialog = QProgressDialog(self.win)
            dialog.setWindowTitle("New incident")
            dialog.setObjectName("newIncidentProgress")
            dialog.setRange(0, 100)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.canceled.connect(self._cancel)
            self.progress = dialog
        dialog.setLabelText(text)
        dialog.setValue(0)
        job.signals.progress.connect(self._on_progress)
        dialog.show()

    def _on_progress(self, fraction: float, message: str) -> None:
        if self.progress is not None and self.progress.isVisible():
            self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
            if message:
                self.progress.setLabelText(message)

    def _cancel(self) -> None:
        self._pending_align = False
        self.win.runner.cancel()
        self._close_progress()

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.hide()

    def _on_job_finished(self, kind: str, result) -> None:
        if kind == "add" and self._pending_align:
            self._pending_align = False
            if result is None or len(self.win.project.sources) < 2:
                self._close_progress()
                if result is not None:
                    self.win.messages.info("one recording added: add another to align them")
                return
            job = self.win.alignment.run_alignment()
            if job is None:
                self._close_progress()
                return
            self._show_progress("Aligning the recordings…", job)
        elif kind == "align":
            self._close_progress()
