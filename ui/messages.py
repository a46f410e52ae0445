"""MessageBar: errors and notices shown inside the window, never blocking.

A bad file, a missing source or a project that will not load is one clear
sentence in this bar (with an optional action button), while the rest of the
window keeps working. Tests read :attr:`MessageBar.messages`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

__all__ = ["MessageBar", "Message", "LEVELS"]

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Message:
    """One message: ``level`` in :data:`LEVELS` and its text."""

    level: str
    text: str


class _Row(QFrame):
    def __init__(self, message: Message, action: tuple[str, Callable[[], None]] | None, bar: MessageBar) -> None:
        super().__init__(bar)
        self.message = message
        self.setObjectName(f"message-{message.level}")
        self.setProperty("level", message.level)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        label = QLabel(message.text, self)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label, 1)
        if action is not None:
            text, callback = action
            button = QPushButton(text, self)
            button.clicked.connect(lambda: (callback(), bar.dismiss(self)))
            layout.addWidget(button)
            self.action_button = button
        close = QPushButton("×", self)
        close.setFlat(True)
        close.setStyleSheet("padding: 0px 4px;")  # the theme's 12 px padding left the × no room
        close.setFixedWidth(max(24, close.sizeHint().width()))
        close.clicked.connect(lambda: bar.dismiss(self))
        layout.addWidget(close)


class MessageBar(QWidget):
    """A stack of dismissable messages at the top of the window.

    Signals
    -------
    posted(str, str)
        Level and text of every new message.
    """

    posted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, *, limit: int = 4) -> None:
        super().__init__(parent)
        self._limit = limit
        self._rows: list[_Row] = []
        self._history: list[Message] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self.setVisible(False)

    @property
    def messages(self) -> list[Message]:
        """Every message posted so far (shown or dismissed), oldest first."""
        return list(self._history)

    @property
    def visible_messages(self) -> list[Message]:
        """The messages on screen now."""
        return [row.message for row in self._rows]

    def post(self, level: str, text: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Show ``text``; ``action`` is an optional ``(button text, callback)``."""
        if level not in LEVELS:
            raise ValueError(f"message level must be one of {LEVELS}, got {level!r}")
        message = Message(level, text)
        self._history.append(message)
        if any(row.message == message for row in self._rows):
            return
        row = _Row(message, action, self)
        self._rows.append(row)
        self._layout.addWidget(row)
        while len(self._rows) > self._limit:
            self.dismiss(self._rows[0])
        self.setVisible(True)
        self.posted.emit(level, text)

    def info(self, text: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Post an information."""
        self.post("info", text, action)

    def warning(self, text: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Post a warning."""
        self.post("warning", text, action)

    def error(self, text: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Post an error."""
        self.post("error", text, action)

    def dismiss(self, row: _Row) -> None:
        """Remove one message row."""
        if row in self._rows:
            self._rows.remove(row)
            row.setParent(None)
            row.deleteLater()
        self.setVisible(bool(self._rows))

    def clear(self) -> None:
        """Remove every message from the screen."""
        for row in list(self._rows):
            self.dismiss(row)
