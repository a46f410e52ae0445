"""Audio playback for the review app, locked to the shared clock.

* :mod:`ui.audio.mixer`: tracks (decoded chunks + clock map), the mix, the
  pitch-keeping overlap-add for 0.5x/2x (no Qt);
* :mod:`ui.audio.follow`: where each output buffer is on the shared clock (no Qt);
* :mod:`ui.audio.decoder`: chunked decoding with ``timesync.media.AudioReader``;
* :mod:`ui.audio.output`: the miniaudio device;
* :mod:`ui.audio.engine`: :class:`AudioEngine`, the Qt side (clock, sources, notices);
* :mod:`ui.audio.actions`: the window's audio actions (mix mode, mute, solo).
"""

from ui.audio.engine import SAMPLE_RATE, AudioEngine

__all__ = ["AudioEngine", "SAMPLE_RATE"]
