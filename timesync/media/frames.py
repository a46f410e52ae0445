"""Exact frames: the frame index (every frame's PTS) and a frame-exact reader.

Frame ``n`` is the n-th frame in presentation order (sorted PTS), counting
from 0. Its local start time is ``pts[n] * time_base - origin`` (exact
Fraction arithmetic, converted to float once); it lasts until ``pts[n+1]``
(the last frame until ``pts + duration``). Never ``n / fps``.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from timesync.errors import MediaError, SourceChangedError
from timesync.media import cache
from timesync.media.hashing import memo_sha256
from timesync.media.scan import av_streams, display_rotation, scan_container
from timesync.media.source import open_input

if TYPE_CHECKING:
    from timesync.clock import ClockMap

__all__ = ["FrameRef", "FrameIndex", "FrameReader"]


@dataclass(frozen=True)
class FrameRef:
    """One frame: its number (presentation order from 0), PTS (ticks), local start and duration (s)."""

    number: int
    pts: int
    time_s: float
    duration_s: float


class FrameIndex:
    """Every video frame's PTS of one file, in presentation order.

    Build with :meth:`open` (cached by SHA-256 in the cache folder). Frame
    ``n`` covers local time ``[frame_time(n), frame_time(n + 1))``.

    Parameters
    ----------
    pts : array of int
        Presentation timestamps in ``time_base`` ticks, sorted.
    time_base : Fraction
        Seconds per tick.
    origin : Fraction
        Container seconds of local time 0 (the earliest stream start).
    last_duration : int
        Ticks the last frame lasts.
    keyframes : array of int, optional
        PTS of keyframes (lets :class:`FrameReader` decide when to seek).
    stream_index : int
        The video stream this index describes.
    """

    def __init__(
        self,
        pts: np.ndarray,
        time_base: Fraction,
        origin: Fraction,
        last_duration: int,
        *,
        keyframes: np.ndarray | None = None,
        stream_index: int = 0,
        path: str | None = None,
    ) -> None:
        self._pts = np.asarray(pts, dtype=np.int64).copy()
        self._pts.setflags(write=False)
        if len(self._pts) == 0:
            raise MediaError(f"{path or 'frame index'}: no video frames")
        if np.any(np.diff(self._pts) < 0):
            raise ValueError("FrameIndex needs sorted PTS")
        self.time_base = Fraction(time_base)
        self.origin = Fraction(origin)
        self.last_duration = int(last_duration)
        kf = np.zeros(0, np.int64) if keyframes is None else np.asarray(keyframes, np.int64)
        self.keyframes = np.sort(kf)
        self.stream_index = int(stream_index)
        self.path = path
        self._times: np.ndarray | None = None

    # -- building ----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, sha256: str | None = None) -> FrameIndex:
        """The frame index of the first video stream of ``path``.

        Read from the cache when it holds an entry under the file's SHA-256
        that was made from this file (its fingerprint matches: see
        :mod:`timesync.media.cache`), otherwise built by demuxing every packet
        (no decoding) and cached. Pass the ``sha256`` from ingest
        (:attr:`MediaInfo.sha256`, a project's recorded hash) to skip hashing
        when the cache answers; when it does not, the file is hashed in full
        (once per process while its stat is unchanged) before anything is
        built or cached under that hash. Without ``sha256`` the file is
        hashed the same way.

        Raises
        ------
        SourceChangedError
            ``sha256`` was given and the file's bytes do not hash to it.
        MediaError
            Unreadable file or no video stream.
        """
        name = os.fspath(path)
        claimed = sha256.lower() if isinstance(sha256, str) else None
        digest = claimed or memo_sha256(name)
        entry = cache.load_index(digest, name)
        if entry is None:
            if claimed is not None:
                _check_claim(name, claimed)
            entry = cls._build(name, digest)
        return cls(
            entry.pts,
            entry.time_base,
            entry.origin,
            entry.last_duration,
            keyframes=entry.keyframes,
            stream_index=entry.stream_index,
            path=name,
        )

    @staticmethod
    def _build(name: str, digest: str) -> cache.CachedIndex:
        """Demux ``name`` and cache the index under ``digest`` (written only if verified)."""
        container = open_input(name)
        try:
            video = next((s for s in av_streams(container) if s.type == "video"), None)
            if video is None:
                raise MediaError(f"{name}: no video stream")
            video_index = video.index
            scan = scan_container(container, name)
        finally:
            container.close()
        stream_scan = scan.streams.get(video_index)
        if stream_scan is None or stream_scan.pts is None or len(stream_scan.pts) == 0:
            raise MediaError(f"{name}: the video stream has no frames")
        if not stream_scan.decoded:
            reason = stream_scan.decode_error or "no frame came out of the decoder"
            raise MediaError(f"{name}: the video stream cannot be decoded ({reason})")
        entry = cache.entry_from_scan(stream_scan, scan.origin)
        cache.store(name, digest, entry)
        return entry

    # -- the data ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._pts)

    def __repr__(self) -> str:
        return f"FrameIndex({self.path!r}, {len(self)} frames, time_base={self.time_base})"

    @property
    def pts(self) -> np.ndarray:
        """Read-only int64 PTS of every frame, presentation order (ticks)."""
        return self._pts

    @property
    def times(self) -> np.ndarray:
        """Float64 local start time of every frame (seconds), each correctly rounded."""
        if self._times is None:
            num = self.time_base.numerator * self.origin.denominator
            off = self.origin.numerator * self.time_base.denominator
            den = self.time_base.denominator * self.origin.denominator
            exact = self._pts.astype(object) * num - off
            self._times = np.array([n / den for n in exact], dtype=np.float64)
            self._times.setflags(write=False)
        return self._times

    @property
    def end_pts(self) -> int:
        """PTS (ticks) where the last frame ends."""
        return int(self._pts[-1]) + self.last_duration

    @property
    def start_s(self) -> float:
        """Local start of frame 0 (s); > 0 when audio starts before the video."""
        return self._local(int(self._pts[0]))

    @property
    def end_s(self) -> float:
        """Local time where the last frame ends (s)."""
        return self._local(self.end_pts)

    def _local(self, pts: int) -> float:
        return float(pts * self.time_base - self.origin)

    def frame_time(self, n: int) -> float:
        """Local start time of frame ``n`` (s); negative ``n`` counts from the end."""
        return self._local(int(self._pts[n]))

    def frame_duration(self, n: int) -> float:
        """Seconds frame ``n`` lasts (to the next frame's PTS, or the last duration)."""
        n = range(len(self))[n]
        nxt = int(self._pts[n + 1]) if n + 1 < len(self) else self.end_pts
        return float((nxt - int(self._pts[n])) * self.time_base)

    def ref(self, n: int) -> FrameRef:
        """The :class:`FrameRef` of frame ``n``."""
        n = range(len(self))[n]
        return FrameRef(n, int(self._pts[n]), self.frame_time(n), self.frame_duration(n))

    def time_to_pts(self, t_s: float) -> int:
        """Nearest PTS tick at local time ``t_s`` (rounded half to even, on purpose).

        Rounding (not flooring) makes a time computed from a frame's start,
        such as ``frame_time(n)``, land on that frame despite float error.
        """
        return round((Fraction(t_s) + self.origin) / self.time_base)

    def frame_at(self, t_s: float) -> FrameRef | None:
        """The frame shown at local time ``t_s`` (s), or None outside the video.

        Frame ``n`` covers the half-open ``[start_n, start_{n+1})``: a time
        exactly at a frame's start belongs to that frame. ``t_s`` is first
        rounded to the nearest PTS tick (see :meth:`time_to_pts`).
        """
        if not math.isfinite(t_s):
            return None
        tick = self.time_to_pts(t_s)
        if tick >= self.end_pts:
            return None
        n = int(np.searchsorted(self._pts, tick, side="right")) - 1
        if n < 0:
            return None
        return self.ref(n)

    def frame_at_shared(self, clock: ClockMap, shared_s: float) -> FrameRef | None:
        """The frame shown at shared time ``shared_s``, for a source placed by ``clock``."""
        return self.frame_at(clock.to_local(shared_s))


def _check_claim(name: str, claimed: str) -> None:
    """Hash ``name`` in full; :class:`SourceChangedError` unless it is the file ``claimed``."""
    actual = memo_sha256(name)
    if actual != claimed:
        raise SourceChangedError(
            f"{name}: the file is not the one with SHA-256 {claimed[:12]}... (its bytes hash to "
            f"{actual[:12]}...): it changed since it was hashed"
        )


class FrameReader:
    """Read exact frames of a file's video, read-only; a context manager.

    ``read(n)`` seeks to the keyframe at or before frame ``n`` and decodes
    forward until the frame whose PTS is the index's ``pts[n]``; reading
    forward without a keyframe in between continues decoding without
    seeking, so sequential reads are cheap. The last decoded frames are kept
    (about :data:`RECENT_BYTES`), so stepping back a few frames is cheap too.
    One reader is for one thread.

    Parameters
    ----------
    path : str or PathLike
    index : FrameIndex, optional
        Built (or read from the cache) when not given.
    rotate : bool
        Turn frames upright using the stream's display rotation.
    """

    #: Seek this far (seconds) before the target on retries, when the first
    #: seek lands after the wanted frame (e.g. open GOPs).
    _BACKOFF_S = (0.0, 1.0, 5.0, 30.0)
    #: A seek (decoder flush + refill) costs about as much as decoding this many frames.
    SEEK_COST_FRAMES = 8
    #: Decoded frames kept (YUV, as the decoder gave them) so that stepping back a
    #: few frames needs no seek: at most this many bytes, and this many frames.
    RECENT_BYTES = 64 * 1024 * 1024
    RECENT_FRAMES = 120
    #: When seeking works but a frame is still not found, decode from the start
    #: only for frames this close to it (seconds); further on, report damage.
    FULL_DECODE_LIMIT_S = 300

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        index: FrameIndex | None = None,
        rotate: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self.index = index if index is not None else FrameIndex.open(self.path)
        self.rotate = rotate
        self._container = open_input(self.path)
        try:
            self._stream = self._container.streams[self.index.stream_index]
        except IndexError:
            self._container.close()
            raise MediaError(
                f"{self.path}: video stream {self.index.stream_index} not found"
            ) from None
        if self._stream.type != "video":
            self._container.close()
            raise MediaError(f"{self.path}: stream {self.index.stream_index} is not video")
        if self._stream.codec_context is None:
            self._container.close()
            raise MediaError(f"{self.path}: FFmpeg has no decoder for the video codec")
        self._stream.thread_type = "AUTO"
        self._frames = None  # the decode generator after the last seek
        self._last_pts: int | None = None
        self._last: tuple[int, np.ndarray] | None = None
        self._recent: OrderedDict[int, object] = OrderedDict()  # pts -> decoded av.VideoFrame
        self._recent_max = 1

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._container is not None:
            self._frames = None
            self._recent.clear()
            self._container.close()
            self._container = None

    # -- reading -------------------------------------------------------------------------
    def read(self, n: int) -> np.ndarray:
        """Frame ``n`` as an ``(H, W, 3)`` uint8 RGB array (upright when ``rotate``)."""
        if self._container is None:
            raise ValueError(f"{self.path}: FrameReader is closed")
        if not 0 <= n < len(self.index):
            raise IndexError(f"{self.path}: frame {n} out of range (0..{len(self.index) - 1})")
        if self._last is not None and self._last[0] == n:
            return self._last[1].copy()
        frame = self._decode_frame(int(self.index.pts[n]))
        image = self._to_rgb(frame)
        self._last = (n, image)
        return image.copy()

    def read_at(self, t_s: float) -> tuple[FrameRef, np.ndarray] | None:
        """The frame shown at local time ``t_s`` and its image, or None outside the video."""
        ref = self.index.frame_at(t_s)
        return None if ref is None else (ref, self.read(ref.number))

    def thumbnail(self, n: int, max_side: int = 160) -> np.ndarray:
        """Frame ``n`` scaled down (area interpolation) so its longer side is ``max_side`` px."""
        import cv2

        image = self.read(n)
        height, width = image.shape[:2]
        scale = max_side / max(height, width)
        if scale >= 1:
            return image
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    # -- internals -------------------------------------------------------------------------
    def _to_rgb(self, frame) -> np.ndarray:
        image = frame.to_ndarray(format="rgb24")
        if self.rotate:
            clockwise = display_rotation(self._stream, frame)
            if clockwise:
                image = np.ascontiguousarray(np.rot90(image, k=-(clockwise // 90)))
        return image

    def _can_continue(self, target: int) -> bool:
        """True when decoding forward to ``target`` costs no more than seeking.

        Seeking lands on the last keyframe at or before ``target``; from the
        current position, decoding forward is cheaper when that keyframe is
        not ahead of it by more than :data:`SEEK_COST_FRAMES` frames.
        """
        last = self._last_pts
        if self._frames is None or last is None or target <= last:
            return False
        pts, kf = self.index.pts, self.index.keyframes
        k = int(np.searchsorted(kf, target, side="right")) - 1
        keyframe = int(kf[k]) if k >= 0 else int(pts[0])
        if keyframe <= last:
            return True
        skipped = int(np.searchsorted(pts, keyframe)) - int(np.searchsorted(pts, last))
        return skipped <= self.SEEK_COST_FRAMES

    def _remember(self, frame, pts: int) -> None:
        """Keep a decoded frame among the recent ones (bounded by bytes and count)."""
        if len(self._recent) == 0:
            frame_bytes = max(1, frame.width * frame.height * 3 // 2)
            self._recent_max = max(1, min(self.RECENT_FRAMES, self.RECENT_BYTES // frame_bytes))
        self._recent[pts] = frame
        self._recent.move_to_end(pts)
        while len(self._recent) > self._recent_max:
            self._recent.popitem(last=False)

    def _decode_frame(self, target: int):
        import av

        recent = self._recent.get(target)
        if recent is not None:
            return recent
        if self._can_continue(target):
            frame = self._forward(target)
            if frame is not None:
                return frame
        tb = self.index.time_base
        first = int(self.index.pts[0])
        seekable = True
        for back_s in self._BACKOFF_S:
            back = round(Fraction(back_s) / tb)
            seek_to = max(target - back, first)
            try:
                self._container.seek(seek_to, stream=self._stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                seekable = False
                break
            self._frames = self._container.decode(self._stream)
            self._last_pts = None
            frame = self._forward(target)
            if frame is not None:
                return frame
            if seek_to == first:
                break
        if seekable and (target - first) * tb > self.FULL_DECODE_LIMIT_S:
            n = int(np.searchsorted(self.index.pts, target))
            raise MediaError(
                f"{self.path}: frame {n} could not be decoded (the file may be damaged there)"
            )
        return self._from_start(target)

    def _from_start(self, target: int):
        """Last resort: reopen and decode from the first packet."""
        self._container.close()
        self._container = open_input(self.path)
        self._stream = self._container.streams[self.index.stream_index]
        self._stream.thread_type = "AUTO"
        self._frames = self._container.decode(self._stream)
        self._last_pts = None
        frame = self._forward(target)
        if frame is None:
            n = int(np.searchsorted(self.index.pts, target))
            raise MediaError(f"{self.path}: frame {n} (PTS {target}) could not be decoded")
        return frame

    def _forward(self, target: int):
        """Decode forward to the frame with PTS ``target``; None if passed or not found."""
        import av

        try:
            for frame in self._frames:
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None:
                    continue
                self._last_pts = int(pts)
                self._remember(frame, int(pts))
                if pts == target:
                    return frame
                if pts > target:
                    return None
        except (av.error.FFmpegError, EOFError, IndexError):
            pass
        self._frames = None
        return None
