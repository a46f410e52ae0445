"""``timesync export PROJECT --format FMT -o OUT``: write the project as another format."""

from __future__ import annotations

import argparse
import sys

HELP = "export a project: json csv vtt srt otio fcpxml edl eaf mp4 html pdf"


def register(subparsers: argparse._SubParsersAction) -> None:
    from timesync.commands.annotate import parse_seconds

    formats = ("json", "csv", "vtt", "srt", "otio", "fcpxml", "edl", "eaf", "mp4", "html", "pdf")
    parser = subparsers.add_parser(
        "export",
        help=HELP,
        description=HELP + ". Every export carries provenance (tool version, sources' SHA-256 and "
        "hash status, alignment method and uncertainty) and is byte-identical when repeated.",
        epilog="exit status: 0 written; 1 written, but a source changed or is missing (marked in the export); "
        "3 bad project, or OUT exists without --force.",
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("--format", "-f", required=True, choices=formats, dest="fmt", metavar="FMT",
                        help="one of: " + " ".join(formats))
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("--source", metavar="NAME",
                        help="vtt/srt: captions on this source's local time; mp4: audio from it; "
                        "edl: the video track (default: the reference)")
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
    from timesync.errors import ExportError
    from timesync.export import export
    from timesync.project import Project

    project = Project.load(args.project)
    all_missing = bool(project.sources) and not any(project.resolve(s.name).is_file() for s in project.sources)
    for warning in () if all_missing else project.warnings:  # all missing: export() says so in one line
        print(f"timesync: warning: {warning}", file=sys.stderr)
    options = {}
    if args.source is not None:
        if args.fmt not in ("vtt", "srt", "mp4", "edl"):
            raise ExportError(f"{args.output}: --source applies to vtt, srt, mp4 and edl, not {args.fmt}")
        options["source"] = args.source
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
    show = args.fmt in ("mp4", "html", "pdf") and sys.stderr.isatty()
    out = export(project, args.fmt, args.output, force=args.force, progress=_progress if show else None, **options)
    if show:
        print(file=sys.stderr)
    print(out)
    bad = [s.name for s in project.sources if s.hash_status in ("changed", "missing")]
    return 1 if bad else 0
