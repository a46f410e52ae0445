"""Reading a placed video only where an unplaced video's flashes must fall (issue 14 item 2).

When audio placed some sources and left others unplaced, the flash aligners
read the unplaced videos and the placed video(s) that link them to the rest
(:func:`timesync.sync._flash_sources`: the reference, or the first placed
video). The unplaced videos are scanned whole: their flashes are what places
them. A link need not be. When a weaker constraint already says where, in the
link's local time, the unplaced video's flashes fall (:func:`narrowing`), only
windows around those places are decoded (:func:`windows_for`) and each window
is detected on its own (:func:`flashes_in_windows`), so the visual constraint
is still flash against flash, from the same events a whole scan finds there.

Weaker constraints, narrowest taken: the audio-visual match of the unplaced
video's flashes against the impulses heard by the link
(:func:`timesync.align.audiovisual.audiovisual_constraint`: milliseconds,
plus the sound-travel bound), a constraint between the two from an aligner
that already ran (burned-in clocks: ``"overlay"``), and their metadata tags
with the honest device-clock prior (:func:`timesync.align.metadata.find_constraints`:
its sigma of 15 min makes windows cover the video, so it narrows only short
offsets' worth). The link is read whole, as before, when no constraint
narrows, when the windows would cover more than :data:`MAX_COVER` of it, or
when an unplaced source's heard impulses need its flashes (an unplaced video
with too few flashes, or an audio-only source). When the windows give no clear
flash match consistent with the constraint, either the constraint is wrong or
the link did not see the flashes (a body cam hears a shot whose muzzle flash
only the helicopter sees): a second ear decides (:func:`_confirmed`: a placed
source the flash aligners do not read, whose heard impulses, through its audio
constraint with the link, put the flashes where the constraint does); without
one, the link is read whole. What was read is said in :attr:`FlashReads.said`
(the provenance ``aligners`` status), in the visual constraints' evidence
(``read_in_windows``) and in ``findings[link]["flash_windows"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align.constraints import NARROW_MARGIN_S, NARROW_SIGMAS, AlignerReport, Constraint
from timesync.align.flashes.detect import VisualEvent, detect_flashes
from timesync.align.flashes.pattern import MIN_AGREEING
from timesync.align.overlay.scan import repeat_last_seen

__all__ = ["FlashReads", "Narrowing", "read_flashes", "narrowing", "windows_for", "flashes_in_windows",
           "MIN_HALF_S", "PAD_S", "DRIFT", "MAX_COVER", "MAX_WITNESSES"]

#: Least half-width (s) of a window around a place where a flash must fall. Beyond the
#: constraint's own sigmas (:data:`~timesync.align.constraints.NARROW_SIGMAS` of them, plus
#: :data:`~timesync.align.constraints.NARROW_MARGIN_S`), a few seconds cover what a sigma
#: does not: the sound-travel bound of a heard constraint (0.29 s at 100 m) and frame-level
#: doubt about each flash's own onset (a frame, 0.04 s), with room to spare.
MIN_HALF_S = 3.0
#: Clock-rate difference (s per s) allowed between two devices' clocks away from where a
#: constraint was measured (200 ppm: beyond any crystal's): 0.7 s after an hour.
DRIFT = 2e-4
#: Decoded before and after every window (s) and thrown away: the flash detector looks
#: a few dozen frames either side of a rise (its baseline, a flash of up to
#: :data:`~timesync.align.flashes.detect.MAX_FLASH_S` and its trail, the frames after), so an
#: event is kept only where its window's frames give it all of that; rises in the padding
#: (the window's first frame has no predecessor, its last no follower) are never kept.
PAD_S = 2.0
#: Windows covering more than this fraction of a link's duration: the link is read whole
#: (every window costs a seek and the frames back to its keyframe).
MAX_COVER = 0.5
#: Witnesses tried at most per link and unplaced video to confirm flashes not seen in its
#: windows (each costs reading its impulses: a pass over its audio).
MAX_WITNESSES = 2
#: Kinds of constraints from aligners that already ran that may narrow a link's windows.
NARROWING_KINDS = ("manual", "audio-visual", "overlay", "metadata")


@dataclass(frozen=True)
class Narrowing:
    """Where an unplaced video's flashes fall in a link's local time.

    ``constraint``: ``source`` the unplaced video, ``other`` the link
    (``t_link = offset_s + rate * t_unplaced``); ``travel_s``: the sound-travel
    bound of a heard constraint (s, 0 for others).
    """

    constraint: Constraint
    travel_s: float = 0.0

    def half_s(self, t_unplaced: float) -> float:
        """Half-width (s) of the window around the place of a flash at ``t_unplaced`` (s): away from where
        the constraint was measured, :data:`DRIFT` per second, or its own rate's
        :data:`~timesync.align.constraints.NARROW_SIGMAS` sigmas when it measured one (and that is less)."""
        c = self.constraint
        drift = DRIFT if c.rate_uncertainty is None else min(DRIFT, NARROW_SIGMAS * c.rate_uncertainty)
        spread = NARROW_SIGMAS * c.uncertainty_s + NARROW_MARGIN_S + self.travel_s \
            + drift * abs(t_unplaced - c.at_source_s)
        return max(MIN_HALF_S, spread)

    def words(self) -> str:
        """``"audio-visual +-3.0 s"``: the kind and the least half-width."""
        return f"{self.constraint.kind} +-{self.half_s(self.constraint.at_source_s):.1f} s"


@dataclass
class FlashReads:
    """The flashes the flash aligners use, read once before they run.

    Attributes
    ----------
    flashes : dict
        Per video source read: its events, or the sentence saying why none were read.
    whole : set of str
        The sources read whole (the others in ``flashes`` were read in windows).
    heard : dict
        Impulse onsets (local s) already read per source (for the audio-visual aligner).
    findings : dict
        ``findings[link]["flash_windows"]``: what a link read in windows (windows,
        seconds, frames decoded, around which source, narrowed by what).
    said : list of str
        One sentence per link, for the provenance status.
    """

    flashes: dict[str, list[VisualEvent] | str] = field(default_factory=dict)
    whole: set[str] = field(default_factory=set)
    heard: dict[str, np.ndarray] = field(default_factory=dict)
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)


def _has(src: Any, stream: str) -> bool:
    return getattr(getattr(src, "info", None), stream, 1) is not None


def _name(src: Any) -> str:
    return Path(src.name).name


def read_flashes(sources: Sequence[Any], unplaced: set[str], reports: Sequence[AlignerReport], *,
                 travel_s: float = 0.0, witnesses: Sequence[Any] = (),
                 progress: Callable[[float, str], None] | None = None) -> FlashReads:
    """Read the unplaced videos whole, and each placed one in windows where that suffices.

    Parameters
    ----------
    sources : SourceMedia the flash aligners run over.
    unplaced : names of the sources audio (and manual anchors) did not place.
    reports : reports of the aligners that ran already (their constraints may narrow).
    travel_s : the sound-travel bound (s) of a heard constraint (``max_distance_m / c``).
    witnesses : placed sources the flash aligners do not read: when a link's windows show
        none of an unplaced video's flashes, the impulses one of them heard (mapped to the
        link by their audio constraint) may confirm that the flashes fall there (so the
        link did not see them), and the link is not read whole (:func:`_confirmed`).
    progress : optional ``progress(fraction, message)``.

    Returns
    -------
    FlashReads
    """
    from timesync.align.flashes.visual import flashes_or_note

    reads = FlashReads()
    ctx = _Context(reads, reports, witnesses, travel_s)
    videos = [s for s in sources if _has(s, "video")]
    for src in (s for s in videos if s.name in unplaced):
        if progress:
            progress(0.0, f"visual: flashes in {src.name}")
        reads.flashes[src.name] = flashes_or_note(src)
        reads.whole.add(src.name)
    others = [s for s in sources if s.name in unplaced]
    for link in (s for s in videos if s.name not in unplaced):
        if progress:
            progress(0.5, f"visual: flashes in {link.name}")
        events, sentence, found = _read_link(link, others, ctx)
        if events is None:
            reads.flashes[link.name] = flashes_or_note(link)
            reads.whole.add(link.name)
        else:
            reads.flashes[link.name] = events
            reads.findings[link.name] = {"flash_windows": found}
        if sentence is not None:
            reads.said.append(sentence)
    return reads


@dataclass(frozen=True)
class _Context:
    """What reading the links needs: the reads so far, the reports of the aligners that ran,
    the witnesses (see :func:`read_flashes`) and the sound-travel bound (s)."""

    reads: FlashReads
    reports: Sequence[AlignerReport]
    witnesses: Sequence[Any]
    travel_s: float


def _read_link(link: Any, others: Sequence[Any], ctx: _Context) \
        -> tuple[list[VisualEvent] | None, str | None, dict[str, Any] | None]:
    """``link``'s flashes read in windows, the sentence saying so and the findings; or None and why
    it is read whole (None when windows were no option: no unplaced video's flashes to look for,
    or an unplaced source's heard impulses to match against its flashes)."""
    whole = f"read {_name(link)} whole"
    around: list[tuple[Any, list[VisualEvent], Narrowing]] = []
    for src in others:
        events = ctx.reads.flashes.get(src.name)
        if not isinstance(events, list) or len(events) < MIN_AGREEING:
            if _has(src, "audio"):
                return None, None, None  # its impulses are matched against the link's flashes, all of them
            continue
        narrow = narrowing(src, events, link, ctx.reads, ctx.reports, ctx.travel_s)
        if narrow is None:
            return None, f"{whole}: no weaker constraint narrows where {_name(src)}'s flashes fall in it", None
        around.append((src, events, narrow))
    if not around:
        return None, None, None
    return _windowed(link, around, whole, ctx)


def _windowed(link: Any, around: Sequence[tuple[Any, list[VisualEvent], Narrowing]], whole: str, ctx: _Context) \
        -> tuple[list[VisualEvent] | None, str, dict[str, Any] | None]:
    """:func:`_read_link` once every unplaced video with flashes has a narrowing."""
    from timesync.align.overlay.scan import DecodeCount, cached_cells
    from timesync.errors import TimesyncError
    from timesync.media import FrameIndex

    names = " and ".join(f"{_name(src)}'s flashes as placed by {n.words()}" for src, _e, n in around)
    try:
        index = FrameIndex.open(link.path, sha256=getattr(getattr(link, "info", None), "sha256", None))
        if cached_cells(link.path, index) is not None:
            return None, f"{whole}: its cells were read whole already", None
        spans = windows_for([(ev, n) for _s, ev, n in around], index.start_s, index.end_s)
        duration = max(index.end_s - index.start_s, 1e-9)
        seconds = sum(b - a for a, b in spans)
        if seconds > MAX_COVER * duration:
            return None, (f"{whole}: windows around {names} would cover {100 * seconds / duration:.0f} % "
                          "of it"), None
        count = DecodeCount()
        events = flashes_in_windows(link.path, index, spans, count=count)
    except (TimesyncError, OSError, ValueError) as exc:
        return None, f"{whole}: its windows could not be read ({exc})", None
    unseen = {}
    for src, ev, n in around:
        if not _matches(src.name, ev, link.name, events, n):
            witness = _confirmed(link, src, ev, n, ctx)
            if witness is None:
                return None, (f"{whole}: its {len(spans)} windows around {names} gave no clear flash match "
                              f"with {_name(src)}"), None
            unseen[src.name] = witness
    sentence = f"read {_name(link)} in {len(spans)} windows, {seconds:.0f} s of {duration:.0f} s, around {names}"
    sentence += "".join(f"; {Path(u).name}'s flashes not seen there, the rest not read: the impulses "
                        f"{Path(w).name} heard place them there too" for u, w in unseen.items())
    found = {"windows": len(spans), "seconds": round(seconds, 3), "duration_s": round(duration, 3),
             "frames_decoded": count.frames, "frames": len(index),
             "around": [src.name for src, _e, _n in around],
             "narrowed_by": [n.constraint.kind for _s, _e, n in around],
             "half_width_s": [round(n.half_s(n.constraint.at_source_s), 3) for _s, _e, n in around],
             "not_seen_confirmed_by": unseen, "read": sentence}
    return events, sentence, found


def _confirmed(link: Any, src: Any, events: Sequence[VisualEvent], narrow: Narrowing, ctx: _Context) -> str | None:
    """A witness whose heard impulses place ``src``'s flashes in ``link`` where ``narrow`` does, or None.

    Tried: up to :data:`MAX_WITNESSES` witnesses with audio and an ``"audio"``
    constraint with the link (their impulses read once each); their
    audio-visual match against ``events`` composed with that constraint must
    put the first and the last flash within the windows' half-width of where
    ``narrow`` puts them. Two independent paths then agree: the link did not see
    the flashes (a whole scan could only find a match that contradicts both).
    """
    audio = [c for r in ctx.reports if r.method == "audio" for c in r.constraints]
    tried = 0
    for w in ctx.witnesses:
        if tried >= MAX_WITNESSES or w.name in (link.name, src.name) or not _has(w, "audio"):
            continue
        path = next((c if c.source == w.name else c.reversed() for c in audio
                     if {c.source, c.other} == {w.name, link.name}), None)
        if path is None:
            continue
        tried += 1
        heard = _heard_match(w, src.name, list(events), ctx.reads)  # t_w = offset + t_src
        ends = (events[0].boundary_s, events[-1].boundary_s)
        if heard is not None and all(abs(path.to_other(heard.to_other(t)) - narrow.constraint.to_other(t))
                                     <= narrow.half_s(t) for t in ends):
            return w.name
    return None


def _matches(name: str, events: list[VisualEvent], link: str, seen: list[VisualEvent], narrow: Narrowing) -> bool:
    """True when the flashes ``seen`` in the link's windows match ``events`` clearly, at an offset
    within the windows' half-width of the narrowing constraint's."""
    from timesync.align.flashes.visual import visual_constraint

    if len(seen) < MIN_AGREEING:
        return False
    found, _why = visual_constraint(name, events, link, seen)
    if found is None:
        return False
    t = found.at_source_s
    return abs(found.to_other(t) - narrow.constraint.to_other(t)) <= narrow.half_s(t)


def narrowing(unplaced: Any, events: Sequence[VisualEvent], link: Any, reads: FlashReads,
              reports: Sequence[AlignerReport], travel_s: float = 0.0) -> Narrowing | None:
    """The narrowest weaker constraint on where ``unplaced``'s flashes fall in ``link``, or None.

    Candidates: the audio-visual match of ``events`` against the impulses
    ``link`` heard (read here once, kept in ``reads.heard``), constraints of
    :data:`NARROWING_KINDS` between the two in ``reports``, and their metadata
    tags with the device-clock prior. Each as a :class:`Narrowing` from
    ``unplaced`` to ``link``; the one with the narrowest windows is taken.
    """
    from timesync.align import metadata

    pair = {unplaced.name, link.name}
    found: list[Narrowing] = []
    heard = _heard_match(link, unplaced.name, list(events), reads)
    if heard is not None:
        found.append(Narrowing(heard, travel_s))
    tagged = metadata.find_constraints([unplaced, link]).constraints
    for c in [c for r in reports for c in r.constraints] + tagged:
        if {c.source, c.other} == pair and c.kind in NARROWING_KINDS:
            c = c if c.source == unplaced.name else c.reversed()
            found.append(Narrowing(c, travel_s if c.kind == "audio-visual" else c.travel_bound_s))
    return min(found, key=lambda n: n.half_s(n.constraint.at_source_s), default=None)


def _heard_match(link: Any, name: str, events: list[VisualEvent], reads: FlashReads) -> Constraint | None:
    """The audio-visual constraint ``name`` -> ``link`` from the impulses ``link`` heard, or None."""
    from timesync.align.audiovisual import audiovisual_constraint, heard_impulses
    from timesync.errors import TimesyncError

    if not _has(link, "audio"):
        return None
    if link.name not in reads.heard:
        try:
            reads.heard[link.name] = heard_impulses(link.path)
        except (TimesyncError, OSError, ValueError):
            return None  # the audio-visual aligner reads it again and notes why
    onsets = reads.heard[link.name]
    if len(onsets) < 3 or not math.isfinite(float(np.sum(onsets))):
        return None
    c = audiovisual_constraint(link.name, onsets, name, events)  # t_name = offset + t_link
    return None if c is None else c.reversed()


def windows_for(around: Sequence[tuple[Sequence[VisualEvent], Narrowing]], start_s: float, end_s: float) \
        -> list[tuple[float, float]]:
    """The windows ``(start_s, stop_s)`` (the link's local s) where the flashes must fall, in time order.

    Each event (at its frame boundary: within a frame of its onset) is mapped
    by its narrowing's constraint and widened by :meth:`Narrowing.half_s`,
    cut to ``[start_s, end_s]`` (the link's frames); windows closer than
    ``2 * PAD_S`` are joined (their paddings would overlap).
    """
    spans = []
    for events, narrow in around:
        for e in events:
            centre, half = narrow.constraint.to_other(e.boundary_s), narrow.half_s(e.boundary_s)
            a, b = max(start_s, centre - half), min(end_s, centre + half)
            if b > a:
                spans.append((a, b))
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + 2 * PAD_S:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class _WindowIndex:
    """The frame times of one window (what :func:`detect_flashes` reads of an index)."""

    times: np.ndarray
    end_s: float

    def __len__(self) -> int:
        return len(self.times)


def flashes_in_windows(path: str | Path, index: Any, spans: Sequence[tuple[float, float]], *,
                       count: Any = None) -> list[VisualEvent]:
    """The flashes of ``path`` that start in the windows ``spans`` (local s), in time order.

    Each window is decoded with :data:`PAD_S` more either side
    (:func:`~timesync.align.overlay.scan.iter_windows`, the cheap decode, and
    :func:`~timesync.align.overlay.scan.cells_of`: the cells a whole scan
    takes) and detected on its own; events whose first frame starts outside
    the window are dropped. ``count``: a ``DecodeCount`` of the frames decoded.
    Frame numbers are the index's.
    """
    from timesync.align.overlay.scan import CELL_GRID, iter_windows

    times = np.asarray(index.times, float)
    padded = [(a - PAD_S, b + PAD_S) for a, b in spans]
    events: list[VisualEvent] = []
    grid: tuple[int, np.ndarray, np.ndarray] | None = None  # (window, first frame, cells)
    seen = np.zeros(0, bool)
    for k, number, luma in iter_windows(path, index, padded, count=count, cheap=True):
        if grid is None or grid[0] != k:
            if grid is not None:
                events += _window_events(path, index, times, grid[1], grid[2], seen, spans[grid[0]])
            first = int(np.searchsorted(times, padded[k][0] - 1e-9))
            stop = int(np.searchsorted(times, padded[k][1] - 1e-9))
            grid = (k, first, np.zeros((stop - first, CELL_GRID[1], CELL_GRID[0]), np.uint8))
            seen = np.zeros(stop - first, bool)
        _add(grid[2], seen, number - grid[1], luma)
    if grid is not None:
        events += _window_events(path, index, times, grid[1], grid[2], seen, spans[grid[0]])
    return events


def _add(cells: np.ndarray, seen: np.ndarray, i: int, luma: np.ndarray) -> None:
    from timesync.align.overlay.scan import cells_of

    if 0 <= i < len(cells):
        cells_of(luma, out=cells[i])
        seen[i] = True


def _window_events(path: str | Path, index: Any, times: np.ndarray, first: int, cells: np.ndarray,
                   seen: np.ndarray, span: tuple[float, float]) -> list[VisualEvent]:
    """:func:`detect_flashes` of one decoded window (frames ``first`` on), the events starting in ``span``."""
    if not seen.any():
        return []
    repeat_last_seen(cells, seen, fill_head=True)  # frames the decoder did not give repeat the nearest picture
    stop = first + len(cells)
    end_s = float(times[stop]) if stop < len(times) else float(index.end_s)
    found = detect_flashes(path, index=_WindowIndex(times[first:stop], end_s), bright=cells)
    return [replace(e, frame=e.frame + first) for e in found if span[0] <= times[e.frame + first] < span[1]]
