"""``timesync sync FILE... [--reference FILE] [-o project.json]``.

Aligns the files, prints a table (source, offset, drift, uncertainty, method)
on stdout, shows progress on stderr, and writes the project JSON. Exit 0 when
every source is aligned, 1 when some are not (they are still written, with
``aligned: false`` and a reason).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "align recordings on one clock, print a table, write the project JSON"


def register(subparsers: Any) -> None:
    """Add the ``sync`` subparser."""
    p = subparsers.add_parser("sync", help=HELP, description=HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="recordings of one incident")
    p.add_argument("--reference", metavar="FILE", help="the source whose clock is the shared clock")
    p.add_argument("-o", "--output", metavar="PROJECT", help="write the project JSON here")
    p.add_argument(
        "--methods",
        metavar="LIST",
        help="comma-separated aligners to run (audio,overlay,visual,metadata); all by default",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


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
                    c.method,
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


def run(args: argparse.Namespace) -> int:
    """Run ``timesync sync``; returns the exit status."""
    from timesync.parallel import warm_up, worth_processes

    if worth_processes(args.files):
        warm_up()  # worker processes get ready while the rest of timesync is imported
    from timesync.cli import EXIT_INCOMPLETE, EXIT_OK
    from timesync.workflow import align_project, clock_errors

    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    progress = _Progress(sys.stderr, args.quiet)
    alignment = align_project(args.files, reference=args.reference, progress=progress, methods=methods,
                              project_path=args.output)
    result = alignment.result
    print(format_table(result))
    for finding in clock_errors(result):  # device clock errors, once aligned (burned-in clocks)
        print(f"clock: {finding.sentence}")
    if args.output:
        # through the project store: atomic, and source paths made relative to
        # the project file's folder, so the project opens from anywhere
        alignment.project.save(args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK if result.all_aligned else EXIT_INCOMPLETE
