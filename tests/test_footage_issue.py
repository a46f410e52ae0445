"""The issue-14 footage generator (bench/footage_issue.py, footage_picture.py): a tiny build.

The bench repeats a body cam's encoded picture by joining raw H.264 pieces and muxing them
with ffmpeg; the frames must come out at exactly ``i / fps`` (ffmpeg's raw demuxer alone
gives a 1/1200000 time base and uneven steps), every piece's frames counted, and a
helicopter frame lit by a flash in proportion to the part of its interval the flash covers.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import footage_issue  # noqa: E402
import footage_picture  # noqa: E402


def test_joined_pieces_have_exact_frame_times(tmp_path: Path) -> None:
    clip = tmp_path / "clip.h264"
    assert footage_picture.write_bodycam_clip(clip, 1, 30, seed=3) == 30
    audio = tmp_path / "a.m4a"
    footage_issue._pcm_to_aac(audio, [np.zeros(3 * footage_issue.SR, np.float32)])
    out = tmp_path / "cam.mp4"
    footage_issue._mux(out, [clip] * 3, audio, 30)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == footage_picture.SIZE
        assert v.average_rate == 30 and v.time_base == Fraction(1, 15360)
        pts = [f.pts for f in c.decode(video=0)]
    assert pts == [512 * i for i in range(90)]


def test_flash_cover_is_the_part_of_the_frame_lit() -> None:
    shots = np.array([10.013])
    assert footage_picture.flash_cover(shots, 10.00, 10.04) == pytest.approx(0.027 / 0.04)
    assert footage_picture.flash_cover(shots, 10.04, 10.08) == pytest.approx(0.003 / 0.04)
    assert footage_picture.flash_cover(shots, 10.08, 10.12) == 0.0


def test_shots_are_bursts_inside_every_camera() -> None:
    shots = footage_issue.shots(60.0)
    assert len(shots) >= 20
    assert shots.min() >= 100 and shots.max() <= 3500
    assert np.allclose(shots * footage_issue.SR, np.round(shots * footage_issue.SR))
