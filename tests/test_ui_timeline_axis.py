"""The timeline's axis arithmetic (ui.timeline.axis), on numbers alone: no widget, no painting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from timesync.clock import ClockMap
from ui.timeline.axis import (
    EVENTS_H,
    HEADER_W,
    MAX_PPS,
    RULER_H,
    TRACK_H,
    TimeAxis,
    manual_clock,
    track_row,
)


def test_x_and_time_are_inverse_and_take_arrays():
    axis = TimeAxis(t0=12.5, pps=250.0, width=1000)
    assert axis.x_of(12.5) == HEADER_W
    assert axis.x_of(13.5) == HEADER_W + 250.0
    xs = np.array([HEADER_W, 300.0, 999.0])
    np.testing.assert_allclose(axis.x_of(axis.time_at(xs)), xs, rtol=0, atol=1e-9)
    assert axis.visible_range == (12.5, 12.5 + (1000 - HEADER_W) / 250.0)


def test_fit_shows_the_span_with_two_percent_margins():
    axis = TimeAxis(width=HEADER_W + 1040)
    assert axis.fit(10.0, 60.0)
    t0, t1 = axis.visible_range
    assert t0 == pytest.approx(10.0 - 1.0) and t1 == pytest.approx(60.0 + 1.0)
    before = (axis.t0, axis.pps)
    assert not axis.fit(5.0, 5.0) and (axis.t0, axis.pps) == before  # an empty span changes nothing


def test_zoom_keeps_the_anchor_under_its_pixel_and_is_clamped():
    axis = TimeAxis(t0=0.0, pps=100.0, width=1200)
    anchor_t = axis.time_at(600.0)
    axis.zoom_at(1.5, anchor_t, 600.0, min_pps=1.0)
    assert axis.pps == 150.0 and axis.time_at(600.0) == pytest.approx(anchor_t, abs=1e-12)
    axis.zoom_at(1e9, anchor_t, 600.0, min_pps=1.0)
    assert axis.pps == MAX_PPS and axis.time_at(600.0) == pytest.approx(anchor_t, abs=1e-12)
    span = (0.0, 100.0)  # the widest zoom shows four times the incident
    floor = axis.min_pps(span)
    axis.set_view(0.0, 1e-9, floor)
    assert axis.pps == floor and (axis.visible_range[1] - axis.visible_range[0]) == pytest.approx(400.0)


def test_follow_turns_a_page_only_when_the_playhead_leaves_the_view():
    axis = TimeAxis(t0=0.0, pps=100.0, width=HEADER_W + 1000)  # 10 s visible
    assert not axis.follow(9.9, forward=True) and axis.t0 == 0.0
    assert axis.follow(10.5, forward=True) and axis.t0 == pytest.approx(10.5 - 1.0)
    assert axis.follow(2.0, forward=False) and axis.t0 == pytest.approx(2.0 - 9.0)


def test_ticks_cover_the_visible_range_and_scroll_moves_60_px_a_step():
    axis = TimeAxis(t0=0.25, pps=100.0, width=HEADER_W + 500)  # 0.25 .. 5.25 s
    assert axis.ticks(1.0) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    axis.scroll(2.0)
    assert axis.t0 == pytest.approx(0.25 - 1.2)


def test_track_rows_and_manual_clock_sigma():
    top = RULER_H + EVENTS_H
    assert track_row(top - 1, 3) is None and track_row(top, 3) == 0
    assert track_row(top + 2 * TRACK_H + 1, 3) == 2 and track_row(top + 3 * TRACK_H, 3) is None
    clock = manual_clock(ClockMap(1.0, 1.0, 0.0001, "audio"), 0.04, 1 / 25, 0.001)
    assert clock.offset_s == pytest.approx(1.04) and clock.method == "manual"
    assert clock.uncertainty_s == pytest.approx(math.hypot(1 / 25, 0.001) / math.sqrt(12))
