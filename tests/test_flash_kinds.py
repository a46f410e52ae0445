"""Kinds of brightening over real video (issue 12 item 3): each found within half a frame, and a cut is no flash.

The clips come from tests/flashes_real_media.py (numpy, OpenCV and PyAV only)
over the real videos in ../shared/media: a one-frame spot over a moving
low-resolution picture (the picture differs from before once it is over), a
long light that lights its first frame fully, and bikes.mp4's own cuts with
no light at all.
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

#: True time (s) at each camera's local 0.
START = 0.3


def _camera(fps: float, look: str, width: int = 240) -> fm.Camera:
    times = fm.frame_times(fps, 6.8, False, np.random.default_rng(5))
    return fm.Camera(START, times, 6.8, (0.05, 0.05, 0.95, 0.95), (width, width * 3 // 4), look)


def _missed(path: Path, cam: fm.Camera, lights: list[fm.Light]) -> list[str]:
    """The lights with no detected event within half a frame of their onset (local s)."""
    events = detect.detect_flashes(path)
    half = 0.5 * float(np.max(np.diff(cam.times)))
    onsets = [round(e.onset_s(0.5 * e.frame_s), 4) for e in events]
    return [f"{lt.kind} {lt.duration} s at {lt.onset - cam.start:.4f} (events at {onsets})" for lt in lights
            if not any(abs(e.onset_s(0.5 * e.frame_s) - (lt.onset - cam.start)) <= half + 1e-3 for e in events)]


def test_one_frame_spots_over_a_moving_low_resolution_picture(tmp_path):
    """carphone.mp4 (a man talking, the camera hand-held) at 15 fps and 96 px wide: 20-ms spots, each
    inside one frame, while the picture moves (it differs from before once the spot is over)."""
    cam = _camera(15, "lowres", width=288)
    frame = 1 / 15
    lights = [fm.Light(START + k * frame + 0.02, 0.02, "spot", 0.9, 0.5, 0.45) for k in (14, 26, 62)]
    path = fm.write(tmp_path / "lowres.mp4", fm.render("carphone.mp4", cam, lights), cam.times)
    assert not _missed(path, cam, lights)


def test_long_lights_that_light_their_first_frame_fully(tmp_path):
    """Lights of 0.3-0.45 s starting a twentieth of a frame before a frame begins: the onset is that
    frame's start, not its middle (half a frame off), over a low-resolution and a grey picture."""
    cases = {"lowres": ("carphone.mp4", 15, 288, [(45, 0.45, "spot", 0.5), (62, 0.3, "spot", 0.5)]),
             "gray": ("tree.avi", 24, 240, [(30, 0.45, "spot", 0.5), (75, 0.3, "bar", 0.55)])}
    for look, (video, fps, width, spec) in cases.items():
        cam = _camera(fps, look, width)
        # each light starts a twentieth of a frame before frame k begins
        lights = [fm.Light(START + (k - 0.05) / fps, dur, kind, 0.8, 0.5, y) for k, dur, kind, y in spec]
        path = fm.write(tmp_path / f"{look}.mp4", fm.render(video, cam, lights), cam.times)
        assert not _missed(path, cam, lights), look


@pytest.mark.parametrize("fps, look, width", [(25, "color", 240), (15, "lowres", 288), (30, "gray", 240)])
def test_cuts_without_light_give_no_event(tmp_path, fps, look, width):
    """bikes.mp4 cuts three times (true 1.2, 3.04 and 5.48 s) and its people and cars move: no light, no
    event at the cuts."""
    cam = _camera(fps, look, width)
    path = fm.write(tmp_path / "cuts.mp4", fm.render("bikes.mp4", cam, []), cam.times)
    cuts = np.array([1.2, 3.04, 5.48]) - START
    events = detect.detect_flashes(path)
    at_cuts = [e for e in events if np.min(np.abs(cuts - e.onset_s(0.5 * e.frame_s))) < 0.2]
    assert not at_cuts, [(e.frame, e.frames, round(e.strength)) for e in at_cuts]
