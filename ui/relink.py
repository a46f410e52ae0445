"""Relink missing sources from the window (``timesync relink``, with a folder chosen in a dialog).

When the hash check of an opened project (``MediaController.verify_hashes``)
finds sources whose files are not at their recorded paths,
:meth:`RelinkController.offer` says so in ONE message (which sources, and
that they can be relinked) with a "Relink…" button; the Sources menu has
"Relink missing sources…" too. Relinking asks for a folder
(:func:`choose_folder`), looks under it for files with each missing source's
recorded SHA-256 in a worker (:func:`timesync.project.verify.find_by_hash`,
the CLI's own search: files of the recorded size only), and points every
source found at its file in one undoable :class:`RelinkCommand` (the project
records each as ``source_relinked`` in its history). A source without a
recorded SHA-256 cannot be found this way, and the message says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from timesync.project import Project
from ui.commands import ProjectCommand, push
from ui.workers import Job

__all__ = ["RelinkController", "RelinkCommand", "choose_folder", "missing_names"]


def choose_folder(parent: QWidget, start: str) -> str:
    """Ask for the folder to search (``""``: cancelled). Module-level so tests can replace it."""
    return QFileDialog.getExistingDirectory(parent, "Relink: the folder to search for the missing files", start)


def missing_names(project: Project) -> list[str]:
    """The sources whose file is not at its recorded path (or was found missing by the hash check)."""
    return [s.name for s in project.sources if s.hash_status == "missing" or not project.resolve(s.name).is_file()]


def _names_text(names: list[str]) -> str:
    shown = ", ".join(Path(n).name for n in names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


class RelinkCommand(ProjectCommand):
    """Point sources at the files found for them (undo: back to the recorded paths, still missing)."""

    def __init__(self, project: Project, found: dict[str, Path]) -> None:
        super().__init__(f"relink {len(found)} source(s)")
        self._project = project
        self._found = dict(found)
        self._old = {name: (project.resolve(name), project.source(name).hash_status) for name in found}

    def apply(self) -> None:  # noqa: D102
        for name, path in self._found.items():
            self._project.relink_source(name, path)
            self._project.set_hash_status(name, "verified")  # its SHA-256 is the recorded one

    def undo(self) -> None:  # noqa: D102
        for name, (path, status) in self._old.items():
            self._project.relink_source(name, path)
            self._project.set_hash_status(name, status)


def _search(progress, wanted, folders: list[Path]) -> dict[str, Path]:
    from timesync.project.verify import find_by_hash

    progress(0.0, "looking for the missing files by SHA-256")
    return find_by_hash(wanted, folders, on_hash=lambda path, _size: progress(0.0, f"hashing {path.name}"))


class RelinkController(QObject):
    """The window's relink (see the module docstring); ``win.relink``."""

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win

    def offer(self, names: list[str], total: int) -> None:
        """One message: which of the ``total`` sources are missing, with a "Relink…" button."""
        if not names:
            return
        what = "every source is missing" if len(names) == total else f"{len(names)} of {total} sources are missing"
        self.win.messages.error(
            f"{self.win.project.label}: {what} ({_names_text(names)}): no file at the recorded path; "
            "Relink finds moved files by their SHA-256 in a folder you choose.", ("Relink…", self.relink_dialog))

    def relink_dialog(self) -> None:
        """Ask for a folder, then :meth:`relink` under it."""
        project = self.win.project
        start = project.path.parent if project.path is not None else Path.home()
        folder = choose_folder(self.win, str(start))
        if folder:
            self.relink([folder])

    def relink(self, folders: list[str | os.PathLike[str]]) -> Job | None:
        """Look under ``folders`` for the missing sources' files by SHA-256, in a worker, then relink them."""
        from timesync.project.verify import Wanted

        project, messages = self.win.project, self.win.messages
        lost = [project.source(n) for n in missing_names(project)]
        if not lost:
            messages.info(f"nothing to relink: every source of {project.label} has a file at its recorded path")
            return None
        wanted = [Wanted(s.name, s.sha256, _size(s.probe), Path(s.path).name) for s in lost if s.sha256]
        unhashed = [s.name for s in lost if not s.sha256]
        folders = [Path(f).absolute() for f in folders]

        def done(found: dict[str, Path]) -> None:
            if self.win.project is not project:
                return
            if found:
                push(self.win.undo, RelinkCommand(project, found))
            self._report(found, [w.name for w in wanted if w.name not in found], unhashed, folders)

        job = Job(_search, wanted, folders)
        return self.win.runner.run("relink", "relinking", job, done, cancellable=True)

    def _report(self, found: dict[str, Path], left: list[str], unhashed: list[str], folders: list[Path]) -> None:
        messages = self.win.messages
        where = ", ".join(str(f) for f in folders)
        if found:
            messages.info(f"relinked {len(found)} source(s) by SHA-256: {_names_text(list(found))}")
        if left:
            messages.error(f"still missing ({_names_text(left)}): no file under {where} has its SHA-256",
                           ("Relink…", self.relink_dialog))
        if unhashed:
            messages.warning(f"{_names_text(unhashed)}: no SHA-256 recorded, so it cannot be found by hash")


def _size(probe) -> int | None:
    size = probe.get("size_bytes") if isinstance(probe, dict) else None
    return size if isinstance(size, int) and size >= 0 else None
