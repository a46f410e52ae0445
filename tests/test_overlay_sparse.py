"""A long video's burned-in clock is read from windows spread over it, not from every frame.

The clip (3 minutes, 25 fps, 320x240, a keyframe every 10 s) has a clock that
jumps by +7 s at local 70.3 s. A whole-file pass numbers ticks with a reading
every 8 s and so places the jump at the first reading after it (71.62 s here);
the windows and the bisection between those that disagree place it at the
first tick after it, and decode about a third of the frames (region search
included: four 5 s windows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from synth.clips import ClipSpec, write_clip

from timesync.align.overlay.parse import reading_seconds
from timesync.align.overlay.read import read_overlay_clock
from timesync.media import FrameIndex

START = datetime(2024, 5, 17, 21, 2, 33, 370000)
JUMP = (70.3, 7.0)


@pytest.fixture(scope="module")
def long_jump(tmp_path_factory):
    spec = ClipSpec(n_frames=180 * 25, fps=Fraction(25), clock_at_zero=START, clock_jump=JUMP,
                    clock_suffix="CAM-1")
    path = write_clip(tmp_path_factory.mktemp("sparse") / "long_jump.mp4", spec)
    return path, FrameIndex.open(path), read_overlay_clock(path)


def test_a_long_clock_that_jumps_is_read_from_windows(long_jump):
    _path, _index, clock = long_jump
    assert clock.fit is not None, clock.note
    (jump,) = clock.fit.jumps
    assert jump.jump_s == pytest.approx(7.0, abs=0.05)
    # within a tick after the jump (the first tick after it: the clock ticks at .63 s past each second)
    assert JUMP[0] < jump.at_local_s < JUMP[0] + 1.0
    assert "jumps by +7.0 s" in clock.note
    # the longest steady stretch (after the jump) is the one fitted, as a whole-file pass does
    truth = reading_seconds(START + timedelta(seconds=JUMP[1]))
    assert abs(clock.fit.at_zero - truth) <= max(3 * clock.fit.uncertainty_s, 0.04)
    assert clock.fit.span_s[0] >= JUMP[0]
    assert clock.fit.rate == pytest.approx(1.0, abs=1e-3)


def test_far_fewer_frames_are_decoded_than_the_video_has(long_jump):
    _path, index, clock = long_jump
    assert 0 < clock.frames_decoded < len(index) / 2  # DecodeCount: every frame the decoder returned
    finding = clock.finding()
    assert finding["frames_decoded"] == clock.frames_decoded
    windows = finding["windows_s"]  # the windows read are in the provenance
    assert 8 <= len(windows) <= 20
    assert windows[0][0] == 0.0 and windows[-1][1] > 170.0
    assert any(a < JUMP[0] < b for a, b in windows)  # the stretch around the jump was read whole
    assert sum(b - a for a, b in windows) < 0.5 * 180.0


def test_a_short_clip_is_read_whole(tmp_path):
    """Windows would cover most of a 6 s clip: every frame is read, as before."""
    path = write_clip(tmp_path / "short.mp4", ClipSpec(n_frames=150, fps=Fraction(25), clock_at_zero=START))
    clock = read_overlay_clock(path)
    assert clock.fit is not None, clock.note
    assert clock.windows_s is None and "windows_s" not in clock.finding()
    assert clock.frames_decoded >= len(FrameIndex.open(path))  # the whole pass, after the region search
