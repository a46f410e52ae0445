"""Small faint burned-in clocks over real moving video (issue 12 item 4: clocks a person reads at once).

White ``YYYY/MM/DD HH:MM:SS`` in OpenCV's Hershey font, no box, blended at 45-65 %, digits 7-9 px
high over the real colour videos of ``../shared/media`` played back and forth, H.264 at CRF 23 (as
compressed as the stress corpus; :func:`overlay_media.write_faint_clock`):

* over a street scene at 15 fps whose moving cars and bikes change the digits' pixels at their own
  rhythm: changes half a second off the ticks sat on the one-second comb beside the true ticks, the fit
  took a mix of both and placed the clock 0.72 s early (with a 44 ms sigma, and a clock running 2 %
  fast). Two ticks are now at least :data:`~timesync.align.overlay.ticks.MIN_TICK_GAP_S` apart, and a
  fit whose rate is no device clock's (:data:`~timesync.align.overlay.read.MAX_RATE_ERROR`) is no reading:
  the clock is read within a frame;
* at 45 % over the still ceiling of a car, where each tick changes the digits by less than the
  region search's first level, while a few pixels of the moving scene ticked by chance: the search
  took the scenery and never tried its faint level. When such a region (fewer ticking pixels than
  :data:`~timesync.align.overlay.region.SURE_DIGIT_PIXELS`) gives no clock, the window is searched
  again with the faint level weighed: the clock is found and read within a frame (it was not read);
* the same clock drawn over saturated white (nothing of it in any frame): still not read.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from overlay_media import colour_frames, write_faint_clock

from timesync.align.overlay.read import parse_clock_value, read_overlay_clock

FPS = 15
INSET = 6  # px from the left edge: the street clip's text starts where the old fit went wrong


def _error_s(clock, t0: datetime) -> float:
    return parse_clock_value(clock.at_local_zero())[0] - parse_clock_value(t0.isoformat())[0]


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("tiny_clocks")
    street = colour_frames(shared_media_dir / "bikes.mp4", 640)
    car = colour_frames(shared_media_dir / "carphone.mp4", 640)
    return {
        "street": (write_faint_clock(folder / "street.mp4", street, 40.0, fps=FPS, t0=datetime(2018, 2, 24, 7, 47, 21),
                                     alpha=0.65, size=0.96, source_fps=25, inset=INSET),
                   datetime(2018, 2, 24, 7, 47, 21)),
        "ceiling": (write_faint_clock(folder / "ceiling.mp4", car, 40.0, fps=FPS, t0=datetime(2020, 2, 18, 11, 26, 41),
                                      alpha=0.45, size=0.91, top=True, source_fps=30),
                    datetime(2020, 2, 18, 11, 26, 41)),
        "white": (write_faint_clock(folder / "white.mp4", car, 40.0, fps=FPS, t0=datetime(2020, 2, 18, 11, 26, 41),
                                    alpha=0.65, size=0.91, top=True, source_fps=30, white_under=True),
                  datetime(2020, 2, 18, 11, 26, 41)),
    }


@pytest.mark.parametrize("name", ["street", "ceiling"])
def test_small_faint_clock_over_moving_video_read_within_a_frame(clips, name):
    path, t0 = clips[name]
    clock = read_overlay_clock(path)
    assert clock.ok, clock.note
    assert abs(_error_s(clock, t0)) < 1 / FPS
    assert abs(clock.fit.rate - 1.0) < 1e-3
    assert not clock.fit.jumps


def test_clock_over_saturated_white_stays_unread(clips):
    path, _ = clips["white"]
    clock = read_overlay_clock(path)
    assert not clock.ok
    assert clock.note.startswith("no readable clock overlay")
