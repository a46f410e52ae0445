"""PlaybackClock: the one shared clock every view follows."""

from __future__ import annotations

import pytest

from ui.clock import SHUTTLE_RATES, PlaybackClock


@pytest.fixture
def clock(qtbot):
    c = PlaybackClock()
    c.set_range(0.0, 10.0)
    yield c
    c.pause()


def test_play_advances_in_real_time_and_pause_stops(qtbot, clock):
    clock.seek(1.0)
    clock.play()
    qtbot.waitUntil(lambda: clock.time > 1.2, timeout=3000)
    clock.pause()
    stopped = clock.time
    assert stopped > 1.2 and not clock.playing
    qtbot.wait(50)
    assert clock.time == stopped


def test_seek_clamps_and_emits_only_on_change(qtbot, clock):
    seen = []
    clock.timeChanged.connect(seen.append)
    clock.seek(20.0)
    clock.seek(10.0)
    clock.seek(-3.0)
    assert seen == [10.0, 0.0]


def test_shuttle_steps_through_rates(qtbot, clock):
    clock.seek(5.0)
    clock.shuttle(1)
    assert clock.playing and clock.rate == 1.0
    clock.shuttle(1)
    assert clock.rate == 2.0
    clock.shuttle(1)
    clock.shuttle(1)
    assert clock.rate == max(SHUTTLE_RATES) == 4.0
    clock.shuttle(-1)
    assert clock.rate == 2.0
    clock.shuttle(0)
    assert not clock.playing


def test_backwards_play_goes_back(qtbot, clock):
    clock.seek(5.0)
    clock.set_rate(-2.0)
    clock.play()
    qtbot.waitUntil(lambda: clock.time < 4.8, timeout=3000)
    clock.pause()
    assert clock.time < 4.8


def test_playing_stops_at_the_end(qtbot, clock):
    clock.set_range(0.0, 0.2)
    clock.seek(0.1)
    clock.play()
    qtbot.waitUntil(lambda: not clock.playing, timeout=3000)
    assert clock.time == 0.2


def test_zero_rate_is_refused(clock):
    with pytest.raises(ValueError, match="non-zero"):
        clock.set_rate(0)


def test_this_pyside_keeps_reference_counts_on_emit():
    """PySide6 6.12.0 drops a reference to True on every emit and crashes the app within a minute of play."""
    from ui.app import emit_leaks_references

    assert not emit_leaks_references()


def test_the_dark_theme_is_loaded():
    from ui.app import load_stylesheet

    qss = load_stylesheet()
    assert "QMainWindow" in qss and "#clockReadout" in qss
