"""FileController: new, open, save, autosave and recovery, recent files, drops.

The project file is written only by :meth:`timesync.project.Project.save`;
the recovery file (:func:`autosave_path`) only by
:func:`timesync.project.store.save_copy`, which leaves the project itself
(its file, its dirty flag) as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from timesync.errors import TimesyncError
from timesync.project import Project
from ui.controllers.base import Controller, error_sentence

__all__ = ["FileController", "autosave_path", "RECENT_MAX"]

RECENT_MAX = 8

#: ``ask(parent, label) -> "save" | "discard" | "cancel"``: what to do with unsaved changes.
AskUnsaved = Callable[[QWidget, str], str]


def autosave_path(project_path: Path) -> Path:
    """The recovery file of a project: ``.incident.json.autosave`` beside ``incident.json``."""
    return project_path.with_name(f".{project_path.name}.autosave")


def unverify(project: Project) -> None:
    """Mark every source "unverified": a stored status is last session's; the re-check decides."""
    for source in project.sources:
        project.set_hash_status(source.name, "unverified")


class FileController(Controller):
    """The project's file life cycle (see the module docstring).

    ``recovered`` is True while the project shown came from an autosave and
    has not been saved since (closing would lose it, though it is not dirty).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.recovered = False

    # ------------------------------------------------------------ life cycle
    def new_project(self) -> None:
        """An empty project (asks first about unsaved changes)."""
        if self.win.maybe_save():
            self.win.set_project(Project())

    def open_project(self, path: str | os.PathLike[str]) -> bool:
        """Open a project file; on failure, the message bar says why and the current project stays."""
        path = Path(path)
        if not self.win.maybe_save():
            return False
        try:
            project = Project.load(path, verify=False)
        except (TimesyncError, OSError, ValueError) as exc:
            self.messages.error(error_sentence(exc, path))
            return False
        unverify(project)
        self.win.set_project(project)
        self.add_recent(path)
        self.win.media.verify_hashes()
        self._offer_recovery(path)
        return True

    def open_dialog(self) -> None:
        """Ask for a project file and open it."""
        path, _ = QFileDialog.getOpenFileName(self.win, "Open project", str(self.default_folder()),
                                              "Project (*.json)")
        if path:
            self.open_project(path)

    def save(self) -> bool:
        """Save to the project's file (asks for one if it has none); False if not saved."""
        if self.project.path is None:
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Save to ``path`` (asks when ``None``)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self.win, "Save project", str(self.default_folder() / "incident.json"),
                                                    "Project (*.json)")
            if not chosen:
                return False
            path = chosen
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            written = self.project.save(path)
        except (TimesyncError, OSError) as exc:
            self.messages.error(error_sentence(exc, path))
            return False
        self.recovered = False
        self.win.undo.setClean()
        recovery = autosave_path(written)
        if recovery.exists():
            try:
                recovery.unlink()
            except OSError as exc:
                self.messages.warning(f"{recovery}: could not remove the recovery file ({exc.strerror})")
        self.add_recent(written)
        self.status(f"saved {written}", 4000)
        self.win.update_title()
        return True

    @property
    def has_unsaved_changes(self) -> bool:
        """True when closing now would lose something."""
        return self.project.is_dirty or self.recovered

    def maybe_save(self, ask: AskUnsaved) -> bool:
        """Before dropping the project: True when it is safe to go on (``ask`` decides when unsaved)."""
        if not self.has_unsaved_changes:
            return True
        answer = ask(self.win, self.project.label)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -------------------------------------------------------------- autosave
    def autosave(self) -> Path | None:
        """Write the recovery file of a dirty project that has a path; returns it (or ``None``)."""
        from timesync.project.store import save_copy

        project = self.project
        if not project.is_dirty or project.path is None:
            return None
        target = autosave_path(project.path)
        try:
            save_copy(project, target)
        except (TimesyncError, OSError) as exc:
            self.messages.warning(f"{target}: autosave failed ({exc})")
            return None
        self.status(f"autosaved to {target.name}", 3000)
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

    def recover(self, path: str | os.PathLike[str]) -> bool:
        """Replace the shown project by its autosave (the project file is not touched until saved)."""
        recovery = autosave_path(Path(path))
        try:
            data = json.loads(recovery.read_text(encoding="utf-8"))
            project = Project.from_dict(data, path=path)
        except (TimesyncError, OSError, ValueError) as exc:
            self.messages.error(error_sentence(exc, recovery))
            return False
        unverify(project)
        self.win.set_project(project)
        self.recovered = True
        self.win.update_title()
        self.messages.info(f"{Path(path).name}: recovered the autosaved changes; save to keep them.")
        self.win.media.verify_hashes()
        return True

    # ---------------------------------------------------------------- recent
    def recent_files(self) -> list[str]:
        """Recently opened or saved projects, newest first."""
        value = self.win.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: Path) -> None:
        """Put ``path`` first in the recent files (and the File > Open recent menu)."""
        text = str(Path(path).absolute())
        items = [text] + [p for p in self.recent_files() if p != text]
        self.win.settings.setValue("recent", items[:RECENT_MAX])
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        """Fill File > Open recent from the settings."""
        menu = getattr(self.win, "recent_menu", None)
        if menu is None:
            return
        menu.clear()
        for item in self.recent_files():
            menu.addAction(item, lambda p=item: self.open_project(p))
        menu.setEnabled(bool(self.recent_files()))

    # ----------------------------------------------------------------- drops
    def drop_files(self, files: list[str]) -> None:
        """One dropped ``.json`` file is opened as a project; anything else is added as media."""
        projects = [f for f in files if f.lower().endswith(".json")]
        if len(projects) == 1 and len(files) == 1:
            self.open_project(projects[0])
        else:
            self.win.media.add_media([f for f in files if not f.lower().endswith(".json")])
