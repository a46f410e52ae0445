"""The export ffmpeg runner (timesync.export.ffmpeg_run): a run that stops reporting progress is killed and run again.

A fresh-clone CI run saw ffmpeg (imageio-ffmpeg's build) sit with every thread waiting on a futex,
silent, for ten minutes in the middle of a grid render: a rare deadlock inside ffmpeg. Real
processes stand in for it here: ``sleep`` (silent, never ends) and ``sh`` printing progress lines.
"""

from __future__ import annotations

import sys

import pytest

from timesync.errors import ExportError
from timesync.export import ffmpeg_run


def test_a_silent_run_counts_as_hung_and_is_killed(monkeypatch):
    monkeypatch.setattr(ffmpeg_run, "STALL_S", 0.5)
    returncode, error = ffmpeg_run._run_once(["sleep", "30"], 1.0, None, "g.mp4")
    assert (returncode, error) == (None, "")


def test_a_run_that_hangs_every_time_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(ffmpeg_run, "STALL_S", 0.3)
    with pytest.raises(ExportError, match=r"g\.mp4: ffmpeg stopped responding .*2 tries"):
        ffmpeg_run.run_ffmpeg(["sleep", "30"], 1.0, None, "g.mp4")


def test_progress_and_a_full_stderr_do_not_block(monkeypatch):
    """200 KB of stderr (more than a pipe holds) and progress lines: read to the end, status kept."""
    monkeypatch.setattr(ffmpeg_run, "STALL_S", 20.0)
    script = ("import sys\n"
              "sys.stderr.write('x' * 200000 + '\\nlast error line\\n')\n"
              "print('out_time_us=500000', flush=True)\n"
              "print('out_time_us=1000000', flush=True)\n"
              "sys.exit(3)\n")
    seen = []
    with pytest.raises(ExportError, match=r"g\.mp4: ffmpeg failed \(last error line\)"):
        ffmpeg_run.run_ffmpeg([sys.executable, "-c", script], 1.0, lambda f, m: seen.append(f), "g.mp4")
    assert seen == [0.5, 1.0]
