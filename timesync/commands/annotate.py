"""``timesync annotate PROJECT --type TYPE --at SHARED_S``: add an event to a project."""

from __future__ import annotations

import argparse
import math
from typing import Any

from timesync.errors import ProjectError

HELP = "add an event (annotation) to a project at a shared-clock time"


def parse_seconds(text: str) -> float:
    """Seconds from ``"101.304"`` or ``"1:41.304"`` / ``"0:01:41.304"`` (H:MM:SS); argparse type.

    Only the first field may carry a sign or reach 60; minutes and seconds after
    a colon are in [0, 60) (``"1:99"`` is refused, not read as 159 s).
    """
    bad = argparse.ArgumentTypeError(f"not a time in seconds or H:MM:SS: {text!r}")
    parts = text.strip().split(":")
    if len(parts) > 3 or not all(parts):
        raise bad
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise bad from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"not a finite time: {text!r}")
    if any(not 0.0 <= v < 60.0 or p.strip()[:1] in "+-" for p, v in zip(parts[1:], values[1:], strict=True)):
        raise argparse.ArgumentTypeError(f"minutes and seconds after a colon must be 0 to 59.999: {text!r}")
    sign = -1.0 if text.strip().startswith("-") else 1.0
    total = 0.0
    for value in values:
        total = total * 60.0 + abs(value)
    return sign * total


def seconds_text(value: float) -> str:
    """``"12.345 s"`` for a message (``"1e+300 s"`` when it is too large to print in full)."""
    return f"{value:.3f} s" if abs(value) < 1e9 else f"{value:.6g} s"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "annotate",
        help=HELP,
        description=HELP + ". The project is re-hashed on open (a changed or missing source is a warning) "
        "and saved atomically. A time outside every recording's span on the shared clock is refused "
        "unless --allow-outside is given.",
        epilog="exit status: 0 added; 2 wrong command line; 3 bad project or arguments that do not fit it "
        "(unknown type or source, end before start, a time outside every recording).",
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    from timesync.project.vocabulary import default_event_types

    parser.add_argument("--type", required=True, dest="event_type", help="event type (see the project's vocabulary; "
                        f"a new project's: {', '.join(default_event_types())})")
    parser.add_argument("--at", required=True, type=parse_seconds, metavar="SHARED_S",
                        help="shared-clock time of the event: seconds or H:MM:SS.sss")
    parser.add_argument("--end", type=parse_seconds, metavar="SHARED_S", help="end of an interval event")
    parser.add_argument("--source", metavar="SOURCE",
                        help="the source where it was observed: its name, path, or file name when unique")
    parser.add_argument("--note", default="", metavar="TEXT", help="free text")
    parser.add_argument("--author", metavar="NAME", help="who adds it (default: $TIMESYNC_AUTHOR or login name)")
    parser.add_argument("--new-type", action="store_true",
                        help="add TYPE to the project's vocabulary if it is not there yet")
    parser.add_argument("--allow-outside", action="store_true",
                        help="accept a time outside every recording (e.g. known from a statement)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import open_project
    from timesync.project.names import resolve_source

    project = open_project(args.project)
    event_type = " ".join(args.event_type.split())
    if not args.new_type and event_type not in project.vocabulary:
        raise ProjectError(
            f"{project.label}: unknown event type {event_type!r} (known: {', '.join(project.vocabulary)}); "
            "pass --new-type to add it"
        )
    source = resolve_source(project, args.source) if args.source is not None else None
    if args.new_type:
        event_type = project.add_event_type(event_type, author=args.author)
    ann = project.add_annotation(
        event_type, args.at, args.end, source=source, note=args.note, author=args.author
    )
    if not args.allow_outside:  # after the project's own checks (end before start...); nothing saved yet
        _check_recorded(project, ann.shared_s, ann.end_s)
    project.save()
    span = f"{ann.shared_s:.6f} s" if ann.end_s is None else f"{ann.shared_s:.6f} to {ann.end_s:.6f} s"
    print(f"{ann.id}\t{ann.type}\t{span}")
    return 0


def _check_recorded(project: Any, at_s: float, end_s: float | None) -> None:
    """Refuse ``--at``/``--end`` outside every recording's span on the shared clock."""
    from timesync.project.locate import format_spans, recorded_spans, within

    spans = recorded_spans(project)
    if spans is None:
        return  # no aligned source, or one of unknown duration: nothing to check against
    for option, when in (("--at", at_s), ("--end", end_s)):
        if when is not None and not within(spans, when):
            covered = format_spans(spans)
            raise ProjectError(
                f"{project.label}: {option} {seconds_text(when)} is outside every recording (on the shared clock they "
                f"cover {covered}); pass --allow-outside to add it anyway"
            )
