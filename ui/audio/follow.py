"""Where the next output buffer is on the shared clock (no Qt here).

The GUI thread publishes a :class:`ClockState` (the shared clock's time at a
monotonic instant, its rate, play state and a jump counter) whenever the clock
jumps (play, pause, seek, rate change). The audio thread's :class:`Follower`
keeps a *sample clock*: output sample ``j`` is heard at monotonic
``h0 + j / sr``, so consecutive buffers are exactly contiguous (callback
jitter never warps the sound), and plays the shared time the clock shows at
that instant. Each callback gives an estimate of ``h0`` (monotonic now +
output latency - samples so far / sr). Callbacks come late (the scheduler,
the GIL: the buffer still plays meanwhile) or in bursts (the buffer refills),
so single estimates are noisy: ``h0`` moves towards each by only
:data:`TRACKING` of the difference (at most :data:`TRACK_CLIP_S` counted), which
follows a sound card's clock drift without warping the sound, and is set
again at once when a callback is :data:`STALL_S` late (the sound server
stalled: an underrun delayed the sound).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["ClockState", "Buffer", "Follower", "STALL_S", "TRACKING", "TRACK_CLIP_S"]

#: A callback this much later (seconds) than the sample clock says: start the sample clock again.
STALL_S = 0.03
#: Share of a callback's timing difference taken into the sample clock (at most
#: :data:`TRACK_CLIP_S` of it counted): at most 0.05 % speed change, inaudible.
TRACKING = 0.001
TRACK_CLIP_S = 0.005


@dataclass(frozen=True)
class ClockState:
    """The shared clock as the audio thread sees it.

    ``time_s`` is the shared time at monotonic instant ``mono_ns``; while
    ``playing`` the time goes on at ``rate`` shared seconds per second,
    limited to ``[start_s, end_s]`` when ``end_s > start_s``. ``epoch`` counts
    the jumps. ``scrub_s``: while paused, this many seconds of audio from
    ``time_s`` on are heard at 1x (scrubbing), then silence.
    """

    time_s: float = 0.0
    mono_ns: int = 0
    rate: float = 1.0
    playing: bool = False
    start_s: float = 0.0
    end_s: float = 0.0
    epoch: int = 0
    scrub_s: float = 0.0

    def time_at(self, mono_ns: float) -> float:
        """Shared time (seconds) at monotonic instant ``mono_ns`` (nanoseconds)."""
        if not self.playing:
            return self.time_s
        t = self.time_s + self.rate * (mono_ns - self.mono_ns) * 1e-9
        if self.end_s > self.start_s:
            t = min(max(t, self.start_s), self.end_s)
        return t


@dataclass(frozen=True)
class Buffer:
    """One output buffer on the shared clock: from ``start_s`` over ``span_s`` shared
    seconds (negative backwards) at ``rate``; ``jumped``: not the continuation of the
    previous buffer; ``late_s``: how much later than the sample clock its callback came."""

    start_s: float
    span_s: float
    rate: float
    jumped: bool
    late_s: float


class Follower:
    """The sample clock of one output stream, locked to a :class:`ClockState`."""

    def __init__(self, sr: int) -> None:
        self.sr = int(sr)
        self._h0: float | None = None  # monotonic ns at which output sample 0 is heard
        self._epoch: int | None = None
        self._scrub_ns = 0.0  # when the scrub snippet of the current epoch started being heard
        self._sounding = False

    def heard_ns(self, sample: int) -> float:
        """Monotonic instant (ns) at which output sample ``sample`` is heard (after the first buffer)."""
        return (self._h0 or 0.0) + sample * 1e9 / self.sr

    def next_buffer(self, state: ClockState, sample: int, count: int, heard_ns: int | None = None) -> Buffer | None:
        """Output samples ``sample .. sample + count - 1`` on the shared clock; their callback
        expects the first to be heard at monotonic ``heard_ns`` (default: now). ``None``: silence."""
        heard_ns = time.monotonic_ns() if heard_ns is None else heard_ns
        late = self._track(sample, heard_ns)
        first, last = self.heard_ns(sample), self.heard_ns(sample + count)
        jumped = state.epoch != self._epoch or not self._sounding
        self._epoch = state.epoch
        if state.playing:
            self._sounding = True
            start = state.time_at(first)
            return Buffer(start, state.time_at(last) - start, state.rate, jumped, late)
        if jumped:
            self._scrub_ns = first
        done = (first - self._scrub_ns) * 1e-9
        if done >= state.scrub_s:
            self._sounding = False
            return None
        self._sounding = True
        return Buffer(state.time_s + done, count / self.sr, 1.0, jumped, late)  # scrub: 1x from the seek

    def _track(self, sample: int, heard_ns: int) -> float:
        """Follow the callbacks' idea of the hearing time; returns how late this one is (s)."""
        estimate = heard_ns - sample * 1e9 / self.sr
        if self._h0 is None or estimate - self._h0 > STALL_S * 1e9:
            self._h0 = float(estimate)
            self._sounding = False  # a new stretch of sound: not a continuation
            return 0.0
        late = estimate - self._h0
        self._h0 += TRACKING * min(max(late, -TRACK_CLIP_S * 1e9), TRACK_CLIP_S * 1e9)
        return late * 1e-9
