"""Focus (issue 17 item 6): after any dialog the app opens, the keys reach the main window again.

Every dialog is opened the way the app opens it (its action, a real modal
``exec``), and closed when it shows by a queued ``close()``, the way a user's
Escape or window-close ends it. Qt's offscreen platform, like a display with
no window manager, gives the keyboard to no window when a dialog closes (the
bug seen by users): without the window's FocusKeeper these tests fail.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QMetaObject, QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog

import ui.main_window as main_window

pytest_plugins = ("conftest_ui",)

ASK_UNSAVED = main_window.ask_unsaved  # the real one (the window fixture replaces it)

#: dialog -> how the app opens it
OPENERS = {
    "export": lambda win: win.act_export.trigger(),
    "event keys": lambda win: win.act_keys.trigger(),
    "open project": lambda win: win.act_open.trigger(),
    "save as": lambda win: win.act_save_as.trigger(),
    "add media": lambda win: win.act_add.trigger(),
    "new incident": lambda win: win.start.new_incident_dialog(),
    "unsaved changes": lambda win: ASK_UNSAVED(win, "incident.json"),
}


class _Closer(QObject):
    """Closes each top-level dialog once it is shown (queued: the dialog's own loop runs it)."""

    def __init__(self) -> None:
        super().__init__()
        self.closed: list[str] = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show and isinstance(watched, QDialog) and watched.isWindow():
            self.closed.append(type(watched).__name__)
            QMetaObject.invokeMethod(watched, "close", Qt.ConnectionType.QueuedConnection)
        return False


@pytest.fixture
def closer(qapp):
    c = _Closer()
    qapp.installEventFilter(c)
    yield c
    qapp.removeEventFilter(c)


@pytest.mark.parametrize("name", list(OPENERS))
def test_keys_reach_the_window_after_each_dialog(qtbot, window, incident, closer, name):
    window.open_project(incident)
    window.activateWindow()
    window.timeline.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    restored = window.focus_keeper.restored
    OPENERS[name](window)
    assert closer.closed, f"{name}: no dialog was shown"
    qtbot.waitUntil(lambda: window.focus_keeper.restored > restored)
    assert QApplication.activeWindow() is window
    assert QApplication.focusWidget() is window.timeline  # where the focus was before the dialog
    before = window.clock.time
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)  # next frame
    assert window.clock.time > before


def test_progress_dialog_gives_the_focus_back(qtbot, window, ui_media_cache):
    window.activateWindow()
    window.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    restored = window.focus_keeper.restored
    with qtbot.waitSignal(window.jobFinished, timeout=60000, check_params_cb=lambda k, _r: k == "align"):
        window.start.new_incident([ui_media_cache / "camA.mp4", ui_media_cache / "phone.wav"])
    qtbot.waitUntil(lambda: window.focus_keeper.restored > restored)
    assert QApplication.activeWindow() is window
