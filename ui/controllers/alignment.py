"""AlignmentController: run alignment in a worker, then adopt or apply its result.

The decisions are the core's (:mod:`timesync.workflow`), as for ``timesync sync``
and ``timesync anchor``: :func:`~timesync.workflow.alignment_request` on the GUI
thread, :meth:`~timesync.workflow.AlignmentRequest.run` in the worker, then
:func:`~timesync.workflow.fresh_project` says whether the result becomes a new
project (the open one held only its set-up) or an undoable re-alignment
(:class:`~ui.commands.ApplyAlignmentCommand` -> ``Project.apply_alignment``).
"""

from __future__ import annotations

from timesync.errors import TimesyncError
from timesync.project import Project
from ui.commands import ApplyAlignmentCommand, push
from ui.controllers.base import Controller
from ui.workers import Job

__all__ = ["AlignmentController"]


class AlignmentController(Controller):
    """Alignment of the open project (see the module docstring)."""

    def run_alignment(self) -> Job | None:
        """Align every source, with the project's anchors, in a worker (progress, cancel):
        :func:`timesync.workflow.alignment_request`, then :meth:`_on_aligned`."""
        from timesync.workflow import alignment_request

        project = self.project
        if len(project.sources) < 2:
            self.messages.info("add at least two recordings before running alignment")
            return None
        try:
            request = alignment_request(project)
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return None

        def work(progress, req):
            return req.run(progress)

        return self.win.runner.run("align", "aligning", Job(work, request), self._on_aligned, cancellable=True)

    def _on_aligned(self, result) -> None:
        """A new project when the open one holds only its set-up, else an undoable
        re-alignment (:func:`timesync.workflow.fresh_project` decides)."""
        from timesync.workflow import fresh_project

        data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        project = self.project
        try:
            fresh = fresh_project(project, data)
            if fresh is None:
                push(self.win.undo, ApplyAlignmentCommand(project, data))
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return
        if fresh is not None:
            self._adopt(fresh)
            return
        self.messages.info("alignment applied to the open project (undo reverts it)")

    def _adopt(self, fresh: Project) -> None:
        """Show a project built from a sync result (it has the old one's roles and path)."""
        self.win.set_project(fresh)
        unaligned = [s.name for s in fresh.sources if s.clock is None]
        text = "alignment done"
        if unaligned:
            text += "; not aligned: " + ", ".join(unaligned)
            self.messages.warning(text)
        else:
            self.messages.info(text)
