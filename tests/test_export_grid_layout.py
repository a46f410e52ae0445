"""The grid video's layout: captions wrap inside the frame, in a strip that covers no tile; mode and progress."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.export.grid import plan_grid
from timesync.export.grid_captions import wrap_caption
from timesync.project import Project

ROOT = Path(__file__).resolve().parents[1]
LONG = ("first report heard by the officer on the radio, then a second report from the east side of the lot "
        "near the helicopter's landing zone")
incident_media = test_project_factory.incident_media  # the session fixture


@pytest.fixture(scope="module")
def project(tmp_path_factory, incident_media):
    folder = tmp_path_factory.mktemp("grid-layout")
    built = build_incident(folder, incident_media)
    built.update_annotation("e1", note=LONG)
    built.save()
    return Project.load(folder / "incident.json")


def _tiles(plan):
    for i in range(len(plan.tiles)):
        x, y = (i % plan.cols) * plan.tile_w, plan.band + (i // plan.cols) * plan.tile_h
        yield x, y, plan.tile_w, plan.tile_h


def _overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (320, 286)])
def test_captions_wrap_inside_the_frame_and_cover_no_tile(project, size):
    width, height = size
    plan = plan_grid(project, width=width, height=height)
    assert plan.height == height and plan.strip_h > 0
    assert len(plan.captions) == 3
    long = next(c for c in plan.captions if c.lines[0].startswith("e1 shot fired"))
    assert len(long.lines) >= 2 or width >= 1280  # the long note wraps (or fits on a wide frame)
    for cap in plan.captions:
        box = (cap.x, cap.y, cap.w, cap.h)
        assert cap.x >= 0 and cap.y >= plan.strip_y and cap.x + cap.w <= width and cap.y + cap.h <= height
        assert not any(_overlap(box, tile) for tile in _tiles(plan))
        for line in cap.lines:
            assert wrap_caption(line, cap.w, plan.caption_size) == [line]  # each line fits the box's width
    lanes = sorted({c.lane for c in plan.captions})
    ys = [next(c.y for c in plan.captions if c.lane == lane) for lane in lanes]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)  # lanes stacked, not on each other


def test_wrap_caption_breaks_at_spaces_cuts_long_words_and_ellipsizes():
    lines = wrap_caption(LONG, 200, 12)
    assert len(lines) == 3 and lines[-1].endswith("...")
    assert " ".join(lines).startswith("first report heard")
    assert wrap_caption("x" * 200, 100, 12, max_lines=10)[0] == "x" * len(wrap_caption("x" * 200, 100, 12)[0])
    assert all(len(line) < 200 for line in wrap_caption("x" * 200, 100, 12, max_lines=10))
    assert wrap_caption("short", 500, 12) == ["short"]


def test_a_real_render_draws_captions_only_in_the_strip_mode_0644_with_progress(project, tmp_path):
    kwargs = {"start": 0.4, "end": 1.0, "width": 480, "height": 300, "fps": 10}
    plan = plan_grid(project, **kwargs)
    seen = []
    old = os.umask(0o077)  # even with a strict umask, the export is 0644 like every other one
    try:
        out = export(project, "mp4", tmp_path / "g.mp4", progress=lambda f, m: seen.append((f, m)), **kwargs)
    finally:
        os.umask(old)
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert seen[0] == (0.0, "indexing frames of 4 sources") and seen[-1] == (1.0, "wrote g.mp4")
    assert any(m == "rendering g.mp4" for _, m in seen)
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    image = frames[3]  # output 0.3 s = shared 0.7: e1 (from shared 0.51) is captioned
    yellow = (image[..., 0] > 180) & (image[..., 1] > 180) & (image[..., 2] < 90)
    rows = np.nonzero(yellow.any(axis=1))[0]
    assert len(rows) > 0 and rows.min() >= plan.strip_y  # the caption is drawn, and below every tile
    columns = np.nonzero(yellow.any(axis=0))[0]
    assert columns.max() < kwargs["width"] - 4  # it does not run off the right edge


def test_cli_shows_a_progress_bar_on_a_terminal(project, tmp_path):
    out = tmp_path / "cli.mp4"
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "timesync", "export", str(project.path), "-f", "mp4",
                             "-o", str(out), "--start", "0.4", "--end", "0.8"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(leader)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, shown
    assert "indexing frames" in shown and "100.0%" in shown and "[##" in shown
    assert out.is_file()
