"""``timesync anchor PROJECT A.mp4@T B.mp4@T``: a manual anchor, then a new solve
(``timesync anchor PROJECT --remove N``: take anchor N out again).

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
from typing import Any

from timesync.commands.common import warn

HELP = "add a manual anchor (these two local times are one moment) and re-solve the clocks"
EPILOG = ("exit status: 0 anchored (or removed) and solved, everything agrees; 1 done, but an anchor "
          "contradicts the others or the evidence (it is left out of the solve until it is removed with "
          "--remove N or the others change), some source is not aligned, or a source file changed or is "
          "missing; 3 bad project or arguments (nothing is written).")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "anchor", help=HELP,
        description=HELP + ". TIME is the local time in that file: seconds or H:MM:SS.mmm, "
                           "from 0 to the file's duration.",
        epilog=EPILOG,
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("first", metavar="A@T", nargs="?", help="a source and its local time")
    parser.add_argument("second", metavar="B@T", nargs="?", help="another source and its local time")
    parser.add_argument("--remove", metavar="N", help="remove anchor N (as messages number them) instead")
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


def _number(text: str) -> int:
    from timesync.errors import ProjectError

    try:
        return int(text)
    except ValueError:
        raise ProjectError(f"anchor: --remove takes an anchor number (1, 2...), got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from timesync.errors import ProjectError
    from timesync.project import Project
    from timesync.project.verify import check_sources

    if args.remove is not None:
        if args.first is not None:
            raise ProjectError("anchor: give either A@T B@T or --remove N, not both")
        number = _number(args.remove)
        project = Project.load(args.project, verify=False)
        heading, resolution = _remove(project, number, args.author)
    else:
        if args.second is None:
            raise ProjectError("anchor: give two moments, A@T B@T (or --remove N)")
        moments = _moment(args.first), _moment(args.second)
        uncertainty = _uncertainty(args.uncertainty)
        project = Project.load(args.project, verify=False)
        heading, resolution = _add(project, moments, uncertainty, args.author)
    problems = [c.message for c in check_sources(project) if c.status in ("changed", "missing")]
    project.save()
    print(f"{heading}; {resolution.placed} source(s) on the shared clock")
    for src in project.sources:
        clock = src.clock
        if clock is not None:
            print(f"  {src.name}: offset {clock.offset_s:+.6f} s, rate {clock.rate:.9f}, "
                  f"± {clock.uncertainty_s:.6f} s ({clock.method})")
    for text in problems:
        warn(text)
    for text in resolution.disagreements:
        print(f"timesync: disagreement: {text}", file=sys.stderr)
    for name in resolution.unplaced:
        warn(f"{name} is not on the shared clock")
    return 1 if resolution.unplaced or resolution.disagreements or problems else 0


def _add(project: Any, moments: tuple[tuple[str, float], tuple[str, float]], uncertainty: float | None,
         author: str | None) -> tuple[str, Any]:
    """Add the anchor; returns the heading line and the :class:`~timesync.workflow.Resolution`."""
    from timesync.align.anchors import Anchor
    from timesync.errors import ProjectError
    from timesync.project.names import resolve_source
    from timesync.workflow import add_anchor

    (first, first_s), (second, second_s) = moments
    a, b = resolve_source(project, first), resolve_source(project, second)
    try:
        anchor = Anchor(a, first_s, b, second_s, uncertainty)
    except ValueError as exc:
        raise ProjectError(f"{project.label}: {exc}") from None
    resolution = add_anchor(project, anchor, author=author)  # checks the times first
    return (f"anchored {a} @ {first_s:.3f} s = {b} @ {second_s:.3f} s "
            f"({len(project.extra['anchors'])} anchor(s))"), resolution


def _remove(project: Any, number: int, author: str | None) -> tuple[str, Any]:
    """Remove anchor ``number``; returns the heading line and the Resolution."""
    from timesync.align.anchors import describe
    from timesync.workflow import remove_anchor

    removed, resolution = remove_anchor(project, number, author=author)
    left = len(project.extra.get("anchors") or [])
    return f"removed {describe(removed, number - 1)} ({left} anchor(s) left)", resolution
