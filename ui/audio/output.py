"""The audio output device: miniaudio (its wheel bundles the backends; see docs/architecture.md).

:class:`AudioOutput` opens the system's default output (PulseAudio, which
PipeWire also serves, then ALSA or JACK) as 32-bit float mono, and asks
``fill(count, now_ns)`` for every buffer from miniaudio's own audio thread.
Opening raises :class:`AudioUnavailable` with one sentence when there is no
library, no sound server and no device.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

__all__ = ["AudioOutput", "AudioUnavailable", "PERIOD_MS", "PERIODS"]

#: miniaudio period (ms): the audio thread is asked for this much audio at a time.
PERIOD_MS = 10
#: Periods in the device buffer (the python binding does not report what the backend granted).
PERIODS = 4


class AudioUnavailable(Exception):
    """No audio output can be opened (the message is one sentence)."""


class AudioOutput:
    """One open playback device; ``fill(count, now_ns) -> float32 array`` feeds it.

    Attributes
    ----------
    latency_s : float
        Time from a buffer's fill to its first sample being heard (seconds),
        taken as half the device buffer (:data:`PERIODS` x :data:`PERIOD_MS`):
        the binding does not report how full the backend keeps it, which lies
        between empty (just after an underrun) and full, so this is off by at
        most half the buffer (20 ms).
    backend : str
        miniaudio's name of the backend in use ("PulseAudio", "ALSA"...).
    last_fill_ns : int
        Monotonic time of the latest fill (0 before the first): a sound server
        that went away stops the fills.
    """

    def __init__(self, sr: int, fill: Callable[[int, int], np.ndarray]) -> None:
        try:
            import miniaudio
        except ImportError as exc:  # the wheel is a dependency; a broken install still runs silent
            raise AudioUnavailable(f"no audio output: the miniaudio package cannot be loaded ({exc})") from exc
        self._fill = fill
        self.sr = int(sr)
        self.last_fill_ns = 0
        self.errors = 0  #: buffers whose fill raised (played as silence)
        self.last_error: Exception | None = None
        backends = [miniaudio.Backend.PULSEAUDIO, miniaudio.Backend.ALSA, miniaudio.Backend.JACK]
        try:
            self._device = miniaudio.PlaybackDevice(
                output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=self.sr,
                buffersize_msec=PERIOD_MS, callback_periods=PERIODS, backends=backends, app_name="timesync")
        except miniaudio.MiniaudioError as exc:
            raise AudioUnavailable("no audio device or sound server found: playing silently") from exc
        self.backend = self._device.backend
        self.latency_s = PERIOD_MS * PERIODS / 2000  # half the buffer: off by at most half of it
        generator = self._generator()
        next(generator)
        try:
            self._device.start(generator)
        except miniaudio.MiniaudioError as exc:
            self._device.close()
            raise AudioUnavailable("the audio device could not be started: playing silently") from exc

    def _generator(self):
        count = yield b""
        while True:
            now = time.monotonic_ns()
            self.last_fill_ns = now
            try:
                samples = self._fill(count, now)
            except Exception as exc:  # noqa: BLE001 - never let one bad buffer end the stream
                self.errors += 1
                self.last_error = exc
                samples = np.zeros(count, np.float32)
            count = yield np.ascontiguousarray(samples[:count], np.float32).tobytes()

    def close(self) -> None:
        """Stop and release the device (idempotent)."""
        device, self._device = getattr(self, "_device", None), None
        if device is not None:
            device.close()
