"""FocusKeeper: after any dialog, the keys reach the main window again.

Without a window manager (Xvfb, some kiosks) nothing gives the keyboard back
to the main window when a dialog closes, so J/K/L and the event keys go
nowhere. The keeper watches every top-level dialog of the application (file
dialogs, message boxes, the app's own dialogs, progress dialogs): when one is
shown it remembers the widget of the main window that had the focus, and when
the last one is hidden it activates the main window and gives that widget (or
the window) the focus again, on the next turn of the event loop.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QWidget
from shiboken6 import getCppPointer, isValid

__all__ = ["FocusKeeper"]


class FocusKeeper(QObject):
    """An application event filter bringing the focus back to ``window`` after dialogs.

    Parameters
    ----------
    window : QMainWindow
        The window that gets the keyboard back.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._open: set[int] = set()  # C++ addresses of the dialogs shown now (wrappers come and go)
        self._return_to: QWidget | None = None
        self.restored = 0  #: times the focus was given back (tests)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.Show, QEvent.Type.Hide) and isinstance(watched, QDialog) and watched.isWindow():
            if kind == QEvent.Type.Show:
                self._on_shown(watched)
            else:
                self._on_hidden(watched)
        return False

    def _on_shown(self, dialog: QDialog) -> None:
        if not self._open:
            focus = QApplication.focusWidget()
            inside = focus is not None and (focus is self._window or self._window.isAncestorOf(focus))
            self._return_to = focus if inside else None
        self._open.add(getCppPointer(dialog)[0])

    def _on_hidden(self, dialog: QDialog) -> None:
        self._open.discard(getCppPointer(dialog)[0])
        if not self._open:
            QTimer.singleShot(0, self, self.restore)

    def restore(self) -> None:
        """Activate the main window and give the focus back (when no dialog is open)."""
        window = self._window
        if self._open or not window.isVisible() or QApplication.activeModalWidget() is not None:
            return
        window.raise_()
        window.activateWindow()
        target = self._return_to
        if target is None or not isValid(target) or not target.isVisible() or not (target is window or window.isAncestorOf(target)):
            target = window
        target.setFocus()
        self.restored += 1

    def detach(self) -> None:
        """Stop watching (the window is going away)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
