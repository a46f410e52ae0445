"""``timesync verify PROJECT``: re-hash every source and report changed or missing files."""

from __future__ import annotations

import argparse

HELP = "re-hash every source of a project and report changed or missing files"

#: The status column of each hash status.
LABELS = {"verified": "ok", "changed": "CHANGED", "missing": "MISSING", "unverified": "UNVERIFIED"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help=HELP,
        description=HELP + ". The project file is not modified. A missing source is shown with the "
        "absolute path that was tried; `timesync relink PROJECT --search DIR` finds moved files by SHA-256.",
        epilog="exit status: 0 every source matches its recorded SHA-256; "
        "1 a source changed, is missing or has no recorded hash; 3 bad project.",
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import open_project
    from timesync.project.verify import check_sources

    project = open_project(args.project, verify=False, warnings=False)
    checks = check_sources(project)
    width = max((len(c.name) for c in checks), default=0)
    for check in checks:
        label = LABELS.get(check.status, "UNVERIFIED")
        print(f"{check.name:<{width}}  {label:<10}  {check.detail}".rstrip())
    bad = [c for c in checks if c.status != "verified"]
    print(f"{len(checks) - len(bad)} of {len(checks)} sources verified" + (f", {len(bad)} not" if bad else ""))
    return 1 if bad else 0
