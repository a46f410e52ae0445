"""Small semi-transparent burned-in clocks with no box: never a clock read wrong in a digit the ticks
never count (issue 12 item 4; item 5: no confidently wrong answer).

* digits about 5 px high (``YYYY/MM/DD HH:MM:SS``, 480 px wide, over a real street scene): RapidOCR
  reads the year's ``2025`` as ``2005`` in most crops, the same way, so the readings agree with one
  another and with the ticks on a clock twenty years off. Read again at twice the size, the same
  crops say ``2025``: a digit above the seconds read two ways, which no count of ticks settles, so
  the clock stays unread (it was read twenty years off);
* the same clock a little larger (digits about 7 px, 640 px wide): both readings agree, the clock is
  read within a frame as before.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from overlay_media import grey_frames, write_clock_over

from timesync.align.overlay.read import parse_clock_value, read_overlay_clock

FPS = 24
T0 = datetime(2025, 7, 11, 20, 29, 45, 235000)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("small_clocks")
    video = shared_media_dir / "bikes.mp4"
    return {"tiny": write_clock_over(folder / "tiny.mp4", grey_frames(video, 480), 40.0, 0.23, 0.57, fps=FPS, t0=T0),
            "small": write_clock_over(folder / "small.mp4", grey_frames(video, 640), 40.0, 0.30, 0.55, fps=FPS,
                                      t0=T0)}


def test_a_year_read_two_ways_gives_no_clock(clips):
    """``2005`` at one size, ``2025`` at another: not read, rather than read twenty years off.

    Whether RapidOCR misreads these 5-px digits depends on the OpenCV build it runs on (OpenCV
    5.0 reads ``2005`` in most crops, 5.1 reads ``2025``): either way the clock is never read
    wrong. The rule itself is tested on fixed readings below
    (:func:`test_a_lost_digit_of_one_reading_does_not_doubt_the_clock`).
    """
    clock = read_overlay_clock(clips["tiny"])
    if clock.ok:  # every crop read right: the clock within a frame of the truth
        error = parse_clock_value(clock.at_local_zero())[0] - parse_clock_value(T0.isoformat())[0]
        assert abs(error) < 1 / FPS
    else:
        assert clock.note.startswith("no readable clock overlay")
        assert any(" | " in text for _, text in clock.readings)  # both opinions kept for provenance


def test_small_clock_both_readings_agree(clips):
    clock = read_overlay_clock(clips["small"])
    assert clock.ok, clock.note
    error = parse_clock_value(clock.at_local_zero())[0] - parse_clock_value(T0.isoformat())[0]
    assert abs(error) < 1 / FPS
    assert not clock.fit.jumps


def _reading(text: str):
    from timesync.align.overlay.parse import parse_clock_text

    reading = parse_clock_text(text, strict=False)
    assert reading is not None, text
    return reading


def test_a_lost_digit_of_one_reading_does_not_doubt_the_clock():
    """``20211:23`` (the hour's ``1`` lost in one crop, ``11:23`` at the other size) is a misread the
    fit leaves out; ``2005`` read where most crops say so, and ``2025`` at the other size, doubts them all."""
    from timesync.align.overlay.ocr import majority_doubted

    usual = [(float(k), _reading(f"07/31/2021 11:23:{14 + k:02d} PM"), False) for k in range(6)]
    odd = (6.0, _reading("07/31/20211:23:20PM"), True)  # 01:23 PM: ten hours off the usual clock
    assert not majority_doubted([*usual, odd])
    year = [(float(k), _reading(f"2005/07/11 20:29:{45 + k:02d}"), k in (1, 3)) for k in range(6)]
    assert majority_doubted(year)
