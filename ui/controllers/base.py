"""Controller: the part of the main window every controller reaches."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from timesync.errors import TimesyncError
from timesync.project import Project

if TYPE_CHECKING:  # the window imports the controllers, not the other way round
    from ui.main_window import MainWindow
    from ui.messages import MessageBar

__all__ = ["Controller", "error_sentence"]


class Controller(QObject):
    """A piece of the window's behaviour; a child of ``window`` (see :mod:`ui.controllers`).

    Parameters
    ----------
    window : MainWindow
        The window whose project, undo stack, message bar and status bar it uses.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.win = window

    @property
    def project(self) -> Project:
        """The project shown (it changes when a file is opened)."""
        return self.win.project

    @property
    def messages(self) -> MessageBar:
        """The window's message bar."""
        return self.win.messages

    def status(self, text: str, timeout_ms: int) -> None:
        """A short notice in the status bar for ``timeout_ms`` milliseconds."""
        self.win.statusBar().showMessage(text, timeout_ms)

    def default_folder(self) -> Path:
        """Where file dialogs start: the project's folder, else the current directory."""
        path = self.project.path
        return path.parent if path is not None else Path.cwd()


def error_sentence(exc: BaseException, path: Path) -> str:
    """One sentence for an error about ``path`` (timesync errors already name the file)."""
    if isinstance(exc, TimesyncError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{path}: {exc.strerror or exc}"
    return f"{path}: {exc}"
