"""The review app's audio mixer: each source's samples at shared times, mixed (no Qt here).

A :class:`Track` holds one source's decoded audio (a :class:`ChunkStore` of
float32 mono samples at the engine's rate, sample ``k`` at local time
``k / sr``) and its :class:`~timesync.clock.ClockMap`. The :class:`Mixer`
renders the output sample ``j`` of a buffer from the shared time ``T(j)`` the
caller names for it: each track's local time is ``clock.to_local(T(j))`` (so a
source's drift and offset are applied by its clock map and nothing else), its
samples are read there by linear interpolation, and the selected tracks are
summed.

At ``|rate| == 1`` the output follows ``T`` sample by sample (``rate = -1``
plays backwards). At other rates (0.5x, 2x, 4x) the pitch is kept by WSOLA
(waveform-similarity overlap-add): a grain of :data:`GRAIN` output samples
(Hann window, hop ``GRAIN / 2``, so the windows sum to one) is cut from the
source at normal speed around the shared time its centre stands for, in the
direction of play, moved by up to :data:`SEARCH` samples (5 ms) where its
waveform best continues the previous grain's. A sample is never further from
the clock than half a grain plus the search (15 ms at 48 kHz).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from timesync.clock import ClockMap

__all__ = ["ChunkStore", "Track", "Mixer", "GRAIN", "SEARCH", "CHUNK_S"]

#: Grain length in output samples for time-stretched play (20 ms at 48 kHz).
GRAIN = 960
#: The grain may move this many samples (5 ms at 48 kHz) to continue the previous one's waveform.
SEARCH = 240
#: Decoded audio is kept in chunks of this many seconds of local time.
CHUNK_S = 2.0
#: At most this many chunks are kept per source (the least recently used go first).
MAX_CHUNKS = 32


class ChunkStore:
    """Decoded samples of one source in chunks of :data:`CHUNK_S` seconds, filled by a decoder.

    ``read(first, count)`` never blocks: samples of chunks not decoded yet
    are zeros and the chunks are asked for through ``request`` (called with
    the chunk number; the decoder later calls :meth:`put`).
    """

    def __init__(self, sr: int, request: Callable[[int], None] | None = None) -> None:
        self.sr = int(sr)
        self.chunk_len = round(CHUNK_S * sr)
        self._chunks: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.request = request
        self.end_chunk: int | None = None  #: first chunk number past the end of the audio, once known

    def has(self, number: int) -> bool:
        """True when chunk ``number`` is decoded (or known to be past the end)."""
        with self._lock:
            return number in self._chunks or (self.end_chunk is not None and number >= self.end_chunk)

    def put(self, number: int, samples: np.ndarray) -> None:
        """Store chunk ``number`` (fewer samples than a chunk: the audio ends there)."""
        with self._lock:
            self._chunks[number] = np.asarray(samples, np.float32)
            self._chunks.move_to_end(number)
            if samples.size < self.chunk_len:
                self.end_chunk = number + 1 if self.end_chunk is None else min(self.end_chunk, number + 1)
            while len(self._chunks) > MAX_CHUNKS:
                self._chunks.popitem(last=False)

    def read(self, first: int, count: int) -> np.ndarray:
        """Samples ``first .. first + count - 1`` (zeros outside the audio or not decoded yet)."""
        out = np.zeros(max(count, 0), np.float32)
        if count <= 0:
            return out
        n = self.chunk_len
        for number in range(max(first, 0) // n, (first + count - 1) // n + 1 if first + count > 0 else 0):
            with self._lock:
                chunk = self._chunks.get(number)
                if chunk is not None:
                    self._chunks.move_to_end(number)
                past_end = self.end_chunk is not None and number >= self.end_chunk
            if chunk is None:
                if not past_end and self.request is not None:
                    self.request(number)
                continue
            lo, hi = max(first, number * n), min(first + count, number * n + chunk.size)
            if hi > lo:
                out[lo - first:hi - first] = chunk[lo - number * n:hi - number * n]
        return out


@dataclass
class Track:
    """One source in the mix: its samples, its clock map and its mute/solo state."""

    name: str
    store: ChunkStore
    clock: ClockMap | None
    muted: bool = False
    solo: bool = False
    failed: str | None = None  #: why its audio plays silent, once known
    extra: dict = field(default_factory=dict)

    def samples_at(self, shared_s: np.ndarray) -> np.ndarray:
        """The source's samples at these shared times (seconds), linearly interpolated.

        The local time of each is ``clock.to_local(shared_s)``; zeros where
        the source does not record, is not aligned or failed to decode.
        """
        shared_s = np.asarray(shared_s, np.float64)
        if self.clock is None or self.failed or shared_s.size == 0:
            return np.zeros(shared_s.size, np.float32)
        position = self.clock.to_local(shared_s) * self.store.sr  # fractional sample numbers
        first = int(np.floor(position.min()))
        window = self.store.read(first, int(np.floor(position.max())) - first + 2)
        rel = position - first
        left = np.floor(rel).astype(np.int64)
        frac = (rel - left).astype(np.float32)
        return window[left] * (1 - frac) + window[left + 1] * frac


class Mixer:
    """Sums the selected tracks at the shared times of each output buffer.

    Selection: in ``"focused"`` mode only the focused track plays; in
    ``"mix"`` mode every unmuted track plays, or only the soloed ones when any
    is soloed. ``only`` (a track's name) overrides both: that track alone plays
    (the engine sets it while the focused view follows a clock of its own).
    """

    def __init__(self, sr: int) -> None:
        self.sr = int(sr)
        self.tracks: dict[str, Track] = {}
        self.mode = "focused"
        self.focused: str | None = None
        self.only: str | None = None
        self._window = np.hanning(GRAIN + 1)[:GRAIN].astype(np.float32)  # periodic: sums to 1 at hop GRAIN/2
        self._carry = np.zeros(0, np.float32)
        self._next_grain = 0  # output sample number where the next grain starts
        self._natural_s: float | None = None  # shared time where the previous grain's audio goes on

    def selected(self) -> list[Track]:
        """The tracks that are heard now."""
        tracks = list(self.tracks.values())
        if self.only is not None:
            return [t for t in tracks if t.name == self.only]
        if self.mode == "focused":
            return [t for t in tracks if t.name == self.focused]
        soloed = [t for t in tracks if t.solo]
        return soloed or [t for t in tracks if not t.muted]

    def reset(self, at_sample: int) -> None:
        """Forget the grains in flight (after a jump); the next grain starts at ``at_sample``."""
        self._carry = np.zeros(0, np.float32)
        self._next_grain = int(at_sample)
        self._natural_s = None

    def mix_at(self, shared_s: np.ndarray) -> np.ndarray:
        """The selected tracks summed at these shared times (float32, clipped to [-1, 1])."""
        out = np.zeros(np.asarray(shared_s).size, np.float32)
        for track in self.selected():
            out += track.samples_at(shared_s)
        return np.clip(out, -1.0, 1.0, out=out)

    def render(self, first_sample: int, count: int, start_s: float, span_s: float, rate: float) -> np.ndarray:
        """``count`` output samples, numbered from ``first_sample``, for shared times
        ``start_s`` to ``start_s + span_s`` (``span_s`` is negative backwards).

        ``rate`` is the playback rate: at ``|rate| == 1`` the samples follow the
        shared times one by one; otherwise grains of normal-speed audio are
        overlap-added (pitch kept), continuing the grains of the previous call.
        """
        step = span_s / count
        if abs(abs(rate) - 1.0) < 1e-9:
            return self.mix_at(start_s + step * np.arange(count))
        hop = GRAIN // 2
        direction = 1.0 if rate > 0 else -1.0
        end = first_sample + count
        acc = np.zeros(count + GRAIN, np.float32)
        acc[:self._carry.size] = self._carry[:count + GRAIN]
        while self._next_grain < end:
            g = self._next_grain
            centre_s = start_s + step * (g + hop - first_sample)
            grain = self._grain(centre_s, direction) * self._window
            lo = g - first_sample
            if lo < 0:
                grain, lo = grain[-lo:], 0
            acc[lo:lo + grain.size] += grain
            self._next_grain += hop
        self._carry = acc[count:].copy()
        return np.clip(acc[:count], -1.0, 1.0)

    def _grain(self, centre_s: float, direction: float) -> np.ndarray:
        """:data:`GRAIN` samples of normal-speed audio centred near ``centre_s`` (WSOLA).

        The grain is shifted by up to :data:`SEARCH` samples so that its first
        half matches the natural continuation of the previous grain (where the
        previous grain's audio would have gone on): no phase jump, no warble.
        """
        hop, sr = GRAIN // 2, self.sr
        lead = (np.arange(GRAIN + 2 * SEARCH) - hop - SEARCH) * direction / sr
        candidates = self.mix_at(centre_s + lead)
        best = SEARCH
        if self._natural_s is not None and candidates.any():
            natural = self.mix_at(self._natural_s + (np.arange(hop) - hop) * direction / sr)
            score = np.correlate(candidates[:hop + 2 * SEARCH], natural, "valid")
            energy = np.sqrt(np.convolve(candidates[:hop + 2 * SEARCH] ** 2, np.ones(hop), "valid")) + 1e-9
            best = int(np.argmax(score / energy))
        chosen_s = centre_s + (best - SEARCH) * direction / sr
        self._natural_s = chosen_s + hop * direction / sr
        return candidates[best:best + GRAIN]
