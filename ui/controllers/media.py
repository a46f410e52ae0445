"""MediaController: adding media (hashed in a worker), hash checks, waveforms, placing by hand."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from timesync.clock import IDENTITY, ClockMap
from timesync.errors import TimesyncError
from timesync.project import Project
from ui.commands import SetClockCommand, push
from ui.controllers.base import Controller, error_sentence
from ui.spec import SourceSpec
from ui.workers import ENVELOPE_HZ, Job, audio_envelope

__all__ = ["MediaController", "MEDIA_FILTER"]

MEDIA_FILTER = ("Media (*.mp4 *.mov *.m4v *.mkv *.avi *.mts *.m2ts *.ts *.wav *.mp3 *.m4a *.aac *.flac *.ogg *.opus)"
                ";;All files (*)")


class MediaController(Controller):
    """The project's recordings: add, re-hash, waveforms, hand placement (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._envelopes: dict[str, object] = {}  # "path|sha256" -> envelope (None while computing)

    def add_dialog(self) -> None:
        """Ask for media files and add them."""
        paths, _ = QFileDialog.getOpenFileNames(self.win, "Add media", str(self.default_folder()), MEDIA_FILTER)
        if paths:
            self.add_media(paths)

    def add_media(self, paths: list[str | os.PathLike[str]]) -> Job | None:
        """Hash and probe files in a worker, then add them to the project (reports bad files)."""
        paths = [Path(p) for p in paths]
        if not paths:
            return None
        from timesync.project.verify import hash_file, probe_summary

        def work(progress, files):
            done = []
            for i, path in enumerate(files):
                progress(i / len(files), f"hashing {path.name}")
                try:
                    done.append((path, hash_file(path), probe_summary(path), None))
                except (TimesyncError, OSError) as exc:
                    done.append((path, None, None, error_sentence(exc, path)))
            return done

        return self.win.runner.run("add", f"adding {len(paths)} file(s)", Job(work, paths), self._on_media_hashed)

    def _on_media_hashed(self, results) -> None:
        project = self.project
        for path, digest, summary, error in results:
            if error is not None:
                self.messages.error(error)
                continue
            try:
                first = project.reference is None and not project.sources
                source = project.add_source(path, sha256=digest, probe=summary,
                                            clock=IDENTITY if first else None,
                                            reason="" if first else "not aligned yet: run alignment")
                project.set_hash_status(source.name, "verified")
                if first:
                    project.set_reference(source.name)
            except (TimesyncError, OSError) as exc:
                self.messages.error(error_sentence(exc, path))

    def verify_hashes(self) -> Job:
        """Re-hash every source in the background; statuses and problems appear when done."""
        from timesync.project.verify import check_sources

        snapshot = Project.from_dict(self.project.to_dict(), path=self.project.path)
        project = self.project

        def work(progress, snap):
            progress(0.0, "verifying hashes")
            return check_sources(snap)

        def done(checks):
            if self.project is not project:
                return
            problems = 0
            for check in checks:
                if project.has_source(check.name):
                    project.set_hash_status(check.name, check.status)
                if check.status != "verified":
                    problems += 1
                    if check.status != "missing":  # the missing ones: one message, offering relink
                        (self.messages.error if check.status == "changed" else self.messages.warning)(check.message)
            self.win.relink.offer([c.name for c in checks if c.status == "missing"], len(checks))  # ui/relink.py
            if not problems and checks:
                self.status(f"all {len(checks)} sources verified", 5000)

        runner = self.win.runner
        return runner.run("verify", "verifying hashes", Job(work, snapshot), done, pool=runner.background)

    def load_envelopes(self, specs: list[SourceSpec]) -> None:
        """Give the timeline each source's audio envelope, computed once per file (path and hash)."""
        timeline, runner = self.win.timeline, self.win.runner
        for spec in specs:
            if spec.hash_status == "missing" or not spec.path.is_file():
                continue
            key = f"{spec.path}|{spec.sha256}"
            if key in self._envelopes:
                env = self._envelopes[key]
                if env is not None:
                    timeline.set_envelope(spec.name, env, ENVELOPE_HZ)
                continue
            if not (spec.extra.get("probe") or {}).get("audio"):
                continue
            self._envelopes[key] = None
            duration = (spec.extra.get("probe") or {}).get("duration_s")
            job = Job(audio_envelope, str(spec.path), duration_s=duration)
            job.signals.finished.connect(runner.guard(lambda env, k=key, n=spec.name: self._on_envelope(k, n, env)))
            job.signals.failed.connect(runner.guard(lambda msg: self.messages.warning(f"waveform: {msg}")))
            runner.run_background(job)

    def _on_envelope(self, key: str, name: str, env) -> None:
        self._envelopes[key] = env
        self.win.timeline.set_envelope(name, env, ENVELOPE_HZ)

    def set_source_clock(self, name: str, clock: ClockMap) -> None:
        """Place a source by hand (undoable; recorded as "manual" in the history)."""
        try:
            push(self.win.undo, SetClockCommand(self.project, name, clock))
        except TimesyncError as exc:
            self.messages.error(str(exc))

    def nudge(self, frames: int = 0, milliseconds: int = 0) -> None:
        """Nudge the selected track (timeline selection, else the focused view's source)."""
        timeline, grid = self.win.timeline, self.win.grid
        name = timeline.selected_source
        if name is None and grid.focused_view is not None:
            name = grid.focused_view.spec.name
            timeline.select_source(name)
        if name is None:
            self.messages.info("select a track first (click it in the timeline)")
            return
        if frames:
            timeline.nudge_selected_frames(frames)
        if milliseconds:
            timeline.nudge_selected_ms(milliseconds)
