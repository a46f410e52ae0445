"""PlaybackClock: the one shared clock that every player and the timeline follow.

Time is in seconds on the project's shared clock. While playing, the time is
``anchor_time + rate * elapsed`` where ``elapsed`` is measured by a monotonic
``QElapsedTimer`` since the last anchor (play, seek or rate change), so the
clock never accumulates timer jitter. A ``QTimer`` only decides how often the
new time is published (``timeChanged``).
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

__all__ = ["PlaybackClock", "SHUTTLE_RATES"]

#: The J/K/L shuttle speeds, in order (negative plays backwards).
SHUTTLE_RATES: tuple[float, ...] = (-4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0)


class PlaybackClock(QObject):
    """Shared playback time, rate and play state.

    Signals
    -------
    timeChanged(float)
        The shared time in seconds, emitted only when it really changes.
    playingChanged(bool)
    rateChanged(float)
        Playback rate: 1.0 is real time, negative plays backwards.
    rangeChanged(float, float)
        The playable range ``[start_s, end_s]`` in shared seconds.
    """

    timeChanged = Signal(float)
    playingChanged = Signal(bool)
    rateChanged = Signal(float)
    rangeChanged = Signal(float, float)

    def __init__(self, parent: QObject | None = None, *, tick_ms: int = 16) -> None:
        super().__init__(parent)
        self._time = 0.0
        self._rate = 1.0
        self._playing = False
        self._start = 0.0
        self._end = 0.0
        self._anchor_time = 0.0
        self._elapsed = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)

    # -- state ---------------------------------------------------------------
    @property
    def time(self) -> float:
        """Current shared time in seconds (live while playing)."""
        if self._playing:
            return self._clamp(self._anchor_time + self._rate * self._elapsed.nsecsElapsed() * 1e-9)
        return self._time

    @property
    def rate(self) -> float:
        """Playback rate (1.0 = real time; negative = backwards)."""
        return self._rate

    @property
    def playing(self) -> bool:
        """True while the clock runs."""
        return self._playing

    @property
    def start_s(self) -> float:
        """Start of the playable range (shared seconds)."""
        return self._start

    @property
    def end_s(self) -> float:
        """End of the playable range (shared seconds)."""
        return self._end

    # -- control -------------------------------------------------------------
    def set_range(self, start_s: float, end_s: float) -> None:
        """Limit the clock to ``[start_s, end_s]`` (shared seconds); the time is clamped."""
        if end_s < start_s:
            start_s, end_s = end_s, start_s
        if (start_s, end_s) != (self._start, self._end):
            self._start, self._end = float(start_s), float(end_s)
            self.rangeChanged.emit(self._start, self._end)
        self.seek(self.time)

    def seek(self, time_s: float) -> None:
        """Jump to ``time_s`` shared seconds (clamped to the range); keeps playing if playing."""
        self._anchor(self._clamp(float(time_s)))
        self._publish(self._anchor_time)

    def play(self) -> None:
        """Start the clock at the current rate."""
        if self._playing:
            return
        if self._rate > 0 and self._time >= self._end:
            self._anchor(self._start)
        elif self._rate < 0 and self._time <= self._start:
            self._anchor(self._end)
        else:
            self._anchor(self._time)
        self._playing = True
        self._elapsed.start()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop the clock where it is."""
        if not self._playing:
            return
        now = self.time
        self._playing = False
        self._timer.stop()
        self._anchor_time = now
        self._publish(now)
        self.playingChanged.emit(False)

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        self.pause() if self._playing else self.play()

    def set_rate(self, rate: float) -> None:
        """Set the playback rate (non-zero; 1.0 is real time)."""
        rate = float(rate)
        if rate == 0:
            raise ValueError("PlaybackClock rate must be non-zero; pause instead")
        if rate == self._rate:
            return
        self._anchor(self.time)
        self._rate = rate
        self.rateChanged.emit(rate)

    def shuttle(self, direction: int) -> None:
        """J/K/L shuttle: ``+1`` (L) plays forward faster, ``-1`` (J) backwards faster, ``0`` (K) pauses.

        Pressing L while playing forward steps up through :data:`SHUTTLE_RATES`
        (1x, 2x, 4x); pressing J while playing forward first slows down, then
        reverses, and symmetrically.
        """
        if direction == 0:
            self.pause()
            return
        if not self._playing:
            self.set_rate(1.0 if direction > 0 else -1.0)
            self.play()
            return
        rates = SHUTTLE_RATES
        idx = min(range(len(rates)), key=lambda i: abs(rates[i] - self._rate))
        idx = max(0, min(len(rates) - 1, idx + (1 if direction > 0 else -1)))
        self.set_rate(rates[idx])

    # -- internals -----------------------------------------------------------
    def _clamp(self, t: float) -> float:
        if self._end > self._start:
            return min(max(t, self._start), self._end)
        return t

    def _anchor(self, t: float) -> None:
        self._anchor_time = t
        if self._playing:
            self._elapsed.restart()

    def _publish(self, t: float) -> None:
        if t != self._time:
            self._time = t
            self.timeChanged.emit(t)

    def _tick(self) -> None:
        now = self.time
        self._publish(now)
        at_end = (self._rate > 0 and now >= self._end) or (self._rate < 0 and now <= self._start)
        if at_end and self._end > self._start:
            self.pause()
