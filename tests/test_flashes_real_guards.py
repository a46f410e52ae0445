"""No flashes where no light was added: real video played back and forth (../shared/media).

A hand moving away from the lens and back (tree.avi), a face turning, a
window passing (carphone.mp4), riders crossing (bikes.mp4), and each clip
reversing at its ends brighten some cells for a few frames and let them
fall back: flash-like at a cell, but with as much darkening beside it or
over the picture (:mod:`timesync.align.flashes.guards`). The earlier detector
found 14, 10 and 1 such events in these 20-s clips.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flashes_real_media as fm  # noqa: E402

from timesync.align.flashes import detect  # noqa: E402

pytestmark = pytest.mark.skipif(not all((fm.MEDIA / v).is_file() for v in fm.VIDEOS),
                                reason=f"the real videos {', '.join(fm.VIDEOS)} are not in {fm.MEDIA}")


@pytest.mark.parametrize(("video", "most"), [("tree.avi", 2), ("carphone.mp4", 0), ("bikes.mp4", 0)])
def test_real_scene_without_lights_has_no_flashes(tmp_path, video, most):
    times = fm.frame_times(30, 20.0, False, np.random.default_rng(1))
    cam = fm.Camera(0.0, times, 20.0, (0, 0, 1, 1), (320, 240), "color")
    path = fm.write(tmp_path / "scene.mp4", fm.render(video, cam, []), cam.times)
    events = detect.detect_flashes(path)
    assert len(events) <= most, [round(e.onset_s(0.0), 2) for e in events]
