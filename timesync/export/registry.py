"""The one list of export formats: what each is called, writes and accepts.

:func:`timesync.export.export`, the ``timesync export`` command (its
``--format`` choices, help and option checks) and the app's export dialog
and menu all read :data:`REGISTRY`; no other list of format names exists.
Adding a format is one :func:`register` call (or one entry below) plus the
module that writes it.

A format's module provides ``write(project, target, *, fmt, progress,
**options)`` (writes ``target`` itself, atomically) or ``render(project, *,
fmt, progress, **options) -> bytes`` (``export`` writes the bytes
atomically); optionally ``sidecars(target, fmt) -> list[Path]`` (files written
beside ``target``, refused like it without ``force``) and ``write_folder(project,
folder, *, force, progress, **options)`` (``out`` an existing folder, with
``folder=True``). Modules are imported only when their format is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["ExportFormat", "FormOption", "REGISTRY", "register", "unregister", "get", "names", "formats_taking",
           "RegistryView"]


class FormOption(NamedTuple):
    """One option as the app's export dialog shows it.

    ``kind`` is ``"source"`` (a source list with "(reference)" first),
    ``"float"`` or ``"int"``; a number left at ``low`` (shown as "default") is
    not passed, so the core's default applies. ``decimals`` only for floats.
    """

    name: str
    label: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    decimals: int = 0


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes
    ----------
    name
        The format's name (``--format NAME``, ``export(project, NAME, ...)``).
    module
        Dotted name of the module writing it (see the module docstring).
    extension
        The usual file suffix, with its dot (the dialog's default file name).
    description
        A few words for the dialog, the menu and ``--help``.
    options
        Keyword options :func:`timesync.export.export` accepts for it (any
        other is refused); the CLI's ``--source``, ``--timecode``,
        ``--start``/``--end``, ``--case``/``--examiner``/``--agency`` apply to
        the formats whose options name them.
    form
        The options the app's dialog offers (each one of ``options``).
    folder
        ``out`` may be an existing folder: one file per source there.
    names_media
        The file names the sources' media (paths relative to its own folder,
        plus the absolute path).
    needs_ffmpeg, needs_chromium
        Needs the ``ffmpeg`` program, or Chromium, to be written.
    is_video
        Writes a video (slow: the CLI shows a progress bar on a terminal).
    slow
        Shows a progress bar on a terminal (every video, the reports).
    """

    name: str
    module: str
    extension: str
    description: str
    options: tuple[str, ...] = ()
    form: tuple[FormOption, ...] = ()
    folder: bool = False
    names_media: bool = False
    needs_ffmpeg: bool = False
    needs_chromium: bool = False
    is_video: bool = False
    slow: bool = False


_SOURCE = "source"
_CAPTIONS = (FormOption(_SOURCE, "times of source", "source"), FormOption("caption_s", "point event shown for",
                                                                           "float", 0, 3600, 2))
_RATE = (FormOption("rate", "timeline frame rate", "float", 0, 240, 3),)
_THUMB = (FormOption("thumb_side", "thumbnail size (px)", "int", 0, 1024, 0),)
_REPORT = ("thumb_side", "case", "examiner", "agency")
_GRID = ("source", "start", "end", "width", "height", "tile_width", "tile_height", "fps", "caption_s", "crf", "preset")
_GRID_FORM = (FormOption(_SOURCE, "audio from", "source"), FormOption("start", "from (shared s)", "float", -1e7, 1e7, 3),
              FormOption("end", "to (shared s)", "float", -1e7, 1e7, 3),
              FormOption("tile_width", "tile width (px)", "int", 0, 3840, 0),
              FormOption("tile_height", "tile height (px)", "int", 0, 2160, 0),
              FormOption("fps", "frame rate", "float", 0, 240, 3))

_BUILT_IN = (
    ExportFormat("json", "timesync.export.json_export", ".json", "project JSON (the incident file)", names_media=True),
    ExportFormat("csv", "timesync.export.csv_export", ".csv", "events table, CSV"),
    ExportFormat("vtt", "timesync.export.captions", ".vtt", "WebVTT subtitles of the events", ("source", "caption_s"),
                 _CAPTIONS),
    ExportFormat("srt", "timesync.export.captions", ".srt", "SubRip subtitles of the events", ("source", "caption_s"),
                 _CAPTIONS),
    ExportFormat("otio", "timesync.export.timeline", ".otio", "OpenTimelineIO timeline", ("rate",), _RATE,
                 names_media=True),
    ExportFormat("xml", "timesync.export.timeline", ".xml", "Final Cut Pro 7 XML timeline (Premiere, Resolve)",
                 ("rate",), _RATE, names_media=True),
    ExportFormat("fcpxml", "timesync.export.fcpxml", ".fcpxml", "Final Cut Pro XML (FCPXML 1.9) timeline", ("rate",),
                 _RATE, names_media=True),
    ExportFormat("edl", "timesync.export.edl", ".edl", "CMX 3600 EDL", ("rate", "source", "timecode", "tracks"),
                 (FormOption(_SOURCE, "source (own frame rate)", "source"),), folder=True, names_media=True),
    ExportFormat("eaf", "timesync.export.eaf", ".eaf", "ELAN annotation file", names_media=True),
    ExportFormat("mp4", "timesync.export.grid", ".mp4", "synchronized grid video", _GRID, _GRID_FORM,
                 needs_ffmpeg=True, is_video=True, slow=True),
    ExportFormat("html", "timesync.export.html_report", ".html", "HTML report", _REPORT, _THUMB, slow=True),
    ExportFormat("pdf", "timesync.export.pdf_report", ".pdf", "PDF report (needs Chromium)", _REPORT, _THUMB,
                 needs_chromium=True, slow=True),
)

#: Format name -> :class:`ExportFormat`, in the order the CLI and the app list them.
REGISTRY: dict[str, ExportFormat] = {f.name: f for f in _BUILT_IN}


def register(fmt: ExportFormat) -> ExportFormat:
    """Add (or replace) a format; every reader sees it from then on. Returns ``fmt``.

    Raises
    ------
    ValueError
        A name that is not one lower-case word, an extension without its dot,
        or a dialog option the format does not take.
    """
    if not fmt.name or fmt.name != fmt.name.lower() or not fmt.name.isalnum():
        raise ValueError(f"an export format name is one lower-case word, not {fmt.name!r}")
    if not fmt.extension.startswith("."):
        raise ValueError(f"format {fmt.name}: the extension {fmt.extension!r} needs its dot")
    stray = [o.name for o in fmt.form if o.name not in fmt.options]
    if stray:
        raise ValueError(f"format {fmt.name}: the dialog offers {stray[0]!r}, which it does not take")
    REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove format ``name`` (a no-op when it is not there)."""
    REGISTRY.pop(name, None)


def get(name: str) -> ExportFormat | None:
    """The format called ``name`` (any case), or None."""
    return REGISTRY.get(name.lower())


def names() -> tuple[str, ...]:
    """Every format's name, in order."""
    return tuple(REGISTRY)


def formats_taking(option: str) -> tuple[str, ...]:
    """The names of the formats that accept keyword option ``option``, in order."""
    return tuple(f.name for f in REGISTRY.values() if option in f.options)


class RegistryView(Mapping[str, Any]):
    """A read-only live mapping ``name -> value(format)`` over :data:`REGISTRY` (so a later
    :func:`register` shows in it); ``keep`` picks the formats it holds."""

    def __init__(self, value: Callable[[ExportFormat], Any],
                 keep: Callable[[ExportFormat], bool] = lambda f: True) -> None:
        self._value = value
        self._keep = keep

    def __getitem__(self, name: str) -> Any:
        fmt = REGISTRY[name]
        if not self._keep(fmt):
            raise KeyError(name)
        return self._value(fmt)

    def __iter__(self) -> Iterator[str]:
        return (name for name, fmt in REGISTRY.items() if self._keep(fmt))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self.items()))
