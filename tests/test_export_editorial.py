"""Editorial exports of the sample incident read back by the real readers, at every source's own rate.

The sample incident has a 30 fps reference, a 29.97 fps body cam drifting
+41.3 ppm with 44.1 kHz audio, and a 25 fps helicopter drifting -23.7 ppm. Every
export is written to a folder outside the project's, then read back by
OpenTimelineIO (otio_json, fcp_xml, fcpx_xml, cmx_3600 at each source's own
rate) and pycmx; placements and markers are checked against the project's
clocks (ClockMap) to 1 ms, or half a frame where the format holds frames only;
a repeated export is byte-identical.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote

import opentimelineio as otio
import pycmx
import pytest

from timesync.errors import ExportError
from timesync.export import export

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

MS = 1e-3
#: The sample's frame rates as the readers take them (OTIO wants 29.97 as 30000/1001).
OWN_RATE = {"bodycam_A.mp4": Fraction(30), "bodycam_B.mp4": Fraction(30000, 1001), "helicopter.mp4": Fraction(25)}


@pytest.fixture(scope="module")
def sample(sample_media_dir, tmp_path_factory):
    """(project placed by the true clocks, an export folder outside the project's folder)."""
    from bench_export import project_from_truth

    work = tmp_path_factory.mktemp("editorial")
    (work / "project").mkdir()
    out = work / "elsewhere" / "exports"
    out.mkdir(parents=True)
    return project_from_truth(sample_media_dir, work / "project"), out


def _t0(project):
    starts = [s.clock.to_shared(0.0) for s in project.sources] + [a.shared_s for a in project.annotations]
    return min(starts)


def _placement(project, name):
    return project.source(name).clock.to_shared(0.0) - _t0(project)


def _frames(source):
    return source.probe["video"]["frame_count"]


def _export_twice(project, fmt, out, **options):
    """Export to ``out`` and again beside it: the two must be byte-identical."""
    path = export(project, fmt, out, **options)
    again = export(project, fmt, out.with_name(f"again-{out.name}"), **options)
    assert again.read_bytes() == path.read_bytes()
    return path


def _resolves(folder: Path, url: str, target: Path) -> bool:
    return (folder / unquote(url)).resolve() == target.resolve()


def _seconds(text: str) -> Fraction:
    """FCPXML time text (``"N/Ds"``, ``"Ns"``) as exact seconds."""
    return Fraction(text.removesuffix("s"))


# -- OTIO -----------------------------------------------------------------------------------------
def test_otio_keeps_each_source_at_its_own_rate_within_a_millisecond(sample):
    project, folder = sample
    out = _export_twice(project, "otio", folder / "incident.otio")
    timeline = otio.adapters.read_from_file(str(out), adapter_name="otio_json")
    clips = {(t.name, t.kind): next(c for c in t if isinstance(c, otio.schema.Clip)) for t in timeline.tracks}
    assert len(clips) == 6  # a video and an audio track per source
    for source in project.sources:
        video, audio = clips[(source.name, "Video")], clips[(f"{source.name} audio", "Audio")]
        assert video.source_range.duration.rate == pytest.approx(float(OWN_RATE[source.name]), abs=1e-9)
        assert video.source_range.duration.value == _frames(source)
        assert audio.source_range.duration.rate == source.probe["audio"]["sample_rate"]
        for clip in (video, audio):
            placed = clip.range_in_parent().start_time.to_seconds()
            assert abs(placed - _placement(project, source.name)) < MS
            if source.clock.rate == 1.0:  # the reference
                assert list(clip.effects) == []
            else:  # drift: a time warp of 1/rate
                (warp,) = clip.effects
                assert isinstance(warp, otio.schema.LinearTimeWarp)
                assert warp.time_scalar == pytest.approx(source.clock.local_duration(1.0), rel=1e-12)
            refs = clip.media_references()
            assert _resolves(folder, refs["DEFAULT_MEDIA"].target_url, project.resolve(source.name))
            assert refs["absolute"].target_url == project.resolve(source.name).resolve().as_uri()
    t0 = _t0(project)
    markers = list(timeline.tracks.markers)
    assert len(markers) == len(project.annotations) > 0
    for marker, ann in zip(markers, project.annotations, strict=True):
        assert abs(marker.marked_range.start_time.to_seconds() - (ann.shared_s - t0)) < MS
        assert marker.metadata["timesync"]["note"] == ann.note


# -- FCPXML ---------------------------------------------------------------------------------------
def test_fcpxml_is_real_fcpxml_at_each_assets_own_rate(sample):
    project, folder = sample
    out = _export_twice(project, "fcpxml", folder / "incident.fcpxml")
    assert out.suffix == ".fcpxml"
    root = ET.parse(out).getroot()
    assert root.tag == "fcpxml" and tuple(map(int, root.get("version").split("."))) >= (1, 9)
    formats = {f.get("id"): f for f in root.iter("format")}
    assets = {a.get("name"): a for a in root.iter("asset")}
    clips = {c.get("name"): c for c in root.iter("asset-clip")}
    assert set(assets) == set(clips) == {s.name for s in project.sources}  # one asset and clip per source
    t0 = _t0(project)
    for source in project.sources:
        asset, clip, rate = assets[source.name], clips[source.name], OWN_RATE[source.name]
        assert _seconds(formats[asset.get("format")].get("frameDuration")) == 1 / rate
        assert _seconds(asset.get("duration")) == _frames(source) / rate  # exactly its frames
        assert asset.get("hasAudio") == "1" and asset.get("audioRate") == str(source.probe["audio"]["sample_rate"])
        assert _resolves(folder, asset.find("media-rep").get("src"), project.resolve(source.name))
        assert abs(float(_seconds(clip.get("offset"))) - _placement(project, source.name)) < MS
        if source.clock.rate == 1.0:  # the reference
            assert clip.find("timeMap") is None
        else:  # drift: media played at 1/rate
            (_, last) = clip.find("timeMap").findall("timept")
            assert float(_seconds(last.get("time"))) == pytest.approx(
                source.clock.shared_duration(float(_seconds(last.get("value")))), abs=MS)
        markers = clip.findall("marker")
        assert markers, source.name
        by_id = {a.id: a for a in project.annotations}
        for marker in markers:
            ann = by_id[marker.get("value").split("(")[-1].rstrip(")")]
            assert abs(float(_seconds(marker.get("start"))) - source.clock.to_local(ann.shared_s)) < MS
            assert marker.get("note") == ann.note
    gap_markers = root.find(".//spine/gap").findall("marker")
    assert [abs(float(_seconds(m.get("start"))) - (a.shared_s - t0)) < MS
            for m, a in zip(gap_markers, project.annotations, strict=True)] == [True] * len(project.annotations)


def test_fcpxml_reads_back_with_otios_fcpxml_adapter(sample):
    project, folder = sample
    out = export(project, "fcpxml", folder / "read.fcpxml")
    (timeline,) = otio.adapters.read_from_file(str(out), adapter_name="fcpx_xml")
    clips = {c.name: c for c in timeline.find_clips()}
    assert set(clips) == {s.name for s in project.sources}
    for source in project.sources:
        clip = clips[source.name]
        # the adapter counts whole frames of the sequence (30 fps), truncated: within one of them
        placed = clip.range_in_parent().start_time.to_seconds()
        assert 0 <= _placement(project, source.name) - placed < 1 / 30 + 1e-9
        assert [m.name for m in clip.markers] == [
            f"{a.type} ({a.id})" for a in project.annotations
            if 0 <= source.clock.to_local(a.shared_s) < _frames(source) / OWN_RATE[source.name]]


# -- FCP 7 XML ------------------------------------------------------------------------------------
def test_fcp7_xml_reads_back_within_half_a_frame_with_audio_tracks(sample):
    project, folder = sample
    out = _export_twice(project, "xml", folder / "incident.xml")
    assert b'<xmeml version="4">' in out.read_bytes()
    timeline = otio.adapters.read_from_file(str(out), adapter_name="fcp_xml")
    half = 0.5 / 30  # the sequence runs at the reference's 30 fps
    kinds = [t.kind for t in timeline.tracks]
    assert kinds.count("Video") == kinds.count("Audio") == 3
    for track in timeline.tracks:
        clip = next(c for c in track if isinstance(c, otio.schema.Clip))
        own = OWN_RATE[clip.name]
        assert clip.source_range.start_time.rate == pytest.approx(float(own), abs=0.01)
        assert abs(clip.range_in_parent().start_time.to_seconds() - _placement(project, clip.name)) <= half
        url = clip.media_reference.target_url
        assert Path(unquote(url.removeprefix("file://"))) == project.resolve(clip.name).resolve()
    t0 = _t0(project)
    for marker, ann in zip(timeline.tracks.markers, project.annotations, strict=True):
        assert abs(marker.marked_range.start_time.to_seconds() - (ann.shared_s - t0)) <= half
        assert marker.metadata["fcp_xml"]["comment"] == ann.note
    text = out.read_text()
    for source in project.sources:  # the path relative to the XML's folder, for relinking
        relative = text.split("relative to this XML: ")[1 + project.sources.index(source)].split("<")[0]
        assert _resolves(folder, relative, project.resolve(source.name))


# -- EDL ------------------------------------------------------------------------------------------
def _edl_events(project, name, frames_at):
    """The events the source recorded: (name, local frame)."""
    source = project.source(name)
    return [(a, source.clock.to_local(a.shared_s)) for a in project.annotations
            if 0 <= round(source.clock.to_local(a.shared_s) * frames_at) < _frames(source)]


def test_an_edl_per_source_at_its_own_rate_reads_back_in_otio_and_pycmx(sample):
    project, root = sample
    folder = root / "edls"
    folder.mkdir()
    assert export(project, "edl", folder) == folder
    for source in project.sources:
        rate = OWN_RATE[source.name]
        path = folder / f"incident.{Path(source.name).stem}.edl"
        text = path.read_text()
        assert "FCM: NON-DROP FRAME" in text
        timeline = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=float(rate))
        assert [t.name for t in timeline.tracks] == ["V", "A1"]  # channel B: video and audio 1
        track = timeline.tracks[0]
        (clip,) = track
        assert clip.name == source.name and clip.source_range.duration.value == _frames(source)
        # the reader trims a track to its first record in, or leaves it whole when that is zero
        record_in = 0.0 if track.source_range is None else -track.source_range.start_time.to_seconds()
        assert abs(record_in - _placement(project, source.name)) <= 0.5 / float(rate) + 1e-9
        assert _resolves(path.parent, clip.media_reference.target_url, project.resolve(source.name))
        events = _edl_events(project, source.name, rate)
        assert len(clip.markers) == len(events) > 0
        for marker, (ann, local) in zip(clip.markers, events, strict=True):
            assert abs(marker.marked_range.start_time.to_seconds() - local) <= 0.5 / float(rate) + 1e-9
            assert marker.name == f"{ann.type} ({ann.id}): {ann.note}"
        (event,) = pycmx.parse_cmx3600(path.open()).events
        (edit,) = event.edits
        assert edit.clip_name == source.name and Path(edit.source_file) == project.resolve(source.name).resolve()
        assert edit.channels.video and edit.channels.get_audio_channel(1)
        frame_fields = [int(tc[-2:]) for tc in (edit.source_in, edit.source_out, edit.record_in, edit.record_out)]
        assert max(frame_fields) < round(rate)
        # pycmx keeps the LOC lines as the event's remarks: the same markers, frame fields below the rate
        locs = [st.text for st in event.statements if type(st).__name__ == "StmtRemark" and st.text.startswith("LOC:")]
        assert [loc.split(None, 3)[3] for loc in locs] == [m.name for m in clip.markers]
        assert max(int(loc.split()[1][-2:]) for loc in locs) < round(rate)
        if source.clock.rate != 1.0:
            assert "is not carried" in text  # drift: documented
    again = root / "edls-again"  # a sibling folder: the same relative paths, the same bytes
    again.mkdir()
    export(project, "edl", again)
    assert {p.name: p.read_bytes() for p in again.iterdir()} == {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_2997_edl_in_drop_frame(sample):
    project, folder = sample
    path = _export_twice(project, "edl", folder / "b-df.edl", source="bodycam_B.mp4", timecode="df")
    text = path.read_text()
    assert "FCM: DROP FRAME" in text and "00:00:00;00 00:01:24;00" in text  # 2518 frames
    timeline = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=30000 / 1001)
    (clip,) = timeline.tracks[0]
    assert clip.source_range.duration.value == 2518
    (event,) = pycmx.parse_cmx3600(path.open()).events
    assert event.edits[0].source_out == "00:01:24;00"


def test_an_edl_refuses_what_it_cannot_carry_and_leaves_the_file_untouched(sample):
    project, folder = sample
    path = folder / "keep.edl"
    path.write_text("an earlier export\n")
    with pytest.raises(ExportError, match="drop-frame timecode exists at 29.97 and 59.94 fps only"):
        export(project, "edl", path, source="helicopter.mp4", timecode="df", force=True)
    with pytest.raises(ExportError, match="counts its own 29.970 fps frames; rate=30"):
        export(project, "edl", path, source="bodycam_B.mp4", rate=30, force=True)
    with pytest.raises(ExportError, match="no source named 'nope.mp4'"):
        export(project, "edl", path, source="nope.mp4", force=True)
    assert path.read_text() == "an earlier export\n"
    taken = folder / "taken"
    taken.mkdir()
    (taken / "incident.helicopter.edl").write_text("mine\n")
    with pytest.raises(ExportError, match="incident.helicopter.edl exists"):
        export(project, "edl", taken)
    assert sorted(p.name for p in taken.iterdir()) == ["incident.helicopter.edl"]


def test_the_command_line_writes_edls_per_source_and_in_drop_frame(sample, capsys):
    from timesync.cli import main

    project, root = sample
    folder = root / "cli-edls"
    folder.mkdir()
    assert main(["export", str(project.path), "--format", "edl", "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "incident.bodycam_A.edl", "incident.bodycam_B.edl", "incident.helicopter.edl"]
    out = root / "cli-b.edl"
    assert main(["export", str(project.path), "--format", "edl", "-o", str(out), "--source", "bodycam_B.mp4",
                 "--timecode", "df"]) == 0
    assert "FCM: DROP FRAME" in out.read_text()
    capsys.readouterr()
    assert main(["export", str(project.path), "--format", "edl", "-o", str(root / "h.edl"),
                 "--source", "helicopter.mp4", "--timecode", "df"]) == 3
    assert "drop-frame timecode exists at 29.97 and 59.94 fps only" in capsys.readouterr().err
    assert not (root / "h.edl").exists()
    assert main(["export", str(project.path), "--format", "xml", "-o", str(root / "cli.xml")]) == 0
