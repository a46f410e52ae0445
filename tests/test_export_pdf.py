"""The PDF report: repeated exports are byte-identical, also under CPU load (headless Chromium).

Chromium names the tagged PDF's structure elements after its internal DOM node IDs
(``/ID (node00000013)``), a counter whose values depend on what else asked for IDs
first; the export renumbers them in file order (same length, offsets kept).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.export.pdf_report import find_chromium, fix_node_ids
from timesync.project import Project

incident_media = test_project_factory.incident_media  # the session fixture

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed")


@pytest.fixture(scope="module")
def printed(tmp_path_factory, incident_media):
    """``(first, second)``: the same project's PDF exported twice while two busy processes load the CPU."""
    folder = tmp_path_factory.mktemp("pdf")
    build_incident(folder, incident_media)
    project = Project.load(folder / "incident.json")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        first = export(project, "pdf", folder / "a.pdf", case="2026-CR-0042").read_bytes()
        second = export(project, "pdf", folder / "b.pdf", case="2026-CR-0042").read_bytes()
    finally:
        for process in busy:
            process.kill()
            process.wait()
    return first, second


def _xref_ok(pdf: bytes) -> bool:
    """Every in-use entry of the cross-reference table points at its ``N 0 obj``."""
    start = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    head = re.match(rb"xref\s+(\d+) (\d+)\s+", pdf[start:])
    first, count = int(head.group(1)), int(head.group(2))
    rows = re.findall(rb"(\d{10}) (\d{5}) ([nf])", pdf[start + head.end():])[:count]
    return all(pdf[int(off):].startswith(b"%d 0 obj" % (first + i)) for i, (off, _, kind) in enumerate(rows)
               if kind == b"n")


def _renumber(pdf: bytes, mapping: dict[bytes, bytes]) -> bytes:
    """What another run of Chromium could write: other node IDs, the ID tree's names sorted again."""
    out = re.sub(rb"(?<=\()node\d{8}(?=\))", lambda m: mapping[m.group(0)], pdf)
    leaf = re.search(rb"/Limits \[\((node\d{8})\) \((node\d{8})\)\]\n/Names \[([^\]]*)\]", out)
    pairs = sorted(re.findall(rb"\((node\d{8})\) (\d+ \d+ R)", leaf.group(3)))
    rebuilt = (b"/Limits [(" + pairs[0][0] + b") (" + pairs[-1][0] + b")]\n/Names ["
               + b" ".join(b"(" + k + b") " + r for k, r in pairs) + b"]")
    assert len(rebuilt) == leaf.end() - leaf.start()
    return out[: leaf.start()] + rebuilt + out[leaf.end():]


def test_repeated_pdf_exports_are_byte_identical_under_load(printed):
    first, second = printed
    assert first.startswith(b"%PDF") and first == second
    ids = re.findall(rb"/ID \((node\d{8})\)", first)
    assert ids and ids[0] == b"node00000001"  # renumbered from 1 in file order
    assert b"/CreationDate (D:20260102" in first  # the project's last change, not the export time
    assert _xref_ok(first)


def test_other_node_ids_from_chromium_give_the_same_bytes(printed):
    first, _ = printed
    keys = sorted(set(re.findall(rb"(?<=\()node\d{8}(?=\))", first)))
    assert len(keys) >= 3
    shifted = {k: b"node%08d" % (int(k[4:]) + 12) for k in keys}  # more IDs handed out before the tagger ran
    swapped = dict(zip(keys, [keys[1], keys[0], *keys[2:]], strict=True))  # two handed out in the other order
    for mapping in (shifted, swapped):
        other = _renumber(first, mapping)
        assert other != first and len(other) == len(first)
        assert fix_node_ids(other) == first


def test_the_normalised_pdf_reads_in_poppler(printed, tmp_path):
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdfinfo, pdftotext) is not installed")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(printed[0])
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and info.stderr == "", info.stderr
    assert "CreationDate:" in info.stdout and re.search(r"Pages:\s+[4-9]", info.stdout)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and text.stderr == "" and "2026-CR-0042" in text.stdout
