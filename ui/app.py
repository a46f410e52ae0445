"""``timesync-app [PROJECT]``: the reviewer desktop app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "load_stylesheet", "create_app", "emit_leaks_references"]

STYLESHEET = Path(__file__).with_name("theme.qss")


def load_stylesheet() -> str:
    """The dark theme (``ui/theme.qss``); empty if the file is absent."""
    try:
        return STYLESHEET.read_text(encoding="utf-8")
    except OSError:
        return ""


def emit_leaks_references(trials: int = 50) -> bool:
    """True when this PySide6 drops a reference to ``True`` on every ``Signal.emit`` (6.12.0).

    Such a build crashes the app after a few thousand emissions (about a
    minute of playback) with "Fatal Python error: bool_dealloc".
    """
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(trials):
        probe.ping.emit()
    leaked = sys.getrefcount(True) < before - trials // 2
    if leaked:  # give back what the probe took
        _KEEP.extend([True] * trials)
    return leaked


_KEEP: list[bool] = []


def create_app(argv: Sequence[str] | None = None):
    """The ``QApplication`` (created once), with the app's names and the dark theme."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("timesync-app")
    app.setOrganizationName("timesync")
    app.setStyle("Fusion")
    app.setStyleSheet(load_stylesheet())
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Open the window (and ``PROJECT`` when given); returns the exit status."""
    parser = argparse.ArgumentParser(prog="timesync-app", description="Review an incident's recordings on one clock.")
    parser.add_argument("project", nargs="?", help="a project file (incident.json) to open")
    parser.add_argument("--autosave", type=float, default=60.0, metavar="SECONDS",
                        help="seconds between autosaves of unsaved changes (0: off; default 60)")
    args = parser.parse_args(argv)
    app = create_app()
    from ui.main_window import MainWindow

    window = MainWindow(autosave_s=args.autosave)
    window.show()
    if emit_leaks_references():
        import PySide6

        window.messages.error(f"PySide6 {PySide6.__version__} leaks a reference on every signal and will crash "
                              "during playback: install another version (pip install 'PySide6-Essentials!=6.12.0').")
    if args.project:
        window.open_project(args.project)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
