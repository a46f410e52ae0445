"""The window's audio actions: hear the focused source or the mix, mute or solo the focused one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from ui.audio.engine import AudioEngine

__all__ = ["audio_actions"]


def audio_actions(parent: QWidget, engine: AudioEngine, focused: Callable[[], str | None]) -> list[QAction]:
    """Three actions, added to ``parent``: "Audio: mix all sources" (checkable, Alt+A),
    "Mute focused source" (Alt+M) and "Solo focused source" (Alt+S).

    ``focused()`` names the focused source. Mute and solo switch to the mix.
    """
    mix = QAction("Audio: mix all sources", parent, checkable=True)
    mix.setShortcut(QKeySequence("Alt+A"))
    mix.toggled.connect(lambda on: engine.set_mode("mix" if on else "focused"))

    def flip(attr: str) -> None:
        name = focused()
        track = engine.track(name) if name else None
        if track is None:
            return
        (engine.set_muted if attr == "muted" else engine.set_solo)(name, not getattr(track, attr))
        mix.setChecked(True)

    mute = QAction("Mute focused source", parent)
    mute.setShortcut(QKeySequence("Alt+M"))
    mute.triggered.connect(lambda: flip("muted"))
    solo = QAction("Solo focused source", parent)
    solo.setShortcut(QKeySequence("Alt+S"))
    solo.triggered.connect(lambda: flip("solo"))
    actions = [mix, mute, solo]
    parent.addActions(actions)
    return actions
