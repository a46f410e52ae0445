"""Long lights (0.3-0.5 s) over real video (../shared/media): found within half a frame.

A spotlight or a light bar lit for a third of a second or more lights ten to
thirty frames. Over a busy, low-resolution or thermal picture the scene moves
under it, and a video codec leaves a fading trail of it for a few frames after
it is gone: the earlier detector took the trail for part of the light (its
brightness then no longer steady) or the scene's motion under it for
something passing, and found none of these. The clips come from
tests/flashes_real_media.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flashes_real_media as fm  # noqa: E402

from timesync.align.flashes import detect, visual  # noqa: E402

pytestmark = pytest.mark.skipif(not all((fm.MEDIA / v).is_file() for v in fm.VIDEOS),
                                reason=f"the real videos {', '.join(fm.VIDEOS)} are not in {fm.MEDIA}")

#: Long lights only, true seconds (each camera starts at true 0.3), clear of bikes.mp4's cuts.
LONG = [fm.Light(0.80, 0.35, "spot", 0.9, 0.45, 0.5), fm.Light(3.87, 0.40, "bar", 0.8, 0.5, 0.55),
        fm.Light(4.50, 0.40, "bar", 0.8, 0.5, 0.55), fm.Light(6.00, 0.30, "gain", 1.0)]


def _clip(folder: Path, video: str, fps: float, look: str, width: int = 240, start: float = 0.3,
          lights: list[fm.Light] = LONG) -> tuple[Path, fm.Camera]:
    times = fm.frame_times(fps, 7.1 - start, False, np.random.default_rng(5))
    cam = fm.Camera(start, times, 7.1 - start, (0.05, 0.05, 0.95, 0.95), (width, width * 3 // 4), look)
    path = folder / f"{video}-{look}-{fps}-{start}-{len(lights)}.mp4"
    if not path.exists():  # made once for the tests of this module
        fm.write(path, fm.render(video, cam, lights), cam.times)
    return path, cam


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("flashes_long")


@pytest.mark.parametrize(("video", "fps", "look", "width", "lights"),
                         [("bikes.mp4", 25, "color", 240, LONG), ("bikes.mp4", 60, "thermal", 240, LONG),
                          ("carphone.mp4", 15, "lowres", 288, LONG[:2] + LONG[3:])])
def test_long_lights_found_within_half_a_frame(folder, video, fps, look, width, lights):
    path, cam = _clip(folder, video, fps, look, width, lights=lights)
    events = detect.detect_flashes(path)
    half = 0.5 * float(np.max(np.diff(cam.times)))
    for light in lights:
        local = light.onset - cam.start
        near = [e for e in events if abs(e.onset_s(0.5 * e.frame_s) - local) <= half + 1e-3]
        assert near, f"{light} not found: {[round(e.onset_s(0.5 * e.frame_s), 3) for e in events]}"
        # the light's own frames, not its trail: the durations its frames allow hold the true one
        shortest, longest = near[0].flash_bounds_s()
        assert shortest <= light.duration <= longest, (light, near[0])
    assert len(events) <= len(lights) + 2


def test_pair_of_long_lights_placed_within_half_a_frame(folder):
    """A colour 25-fps and a thermal 60-fps camera of one busy scene, 0.2 s apart, four long lights."""
    path_a, cam_a = _clip(folder, "bikes.mp4", 25, "color")
    path_b, cam_b = _clip(folder, "bikes.mp4", 60, "thermal", start=0.5)
    constraint, why = visual.visual_constraint("a", detect.detect_flashes(path_a), "b", detect.detect_flashes(path_b))
    assert constraint is not None, why
    assert abs(constraint.offset_s - (cam_a.start - cam_b.start)) <= 0.5 / 25
