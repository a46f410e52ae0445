"""``timesync shots PROJECT [-o shots.csv|shots.json] [--add]``: detect shots fired, print the table."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from timesync.errors import ExportError, ProjectError

HELP = "detect shots fired in the sources' audio, print/write the shot table"

EPILOG = """Shots are impulses (very fast rise, broadband, decaying) found in each source's
audio, tied across sources on the shared clock. Without positions or distances
a shot's time is its earliest arrival; with --distance (or --position and
--shooter) it is the emission time, corrected for sound travel.

Positions are project data: --position and --shooter are saved in the project
(with a history entry) and used by every later run; metres, local east/north/up.
With three or more sources on known clocks that have positions, each shot is
located by multilateration (position_m, position_uncertainty_m; with three the
shooter's height is assumed, and the notes say so). With
--correct-clocks (positions and the shooter needed), the audio constraints are
corrected for sound travel from the shots, the clocks solved again and saved, each change
in the history with its reason, and the shots detected again on the new clocks.

A SOURCE is a source's name, its path, or its file name when only one source
has it. Sources are re-hashed first; a changed or missing one is a warning.

exit status: 0 done (even with no shots); 2 wrong command line (a value out of
its range); 3 bad project, an unknown source, or an output that exists (without
--force) or cannot be written."""


def _numbers(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers ({what}), got {text!r}")
    return values


def _name_value(text: str, what: str) -> tuple[str, list[float]]:
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected SOURCE={what}, got {text!r}")
    try:
        return name, _numbers(value, what)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected SOURCE={what} (numbers), got {text!r}") from None


def _distance(text: str) -> tuple[str, float]:
    """``"camA.mp4=34.3"`` -> (name, metres >= 0); argparse type."""
    name, values = _name_value(text, "M")
    if len(values) != 1 or values[0] < 0:
        raise argparse.ArgumentTypeError(f"expected SOURCE=M with one distance >= 0 metres, got {text!r}")
    return name, values[0]


def _position(text: str) -> tuple[str, list[float]]:
    """``"camA.mp4=1,2[,3]"`` -> (name, [x, y(, z)]) metres; argparse type."""
    name, values = _name_value(text, "X,Y[,Z]")
    if len(values) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected SOURCE=X,Y[,Z] in metres, got {text!r}")
    return name, values


def _point(text: str) -> list[float]:
    values = _numbers(text, "X,Y[,Z] in metres")
    if len(values) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected X,Y[,Z] in metres, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    from timesync.commands.common import FORCE_HELP, real_number

    parser = subparsers.add_parser(
        "shots", help=HELP, description=HELP + ".", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("-o", "--output", metavar="OUT", help="write the table: .json or .csv (by extension)")
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)
    parser.add_argument("--add", action="store_true",
                        help='add the shots as "shot fired" events to the project (skips ones already there)')
    parser.add_argument("--min-score", type=real_number(0.0, 1.0), default=0.5, metavar="X",
                        help="shot-likeness threshold in [0, 1] (default 0.5)")
    parser.add_argument("--temperature", type=real_number(-40.0, 60.0, unit="°C"), default=20.0,
                        metavar="C",
                        help="air temperature for the speed of sound, °C (default 20)")
    parser.add_argument("--max-travel", type=real_number(0.0, unit="ms"), default=250.0, metavar="MS",
                        help="largest sound-travel difference between sources without positions, ms (default 250); "
                        "the largest sound-travel bound of the clocks (timesync sync --max-distance) is added")
    parser.add_argument("--distance", type=_distance, action="append", default=[], metavar="SOURCE=M",
                        help="distance from the shooter to a source, metres (repeat per source)")
    parser.add_argument("--position", type=_position, action="append", default=[], metavar="SOURCE=X,Y[,Z]",
                        help="a source's position, metres east/north/up (repeat per source; saved in the project)")
    parser.add_argument("--shooter", type=_point, metavar="X,Y[,Z]",
                        help="the shooter's position, metres (saved in the project)")
    parser.add_argument("--correct-clocks", action="store_true",
                        help="correct the audio clocks for sound travel from the shots at --shooter, solve again, save")
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


def _named(project: Any, pairs: list[tuple[str, object]], option: str) -> dict[str, object]:
    """``--distance``/``--position`` values by source name; a source given twice is refused."""
    from timesync.project.names import resolve_source

    out: dict[str, object] = {}
    for text, value in pairs:
        name = resolve_source(project, text)
        if name in out:
            raise ProjectError(f"{project.label}: {option} is given twice for the source {name}")
        out[name] = value
    return out


def _output(args: argparse.Namespace) -> Path | None:
    """The checked ``-o`` target (before any work), or ``None``."""
    from timesync.commands.common import check_output

    if args.output is None:
        return None
    out = Path(args.output)
    if out.suffix.lower() not in (".json", ".csv"):
        raise ExportError(f"{out}: the output must end in .json or .csv")
    return check_output(args.output, force=args.force, protected=[("the project", args.project)])


def _store_positions(project: Any, args: argparse.Namespace) -> bool:
    """Put ``--position``/``--shooter`` into the project (in memory); True when one changed."""
    from timesync.project.positions import SHOOTER

    before = len(project.history)
    for name, value in _named(project, args.position, "--position").items():
        project.set_position("sources", name, value)
    if args.shooter is not None:
        project.set_position("sounds", SHOOTER, args.shooter)
    return len(project.history) > before


def _detect(project: Any, args: argparse.Namespace, distances: dict, progress: Any) -> Any:
    from timesync.project.positions import positions_of, sound_position
    from timesync.workflow_shots import detect_project_shots

    positions = positions_of(project)
    bounds = [s.extra.get("travel_bound_s") or 0.0 for s in project.sources if s.clock is not None]
    return detect_project_shots(
        project,
        min_score=args.min_score,
        max_travel_s=args.max_travel / 1000.0 + max(bounds, default=0.0),  # clocks off by sound travel
        temperature_c=args.temperature,
        distances_m=distances or None,
        positions=positions or None,
        shooter=sound_position(project) if positions else None,
        progress=progress,
    )


def _correct(project: Any, table: Any, args: argparse.Namespace) -> bool:
    """``--correct-clocks``: True when a clock changed (sentences on stderr)."""
    from timesync.detect.travel import speed_of_sound
    from timesync.project.positions import positions_of, sound_position
    from timesync.workflow_shots import correct_clocks

    said = correct_clocks(project, table, positions_of(project), sound_position(project),
                          speed_of_sound(args.temperature), temperature_c=args.temperature, author=args.author)
    for line in said:
        print(line, file=sys.stderr)
    if not said:
        print("no clock corrected: no shot was heard by two sources with positions", file=sys.stderr)
    return bool(said)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import check_output, keep_backup, open_project, source_files
    from timesync.project.positions import positions_of, sound_position
    from timesync.workflow_shots import add_shots_to_project

    out = _output(args)
    project = open_project(args.project)
    if out is not None:  # nor is it one of the sources
        check_output(args.output, force=args.force, protected=source_files(project))
    distances = _named(project, args.distance, "--distance")
    changed = _store_positions(project, args)
    if sound_position(project) is not None and not positions_of(project):
        raise ProjectError("--shooter needs the sources' positions (--position SOURCE=X,Y[,Z])")
    if args.correct_clocks and (len(positions_of(project)) < 2 or sound_position(project) is None):
        raise ProjectError("--correct-clocks needs the positions of the sources and of the shooter "
                           "(--position SOURCE=X,Y[,Z] ... --shooter X,Y[,Z])")

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)

    table = _detect(project, args, distances, progress)
    if args.correct_clocks and _correct(project, table, args):
        changed = True
        table = _detect(project, args, distances, progress)
    if args.add:
        added = add_shots_to_project(project, table, min_score=args.min_score, author=args.author)
        changed = changed or bool(added)
        print(f"added {len(added)} shot fired event(s) to {project.label}", file=sys.stderr)
    if changed:
        project.save()
    sys.stdout.write(table.to_text())
    if out is not None:
        text = table.to_json() if out.suffix.lower() == ".json" else table.to_csv()
        keep_backup(out)
        _write_atomic(out, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
