"""``pdf``: the HTML report (:mod:`timesync.export.html_report`) printed by headless Chromium.

The product stays pip-only: Chromium is not a dependency. It is looked for
when exporting (``$TIMESYNC_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` on the ``PATH``); without it the export is refused with one
sentence saying so (the HTML report prints the same from any browser). The
report's print CSS lays out the A4 pages; Chromium's own header and footer
are off. Chromium stamps the PDF with the time it was made: both dates
(``/CreationDate``, ``/ModDate``) are rewritten, in place and at the same
length, to the project's last change. Chromium waits for every compositor
stage and a virtual-time budget before printing; a repeated export then gives
the same pages, links and dates, and here the same bytes, though Chromium does
not promise identical bytes (one loaded test run gave two PDFs differing in one
digit). The HTML report is the byte-identical form.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export import html_report
from timesync.project.store import atomic_write_bytes

if TYPE_CHECKING:
    from timesync.project import Project

#: Seconds Chromium may take to print the report.
TIMEOUT_S = 300

_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to print with, or ``None``."""
    wanted = os.environ.get("TIMESYNC_CHROMIUM")
    if wanted:
        return shutil.which(wanted)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_args(exe: str, profile: Path) -> list[str]:
    """Headless Chromium with no network chatter, sandbox off (it runs as root in CI), a fresh profile."""
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            "--hide-scrollbars", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=30000",
            f"--user-data-dir={profile}"]


def _stamp(project: Project) -> str:
    """The project's last change as a PDF date body (14 digits), or the epoch."""
    history = project.history
    digits = re.sub(r"\D", "", history[-1].when)[:14] if history else ""
    return digits.ljust(14, "0") if len(digits) >= 8 else "19700101000000"


def fix_dates(pdf: bytes, stamp: str) -> bytes:
    """``pdf`` with its creation and modification dates set to ``stamp`` (same length: offsets stay valid)."""
    def repl(match: re.Match[bytes]) -> bytes:
        tail = match.group(3)
        fixed_tail = (b"+00'00'" if len(tail) == 7 else b"Z".ljust(len(tail), b" "))[: len(tail)]
        return b"/" + match.group(1) + b" (D:" + stamp.encode("ascii") + fixed_tail + b")"

    return _DATE.sub(repl, pdf)


def write(project: Project, out: Path, *, fmt: str = "pdf", progress: Callable[[float, str], Any] | None = None,
          **options: Any) -> None:
    """Render the HTML report, print it to ``out`` with headless Chromium (atomically)."""
    exe = find_chromium()
    if exe is None:
        raise ExportError(f"{out.name}: a PDF needs Chromium (chromium or google-chrome on the PATH, or "
                          "$TIMESYNC_CHROMIUM), which is not installed; export html and print it instead")
    page = html_report.render(project, progress=progress, **options)
    with tempfile.TemporaryDirectory(prefix="timesync-pdf-") as work:
        folder = Path(work)
        (folder / "report.html").write_bytes(page)
        printed = folder / "report.pdf"
        args = chromium_args(exe, folder / "profile") + [
            "--no-pdf-header-footer", f"--print-to-pdf={printed}", (folder / "report.html").as_uri()]
        if progress is not None:
            progress(1.0, "printing the PDF")
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ExportError(f"{out.name}: Chromium did not print the report within {TIMEOUT_S} s") from None
        if done.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            last = next((x for x in reversed(done.stderr.strip().splitlines()) if x.strip()), "no output")
            raise ExportError(f"{out.name}: Chromium could not print the report ({last.strip()})")
        atomic_write_bytes(out, fix_dates(printed.read_bytes(), _stamp(project)))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
