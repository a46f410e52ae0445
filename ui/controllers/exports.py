"""ExportController: the export dialog and the export job (the core's ``timesync.export.export``)."""

from __future__ import annotations

import os
from pathlib import Path

from timesync.project import Project
from ui.controllers.base import Controller
from ui.dialogs import ExportDialog
from ui.workers import Job

__all__ = ["ExportController"]


class ExportController(Controller):
    """Exports of a snapshot of the project, in a worker (progress, cancel)."""

    def export_dialog(self, fmt: str = "csv") -> None:
        """Ask for a format and options, then export in a worker."""
        project = self.project
        dialog = ExportDialog(self.win, fmt=fmt, folder=self.default_folder(), stem=Path(project.label).stem,
                              sources=[s.name for s in project.sources])
        if dialog.exec():
            fmt, out, force, options = dialog.values()
            self.export(fmt, out, force=force, **options)

    def export(self, fmt: str, out: str | os.PathLike[str], *, force: bool = False, **options) -> Job:
        """Export a snapshot of the project with the core's ``timesync.export.export``."""
        snapshot = Project.from_dict(self.project.to_dict(), path=self.project.path)

        def work(progress, snap, fmt_, out_):
            from timesync.export import export

            return export(snap, fmt_, out_, force=force, progress=progress, **options)

        def done(result):
            self.messages.info(f"exported {fmt} to {result or out}")

        return self.win.runner.run("export", f"exporting {fmt}", Job(work, snapshot, fmt, Path(out)), done,
                                   cancellable=True)
