"""``timesync sync FILE... [--reference FILE] [-o project.json]``.

Aligns the files, prints a table (source, offset, drift, uncertainty, method)
on stdout, shows progress on stderr, and writes the project JSON. Exit 0 when
every source is aligned, 1 when some are not (they are still written, with
``aligned: false`` and a reason).

The command line is checked before any work: the same file twice or an
unknown aligner is a usage error (exit 2); a FILE that does not exist or is a
folder, or a PROJECT that exists (without ``--force``) or whose folder does not,
is refused at once (exit 3).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

HELP = "align recordings on one clock, print a table, write the project JSON"

EPILOG = """exit status: 0 every source aligned; 1 some source not aligned (written with a
reason); 2 wrong command line (a file twice, an unknown aligner); 3 a FILE is
missing or a folder, PROJECT exists without --force, or its folder is missing."""


def register(subparsers: Any) -> None:
    """Add the ``sync`` subparser."""
    from timesync.commands.common import FORCE_HELP

    p = subparsers.add_parser("sync", help=HELP, description=HELP, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", action=_Files, metavar="FILE", help="recordings of one incident")
    p.add_argument("--reference", metavar="FILE", help="the source whose clock is the shared clock")
    p.add_argument("-o", "--output", metavar="PROJECT", help="write the project JSON here")
    p.add_argument("--force", action="store_true", help=FORCE_HELP.replace("OUT", "PROJECT"))
    p.add_argument(
        "--methods",
        type=methods_list,
        metavar="LIST",
        help=f"comma-separated aligners to run, by short name ({', '.join(aligner_names())}); all by default; "
        "an unknown name is refused with the list of known ones",
    )
    from timesync.commands.common import real_number
    from timesync.sync import DEFAULT_MAX_DISTANCE_M

    p.add_argument("--max-distance", type=real_number(0.0, 10000.0, unit="m"), default=DEFAULT_MAX_DISTANCE_M,
                   metavar="M", help="assumed largest distance between a source and the sounds the audio aligns on, "
                   f"metres (default {DEFAULT_MAX_DISTANCE_M:g}): the sound-travel bound of audio clocks is M / c")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


class _Files(argparse.Action):
    """The FILE list; the same file twice (however spelled) is a usage error."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        seen: dict[str, str] = {}
        for text in values:
            real = os.path.realpath(text)
            if real in seen:
                same = f" (the same file as {seen[real]})" if seen[real] != text else ""
                parser.error(f"{text} is given twice{same}")
            seen[real] = text
        setattr(namespace, self.dest, list(values))


def aligner_names() -> list[str]:
    """The short names of the aligners of :data:`timesync.sync.ALIGNERS` (the registry), in order."""
    from timesync.sync import ALIGNERS

    return [m.rsplit(".", 1)[-1] for m in ALIGNERS]


def methods_list(text: str) -> list[str]:
    """``"audio,visual"`` -> ``["audio", "visual"]``, each one of :data:`timesync.sync.ALIGNERS`; argparse type."""
    from timesync.sync import ALIGNERS

    known = aligner_names()
    wanted = [m.strip() for m in text.split(",") if m.strip()]
    if not wanted:
        raise argparse.ArgumentTypeError(f"no aligner named in {text!r} (known: {', '.join(known)})")
    for name in wanted:
        if name not in known and name not in ALIGNERS:
            raise argparse.ArgumentTypeError(f"unknown aligner {name!r} (known: {', '.join(known)})")
    return list(dict.fromkeys(m.rsplit(".", 1)[-1] for m in wanted))


class _Progress:
    """A bar on a terminal, otherwise a line per tenth of the work."""

    def __init__(self, stream: Any, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = -1

    def __call__(self, fraction: float, message: str) -> None:
        if self.quiet:
            return
        if self.tty:
            filled = int(round(30 * fraction))
            text = f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {message[:40]:<40}"
            self.stream.write(text)
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()
            return
        step = int(fraction * 10)
        if step > self.last:
            self.last = step
            print(f"timesync: {fraction:4.0%} {message}", file=self.stream, flush=True)


def format_table(result: Any) -> str:
    """The human-readable table of a :class:`~timesync.sync.SyncResult`.

    Each source's warnings (``SourceResult.warnings``) follow its row, one
    ``"  warning: ..."`` line each, and a last line counts the sources with
    warnings ("1 source has warnings"); warnings do not change the exit status.
    """
    from timesync.timeutil import format_hms

    rows = [("source", "offset", "drift ppm", "uncertainty", "method")]
    for s in result.sources:
        name = s.name + (" (reference)" if s.name == result.reference else "")
        if s.aligned and s.clock is not None:
            c = s.clock
            rows.append(
                (
                    name,
                    format_hms(c.offset_s, 4),
                    f"{c.drift_ppm:+.1f}",
                    f"{c.uncertainty_s * 1e3:.3f} ms",
                    c.method + _bound_text(s),
                )
            )
        else:
            rows.append((name, "not aligned", "", "", s.reason or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for k, r in enumerate(rows):
        lines.append(
            "  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(4))
            + "  "
            + r[4]
        )
        if k > 0:  # the source's warnings, one line each, under its row
            lines.extend(f"  warning: {w}" for w in getattr(result.sources[k - 1], "warnings", ()))
    for d in result.dropped:
        lines.append(
            f"dropped: {d['constraint']['source']} -> {d['constraint']['with']}: {d['reason']}"
        )
    for d in result.disagreements:
        lines.append(f"disagreement: {d['note']}")
    warned = sum(1 for s in result.sources if getattr(s, "warnings", None))
    if warned:
        lines.append(
            f"{warned} source{' has' if warned == 1 else 's have'} warnings "
            "(see above; warnings do not change the exit status)"
        )
    return "\n".join(lines)


def _bound_text(source: Any) -> str:
    """``"  (+ sound travel <= 291.4 ms)"`` when sound travel can move the clock, else empty."""
    bound = getattr(source, "travel_bound_s", None)
    return f"  (+ sound travel <= {bound * 1e3:.1f} ms)" if bound else ""


def run(args: argparse.Namespace) -> int:
    """Run ``timesync sync``; returns the exit status."""
    from timesync.parallel import warm_up, worth_processes

    target = _check_command_line(args)
    if worth_processes(args.files):
        warm_up()  # worker processes get ready while the rest of timesync is imported
    from timesync.cli import EXIT_INCOMPLETE, EXIT_OK
    from timesync.workflow import align_project, clock_errors

    progress = _Progress(sys.stderr, args.quiet)
    alignment = align_project(args.files, reference=args.reference, progress=progress,
                              methods=args.methods, project_path=target, max_distance_m=args.max_distance)
    result = alignment.result
    print(format_table(result))
    for finding in clock_errors(result):  # device clock errors, once aligned (burned-in clocks)
        print(f"clock: {finding.sentence}")
    if target is not None:
        from timesync.commands.common import keep_backup

        # through the project store: atomic, and source paths made relative to
        # the project file's folder, so the project opens from anywhere
        keep_backup(target)
        alignment.project.save(target)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK if result.all_aligned else EXIT_INCOMPLETE


def _check_command_line(args: argparse.Namespace) -> Path | None:
    """Refuse, before any work, a FILE that is not a file and an output that cannot be written.

    Returns the absolute output path (``None`` without ``-o``).
    """
    from timesync.commands.common import check_output
    from timesync.errors import MediaError

    inputs = list(args.files) + ([args.reference] if args.reference else [])
    for text in inputs:
        path = Path(text)
        if not path.exists():
            raise MediaError(f"{text}: no such file")
        if path.is_dir():
            raise MediaError(f"{text}: is a folder, not a media file")
        if not path.is_file():
            raise MediaError(f"{text}: not a regular file (devices, pipes and sockets are refused)")
    if args.output is None:
        return None
    protected = [(f"the input {text}", text) for text in inputs]
    return check_output(args.output, force=args.force, protected=protected)
