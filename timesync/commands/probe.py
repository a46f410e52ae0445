"""``timesync probe FILE [--json]``: what a media file holds.

Prints the container, duration, SHA-256, every stream (codec, size, rotation,
frame rates, exact frame count, VFR) and the tags that help place the
recording in time; ``--json`` prints :meth:`MediaInfo.to_dict` instead.
Warnings (e.g. a truncated file) go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register", "run", "format_summary"]


def register(subparsers) -> None:
    """Add the ``probe`` subcommand."""
    parser = subparsers.add_parser(
        "probe",
        help="show streams, exact frame count, VFR, tags and SHA-256 of a media file",
        description=(
            "Print what a media file holds: container, duration, SHA-256, every stream "
            "(codec, size, rotation, frame rates, exact frame count from the packets, VFR) "
            "and the tags that help place the recording in time (creation time, timecode, "
            "device). The file is only read. Warnings (e.g. a truncated file) go to stderr."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the media file (read-only)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    parser.set_defaults(func=run)


def _fps(value) -> str:
    if value is None:
        return "?"
    return f"{float(value):.3f}".rstrip("0").rstrip(".") + (
        f" ({value})" if value.denominator != 1 else ""
    )


def _stream_line(stream) -> str:
    from timesync.timeutil import format_hms

    start = f"starts {format_hms(stream.start_s)}" if stream.start_s is not None else "no packets"
    dur = f", lasts {format_hms(stream.duration_s)}" if stream.duration_s is not None else ""
    head = f"  #{stream.index} {stream.kind:<5} {stream.codec}"
    if stream.kind == "video":
        rot = f", rotation {stream.rotation}° cw" if stream.rotation else ""
        vfr = "VFR" if stream.is_vfr else "CFR"
        return (
            f"{head}: {stream.width}x{stream.height}{rot}, {stream.frame_count} frames, {vfr}, "
            f"avg {_fps(stream.avg_fps)} fps, real {_fps(stream.real_fps)} fps, {start}{dur}"
        )
    if stream.kind == "audio":
        return f"{head}: {stream.sample_rate} Hz, {stream.channels} ch, {start}{dur}"
    return f"{head}"


def format_summary(info) -> str:
    """A human-readable, multi-line summary of a :class:`MediaInfo`."""
    from timesync.timeutil import format_hms

    lines = [
        f"{info.path}",
        f"  container {info.container}, duration {format_hms(info.duration_s)} "
        f"({info.duration_s:.6f} s), {info.size_bytes} bytes",
        f"  origin (local 0) at {info.origin_s:.6f} s container time"
        + (f", container start {info.start_time_s:.6f} s" if info.start_time_s is not None else ""),
        f"  sha256 {info.sha256}",
        "streams:",
        *(_stream_line(s) for s in info.streams),
    ]
    tags = info.tags
    known = [
        ("creation_time", tags.creation_time.isoformat() if tags.creation_time else None),
        ("timecode", tags.timecode),
        ("make", tags.make),
        ("model", tags.model),
        ("serial", tags.serial),
        ("encoder", tags.encoder),
    ]
    present = [(k, v) for k, v in known if v]
    if present:
        lines.append("tags:")
        lines.extend(f"  {k}: {v}" for k, v in present)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Probe ``args.file``; print a summary or JSON. Exit 0 (errors raise MediaError)."""
    from timesync.media import probe

    info = probe(args.file)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_summary(info))
    for warning in info.warnings:
        print(f"timesync: warning: {warning}", file=sys.stderr)
    return 0
