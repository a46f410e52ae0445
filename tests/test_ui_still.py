"""Export the focused view's frame as a still from the app (issue 17 item 4)."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from timesync.media import FrameReader
from ui.stills import export_still

pytest_plugins = ("conftest_ui",)


def test_the_still_is_the_frame_on_screen_with_its_provenance(qtbot, window, incident, wait_frames, tmp_path):
    window.open_project(incident)
    window.clock.seek(1.5)
    wait_frames(window)
    view = next(v for v in window.grid.views if v.spec.name.endswith("camB.mp4"))
    window.grid.set_focused(view)
    window.step_source(1)  # this view alone, one frame ahead of the clock
    qtbot.waitUntil(lambda: view.shown_frame == view.wanted_frame == 13)
    out = tmp_path / "still.png"
    with qtbot.waitSignal(window.jobFinished, timeout=20000, check_params_cb=lambda k, _r: k == "still") as done:
        export_still(window, out)
    assert done.args[1] == out
    record = json.loads((tmp_path / "still.png.provenance.json").read_text(encoding="utf-8"))
    assert record["frame"]["number"] == 13 and record["source"]["name"] == view.spec.name
    assert record["shared"]["uncertainty_s"] == view.spec.clock.uncertainty_s
    with FrameReader(view.spec.path) as reader:
        assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), reader.read(13))
    assert any("frame 13" in m.text for m in window.messages.messages)
    with qtbot.waitSignal(window.jobFinished, timeout=20000, check_params_cb=lambda k, _r: k == "still") as again:
        export_still(window, out)
    assert again.args[1] is None and "exists" in window.messages.messages[-1].text  # not overwritten


def test_an_audio_only_focus_gets_a_message_not_a_still(window, incident):
    window.open_project(incident)
    window.grid.set_focused(next(v for v in window.grid.views if v.spec.name.endswith("phone.wav")))
    assert export_still(window, "x.png") is None
    assert "video view" in window.messages.messages[-1].text
