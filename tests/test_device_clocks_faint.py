"""Small, faint burned-in clocks over real moving video (issue 12 item 4), on clips drawn here.

* tiny (digits about 7 px), semi-transparent white text with no box over a real
  street scene: people and bikes pass behind the digits, so the change of the
  digits box is often larger between ticks than at them; the ticks are the
  changes that come once a second;
* still smaller text, which the pixel-by-pixel region search does not find over
  that scene: found by the mean change in each phase of the second;
* OCR text of such digits: colons dropped or read as dots (mended), a month
  that lost a digit (used only when a whole reading confirms it);
* readings numbered across ticks that were missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from overlay_media import draw_text, grey_frames, write_clock_over, write_h264

from timesync.align.overlay.parse import parse_clock_text
from timesync.align.overlay.read import _confirmed, _tick_of, parse_clock_value, read_overlay_clock
from timesync.align.overlay.ticks import find_ticks

FPS = 15
WIDTH = 480
T0 = datetime(2024, 11, 3, 21, 2, 33, 370000)


def _background(shared_media_dir: Path) -> list[np.ndarray]:
    """The first 150 frames of the real video bikes.mp4, grey, WIDTH pixels wide."""
    return grey_frames(shared_media_dir / "bikes.mp4", WIDTH)


def _write(path: Path, background: list[np.ndarray], seconds: float, scale: float, alpha: float) -> Path:
    """The scene played back and forth, the clock ``T0 + t`` in its bottom left corner."""
    return write_clock_over(path, background, seconds, scale, alpha, fps=FPS, t0=T0)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("faint_clocks")
    background = _background(shared_media_dir)
    return {"tiny": _write(folder / "tiny.mp4", background, 24.0, 0.30, 0.5),
            "tinier": _write(folder / "tinier.mp4", background, 20.0, 0.28, 0.55)}


def _error_s(clock) -> float:
    seconds, _zoned = parse_clock_value(clock.at_local_zero())
    return seconds - parse_clock_value(T0.isoformat())[0]


def test_faint_digits_with_scenery_passing_behind_them(clips):
    """The ticks are the once-a-second changes, not the larger ones of the people passing behind."""
    clock = read_overlay_clock(clips["tiny"])
    assert clock.ok, clock.note
    assert clock.region.text[1] > 150  # the bottom line
    assert abs(_error_s(clock)) < 0.1
    assert not clock.fit.jumps  # the clock runs steadily: no jump may be made up


def test_tinier_digits_found_by_the_phase_of_the_second(clips):
    """Text too faint for the pixel-by-pixel region search: found by the mean change per phase, read."""
    clock = read_overlay_clock(clips["tinier"])
    assert clock.ok, clock.note
    assert clock.region.text[1] > 150
    assert abs(_error_s(clock)) < 0.1
    assert not clock.fit.jumps


def test_find_ticks_ignores_larger_changes_off_the_second():
    """Weak ticks once a second, larger changes between them for 3 s: every tick, none of those."""
    times = np.arange(0, 20 * FPS) / FPS
    change = np.zeros(len(times))
    ticks = np.arange(1, 20) + 0.2
    change[np.rint(ticks * FPS).astype(int)] = 12.0
    for start in (6.4, 7.4, 8.4, 10.4):  # someone walking behind the digits, the whole box changes
        change[round(start * FPS): round((start + 0.5) * FPS)] = 77.0
    lo, hi, note, breaks = find_ticks(change, times)
    assert note is None
    assert np.allclose(hi, ticks, atol=1e-6) and np.all(hi - lo < 0.07)
    assert len(breaks) == 4


def test_a_reading_is_numbered_across_missed_ticks():
    """Ticks found at 1.2 and 4.2 s only: a frame at 3.5 s shows the second that began at 3.2 s."""
    hi = np.array([1.2, 4.2])
    assert _tick_of(3.5, hi, 1 / FPS) == (0, 2)  # the value at the 1.2 s tick is the reading - 2
    assert _tick_of(0.5, hi, 1 / FPS) == (0, -1)  # before the first tick: the next second starts there
    assert _tick_of(2.22, hi, 1 / FPS) is None  # about a whole second after a tick: which second is unsure
    assert _tick_of(3.5, hi, 1 / FPS, breaks=np.array([2.6])) is None  # the digits changed off a tick


@pytest.mark.parametrize(("text", "value"), [
    ("2022/03/1418.3505", datetime(2022, 3, 14, 18, 35, 5)),  # glued, a colon read as a dot, one dropped
    ("2022/03/14183524", datetime(2022, 3, 14, 18, 35, 24)),  # both colons dropped
])
def test_a_time_whose_colons_were_lost_after_a_date(text, value):
    reading = parse_clock_text(text)
    assert reading is not None and reading.value == value


def test_a_field_that_lost_a_digit_needs_a_whole_reading():
    """``2022/2/14`` may be 2022/02/14 or 2022/12/14: used only when a reading shows the whole month."""
    assert parse_clock_text("2022/2/14 22:27:15") is None
    assert parse_clock_text("2024-05-17 1:02:33") is None  # a 24-hour time after a year-first date: HH
    short = parse_clock_text("2019/6/16 19:20:22", strict=False)
    whole = parse_clock_text("2019/06/16 19:20:30", strict=False)
    assert short.short == (True, False) and whole.short == (False, False)
    assert _confirmed([(0, short)]) == []
    assert _confirmed([(0, short), (5, whole)]) == [(0, short), (5, whole)]
    other = parse_clock_text("2022/2/04 22:27:12", strict=False)
    assert _confirmed([(0, other), (5, parse_clock_text("2022/2/14 22:27:15", strict=False))]) == []


def test_readings_that_disagree_on_the_date_report_no_clock(tmp_path):
    """A date that changes by ten days midway is misread digits, not a clock jump: no clock is reported."""

    def frames():
        for i in range(12 * FPS):
            grey = np.full((270, 480), 90, np.uint8)
            value = T0 + timedelta(seconds=i / FPS, days=10 if i >= 6 * FPS else 0)
            yield draw_text(np.stack([grey] * 3, -1), [value.strftime("%Y-%m-%d %H:%M:%S")], (8, 22), 0.5,
                            box=(2, 4, 300, 30))

    clock = read_overlay_clock(write_h264(tmp_path / "date.mp4", frames(), FPS, (480, 270)))
    assert clock.region is not None and clock.fit is None
    assert "disagree on the date" in clock.note
