"""The HTML report as a court exhibit: case block, summary, device clock findings, kinds, full-size stills."""

from __future__ import annotations

import base64
import re

import cv2
import numpy as np
import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.export.provenance import event_uncertainty, source_kind
from timesync.project import Project

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def incident(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("report")
    build_incident(folder, incident_media)
    return Project.load(folder / "incident.json")


def _with_clocks(project: Project) -> Project:
    """camA's burned-in clock reads 21:02:33.850 at its local 0; camB's 7.15 s behind at the same moment."""
    data = project.to_dict()
    data["sources"][0]["overlay_clock"] = {"at_local_zero": "2024-05-17T21:02:33.850", "rate": 1.0,
                                           "uncertainty_s": 0.004}
    # camB's local 0 is shared 1.0 (camA reads 21:02:34.850 then); camB reads 7.15 s less
    data["sources"][1]["overlay_clock"] = {"at_local_zero": "2024-05-17T21:02:27.700", "rate": 1.0,
                                           "uncertainty_s": 0.004}
    return Project.from_dict(data, path=project.path)


def test_report_states_device_clock_errors_and_the_wall_clock_basis(incident, tmp_path):
    html = export(_with_clocks(incident), "html", tmp_path / "r.html").read_text()
    section = html[html.index("<h2>Device clock findings</h2>"):html.index("<h2>Provenance</h2>")]
    assert "camB.mp4&#x27;s clock is 7.150 s behind camA.mp4&#x27;s" in section
    assert "burned-in clock of camA.mp4" in section  # whose clock the wall-clock times are
    summary = html[html.index("<h2>Summary of events</h2>"):html.index("<h2>Device clock findings</h2>")]
    assert summary.count("<tr><td><a href='#e") == 3
    assert "2024-05-17T21:02:34.360" in summary  # e1 at shared 0.51 on camA's clock
    plain = export(incident, "html", tmp_path / "p.html").read_text()
    assert "no device clock can be compared with another" in plain


def test_summary_gives_each_event_its_uncertainty(incident, tmp_path):
    assert event_uncertainty(incident, incident.annotation("e3")) == (0.002, "clock of camB.mp4 (audio)")
    assert event_uncertainty(incident, incident.annotation("e1")) == (0.0, "entered on the shared clock")
    html = export(incident, "html", tmp_path / "r.html", case="2026-CR-0042").read_text()
    row = re.search(r"<tr><td><a href='#e3'>e3</a></td>.*?</tr>", html).group(0)
    assert "&plusmn;0.002000" in row and "clock of camB.mp4 (audio)" in row and "camB.mp4" in row
    assert "<th>Case number</th><td>2026-CR-0042</td>" in html
    assert "<th>Examiner</th><td><span class='warn'>not given</span></td>" in html
    assert "@media print" in html and "@page" in html and "break-before: page" in html


def test_kinds_come_from_roles_or_else_the_probe_never_invented(incident, tmp_path):
    data = incident.to_dict()
    for entry in data["sources"]:
        entry["role"] = "other"
    plain = Project.from_dict(data, path=incident.path)
    assert [source_kind(s) for s in plain.sources] == ["video camera", "video camera", "audio recorder",
                                                       "video camera"]
    assert [source_kind(s) for s in incident.sources] == ["body cam", "body cam", "audio-only", "aerial"]
    html = export(plain, "html", tmp_path / "r.html").read_text()
    assert "<td><i>video camera</i>; reference</td>" in html and "<td><i>audio recorder</i></td>" in html


def test_stills_are_full_resolution_with_click_to_enlarge(incident, tmp_path):
    html = export(incident, "html", tmp_path / "r.html").read_text()
    found = re.findall(r"<label class='zoom' title='click to enlarge'><input type='checkbox' id='([^']+)'>"
                       r"<img alt='([^']+) frame (\d+)' style='width:320px' src='data:image/png;base64,([^']+)'>",
                       html)
    assert len(found) == 5 and len({key for key, *_ in found}) == 5
    for *_, data in found:
        image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[:2] == (120, 160)  # the source's own size, not a thumbnail
    assert "local 0:00:01.210 &middot; frame 30 &middot; PTS" in html and "160&times;120 px" in html
    assert "label.zoom input:checked + img" in html and "<script" not in html
