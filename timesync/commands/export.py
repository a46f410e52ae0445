"""``timesync export PROJECT --format FMT -o OUT``: write the project as another format."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from timesync.export import registry

#: The command-line flags that set an export option, with their help (the formats they
#: apply to are the registry's formats whose options name them).
_FLAGS = {"source": ("SOURCE", "vtt/srt: captions on this source's local time; mp4: audio from it; "
                     "edl: the source (default: the reference; all: every source in one EDL); "
                     "its name, path, or file name when unique"),
          "timecode": (None, "edl: 29.97 fps as non-drop (default) or drop frame"),
          "start": ("S", "mp4: first shared second"), "end": ("S", "mp4: last shared second"),
          "case": ("TEXT", "html/pdf: the case number in the report's case block"),
          "examiner": ("TEXT", "html/pdf: the examiner in the report's case block"),
          "agency": ("TEXT", "html/pdf: the agency in the report's case block")}


def _help() -> str:
    return "export a project: " + " ".join(registry.names())


def register(subparsers: argparse._SubParsersAction) -> None:
    from timesync.commands.annotate import parse_seconds
    from timesync.commands.common import FORCE_HELP

    formats = registry.names()
    help_text = _help()
    parser = subparsers.add_parser(
        "export",
        help=help_text,
        description=help_text + ". Every export carries provenance (tool version, sources' SHA-256 and "
        "hash status, alignment method and uncertainty) and is byte-identical when repeated. "
        "Sources are re-hashed first; a changed or missing one is a warning and is marked in the export. "
        "OUT is checked before any work: its folder must exist, and it is never a source or the project.",
        epilog="exit status: 0 written; 1 written, but a source changed or is missing (marked in the export); "
        "2 wrong command line; 3 bad project, unknown source, or OUT exists without --force.",
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("--format", "-f", required=True, choices=formats, dest="fmt", metavar="FMT",
                        help="one of: " + " ".join(formats))
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the file to write (edl: an existing folder gets one EDL per source)")
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)
    kinds = {"timecode": {"choices": ("ndf", "df")}, "start": {"type": parse_seconds}, "end": {"type": parse_seconds}}
    for flag, (metavar, text) in _FLAGS.items():
        parser.add_argument(f"--{flag}", **({"metavar": metavar} if metavar else {}), **kinds.get(flag, {}), help=text)
    parser.set_defaults(func=run)


def _progress(fraction: float, message: str) -> None:
    width = 30
    filled = round(max(0.0, min(fraction, 1.0)) * width)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}% {message[:40]:<40}",
          end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import check_output, keep_backup, open_project, source_files, warn
    from timesync.export import check_some_source_present, export

    fmt = registry.get(args.fmt)
    folder_ok = fmt.folder  # edl: an existing folder gets one EDL per source
    check_output(args.output, force=args.force, protected=[("the project", args.project)], folder_ok=folder_ok)
    project = open_project(args.project, warnings=False)
    target = check_output(args.output, force=args.force, protected=source_files(project), folder_ok=folder_ok)
    check_some_source_present(project, target)  # before the warnings: all missing is one line
    for warning in project.warnings:
        warn(warning)
    options = _options(project, args)
    _check_range(project, args.start, args.end)
    show = fmt.slow and sys.stderr.isatty()
    keep_backup(target)
    out = export(project, args.fmt, target, force=args.force, progress=_progress if show else None, **options)
    if show:
        print(file=sys.stderr)
    print(out)
    bad = [s.name for s in project.sources if s.hash_status in ("changed", "missing")]
    return 1 if bad else 0


def _options(project: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The export options the command line sets; a flag the format does not take is refused.

    Raises
    ------
    ExportError
        One sentence naming the flag and the formats it applies to.
    """
    from timesync.errors import ExportError
    from timesync.project.names import resolve_source

    options: dict[str, Any] = {}
    for key in _FLAGS:
        value = getattr(args, key, None)
        if value is None:
            continue
        takers = registry.formats_taking(key)
        if args.fmt not in takers:
            some = takers[0] if len(takers) == 1 else ", ".join(takers[:-1]) + " and " + takers[-1]
            only = f", not {args.fmt}" if key == "source" else " only"
            raise ExportError(f"{args.output}: --{key} applies to {some}{only}")
        if key == "source":  # edl: "all" is every source in one EDL
            value = "all" if args.fmt == "edl" and value == "all" else resolve_source(project, value)
        options[key] = value
    return options


def _check_range(project: Any, start_s: float | None, end_s: float | None) -> None:
    """Refuse an mp4 ``--start``/``--end`` beyond the first start or last end of the recordings.

    A range far outside them would render for hours and show nothing; gaps
    between recordings are fine (shown as "not recording").
    """
    from timesync.commands.annotate import seconds_text
    from timesync.errors import ExportError
    from timesync.project.locate import format_spans, recorded_spans

    spans = recorded_spans(project)
    if spans is None:
        return
    first, last = spans[0][0], spans[-1][1]
    for option, when in (("--start", start_s), ("--end", end_s)):
        if when is not None and not first <= when <= last:
            raise ExportError(f"{project.label}: {option} {seconds_text(when)} is outside every recording (on the shared "
                              f"clock they cover {format_spans(spans)})")
