"""The ``timesync`` command line.

Each subcommand lives in its own module under :mod:`timesync.commands` and
exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the default. This module only parses, dispatches and
turns timesync's errors into one line on stderr with no traceback.

Exit status (also printed by ``timesync --help``):

* 0: success.
* 1: the command ran but its answer is "not everything": some source could not
  be aligned, a verified hash changed or a file is missing.
* 2: the command line is wrong on its face (argparse): an unknown option, a
  missing or malformed value, a value out of its range, an unknown aligner, the
  same file twice. stderr holds the usage, then one ``error:`` line.
* 3: bad input: a file or project could not be read, an argument does not fit
  the project (an unknown source or event type, a time outside every
  recording), or an output could not be written (it exists and ``--force`` was
  not given, its folder is missing, it is a source). stderr holds one line
  naming the file and the problem.
* 130: interrupted.

Only timesync's own errors (:class:`~timesync.errors.TimesyncError`) and the
operating system's (``OSError``) become that one line; anything else is a bug
and keeps its traceback. Bad input must therefore be refused as a
``TimesyncError`` (or by argparse) where it enters, never by catching
``ValueError`` here.

Writers share one rule: an existing output is refused without ``--force``; with
``--force`` the old file is kept as ``NAME.bak`` before it is replaced.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from timesync import __version__
from timesync.errors import TimesyncError

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_INTERRUPTED = 130

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "sync",
    "probe",
    "annotate",
    "anchor",
    "shots",
    "export",
    "verify",
    "relink",
)

EPILOG = """exit status:
  0    success
  1    ran, but not everything: a source not aligned, a hash changed, a file missing
  2    wrong command line (usage, then one error line)
  3    bad input or output: a file or project could not be read or written, an
       argument does not fit the project, OUT exists without --force (one line)
  130  interrupted

outputs: an existing file is replaced only with --force, and then kept as NAME.bak.
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="timesync",
        description="Put every recording of an incident on one clock.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"timesync {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"timesync.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except TimesyncError as exc:
        print(f"timesync: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"timesync: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("timesync: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
