"""Running ffmpeg for an export: its ``-progress`` reported, its pipes drained, a hang survived.

Used by the grid video export (:mod:`timesync.export.grid`). ffmpeg writes ``-progress`` lines
(``out_time_us=...``) on stdout about twice a second while it works. A fresh-clone CI run saw
imageio-ffmpeg's build sit silent with every thread waiting on a futex in the middle of a render:
a rare deadlock inside ffmpeg. A run silent for :data:`STALL_S` is killed and started again.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from timesync.errors import ExportError

__all__ = ["run_ffmpeg", "STALL_S", "ATTEMPTS"]

_TIME = re.compile(r"^out_time_us=(\d+)$")

#: Seconds without a ``-progress`` report after which an ffmpeg run counts as hung (it reports
#: about twice a second while it works; a rare deadlock of its threads leaves it silent forever).
STALL_S = 120.0
#: Runs of a hung ffmpeg before the export gives up.
ATTEMPTS = 2


def run_ffmpeg(args: list[str], duration_s: float, progress: Callable[[float, str], Any] | None, name: str) -> None:
    """Run ffmpeg, reporting ``-progress`` to ``progress(fraction, message)``; ExportError on failure.

    A run silent for :data:`STALL_S` is killed and started again (at most :data:`ATTEMPTS` runs):
    its output is a temporary file, replaced only after a whole run.
    """
    for attempt in range(1, ATTEMPTS + 1):
        returncode, error = _run_once(args, duration_s, progress, name)
        if returncode is not None:
            break
        if attempt == ATTEMPTS:
            raise ExportError(f"{name}: ffmpeg stopped responding ({STALL_S:.0f} s without progress, "
                              f"{ATTEMPTS} tries)")
    if returncode != 0:
        last = next((line for line in reversed(error.strip().splitlines()) if line.strip()), "unknown error")
        raise ExportError(f"{name}: ffmpeg failed ({last.strip()})")
    if progress is not None:
        progress(1.0, f"wrote {name}")


def _run_once(args: list[str], duration_s: float, progress: Callable[[float, str], Any] | None,
              name: str) -> tuple[int | None, str]:
    """One ffmpeg run: ``(exit status, stderr)``, or ``(None, "")`` when it hung and was killed.

    stdout (the progress) and stderr are read by threads, so neither pipe can fill and block it.
    """
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    errors: list[str] = []
    readers = [threading.Thread(target=_pump, args=(proc.stdout, lines.put, True), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, errors.append, False), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        while (line := lines.get(timeout=STALL_S)) is not None:
            match = _TIME.match(line.strip())
            if match and progress is not None:
                done = int(match.group(1)) / 1e6
                progress(min(done / duration_s, 1.0), f"rendering {name}")
    except queue.Empty:
        proc.kill()
        proc.wait()
        return None, ""
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.wait()
    for reader in readers:
        reader.join()
    return proc.returncode, "".join(errors)


def _pump(stream: Any, put: Callable[[Any], Any], end: bool) -> None:
    """Hand every line of ``stream`` to ``put``, then (``end``) ``None`` to say it ended."""
    for line in stream:
        put(line)
    if end:
        put(None)
