"""Integration: csv and html exports of the generated sample incident (skipped when absent)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest

from timesync.export import export
from timesync.media import FrameIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


@pytest.fixture(scope="module")
def sample_project(sample_media_dir, tmp_path_factory):
    from bench_export import project_from_truth

    work = tmp_path_factory.mktemp("sample-export")
    return project_from_truth(sample_media_dir, work), json.loads((sample_media_dir / "truth.json").read_text())


def test_sample_csv_gives_each_shot_in_every_recording(sample_project, tmp_path):
    project, truth = sample_project
    text = export(project, "csv", tmp_path / "shots.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))  # plain CSV: the header on line 1
    assert len(rows) == len(truth["shots"]) > 0
    indexes = {s.name: FrameIndex.open(project.resolve(s.name)) for s in project.sources}
    for row, shot in zip(rows, truth["shots"], strict=True):
        for name, local in shot["local_s"].items():
            index = indexes[name]
            ref = index.frame_at(local)
            if ref is None:
                assert (row[f"{name} status"], row[f"{name} frame_number"]) == ("not recording", "")
            else:
                assert abs(float(row[f"{name} local_time_s"]) - local) < 1e-5
                assert row[f"{name} frame_number"] == str(ref.number)


def test_sample_html_report(sample_project, tmp_path):
    project, truth = sample_project
    html = export(project, "html", tmp_path / "report.html").read_text()
    assert html.count("<section class='event' id=") == len(truth["shots"])
    stills = re.findall(r"<img alt='([^']+) frame (\d+)'", html)
    assert len(stills) >= len(truth["shots"])
    assert all(s.sha256 in html for s in project.sources)
