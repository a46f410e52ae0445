"""``resolve_source``: one way to name a source, for every command (no media needed)."""

from __future__ import annotations

import os

import pytest

from timesync.errors import ProjectError
from timesync.project import Project, Source
from timesync.project.names import (
    AmbiguousSourceError,
    SourceNameError,
    UnknownSourceError,
    resolve_source,
)


@pytest.fixture
def project(tmp_path) -> Project:
    """Names as ``sync`` gives them (the path as typed); two files named cam.mp4."""
    for rel in ("media/bodycam_B.mp4", "media/a/cam.mp4", "media/b/cam.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(rel.encode())
    return Project(path=tmp_path / "incident.json", sources=[
        Source(name="sample_media/bodycam_B.mp4", path="media/bodycam_B.mp4"),
        Source(name="left", path="media/a/cam.mp4"),
        Source(name="right", path="media/b/cam.mp4"),
    ])


@pytest.mark.parametrize(("text", "name"), [
    ("sample_media/bodycam_B.mp4", "sample_media/bodycam_B.mp4"),  # its name
    ("left", "left"),
    ("media/bodycam_B.mp4", "sample_media/bodycam_B.mp4"),  # its stored path
    ("bodycam_B.mp4", "sample_media/bodycam_B.mp4"),  # a unique file name
    ("some/where/bodycam_B.mp4", "sample_media/bodycam_B.mp4"),  # a file name with a folder that is not there
    ("media/a/cam.mp4", "left"),
    ("./media/b/../b/cam.mp4", "right"),  # a path from the project's folder
])
def test_forms_that_name_a_source(project, text, name):
    assert resolve_source(project, text) == name


def test_paths_from_the_current_folder_and_absolute(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "media" / "a")
    assert resolve_source(project, "cam.mp4") == "left"  # a path from here, though two files have that name
    assert resolve_source(project, "../b/cam.mp4") == "right"
    assert resolve_source(project, str(tmp_path / "media" / "bodycam_B.mp4")) == "sample_media/bodycam_B.mp4"
    os.symlink(tmp_path / "media" / "b" / "cam.mp4", tmp_path / "link.mp4")
    assert resolve_source(project, str(tmp_path / "link.mp4")) == "right"


def test_an_ambiguous_file_name_lists_the_candidates(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(AmbiguousSourceError) as info:
        resolve_source(project, "cam.mp4")
    assert str(info.value) == ("incident.json: 2 sources have the file name 'cam.mp4': left (media/a/cam.mp4); "
                               "right (media/b/cam.mp4); give the name or the path")


def test_unknown_names_and_other_files(project, tmp_path):
    with pytest.raises(UnknownSourceError) as info:
        resolve_source(project, "drone.mp4")
    assert str(info.value) == ("incident.json: no source named 'drone.mp4' "
                               "(sources: sample_media/bodycam_B.mp4, left, right)")
    other = tmp_path / "elsewhere" / "bodycam_B.mp4"
    other.parent.mkdir()
    other.write_bytes(b"a copy, not the evidence")
    with pytest.raises(UnknownSourceError, match="is a file but not the file of any source"):
        resolve_source(project, str(other))
    with pytest.raises(UnknownSourceError):
        resolve_source(project, "")
    assert issubclass(SourceNameError, ProjectError) and issubclass(AmbiguousSourceError, SourceNameError)
