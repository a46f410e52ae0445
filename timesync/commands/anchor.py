"""``timesync anchor PROJECT A.mp4@T B.mp4@T``: a manual anchor, then a new solve.

The anchor ("local time T in A is local time T in B") is stored in the
project's ``"anchors"`` list; the clocks are solved again from the constraints
stored in the project plus every anchor (:func:`timesync.align.solve.solve`),
each changed clock is recorded in the project's history, and the project is
saved atomically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

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


def _find(project: Any, name: str) -> str:
    """The project's name for a source given by name, path or file name."""
    from timesync.errors import ProjectError

    for src in project.sources:
        if name in (src.name, src.path):
            return src.name
    matches = [s.name for s in project.sources if Path(s.path).name == Path(name).name]
    if len(matches) == 1:
        return matches[0]
    raise ProjectError(f"{project.label}: no source named {name!r}")


def stored_constraints(project: Any) -> list:
    """The non-manual constraints stored in the project, once each, named by project source names."""
    from timesync.align.constraints import Constraint

    names = [s.name for s in project.sources]
    out = []
    for i, src in enumerate(project.sources):
        for entry in src.constraints:
            kind = entry.get("kind")
            if kind == "manual":
                continue  # anchors are re-derived from the anchors list
            try:
                other = _find(project, str(entry.get("with")))
            except Exception:  # noqa: BLE001 - a constraint naming no source of the project is skipped
                continue
            if other == src.name or names.index(other) < i:
                continue  # the same constraint seen from the other side
            try:
                out.append(Constraint(
                    source=src.name, other=other, offset_s=float(entry["offset_s"]),
                    uncertainty_s=float(entry["uncertainty_s"]), kind=kind,
                    rate=float(entry.get("rate") or 1.0), score=float(entry.get("score") or 0.0),
                    rate_uncertainty=None if entry.get("rate_uncertainty") is None
                    else float(entry["rate_uncertainty"]),
                    at_source_s=float(entry.get("at_source_s") or 0.0)))
            except (KeyError, TypeError, ValueError):
                continue
    return out


def resolve_with_anchors(project: Any, *, author: str | None = None) -> tuple[int, list[str]]:
    """Solve the project's clocks from its constraints and anchors; set every changed clock.

    Returns
    -------
    (placed, unplaced)
        How many sources are on the shared clock, and the names of those not placed.
    """
    from timesync.align.anchors import Anchor, anchor_constraints
    from timesync.align.solve import solve
    from timesync.errors import ProjectError

    anchors = [Anchor.from_dict(a) for a in project.extra.get("anchors", [])]
    constraints = stored_constraints(project) + anchor_constraints(anchors)
    names = [s.name for s in project.sources]
    reference = project.reference or (names[0] if names else None)
    if reference is None:
        raise ProjectError(f"{project.label}: the project has no sources")
    durations = {s.name: s.duration_s for s in project.sources if s.duration_s}
    solution = solve(names, constraints, reference, durations=durations)
    unplaced = []
    for name in names:
        clock = solution.clocks.get(name)
        if clock is None:
            unplaced.append(name)
            continue
        old = project.clock(name)
        if old is not None and old.method == clock.method and abs(old.offset_s - clock.offset_s) < 1e-9 \
                and abs(old.rate - clock.rate) < 1e-12 and abs(old.uncertainty_s - clock.uncertainty_s) < 1e-9:
            continue  # the same clock up to rounding: no history entry
        project.set_source_clock(name, clock, author=author, method=clock.method)
    return len(names) - len(unplaced), unplaced


def run(args: argparse.Namespace) -> int:
    from timesync.align.anchors import Anchor
    from timesync.errors import ProjectError
    from timesync.project import Project

    project = Project.load(args.project, verify=False)
    (first, first_s), (second, second_s) = args.first, args.second
    a, b = _find(project, first), _find(project, second)
    if args.uncertainty is not None and not args.uncertainty > 0:
        raise ProjectError(f"{project.label}: --uncertainty must be > 0 s, got {args.uncertainty}")
    try:
        anchor = Anchor(a, first_s, b, second_s, args.uncertainty)
    except ValueError as exc:
        raise ProjectError(f"{project.label}: {exc}") from None
    project.extra["anchors"] = [*project.extra.get("anchors", []), anchor.to_dict()]
    placed, unplaced = resolve_with_anchors(project, author=args.author)
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
