"""``timesync shots PROJECT [-o shots.csv|shots.json] [--add]``: detect shots fired, print the table."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from timesync.errors import ExportError, ProjectError

HELP = "detect shots fired in the sources' audio, print/write the shot table"

EPILOG = """Shots are impulses (very fast rise, broadband, decaying) found in each source's
audio, tied across sources on the shared clock. Without positions or distances
a shot's time is its earliest arrival; with --distance (or --position and
--shooter) it is the emission time, corrected for sound travel.

exit status: 0 done (even with no shots); 3 bad project, bad argument or the
output could not be written."""


def _name_value(text: str) -> tuple[str, list[float]]:
    name, sep, value = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number (or x,y[,z]) in {text!r}") from None
    return name, numbers


def _point(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y[,Z] in metres, got {text!r}") from None
    if len(values) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected X,Y[,Z] in metres, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "shots", help=HELP, description=HELP + ".", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table: .json or .csv (by extension)")
    parser.add_argument("--add", action="store_true",
                        help='add the shots as "shot fired" events to the project (skips ones already there)')
    parser.add_argument("--min-score", type=float, default=0.5, metavar="X",
                        help="shot-likeness threshold in [0, 1] (default 0.5)")
    parser.add_argument("--temperature", type=float, default=20.0, metavar="C",
                        help="air temperature for the speed of sound, °C (default 20)")
    parser.add_argument("--max-travel", type=float, default=50.0, metavar="MS",
                        help="largest sound-travel difference between sources without positions, ms (default 50)")
    parser.add_argument("--distance", type=_name_value, action="append", default=[], metavar="SOURCE=M",
                        help="distance from the shooter to a source, metres (repeat per source)")
    parser.add_argument("--position", type=_name_value, action="append", default=[], metavar="SOURCE=X,Y[,Z]",
                        help="a source's position, metres (repeat per source)")
    parser.add_argument("--shooter", type=_point, metavar="X,Y[,Z]", help="the shooter's position, metres")
    parser.add_argument("--author", default="timesync", metavar="NAME", help='author of added events (default "timesync")')
    parser.set_defaults(func=run)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    from timesync.events.shots import add_shots_to_project, detect_shots
    from timesync.project import Project

    if not 0.0 <= args.min_score <= 1.0:
        raise ProjectError(f"--min-score must be between 0 and 1, got {args.min_score}")
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".json", ".csv"):
        raise ExportError(f"{out}: the output must end in .json or .csv")
    project = Project.load(args.project)
    for warning in project.warnings:
        print(f"timesync: warning: {warning}", file=sys.stderr)
    names = {s.name for s in project.sources}
    for name, _ in args.distance + args.position:
        if name not in names:
            raise ProjectError(f"{project.label}: no source named {name!r} (known: {', '.join(sorted(names))})")
    distances = {name: v[0] for name, v in args.distance}
    positions = {name: v for name, v in args.position}

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)

    table = detect_shots(
        project,
        min_score=args.min_score,
        max_travel_s=args.max_travel / 1000.0,
        temperature_c=args.temperature,
        distances_m=distances or None,
        positions=positions or None,
        shooter=args.shooter,
        progress=progress,
    )
    if args.add:
        added = add_shots_to_project(project, table, min_score=args.min_score, author=args.author)
        if added:
            project.save()
        print(f"added {len(added)} shot fired event(s) to {project.label}", file=sys.stderr)
    sys.stdout.write(table.to_text())
    if out is not None:
        text = table.to_json() if out.suffix.lower() == ".json" else table.to_csv()
        _write_atomic(out, text)
        print(f"wrote {out}", file=sys.stderr)
    return 0
