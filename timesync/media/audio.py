"""Audio decoding to float32 mono at a chosen rate, aligned to local time.

Sample ``k`` of the result is at local time ``start_s + k / sr`` (see
``docs/architecture.md``: local 0 is the earliest stream start, so an audio
stream that starts late is preceded by zeros). Resampling is done by FFmpeg
(``av.AudioResampler``, mono mixdown; it adds no delay once flushed). Each
run of contiguous decoded frames is resampled as one segment placed by its
first frame's PTS: up to a few leading input samples are dropped so the
segment starts exactly on the output sample grid, so a window decoded after a
seek is sample-identical in phase to a decode from the start. A jump in the
timestamps of more than :data:`GAP_TOLERANCE_S` starts a new segment: a gap
is filled with zeros, an overlap is dropped (the PTS win, as in a player).
After a seek, the first (re-trimmed) frame is dropped and, where timestamps
are coarser than a sample (Matroska's milliseconds), the next frame is put
back on the stream's frame grid (:class:`_FrameGrid`): windows read after a
seek equal a decode from the start.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from timesync.errors import MediaError
from timesync.media.hashing import file_key
from timesync.media.scan import decode_skipping, quick_origin
from timesync.media.source import open_input

__all__ = ["decode_audio", "iter_audio_blocks", "AudioReader"]

#: Start decoding from the beginning (no seek) when the window starts less
#: than this many seconds into the audio stream.
SEEK_THRESHOLD_S = 2.0
#: Seek this much before the window so the decoder and resampler are warm.
PREROLL_S = 1.0
#: Demuxers whose timestamps after a seek are estimated from the byte position
#: (raw MP3/AAC/AC-3 streams without an index): decoded from the start instead.
UNSEEKABLE_FORMATS = frozenset({"mp3", "aac", "ac3", "eac3", "adts", "mp2", "mpeg"})
#: At most this many leading input samples are tried by :func:`_grid_skip`.
MAX_GRID_SEARCH = 8192
#: A frame whose PTS is off from where the previous samples end by more than
#: this starts a new segment (a gap or an overlap in the recording).
GAP_TOLERANCE_S = 0.002


def _check_args(sr: int, block_s: float, start_s: float, duration_s: float | None) -> None:
    if not (isinstance(sr, int | np.integer) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz), got {sr!r}")
    if not (block_s > 0 and math.isfinite(block_s)):
        raise ValueError(f"block_s must be > 0 seconds, got {block_s!r}")
    if not math.isfinite(start_s):
        raise ValueError(f"start_s must be finite, got {start_s!r}")
    if duration_s is not None and not (duration_s >= 0 and math.isfinite(duration_s)):
        raise ValueError(f"duration_s must be >= 0 seconds or None, got {duration_s!r}")


class _Placer:
    """Places resampled segments on the output sample grid and cuts blocks."""

    def __init__(self, total: int | None, block_len: int) -> None:
        self.total = total  # output samples wanted, None for "to the end"
        self.block_len = block_len
        self.cursor = 0  # output samples emitted so far
        self.pending: list[np.ndarray] = []
        self.pending_len = 0

    @property
    def full(self) -> bool:
        return self.total is not None and self.cursor >= self.total

    def put(self, position: int, samples: np.ndarray) -> None:
        """Samples whose first one belongs at output index ``position``."""
        if position > self.cursor:  # a gap before the audio: zeros
            self._emit(np.zeros(position - self.cursor, np.float32))
        skip = self.cursor - position
        if skip < len(samples):
            self._emit(samples[max(skip, 0) :])

    def _emit(self, samples: np.ndarray) -> None:
        if self.total is not None:
            samples = samples[: max(self.total - self.cursor, 0)]
        if len(samples):
            self.pending.append(samples)
            self.pending_len += len(samples)
            self.cursor += len(samples)

    def blocks(self, final: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """Complete blocks (and, when ``final``, the rest) as (first index, samples)."""
        while self.pending_len >= self.block_len or (final and self.pending_len):
            data = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
            size = min(self.block_len, len(data))
            block, rest = data[:size], data[size:]
            self.pending = [rest] if len(rest) else []
            self.pending_len = len(rest)
            yield self.cursor - self.pending_len - size, np.ascontiguousarray(block, np.float32)


class _Segment:
    """One run of contiguous frames going through one resampler."""

    def __init__(self, sr: int, position: int, local_start: Fraction, rate: int) -> None:
        import av

        self.resampler, self.out_rate = av.AudioResampler(format="flt", layout="mono", rate=sr), sr
        self.position = position  # output index of this segment's first sample
        self.local_start = local_start  # local seconds of its first input sample
        self.local_start_f = float(local_start)
        self.rate = rate  # input sample rate
        self.in_samples = 0
        self.out_samples = 0

    def expected_local(self) -> Fraction:
        return self.local_start + Fraction(self.in_samples, self.rate)

    def gap_s(self, local_s: float) -> float:
        """Seconds between where the fed samples end and ``local_s`` (float; for the gap test)."""
        return abs(local_s - (self.local_start_f + self.in_samples / self.rate))

    def feed(self, frame, placer: _Placer) -> None:
        self.in_samples += frame.samples
        dtype = _mono_dtype(frame) if self.out_rate == frame.sample_rate else ""
        if dtype:  # what the resampler would give, sample for sample (16-bit: FFmpeg's exact
            # scale by 2**-15), without its call and conversion per frame
            x = np.frombuffer(frame.planes[0], dtype, frame.samples)
            self._put(x.copy() if dtype == "<f4" else x * np.float32(2.0**-15), placer)
        else:
            self._place(self.resampler.resample(frame), placer)

    def flush(self, placer: _Placer) -> None:
        self._place(self.resampler.resample(None), placer)

    def _place(self, frames, placer: _Placer) -> None:
        for out in frames:
            self._put(out.to_ndarray().reshape(-1).astype(np.float32, copy=False), placer)

    def _put(self, data: np.ndarray, placer: _Placer) -> None:
        placer.put(self.position + self.out_samples, data)
        self.out_samples += len(data)


def _mono_dtype(frame) -> str:  # one channel of float32 or int16 (planar or packed: the same bytes)
    return _MONO.get(frame.format.name, "") if len(frame.layout.channels) == 1 else ""


_MONO = {"flt": "<f4", "fltp": "<f4", "s16": "<i2", "s16p": "<i2"}


def iter_audio_blocks(
    path: str | os.PathLike[str],
    *,
    sr: int,
    block_s: float = 60.0,
    start_s: float = 0.0,
    duration_s: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Decode the first audio stream as contiguous float32 mono blocks at ``sr`` Hz.

    Parameters
    ----------
    path : str or PathLike
        A local media file with an audio stream (opened read-only).
    sr : int > 0
        Output sample rate (Hz).
    block_s : float > 0
        Block length (s); every block but the last has ``round(block_s * sr)`` samples.
    start_s : float
        Local time (s) of the first output sample; may be negative or before
        the audio starts (zeros fill up to the audio's start).
    duration_s : float >= 0, optional
        Seconds wanted (``round(duration_s * sr)`` samples at most); to the
        end of the audio when None. Output stops where the audio ends: it is
        never padded after the end.

    Yields
    ------
    (float, ndarray)
        Local start time (s) of the block and its float32 samples; block
        ``k + 1`` starts where block ``k`` ends. Memory stays bounded by a
        block or so, whatever the file's length.

    Raises
    ------
    MediaError
        The file cannot be read or has no audio stream.
    """
    _check_args(sr, block_s, start_s, duration_s)
    yield from _blocks(os.fspath(path), sr, block_s, start_s, duration_s, None)


def _blocks(
    name: str,
    sr: int,
    block_s: float,
    start_s: float,
    duration_s: float | None,
    shared: AudioReader | None,
) -> Iterator[tuple[float, np.ndarray]]:
    """:func:`iter_audio_blocks` (arguments checked), seeking in ``shared``'s open
    container when given (else in a container of its own)."""
    total = None if duration_s is None else round(duration_s * sr)
    block_len = max(1, round(block_s * sr))
    origin, starts, first_samples = _stream_starts(name)
    for may_seek in (True, False):
        own = shared is None or not may_seek
        container = open_input(name) if own else shared.container()
        try:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise MediaError(f"{name}: no audio stream")
            if stream.codec_context is None:
                raise MediaError(f"{name}: FFmpeg has no decoder for the audio codec")
            placer = _Placer(total, block_len)
            audio_start = starts.get(stream.index, origin)
            grid = _FrameGrid.for_stream(
                stream, audio_start - origin, first_samples.get(stream.index)
            )
            seeked = may_seek and _seek_near(container, stream, audio_start, origin, start_s)
            if not seeked and not own:
                continue  # a shared container is not at the start: decode in a fresh one
            frames = (
                _frames_after_seek(container, stream) if seeked else decode_skipping(container, stream)
            )
            decoded = _decode_into(frames, stream, origin, start_s, sr, placer, name, grid, seeked)
            for first, block in decoded:
                yield start_s + first / sr, block
            return
        except _SeekOvershot:
            continue  # the seek landed inside the window: decode from the start instead
        except BaseException:
            if not own:
                shared.reset()  # its decoder may be in any state
            raise
        finally:
            if own:
                container.close()


class AudioReader:
    """Windows of one file's audio, read from one open container.

    Reading many short windows of a long file with :func:`decode_audio` opens
    the file for each (for an hour-long MP4 that alone costs several
    milliseconds: its index is parsed again); a reader keeps the container
    open and seeks in it. Windows equal those of :func:`decode_audio` sample
    for sample. Not thread-safe: one reader per thread. Use as a context
    manager or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = os.fspath(path)
        self._container = None

    def container(self):
        """The open container (opened read-only on first use)."""
        if self._container is None:
            self._container = open_input(self.name)
        return self._container

    def read(self, *, sr: int, start_s: float, duration_s: float) -> np.ndarray:
        """Float32 mono samples at ``sr`` Hz, sample 0 at local time ``start_s``, at most
        ``round(duration_s * sr)`` of them (as :func:`decode_audio`)."""
        _check_args(sr, 60.0, start_s, duration_s)
        blocks = [b for _t, b in _blocks(self.name, sr, 60.0, start_s, duration_s, self)]
        return _joined(blocks)

    def reset(self) -> None:
        """Close the container; the next read opens it again."""
        if self._container is not None:
            self._container.close()
            self._container = None

    close = reset

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _joined(blocks: list[np.ndarray]) -> np.ndarray:
    if not blocks:
        return np.zeros(0, np.float32)
    return np.concatenate(blocks).astype(np.float32, copy=False)


def decode_audio(
    path: str | os.PathLike[str],
    *,
    sr: int,
    start_s: float = 0.0,
    duration_s: float | None = None,
) -> np.ndarray:
    """The first audio stream as one float32 mono array at ``sr`` Hz.

    Sample 0 is at local time ``start_s``; see :func:`iter_audio_blocks` for
    the parameters (this concatenates its blocks). Use
    :func:`iter_audio_blocks` for long recordings.
    """
    blocks = iter_audio_blocks(path, sr=sr, block_s=60.0, start_s=start_s, duration_s=duration_s)
    return _joined([b for _t, b in blocks])


_STARTS: dict[tuple, tuple[Fraction, dict[int, Fraction], dict[int, int]]] = {}
_STARTS_LOCK = threading.Lock()


def _stream_starts(name: str) -> tuple[Fraction, dict[int, Fraction], dict[int, int]]:
    """Origin and stream starts of ``name``, remembered while the file is unchanged
    (windowed reads of one file do not re-read its first packets each time)."""
    key = file_key(name)
    with _STARTS_LOCK:
        known = _STARTS.get(key)
    if known is not None:
        return known
    container = open_input(name)
    first_samples: dict[int, int] = {}
    try:
        origin, starts = quick_origin(container, first_samples)
    finally:
        container.close()
    found = (origin, starts, first_samples)
    with _STARTS_LOCK:
        if len(_STARTS) >= 256:
            _STARTS.pop(next(iter(_STARTS)))
        _STARTS[key] = found
    return found


def _frames_after_seek(container, stream):
    """Decoded frames after a seek, without the first one.

    Decoders re-apply their start-up trimming (encoder delay, e.g. MP3's 1105
    or Opus's 312 samples) to the first frame after a seek: that partial frame
    is off the stream's frame grid. It lies in the pre-roll, before the
    window, so it is dropped.
    """
    skipped = False
    for frame in decode_skipping(container, stream):
        if not skipped and frame.samples:
            skipped = True
            continue
        yield frame


def _seek_near(container, stream, audio_start: Fraction, origin: Fraction, start_s: float) -> bool:
    """Seek to a packet before the window when it starts well into the audio; True if it did."""
    import av

    into_audio = Fraction(start_s) + origin - audio_start  # seconds into the audio stream
    if into_audio < SEEK_THRESHOLD_S or UNSEEKABLE_FORMATS & set(container.format.name.split(",")):
        return False
    target = audio_start + into_audio - Fraction(PREROLL_S)
    try:
        container.seek(round(target / Fraction(stream.time_base)), stream=stream, backward=True)
    except av.error.FFmpegError:
        container.seek(0)
        return False
    return True


class _SeekOvershot(Exception):
    """A seek landed after the window start (nothing was emitted yet)."""


def _decode_into(frames, stream, origin, start_s, sr, placer, name, grid=None, seeked=False):
    import av

    segment: _Segment | None = None
    window_start = Fraction(start_s)
    origin_f = float(origin)
    try:
        for frame in frames:
            if frame.samples == 0:
                continue
            pts_s = (
                None
                if frame.pts is None
                else frame.pts * float(frame.time_base or stream.time_base)
            )
            new_segment = segment is None or frame.sample_rate != segment.rate
            if new_segment or (
                pts_s is not None and segment.gap_s(pts_s - origin_f) > GAP_TOLERANCE_S
            ):
                local = _frame_local(frame, stream, origin, segment)
                if grid is not None:
                    local = grid.snap(local, frame.samples)
                if segment is not None:
                    segment.flush(placer)
                    segment = None
                skip = _grid_skip(local - window_start, frame.sample_rate, sr)
                if skip:
                    if skip >= frame.samples:
                        continue
                    frame = _drop_leading(frame, skip)
                    local += Fraction(skip, frame.sample_rate)
                position = round((local - window_start) * sr)
                if seeked and placer.cursor == 0 and position > 0:
                    raise _SeekOvershot
                segment = _Segment(sr, position, local, frame.sample_rate)
            frame.pts = None  # the resampler must not re-time frames
            segment.feed(frame, placer)
            yield from placer.blocks()
            if placer.full:
                break
    except (av.error.FFmpegError, EOFError, IndexError) as exc:
        if segment is None:
            raise MediaError(f"{name}: audio could not be decoded ({exc})") from None
    if segment is not None:
        segment.flush(placer)
    yield from placer.blocks(final=True)


class _FrameGrid:
    """Where a stream's frames can start, to undo coarse timestamps after a seek.

    Matroska stores audio timestamps in milliseconds: after a seek, the first
    frame's PTS is up to half a millisecond off, so its samples would land up
    to 24 samples (at 48 kHz) away from where a decode from the start puts
    them. Codecs with a fixed frame size (AAC 1024, MP3 1152, Opus 960...)
    have frames at ``start + (first + k * size) / rate``: a PTS within half a
    tick of one of those is moved onto it. Variable-size frames (Vorbis) keep
    their PTS.
    """

    def __init__(self, start_local: Fraction, first: int, rate: int, half_tick: Fraction) -> None:
        self.start_local = start_local  # local seconds of the stream's first decoded sample
        self.first = first  # samples in the first decoded frame
        self.rate = rate
        self.tolerance = half_tick + Fraction(1, rate)

    @classmethod
    def for_stream(cls, stream, start_local: Fraction, first: int | None) -> _FrameGrid | None:
        rate = stream.codec_context.sample_rate if stream.codec_context is not None else 0
        tb = Fraction(stream.time_base) if stream.time_base else None
        if not first or not rate or tb is None or tb <= Fraction(1, rate):
            return None  # timestamps finer than a sample: nothing to undo
        return cls(start_local, first, rate, tb / 2)

    def snap(self, local: Fraction, size: int) -> Fraction:
        """``local`` moved onto the frame grid when it is within half a tick of it."""
        if size <= 0:
            return local
        after_first = (local - self.start_local) * self.rate - self.first
        if after_first < -size / 2:
            return self.start_local if abs(local - self.start_local) <= self.tolerance else local
        k = round(after_first / size)
        snapped = self.start_local + Fraction(self.first + k * size, self.rate)
        return snapped if abs(snapped - local) <= self.tolerance else local


def _grid_skip(offset: Fraction, rate: int, sr: int) -> int:
    """Input samples to drop so a segment starts on the output sample grid.

    ``offset`` is the segment's first input sample in seconds after the
    window start. Dropping ``j`` samples puts it at ``offset + j / rate``;
    the smallest ``j`` that makes ``(offset + j / rate) * sr`` a whole number
    is returned, so a window decoded after a seek is resampled at the same
    phase as a decode from the start (or the ``j`` that comes nearest to a
    whole number, when the window start is off the input grid).
    """
    period = rate // math.gcd(rate, sr)  # input samples per whole-output-sample cycle
    best, best_error = 0, Fraction(1)
    for j in range(min(period, MAX_GRID_SEARCH)):
        position = (offset + Fraction(j, rate)) * sr
        error = abs(position - round(position))
        if error == 0:
            return j
        if error < best_error:
            best, best_error = j, error
    return best


def _drop_leading(frame, count: int):
    """A copy of an audio frame without its first ``count`` samples."""
    import av

    data = frame.to_ndarray()
    if frame.format.is_planar:
        data = data[:, count:]
    else:
        data = data[:, count * len(frame.layout.channels) :]
    out = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data), format=frame.format.name, layout=frame.layout.name
    )
    out.sample_rate = frame.sample_rate
    return out


def _frame_local(frame, stream, origin: Fraction, segment: _Segment | None) -> Fraction:
    """Local seconds of a decoded frame's first sample (from its PTS)."""
    if frame.pts is None:
        return segment.expected_local() if segment is not None else Fraction(0)
    tb = Fraction(frame.time_base) if frame.time_base else Fraction(stream.time_base)
    return frame.pts * tb - origin
