"""JobRunner: long work in workers, with the status bar's progress bar and Cancel button."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QThreadPool

from ui.controllers.base import Controller
from ui.workers import Job, start_job

__all__ = ["JobRunner"]


class JobRunner(Controller):
    """Starts :class:`~ui.workers.Job`\\ s and reports them; one job shows its progress at a time.

    ``jobs[kind]`` is the last job of each kind ("align", "export", "verify",
    "add", "shots"); its end is announced by the window's ``jobFinished(kind,
    result)`` signal (``None`` when it failed or was cancelled). Hashing and
    waveforms run in :attr:`background`, a one-thread pool, so they never
    compete with each other for the disk.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.jobs: dict[str, Job] = {}
        self.background = QThreadPool(self)
        self.background.setMaxThreadCount(1)
        self.background_jobs: list[Job] = []  # waveform jobs (no progress bar)
        self.current: Job | None = None
        self.closed = False

    def run(self, kind: str, label: str, job: Job, on_done: Callable, *, cancellable: bool = False,
            pool: QThreadPool | None = None) -> Job:
        """Start ``job``; ``on_done(result)`` runs on the GUI thread when it finishes."""
        win = self.win
        self.jobs[kind] = job
        win.progress.setValue(0)
        win.progress.setFormat(f"{label} %p%")
        win.progress.show()
        win.cancel_button.setVisible(cancellable)
        win.cancel_button.setEnabled(True)
        self.current = job

        def finish():
            if self.current is job:
                win.progress.hide()
                win.cancel_button.hide()

        def ok(result):
            finish()
            try:
                on_done(result)
            finally:
                win.jobFinished.emit(kind, result)

        def failed(message):
            finish()
            self.messages.error(message)
            win.jobFinished.emit(kind, None)

        def cancelled():
            finish()
            self.messages.info(f"{label}: cancelled")
            win.jobFinished.emit(kind, None)

        job.signals.progress.connect(self.guard(lambda f, m: self._on_progress(job, f, m)))
        job.signals.finished.connect(self.guard(ok))
        job.signals.failed.connect(self.guard(failed))
        job.signals.cancelled.connect(self.guard(cancelled))
        return start_job(job, pool)

    def run_background(self, job: Job) -> Job:
        """Start a job in :attr:`background` without progress bar (waveforms)."""
        self.background_jobs.append(job)
        return start_job(job, self.background)

    def guard(self, fn: Callable) -> Callable:
        """``fn`` that does nothing once the window is shut down (late signals from jobs)."""

        def guarded(*args):
            if not self.closed:
                fn(*args)

        return guarded

    def _on_progress(self, job: Job, fraction: float, message: str) -> None:
        if self.current is job:
            self.win.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
            if message:
                self.win.progress.setToolTip(message)

    def cancel(self) -> None:
        """Cancel the running job (alignment, export, shots)."""
        job = self.current
        if job is not None and not job.done:
            job.cancel()
            self.win.cancel_button.setEnabled(False)

    def cancel_all(self) -> None:
        """Shutting down: late signals are ignored from now on, and every job is asked to stop."""
        self.closed = True
        for job in [*self.jobs.values(), *self.background_jobs]:
            job.cancel()
