"""The window's audio actions: hear the focused source or the mix, mute or solo the focused one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from ui.grid import PlayerGrid

__all__ = ["audio_actions"]


def audio_actions(parent: QWidget, grid: PlayerGrid) -> list[QAction]:
    """Three actions, added to ``parent``, acting on ``grid.audio``: "Audio: mix all sources"
    (checkable, Ctrl+Alt+A), "Mute focused source" (Ctrl+Alt+M) and "Solo focused source"
    (Ctrl+Alt+S). Mute and solo act on the grid's focused view and switch to the mix.
    """
    engine = grid.audio
    mix = QAction("Audio: mix all sources", parent, checkable=True)
    mix.setShortcut(QKeySequence("Ctrl+Alt+A"))
    mix.toggled.connect(lambda on: engine.set_mode("mix" if on else "focused"))

    def flip(attr: str) -> None:
        view = grid.focused_view
        track = engine.track(view.spec.name) if view is not None else None
        if track is None:
            return
        (engine.set_muted if attr == "muted" else engine.set_solo)(track.name, not getattr(track, attr))
        mix.setChecked(True)

    mute = QAction("Mute focused source", parent)
    mute.setShortcut(QKeySequence("Ctrl+Alt+M"))
    mute.triggered.connect(lambda: flip("muted"))
    solo = QAction("Solo focused source", parent)
    solo.setShortcut(QKeySequence("Ctrl+Alt+S"))
    solo.triggered.connect(lambda: flip("solo"))
    actions = [mix, mute, solo]
    parent.addActions(actions)
    return actions
