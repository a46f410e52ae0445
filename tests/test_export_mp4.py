"""The synchronized grid video: exact frames per tile, NOT RECORDING, audio, byte-identical renders."""

from __future__ import annotations

import hashlib

import av
import numpy as np
import pytest
import test_project_factory
from media_factory import frame_number
from test_project_factory import build_incident

from timesync.errors import ExportError
from timesync.export import export
from timesync.export.grid import plan_grid
from timesync.media import FrameIndex

# 286 px: a 72 px picture per tile (96 px wide: frame_number reads 12 whole-pixel bars) above the
# strip of three caption lanes
W, H, FPS = 320, 286, 30
START, END = 0.4, 2.4  # shared seconds: camB (offset 1.0) starts inside the range

incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("grid")
    project = build_incident(folder, incident_media)
    seen = []
    out = export(project, "mp4", folder / "grid.mp4", start=START, end=END, width=W, height=H, fps=FPS,
                 progress=lambda f, m: seen.append(f))
    return project, out, seen


def _tile_content(image, plan, i, src_size=(160, 120)):
    """The part of tile ``i`` where the (scaled, centred) source picture lies."""
    col, row = i % plan.cols, i // plan.cols
    x0, y0 = col * plan.tile_w, plan.band + row * plan.tile_h
    scale = min(plan.tile_w / src_size[0], plan.picture_h / src_size[1])
    w, h = round(src_size[0] * scale), round(src_size[1] * scale)
    x0 += (plan.tile_w - w) // 2
    y0 += (plan.picture_h - h) // 2
    return image[y0 : y0 + h, x0 : x0 + w]


def test_grid_shows_the_exact_frame_of_every_source(rendered):
    project, out, seen = rendered
    plan = plan_grid(project, start=START, end=END, width=W, height=H, fps=FPS)
    assert [t.name for t in plan.tiles] == ["camA.mp4", "camB.mp4", "phone.wav"]
    assert plan.skipped == ("drone.mp4 (not aligned)",)
    index_a = FrameIndex.open(project.resolve("camA.mp4"))
    index_b = FrameIndex.open(project.resolve("camB.mp4"))
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (W, H)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == round((END - START) * FPS) == 60
    checked_b = 0
    for i, image in enumerate(frames):
        shared = START + i / FPS
        want_a = index_a.frame_at_shared(project.clock("camA.mp4"), shared).number
        assert frame_number(_tile_content(image, plan, 0)) == want_a, f"output frame {i}"
        ref_b = index_b.frame_at_shared(project.clock("camB.mp4"), shared + 1e-9)
        tile_b = _tile_content(image, plan, 1)
        if ref_b is None:
            # not recording yet: the dark card (0x20) with centred text, no white bars
            assert np.mean(np.abs(tile_b.astype(int) - 32) <= 3) > 0.6
        elif shared - 1.0 > 0.02:  # well inside the footage
            assert frame_number(tile_b) == ref_b.number, f"output frame {i}"
            checked_b += 1
    assert checked_b >= 25
    assert seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_grid_audio_and_provenance(rendered):
    project, out, _ = rendered
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.sample_rate == 48000
        samples = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)])
        comment = container.metadata.get("comment", "")
    # camA's click at local 0.51 s is at output 0.11 s (range starts at shared 0.4)
    peak = int(np.argmax(np.abs(samples))) / 48000
    assert abs(peak - 0.11) < 0.01
    assert abs(len(samples) / 48000 - 2.0) < 0.05
    assert "sha256 " + project.source("camB.mp4").sha256 in comment
    assert "aligned by audio: offset +1.000000 s" in comment


def test_two_renders_are_byte_identical(rendered, tmp_path):
    project, out, _ = rendered
    again = export(project, "mp4", tmp_path / "again.mp4", start=START, end=END, width=W, height=H, fps=FPS)
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(out.read_bytes()).hexdigest()


def test_grid_refuses_existing_output_and_empty_range(rendered, tmp_path):
    project, out, _ = rendered
    with pytest.raises(ExportError, match="grid.mp4 exists; pass --force to overwrite"):
        export(project, "mp4", out, start=START, end=END)
    with pytest.raises(ExportError, match="range 2.0 to 1.0 s is empty"):
        export(project, "mp4", tmp_path / "x.mp4", start=2.0, end=1.0)
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left behind


def _audio(path):
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)])


def test_audio_comes_from_the_chosen_source(rendered, tmp_path):
    project, _, _ = rendered
    # shared 1.0-2.0: camA has its click at local 1.5 (output 0.5); phone.wav's only click is at shared 0.51
    kwargs = {"start": 1.0, "end": 2.0, "width": 160, "height": 140}
    default = _audio(export(project, "mp4", tmp_path / "a.mp4", **kwargs))
    assert abs(int(np.argmax(np.abs(default))) / 48000 - 0.5) < 0.01
    phone = _audio(export(project, "mp4", tmp_path / "p.mp4", source="phone.wav", **kwargs))
    assert np.abs(phone).max() < 0.05 * np.abs(default).max()
    with pytest.raises(ExportError, match="camB.mp4 has no audio stream"):
        export(project, "mp4", tmp_path / "b.mp4", source="camB.mp4", **kwargs)
    with pytest.raises(ExportError, match="audio source drone.mp4 is not aligned"):
        export(project, "mp4", tmp_path / "d.mp4", source="drone.mp4", **kwargs)


def test_the_last_frame_lasts_its_duration_then_not_recording(rendered, tmp_path):
    project, _, _ = rendered
    kwargs = {"start": 3.8, "end": 4.2, "width": W, "height": H, "fps": FPS}  # camB's footage ends at shared 4.0
    plan = plan_grid(project, **kwargs)
    out = export(project, "mp4", tmp_path / "end.mp4", **kwargs)
    index_b = FrameIndex.open(project.resolve("camB.mp4"))
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    shown = []
    for image in frames:
        for i in (0, 1):  # camA ended at shared 3.0: not recording throughout
            tile = _tile_content(image, plan, i)
            dark = np.mean(np.abs(tile.astype(int) - 32) <= 3) > 0.6
            if i == 0:
                assert dark
            else:
                shown.append(None if dark else frame_number(tile))
    want = [index_b.frame_at_shared(project.clock("camB.mp4"), kwargs["start"] + n / FPS)
            for n in range(len(frames))]
    assert shown == [None if ref is None else ref.number for ref in want]
    assert shown[:7] == [70, 70, 71, 72, 73, 74, None]



def test_audio_drift_is_resampled_onto_the_shared_clock(rendered, tmp_path):
    from timesync.clock import ClockMap
    from timesync.project import Project

    project, _, _ = rendered
    drifting = Project.from_dict(project.to_dict(), path=project.path)
    drifting.set_source_clock("camA.mp4", ClockMap(0.0, 1.001, 0.0, "test"), method=None)  # +1000 ppm
    kwargs = {"start": 1.0, "end": 2.0, "width": 160, "height": 140}
    samples = _audio(export(drifting, "mp4", tmp_path / "d.mp4", **kwargs))
    # camA's click at local 1.5 is at shared 1.5015: 72 samples later than without drift
    assert int(np.argmax(np.abs(samples))) == round((1.5 * 1.001 - 1.0) * 48000)


def test_variable_frame_rate_source_shows_exact_frames(tmp_path):
    from fractions import Fraction

    from media_factory import make_video

    from timesync.clock import ClockMap
    from timesync.project import Project

    # 40 frames with irregular gaps (33, 50, 20, 70 ms...) in a 1/90000 time base
    gaps = [3000, 4500, 1800, 6300, 2700]
    pts = [sum(gaps[i % 5] for i in range(n)) for n in range(40)]
    make_video(tmp_path / "vfr.mp4", n_frames=40, fps=Fraction(30), pts_list=pts)
    project = Project(base_dir=tmp_path, author="t")
    project.add_source(tmp_path / "vfr.mp4", clock=ClockMap(0.25, 1.0, 0.001, "manual"))
    index = FrameIndex.open(tmp_path / "vfr.mp4")
    assert [int(p) for p in index.pts[:6]] == pts[:6]
    kwargs = {"start": 0.0, "end": 1.5, "width": 200, "height": 160, "fps": 30}
    plan = plan_grid(project, **kwargs)
    out = export(project, "mp4", tmp_path / "vfr_grid.mp4", **kwargs)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for n, image in enumerate(frames):
        ref = index.frame_at_shared(project.clock("vfr.mp4"), n / 30)
        tile = _tile_content(image, plan, 0)
        if ref is None:
            assert np.mean(np.abs(tile.astype(int) - 32) <= 3) > 0.6, f"output frame {n}"
        else:
            assert frame_number(tile) == ref.number, f"output frame {n}"


def test_tile_size_and_rate_options(rendered):
    from timesync.export.grid import _rate

    project, _, _ = rendered
    plan = plan_grid(project, tile_width=160, tile_height=120)
    assert (plan.cols, plan.rows, plan.tile_w, plan.tile_h) == (2, 2, 160, 120)
    assert (plan.width, plan.height) == (320, plan.band + 240 + plan.strip_h)
    assert plan.strip_h > 0 and plan.strip_y == plan.band + 240  # every event in range: captions below the tiles
    assert (_rate(30), _rate(29.97), _rate(30000 / 1001), _rate(25.0)) == ("30", "30000/1001", "30000/1001", "25")
    with pytest.raises(ExportError, match="too small for 3 tiles"):
        plan_grid(project, width=40, height=40)
    with pytest.raises(ExportError, match="frame rate must be > 0"):
        plan_grid(project, fps=0)
