"""``timesync anchor PROJECT A.mp4@T B.mp4@T``: a manual anchor, then a new solve.

The anchor ("local time T in A is local time T in B") is stored in the
project's ``"anchors"`` list and the clocks are solved again from the
constraints stored in the project plus every anchor
(:func:`timesync.workflow.add_anchor`); each changed clock is recorded in the
project's history, and the project is saved atomically. This module only
parses the arguments and prints the answer.
"""

from __future__ import annotations

import argparse
import sys

HELP = "add a manual anchor (these two local times are one moment) and re-solve the clocks"


def _moment(text: str) -> tuple[str, float]:
    """``"camA.mp4@12.5"`` or ``"camA.mp4@0:00:12.500"`` -> (name, seconds); argparse type."""
    from timesync.align.anchors import parse_anchor_time

    name, sep, when = text.rpartition("@")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected FILE@TIME, got {text!r}")
    try:
        return name, parse_anchor_time(when)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "anchor", help=HELP,
        description=HELP + ". TIME is the local time in that file: seconds or H:MM:SS.mmm.",
        epilog="exit status: 0 anchored and solved; 1 anchored but some source is not aligned; "
               "3 bad project or arguments.",
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("first", type=_moment, metavar="A@T", help="a source and its local time")
    parser.add_argument("second", type=_moment, metavar="B@T", help="another source and its local time")
    parser.add_argument("--uncertainty", type=float, metavar="S",
                        help="one sigma of the anchor in seconds (default: one frame at 30 fps)")
    parser.add_argument("--author", metavar="NAME", help="who adds it (default: $TIMESYNC_AUTHOR or login name)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from timesync.align.anchors import Anchor
    from timesync.errors import ProjectError
    from timesync.project import Project
    from timesync.workflow import add_anchor, source_name

    project = Project.load(args.project, verify=False)
    (first, first_s), (second, second_s) = args.first, args.second
    a, b = source_name(project, first), source_name(project, second)
    if args.uncertainty is not None and not args.uncertainty > 0:
        raise ProjectError(f"{project.label}: --uncertainty must be > 0 s, got {args.uncertainty}")
    try:
        anchor = Anchor(a, first_s, b, second_s, args.uncertainty)
    except ValueError as exc:
        raise ProjectError(f"{project.label}: {exc}") from None
    resolution = add_anchor(project, anchor, author=args.author)
    placed, unplaced = resolution.placed, resolution.unplaced
    project.save()
    print(f"anchored {a} @ {first_s:.3f} s = {b} @ {second_s:.3f} s "
          f"({len(project.extra['anchors'])} anchor(s)); {placed} source(s) on the shared clock")
    for src in project.sources:
        clock = src.clock
        if clock is not None:
            print(f"  {src.name}: offset {clock.offset_s:+.6f} s, rate {clock.rate:.9f}, "
                  f"± {clock.uncertainty_s:.6f} s ({clock.method})")
    for name in unplaced:
        print(f"timesync: warning: {name} is not on the shared clock", file=sys.stderr)
    return 1 if unplaced else 0
