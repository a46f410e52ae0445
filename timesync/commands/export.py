"""``timesync export PROJECT --format FMT -o OUT``: write the project as another format."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "export a project: json csv vtt srt otio xml fcpxml edl eaf mp4 html pdf"


def register(subparsers: argparse._SubParsersAction) -> None:
    from timesync.commands.annotate import parse_seconds
    from timesync.commands.common import FORCE_HELP

    formats = ("json", "csv", "vtt", "srt", "otio", "xml", "fcpxml", "edl", "eaf", "mp4", "html", "pdf")
    parser = subparsers.add_parser(
        "export",
        help=HELP,
        description=HELP + ". Every export carries provenance (tool version, sources' SHA-256 and "
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
    parser.add_argument("--source", metavar="SOURCE",
                        help="vtt/srt: captions on this source's local time; mp4: audio from it; "
                        "edl: the source (default: the reference; all: every source in one EDL); "
                        "its name, path, or file name when unique")
    parser.add_argument("--timecode", choices=("ndf", "df"), help="edl: 29.97 fps as non-drop (default) or drop frame")
    parser.add_argument("--start", type=parse_seconds, metavar="S", help="mp4: first shared second")
    parser.add_argument("--end", type=parse_seconds, metavar="S", help="mp4: last shared second")
    for flag, what in (("case", "case number"), ("examiner", "examiner"), ("agency", "agency")):
        parser.add_argument(f"--{flag}", metavar="TEXT", help=f"html/pdf: the {what} in the report's case block")
    parser.set_defaults(func=run)


def _progress(fraction: float, message: str) -> None:
    width = 30
    filled = round(max(0.0, min(fraction, 1.0)) * width)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}% {message[:40]:<40}",
          end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import check_output, keep_backup, open_project, source_files, warn
    from timesync.errors import ExportError
    from timesync.export import check_some_source_present, export
    from timesync.project.names import resolve_source

    folder_ok = args.fmt == "edl"  # an existing folder: one EDL per source
    check_output(args.output, force=args.force, protected=[("the project", args.project)], folder_ok=folder_ok)
    project = open_project(args.project, warnings=False)
    target = check_output(args.output, force=args.force, protected=source_files(project), folder_ok=folder_ok)
    check_some_source_present(project, target)  # before the warnings: all missing is one line
    for warning in project.warnings:
        warn(warning)
    options = {}
    if args.source is not None:
        if args.fmt not in ("vtt", "srt", "mp4", "edl"):
            raise ExportError(f"{args.output}: --source applies to vtt, srt, mp4 and edl, not {args.fmt}")
        edl_all = args.fmt == "edl" and args.source == "all"
        options["source"] = "all" if edl_all else resolve_source(project, args.source)
    if args.timecode is not None:
        if args.fmt != "edl":
            raise ExportError(f"{args.output}: --timecode applies to edl only")
        options["timecode"] = args.timecode
    for key in ("start", "end"):
        if getattr(args, key) is not None:
            if args.fmt != "mp4":
                raise ExportError(f"{args.output}: --{key} applies to mp4 only")
            options[key] = getattr(args, key)
    for key in ("case", "examiner", "agency"):
        if getattr(args, key, None) is not None:
            if args.fmt not in ("html", "pdf"):
                raise ExportError(f"{args.output}: --{key} applies to html and pdf only")
            options[key] = getattr(args, key)
    _check_range(project, args.start, args.end)
    show = args.fmt in ("mp4", "html", "pdf") and sys.stderr.isatty()
    keep_backup(target)
    out = export(project, args.fmt, target, force=args.force, progress=_progress if show else None, **options)
    if show:
        print(file=sys.stderr)
    print(out)
    bad = [s.name for s in project.sources if s.hash_status in ("changed", "missing")]
    return 1 if bad else 0


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
