"""AnnotateController: events at the playhead, the mark-in for intervals, the event-type keys.

Every event is added with an undoable :class:`~ui.commands.AddAnnotationCommand`
(``Project.add_annotation``); the event list and the timeline redraw from the
project's change events. The key of each event type is kept in the settings
(``keys/<type>``, defaults from the type registry, :data:`timesync.project.vocabulary.EVENT_TYPES`).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from timesync.errors import TimesyncError
from timesync.project.vocabulary import event_type as registered_type
from timesync.timeutil import format_hms
from ui.commands import AddAnnotationCommand, push
from ui.controllers.base import Controller
from ui.dialogs import KeysDialog

__all__ = ["AnnotateController"]


class AnnotateController(Controller):
    """Annotation at the playhead (see the module docstring).

    ``mark_in_s`` is the shared time of a pending mark-in (``None``: none).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.mark_in_s: float | None = None
        self._type_actions: list[QAction] = []

    def add_annotation(self, event_type: str) -> None:
        """Add an event of ``event_type`` at the playhead (an interval from the mark-in, if set)."""
        t = self.win.clock.time
        end = None
        if self.mark_in_s is not None:
            t, end = min(self.mark_in_s, t), max(self.mark_in_s, t)
            self.mark_in_s = None
        view = self.win.grid.focused_view
        source = view.spec.name if view is not None else None
        try:
            push(self.win.undo, AddAnnotationCommand(self.project, event_type, t, end, source=source))
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return
        self.status(f"added {event_type} at {format_hms(t)}", 3000)

    def mark_in(self) -> None:
        """Mark the start of an interval at the playhead (Esc cancels)."""
        self.mark_in_s = self.win.clock.time
        self.status(f"mark in at {format_hms(self.mark_in_s)}: press an event key at the end", 6000)

    def cancel_mark(self) -> None:
        """Forget the mark-in, hide the overlay."""
        self.mark_in_s = None
        overlay = self.win.overlay
        if overlay.isVisible():
            overlay.hide()

    def delete_annotation(self) -> None:
        """Delete the selected annotation (undoable)."""
        if not self.win.annotation_panel.delete_selected():
            self.messages.info("select an event in the list to delete it")

    def type_keys(self) -> dict[str, str]:
        """``{event type: key}`` from the settings (defaults: S C W F M D V O)."""
        keys = {}
        for event_type in self.project.vocabulary:
            entry = registered_type(event_type)
            default = entry.key if entry is not None else ""
            keys[event_type] = str(self.win.settings.value(f"keys/{event_type}", default) or "")
        return keys

    def edit_keys(self) -> None:
        """Let the user change the event-type keys."""
        dialog = KeysDialog(self.type_keys(), self.win)
        if dialog.exec():
            for event_type, key in dialog.keys().items():
                self.win.settings.setValue(f"keys/{event_type}", key)
            self.rebuild_type_actions()

    def _command_keys(self) -> dict[str, str]:
        """``{key: command}`` of the window's own shortcuts (not the "Add <type>" ones)."""
        mine = set(map(id, self._type_actions))
        return {seq.toString(): action.text().replace("&", "") for action in self.win.findChildren(QAction)
                if id(action) not in mine for seq in action.shortcuts() if not seq.isEmpty()}

    def rebuild_type_actions(self) -> None:
        """One "Add <type>" action per event type, with its key, in the window and the Annotate menu."""
        win = self.win
        taken = self._command_keys()
        for action in self._type_actions:
            win.removeAction(action)
            action.deleteLater()
        self._type_actions = []
        menu = getattr(win, "annotate_menu", None)
        if menu is not None:
            menu.clear()
        for event_type, key in self.type_keys().items():
            action = QAction(f"Add “{event_type}”", win)
            if key and QKeySequence(key).toString() in taken:
                self.win.statusBar().showMessage(
                    f"key {key} of “{event_type}” is the app's {taken[QKeySequence(key).toString()]}: "
                    "it adds nothing (choose another in Annotate > Keys)", 8000)
            elif key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, t=event_type: self.add_annotation(t))
            win.addAction(action)
            self._type_actions.append(action)
            if menu is not None:
                menu.addAction(action)
        if menu is not None:
            menu.addSeparator()
            for action in (win.act_mark_in, win.act_delete, win.act_keys, None, win.act_detect_shots):
                menu.addSeparator() if action is None else menu.addAction(action)
        if hasattr(win, "overlay"):
            win.overlay.set_entries(win.shortcut_entries())
