"""AudioEngine: the review app's sound, locked to the one :class:`~ui.clock.PlaybackClock`.

The engine keeps one :class:`~ui.audio.mixer.Track` per source (its clock
map from the project, so a nudge is heard in the very next buffer), publishes
the clock's state to the audio thread at each jump (play, pause, seek, rate
change) and opens the output device on a background thread as soon as it has
sources (opening PulseAudio can take a few hundred milliseconds on a loaded
machine: that must not delay the first play). It says once
(``notice``) when there is no device, when a source's audio cannot be decoded
and when the sound server goes away; the pictures go on in every case.
Scrubbing (a seek while paused) plays :data:`SCRUB_S` of audio from the new
time. A missing device is said on the first play, not when a project opens.

A *free* view (unlinked, or a source not placed: :meth:`ui.player.PlayerView.set_free`)
follows a clock of its own whose time is the source's local seconds. While
the focused view is free, the engine follows that clock instead of the shared
one and plays that source alone (whatever the mix), at its local time: its
track's map is the identity while it is heard so (:meth:`AudioEngine.set_focused`
looks the view up with ``view_for``, the grid's, and follows its
``freeChanged``). Focusing a linked view, or linking the view again, goes back
to the shared clock and the chosen mode.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from timesync.clock import IDENTITY
from ui.audio.decoder import ChunkDecoder
from ui.audio.follow import ClockState, Follower
from ui.audio.mixer import CHUNK_S, ChunkStore, Mixer, Track
from ui.audio.output import AudioOutput, AudioUnavailable
from ui.clock import PlaybackClock
from ui.spec import SourceSpec

__all__ = ["AudioEngine", "SAMPLE_RATE", "SCRUB_S"]

#: Output sample rate (Hz).
SAMPLE_RATE = 48000
#: A paused seek (scrubbing, frame steps) plays this much audio from the new time (seconds).
SCRUB_S = 0.08
#: No fill for this long while the device is open: the sound server went away (seconds; a
#: loaded machine can hold the audio thread back for over a second without that).
STALL_S = 3.0
#: A clock that is this far (seconds) from the published state has jumped.
JUMP_S = 0.002


class AudioEngine(QObject):
    """Plays the focused source, or a mute/solo mix, at the shared clock's time; the focused
    source alone at its own local time while its view is free (see the module docstring).

    ``view_for(name)`` gives the view of a source (default: the parent's
    ``view_for``, the :class:`~ui.grid.PlayerGrid`'s); without it the engine
    always follows the shared clock.

    Signals
    -------
    notice(str)
        One sentence, emitted once per cause; also shown in the status bar of
        the parent widget's window when it is a ``QMainWindow``.
    """

    notice = Signal(str)

    def __init__(self, clock: PlaybackClock, parent: QObject | None = None, *, sr: int = SAMPLE_RATE,
                 view_for: Callable[[str], Any] | None = None) -> None:
        super().__init__(parent)
        self.sr = int(sr)
        self._shared = clock
        self._clock = clock  # the clock followed: the shared one, or the focused free view's own
        self._view_for = view_for if view_for is not None else getattr(parent, "view_for", None)
        self._watched: Any = None  # the focused view whose freeChanged is followed
        self._free: str | None = None  # the source heard on its own local clock
        self.mixer = Mixer(self.sr)
        self._follower = Follower(self.sr)
        self._state = ClockState()
        self._output: AudioOutput | None = None
        self._unavailable: str | None = None
        self._opener: threading.Thread | None = None
        self._device_lock = threading.Lock()
        self._said: set[str] = set()
        self._failures: list[tuple[str, str]] = []
        self._decoder = ChunkDecoder(lambda name, why: self._failures.append((name, why)))
        self._sample = 0
        #: when a list: ``(heard_ns, start_s, span_s, late_s, count)`` per buffer (tests, benchmarks)
        self.tap: list[tuple[int, float, float, float, int]] | None = None
        self.played_state: ClockState | None = None  #: the clock state of the latest play (tests, benchmarks)
        self.first_sound_ns = 0  #: monotonic time at which the first audible buffer after play will be heard
        self._watch = QTimer(self)
        self._watch.setInterval(200)
        self._watch.timeout.connect(self._check)
        self._watch.start()
        self._bind(clock, True)
        self._closed = False

    # -- model state the UI toggles ------------------------------------------
    @property
    def output(self) -> AudioOutput | None:
        """The open device (``None``: not opened yet, or none)."""
        return self._output

    @property
    def unavailable(self) -> str | None:
        """Why nothing is heard (no device, server gone), or ``None``."""
        return self._unavailable

    @property
    def clock(self) -> PlaybackClock:
        """The clock heard: the shared one, or the focused free view's own (local seconds)."""
        return self._clock

    @property
    def free_source(self) -> str | None:
        """The source heard alone on its own local clock (its view is focused and free), or None."""
        return self._free

    def track(self, name: str) -> Track | None:
        """The track of source ``name``."""
        return self.mixer.tracks.get(name)

    def set_mode(self, mode: str) -> None:
        """``"focused"``: hear the focused source only; ``"mix"``: every unmuted (or soloed) source."""
        if mode not in ("focused", "mix"):
            raise ValueError(f"audio mode must be 'focused' or 'mix', not {mode!r}")
        self.mixer.mode = mode
        self._prefetch()

    def set_focused(self, name: str | None) -> None:
        """The source heard in ``"focused"`` mode (alone, on its own clock, while its view is free)."""
        self.mixer.focused = name
        self._watch_view(None if name is None or self._view_for is None else self._view_for(name))
        self._follow()
        self._prefetch()

    def set_muted(self, name: str, muted: bool) -> None:
        """Mute (or unmute) a source in the mix; switches to ``"mix"`` mode."""
        self._toggle(name, "muted", muted)

    def set_solo(self, name: str, solo: bool) -> None:
        """Solo (or not) a source in the mix; switches to ``"mix"`` mode."""
        self._toggle(name, "solo", solo)

    def _toggle(self, name: str, attr: str, value: bool) -> None:
        track = self.mixer.tracks.get(name)
        if track is None:
            raise KeyError(f"no audio track named {name!r}")
        setattr(track, attr, bool(value))
        self.mixer.mode = "mix"
        self._prefetch()

    def set_sources(self, specs: list[SourceSpec]) -> None:
        """Follow the project's sources; a changed clock map is used from the next buffer on."""
        tracks = {}
        for spec in specs:
            track = self.mixer.tracks.get(spec.name)
            if track is None or track.extra.get("path") != spec.path:
                track = Track(spec.name, ChunkStore(self.sr), spec.clock, extra={"path": spec.path})
                track.store.request = self._decoder.requester(track)
                probe = spec.extra.get("probe")
                if probe and not probe.get("audio"):
                    track.failed = f"{spec.label} has no audio"
            track.extra["clock"] = spec.clock  # its map to the shared clock
            track.clock = IDENTITY if spec.name == self._free else spec.clock
            tracks[spec.name] = track
        self.mixer.tracks = tracks
        self._prefetch()
        if tracks:
            self.prepare()

    def prepare(self) -> None:
        """Open the output device on a background thread (once; later calls do nothing)."""
        with self._device_lock:
            if self._opener is not None or self._closed:
                return
            self._opener = threading.Thread(target=self._open_device, name="audio-open", daemon=True)
            self._opener.start()

    def wait_ready(self, timeout_s: float = 10.0) -> bool:
        """Wait until the device is open or known to be unavailable (tests, benchmarks)."""
        self.prepare()
        opener = self._opener
        if opener is not None:
            opener.join(timeout_s)
        return opener is None or not opener.is_alive()

    def _open_device(self) -> None:
        try:
            output = AudioOutput(self.sr, self.fill)
        except AudioUnavailable as exc:
            self._unavailable = str(exc)
            return
        with self._device_lock:
            if self._closed:
                output.close()
            else:
                self._output = output

    def shutdown(self) -> None:
        """Close the device and stop decoding (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._watch.stop()
        with self._device_lock:
            self._closed = True
        self._watch_view(None)
        self._bind(self._clock, False)
        self._close_output()
        self._decoder.stop()

    # -- the clock followed: shared, or a free view's own --------------------------
    def _bind(self, clock: PlaybackClock, on: bool) -> None:
        pairs = ((clock.playingChanged, self._on_playing), (clock.rateChanged, self._on_jump),
                 (clock.rangeChanged, self._on_jump), (clock.timeChanged, self._on_time))
        for signal, slot in pairs:
            try:
                signal.connect(slot) if on else signal.disconnect(slot)
            except (RuntimeError, TypeError):  # a view's own clock already deleted
                pass

    def _watch_view(self, view: Any) -> None:
        """Follow the ``freeChanged`` of ``view`` (the focused one), no longer the previous one's."""
        if view is self._watched:
            return
        for target, on in ((self._watched, False), (view, True)):
            if target is None:
                continue
            try:
                target.freeChanged.connect(self._on_free) if on else target.freeChanged.disconnect(self._on_free)
            except (RuntimeError, TypeError):  # a view already deleted
                pass
        self._watched = view

    def _on_free(self, _free: bool) -> None:
        self._follow()
        self._prefetch()

    def _follow(self) -> None:
        """Follow the focused view's own clock while it is free, else the shared clock."""
        view = self._watched
        try:
            own = view.playback if view is not None and view.free else None
        except RuntimeError:  # deleted
            own = None
        name = view.spec.name if own is not None else None
        target = own if own is not None else self._shared
        changed = target is not self._clock or name != self._free
        if target is not self._clock:
            self._bind(self._clock, False)
            self._clock = target
            self._bind(target, True)
        if name != self._free:
            for old in (self._free, name):
                track = self.mixer.tracks.get(old) if old is not None else None
                if track is not None:
                    track.clock = IDENTITY if old == name else track.extra.get("clock")
            self._free = self.mixer.only = name
        if changed:
            self._publish()

    # -- clock -> audio thread -------------------------------------------------
    def _publish(self, scrub: bool = False) -> None:
        clock, now = self._clock, time.monotonic_ns()
        self._state = ClockState(
            time_s=clock.time, mono_ns=now, rate=clock.rate, playing=clock.playing,
            start_s=clock.start_s, end_s=clock.end_s, epoch=self._state.epoch + 1,
            scrub_s=SCRUB_S if scrub else 0.0)
        if clock.playing:
            self.played_state = self._state

    def _on_playing(self, playing: bool) -> None:
        if playing:
            self.first_sound_ns = 0
            self.prepare()
        self._publish()
        self._prefetch()
        self._check()

    def _on_jump(self, *_args) -> None:
        self._publish()
        self._prefetch()

    def _on_time(self, shared_s: float) -> None:
        state = self._state
        if self._clock.playing:
            if abs(self._clock.time - state.time_at(time.monotonic_ns())) > JUMP_S:
                self._publish()
                self._prefetch()
        elif shared_s != state.time_s:
            self._prefetch()
            self._publish(scrub=True)

    def _prefetch(self) -> None:
        """Ask for the chunks under the playhead now (and the next one in the direction of play)."""
        t, ahead = self._clock.time, math.copysign(CHUNK_S, self._clock.rate)
        for track in self.mixer.selected():
            if track.failed and track.extra.get("said_silent") is None:
                track.extra["said_silent"] = True
                self._say(f"{track.failed}; it plays silent")
            if track.clock is None or track.failed:
                continue
            for shared in (t, t + ahead):
                number = math.floor(track.clock.to_local(shared) / CHUNK_S)
                self._decoder.request(track, number)

    # -- the audio thread ------------------------------------------------------
    def _latency_ns(self) -> int:
        return round(self._output.latency_s * 1e9) if self._output is not None else 0

    def fill(self, count: int, now_ns: int) -> np.ndarray:
        """The next ``count`` output samples (called by the device's thread at monotonic ``now_ns``)."""
        state = self._state
        buf = self._follower.next_buffer(state, self._sample, count, now_ns + self._latency_ns())
        first = self._sample
        self._sample += count
        if buf is None:
            return np.zeros(count, np.float32)
        if buf.jumped:
            self.mixer.reset(first)
        out = self.mixer.render(first, count, buf.start_s, buf.span_s, buf.rate)
        if state.playing and not self.first_sound_ns:
            self.first_sound_ns = round(self._follower.heard_ns(first))
        if self.tap is not None:
            self.tap.append((round(self._follower.heard_ns(first)), buf.start_s, buf.span_s, buf.late_s, count))
        ahead = buf.start_s + buf.span_s + math.copysign(0.5, buf.span_s or 1.0)
        for track in self.mixer.selected():  # the chunk after this buffer, before it is needed
            if track.clock is not None and not track.failed:
                self._decoder.request(track, math.floor(track.clock.to_local(ahead) / CHUNK_S))
        return out

    # -- device and notices ----------------------------------------------------
    def _close_output(self) -> None:
        with self._device_lock:
            output, self._output = self._output, None
        if output is not None:
            output.close()

    def _check(self) -> None:
        """GUI timer: pass on decode failures and a missing device (once playing); notice a
        sound server that stopped asking."""
        if self._unavailable and self._clock.playing:
            self._say(self._unavailable)
        while self._failures:
            _name, why = self._failures.pop(0)
            self._say(f"{why}; it plays silent")
        out = self._output
        if out is not None and out.last_fill_ns and time.monotonic_ns() - out.last_fill_ns > STALL_S * 1e9:
            self._close_output()
            self._unavailable = "the sound server went away: playing silently"
            self._say(self._unavailable)

    def _say(self, sentence: str) -> None:
        """Emit ``notice`` once per sentence, and show it in the window's status bar."""
        if sentence in self._said:
            return
        self._said.add(sentence)
        parent = self.parent()
        window = parent.window() if isinstance(parent, QWidget) else None
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(sentence, 8000)
        self.notice.emit(sentence)
