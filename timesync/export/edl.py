"""``edl``: CMX 3600 edit decision lists, one source per file at that source's own frame rate.

A CMX 3600 EDL has one video track and one frame rate (its ``FCM`` line), so:

* ``export(project, "edl", "b.edl", source="bodycam_B.mp4")`` (CLI ``--format edl
  -o b.edl --source bodycam_B.mp4``) writes that source (default: the
  reference) as one event. ``-o`` naming an existing folder writes one EDL per
  aligned source there, ``<project>.<source>.edl`` (nothing is written if any of
  them exists, unless forced). ``source="all"`` (``--source all``) with a file
  name writes every aligned source as one multi-reel EDL where the format
  allows it: all at one frame rate and none overlapping another on the record
  timeline (one video track); otherwise it is refused with the reason.
* Timecodes count the source's own frames: 25 fps as 25, 29.97 as non-drop
  frame (``FCM: NON-DROP FRAME``, ``00:00:17:26``) or, with ``timecode="df"``,
  drop frame (``FCM: DROP FRAME``, ``00:00:17;26``). An audio-only source is
  counted in ``rate`` frames (default: the sequence's, i.e. the reference's).
  ``rate`` may not differ from a video source's own rate.
* Source in/out: the whole file, 00:00:00:00 to its frame count. Record in: the
  source's placement (``to_shared(0) - t0``, the same ``t0`` as the other
  timeline exports) rounded to the nearest frame, so within half a frame.
* Channels: ``B`` (video and audio 1) for video with audio, ``V`` for video
  only, ``A`` for audio only; ``tracks="video"`` or ``"audio"`` narrows it
  (asking for what the media lacks is refused).
* Each event the source recorded is a ``* LOC:`` line at its local time rounded
  to the nearest frame: ``* LOC: 00:00:06:28 RED     shot fired (e1): shot 1``.
  OTIO's CMX reader reads LOC lines in non-drop timecode only (it skips
  ``;``); pycmx keeps them as remarks.
* Media: ``* FROM CLIP NAME:``, ``* FROM CLIP:`` (URL relative to the EDL's
  folder: OTIO's reader makes it the media reference) and ``* SOURCE FILE:``
  (absolute path: pycmx's ``source_file``).
* Drift cannot be carried (a CMX ``M2`` speed has one decimal); the record out
  is record in + the media's frames, so a drifting clock's end is off by
  ``drift * duration`` (documented in the comments). The provenance follows as
  ``*`` comment lines.

Repeated exports are byte-identical.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError
from timesync.export import editorial as ed
from timesync.export.provenance import provenance_lines

if TYPE_CHECKING:
    from timesync.project import Project, Source

TRACKS = ("video", "audio", "both")


def timecode(frames: int, rate: Fraction, drop: bool = False) -> str:
    """``HH:MM:SS:FF`` of a frame count at ``rate`` (drop frame: ``HH:MM:SS;FF``, 29.97/59.94 only)."""
    if frames < 0:
        raise ExportError(f"a timecode cannot be negative ({frames} frames)")
    base = round(rate)
    if drop:
        skip = base // 15  # 2 frame numbers a minute at 29.97, 4 at 59.94; none every tenth minute
        per_ten = base * 600 - skip * 9
        tens, rest = divmod(frames, per_ten)
        frames += skip * 9 * tens + (skip * ((rest - skip) // (base * 60 - skip)) if rest > skip else 0)
    hours, rem = divmod(frames, base * 3600)
    minutes, rem = divmod(rem, base * 60)
    seconds, ff = divmod(rem, base)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{';' if drop else ':'}{ff:02d}"


def reel_name(project: Project, source: Source) -> str:
    """An 8-character CMX reel name from the file name, unique within the project."""
    def base(s: Source) -> str:
        return (re.sub(r"[^A-Z0-9]", "", Path(s.name).stem.upper()) or "REEL")[:8]

    wanted = base(source)
    same = [s.name for s in project.sources if base(s) == wanted]
    if len(same) == 1:
        return wanted
    return f"{wanted[:5]}{same.index(source.name) + 1:03d}"


def _edl_rate(project: Project, source: Source, rate: float | None, drop: bool) -> Fraction:
    own = ed.frame_rate(source)
    if own is None:
        own = ed.sequence_rate(project, rate)
    elif rate is not None and abs(ed.sequence_rate(project, rate) - own) > 1e-3:
        raise ExportError(f"{source.name}: an EDL of it counts its own {float(own):.3f} fps frames; "
                          f"rate={rate} would misplace them")
    if drop and not ed.is_ntsc(own):
        raise ExportError(f"{source.name}: drop-frame timecode exists at 29.97 and 59.94 fps only; "
                          f"this EDL runs at {float(own):g} fps")
    return own


def _channel(source: Source, tracks: str) -> str:
    if tracks not in TRACKS:
        raise ExportError(f"{source.name}: tracks must be one of {', '.join(TRACKS)}, not {tracks!r}")
    video, audio = source.has_video and ed.frame_rate(source) is not None, ed.sample_rate(source) is not None
    if tracks == "audio" and not audio:
        raise ExportError(f"{source.name} has no audio: an EDL of it cannot carry audio")
    if tracks == "video" and not video:
        raise ExportError(f"{source.name} has no video: an EDL of it cannot carry video")
    if tracks == "video" or (video and not audio):
        return "V"
    if tracks == "audio" or not video:
        return "A"
    return "B"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _check_style(name: str, timecode_style: str) -> bool:
    if timecode_style not in ("ndf", "df"):
        raise ExportError(f"{name}: timecode must be ndf or df, not {timecode_style!r}")
    return timecode_style == "df"


def _event(project: Project, source: Source, number: int, folder: Path, fps: Fraction, drop: bool,
           tracks: str) -> tuple[int, int, list[str], list[str]]:
    """``(record in, record out, event lines, trailing notes)`` of the source as event ``number``."""
    if source.clock is None:
        raise ExportError(f"{source.name}: not aligned, so it has no place on the timeline")
    channel = _channel(source, tracks)
    count = ed.frame_count(source) if ed.frame_rate(source) is not None else None
    if count is None:
        count = round(ed.media_seconds(project, source) * fps)
    rec_in = round(ed.placement_s(source, ed.timeline_origin(project)) * fps)
    relative, absolute = ed.media_paths(project, source, folder)
    lines = [f"{number:03d}  {reel_name(project, source):<8} {channel:<4}  C        {timecode(0, fps, drop)} "
             f"{timecode(count, fps, drop)} {timecode(rec_in, fps, drop)} {timecode(rec_in + count, fps, drop)}",
             f"* FROM CLIP NAME: {_one_line(source.name)}", f"* FROM CLIP: {relative}", f"* SOURCE FILE: {absolute}"]
    for ann in project.annotations:
        frame = round(ed.event_local_s(source, ann) * fps)
        if 0 <= frame < count:
            text = f"{ann.type} ({ann.id})" + (f": {ann.note}" if ann.note else "")
            lines.append(f"* LOC: {timecode(frame, fps, drop)} RED     {_one_line(text)}")
    notes = []
    if source.clock.rate != 1.0:
        local = float(count / fps)
        notes.append(f"* {source.name}: drift {source.clock.drift_ppm:+.3f} ppm is not carried (CMX 3600 "
                     f"cannot): the record out is off by {source.clock.shared_duration(local) - local:+.4f} s")
    return rec_in, rec_in + count, lines, notes


def _document(project: Project, title: str, fps: Fraction, drop: bool, body: list[str], notes: list[str]) -> bytes:
    lines = [f"TITLE: {_one_line(title)}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", "", *body]
    lines.append(f"* timeline zero = shared {ed.timeline_origin(project):.6f} s; timecodes at "
                 f"{float(fps):.3f} fps, record in rounded to the nearest frame")
    lines += notes + [f"* {_one_line(line)}" for line in provenance_lines(project)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_source(project: Project, source: Source, folder: Path, *, rate: float | None = None,
                  timecode_style: str = "ndf", tracks: str = "both") -> bytes:
    """The EDL of one aligned ``source`` (module docstring), for an EDL written in ``folder``."""
    drop = _check_style(source.name, timecode_style)
    fps = _edl_rate(project, source, rate, drop)
    _, _, body, notes = _event(project, source, 1, folder, fps, drop, tracks)
    return _document(project, f"{Path(project.label).stem} {source.name}", fps, drop, body, notes)


def render_combined(project: Project, folder: Path, *, rate: float | None = None,
                    timecode_style: str = "ndf", tracks: str = "both") -> bytes:
    """Every aligned source in one multi-reel EDL, when the format allows it (one rate, no overlap)."""
    sources = ed.aligned_sources(project)
    if not sources:
        raise ExportError(f"{project.label}: no aligned source to put in an EDL")
    drop = _check_style(project.label, timecode_style)
    rates = {s.name: ed.frame_rate(s) for s in sources if ed.frame_rate(s) is not None}
    if len(set(rates.values())) > 1:
        ordered = sorted(rates.items(), key=lambda kv: (kv[1], kv[0]))
        (a, ra), (b, rb) = ordered[0], ordered[-1]
        raise ExportError(f"{project.label}: {a} runs at {float(ra):.3f} fps and {b} at {float(rb):.3f}; one CMX "
                          f"3600 EDL holds one frame rate (give a folder for one EDL per source)")
    video = [s for s in sources if s.name in rates]  # audio-only sources are counted in their frames
    fps = _edl_rate(project, video[0] if video else sources[0], rate, drop)
    events = sorted(((*_event(project, s, 0, folder, fps, drop, tracks), s.name) for s in sources),
                    key=lambda e: (e[0], e[4]))
    for before, after in zip(events, events[1:], strict=False):
        if after[0] < before[1]:
            raise ExportError(f"{project.label}: {before[4]} and {after[4]} overlap on the record timeline; "
                              f"a CMX 3600 EDL has one video track (give a folder for one EDL per source)")
    body, notes = [], []
    for number, (_, _, lines, extra, _) in enumerate(events, start=1):
        body += [f"{number:03d}{lines[0][3:]}", *lines[1:]]
        notes += extra
    return _document(project, Path(project.label).stem, fps, drop, body, notes)


def _options(options: dict[str, Any]) -> dict[str, Any]:
    return {"rate": options.get("rate"), "timecode_style": str(options.get("timecode") or "ndf").lower(),
            "tracks": str(options.get("tracks") or "both").lower()}


def render(project: Project, *, source: str | None = None, folder: Path | None = None, **options: Any) -> bytes:
    """The EDL of ``source`` (default: the reference; ``"all"``: every source in one, if allowed)."""
    if not project.sources:
        raise ExportError(f"{project.label}: no source to put in an EDL")
    if source == "all" and not project.has_source("all"):
        return render_combined(project, folder or project.base_dir, **_options(options))
    name = source or project.reference or project.sources[0].name
    if not project.has_source(name):
        raise ExportError(f"{project.label}: no source named {name!r}")
    return render_source(project, project.source(name), folder or project.base_dir, **_options(options))


def write(project: Project, target: Path, *, fmt: str = "edl", progress: Any = None, **options: Any) -> None:
    """Write the one-source EDL to ``target`` atomically."""
    from timesync.project.store import atomic_write_bytes

    atomic_write_bytes(target, render(project, folder=target.parent, **options))
    if progress is not None:
        progress(1.0, f"wrote {target.name}")


def folder_names(project: Project, folder: Path) -> dict[str, Path]:
    """Source name -> ``folder/<project>.<source>.edl`` for every aligned source."""
    stem = Path(project.label).stem
    return {s.name: folder / f"{stem}.{Path(s.name).stem}.edl" for s in ed.aligned_sources(project)}


def write_folder(project: Project, folder: Path, *, force: bool = False, progress: Any = None,
                 **options: Any) -> list[Path]:
    """One EDL per aligned source in ``folder``; every file is rendered before any is written."""
    from timesync.project.store import atomic_write_bytes

    if options.get("source"):
        raise ExportError(f"{folder.name}: give a file name with source=, or a folder for every source")
    targets = folder_names(project, folder)
    if not targets:
        raise ExportError(f"{project.label}: no aligned source to put in an EDL")
    existing = [p.name for p in targets.values() if p.exists()]
    if existing and not force:
        raise ExportError(f"{existing[0]} exists in {folder}; pass --force to overwrite")
    payloads = {p: render_source(project, project.source(n), folder, **_options(options)) for n, p in targets.items()}
    for path, payload in payloads.items():
        atomic_write_bytes(path, payload)
    if progress is not None:
        progress(1.0, f"wrote {len(payloads)} EDLs")
    return list(payloads)
