"""One demuxing pass over a file: every packet's timestamp, no decoding.

The pass gives what :func:`timesync.media.probe` and
:class:`timesync.media.FrameIndex` both need: per audio/video stream the
presentation timestamps of its packets (packets only; a packet without a PTS
uses its DTS; packets FFmpeg marks "discard", such as AAC priming in MP4 edit
lists, are left out because the decoder drops them), and the file's
**origin**: the earliest stream start, in container seconds, which is local
time 0 (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import numpy as np

from timesync.media.byteclock import ByteClock
from timesync.media.scan_warnings import failure_warning, gap_warning, stream_warnings

__all__ = [
    "StreamScan",
    "FileScan",
    "AudioSink",
    "scan_container",
    "quick_origin",
    "median_delta",
    "av_streams",
    "is_attached_picture",
    "display_rotation",
    "decode_skipping",
]

#: Packets decoded at most, from the start, to get a stream's first frame
#: (a video cut mid-GOP shows nothing until its first keyframe).
DECODE_TRIES = 64
VIDEO_DECODE_TRIES = 1000
#: A jump of more than this many seconds between where one packet ends and the
#: next starts (video: also more than 4 median frame durations) is a timestamp
#: gap: the recording paused or lost data there.
TIMESTAMP_GAP_S = 0.5


@dataclass
class StreamScan:
    """Timestamps of one stream's packets, in its ``time_base`` ticks.

    ``pts`` is kept for video streams only (sorted, presentation order);
    audio streams keep their first PTS and end.
    """

    index: int
    kind: str
    time_base: Fraction
    count: int = 0
    first_pts: int | None = None
    end_pts: int | None = None
    pts: np.ndarray | None = None  # int64, sorted (video only)
    last_duration: int | None = None  # ticks of the last presented frame (video only)
    keyframes: np.ndarray | None = None  # int64 sorted PTS of keyframe packets (video only)
    decoded_start: Fraction | None = None  # audio: container seconds of the first decoded sample
    corrupt: int = 0  # packets FFmpeg flagged corrupt
    decoded: bool = False  # the first packets gave a frame
    decode_error: str | None = None
    rotation: int | None = None  # video: clockwise display rotation from the first frame
    undecodable: int = 0  # video packets before the first decodable frame (left out)
    first_frame_pts: int | None = None  # video: PTS of the first decoded frame
    first_samples: int | None = None  # audio: samples in the first decoded frame
    failed_packets: int = 0  # packets after the first frame that would not decode (skipped)
    failed_ticks: int = 0  # their summed durations (ticks; packets of unknown duration add 0)
    failed_unknown: int = 0  # how many of them had no duration
    first_failed_pts: int | None = None  # PTS (or DTS) of the first of them
    failure: str | None = None  # what the decoder said about the first of them
    gaps: int = 0  # timestamp gaps (see TIMESTAMP_GAP_S)
    largest_gap: tuple[int, int] | None = None  # (ticks, PTS where it starts) of the largest

    @property
    def start(self) -> Fraction | None:
        """Container seconds where the stream starts, exact.

        Video: the first presented packet. Audio: the first decoded sample
        when the first packets could be decoded (the decoder drops encoder
        priming, which some containers do not flag), else the first packet.
        """
        if self.decoded_start is not None:
            return self.decoded_start
        if self.first_pts is None:
            return None
        first = self.first_pts
        if self.first_frame_pts is not None and self.first_frame_pts > first:
            first = self.first_frame_pts  # packets shown before it never decode
        return first * self.time_base

    @property
    def end(self) -> Fraction | None:
        """Container seconds where the stream ends (last PTS + its duration), exact."""
        return None if self.end_pts is None else self.end_pts * self.time_base


@dataclass
class FileScan:
    """Every audio/video stream's scan, the origin, and warnings met on the way."""

    streams: dict[int, StreamScan]
    origin: Fraction
    warnings: list[str] = field(default_factory=list)


def is_attached_picture(stream) -> bool:
    """True for a cover image stored as a "video" stream (MP3/M4A artwork)."""
    import av

    return stream.type == "video" and bool(stream.disposition & av.stream.Disposition.attached_pic)


def av_streams(container) -> list:
    """The audio and video streams that carry time (cover images left out)."""
    return [
        s for s in container.streams if s.type in ("video", "audio") and not is_attached_picture(s)
    ]


def display_rotation(stream, frame=None) -> int:
    """Degrees clockwise (0, 90, 180, 270) to turn a video's frames upright.

    From the decoded frame's display matrix (FFmpeg's counter-clockwise angle,
    negated), else the stream's legacy ``rotate`` tag (already clockwise).
    Angles that are not a multiple of 90 are rounded to the nearest one.
    """
    angle = None
    if frame is not None and frame.rotation:
        angle = -float(frame.rotation)
    else:
        tag = next((v for k, v in stream.metadata.items() if str(k).lower() == "rotate"), None)
        try:
            angle = float(tag) if tag is not None else None
        except ValueError:
            angle = None
    if angle is None:
        return 0
    return (round(angle / 90) * 90) % 360


def median_delta(pts: np.ndarray) -> int | None:
    """Median positive difference between consecutive sorted PTS (ticks), rounded."""
    if len(pts) < 2:
        return None
    deltas = np.diff(pts)
    deltas = deltas[deltas > 0]
    if len(deltas) == 0:
        return None
    return int(round(float(np.median(deltas))))


class _Collector:
    """Accumulates one stream's packet timestamps during the demux.

    It also decodes the stream's first packets until one frame comes out:
    for audio that frame's PTS is where the stream starts (after priming the
    decoder drops); for video it gives the display rotation and proves the
    stream decodes (``decode_video=False`` skips the video part).
    """

    def __init__(self, stream, *, decode_video: bool = True, sink: AudioSink | None = None) -> None:
        self.stream = stream
        self.sink = sink if stream.type == "audio" else None
        self.scan = StreamScan(stream.index, stream.type, Fraction(stream.time_base))
        self.keep_all = stream.type == "video"
        self.pts: list[int] = []
        self.max_pts: int | None = None  # the latest PTS seen and its packet duration
        self.max_pts_duration = 0
        self.audio_end: int | None = None  # audio: where the previous packet ends (ticks)
        self.gap_ticks = TIMESTAMP_GAP_S / self.scan.time_base if self.scan.time_base else None
        self.keyframes: list[int] = []
        wants_decode = stream.type == "audio" or (decode_video and stream.type == "video")
        self.max_tries = VIDEO_DECODE_TRIES if stream.type == "video" else DECODE_TRIES
        self.decode_tries = 0 if wants_decode else self.max_tries
        if wants_decode and stream.codec_context is None:
            self.decode_tries = self.max_tries
            self.scan.decode_error = "FFmpeg has no decoder for this codec"

    @property
    def settled(self) -> bool:
        """True once the first frame was decoded (or decoding was given up)."""
        return self.decode_tries >= self.max_tries

    def _decode_first(self, packet) -> None:
        """Decode one of the first packets; note what the first decoded frame tells."""
        import av

        self.decode_tries += 1
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError) as exc:
            self.scan.decode_error = str(exc)  # leading garbage is common: keep trying
            return
        self._note_first(frames)

    def _decode_for_sink(self, packet) -> None:
        """Decode every packet (the end-of-stream one flushes the decoder) and hand the
        frames to the sink, noting the first frame as :meth:`_decode_first` does. On a
        decoding error the sink hears of it and is dropped."""
        import av

        settled = self.settled
        if not settled:
            self.decode_tries += 1
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError) as exc:
            if not self.scan.decoded and not settled:
                self.scan.decode_error = str(exc)
            if self.scan.decoded or not self.settled:  # damage: skip the packet, as FFmpeg does
                if not packet.is_discard:  # priming the decoder drops anyway is no loss
                    self._note_failure(packet, exc)
                return
            self.sink.failed(exc)
            self.sink = None
            return
        if not settled:
            self._note_first(frames)
        self.sink.frames(frames)

    def _note_failure(self, packet, exc: Exception) -> None:
        """Count a packet the decoder refused once frames came out (its time is left out)."""
        scan = self.scan
        scan.failed_packets += 1
        if packet.duration:
            scan.failed_ticks += int(packet.duration)
        else:
            scan.failed_unknown += 1
        if scan.failure is None:
            scan.failure = getattr(exc, "strerror", None) or str(exc)
            ts = packet.pts if packet.pts is not None else packet.dts
            scan.first_failed_pts = None if ts is None else int(ts)

    def _note_first(self, frames) -> None:
        for frame in frames:
            self.decode_tries = self.max_tries
            self.scan.decoded = True
            if self.scan.kind == "video":
                self.scan.rotation = display_rotation(self.stream, frame)
                self.scan.first_frame_pts = frame.pts
            elif frame.pts is not None and frame.samples:
                tb = Fraction(frame.time_base) if frame.time_base else self.scan.time_base
                self.scan.decoded_start = frame.pts * tb
                self.scan.first_samples = frame.samples
            return

    def add(self, packet) -> None:
        if self.sink is not None:
            self._decode_for_sink(packet)
        elif not self.settled:
            self._decode_first(packet)
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is None or packet.size == 0 or packet.is_discard:
            return
        scan = self.scan
        scan.count += 1
        if packet.is_corrupt:
            scan.corrupt += 1
        duration = int(packet.duration or 0)
        if scan.first_pts is None or ts < scan.first_pts:
            scan.first_pts = int(ts)
        end = int(ts) + duration
        if scan.end_pts is None or end > scan.end_pts:
            scan.end_pts = end
        if not self.keep_all and duration:  # audio packets come in time order
            if self.audio_end is not None:
                self._note_gap(int(ts) - self.audio_end, self.audio_end)
            self.audio_end = end
        if self.keep_all:
            self.pts.append(int(ts))
            if self.max_pts is None or ts >= self.max_pts:
                self.max_pts, self.max_pts_duration = int(ts), duration
            if packet.is_keyframe:
                self.keyframes.append(int(ts))

    def _note_gap(self, ticks: int, at: int) -> None:
        """Count a jump of ``ticks`` starting at PTS ``at`` if it is a timestamp gap."""
        if self.gap_ticks is None or ticks <= self.gap_ticks:
            return
        scan = self.scan
        scan.gaps += 1
        if scan.largest_gap is None or ticks > scan.largest_gap[0]:
            scan.largest_gap = (ticks, at)

    def _video_gaps(self, pts: np.ndarray) -> None:
        """Timestamp gaps between consecutive frames (sorted PTS)."""
        median = median_delta(pts)
        if median is None:
            return
        deltas = np.diff(pts)
        for k in np.flatnonzero(deltas > 4 * median):
            self._note_gap(int(deltas[k]) - median, int(pts[k]) + median)

    def finish(self) -> StreamScan:
        scan = self.scan
        if not self.keep_all or not self.pts:
            return scan
        pts = np.array(sorted(self.pts), dtype=np.int64)
        keyframes = np.array(sorted(self.keyframes), dtype=np.int64)
        first_frame = scan.first_frame_pts
        if first_frame is not None and pts[0] < first_frame <= pts[-1]:
            # a file cut mid-GOP: packets shown before the first decodable frame never decode
            keep = pts >= first_frame
            scan.undecodable = int(np.count_nonzero(~keep))
            pts = pts[keep]
            keyframes = keyframes[keyframes >= first_frame]
            scan.count = len(pts)
            scan.first_pts = int(pts[0])
        scan.pts = pts
        scan.keyframes = keyframes
        last = int(pts[-1])
        duration = (self.max_pts_duration if self.max_pts == last else 0) or median_delta(pts) or 0
        scan.last_duration = int(duration)
        scan.end_pts = last + scan.last_duration
        self._video_gaps(pts)
        return scan


class AudioSink(Protocol):
    """Receives the first audio stream's decoded frames during :func:`scan_container`."""

    def frames(self, frames: list) -> None:
        """The frames of the next packet, in decoding order (possibly none)."""

    def failed(self, error: Exception) -> None:
        """Decoding or demuxing failed: no more frames will come."""


def scan_container(container, name: str, *, audio_sink: AudioSink | None = None) -> FileScan:
    """Demux every audio and video packet of an open container once.

    Parameters
    ----------
    container : av.container.InputContainer
        Opened read-only, positioned at the start.
    name : str
        The file name for warnings.
    audio_sink : AudioSink, optional
        When given, every packet of the first audio stream is decoded in this pass
        and its frames handed to the sink (in the order ``container.decode(stream)``
        gives them), so a caller that needs the whole audio reads the file once.

    Returns
    -------
    FileScan
        With ``origin`` the earliest stream start (container seconds, exact);
        a file cut short keeps what could be read and gets a warning.
    """
    import av

    wanted = av_streams(container)
    first_audio = next((s.index for s in wanted if s.type == "audio"), None)
    collectors = {
        s.index: _Collector(s, sink=audio_sink if s.index == first_audio else None)
        for s in wanted
    }
    clocks = {s.index: ByteClock(container, s) for s in wanted if s.type == "audio"}
    warnings: list[str] = []
    try:
        for packet in container.demux(*wanted):
            collector = collectors.get(packet.stream_index)
            if collector is not None:
                if packet.stream_index in clocks:  # raw CBR MP3: a damaged frame is a gap, not a shift
                    clocks[packet.stream_index].retime(packet)
                collector.add(packet)
    except (av.error.FFmpegError, EOFError, IndexError) as exc:
        sink = collectors[first_audio].sink if first_audio is not None else None
        if sink is not None:
            sink.failed(exc)  # the audio was not read to its end
        # IndexError: PyAV meets a stream the header did not announce (a damaged file)
        reason = (
            "a stream appeared that the header did not announce"
            if isinstance(exc, IndexError)
            else exc
        )
        warnings.append(
            f"{name}: demuxing stopped early, the file may be truncated or damaged ({reason})"
        )
    streams = {index: c.finish() for index, c in collectors.items()}
    for collector in collectors.values():
        if collector.scan.count and collector.scan.rotation is None and collector.keep_all:
            collector.scan.rotation = display_rotation(collector.stream)
    for stream_scan in streams.values():
        warnings.extend(stream_warnings(stream_scan, name))
    starts = [s.start for s in streams.values() if s.start is not None]
    origin = min(starts) if starts else Fraction(0)
    warnings.extend(failure_warning(s, origin, name) for s in streams.values() if s.failed_packets)
    warnings.extend(gap_warning(s, origin, name) for s in streams.values() if s.gaps)
    warnings.extend(w for i, c in clocks.items() if (w := c.warning(name, i, origin)) is not None)
    return FileScan(streams=streams, origin=origin, warnings=warnings)


def decode_skipping(container, stream) -> Iterator:
    """``container.decode(stream)``, except that a packet the decoder refuses (damaged
    media data) is skipped, as FFmpeg does: a gap in time, not a shift of what follows
    (frames keep their PTS; a raw CBR MP3's packets take their byte times,
    :class:`timesync.media.byteclock.ByteClock`). Only :data:`DECODE_TRIES` refused packets before any frame
    (nothing decodes) and demuxing errors are raised."""
    import av

    decoded, refused = False, 0
    clock = ByteClock(container, stream)
    for packet in container.demux(stream):
        clock.retime(packet)  # raw CBR MP3: a damaged frame is a gap of silence, not a shift
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError):
            refused += 1
            if not decoded and refused >= DECODE_TRIES:
                raise
            continue
        for frame in frames:
            decoded = True
            yield frame


#: :func:`quick_origin` reads at most this many packets, and stops earlier
#: once every audio/video stream has shown this many.
QUICK_MAX_PACKETS = 20000
QUICK_PER_STREAM = 64


def quick_origin(
    container, first_samples: dict[int, int] | None = None
) -> tuple[Fraction, dict[int, Fraction]]:
    """The origin and each stream's start from the first packets only.

    Reads packets from the start, with the same rules as
    :func:`scan_container`, until every audio/video stream has shown
    :data:`QUICK_PER_STREAM` packets and every audio start is settled (the
    earliest PTS of a stream with B-frames is among its first packets). A
    stream not seen falls back to FFmpeg's ``start_time``. Leaves the
    container at an unspecified position.

    Returns
    -------
    origin : Fraction
        Container seconds of local time 0.
    starts : dict of int to Fraction
        Container seconds where each audio/video stream starts.

    When ``first_samples`` is given, it receives the sample count of each
    audio stream's first decoded frame (the phase of its frame grid).
    """
    import av

    wanted = av_streams(container)
    collectors = {s.index: _Collector(s) for s in wanted}
    total = 0
    try:
        for packet in container.demux(*wanted):
            collector = collectors.get(packet.stream_index)
            if collector is None:
                continue
            collector.add(packet)
            total += 1
            if total >= QUICK_MAX_PACKETS or all(
                c.scan.count >= QUICK_PER_STREAM and c.settled for c in collectors.values()
            ):
                break
    except (av.error.FFmpegError, EOFError, IndexError):
        pass
    starts: dict[int, Fraction] = {}
    for stream in wanted:
        start = collectors[stream.index].scan.start
        if start is None and stream.start_time is not None:
            start = stream.start_time * Fraction(stream.time_base)
        if start is not None:
            starts[stream.index] = start
        count = collectors[stream.index].scan.first_samples
        if first_samples is not None and count:
            first_samples[stream.index] = count
    origin = min(starts.values()) if starts else Fraction(0)
    return origin, starts
