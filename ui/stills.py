"""Export the focused view's frame as a still (PNG + provenance sidecar), in a worker.

The frame is the one on screen in the focused view (its per-source step
included); :func:`timesync.export.still.export_still` reads it again from the
file, exactly, and writes the PNG and ``NAME.png.provenance.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ui.workers import Job

__all__ = ["export_still", "export_still_dialog"]


def _target(win):
    """``(view, frame number)`` of the focused view, or ``None`` with a message shown."""
    view = win.grid.focused_view
    if view is None or view.worker is None:
        win.messages.info("a still needs a video view: click one first")
        return None
    number = view.shown_frame if view.shown_frame is not None else view.wanted_frame
    if number is None:
        win.messages.info(f"{view.spec.label}: no frame on screen (not recording here)")
        return None
    return view, number


def export_still_dialog(win) -> Job | None:
    """Ask where to write the still of the focused view, then :func:`export_still`."""
    target = _target(win)
    if target is None:
        return None
    view, number = target
    folder = win.project.path.parent if win.project.path is not None else Path.cwd()
    suggested = folder / f"{Path(view.spec.name).stem}_frame{number:06d}.png"
    out, _ = QFileDialog.getSaveFileName(win, "Export still", str(suggested), "PNG image (*.png)")
    if not out:
        return None
    return export_still(win, out, force=Path(out).exists())  # the dialog asked about overwriting


def export_still(win, out: str | os.PathLike[str], *, force: bool = False) -> Job | None:
    """Write the focused view's frame to ``out`` (and its sidecar) in a worker; ``None`` if nothing to do."""
    from timesync.project import Project

    target = _target(win)
    if target is None:
        return None
    view, number = target
    snapshot = Project.from_dict(win.project.to_dict(), path=win.project.path)

    def work(progress, snap, name, frame, path):
        from timesync.export.still import export_still as write_still

        progress(0.0, f"reading frame {frame} of {name}")
        return write_still(snap, name, path, frame=frame, force=force)

    def done(result):
        win.messages.info(f"still of {view.spec.label}, frame {number}, written to {result}")

    return win.runner.run("still", "exporting still", Job(work, snapshot, view.spec.name, number, Path(out)), done)
