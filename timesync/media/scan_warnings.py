"""The sentences :func:`timesync.media.scan.scan_container` adds to a file's warnings.

Each starts with the file's name (``"<path>: ..."``) and says what was found, how much
and where (local seconds, from the file's origin), and what it means for the evidence.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from timesync.media.scan import StreamScan

__all__ = ["failure_warning", "gap_warning", "stream_warnings"]


def stream_warnings(stream_scan: StreamScan, name: str) -> list[str]:
    """Repeated PTS, a video starting without a keyframe, packets flagged corrupt."""
    warnings: list[str] = []
    if stream_scan.pts is not None and len(stream_scan.pts) > 1:
        repeated = int(np.count_nonzero(np.diff(stream_scan.pts) == 0))
        if repeated:
            warnings.append(
                f"{name}: {repeated} frame(s) of stream {stream_scan.index} repeat another "
                "frame's PTS: those frames cannot be told apart by time"
            )
    if stream_scan.undecodable:
        warnings.append(
            f"{name}: the video starts without a keyframe: {stream_scan.undecodable} "
            "packet(s) before the first decodable frame are not counted as frames"
        )
    if stream_scan.corrupt:
        warnings.append(
            f"{name}: {stream_scan.corrupt} packet(s) of stream {stream_scan.index} are "
            "corrupt or incomplete: the file may be truncated or damaged"
        )
    return warnings


def failure_warning(scan: StreamScan, origin: Fraction, name: str) -> str:
    """The sentence for packets the decoder refused (``scan.failed_packets`` > 0): how
    many, how much time they held (s), where the first was (local s) and why."""
    where = ""
    if scan.first_failed_pts is not None:
        where = f", the first at {float(scan.first_failed_pts * scan.time_base - origin):.3f} s"
    lost = f"{float(scan.failed_ticks * scan.time_base):.3f} s"
    if scan.failed_unknown:
        lost = f"at least {lost}" if scan.failed_ticks else "an unknown duration"
    silent = " (left silent)" if scan.kind == "audio" else ""
    return (
        f"{name}: {scan.failed_packets} packet(s) of {scan.kind} stream {scan.index} could not "
        f"be decoded{where} ({scan.failure}): {lost} of {scan.kind} lost{silent}, the file may "
        "be damaged; they are skipped as FFmpeg does, the rest keeps its timing"
    )


def gap_warning(scan: StreamScan, origin: Fraction, name: str) -> str:
    """The sentence for timestamp gaps (``scan.gaps`` > 0)."""
    ticks, at = scan.largest_gap or (0, 0)
    return (
        f"{name}: {scan.gaps} timestamp gap(s) in {scan.kind} stream {scan.index}, the "
        f"largest {float(ticks * scan.time_base):.3f} s at {float(at * scan.time_base - origin):.3f} s: "
        "the recording paused or lost data there"
    )
