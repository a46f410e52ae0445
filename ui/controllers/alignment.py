"""AlignmentController: run alignment in a worker, then adopt or apply its result.

The decisions are the core's (:mod:`timesync.workflow`), as for ``timesync sync``
and ``timesync anchor``: :func:`~timesync.workflow.alignment_request` on the GUI
thread, :meth:`~timesync.workflow.AlignmentRequest.run` in the worker, then
:func:`~timesync.workflow.fresh_project` says whether the result becomes a new
project (the open one held only its set-up) or an undoable re-alignment
(:class:`~ui.commands.ApplyAlignmentCommand` -> ``Project.apply_alignment``).
:meth:`AlignmentController.search_near` is the same run with one rough track's
searches narrowed to near its rough position (``alignment_request(near=)``).
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

    def search_near(self, name: str) -> Job | None:
        """Align again with the searches of ``name`` (placed roughly by hand) narrowed to near its
        rough position (:func:`timesync.workflow.alignment_request` ``near``); then say whether
        that placed it (undoable, as any alignment)."""
        from timesync.workflow import alignment_request

        try:
            request = alignment_request(self.project, near=[name])
        except TimesyncError as exc:
            self.messages.error(str(exc))
            return None

        def work(progress, req):
            return req.run(progress)

        def done(result) -> None:
            self._on_aligned(result)
            self._report_near(name)

        label = name.replace("\\", "/").rsplit("/", 1)[-1]
        return self.win.runner.run("align", f"searching near {label}", Job(work, request), done, cancellable=True)

    def _report_near(self, name: str) -> None:
        """Where the search near ``name``'s rough position left it."""
        from timesync.workflow import ROUGH_METHOD
        from ui.spec import format_uncertainty

        label = name.replace("\\", "/").rsplit("/", 1)[-1]
        if not self.project.has_source(name):
            return
        clock = self.project.clock(name)
        if clock is not None and clock.method != ROUGH_METHOD:
            self.messages.info(f"{label} placed by the search near its rough position: {clock.method}, offset "
                               f"{clock.offset_s:+.3f} s, {format_uncertainty(clock.uncertainty_s)}; Ctrl+Z undoes it")
            return
        notes = self.project.source(name).extra.get("notes") or {}
        why = "; ".join(f"{k}: {v}" for k, v in notes.items()) if isinstance(notes, dict) else ""
        self.messages.warning(f"the search near {label}'s rough position found nothing it would vouch for; "
                              f"it stays placed roughly" + (f" ({why})" if why else ""))

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
