"""What the subcommands share: argument types, opening a project, guarding outputs.

Outputs follow one rule (``sync -o``, ``shots -o``, ``export -o``): the target is
checked before any work starts (its folder must exist, it must not be a folder,
a source of the project or the project itself), an existing file is refused
without ``--force``, and with ``--force`` the old file is first copied to
``NAME.bak`` (one backup, replaced by the next one).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from timesync.errors import ExportError

if TYPE_CHECKING:
    from timesync.project import Project

__all__ = [
    "FORCE_HELP",
    "warn",
    "open_project",
    "check_output",
    "keep_backup",
    "source_files",
    "real_number",
]

#: Help text of every ``--force``.
FORCE_HELP = "overwrite OUT if it exists; the old file is kept as OUT.bak (one backup, replaced each time)"


def warn(message: str) -> None:
    """One ``timesync: warning: ...`` line on stderr."""
    print(f"timesync: warning: {message}", file=sys.stderr)


def open_project(path: str, *, verify: bool = True, warnings: bool = True) -> Project:
    """Load a project and print its warnings (one line per changed or missing source).

    With ``verify`` every source is re-hashed first, as ``timesync verify`` does.
    """
    from timesync.errors import ProjectError
    from timesync.project import Project

    if not str(path).strip():
        raise ProjectError("the project file name is empty")
    project = Project.load(path, verify=verify)
    for warning in project.warnings if warnings else ():
        warn(warning)
    return project


def check_output(out: str, *, force: bool, protected: Iterable[tuple[str, str | os.PathLike[str]]] = (),
                 folder_ok: bool = False) -> Path:
    """Refuse an output before any work starts; returns its absolute path.

    Parameters
    ----------
    out : str
        The output file as typed.
    force : bool
        Whether an existing file may be replaced (after :func:`keep_backup`).
    protected : iterable of (what, path)
        Files never written, e.g. ``("the source camA.mp4", path)``.
    folder_ok : bool
        An existing folder is a valid output (the writer puts files in it,
        e.g. one EDL per source, and checks those itself).

    Raises
    ------
    ExportError
        One sentence naming ``out`` and the problem.
    """
    if not out.strip():
        raise ExportError("the output file name is empty")
    target = Path(out).expanduser().absolute()
    real = os.path.realpath(target)
    for what, path in protected:
        if os.path.realpath(path) == real:
            raise ExportError(f"{out}: is {what}; it is never overwritten, write to another file")
    if target.is_dir():
        if not folder_ok:
            raise ExportError(f"{out}: is a folder; give a file name")
        if not os.access(target, os.W_OK | os.X_OK):
            raise ExportError(f"{out}: the folder is not writable")
        return target
    folder = target.parent
    if not folder.exists():
        raise ExportError(f"{out}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"{out}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{out}: the folder {folder} is not writable")
    if target.exists() and not force:
        raise ExportError(f"{out} exists; pass --force to overwrite it (the old file is then kept as "
                          f"{target.name}.bak)")
    if target.exists() and target.with_name(target.name + ".bak").is_dir():
        raise ExportError(f"{out}: {target.name}.bak is a folder; cannot keep the old file there")
    return target


def source_files(project: Project) -> list[tuple[str, os.PathLike[str]]]:
    """``("the source NAME", path)`` for every source of ``project`` and the project file: never outputs."""
    files: list[tuple[str, os.PathLike[str]]] = [(f"the source {s.name}", project.resolve(s.name))
                                                  for s in project.sources]
    if project.path is not None:
        files.append(("the project", project.path))
    return files


def keep_backup(target: Path) -> Path | None:
    """Copy an existing ``target`` to ``NAME.bak`` (atomically) before it is overwritten.

    The original stays in place until the writer replaces it, so a failed write
    loses nothing. Returns the backup's path, or ``None`` when ``target`` does
    not exist or is a folder. An older ``NAME.bak`` is replaced.
    """
    if not target.is_file():
        return None
    backup = target.with_name(target.name + ".bak")
    if backup.is_dir():
        raise ExportError(f"{backup}: is a folder; cannot keep the old {target.name} there")
    fd, tmp = tempfile.mkstemp(prefix=f".{backup.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copy2(target, tmp)
        os.replace(tmp, backup)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"timesync: kept the old {target.name} as {backup}", file=sys.stderr)
    return backup


def real_number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
                unit: str = "") -> type:
    """An argparse ``type``: a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    bounds = _bounds_text(low, high, low_open, unit)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
        too_low = low is not None and (value <= low if low_open else value < low)
        if too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value

    parse.__name__ = "number"  # argparse names the type in "invalid number value"
    return parse  # type: ignore[return-value]


def _bounds_text(low: float | None, high: float | None, low_open: bool, unit: str) -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}{unit}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}{unit}"
    return f"<= {high:g}{unit}" if high is not None else "a number"
