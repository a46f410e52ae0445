"""The window on the committed sample incident: three sources, exact frames at every shot."""

from __future__ import annotations

import numpy as np
import pytest

from timesync.media import FrameIndex, FrameReader
from timesync.samples import load_truth
from ui.frames import qimage_to_array
from ui.sample_project import sample_project

pytest_plugins = ("conftest_ui",)


@pytest.fixture(scope="module")
def sample_incident(sample_media_dir, tmp_path_factory):
    """A project over sample_media/ placed by truth.json (written outside the sample folder)."""
    return sample_project(sample_media_dir, tmp_path_factory.mktemp("sample-project"), align=False).path


def test_every_view_shows_the_frame_of_each_shot(qtbot, wait_frames, window, sample_incident, sample_media_dir):
    truth = load_truth(sample_media_dir)
    assert window.open_project(sample_incident)
    assert [v.spec.name for v in window.grid.views] == [s["path"] for s in truth["sources"]]
    indexes = {s["path"]: FrameIndex.open(sample_media_dir / s["path"]) for s in truth["sources"]}
    for shot in truth["shots"][:: max(1, len(truth["shots"]) // 3)]:
        window.clock.seek(shot["shared_s"])
        wait_frames(window, timeout=15000)
        for view in window.grid.views:
            local = shot["local_s"][view.spec.name]
            ref = indexes[view.spec.name].frame_at(local)
            assert view.shown_frame == (None if ref is None else ref.number), (view.spec.name, shot["index"])
    view = window.grid.views[1]
    with FrameReader(view.spec.path) as reader:
        assert np.array_equal(qimage_to_array(view.image), reader.read(view.shown_frame))
    assert window.wall_label.text().startswith(truth["utc_at_shared_zero"][:10])
