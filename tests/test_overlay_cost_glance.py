"""The first look of the clock search: keyframes spread over the file, before any window is decoded.

* A video with no clock is settled by :data:`~timesync.align.overlay.locate.GLANCE_KEYFRAMES`
  keyframes (before: four region windows and two faint-search windows, 537 frames of this
  clip), and the note says what was looked at.
* Burned-in text stays put while the scene behind it moves: a boxed clock, and small
  semi-transparent text without a box over a real street scene, are seen (the search runs
  and reads them as before); a still scene without a clock is not ruled out either.
* Too few keyframes to decide (a GOP of 10 s, a short clip): no verdict, the search runs as
  before; a variable-frame-rate clip is looked at by its keyframes' own times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from overlay_media import draw_text, grey_frames

from timesync.align.overlay.locate import GLANCE_KEYFRAMES, MIN_STEADY_PIXELS, glance
from timesync.align.overlay.read import NO_OVERLAY, parse_clock_value, read_overlay_clock
from timesync.align.overlay.scan import DecodeCount
from timesync.media import FrameIndex

T0 = datetime(2024, 11, 3, 21, 2, 33, 370000)


def _encode(path: Path, picture: Callable[[float], np.ndarray], times_ms: list[int], gop: int) -> Path:
    """H.264 of the grey ``picture(t)`` at the frame times ``times_ms`` (ms: variable frame rate
    allowed), a keyframe every ``gop`` frames."""
    import av

    height, width = picture(0.0).shape
    rate = round(1000 * (len(times_ms) - 1) / max(1, times_ms[-1] - times_ms[0]))
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=max(1, rate))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        video.options = {"preset": "ultrafast", "crf": "20", "g": str(gop), "keyint_min": str(gop),
                         "sc_threshold": "0"}
        for ms in times_ms:
            grey = picture(ms / 1000)
            frame = av.VideoFrame.from_ndarray(np.repeat(grey[:, :, None], 3, axis=2), format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path


def _moving(t: float) -> np.ndarray:
    """A texture drifting a few pixels every 0.1 s: every pixel changes, no text anywhere."""
    yy, xx = np.mgrid[0:240, 0:320].astype(np.float32)
    i = 10 * t
    return (128 + 60 * np.sin((xx + 3 * i) / 9.0) * np.cos((yy - 2 * i) / 13.0)).astype(np.uint8)


def _with_clock(t: float) -> np.ndarray:
    """The moving texture under a white clock on a black box, bottom left."""
    text = [(T0 + timedelta(seconds=t)).strftime("%Y-%m-%d %H:%M:%S")]
    image = draw_text(np.stack([_moving(t)] * 3, -1), text, (8, 228), 0.5, box=(4, 210, 190, 236))
    return image[..., 0]


def _still(t: float) -> np.ndarray:
    """A still picture with sharp edges everywhere (a parked camera) and no clock."""
    yy, xx = np.mgrid[0:240, 0:320]
    return np.where((xx // 16 + yy // 16) % 2 == 0, 60, 190).astype(np.uint8)


def _every(fps: int, seconds: float) -> list[int]:
    return [round(1000 * i / fps) for i in range(round(seconds * fps))]


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("glance")
    street = grey_frames(shared_media_dir / "bikes.mp4", 480)

    def faint(t: float) -> np.ndarray:
        """Small semi-transparent text without a box over the street scene played back and forth."""
        j = round(15 * t) % (2 * len(street) - 2)
        grey = street[j if j < len(street) else 2 * len(street) - 2 - j]
        text = [(T0 + timedelta(seconds=t)).strftime("%Y/%m/%d %H:%M:%S")]
        return draw_text(np.stack([grey] * 3, -1), text, (6, grey.shape[0] - 8), 0.30, alpha=0.5)[..., 0]

    vfr = [0]
    while vfr[-1] < 60_000:  # 50 and 100 ms frames in turn
        vfr.append(vfr[-1] + (50 if len(vfr) % 2 else 100))
    return {"none": _encode(folder / "none.mp4", _moving, _every(10, 150), 10),
            "boxed": _encode(folder / "boxed.mp4", _with_clock, _every(10, 60), 10),
            "faint": _encode(folder / "faint.mp4", faint, _every(15, 40), 15),
            "still": _encode(folder / "still.mp4", _still, _every(10, 40), 10),
            "long_gop": _encode(folder / "long_gop.mp4", _with_clock, _every(10, 60), 100),
            "short": _encode(folder / "short.mp4", _with_clock, _every(10, 8), 10),
            "vfr": _encode(folder / "vfr.mp4", _with_clock, vfr, 15)}


def _glance(path: Path, count: DecodeCount | None = None):
    index = FrameIndex.open(path)
    return glance(path, index, float(index.start_s), float(index.end_s), count)


def test_a_video_without_a_clock_is_settled_by_a_few_keyframes(clips):
    clock = read_overlay_clock(clips["none"])
    assert clock.fit is None and clock.region is None
    # before: one frame for the scale, four region windows, two faint windows: 537 frames
    assert 0 < clock.frames_decoded <= GLANCE_KEYFRAMES
    assert clock.note.startswith(NO_OVERLAY + ": no clock-like text in 32 keyframes over 149 s")
    assert clock.finding() == {}


def test_a_report_says_what_was_looked_at(clips):
    from types import SimpleNamespace

    from timesync.align.overlay import find_constraints

    report = find_constraints([SimpleNamespace(name="cam", path=clips["none"], info=None)])
    assert "no clock-like text in 32 keyframes over 149 s" in report.notes["cam"]


def test_the_look_sees_burned_in_text_and_leaves_still_scenes_to_the_search(clips):
    for name in ("boxed", "faint", "still", "vfr"):
        count = DecodeCount()
        look = _glance(clips[name], count)
        assert look is not None and not look.no_clock, name
        assert look.steady_pixels >= 3 * MIN_STEADY_PIXELS, name
        assert count.frames == look.keyframes <= GLANCE_KEYFRAMES
    none = _glance(clips["none"])
    assert none.no_clock and none.keyframes == GLANCE_KEYFRAMES and none.steady_pixels < MIN_STEADY_PIXELS


def test_too_few_keyframes_give_no_verdict(clips):
    assert _glance(clips["long_gop"]) is None  # 6 keyframes in 60 s
    assert _glance(clips["short"]) is None  # 8 s


def _error_s(clock) -> float:
    return parse_clock_value(clock.at_local_zero())[0] - parse_clock_value(T0.isoformat())[0]


@pytest.mark.parametrize("name", ["faint", "long_gop", "vfr"])
def test_clocks_past_the_look_are_read_as_before(clips, name):
    clock = read_overlay_clock(clips[name])
    assert clock.ok, clock.note
    assert abs(_error_s(clock)) < 0.1
