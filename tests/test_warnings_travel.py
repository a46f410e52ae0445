"""Warnings travel: what probing and decoding find wrong with a file (cut short, damaged
packets, timestamp gaps) reaches the project file, the ``timesync sync`` table and the
app's source list; a damaged file is decoded around its damage, as FFmpeg does.

The incident is the sample's bodycam_A.mp4 (reference) with two copies of
bodycam_B.mp4: one remuxed with its index first (as cameras that stream write it)
and cut after 70 % of its bytes, one with 300 bytes inside an audio packet of its
media data overwritten.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
from fractions import Fraction
from pathlib import Path

import media_factory as mf
import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_media_errors import _damaged

from timesync.cli import main
from timesync.clock import ClockMap
from timesync.commands.sync import format_table
from timesync.errors import ProjectError
from timesync.media import probe
from timesync.project import Project
from timesync.sync import SourceResult, SyncResult
from ui.sources import SOURCE_COLUMNS

pytest_plugins = ("conftest_ui",)

#: Bytes overwritten inside the damaged copy's media data.
DAMAGED_BYTES = 300


def _remux_index_first(src: Path, dst: Path) -> None:
    """Copy every audio/video packet into an MP4 whose index (moov) comes first."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("audio", "video")}
        for packet in inp.demux():
            if packet.dts is None or packet.stream.index not in streams:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


def _audio_packet_position(path: Path, fraction: float) -> int:
    """File offset (bytes) of the first audio packet at or after ``fraction`` of the audio."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        positions = [p.pos for p in container.demux(stream) if p.size and p.pos is not None and p.pos > 0]
    return positions[int(len(positions) * fraction)]


@pytest.fixture(scope="module")
def incident(sample_media_dir, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("warned")
    a = folder / "bodycam_A.mp4"
    shutil.copyfile(sample_media_dir / "bodycam_A.mp4", a)
    whole = folder / "whole_B.mp4"
    _remux_index_first(sample_media_dir / "bodycam_B.mp4", whole)
    data = whole.read_bytes()
    cut = folder / "cut_B.mp4"
    cut.write_bytes(data[: round(len(data) * 0.7)])
    whole.unlink()
    original = (sample_media_dir / "bodycam_B.mp4").read_bytes()
    at = _audio_packet_position(sample_media_dir / "bodycam_B.mp4", 0.4)
    damaged = bytearray(original)
    damaged[at : at + DAMAGED_BYTES] = _damaged(original[at : at + DAMAGED_BYTES], random.Random(7), DAMAGED_BYTES)
    assert damaged != bytearray(original)
    bad = folder / "damaged_B.mp4"
    bad.write_bytes(bytes(damaged))
    return {"A": a, "cut": cut, "damaged": bad, "project": folder / "incident.json"}


@pytest.fixture(scope="module")
def synced(incident) -> dict:
    """``timesync sync`` of the three files: exit status, stdout, the project JSON."""
    out, err = io.StringIO(), io.StringIO()
    args = ["sync", "-q", "--methods", "audio", "-o", str(incident["project"])]
    args += [str(incident[k]) for k in ("A", "cut", "damaged")]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    data = json.loads(incident["project"].read_text())
    entries = {Path(s["path"]).name: s for s in data["sources"]}
    return {"status": status, "stdout": out.getvalue(), "data": data, "entries": entries}


def test_sync_places_truncated_and_damaged_files_and_stores_their_warnings(synced):
    entries = synced["entries"]
    assert synced["status"] == 0  # every source placed: warnings are not failures
    assert entries["bodycam_A.mp4"]["warnings"] == []
    cut = entries["cut_B.mp4"]
    assert cut["aligned"] is True
    assert any("truncated" in w for w in cut["warnings"])
    assert any("container declares 84.017 s" in w for w in cut["warnings"])
    damaged = entries["damaged_B.mp4"]
    assert damaged["aligned"] is True  # decoded around the damage, not refused
    assert len(damaged["warnings"]) == 1 and "could not be decoded" in damaged["warnings"][0]
    # the damage does not move the file: both copies of B land where B does
    assert damaged["offset_s"] == pytest.approx(cut["offset_s"], abs=1e-3)
    assert damaged["rate"] == pytest.approx(cut["rate"], abs=2e-6)
    for entry in entries.values():  # short sentences: the entry already names the file
        assert all(isinstance(w, str) and "\n" not in w and entry["path"] not in w for w in entry["warnings"])


def test_sync_table_prints_each_warning_under_its_source(synced):
    lines = synced["stdout"].splitlines()
    for name in ("cut_B.mp4", "damaged_B.mp4"):
        row = next(i for i, line in enumerate(lines) if line.split()[0].endswith(name))
        warnings = synced["entries"][name]["warnings"]
        assert lines[row + 1 : row + 1 + len(warnings)] == [f"  warning: {w}" for w in warnings]
    row_a = next(i for i, line in enumerate(lines) if line.split()[0].endswith("bodycam_A.mp4"))
    assert not lines[row_a + 1].startswith("  warning:")
    assert "2 sources have warnings" in lines[-1]


def test_table_footer_counts_one_source():
    result = SyncResult(
        reference="a.mp4",
        sources=[
            SourceResult("a.mp4", None, True, clock=ClockMap(0.0, 1.0, 0.0, "reference")),
            SourceResult("b.mp4", None, False, reason="no evidence", warnings=["the file may be truncated"]),
        ],
    )
    lines = format_table(result).splitlines()
    assert lines[3] == "  warning: the file may be truncated"
    assert lines[-1].startswith("1 source has warnings")


def test_project_keeps_warnings_and_old_projects_still_load(synced, incident, tmp_path):
    project = Project.load(incident["project"], verify=False)
    by_file = {Path(s.path).name: s for s in project.sources}
    assert list(by_file["cut_B.mp4"].warnings) == synced["entries"]["cut_B.mp4"]["warnings"]
    # a project written before warnings existed: no key, no warnings, and it saves with the key
    old = json.loads(json.dumps(synced["data"]))
    for entry in old["sources"]:
        del entry["warnings"]
    legacy = incident["project"].parent / "legacy.json"
    legacy.write_text(json.dumps(old))
    project = Project.load(legacy, verify=False)
    assert all(s.warnings == () for s in project.sources)
    saved = json.loads(project.save(legacy).read_text())
    assert all(entry["warnings"] == [] for entry in saved["sources"])
    # a new alignment brings the file's warnings with it
    project.apply_alignment(synced["data"])
    cut = next(s for s in project.sources if s.path.endswith("cut_B.mp4"))
    assert list(cut.warnings) == synced["entries"]["cut_B.mp4"]["warnings"]
    old["sources"][1]["warnings"] = "truncated"
    (tmp_path / "bad.json").write_text(json.dumps(old))
    with pytest.raises(ProjectError, match=r"sources\[1\]\.warnings must be a list"):
        Project.load(tmp_path / "bad.json", verify=False)


def test_app_source_list_shows_warnings(qtbot, window, synced, incident):
    assert window.open_project(incident["project"])
    model = window.sources_panel.table.model()
    column = SOURCE_COLUMNS.index("warnings")
    assert model.headerData(column, Qt.Orientation.Horizontal) == "warnings"
    rows = {Path(model.source_at(r).path).name: r for r in range(model.rowCount())}
    for name in ("cut_B.mp4", "damaged_B.mp4"):
        sentences = synced["entries"][name]["warnings"]
        cell = model.index(rows[name], column)
        count = len(sentences)
        assert model.data(cell) == f"⚠ {count} warning" + ("s" if count > 1 else "")
        tip = model.data(cell, Qt.ItemDataRole.ToolTipRole)
        assert all(w in tip for w in sentences)
        name_cell = model.index(rows[name], 0)
        assert all(w in model.data(name_cell, Qt.ItemDataRole.ToolTipRole) for w in sentences)
        icon = model.data(name_cell, Qt.ItemDataRole.DecorationRole)
        assert icon is not None and not icon.isNull()
    clean = rows["bodycam_A.mp4"]
    assert model.data(model.index(clean, column)) == ""
    assert model.data(model.index(clean, 0), Qt.ItemDataRole.DecorationRole) is None


def test_probe_reports_timestamp_gaps(tmp_path):
    """An audio recording that pauses 1 s, and a video whose frames jump 2 s."""
    import av

    sr = 8000
    audio = tmp_path / "paused.mkv"
    with av.open(str(audio), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=sr)
        stream.layout = "mono"
        for first in (0, 2 * sr):  # 1 s of sound, 1 s of nothing, 1 s of sound
            for start in range(0, sr, 800):
                frame = av.AudioFrame.from_ndarray(np.full((1, 800), 0.1, np.float32), format="flt", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = sr, first + start, Fraction(1, sr)
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    warnings = probe(audio).warnings
    assert len(warnings) == 1
    assert warnings[0] == (
        f"{audio}: 1 timestamp gap(s) in audio stream 0, the largest 1.000 s at 1.000 s: "
        "the recording paused or lost data there"
    )
    pts = [i * 3000 for i in range(10)] + [i * 3000 + 180000 for i in range(10, 20)]  # 1/90000 s ticks
    video = mf.make_video(tmp_path / "jump.mp4", n_frames=20, pts_list=pts)
    warnings = probe(video).warnings
    assert len(warnings) == 1 and "1 timestamp gap(s) in video stream 0, the largest 2.000 s at 0.333 s" in warnings[0]


def test_damaged_audio_decodes_around_the_damage(sample_media_dir, incident):
    """Every sample keeps its place: the damaged copy's audio equals the original's except
    for the one packet (about 23 ms) the decoder refused, which is silent."""
    from timesync.media import decode_audio

    sr = 8000
    clean = decode_audio(sample_media_dir / "bodycam_B.mp4", sr=sr)
    damaged = decode_audio(incident["damaged"], sr=sr)
    assert len(damaged) == len(clean)
    differs = np.flatnonzero(np.abs(damaged - clean) > 1e-4)
    assert differs.size and (differs[-1] - differs[0]) / sr < 0.1
