"""``timesync relink PROJECT --search DIR``: find moved sources by SHA-256 and update their paths.

A source whose file is missing (or no longer the recorded file) is looked for
under each DIR: files of the recorded size are hashed, and a file with the
recorded SHA-256 becomes the source's new path, stored relative to the project
file's folder as the project stores every path. Each relink is a history entry
(``source_relinked``, old and new path). The project is saved only when
something was relinked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from timesync.errors import ProjectError

if TYPE_CHECKING:
    from timesync.project import Source

HELP = "find missing or moved sources by SHA-256 under folders and update the project's paths"

EPILOG = """exit status: 0 every source is at a file with its recorded SHA-256 (relinked or
already there); 1 some source is still missing, changed or has no recorded
hash (the project is written only if something was relinked); 3 bad project or
folder."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "relink", help=HELP, description=HELP + ".", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="PROJECT", help="the project JSON")
    parser.add_argument("--search", "-s", action="append", required=True, metavar="DIR",
                        help="a folder to search, with its subfolders (repeat for several)")
    parser.add_argument("--author", metavar="NAME", help="who relinks (default: $TIMESYNC_AUTHOR or login name)")
    parser.set_defaults(func=run)


def _folders(texts: list[str]) -> list[Path]:
    """The ``--search`` folders, absolute; ``ProjectError`` for one that is not a folder."""
    folders = []
    for text in texts:
        folder = Path(text).expanduser().absolute()
        if not folder.exists():
            raise ProjectError(f"{text}: no such folder to search")
        if not folder.is_dir():
            raise ProjectError(f"{text}: is a file, not a folder to search")
        folders.append(folder)
    return folders


def _hashing(path: Path, size_bytes: int) -> None:
    print(f"timesync: hashing {path} ({size_bytes / 1e6:.1f} MB)", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from timesync.commands.common import open_project
    from timesync.project.verify import Wanted, check_sources, find_by_hash

    project = open_project(args.project, verify=False, warnings=False)
    folders = _folders(args.search)
    checks = {c.name: c for c in check_sources(project)}
    lost = [s for s in project.sources if checks[s.name].status in ("missing", "changed")]
    wanted = [Wanted(s.name, s.sha256, _size(s.probe), Path(s.path).name) for s in lost if s.sha256]
    found = find_by_hash(wanted, folders, on_hash=_hashing) if wanted else {}
    for source in lost:
        if source.name in found:
            new = project.relink_source(source.name, found[source.name], author=args.author)
            project.set_hash_status(source.name, "verified")
            print(f"relinked {source.name}: {source.path} -> {new.path}")
    left = [s for s in project.sources if s.name not in found and checks[s.name].status != "verified"]
    for source in left:
        print(f"still {_why(source, checks[source.name].status, folders)}")
    if found:
        project.save()
        print(f"wrote {project.path} ({len(found)} source(s) relinked)", file=sys.stderr)
    elif lost:
        print(f"timesync: nothing relinked; {project.label} is not written", file=sys.stderr)
    else:
        print(f"nothing to relink: every source of {project.label} has a file at its recorded path")
    return 1 if left else 0


def _size(probe: dict) -> int | None:
    size = probe.get("size_bytes") if isinstance(probe, dict) else None
    return size if isinstance(size, int) and size >= 0 else None


def _why(source: Source, status: str, folders: list[Path]) -> str:
    """``"missing camB.mp4: ..."``: why a source was not relinked."""
    where = ", ".join(str(f) for f in folders)
    if not source.sha256:
        return f"{status} {source.name}: no SHA-256 recorded, so it cannot be found by hash"
    size = _size(source.probe)
    of_size = f" ({size} bytes)" if size is not None else ""
    return f"{status} {source.name}: no file under {where} has its SHA-256{of_size}"
