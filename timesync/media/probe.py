"""``probe(path) -> MediaInfo``: what a media file holds, exactly.

Frame counts come from demuxing every packet (no decoding, no
``duration * fps``); times are exact Fractions until they are reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from timesync.errors import MediaError
from timesync.media.hashing import sha256_file
from timesync.media.scan import (
    AudioSink,
    FileScan,
    StreamScan,
    is_attached_picture,
    scan_container,
)
from timesync.media.source import open_input
from timesync.media.tags import MediaTags, collect_tags

__all__ = ["MediaInfo", "StreamInfo", "probe", "probe_container"]

#: Consecutive PTS deltas may differ by this many ticks, or this fraction of
#: the median delta, before a stream counts as variable frame rate (timestamp
#: rounding in a 1/1000 time base makes 33/34 ms alternate at 30 fps).
VFR_TOLERANCE_TICKS = 1
VFR_TOLERANCE_FRACTION = 0.001

_CONTAINER_ALIASES = {
    ".mkv": "matroska",
    ".webm": "webm",
    ".ts": "mpegts",
    ".m2ts": "mpegts",
    ".mts": "mpegts",
}


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a file.

    Attributes
    ----------
    index : int
        The stream's index in the container.
    kind : str
        ``"video"``, ``"audio"``, ``"subtitle"``, ``"data"``..., or
        ``"attached_pic"`` for a cover image (not a video: no frames, no time).
    codec : str
        FFmpeg codec name (``"h264"``, ``"aac"``...).
    time_base : Fraction
        Seconds per PTS tick.
    start_s : float or None
        Local seconds of the stream's first presented packet (0 for the
        earliest stream; > 0 for a stream that starts later).
    duration_s : float or None
        Seconds from the first presented packet to the end of the last.
    width, height : int or None
        Coded frame size in pixels (before rotation), video only.
    rotation : int
        Degrees **clockwise** the frame must be turned for display (0, 90,
        180 or 270; as the legacy ``rotate`` tag), from the display matrix.
    avg_fps, real_fps : Fraction or None
        FFmpeg's average and real (base) frame rates, video only.
    frame_count : int or None
        Exact number of video frames (demuxed packets), video only.
    is_vfr : bool
        Video whose frame durations vary by more than timestamp rounding.
    sample_rate, channels : int or None
        Audio only.
    """

    index: int
    kind: str
    codec: str
    time_base: Fraction
    start_s: float | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    rotation: int = 0
    avg_fps: Fraction | None = None
    real_fps: Fraction | None = None
    frame_count: int | None = None
    is_vfr: bool = False
    sample_rate: int | None = None
    channels: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; Fractions as ``"num/den"`` strings."""
        out: dict[str, Any] = {
            "index": self.index,
            "kind": self.kind,
            "codec": self.codec,
            "time_base": _fraction_text(self.time_base),
            "start_s": self.start_s,
            "duration_s": self.duration_s,
        }
        if self.kind == "video":
            out.update(
                width=self.width,
                height=self.height,
                rotation=self.rotation,
                avg_fps=_fraction_text(self.avg_fps),
                real_fps=_fraction_text(self.real_fps),
                frame_count=self.frame_count,
                is_vfr=self.is_vfr,
            )
        elif self.kind == "audio":
            out.update(sample_rate=self.sample_rate, channels=self.channels)
        return out


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` found in a file.

    Attributes
    ----------
    path : str
        The path as given.
    container : str
        FFmpeg's demuxer name (``"mp4"``, ``"mov"``, ``"matroska"``, ``"avi"``...).
    duration_s : float
        Local seconds from the earliest stream start to the latest stream end.
    start_time_s : float or None
        The container's start time as FFmpeg reports it (container seconds).
    origin_s : float
        Container seconds of local time 0: the earliest audio/video stream start.
    size_bytes : int
    sha256 : str
        Hex SHA-256 of the whole file.
    streams : tuple of StreamInfo
    tags : MediaTags
    warnings : tuple of str
        Things a reviewer should know (the file is cut short...).
    """

    path: str
    container: str
    duration_s: float
    start_time_s: float | None
    origin_s: float
    size_bytes: int
    sha256: str
    streams: tuple[StreamInfo, ...]
    tags: MediaTags = field(default_factory=MediaTags)
    warnings: tuple[str, ...] = ()

    @property
    def video(self) -> StreamInfo | None:
        """The first video stream, or None."""
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream, or None."""
        return next((s for s in self.streams if s.kind == "audio"), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of everything (the output of ``timesync probe --json``)."""
        return {
            "path": self.path,
            "container": self.container,
            "duration_s": self.duration_s,
            "start_time_s": self.start_time_s,
            "origin_s": self.origin_s,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "streams": [s.to_dict() for s in self.streams],
            "tags": self.tags.to_dict(),
            "warnings": list(self.warnings),
        }


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _container_name(container, path: str) -> str:
    names = container.format.name.split(",")
    ext = os.path.splitext(path)[1].lower()
    alias = _CONTAINER_ALIASES.get(ext)
    if alias and alias in names:
        return alias
    return ext[1:] if ext[1:] in names else names[0]


def is_vfr(pts: np.ndarray | None) -> bool:
    """True when consecutive PTS deltas vary by more than timestamp rounding."""
    if pts is None or len(pts) < 3:
        return False
    deltas = np.diff(pts)
    spread = int(deltas.max() - deltas.min())
    median = float(np.median(deltas))
    return spread > VFR_TOLERANCE_TICKS and spread > VFR_TOLERANCE_FRACTION * median


def _seconds(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _codec_name(stream) -> str:
    """The codec's canonical name ("mp3", not the decoder's "mp3float")."""
    cc = stream.codec_context
    if cc is None:
        return "none"
    try:
        return cc.codec.canonical_name or cc.name
    except AttributeError:  # pragma: no cover - older PyAV
        return cc.name


def _stream_info(stream, scan: StreamScan | None, origin: Fraction, rotation: int) -> StreamInfo:
    codec = _codec_name(stream)
    kind = "attached_pic" if is_attached_picture(stream) else stream.type
    base = {
        "index": stream.index,
        "kind": kind,
        "codec": codec,
        "time_base": Fraction(stream.time_base) if stream.time_base else Fraction(0),
    }
    if scan is not None and scan.start is not None:
        base["start_s"] = float(scan.start - origin)
        base["duration_s"] = _seconds(scan.end - scan.start) if scan.end is not None else None
    cc = stream.codec_context
    if kind == "video":
        return StreamInfo(
            **base,
            width=(cc.width or None) if cc is not None else None,
            height=(cc.height or None) if cc is not None else None,
            rotation=rotation,
            avg_fps=Fraction(stream.average_rate) if stream.average_rate else None,
            real_fps=Fraction(stream.base_rate) if stream.base_rate else None,
            frame_count=scan.count if scan is not None else 0,
            is_vfr=is_vfr(scan.pts if scan is not None else None),
        )
    if kind == "audio":
        if cc is None:
            return StreamInfo(**base)
        return StreamInfo(**base, sample_rate=cc.sample_rate or None, channels=cc.channels or None)
    return StreamInfo(**base)


def _truncation_hints(container, scan: FileScan, name: str, size_bytes: int) -> list[str]:
    """Signs that a file was cut short, beyond what demuxing reported."""
    hints = []
    names = container.format.name.split(",")
    if "mpegts" in names and size_bytes % 188 and size_bytes % 192:
        hints.append(
            f"{name}: the file does not end on an MPEG-TS packet boundary: it may be truncated"
        )
    for stream in container.streams:
        stream_scan = scan.streams.get(stream.index)
        declared = stream.frames or 0
        rate = stream.average_rate if stream.type == "video" else None
        if stream_scan is None or declared <= 2 or not rate or stream_scan.end is None:
            continue
        # frames the header counts, at the nominal rate (an AVI index also counts dropped frames,
        # which take time but have no packet: compare durations, not counts)
        declared_s = float(declared / Fraction(rate))
        read_s = float(stream_scan.end - stream_scan.start)
        if declared_s - read_s > max(0.5, 0.05 * declared_s):
            hints.append(
                f"{name}: the header declares {declared} frames ({declared_s:.3f} s) but the "
                f"video ends after {read_s:.3f} s: the file may be truncated"
            )
    return hints


def probe_container(
    container, name: str, *, sha256: str, size_bytes: int, audio_sink: AudioSink | None = None
) -> tuple[MediaInfo, FileScan]:
    """Probe an open container; also returns the packet scan (for the frame index).
    ``audio_sink`` as in :func:`timesync.media.scan.scan_container`."""
    scan = scan_container(container, name, audio_sink=audio_sink)
    warnings = list(scan.warnings)
    playable = [s for s in scan.streams.values() if s.count > 0]
    if not playable:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise MediaError(
            f"{name}: no decodable audio or video stream (streams found: {', '.join(kinds)})"
        )
    if not any(s.decoded for s in playable):
        problems = "; ".join(
            f"{s.kind} stream {s.index}: {s.decode_error or 'no frame came out'}" for s in playable
        )
        raise MediaError(f"{name}: no decodable audio or video stream ({problems})")
    streams = []
    for stream in container.streams:
        stream_scan = scan.streams.get(stream.index)
        if stream_scan is not None and stream_scan.count and not stream_scan.decoded:
            reason = f" ({stream_scan.decode_error})" if stream_scan.decode_error else ""
            warnings.append(
                f"{name}: {stream.type} stream {stream.index} could not be decoded{reason}"
            )
        rotation = (stream_scan.rotation or 0) if stream_scan is not None else 0
        streams.append(_stream_info(stream, stream_scan, scan.origin, rotation))
    ends = [s.end for s in scan.streams.values() if s.end is not None]
    duration = float(max(ends) - scan.origin) if ends else 0.0
    declared = container.duration / 1_000_000 if container.duration else None
    if declared is not None and declared - duration > max(0.5, 0.05 * declared):
        warnings.append(
            f"{name}: streams end at {duration:.3f} s but the container declares "
            f"{declared:.3f} s: the file may be truncated"
        )
    warnings.extend(_truncation_hints(container, scan, name, size_bytes))
    start = container.start_time / 1_000_000 if container.start_time is not None else None
    tags = collect_tags(container, warnings, name)
    info = MediaInfo(
        path=name,
        container=_container_name(container, name),
        duration_s=duration,
        start_time_s=start,
        origin_s=float(scan.origin),
        size_bytes=size_bytes,
        sha256=sha256,
        streams=tuple(streams),
        tags=tags,
        warnings=tuple(warnings),
    )
    return info, scan


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def probe(
    path: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    audio_sink: AudioSink | None = None,
) -> MediaInfo:
    """Probe a media file: container, streams, exact frame counts, tags, SHA-256.

    Parameters
    ----------
    path : str or PathLike
        A local regular file, opened read-only.
    sha256 : str, optional
        The file's hex SHA-256 if already computed at ingest (not recomputed).
    audio_sink : AudioSink, optional
        Receives the first audio stream's decoded frames during the demuxing
        pass (:func:`timesync.media.scan.scan_container`): the whole audio is
        decoded while probing, without reading the file again.

    Returns
    -------
    MediaInfo

    Raises
    ------
    MediaError
        Missing file, directory, empty file, not media, truncated beyond use,
        no decodable audio or video stream, or a URL/protocol.

    Notes
    -----
    The demuxing pass also stores the video frame index in the cache, so a
    later :meth:`FrameIndex.open` does not read the file again.
    """
    from timesync.media import cache

    name = os.fspath(path)
    if sha256 is not None and not _is_sha256(sha256):
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    container = open_input(name)
    try:
        hashing = None if sha256 else _hash_in_thread(name)
        size = os.stat(name).st_size
        try:
            info, scan = probe_container(
                container, name, sha256=sha256.lower() if sha256 else "", size_bytes=size,
                audio_sink=audio_sink,
            )
        except BaseException:
            if hashing is not None:
                hashing.result()  # a file the OS refuses is reported as the hash found it
            raise
        digest = sha256.lower() if sha256 else hashing.result()
        info = replace(info, sha256=digest)
    finally:
        container.close()
    video = info.video
    if video is not None and scan.streams.get(video.index) is not None:
        cache.store_scan(name, digest, scan.streams[video.index], scan.origin)  # only if hashed here
    return info


def _hash_in_thread(name: str):
    """A future of ``sha256_file(name)`` computed in a thread while the caller demuxes:
    hashlib and file reads release the GIL, so the hash costs no time where a core is free."""
    from concurrent.futures import Future
    from threading import Thread

    done: Future = Future()

    def run() -> None:
        try:
            done.set_result(sha256_file(name))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            done.set_exception(exc)

    Thread(target=run, name="timesync-sha256", daemon=True).start()
    return done


def summarize(info: MediaInfo) -> dict[str, Any]:
    """A small JSON-able summary of a probed file (container, duration, video and audio facts).

    This is the ``probe`` entry of a source in the project file; it needs no
    further reading of the file (``info`` already holds it).
    """
    summary: dict[str, Any] = {
        "container": info.container,
        "duration_s": info.duration_s,
        "size_bytes": info.size_bytes,
    }
    video, audio = info.video, info.audio
    if video is not None:
        fps = video.avg_fps
        summary["video"] = {
            "codec": video.codec,
            "width": video.width,
            "height": video.height,
            "fps": None if fps is None else float(fps),
            "frame_count": video.frame_count,
            "is_vfr": bool(video.is_vfr),
        }
    if audio is not None:
        summary["audio"] = {"codec": audio.codec, "sample_rate": audio.sample_rate, "channels": audio.channels}
    return summary
