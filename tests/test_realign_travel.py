"""A re-alignment of a project keeps the sound-travel distance of its last alignment.

``timesync sync --max-distance 50`` states a 50 m travel bound; aligning the saved
project again (the app's "Re-align", :func:`timesync.workflow.align_project`) must
state the same bound, not fall back to the default 100 m, unless asked for another.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from media_factory import make_audio

from timesync.cli import main
from timesync.detect.travel import speed_of_sound
from timesync.project import Project
from timesync.sync import DEFAULT_MAX_DISTANCE_M
from timesync.workflow import align_project, alignment_request, stored_max_distance

C = speed_of_sound(20.0)


@pytest.fixture
def synced_project(tmp_path, shared_media_dir):
    """Two microphones on one talker, synced with ``--max-distance 50`` into ``p.json``."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    sr, x = wavfile.read(shared_media_dir / "pyannote_sample.wav")
    x = resample_poly(x.astype(np.float64) / 32768.0, 48000, sr)
    for name, start in {"near.wav": 1.0, "far.wav": 1.6}.items():
        k0 = round(start * 48000)
        seg = x[k0:k0 + 20 * 48000]
        noise = 1e-3 * np.random.default_rng(2).standard_normal(seg.size)
        make_audio(tmp_path / name, (seg + noise).astype(np.float32), 48000)
    out = tmp_path / "p.json"
    rc = main(["sync", str(tmp_path / "near.wav"), str(tmp_path / "far.wav"), "--reference",
               str(tmp_path / "near.wav"), "-o", str(out), "--max-distance", "50", "-q"])
    assert rc == 0
    return out


def _far_bound(project: Project) -> float:
    return project.source("far.wav").extra["travel_bound_s"]


def test_the_request_carries_the_stored_distance(synced_project):
    project = Project.load(synced_project)
    assert stored_max_distance(project) == 50.0
    assert alignment_request(project).max_distance_m == 50.0
    assert DEFAULT_MAX_DISTANCE_M != 50.0  # else this test proves nothing


def test_realigning_keeps_the_bound(synced_project):
    project = Project.load(synced_project)
    assert _far_bound(project) == pytest.approx(50.0 / C, rel=1e-6)
    alignment = align_project(project, methods=["audio"])
    assert alignment.result.parameters["max_distance_m"] == 50.0
    assert _far_bound(alignment.project) == pytest.approx(50.0 / C, rel=1e-6)


def test_an_explicit_distance_wins_and_is_recorded(synced_project, tmp_path):
    project = Project.load(synced_project)
    project.add_annotation(project.vocabulary[0], 2.0)  # work in it: the alignment is applied to it
    alignment = align_project(project, methods=["audio"], max_distance_m=20.0)
    assert alignment.project is project and not alignment.new_project
    assert _far_bound(project) == pytest.approx(20.0 / C, rel=1e-6)
    alignment.project.save(tmp_path / "q.json")
    saved = json.loads((tmp_path / "q.json").read_text())
    assert saved["provenance"]["parameters"]["max_distance_m"] == 20.0


def test_a_project_without_provenance_uses_the_default(synced_project):
    project = Project.load(synced_project)
    project.extra.pop("provenance")
    assert stored_max_distance(project) is None
    assert alignment_request(project).max_distance_m is None


def test_a_clock_placed_otherwise_drops_the_old_bound(synced_project):
    """A re-alignment whose new clock rests on no heard sound (here an entry with no bound, as
    flashes or an anchor give) leaves no stale bound behind."""
    project = Project.load(synced_project)
    entry = {"path": "far.wav", "aligned": True, "offset_s": 0.6, "rate": 1.0, "uncertainty_s": 0.001,
             "method": "visual", "constraints": []}
    project.apply_alignment({"sources": [entry]})
    assert "travel_bound_s" not in project.source("far.wav").extra


@pytest.mark.parametrize("value", [-5.0, float("inf"), "far", True, None])
def test_a_broken_stored_distance_falls_back_to_the_default(synced_project, value):
    """A hand-edited provenance never stops a re-alignment: the default distance applies."""
    project = Project.load(synced_project)
    project.extra["provenance"]["parameters"]["max_distance_m"] = value
    assert stored_max_distance(project) is None
    project.extra["provenance"] = "not a dict"
    assert stored_max_distance(project) is None
