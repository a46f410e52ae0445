"""Sound-travel bounds and manual ties in the exports and the report, read back by their real readers.

The bound (``travel_bound_s`` per source, from ``timesync sync --max-distance``) is reported apart
from the one-sigma uncertainty (issue 13 item 4); the ties (the project's anchors) are listed with
their frames and uncertainties (issue 19 item 5).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.export.pdf_report import find_chromium
from timesync.project import Project

incident_media = test_project_factory.incident_media  # the session fixture

BOUND_B = 0.2914  # camB placed on heard sound: 100 m / c
BOUND_PHONE = 0.05


@pytest.fixture(scope="module")
def project(tmp_path_factory, incident_media):
    """The incident with sound-travel bounds (camB, phone), the assumption recorded, and two ties."""
    folder = tmp_path_factory.mktemp("travel")
    build_incident(folder, incident_media)
    data = Project.load(folder / "incident.json").to_dict()
    data["provenance"] = {"timesync_version": "test", "parameters": {"max_distance_m": 100.0}}
    loaded = Project.from_dict(data, path=folder / "incident.json")
    for name, bound in (("camB.mp4", BOUND_B), ("phone.wav", BOUND_PHONE)):
        loaded.correct_clock(name, loaded.clock(name), bound, "test: a placement on heard sound")
    loaded.add_anchor({"source": "camA.mp4", "source_s": 1.52, "other": "camB.mp4", "other_s": 0.5,
                       "uncertainty_s": 0.01}, author="examiner")
    loaded.add_anchor({"source": "camA.mp4", "source_s": 1.0, "other": "drone.mp4", "other_s": 1.05,
                       "uncertainty_s": None}, author="examiner")
    loaded.save(folder / "incident.json")
    return Project.load(folder / "incident.json")


def _check_ties(ties: list[dict]) -> None:
    first, second = ties
    assert (first["number"], first["source"], first["source_frame"], first["other"], first["other_frame"]) == (
        1, "camA.mp4", 45, "camB.mp4", 12)  # 1.52 s at 30 fps, 0.5 s at 25 fps
    assert first["sigma_s"] == 0.01 and first["uncertainty_s"] == 0.01
    assert abs(first["residual_s"] - (-0.02)) < 1e-9  # camB 0.5 is shared 1.5, camA 1.52 is shared 1.52
    assert first["added_by"] == "examiner" and first["added_at"]
    assert second["other_frame"] == 10 and second["uncertainty_s"] is None  # drone at 10 fps
    assert abs(second["sigma_s"] - 1 / 30) < 1e-12 and second["residual_s"] is None  # drone not aligned


def test_csv_gives_each_event_its_sigma_bound_and_total(project, tmp_path):
    pandas = pytest.importorskip("pandas", reason="pandas is a test extra")
    out = export(project, "csv", tmp_path / "events.csv")
    table = pandas.read_csv(out).set_index("event_id")
    e3 = table.loc["e3"]  # marked on camB
    assert e3["uncertainty_s"] == 0.002 and e3["travel_bound_s"] == BOUND_B
    assert abs(e3["total_uncertainty_s"] - (0.002 + BOUND_B)) < 1e-6
    assert e3["camB.mp4 travel_bound_s"] == 0.0  # where it was marked
    assert abs(e3["phone.wav travel_bound_s"] - (BOUND_B + BOUND_PHONE)) < 1e-6  # bounds add
    e2 = table.loc["e2"]  # on the shared clock, while camB records
    assert (e2["travel_bound_s"], e2["total_uncertainty_s"], e2["camB.mp4 travel_bound_s"]) == (0.0, 0.0, BOUND_B)
    sidecar = json.loads((tmp_path / "events.csv.provenance.json").read_text())
    assert [s["travel_bound_s"] for s in sidecar["sources"]] == [0.0, BOUND_B, BOUND_PHONE, None]
    assert sidecar["sound_travel"]["max_distance_m"] == 100.0 and "100 m" in sidecar["sound_travel"]["assumption"]
    assert "travel_bound_s" in sidecar["columns"] and "total_uncertainty_s" in sidecar["columns"]
    e3_record = next(e for e in sidecar["events"] if e["id"] == "e3")
    assert (e3_record["uncertainty_s"], e3_record["travel_bound_s"]) == (0.002, BOUND_B)
    _check_ties(sidecar["anchors"])


def test_json_provenance_has_bounds_events_and_ties(project, tmp_path):
    data = json.loads(export(project, "json", tmp_path / "copy.json").read_text())
    record = data["export_provenance"]
    assert record["sources"][1]["travel_bound_s"] == BOUND_B and record["sound_travel"]["max_distance_m"] == 100.0
    e3 = next(e for e in record["events"] if e["id"] == "e3")
    assert abs(e3["total_uncertainty_s"] - 0.2934) < 1e-9
    _check_ties(record["anchors"])


def test_caption_provenance_states_bound_and_ties(project, tmp_path):
    webvtt = pytest.importorskip("webvtt", reason="webvtt-py is a test extra")
    out = export(project, "vtt", tmp_path / "events.vtt")
    webvtt.read(str(out))  # still reads
    text = out.read_text()
    assert "sound-travel bound 0.291400 s" in text and "at most 100 m" in text
    assert "manual tie 1: camA.mp4 at 1.520000 s (frame 45) = camB.mp4 at 0.500000 s (frame 12)" in text


def test_report_shows_bound_apart_and_lists_the_ties(project, tmp_path):
    html = export(project, "html", tmp_path / "r.html").read_text()
    prov = html[html.index("<h2>Provenance</h2>"):html.index("<h2>Manual ties</h2>")]
    row_b = re.search(r"<tr><td>camB\.mp4<br>.*?</tr>", prov).group(0)
    assert "<td class='num'>0.002000</td><td class='num'>&le;0.291400</td>" in row_b
    assert "at most 100 m from each source that heard it" in prov
    summary = html[html.index("<h2>Summary of events</h2>"):html.index("<h2>Device clock findings</h2>")]
    row_e3 = re.search(r"<tr><td><a href='#e3'>.*?</tr>", summary).group(0)
    assert "&plusmn;0.002000" in row_e3 and "&le;0.291400" in row_e3
    ties = html[html.index("<h2>Manual ties</h2>"):]
    assert "<td>1</td><td>camA.mp4</td><td class='num'>1.520000</td><td class='num'>45</td>" in ties
    assert "&plusmn;0.033333 (default)" in ties and "-0.020000 &plusmn;" in ties and "examiner, " in ties
    assert "sound-travel bound &le;0.291400 s" in html[html.index("<section class='event' id='e3'>"):]


def test_pdf_report_carries_bound_and_ties(project, tmp_path):
    if find_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("headless Chromium and pdftotext (poppler-utils) are needed")
    out = export(project, "pdf", tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          timeout=60).stdout
    assert "Manual ties" in text and "sound-travel bound" in text.replace("\n", " ")
    assert "≤0.291400" in text and "1.520000" in text and "at most 100 m" in text


def test_a_project_without_the_assumption_says_not_recorded(tmp_path, incident_media):
    plain = build_incident(tmp_path, incident_media)
    html = export(plain, "html", tmp_path / "r.html").read_text()
    assert "is not recorded in the project" in html and "not recorded" in html
    assert "<p>None: no source was placed by hand.</p>" in html


@pytest.fixture(scope="module")
def rejected(tmp_path_factory, incident_media):
    """The incident with drone.mp4 placed by device clocks only and that suggestion rejected by a reviewer."""
    from timesync.align.device_clocks import UNVERIFIED
    from timesync.clock import ClockMap

    folder = tmp_path_factory.mktemp("rejected")
    build_incident(folder, incident_media)
    loaded = Project.load(folder / "incident.json")
    loaded.set_source_clock("drone.mp4", ClockMap(12.5, 1.0, 3600.0), method=f"metadata ({UNVERIFIED})")
    loaded.reject_suggestion("drone.mp4", author="reviewer")
    loaded.save(folder / "incident.json")
    return Project.load(folder / "incident.json")


def test_rejected_suggestions_are_listed_in_json_captions_and_report(rejected, tmp_path):
    webvtt = pytest.importorskip("webvtt", reason="webvtt-py is a test extra")
    record = json.loads(export(rejected, "json", tmp_path / "copy.json").read_text())["export_provenance"]
    (only,) = record["rejected_suggestions"]
    assert (only["source"], only["offset_s"], only["rejected_by"], only["placed_now"]) == (
        "drone.mp4", 12.5, "reviewer", False)
    assert only["uncertainty_s"] == 3600.0 and only["rejected_at"]
    vtt = export(rejected, "vtt", tmp_path / "events.vtt")
    webvtt.read(str(vtt))
    assert "rejected suggestion: drone.mp4 at offset +12.500000 s" in vtt.read_text()
    assert "rejected by reviewer" in vtt.read_text() and "; not placed now" in vtt.read_text()
    html = export(rejected, "html", tmp_path / "r.html").read_text()
    section = html[html.index("<h3>Rejected suggestions</h3>"):]
    assert "<td>drone.mp4</td><td class='num'>+12.500000</td>" in section and "reviewer, " in section
    assert "<p>None: no source was placed by hand.</p>" in html  # no tie, yet the rejection is listed


def test_a_project_with_no_rejection_lists_none(project, tmp_path):
    record = json.loads(export(project, "json", tmp_path / "copy.json").read_text())["export_provenance"]
    assert record["rejected_suggestions"] == []
    assert "Rejected suggestions" not in export(project, "html", tmp_path / "r.html").read_text()
