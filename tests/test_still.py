"""A still of one exact frame with its provenance (issue 17 item 4): timesync.export.still, no Qt."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image
from test_project_factory import build_incident, make_media

from timesync.errors import ExportError, ProjectError
from timesync.export.still import STILL_SCHEMA, export_still
from timesync.media import FrameReader


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("still-media") / "media"
    make_media(folder)
    return folder


@pytest.fixture
def project(tmp_path, media):
    return build_incident(tmp_path / "case", media_cache=media)


def test_the_still_is_the_exact_frame_and_its_sidecar_says_where_it_came_from(project, tmp_path):
    out = export_still(project, "camB.mp4", tmp_path / "still.png", shared_s=1.5)
    path = project.resolve("camB.mp4")
    record = json.loads((tmp_path / "still.png.provenance.json").read_text(encoding="utf-8"))
    # camB: shared = 1.0 + local, 25 fps: shared 1.5 s is local 0.5 s, frame 12 (local 0.48 s, shared 1.48 s)
    assert record["schema"] == STILL_SCHEMA
    assert record["frame"]["number"] == 12
    assert record["frame"]["local_s"] == pytest.approx(0.48, abs=1e-9)
    assert record["frame"]["duration_s"] == pytest.approx(0.04, abs=1e-9)
    assert isinstance(record["frame"]["pts"], int) and "/" in record["frame"]["time_base"]
    assert record["shared"]["start_s"] == pytest.approx(1.48, abs=1e-9)
    assert record["shared"]["uncertainty_s"] == pytest.approx(0.002)
    assert record["shared"]["requested_s"] == 1.5
    assert record["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["source"]["hash_matches"] is True
    assert record["image"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    with FrameReader(path) as reader:
        expected = reader.read(12)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), expected)  # lossless: the same pixels
    assert (record["image"]["width"], record["image"]["height"]) == (expected.shape[1], expected.shape[0])


def test_a_frame_number_can_be_asked_for(project, tmp_path):
    export_still(project, "camA.mp4", tmp_path / "a.png", frame=66)
    record = json.loads((tmp_path / "a.png.provenance.json").read_text(encoding="utf-8"))
    assert record["frame"]["number"] == 66 and record["shared"]["start_s"] == pytest.approx(2.2, abs=1e-9)
    assert record["shared"]["requested_s"] is None


def test_nothing_is_overwritten_without_force(project, tmp_path):
    out = tmp_path / "still.png"
    export_still(project, "camA.mp4", out, shared_s=1.0)
    before = out.read_bytes()
    with pytest.raises(ExportError, match="exists"):
        export_still(project, "camA.mp4", out, shared_s=2.0)
    assert out.read_bytes() == before
    export_still(project, "camA.mp4", out, shared_s=2.0, force=True)
    assert out.read_bytes() != before


def test_a_changed_file_is_recorded_as_changed(project, tmp_path):
    """The still vouches for the bytes it was read from, and says they are not the recorded ones."""
    stored = project.source("camA.mp4").sha256
    path = project.resolve("camA.mp4")
    with path.open("ab") as handle:
        handle.write(b"\0" * 16)  # after the last box: still decodable, no longer the same file
    export_still(project, "camA.mp4", tmp_path / "s.png", shared_s=1.0)
    record = json.loads((tmp_path / "s.png.provenance.json").read_text(encoding="utf-8"))
    assert stored and record["source"]["recorded_sha256"] == stored
    assert record["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() != stored
    assert record["source"]["hash_matches"] is False


@pytest.mark.parametrize(("name", "shared_s", "message"), [
    ("drone.mp4", 1.0, "not placed"),
    ("camB.mp4", 0.5, "not recording"),
    ("camA.mp4", None, "shared time or a frame number"),
])
def test_bad_requests_say_why_in_one_sentence(project, tmp_path, name, shared_s, message):
    with pytest.raises(ProjectError, match=message):
        export_still(project, name, tmp_path / "x.png", shared_s=shared_s)
    assert not (tmp_path / "x.png").exists()
