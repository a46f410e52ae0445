"""Airborne burned-in clocks that OCR garbles and whose digits box holds the tenths (issue 12 item 4).

* a small airborne overlay (``HH:MM:SS.tZ`` between position and altitude lines, white with a dark
  outline, 320 px wide, over a real video): RapidOCR reads its colons as dots and its ``Z`` as ``2``
  (``07.533982``); the mended readings are numbered by the ticks and the clock is read within a frame;
* its digits box holds the tenths as well as the seconds, which change ten times a second: the
  seconds ticks are the stronger changes of one phase of the second, not two "ticks" a second;
* the OCR texts seen on such lines parse, and what is not a clock (coordinates, altitude, a bare
  run of digits, a field short of a digit) still does not;
* position and altitude lines that change once a second with no time line stay unread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from overlay_media import grey_frames, write_airborne_over, write_h264

from timesync.align.overlay.parse import parse_clock_text
from timesync.align.overlay.read import parse_clock_value, read_overlay_clock
from timesync.align.overlay.ticks import find_ticks

FPS = 30
WIDTH = 320
T0 = datetime(2019, 7, 26, 7, 53, 39, 306000)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("airborne_clocks")
    background = grey_frames(shared_media_dir / "tree.avi", WIDTH)
    return {"airborne": write_airborne_over(folder / "airborne.mp4", background, 30.0, 0.53, fps=FPS, t0=T0),
            "no_time": _write_no_time(folder / "no_time.mp4", background, 20.0)}


def _write_no_time(path: Path, background: list[np.ndarray], seconds: float) -> Path:
    """Position and altitude lines whose last digits change once a second, and no time line."""
    import cv2

    period = 2 * len(background) - 2

    def frames():
        for i in range(round(seconds * FPS)):
            j = i % period
            image = np.stack([background[j if j < len(background) else period - j]] * 3, -1).copy()
            n = i // FPS
            for k, line in enumerate((f"N33 12.{345 + n:03d} W097 08.{123 + n:03d}", f"ALT {1850 + 3 * n:05d} FT")):
                cv2.putText(image, line, (12, 20 + 40 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.53, (255, 255, 255), 1,
                            cv2.LINE_AA)
            yield image

    return write_h264(path, frames(), FPS, (background[0].shape[1], background[0].shape[0]))


def test_airborne_clock_read_through_ocr_confusions(clips):
    """OCR reads ``07.533982`` for ``07:53:39.8Z``: mended, counted by the ticks, read within a frame."""
    clock = read_overlay_clock(clips["airborne"])
    assert clock.ok, clock.note
    assert any("." in text[:6] for _, text in clock.readings)  # the confusion this test is about
    error = parse_clock_value(clock.at_local_zero())[0] - parse_clock_value("1970-01-01T07:53:39.306Z")[0]
    assert abs(error) < 1 / FPS
    assert clock.layout == "HH:MM:SS.f Z" and not clock.fit.jumps
    assert clock.fit.readings >= 3


def test_ticks_of_a_box_holding_the_tenths():
    """Changes every 0.1 s (the tenths), stronger ones once a second (the seconds too): one tick a second."""
    times = np.arange(0, 20 * FPS) / FPS
    change = np.zeros(len(times))
    change[3::3] = 10.0  # the tenths change every third frame
    seconds = np.arange(7, len(times), FPS)  # the seconds change at local 0.233 + k s
    change[seconds] = 25.0
    lo, hi, note, _breaks = find_ticks(change, times)
    assert note is None
    assert np.allclose(hi, times[seconds])


def test_ticks_about_a_second_apart_unchanged():
    """Plain seconds ticks (no tenths): every one kept, as before."""
    times = np.arange(0, 20 * FPS) / FPS
    change = np.zeros(len(times))
    seconds = np.arange(7, len(times), FPS)
    change[seconds] = 20.0
    _lo, hi, note, _breaks = find_ticks(change, times)
    assert note is None and np.allclose(hi, times[seconds])


@pytest.mark.parametrize("text, shown", [
    ("07.533982", "07:53:39"), ("07.5347.92", "07:53:47"),
    ("07.53.55,92", "07:53:55"), ("01:.3941.22", "01:39:41"), ("01:40.030z", "01:40:03"),
    ("07:48.29.5z", "07:48:29"), ("07:483412", "07:48:34"), ("07:53:41.QZ", "07:53:41"),
])
def test_airborne_ocr_texts_mended(text, shown):
    reading = parse_clock_text(text)
    assert reading is not None, text
    assert reading.value.strftime("%H:%M:%S") == shown
    assert reading.layout == "HH:MM:SS.f Z"


@pytest.mark.parametrize("text", ["01:40252", "07533982", "N33 12.345 W097 08.123", "ALT 01850 FT",
                                  "7.533982", "12:34:56", "07.53398"])
def test_what_is_not_an_airborne_clock_stays_unread(text):
    assert parse_clock_text(text, strict=False) is None


def test_position_and_altitude_ticking_with_no_time_line_stay_unread(clips):
    clock = read_overlay_clock(clips["no_time"])
    assert not clock.ok
    assert clock.note.startswith("no readable clock overlay")

