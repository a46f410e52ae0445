"""The audio mixer and sample clock (no sound device): drift, offset, nudge, mute/solo, pitch at 0.5x/2x."""

from __future__ import annotations

import numpy as np
import pytest

from timesync.clock import ClockMap
from ui.audio.follow import STALL_S, ClockState, Follower
from ui.audio.mixer import GRAIN, ChunkStore, Mixer, Track

SR = 48000


def _store(signal: np.ndarray) -> ChunkStore:
    store = ChunkStore(SR)
    for number in range(-(-signal.size // store.chunk_len)):
        store.put(number, signal[number * store.chunk_len:(number + 1) * store.chunk_len])
    return store


def _ramp(seconds: float) -> np.ndarray:
    """Sample k is k / SR / 100: a sample's value names its local time (seconds / 100)."""
    return (np.arange(round(seconds * SR)) / SR / 100).astype(np.float64).astype(np.float32)


def _mixer(**tracks: Track) -> Mixer:
    mixer = Mixer(SR)
    mixer.tracks = dict(tracks)
    mixer.mode = "mix"
    return mixer


def test_a_drifting_source_gives_its_sample_at_the_shared_time():
    clock = ClockMap(0.25, 1 + 100e-6)  # 100 ppm: after 5 local s, 0.5 ms later on the shared clock
    track = Track("radio", _store(_ramp(6.0)), clock)
    shared = 0.25 + 5.0 * (1 + 100e-6)  # exactly local 5.000 s
    out = _mixer(radio=track).render(0, 64, shared, 64 / SR, 1.0)
    assert out[0] == pytest.approx(5.0 / 100, abs=1e-6)  # the sample of local 5.0 s, not of 4.9995 s
    assert out[0] != pytest.approx((shared - 0.25) / 100, abs=1e-6)  # ignoring the drift would be 0.5 ms off
    expected = clock.to_local(shared + np.arange(64) / SR) / 100
    assert np.allclose(out, expected, atol=2e-7)


def test_outside_its_recording_or_unaligned_a_source_is_silent():
    track = Track("radio", _store(_ramp(1.0)), ClockMap(2.0, 1.0))
    mixer = _mixer(radio=track)
    assert not mixer.render(0, 480, 1.0, 0.01, 1.0).any()  # before it starts
    assert not mixer.render(0, 480, 3.5, 0.01, 1.0).any()  # after it ends
    track.clock = None
    assert not mixer.render(0, 480, 2.5, 0.01, 1.0).any()


def test_a_nudge_is_in_the_very_next_buffer():
    track = Track("radio", _store(_ramp(4.0)), ClockMap(0.0, 1.0))
    mixer = _mixer(radio=track)
    before = mixer.render(0, 480, 2.0, 0.01, 1.0)
    track.clock = ClockMap(0.040, 1.0)  # nudged 40 ms later: at shared 2.01 it plays local 1.97
    after = mixer.render(480, 480, 2.01, 0.01, 1.0)
    assert before[0] == pytest.approx(2.0 / 100, abs=1e-7)
    assert after[0] == pytest.approx(1.97 / 100, abs=1e-7)


def test_focused_mode_plays_one_source_mute_and_solo_choose_the_mix():
    one = Track("one", _store(np.full(SR, 0.1, np.float32)), ClockMap())
    two = Track("two", _store(np.full(SR, 0.2, np.float32)), ClockMap())
    mixer = _mixer(one=one, two=two)
    mixer.mode, mixer.focused = "focused", "two"
    assert mixer.render(0, 10, 0.5, 10 / SR, 1.0) == pytest.approx(np.full(10, 0.2))
    mixer.mode = "mix"
    assert mixer.render(0, 10, 0.5, 10 / SR, 1.0) == pytest.approx(np.full(10, 0.3))
    two.muted = True
    assert mixer.render(0, 10, 0.5, 10 / SR, 1.0) == pytest.approx(np.full(10, 0.1))
    two.solo = True  # a soloed track plays even when muted; the others do not
    assert mixer.render(0, 10, 0.5, 10 / SR, 1.0) == pytest.approx(np.full(10, 0.2))


def _pitch_hz(signal: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    return float(np.argmax(spectrum) * SR / signal.size)


@pytest.mark.parametrize("rate", [0.5, 2.0, -1.0])
def test_half_and_double_speed_keep_the_pitch_and_follow_the_clock(rate):
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8 * SR) / SR)).astype(np.float32)
    track = Track("tone", _store(tone), ClockMap())
    mixer = _mixer(tone=track)
    mixer.reset(0)
    start, count, blocks = 4.0, 480, []
    for i in range(100):  # one second of output, buffer by buffer as the device asks
        blocks.append(mixer.render(i * count, count, start + rate * i * count / SR, rate * count / SR, rate))
    out = np.concatenate(blocks)[GRAIN:]
    assert _pitch_hz(out) == pytest.approx(440, abs=3)  # not 220 Hz or 880 Hz
    assert np.sqrt(np.mean(out ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.15)  # no holes between grains


def test_the_store_asks_for_missing_chunks_and_never_blocks():
    asked = []
    store = ChunkStore(SR, request=asked.append)
    assert not store.read(3 * store.chunk_len - 10, 20).any()
    assert asked == [2, 3]
    store.put(2, np.ones(store.chunk_len, np.float32))
    store.put(3, np.ones(100, np.float32))  # the audio ends 100 samples into chunk 3
    assert store.read(3 * store.chunk_len - 10, 120).tolist() == [1.0] * 110 + [0.0] * 10
    assert store.has(7) and asked == [2, 3]  # past the end: known, never asked for


def test_the_sample_clock_is_contiguous_and_locked_to_the_clock():
    follower = Follower(SR)
    state = ClockState(time_s=10.0, mono_ns=0, rate=1.0, playing=True, epoch=1)
    heard = 1_000_000_000  # the first buffer is heard 1 s after the clock's anchor
    first = follower.next_buffer(state, 0, 480, heard)
    assert first.jumped and first.start_s == pytest.approx(11.0, abs=1e-9)
    late = follower.next_buffer(state, 480, 480, heard + 10_000_000 + 3_000_000)  # callback 3 ms late
    assert not late.jumped and late.start_s == pytest.approx(11.01, abs=1e-5)  # still contiguous
    jumped = follower.next_buffer(ClockState(time_s=2.0, mono_ns=0, rate=1.0, playing=True, epoch=2),
                                  960, 480, heard + 20_000_000)
    assert jumped.jumped and jumped.start_s == pytest.approx(3.02, abs=1e-4)  # a seek is heard at once
    stall = follower.next_buffer(state, 1440, 480, heard + 30_000_000 + round(2 * STALL_S * 1e9))
    assert stall.jumped and stall.start_s == pytest.approx(11.03 + 2 * STALL_S, abs=1e-6)


def test_paused_is_silent_but_a_seek_plays_a_short_scrub():
    follower = Follower(SR)
    paused = ClockState(time_s=5.0, mono_ns=0, playing=False, epoch=1)
    assert follower.next_buffer(paused, 0, 480, 0) is None
    scrub = ClockState(time_s=7.0, mono_ns=0, playing=False, epoch=2, scrub_s=0.02)
    first = follower.next_buffer(scrub, 480, 480, 10_000_000)
    second = follower.next_buffer(scrub, 960, 480, 20_000_000)
    assert (first.start_s, second.start_s) == (pytest.approx(7.0), pytest.approx(7.01))
    assert follower.next_buffer(scrub, 1440, 480, 30_000_000) is None


def test_double_speed_stays_within_a_grain_of_the_clock():
    track = Track("radio", _store(_ramp(8.0)), ClockMap())
    mixer = _mixer(radio=track)
    mixer.reset(0)
    blocks = [mixer.render(i * 480, 480, 1.0 + 2.0 * i * 480 / SR, 2.0 * 480 / SR, 2.0) for i in range(50)]
    out = np.concatenate(blocks)[GRAIN:]
    clock = 1.0 + 2.0 * (GRAIN + np.arange(out.size)) / SR
    assert np.abs(out * 100 - clock).max() < 0.016  # half a grain + the search: 15 ms
