"""``pdf``: the HTML report (:mod:`timesync.export.html_report`) printed by headless Chromium.

The product stays pip-only: Chromium is not a dependency. It is looked for
when exporting (``$TIMESYNC_CHROMIUM``, else ``chromium``, ``chromium-browser``,
``google-chrome`` on the ``PATH``); without it the export is refused with one
sentence saying so (the HTML report prints the same from any browser). The
report's print CSS lays out the A4 pages; Chromium's own header and footer
are off. Chromium waits for every compositor stage and a virtual-time budget
before printing, so a repeated export lays out the same pages.

Two things Chromium writes differ from one run to the next, and both are
rewritten in place, at the same length (every byte offset of the file stays
valid), so that a repeated export gives the same bytes:

* the dates: Chromium stamps the PDF with the time it was made; both
  ``/CreationDate`` and ``/ModDate`` become the project's last change;
* the structure tree's element IDs (the PDF is tagged, for screen readers):
  Chromium names each tagged element ``nodeNNNNNNNN`` after the browser's
  internal DOM node ID, a per-process counter handed out lazily to whatever
  asks first (the tagger, and other work on the page before printing), so the
  numbers are not a function of the report (a loaded run gave two PDFs
  differing in one digit: all else in the file comes from the page, its
  fonts and Chromium's version). They are renumbered
  ``node00000001``... in the order the elements appear in the file (the
  document's order), and the ID tree's name list is sorted again (PDF 32000-1,
  7.9.6: a name tree's keys are in order).
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
_NODE = re.compile(rb"(?<=\()node\d{8}(?=\))")
#: The ID tree's leaf as Skia writes it: its limits, then ``(key) ref`` pairs, one space apart.
_ID_LEAF = re.compile(rb"/Limits \[\((node\d{8})\) \((node\d{8})\)\]\n/Names \[((?:\(node\d{8}\) \d+ \d+ R ?)*)\]")
_ID_PAIR = re.compile(rb"\((node\d{8})\) (\d+ \d+ R)")


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


def fix_node_ids(pdf: bytes) -> bytes:
    """``pdf`` with its structure elements' ``nodeNNNNNNNN`` IDs renumbered in file order (same length).

    The ID tree's leaf (``/Limits``, ``/Names``) is left out when finding the
    order, then rebuilt with its pairs sorted by the new keys. A PDF without
    tags comes back unchanged.
    """
    leaf = _ID_LEAF.search(pdf)
    outside = pdf if leaf is None else pdf[: leaf.start()] + pdf[leaf.end():]
    new: dict[bytes, bytes] = {}
    for found in _NODE.finditer(outside):
        new.setdefault(found.group(0), b"node%08d" % (len(new) + 1))
    if leaf is not None:
        for key, _ref in _ID_PAIR.findall(leaf.group(3)):
            new.setdefault(key, b"node%08d" % (len(new) + 1))
    fixed = _NODE.sub(lambda m: new[m.group(0)], pdf)
    if leaf is None:
        return fixed
    pairs = sorted((new[key], ref) for key, ref in _ID_PAIR.findall(leaf.group(3)))
    rebuilt = (b"/Limits [(" + pairs[0][0] + b") (" + pairs[-1][0] + b")]\n/Names ["
               + b" ".join(b"(" + key + b") " + ref for key, ref in pairs) + b"]") if pairs else b""
    if len(rebuilt) != leaf.end() - leaf.start():  # no pairs (the pattern fixes the spacing otherwise)
        return fixed
    return fixed[: leaf.start()] + rebuilt + fixed[leaf.end():]


def normalise(pdf: bytes, stamp: str) -> bytes:
    """What a repeated export must repeat: :func:`fix_dates` then :func:`fix_node_ids` (offsets kept)."""
    return fix_node_ids(fix_dates(pdf, stamp))


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
        atomic_write_bytes(out, normalise(printed.read_bytes(), _stamp(project)))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
