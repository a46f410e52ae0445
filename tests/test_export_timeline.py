"""otio, xml, fcpxml and edl of the small known-answer incident: own rates, audio-only sources, refusals.

camA (30 fps, with audio) is the reference; camB (25 fps, no audio) is at +1.0 s;
phone.wav (audio only, 16 kHz) at +0.5 s; drone.mp4 is not aligned. Events at
shared 0.51, 1.5-2.5 and 2.21 s. (These replace the tests of the old exports,
which put every source on the reference's 30 fps and wrote FCP 7 XML as fcpxml.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from urllib.parse import unquote

import opentimelineio as otio
import pycmx
import pytest
import test_project_factory
from media_factory import make_video
from test_project_factory import build_incident

from timesync.clock import IDENTITY, ClockMap
from timesync.errors import ExportError
from timesync.export import export
from timesync.project import Project

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def incident(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("timeline")
    build_incident(folder, incident_media)
    return Project.load(folder / "incident.json")


def _layout(timeline):
    """{track name: (kind, clip start s, clip rate, clip length in its own units)}."""
    out = {}
    for track in timeline.tracks:
        (clip,) = [c for c in track if isinstance(c, otio.schema.Clip)]
        placed = clip.range_in_parent()
        out[track.name] = (track.kind, round(placed.start_time.to_seconds(), 6), clip.source_range.duration.rate,
                           clip.source_range.duration.value)
    return out


def test_otio_tracks_at_each_sources_own_rate(incident, tmp_path):
    timeline = otio.adapters.read_from_file(str(export(incident, "otio", tmp_path / "t.otio")))
    assert _layout(timeline) == {
        "camA.mp4": ("Video", 0.0, 30, 90),
        "camA.mp4 audio": ("Audio", 0.0, 16000, 48000),
        "camB.mp4": ("Video", 1.0, 25, 75),  # no audio track: camB has no audio stream
        "phone.wav audio": ("Audio", 0.5, 16000, 32000),
    }
    markers = [(m.name, m.marked_range.start_time.to_seconds(), m.marked_range.duration.to_seconds())
               for m in timeline.tracks.markers]
    assert markers == [("shot fired (e1)", 0.51, 0.0), ("verbal command (e2)", 1.5, 1.0),
                       ("person down (e3)", 2.21, 0.0)]
    meta = timeline.metadata["timesync"]
    assert list(meta["not_aligned"]) == ["drone.mp4"] and meta["timeline_zero_shared_s"] == 0.0
    clip = next(c for c in timeline.tracks[2] if isinstance(c, otio.schema.Clip))
    assert clip.metadata["timesync"]["offset_s"] == 1.0
    assert clip.metadata["timesync"]["sha256"] == incident.source("camB.mp4").sha256
    # the media URL is relative to the folder of the .otio (here outside the project's folder)
    assert (tmp_path / unquote(clip.media_reference.target_url)).resolve() == incident.resolve("camB.mp4").resolve()


def test_fcpxml_puts_audio_only_sources_below_the_storyline(incident, tmp_path):
    root = ET.parse(export(incident, "fcpxml", tmp_path / "t.fcpxml")).getroot()
    clips = {c.get("name"): c for c in root.iter("asset-clip")}
    assert {n: c.get("lane") for n, c in clips.items()} == {"camA.mp4": "1", "camB.mp4": "2", "phone.wav": "-1"}
    assert clips["phone.wav"].get("format") is None and clips["phone.wav"].get("offset") == "1/2s"
    assets = {a.get("name"): a for a in root.iter("asset")}
    assert (assets["phone.wav"].get("hasVideo"), assets["phone.wav"].get("duration")) == ("0", "2s")
    assert assets["camB.mp4"].get("hasAudio") == "0" and assets["camB.mp4"].get("duration") == "75/25s"
    assert [(m.get("value"), m.get("start")) for m in clips["camB.mp4"].findall("marker")] == [
        ("verbal command (e2)", "1/2s"), ("person down (e3)", "121/100s")]
    assert Fraction(root.find(".//sequence").get("duration").removesuffix("s")) == 4  # camB ends at 1 + 3 s


def test_edl_of_a_25fps_source_counts_its_own_frames(incident, tmp_path):
    text = export(incident, "edl", tmp_path / "b.edl", source="camB.mp4").read_text()
    assert "001  CAMB     V     C        00:00:00:00 00:00:03:00 00:00:01:00 00:00:04:00" in text
    assert "* source camB.mp4 [body cam] sha256 " + incident.source("camB.mp4").sha256 in text
    timeline = otio.adapters.read_from_file(str(tmp_path / "b.edl"), adapter_name="cmx_3600", rate=25)
    (clip,) = timeline.tracks[0]
    assert clip.name == "camB.mp4"
    # e1 (shared 0.51) is before camB; e2 at local 0.5 (frame 12.5, to even) and e3 at 1.21 (30.25)
    assert [(m.name, m.marked_range.start_time.value) for m in clip.markers] == [
        ('verbal command (e2): "drop it"', 12), ("person down (e3)", 30)]
    default = export(incident, "edl", tmp_path / "a.edl").read_text()
    assert "001  CAMA     B     C        00:00:00:00 00:00:03:00 00:00:00:00 00:00:03:00" in default


def test_edl_of_an_audio_only_source_and_what_an_edl_cannot_carry(incident, tmp_path):
    text = export(incident, "edl", tmp_path / "p.edl", source="phone.wav").read_text()
    assert "001  PHONE    A     C        00:00:00:00 00:00:02:00 00:00:00:15 00:00:02:15" in text
    out = tmp_path / "keep.edl"
    out.write_text("before\n")
    for options, message in [({"source": "camB.mp4", "tracks": "audio"}, "camB.mp4 has no audio"),
                             ({"source": "phone.wav", "tracks": "video"}, "phone.wav has no video"),
                             ({"source": "drone.mp4"}, "drone.mp4: not aligned"),
                             ({"source": "camA.mp4", "timecode": "df"}, "drop-frame timecode exists")]:
        with pytest.raises(ExportError, match=message):
            export(incident, "edl", out, force=True, **options)
    assert out.read_text() == "before\n"
    for fmt in ("otio", "xml", "fcpxml"):
        kept = tmp_path / f"keep.{fmt}"
        kept.write_text("before\n")
        with pytest.raises(ExportError, match=r"rate must be a frame rate in \(0, 240\] fps, not -5"):
            export(incident, fmt, kept, force=True, rate=-5)
        assert kept.read_text() == "before\n"


def test_one_multi_reel_edl_where_the_format_allows_it(incident, tmp_path):
    with pytest.raises(ExportError, match="camB.mp4 runs at 25.000 fps and camA.mp4 at 30.000; one CMX 3600 EDL"):
        export(incident, "edl", tmp_path / "all.edl", source="all")
    assert not (tmp_path / "all.edl").exists()
    project = Project(base_dir=tmp_path, author="tester")
    project.add_source(incident.resolve("camA.mp4"), role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    later = make_video(tmp_path / "later.mp4", n_frames=60, fps=Fraction(30))
    project.add_source(later, role="fixed", clock=ClockMap(5.0, 1.0, 0.001, "manual"))
    project.add_annotation("vehicle", 5.5, note="arrives")
    text = export(project, "edl", tmp_path / "all.edl", source="all").read_text()
    assert "001  CAMA     B     C        00:00:00:00 00:00:03:00 00:00:00:00 00:00:03:00" in text
    assert "002  LATER    V     C        00:00:00:00 00:00:02:00 00:00:05:00 00:00:07:00" in text
    timeline = otio.adapters.read_from_file(str(tmp_path / "all.edl"), adapter_name="cmx_3600", rate=30)
    video = timeline.tracks[0]
    assert [(type(c).__name__, c.range_in_parent().start_time.value) for c in video] == [
        ("Clip", 0), ("Gap", 90), ("Clip", 150)]
    assert [m.name for m in video[2].markers] == ["vehicle (e1): arrives"]
    assert [e.edits[0].clip_name for e in pycmx.parse_cmx3600((tmp_path / "all.edl").open()).events] == [
        "camA.mp4", "later.mp4"]
    project.set_source_clock("later.mp4", ClockMap(2.0, 1.0, 0.001, "manual"))
    with pytest.raises(ExportError, match="camA.mp4 and later.mp4 overlap on the record timeline"):
        export(project, "edl", tmp_path / "all.edl", source="all", force=True)
