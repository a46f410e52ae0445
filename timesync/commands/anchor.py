"""``timesync anchor PROJECT A.mp4@T B.mp4@T``: a manual anchor, then a new solve.

The anchor ("local time T in A is local time T in B") is checked (both times
inside their recordings), stored in the project's ``"anchors"`` list with a
history entry, and the clocks are solved again from the constraints stored in
the project plus every anchor (:func:`timesync.workflow.add_anchor`); each
changed clock is recorded in the project's history, and the project is saved
atomically. The sources are re-hashed first, as ``timesync verify`` does: a
changed or missing file is a warning. This module only parses the arguments
and prints the answer.
"""

from __future__ import annotations

import argparse
import math
import sys

HELP = "add a manual anchor (these two local times are one moment) and re-solve the clocks"
EPILOG = ("exit status: 0 anchored and solved, everything agrees; 1 anchored, but an anchor contradicts "
          "the others or the evidence (it is left out of the solve until resolved), some source is not "
          "aligned, or a source file changed or is missing; 3 bad project or arguments "
          "(nothing is written).")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "anchor", help=HELP,
        description=HELP + ". TIME is the local time in that file: seconds or H:MM:SS.mmm, "
                           "from 0 to the file's duration.",
        epilog=EPILOG,
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("first", metavar="A@T", help="a source and its local time")
    parser.add_argument("second", metavar="B@T", help="another source and its local time")
    parser.add_argument("--uncertainty", metavar="S",
                        help="one sigma of the anchor in seconds (default: one frame at 30 fps)")
    parser.add_argument("--author", metavar="NAME", help="who adds it (default: $TIMESYNC_AUTHOR or login name)")
    parser.set_defaults(func=run)


def _moment(text: str) -> tuple[str, float]:
    """``"camA.mp4@12.5"`` or ``"camA.mp4@0:00:12.500"`` -> (name, seconds); ``ProjectError`` if malformed."""
    from timesync.align.anchors import parse_anchor_time
    from timesync.errors import ProjectError

    name, sep, when = text.rpartition("@")
    if not sep or not name:
        raise ProjectError(f"anchor: expected FILE@TIME, got {text!r}")
    when = when.strip()
    negative = when.startswith("-")  # "-0:03" is -3 s: the sign is the whole time's
    rest = when[1:] if negative else when
    try:
        if rest.startswith(("-", "+")):
            raise ValueError(f"{when!r} is not a time (seconds or H:MM:SS.mmm)")
        seconds = parse_anchor_time(rest)
    except ValueError as exc:
        raise ProjectError(f"anchor: {text}: {exc}") from None
    return name, -seconds if negative else seconds


def _uncertainty(text: str | None) -> float | None:
    from timesync.errors import ProjectError

    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ProjectError(f"anchor: --uncertainty must be a number of seconds > 0, got {text!r}")
    return value


def _warn(text: str) -> None:
    print(f"timesync: warning: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from timesync.align.anchors import Anchor
    from timesync.errors import ProjectError
    from timesync.project import Project
    from timesync.project.verify import check_sources
    from timesync.workflow import add_anchor, source_name

    (first, first_s), (second, second_s) = _moment(args.first), _moment(args.second)
    uncertainty = _uncertainty(args.uncertainty)
    project = Project.load(args.project, verify=False)
    a, b = source_name(project, first), source_name(project, second)
    try:
        anchor = Anchor(a, first_s, b, second_s, uncertainty)
    except ValueError as exc:
        raise ProjectError(f"{project.label}: {exc}") from None
    resolution = add_anchor(project, anchor, author=args.author)  # checks the times first
    problems = [c.message for c in check_sources(project) if c.status in ("changed", "missing")]
    project.save()
    print(f"anchored {a} @ {first_s:.3f} s = {b} @ {second_s:.3f} s "
          f"({len(project.extra['anchors'])} anchor(s)); {resolution.placed} source(s) on the shared clock")
    for src in project.sources:
        clock = src.clock
        if clock is not None:
            print(f"  {src.name}: offset {clock.offset_s:+.6f} s, rate {clock.rate:.9f}, "
                  f"± {clock.uncertainty_s:.6f} s ({clock.method})")
    for text in problems:
        _warn(text)
    for text in resolution.disagreements:
        print(f"timesync: disagreement: {text}", file=sys.stderr)
    for name in resolution.unplaced:
        _warn(f"{name} is not on the shared clock")
    return 1 if resolution.unplaced or resolution.disagreements or problems else 0
