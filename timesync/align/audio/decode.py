"""Coarse features of whole recordings, computed in worker processes.

The coarse search needs the flux features (:mod:`timesync.align.audio.features`)
of every recording from start to end. :func:`coarse_features` decodes one
file with PyAV at its native rate, mixes it to mono and feeds the feature
extractor block by block (memory stays bounded: an hour at 48 kHz is never
held as samples), without any resampling: the features are defined in
seconds and Hz, so the FFT itself keeps only the bands below 3.9 kHz.

PyAV holds the GIL while it hands out frames, so several files do not decode
in parallel in threads. :func:`prepare_all` runs :func:`coarse_features` in
worker processes (:func:`timesync.parallel.process_pool`), one file per task,
and runs them one by one in this process when processes cannot be started.

Time origin. Sample ``k`` of the decoded stream is at local time
``audio_start_s + k / sr`` (``MediaInfo.audio.start_s``: local 0 is the
earliest stream start, so ``round(audio_start_s * sr)`` zeros come first).
Frames are placed by their PTS relative to the first frame: a gap of more
than :data:`timesync.media.audio.GAP_TOLERANCE_S` is filled with zeros and an
overlap is dropped, as :func:`timesync.media.iter_audio_blocks` does (without
its resampling, which costs a call per frame), so the feature frame ``f`` of
every file describes local time ``f / FRAME_RATE`` s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from timesync.align.audio.features import FluxExtractor
from timesync.errors import MediaError
from timesync.media.audio import GAP_TOLERANCE_S
from timesync.parallel import pool_size, process_pool

__all__ = [
    "CoarseFeatures",
    "coarse_features",
    "probe_with_features",
    "prepare_all",
    "BLOCK_S",
]

#: Seconds of native-rate samples handed to the feature extractor at a time.
BLOCK_S = 20.0


@dataclass(frozen=True)
class CoarseFeatures:
    """Flux features of one whole recording.

    Attributes
    ----------
    features : np.ndarray, shape (frames, bands), float32
        Frame ``f`` describes local time ``f / FRAME_RATE`` seconds.
    duration_s : float
        Local time (s) where the audio ends (zeros before its start included).
    sample_rate : int
        The stream's native sample rate (Hz), at which the features were computed.
    """

    features: np.ndarray
    duration_s: float
    sample_rate: int


#: numpy dtypes of FFmpeg's sample formats (planar or packed), and the scale of the integer ones.
_DTYPES = {"u8": "u1", "s16": "<i2", "s32": "<i4", "s64": "<i8", "flt": "<f4", "dbl": "<f8"}
_INT_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 2.0**63}
#: 1 / 32768 as float32 (a power of two: multiplying by it equals dividing by 32768).
_S16_SCALE = np.float32(2.0**-15)


def _samples(frame, channels: int) -> np.ndarray:
    """A decoded frame's samples as float32 mono (channel mean; integers scaled to [-1, 1))."""
    fmt = frame.format
    name = fmt.name.rstrip("p")
    dtype = np.dtype(_DTYPES[name])
    n = frame.samples
    if fmt.is_planar:
        planes = [np.frombuffer(p, dtype, n) for p in frame.planes[:channels]]
        x = planes[0] if channels == 1 else np.mean(planes, axis=0, dtype=np.float32)
    else:
        x = np.frombuffer(frame.planes[0], dtype, n * channels)
        if channels > 1:
            x = x.reshape(n, channels).mean(axis=1, dtype=np.float32)
    if name in _INT_SCALE:
        x = x.astype(np.float32) / np.float32(_INT_SCALE[name]) - (1.0 if name == "u8" else 0.0)
    return x.astype(np.float32, copy=False)


class _Blocks:
    """Samples collected into blocks of ``size`` for the feature extractor: one
    preallocated buffer, filled frame by frame and handed to ``push`` when full
    (``push`` must copy what it keeps: the buffer is reused)."""

    def __init__(self, size: int, push: Callable[[np.ndarray], None]) -> None:
        self._buf = np.empty(size, np.float32)
        self._bytes = memoryview(self._buf).cast("B")
        self._pos = 0
        self._push = push
        self.total = 0  # samples added so far
        # 16-bit samples are staged as bytes, then scaled into _buf in one call (_settle):
        # one call per frame costs more than the copy itself (a 1024-sample packet of PCM)
        self._s16: np.ndarray | None = None
        self._s16_bytes: memoryview | None = None
        self._staged = -1  # first sample of _buf still staged as 16-bit (-1: none)

    def _settle(self) -> None:
        """Scale the staged 16-bit samples into the buffer (before any other write)."""
        if self._staged >= 0:
            lo, hi = self._staged, self._pos
            np.multiply(self._s16[lo:hi], _S16_SCALE, out=self._buf[lo:hi])
            self._staged = -1

    def add(self, x: np.ndarray) -> None:
        """Append samples ``x`` (float32 mono)."""
        self._settle()
        self.total += x.size
        while x.size:
            k = min(x.size, self._buf.size - self._pos)
            self._buf[self._pos : self._pos + k] = x[:k]
            self._pos += k
            x = x[k:]
            if self._pos == self._buf.size:
                self.flush()

    def add_plane(self, plane, n: int) -> bool:
        """Append the first ``n`` float32 samples of a frame's plane by a plain byte copy
        when they fit before the block is full; False (nothing done) otherwise."""
        pos = self._pos
        if pos + n >= self._buf.size:
            return False
        self._settle()
        self._bytes[4 * pos : 4 * (pos + n)] = memoryview(plane)[: 4 * n]
        self._pos = pos + n
        self.total += n
        return True

    def add_s16(self, plane, n: int) -> bool:
        """Append the first ``n`` 16-bit samples of a frame's plane when they fit before the
        block is full (False, nothing done, otherwise): staged as bytes, scaled by 2**-15
        into the buffer with the frames staged after them (the values of :func:`_samples`:
        the scale is exact)."""
        pos = self._pos
        if pos + n >= self._buf.size:
            return False
        if self._s16 is None:
            self._s16 = np.empty(self._buf.size, "<i2")
            self._s16_bytes = memoryview(self._s16).cast("B")
        self._s16_bytes[2 * pos : 2 * (pos + n)] = memoryview(plane)[: 2 * n]
        if self._staged < 0:
            self._staged = pos
        self._pos = pos + n
        self.total += n
        return True

    def zeros(self, n: int) -> None:
        """Append ``n`` zeros (a gap, or silence before the stream starts)."""
        self._settle()
        self.total += max(n, 0)
        while n > 0:
            k = min(n, self._buf.size - self._pos)
            self._buf[self._pos : self._pos + k] = 0.0
            self._pos += k
            n -= k
            if self._pos == self._buf.size:
                self.flush()

    def flush(self) -> None:
        """Hand over what the buffer holds."""
        self._settle()
        if self._pos:
            self._push(self._buf[: self._pos])
            self._pos = 0


class _Placement:
    """Writes decoded frames into ``out`` as mono samples from local time 0: zeros
    before the stream starts, gaps filled with zeros, overlaps dropped (frames are
    placed by their PTS relative to the first one)."""

    def __init__(self, sr: int, audio_start_s: float, out: _Blocks) -> None:
        self.sr = sr
        self.out = out
        self.lead = round(max(audio_start_s, 0.0) * sr)
        out.zeros(self.lead)
        self.written = self.lead  # samples written so far
        self.first = None
        self.num, self.den, self.channels, self.fast = 0, 1, 1, ""
        self.tolerance = max(1, round(GAP_TOLERANCE_S * sr))

    def feed(self, frame) -> None:
        """Place one decoded frame (frames in decoding order)."""
        n = frame.samples
        if not n:
            return
        pts = frame.pts
        if self.first is None:
            self._start(frame)
        gap = 0  # samples between where the written samples end and this frame
        if pts is not None and self.first is not None:
            # local sample index of this frame, rounded half up in integers
            at = self.lead + (2 * (pts - self.first) * self.num + self.den) // (2 * self.den)
            gap = at - self.written
        name = frame.format.name
        fast = self.fast and name == self.fast
        if -self.tolerance <= gap <= self.tolerance and (
            (fast and self.out.add_plane(frame.planes[0], n))
            or (self.channels == 1 and name in ("s16", "s16p") and self.out.add_s16(frame.planes[0], n))
        ):
            self.written += n  # the common cases: contiguous float32 or 16-bit mono, one copy
            return
        x = np.frombuffer(frame.planes[0], np.float32, n) if fast else _samples(frame, self.channels)
        if gap > self.tolerance:
            self.out.zeros(gap)
            self.written += gap
        elif -gap > self.tolerance:
            x = x[-gap:]
        self.out.add(x)
        self.written += x.size

    def _start(self, frame) -> None:
        self.channels = len(frame.layout.channels) or 1
        tb = Fraction(frame.time_base) if frame.time_base is not None else Fraction(1, self.sr)
        self.num, self.den = tb.numerator * self.sr, tb.denominator
        self.first = frame.pts
        # one plane of float32 samples needs no conversion: read it in place
        name = frame.format.name
        self.fast = name if self.channels == 1 and name in ("flt", "fltp") else ""


class _FeatureSink:
    """Coarse features computed from frames handed over one packet at a time
    (a :class:`timesync.media.scan.AudioSink` for :func:`timesync.media.probe`)."""

    def __init__(self, sr: int, audio_start_s: float) -> None:
        self.sr = sr
        self.audio_start_s = audio_start_s
        self._extractor = FluxExtractor(sr=sr)
        self._blocks = _Blocks(round(BLOCK_S * sr), self._extractor.push)
        self._placement = _Placement(sr, audio_start_s, self._blocks)
        self.error: Exception | None = None

    def frames(self, frames: list) -> None:
        for frame in frames:
            self._placement.feed(frame)

    def failed(self, error: Exception) -> None:
        self.error = error

    def result(self) -> CoarseFeatures:
        self._blocks.flush()
        return CoarseFeatures(self._extractor.finish(), self._blocks.total / self.sr, self.sr)


def coarse_features(path: str, audio_start_s: float, stream_index: int | None = None) \
        -> CoarseFeatures:
    """Decode ``path``'s audio whole and compute its flux features.

    Parameters
    ----------
    path : str
        A local media file (opened read-only by :func:`timesync.media.source.open_input`).
    audio_start_s : float
        Local time (s) of the audio stream's first sample (``MediaInfo.audio.start_s``).
    stream_index : int, optional
        Container index of the audio stream; the first audio stream by default.

    Raises
    ------
    MediaError
        The file cannot be opened, has no such audio stream, or its audio cannot be decoded.
    """
    import av

    from timesync.media.scan import decode_skipping
    from timesync.media.source import open_input

    container = open_input(path)
    try:
        streams = [s for s in container.streams.audio if stream_index in (None, s.index)]
        if not streams or not streams[0].sample_rate:
            raise MediaError(f"{path}: no audio stream to decode")
        stream = streams[0]
        sr = int(stream.sample_rate)
        sink = _FeatureSink(sr, audio_start_s)
        try:
            for frame in decode_skipping(container, stream):
                sink.frames((frame,))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: the audio could not be decoded ({exc})") from None
        return sink.result()
    finally:
        container.close()


def probe_with_features(path: str) -> tuple[Any, CoarseFeatures | MediaError | None]:
    """Probe ``path`` and, if it has audio, compute its coarse features: one task for a
    worker process, so that probing and decoding of several files overlap.

    The audio is decoded during the probe's own demuxing pass (one read of the
    file), placed from the audio start that the file's first packets give
    (:func:`timesync.media.scan.quick_origin`). If the probe finds another
    start, or that decoding failed, the audio is decoded again on its own
    (:func:`coarse_features`): the result is the same either way.

    Returns
    -------
    (MediaInfo or MediaError, CoarseFeatures or MediaError or None)
        The probe's result (its error when the file cannot be read, then no
        features), and the features (None without an audio stream).
    """
    from timesync.media import probe

    guess = _audio_start_guess(path)
    sink = None if guess is None else _FeatureSink(guess[1], guess[2])
    try:
        info = probe(path, audio_sink=sink)
    except MediaError as exc:
        return exc, None
    if info.audio is None:
        return info, None
    start = float(info.audio.start_s or 0.0)
    if sink is not None and sink.error is None and guess is not None and guess[0] == info.audio.index:
        lead = round(max(start, 0.0) * sink.sr)
        if lead == round(max(sink.audio_start_s, 0.0) * sink.sr):
            return info, sink.result()
    try:
        return info, coarse_features(path, start, info.audio.index)
    except MediaError as exc:
        return info, exc


def _audio_start_guess(path: str) -> tuple[int, int, float] | None:
    """(index, sample rate, local start s) of the first audio stream from the file's first
    packets only, or None (no audio, or it cannot be read: the probe will say)."""
    import av

    from timesync.media.scan import quick_origin
    from timesync.media.source import open_input

    try:
        container = open_input(path)
    except MediaError:
        return None
    try:
        streams = container.streams.audio
        if not streams or not streams[0].sample_rate:
            return None
        stream = streams[0]
        origin, starts = quick_origin(container)
        return stream.index, int(stream.sample_rate), float(starts.get(stream.index, origin) - origin)
    except (av.error.FFmpegError, ValueError, IndexError):
        return None
    finally:
        container.close()


def prepare_all(
    jobs: Mapping[str, tuple[str, float, int | None]],
    *,
    max_workers: int | None = None,
    done: Callable[[str], None] | None = None,
) -> dict[str, CoarseFeatures | MediaError]:
    """:func:`coarse_features` of several files at once.

    Parameters
    ----------
    jobs : mapping of name to (path, audio_start_s, stream_index)
    max_workers : int, optional
        Worker processes (default :func:`timesync.parallel.pool_size`: one per job, at
        most twice the cores).
    done : callable, optional
        Called with each name as its features are ready.

    Returns
    -------
    dict of name to CoarseFeatures or MediaError
        A file that cannot be decoded gives its error; the others are unaffected.
    """
    notify = done or (lambda name: None)
    workers = max_workers or pool_size(len(jobs))
    out: dict[str, CoarseFeatures | MediaError] = {}
    pool = process_pool(min(workers, len(jobs)))
    if pool is not None:
        try:
            with pool:
                futures: dict[Future, str] = {
                    pool.submit(coarse_features, *job): name for name, job in jobs.items()
                }
                for fut in as_completed(futures):
                    out[futures[fut]] = _result(fut)
                    notify(futures[fut])
        except (BrokenProcessPool, OSError):  # a worker died, or none could start
            out = {k: v for k, v in out.items() if isinstance(v, CoarseFeatures)}
    for name, job in jobs.items():
        if name not in out:
            out[name] = _run(job)
            notify(name)
    return {name: out[name] for name in jobs}


def _result(fut: Future) -> CoarseFeatures | MediaError:
    try:
        return fut.result()
    except MediaError as exc:
        return exc


def _run(job: tuple[str, float, int | None]) -> CoarseFeatures | MediaError:
    try:
        return coarse_features(*job)
    except MediaError as exc:
        return exc
