"""ShotsController: detect shot candidates in a worker, show them, add the accepted ones as events.

Detection is the core's :func:`timesync.workflow_shots.detect_project_shots` on a snapshot of
the project; the candidates live in the window's :class:`~ui.shots.ShotPanel`
(decisions are the reviewer's) and are drawn by the timeline as markers. Adding
them is one undoable :class:`~ui.commands.AddShotsCommand`.
"""

from __future__ import annotations

from timesync.errors import TimesyncError
from timesync.project import Project
from ui.commands import AddShotsCommand
from ui.controllers.base import Controller
from ui.timeline import ShotMarker
from ui.workers import Job

__all__ = ["ShotsController"]


class ShotsController(Controller):
    """Shot candidates (see the module docstring)."""

    def detect_shots(self) -> Job | None:
        """Find shot candidates with the core's ``timesync.workflow_shots.detect_project_shots`` in a worker (progress, cancel)."""
        project = self.project
        if not project.sources:
            self.messages.info("add recordings before detecting shots")
            return None
        data = project.to_dict()
        if project.path is None:  # a snapshot without a file resolves relative paths from the cwd
            for entry in data.get("sources", []):
                entry["path"] = str(project.resolve(entry["name"]))
        snapshot = Project.from_dict(data, path=project.path)

        def work(progress, snap):
            from timesync.workflow_shots import detect_project_shots

            return detect_project_shots(snap, progress=progress)

        def done(table):
            if self.project is project:
                self._show_table(table)

        return self.win.runner.run("shots", "detecting shots", Job(work, snapshot), done, cancellable=True)

    def _show_table(self, table) -> None:
        panel, dock = self.win.shots_panel, self.win.shots_dock
        earlier = panel.table
        carried = table.carry_decisions(earlier) if earlier is not None else 0
        panel.set_table(table)
        self.show_markers()
        dock.show()
        dock.raise_()
        kept = f"; {carried} earlier decision(s) kept" if carried else ""
        self.status(f"{len(table.shots)} shot candidate(s): accept (A) or reject (R){kept}", 6000)

    def add_accepted_shots(self) -> list:
        """Add the accepted candidates as "shot fired" events (one undo step); returns the new events."""
        table = self.win.shots_panel.table
        if table is None or not any(s.accepted is True for s in table.shots):
            self.messages.info("accept at least one shot candidate first (A)")
            return []
        command = AddShotsCommand(self.project, table)
        try:
            command.apply()
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return []
        added = command.annotations or []
        if added:
            command._skip_redo = True
            self.win.undo.push(command)
            self.status(f"added {len(added)} shot fired event(s)", 4000)
        else:
            self.messages.info("the accepted shots are already annotated")
        self.win.shots_panel.refresh()
        return added

    def show_markers(self) -> None:
        """Draw the candidates (with their decisions) on the timeline."""
        table = self.win.shots_panel.table
        shots = table.shots if table is not None else []
        self.win.timeline.set_shot_candidates([ShotMarker(s.id, s.shared_s, s.accepted) for s in shots])

    def clear(self) -> None:
        """A new project: no candidates."""
        self.win.shots_panel.set_table(None)
        self.win.timeline.set_shot_candidates([])
