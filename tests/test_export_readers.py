"""Every export read back by the real reader of its format, written outside the project's folder.

json: ``timesync verify`` on the exported file; csv: ``csv.DictReader`` and pandas; srt: ``srt``;
vtt: ``webvtt-py``; eaf: ``pympi-ling``; html: headless Chromium (``--dump-dom``, ``--print-to-pdf``).
Times are checked within 1 ms of the project (its ClockMaps). The readers are test extras
(``pip install -e .[test]``); a test whose reader is missing is skipped with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.errors import ExportError
from timesync.export import export
from timesync.export.pdf_report import chromium_args, find_chromium
from timesync.project import Project

ROOT = Path(__file__).resolve().parents[1]
incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def case(tmp_path_factory, incident_media):
    """``(project, exports folder)``: the project in ``case/``, exports go to a sibling folder."""
    top = tmp_path_factory.mktemp("readers")
    (top / "case").mkdir()
    (top / "exports").mkdir()
    build_incident(top / "case", incident_media)
    return Project.load(top / "case" / "incident.json"), top / "exports"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "timesync", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=300)


def test_json_exported_elsewhere_still_finds_every_source(case):
    project, exports = case
    out = export(project, "json", exports / "copy.json", force=True)
    data = json.loads(out.read_text())
    camA = data["sources"][0]
    assert camA["path"] == "../case/media/camA.mp4"  # from the export's own folder
    assert camA["absolute_path"] == project.resolve("camA.mp4").as_posix()
    done = _cli("verify", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MISSING" not in done.stdout and "4 of 4 sources verified" in done.stdout
    assert {s.hash_status for s in Project.load(out).sources} == {"verified"}


def test_csv_is_plain_rfc4180_for_dictreader_and_pandas(case):
    pandas = pytest.importorskip("pandas", reason="pandas is a test extra")
    project, exports = case
    out = export(project, "csv", exports / "events.csv", force=True)
    raw = out.read_bytes()
    assert raw.startswith(b"event_id,event_type,shared_time_s,") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert [r["event_id"] for r in rows] == [a.id for a in project.annotations]
    table = pandas.read_csv(out)
    assert list(table["event_id"]) == ["e1", "e2", "e3"]
    assert table["shared_time_s"].dtype.kind == "f" and table["camA.mp4 local_time_s"].dtype.kind == "f"
    assert table["uncertainty_s"].dtype.kind == "f"
    clock_b = project.clock("camB.mp4")
    for ann, row in zip(project.annotations, table.itertuples(index=False), strict=True):
        assert abs(row.shared_time_s - ann.shared_s) < 0.001
        local_b = table.loc[table["event_id"] == ann.id, "camB.mp4 local_time_s"].item()
        if not pandas.isna(local_b):
            assert abs(local_b - clock_b.to_local(ann.shared_s)) < 0.001
    sidecar = json.loads((exports / "events.csv.provenance.json").read_text())
    assert sidecar["sources"][1]["relative_path"] == "../case/media/camB.mp4"
    assert all(Path(exports, s["relative_path"]).is_file() for s in sidecar["sources"])


def test_srt_and_vtt_read_with_their_libraries(case):
    srt = pytest.importorskip("srt", reason="srt is a test extra")
    webvtt = pytest.importorskip("webvtt", reason="webvtt-py is a test extra")
    project, exports = case
    clock = project.clock("camB.mp4")
    subtitles = list(srt.parse(export(project, "srt", exports / "camB.srt", source="camB.mp4",
                                      force=True).read_text()))
    assert [s.index for s in subtitles] == [1, 2]
    assert all(s.end > s.start for s in subtitles)  # no zero-length provenance cue
    wanted = [a for a in project.annotations if a.id in ("e2", "e3")]
    for sub, ann in zip(subtitles, wanted, strict=True):
        assert abs(sub.start.total_seconds() - clock.to_local(ann.shared_s)) < 0.001
        assert ann.id in sub.content
    assert json.loads((exports / "camB.srt.provenance.json").read_text())["cue_times"] == "local time of camB.mp4"
    captions = webvtt.read(str(export(project, "vtt", exports / "camB.vtt", source="camB.mp4", force=True)))
    assert [round(c.start_in_seconds + c.start_time.milliseconds / 1000, 3) for c in captions] == [
        round(clock.to_local(a.shared_s), 3) for a in wanted]


def test_eaf_reads_in_pympi_with_used_tiers_a_vocabulary_and_visible_points(case):
    pympi = pytest.importorskip("pympi", reason="pympi-ling is a test extra")
    project, exports = case
    out = export(project, "eaf", exports / "incident.eaf", force=True)
    eaf = pympi.Eaf(str(out))
    used = ["shot fired", "verbal command", "person down"]
    assert [t for t in eaf.get_tier_names() if not t.endswith(" notes")] == used  # 3 of the 8 types
    cv = eaf.get_cv_entries("timesync-event-types")
    assert [values[0][0] for values, _ in cv.values()] == list(project.vocabulary)  # every type
    assert eaf.linguistic_types["timesync-event"]["CONTROLLED_VOCABULARY_REF"] == "timesync-event-types"
    spans = {t: eaf.get_annotation_data_for_tier(t) for t in used}
    zero = float(dict(eaf.properties)["timesync_elan_zero_shared_s"].split()[0])
    assert zero == 0.5  # phone.wav's start: the latest start before the first event (0.51)
    for ann in project.annotations:
        (start, end, value), = spans[ann.type]
        assert value == ann.type and abs(start / 1000 + zero - ann.shared_s) < 0.001
        # a point event lasts one frame of the 30 fps reference; an interval its length
        assert end - start == (33 if ann.end_s is None else round(ann.duration_s * 1000))
    notes = eaf.get_annotation_data_for_tier("person down notes")
    assert notes[0][2] == "e3 [camB.mp4] at shared 0:00:02.210"
    linked = []
    for media in eaf.media_descriptors:
        relative = media["RELATIVE_MEDIA_URL"]
        assert relative.startswith("../case/media/") and (exports / relative).resolve().is_file()
        name = Path(relative).name
        linked.append(name)
        assert int(media["TIME_ORIGIN"]) == round(project.clock(name).to_local(zero) * 1000) >= 0
    assert linked == ["camA.mp4", "phone.wav"]  # camB starts after the first event: not linked
    properties = dict(eaf.properties)
    assert "rounded to the nearest ms" in properties["timesync_time_origin_02"]
    assert properties["timesync_point_event_ms"].startswith("33 ")
    pympi.Elan.to_eaf(str(exports / "again.eaf"), eaf)  # pympi writes it back and reads the same tiers
    again = pympi.Eaf(str(exports / "again.eaf"))
    assert again.get_tier_names() == eaf.get_tier_names()
    assert again.get_annotation_data_for_tier("shot fired notes") == eaf.get_annotation_data_for_tier(
        "shot fired notes")


def test_bad_outputs_are_one_clear_refusal_and_touch_nothing(case, tmp_path):
    project, exports = case
    with pytest.raises(ExportError, match=r"^x.csv: the folder .*nowhere does not exist$"):
        export(project, "csv", tmp_path / "nowhere" / "x.csv")
    keep = tmp_path / "keep.csv"
    keep.write_text("keep me")
    with pytest.raises(ExportError, match=r"^keep.csv exists; pass --force to overwrite$"):
        export(project, "csv", keep)
    (tmp_path / "fresh.csv.provenance.json").write_text("mine")
    with pytest.raises(ExportError, match=r"^fresh.csv.provenance.json exists; pass --force to overwrite$"):
        export(project, "csv", tmp_path / "fresh.csv")
    assert not (tmp_path / "fresh.csv").exists() and keep.read_text() == "keep me"
    assert (tmp_path / "fresh.csv.provenance.json").read_text() == "mine"
    gone = Project.from_dict(project.to_dict(), path=tmp_path / "elsewhere" / "incident.json")
    for fmt in ("csv", "json", "html"):
        with pytest.raises(ExportError, match="every source file of .* is missing; restore or relink them"):
            export(gone, fmt, keep, force=True)
    assert keep.read_text() == "keep me"
    done = _cli("export", str(project.path), "--format", "csv", "-o", str(keep))
    assert done.returncode == 3 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert keep.read_text() == "keep me"


def test_cli_case_block_flags(case):
    project, exports = case
    out = exports / "report.html"
    done = _cli("export", str(project.path), "-f", "html", "-o", str(out), "--force", "--case", "2026-CR-0042",
                "--examiner", "J. Doe", "--agency", "County Sheriff")
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    for text in ("<th>Case number</th><td>2026-CR-0042</td>", "<th>Examiner</th><td>J. Doe</td>",
                 "<th>Agency</th><td>County Sheriff</td>"):
        assert text in html
    done = _cli("export", str(project.path), "-f", "csv", "-o", str(exports / "c.csv"), "--case", "1")
    assert done.returncode != 0 and "--case applies to html and pdf only" in done.stderr


# -- the HTML report in a real browser ------------------------------------------------------------
def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    return subprocess.run(chromium_args(exe, tmp_path / "profile") + list(args), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=180)


def test_html_report_loads_and_prints_in_headless_chromium(case, tmp_path):
    project, exports = case
    out = export(project, "html", exports / "court.html", force=True, case="2026-CR-0042", examiner="J. Doe")
    dom = _chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-500:]
    page = dom.stdout
    assert "<td>2026-CR-0042</td>" in page and "not given" in page  # agency not given
    assert page.count("<tr><td><a href=\"#e") == 3  # the summary table: one row per event
    assert "±0.002000" in page  # e3's uncertainty (camB placed to 2 ms)
    assert "Device clock findings" in page
    assert page.count("<section class=\"event\"") == 3 and page.count("type=\"checkbox\"") == 5
    pdf = tmp_path / "court.pdf"
    printed = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", out.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    pages = pdf.read_bytes().count(b"/Type /Page\n") + pdf.read_bytes().count(b"/Type /Page>>") + \
        pdf.read_bytes().count(b"/Type /Page ")
    assert pages >= 4  # the front matter, then each event on its own page
    shot = tmp_path / "court.png"
    assert _chromium(tmp_path, "--window-size=1000,1400", f"--screenshot={shot}", out.as_uri()).returncode == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _pdf_outline(pdf: bytes) -> tuple:
    """Pages, link destinations and dates of a PDF (what a repeat must keep)."""
    pages = len(re.findall(rb"/Type /Page[\s>/]", pdf))
    return pages, sorted(re.findall(rb"/Dest /(\w+)", pdf)), sorted(re.findall(rb"/(?:Creation|Mod)Date \([^)]*\)", pdf))


def test_pdf_export_repeats_or_says_it_needs_chromium(case, tmp_path, monkeypatch):
    project, exports = case
    if find_chromium() is None:
        with pytest.raises(ExportError, match="a PDF needs Chromium"):
            export(project, "pdf", tmp_path / "r.pdf")
        return
    first = export(project, "pdf", tmp_path / "a.pdf", case="2026-CR-0042").read_bytes()
    second = export(project, "pdf", tmp_path / "b.pdf", case="2026-CR-0042").read_bytes()
    # the node IDs Chromium writes are renumbered (test_export_pdf.py does this under load)
    assert first.startswith(b"%PDF") and first == second
    assert _pdf_outline(first)[0] >= 4
    assert b"/CreationDate (D:20260102" in first  # the project's last change, not the export time
    assert oct((tmp_path / "a.pdf").stat().st_mode & 0o777) == "0o644"
    monkeypatch.setenv("TIMESYNC_CHROMIUM", "no-such-browser")
    with pytest.raises(ExportError, match=r"^c.pdf: a PDF needs Chromium"):
        export(project, "pdf", tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


def test_cli_all_sources_missing_is_one_line(case, tmp_path):
    project, _ = case
    moved = tmp_path / "moved.json"
    moved.write_text(project.path.read_text())  # its relative media paths now point at nothing
    keep = tmp_path / "keep.html"
    keep.write_text("keep me")
    done = _cli("export", str(moved), "-f", "html", "-o", str(keep), "--force")
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "every source file of moved.json is missing" in done.stderr
    assert keep.read_text() == "keep me"
