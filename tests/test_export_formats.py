"""json, csv, vtt, srt, eaf and html exports: content, provenance, byte-identical repeats, refusals."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
import test_project_factory
from media_factory import frame_number
from test_project_factory import build_incident

from timesync import __version__
from timesync.errors import ExportError
from timesync.export import FORMATS, export
from timesync.project import Project

TEXT_FORMATS = ("json", "csv", "vtt", "srt", "eaf", "html", "otio", "xml", "fcpxml", "edl")

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def incident(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("formats")
    build_incident(folder, incident_media)
    return Project.load(folder / "incident.json"), folder


def _export(project, fmt, folder, **options):
    return export(project, fmt, folder / f"out.{fmt}", force=True, **options)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_text_export_is_byte_identical_and_carries_provenance(incident, tmp_path, fmt):
    project, folder = incident
    first = _with_sidecar(export(project, fmt, tmp_path / f"a.{fmt}"))
    second = _with_sidecar(export(project, fmt, tmp_path / f"b.{fmt}"))
    assert first == second.replace(b"b." + fmt.encode(), b"a." + fmt.encode())
    text = first.decode("utf-8")
    assert __version__ in text
    for source in project.sources:
        assert source.sha256 in text
    assert "verified" in text
    assert "audio" in text  # how camB was aligned
    # reloading the project (re-hash, new objects) gives the same bytes again
    again = Project.load(folder / "incident.json")
    assert _with_sidecar(export(again, fmt, tmp_path / f"c.{fmt}")).replace(b"c." + fmt.encode(),
                                                                          b"a." + fmt.encode()) == first


def _with_sidecar(path):
    """The export's bytes, then its provenance sidecar's (csv, srt) if it has one."""
    sidecar = path.with_name(path.name + ".provenance.json")
    return path.read_bytes() + (sidecar.read_bytes() if sidecar.exists() else b"")


def test_json_is_the_full_project(incident, tmp_path):
    project, _ = incident
    data = json.loads(_export(project, "json", tmp_path).read_text())
    assert data["schema"] == "timesync.project/1"
    assert [e["id"] for e in data["events"]] == ["e1", "e2", "e3"]
    assert data["export_provenance"]["sources"][1]["uncertainty_s"] == 0.002
    assert data["export_provenance"]["version"] == __version__
    assert Project.from_dict({k: v for k, v in data.items() if k != "export_provenance"}).to_dict()["events"] == data["events"]


def test_csv_has_local_time_and_frame_per_source(incident, tmp_path):
    project, _ = incident
    out = _export(project, "csv", tmp_path)
    text = out.read_text()
    assert text.startswith("event_id,event_type,shared_time_s,") and "#" not in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["event_id"] for r in rows] == ["e1", "e2", "e3"]
    e1, e2, e3 = rows
    assert (e1["shared_time_s"], e1["shared_time_hms"], e1["event_type"]) == ("0.510000", "0:00:00.510", "shot fired")
    assert (e1["camA.mp4 local_time_s"], e1["camA.mp4 frame_number"]) == ("0.510000", "15")
    assert (e1["camB.mp4 status"], e1["camB.mp4 local_time_s"], e1["camB.mp4 frame_number"]) == (
        "not recording", "", "")
    assert (e2["camB.mp4 local_time_s"], e2["camB.mp4 frame_number"], e2["end_shared_time_s"]) == (
        "0.500000", "12", "2.500000")
    assert (e3["camA.mp4 frame_number"], e3["camB.mp4 local_time_s"], e3["camB.mp4 frame_number"]) == (
        "66", "1.210000", "30")
    assert (e3["phone.wav local_time_s"], e3["phone.wav frame_number"]) == ("1.710000", "")
    assert (e3["drone.mp4 status"], e3["drone.mp4 frame_number"]) == ("not aligned", "")
    assert e2["note"] == '"drop it"' and e3["observed_in"] == "camB.mp4"
    assert e1["wall_clock"] == ""  # no clock overlay or wall clock known
    # e3 was marked on camB (placed to 2 ms): 2 ms on the shared clock, 0 in camB, 2.24 ms in phone.wav (1 ms)
    assert (e3["uncertainty_s"], e3["camB.mp4 uncertainty_s"], e3["phone.wav uncertainty_s"]) == (
        "0.002000", "0.000000", "0.002236")
    sidecar = json.loads(out.with_name("out.csv.provenance.json").read_text())
    assert sidecar["export"] == "out.csv" and sidecar["version"] == __version__
    assert "<source> local_time_s" in sidecar["columns"]


def test_csv_wall_clock_from_the_reference_overlay(incident, tmp_path):
    project, _ = incident
    data = project.to_dict()
    data["sources"][0]["overlay_clock"] = {"at_local_zero": "2024-05-17T21:02:33.850", "rate": 1.0,
                                           "uncertainty_s": 0.017}
    other = Project.from_dict(data, path=project.path)
    rows = _export(other, "csv", tmp_path).read_text().splitlines()[1:]
    assert "2024-05-17T21:02:34.360" in rows[0]  # 33.850 + 0.510
    assert "2024-05-17T21:02:36.060" in rows[2]  # 33.850 + 2.210
    assert "burned-in clock of camA.mp4" in rows[0]


def test_vtt_and_srt_on_a_chosen_source(incident, tmp_path):
    project, _ = incident
    vtt = _export(project, "vtt", tmp_path, source="camB.mp4").read_text()
    assert vtt.startswith(f"WEBVTT\n\nNOTE\ntimesync {__version__}")
    cues = re.findall(r"^(e\d)\n(\S+) --> (\S+)$", vtt, flags=re.M)
    # e1 is before camB starts; e2 1.5-2.5 shared = 0.5-1.5 local; e3 2.21 = 1.21 local, 2 s long
    assert cues == [("e2", "00:00:00.500", "00:00:01.500"), ("e3", "00:00:01.210", "00:00:03.210")]
    assert "cue times: local time of camB.mp4" in vtt
    srt = _export(project, "srt", tmp_path, caption_s=1.0).read_text()
    times = re.findall(r"^(\d+)\n(\S+) --> (\S+)$", srt, flags=re.M)
    assert times == [("1", "00:00:00,510", "00:00:01,510"), ("2", "00:00:01,500", "00:00:02,500"),
                     ("3", "00:00:02,210", "00:00:03,210")]  # no zero-length provenance cue first
    sidecar = json.loads((tmp_path / "out.srt.provenance.json").read_text())
    assert sidecar["cue_times"] == "local time of camA.mp4"
    with pytest.raises(ExportError, match="drone.mp4 is not aligned"):
        _export(project, "vtt", tmp_path, source="drone.mp4")


def test_eaf_links_media_with_time_origin_and_a_tier_per_type_in_use(incident, tmp_path):
    project, _ = incident
    root = ET.parse(_export(project, "eaf", tmp_path)).getroot()
    assert root.tag == "ANNOTATION_DOCUMENT" and root.get("FORMAT") == "3.0"
    media = {m.get("RELATIVE_MEDIA_URL"): m for m in root.iter("MEDIA_DESCRIPTOR")}
    folder = project.base_dir
    rel = {name: os.path.relpath(folder / "media" / name, tmp_path) for name in ("camA.mp4", "camB.mp4", "phone.wav")}
    assert all(r.startswith("../") for r in rel.values())  # the export is in another folder than the project
    # camB starts (shared 1.0) after the first event (0.51): it would need a negative TIME_ORIGIN
    assert set(media) == {rel["camA.mp4"], rel["phone.wav"]}  # relative to the .eaf's folder
    # document time 0 is shared 0.5 (phone's start, the latest start before the first event, nearest 0):
    # TIME_ORIGIN is each medium's local ms then, never negative
    assert {k: int(m.get("TIME_ORIGIN")) for k, m in media.items()} == {rel["camA.mp4"]: 500, rel["phone.wav"]: 0}
    properties = {p.get("NAME"): p.text for p in root.iter("PROPERTY")}
    assert properties["timesync_elan_zero_shared_s"].startswith("0.500000 ")
    assert properties["timesync_not_linked_01"].startswith("camB.mp4: not linked; it starts at document time "
                                                           "500 ms, after the earliest event")
    assert media[rel["camA.mp4"]].get("MIME_TYPE") == "video/mp4"
    assert media[rel["phone.wav"]].get("MEDIA_URL").startswith("file:///")
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    assert list(tiers) == ["shot fired", "shot fired notes", "verbal command", "verbal command notes",
                           "person down", "person down notes"]  # only the types in use, vocabulary order
    spans = {}
    for tier_id, tier in tiers.items():
        for ann in tier.iter("ALIGNABLE_ANNOTATION"):
            spans[tier_id] = (slots[ann.get("TIME_SLOT_REF1")], slots[ann.get("TIME_SLOT_REF2")],
                              ann.findtext("ANNOTATION_VALUE"))
    # a point event lasts one frame of the reference (30 fps: 33 ms)
    assert spans == {"shot fired": (10, 43, "shot fired"), "verbal command": (1000, 2000, "verbal command"),
                     "person down": (1710, 1743, "person down")}  # shared - 0.5 s
    notes = [a.findtext("ANNOTATION_VALUE") for t in tiers.values() for a in t.iter("REF_ANNOTATION")]
    assert notes == ["e1 at shared 0:00:00.510: first report", 'e2 at shared 0:00:01.500: "drop it"',
                     "e3 [camB.mp4] at shared 0:00:02.210"]
    cv = [e.findtext("CVE_VALUE") for e in root.iter("CV_ENTRY_ML")]
    assert cv == list(project.vocabulary)


def _stills(html):
    found = {}
    pattern = r"<img alt='([^']+) frame (\d+)' style='[^']*' src='data:image/png;base64,([^']+)'>"
    for name, frame, data in re.findall(pattern, html):
        image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
        found.setdefault(name, []).append((int(frame), image))
    return found


def test_html_report_embeds_the_exact_frames(incident, tmp_path):
    project, _ = incident
    seen = []
    html = export(project, "html", tmp_path / "r.html", progress=lambda f, m: seen.append(f)).read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html.replace(
        "http://www.w3.org", "")
    stills = _stills(html)
    assert [f for f, _ in stills["camA.mp4"]] == [15, 45, 66]
    assert [f for f, _ in stills["camB.mp4"]] == [12, 30]
    for name in ("camA.mp4", "camB.mp4"):
        for frame, image in stills[name]:
            assert frame_number(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)) == frame
    assert "local 0:00:01.210 &middot; frame 30" in html
    assert html.count(">not recording<") == 1 and html.count(">not aligned<") == 3
    assert "local 0:00:01.710" in html  # phone.wav (audio only) at e3
    assert seen and seen[-1] == 1.0


def test_changed_and_missing_sources_are_marked(incident, tmp_path):
    import shutil

    project, folder = incident
    copy = tmp_path / "case"
    shutil.copytree(folder, copy)
    with open(copy / "media" / "camB.mp4", "ab") as handle:
        handle.write(b"tampered")
    (copy / "media" / "phone.wav").unlink()
    changed = Project.load(copy / "incident.json")
    assert [s.hash_status for s in changed.sources] == ["verified", "changed", "missing", "verified"]
    assert len(changed.warnings) == 2 and "CHANGED" in changed.warnings[0] and "MISSING" in changed.warnings[1]
    rows = list(csv.DictReader(io.StringIO(export(changed, "csv", tmp_path / "c.csv").read_text(), newline="")))
    assert rows[2]["camB.mp4 status"] == "recording; file CHANGED"
    assert rows[2]["phone.wav status"] == "recording; file MISSING"
    sidecar = json.loads((tmp_path / "c.csv.provenance.json").read_text())
    assert sidecar["warnings"] == ["camB.mp4: file CHANGED since it was aligned",
                                   "phone.wav: file MISSING since it was aligned"]
    data = json.loads(export(changed, "json", tmp_path / "c.json").read_text())
    assert [s["hash_status"] for s in data["export_provenance"]["sources"]] == ["verified", "changed", "missing", "verified"]
    html = export(changed, "html", tmp_path / "c.html").read_text()
    assert "<span class='warn'>CHANGED</span>" in html and "<span class='warn'>MISSING</span>" in html
    assert html.count(">file missing</div>") == 3 and "file MISSING</span>" in html  # phone.wav at each event


def test_refusals(incident, tmp_path):
    project, _ = incident
    out = tmp_path / "out.csv"
    out.write_text("keep me")
    with pytest.raises(ExportError, match=r"^out.csv exists; pass --force to overwrite$"):
        export(project, "csv", out)
    assert out.read_text() == "keep me"
    export(project, "csv", out, force=True)
    assert out.read_text().startswith("event_id,")
    with pytest.raises(ExportError, match="is the source camA.mp4; evidence is never overwritten"):
        export(project, "csv", project.resolve("camA.mp4"), force=True)
    with pytest.raises(ExportError, match="unknown export format 'docx'"):
        export(project, "docx", tmp_path / "x.docx")
    with pytest.raises(ExportError, match="format csv takes no option 'source'"):
        export(project, "csv", tmp_path / "y.csv", source="camA.mp4")
    assert set(FORMATS) == {"json", "csv", "vtt", "srt", "otio", "xml", "fcpxml", "edl", "eaf", "mp4", "html", "pdf"}
