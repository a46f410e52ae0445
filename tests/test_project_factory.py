"""A tiny known-answer incident for the project and export tests (helpers + a sanity test).

``build_incident(folder)`` writes, in ``folder/media``:

* ``camA.mp4``: 160x120, 30 fps, 90 frames (3.0 s), AAC audio: the reference.
* ``camB.mp4``: 160x120, 25 fps, 75 frames (3.0 s): offset +1.0 s, sigma 2 ms (audio).
* ``phone.wav``: 2.0 s of audio: offset +0.5 s (audio-only).
* ``drone.mp4``: 160x120, 10 fps, 20 frames: not aligned.

and returns a saved :class:`Project` (``folder/incident.json``) with events
``e1`` shot fired at 0.51 s, ``e2`` verbal command 1.5-2.5 s, ``e3`` person down
at 2.21 s (source camB.mp4), authored by "tester" at fixed times.
"""

from __future__ import annotations

import itertools
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import AudioSpec, click_track, make_audio, make_video

from timesync.clock import IDENTITY, ClockMap
from timesync.project import Project

#: Known answers: (source, shared_s) -> (local_s, frame) for the events above.
EXPECTED = {
    ("camA.mp4", "e1"): (0.51, 15),
    ("camA.mp4", "e2"): (1.5, 45),
    ("camA.mp4", "e3"): (2.21, 66),
    ("camB.mp4", "e1"): None,  # local -0.49: not recording
    ("camB.mp4", "e2"): (0.5, 12),
    ("camB.mp4", "e3"): (1.21, 30),
}


def fixed_clock():
    """A ``now()`` returning 2026-01-02T03:04:05.000Z, .001Z, ... deterministically."""
    counter = itertools.count()

    def now() -> str:
        n = next(counter)
        return f"2026-01-02T03:04:{5 + n // 1000:02d}.{n % 1000:03d}Z"

    return now


def make_media(media: Path) -> dict[str, Path]:
    """The four source files (cached by the caller)."""
    media.mkdir(parents=True, exist_ok=True)
    sr = 16000
    audio = AudioSpec(click_track(sr, 3.0, [0.51, 1.5]), sr=sr)
    files = {
        "camA.mp4": make_video(media / "camA.mp4", n_frames=90, fps=Fraction(30), audio=audio),
        "camB.mp4": make_video(media / "camB.mp4", n_frames=75, fps=Fraction(25)),
        "phone.wav": make_audio(media / "phone.wav", click_track(sr, 2.0, [0.01]), sr),
        "drone.mp4": make_video(media / "drone.mp4", n_frames=20, fps=Fraction(10)),
    }
    return files


def build_incident(folder: Path, media_cache: Path | None = None) -> Project:
    """Copy (or make) the media into ``folder/media`` and return the saved project."""
    media = folder / "media"
    if media_cache is not None:
        shutil.copytree(media_cache, media)
    else:
        make_media(media)
    project = Project(base_dir=folder, author="tester", now=fixed_clock())
    project.add_source(media / "camA.mp4", role="body cam", clock=IDENTITY)
    project.set_reference("camA.mp4")
    project.add_source(media / "camB.mp4", role="body cam", clock=ClockMap(1.0, 1.0, 0.002, "audio"))
    project.add_source(media / "phone.wav", role="audio-only", clock=ClockMap(0.5, 1.0, 0.001, "audio"))
    project.add_source(media / "drone.mp4", role="aerial", reason="no shared audio or visual event")
    project.add_annotation("shot fired", 0.51, note="first report")
    project.add_annotation("verbal command", 1.5, 2.5, note='"drop it"')
    project.add_annotation("person down", 2.21, source="camB.mp4")
    project.save(folder / "incident.json")
    return project


_MEDIA: dict[str, Path] = {}


@pytest.fixture(scope="session")
def incident_media(tmp_path_factory) -> Path:
    """The four source files, made once per session (import this fixture into a test module)."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _MEDIA:
        folder = tmp_path_factory.mktemp("incident-media")
        make_media(folder)
        _MEDIA[key] = folder
    return _MEDIA[key]


def test_factory_builds_a_verified_project(tmp_path, incident_media):
    project = build_incident(tmp_path, incident_media)
    assert [s.name for s in project.sources] == ["camA.mp4", "camB.mp4", "phone.wav", "drone.mp4"]
    assert [s.path for s in project.sources][0] == "media/camA.mp4"
    assert project.source("camA.mp4").probe["video"]["frame_count"] == 90
    assert project.source("phone.wav").probe.get("video") is None
    assert np.isclose(project.source("camB.mp4").duration_s, 3.0, atol=0.05)
    reopened = Project.load(tmp_path / "incident.json")
    assert reopened.warnings == []
    assert {s.hash_status for s in reopened.sources} == {"verified"}
