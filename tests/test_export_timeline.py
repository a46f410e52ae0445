"""otio, fcpxml and edl exports read back with OpenTimelineIO: tracks, clip offsets, markers."""

from __future__ import annotations

import opentimelineio as otio
import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.project import Project

RATE = 30

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def incident(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("timeline")
    build_incident(folder, incident_media)
    return Project.load(folder / "incident.json")


def _layout(timeline):
    """{track name: (kind, clip start frame, clip duration frames)}; the track name is its clip's name."""
    out = {}
    for track in timeline.tracks:
        clips = [c for c in track if isinstance(c, otio.schema.Clip)]
        assert len(clips) == 1
        placed = clips[0].range_in_parent()
        out[clips[0].name] = (track.kind, placed.start_time.rescaled_to(RATE).value,
                              placed.duration.rescaled_to(RATE).value)
    return out


EXPECTED_LAYOUT = {
    # t0 = shared 0 (camA, the reference); camB at +1.0 s, phone.wav at +0.5 s; unaligned drone left out
    "camA.mp4": ("Video", 0, 90),
    "camB.mp4": ("Video", 30, 90),
    "phone.wav": ("Audio", 15, 60),
}
EXPECTED_MARKERS = [("shot fired (e1)", 15, 0), ("verbal command (e2)", 45, 30), ("person down (e3)", 66, 0)]


@pytest.mark.parametrize(("fmt", "adapter"), [("otio", "otio_json"), ("fcpxml", "fcp_xml")])
def test_timeline_reads_back(incident, tmp_path, fmt, adapter):
    out = export(incident, fmt, tmp_path / f"t.{fmt}")
    timeline = otio.adapters.read_from_file(str(out), adapter_name=adapter)
    assert len(timeline.tracks) == 3
    assert _layout(timeline) == EXPECTED_LAYOUT
    markers = [(m.name, m.marked_range.start_time.rescaled_to(RATE).value,
                m.marked_range.duration.rescaled_to(RATE).value) for m in timeline.tracks.markers]
    assert markers == EXPECTED_MARKERS
    if fmt == "otio":
        meta = timeline.metadata["timesync"]
        assert list(meta["not_aligned"]) == ["drone.mp4"] and meta["timeline_zero_shared_s"] == 0.0
        clip = next(c for c in timeline.tracks[1] if isinstance(c, otio.schema.Clip))
        assert clip.metadata["timesync"]["offset_s"] == 1.0
        assert clip.metadata["timesync"]["sha256"] == incident.source("camB.mp4").sha256
        assert clip.media_reference.target_url == incident.resolve("camB.mp4").as_uri()


def test_edl_holds_the_chosen_video_track_with_event_markers(incident, tmp_path):
    out = export(incident, "edl", tmp_path / "b.edl", source="camB.mp4")
    text = out.read_text()
    # record in/out on the shared timeline: camB starts 1 s after t0
    assert "001  camBmp4  V     C        00:00:00:00 00:00:03:00 00:00:01:00 00:00:04:00" in text
    assert "* source camB.mp4 [body cam] sha256 " + incident.source("camB.mp4").sha256 in text
    timeline = otio.adapters.read_from_file(str(out), adapter_name="cmx_3600", rate=RATE)
    assert len(timeline.tracks) == 1
    clip = next(iter(timeline.tracks[0]))
    assert clip.name == "camB.mp4"
    # e1 (shared 0.51) is before camB: only e2 (local 0.5) and e3 (local 1.21) are on its clip
    assert [(m.name, m.marked_range.start_time.value) for m in clip.markers] == [
        ("VERBAL COMMAND (E2)", 15), ("PERSON DOWN (E3)", 36)]
    default = export(incident, "edl", tmp_path / "a.edl").read_text()
    assert "001  camAmp4  V     C        00:00:00:00 00:00:03:00 00:00:00:00 00:00:03:00" in default
