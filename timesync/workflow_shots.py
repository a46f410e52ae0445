"""Shots fired in a project: the project-facing half of :mod:`timesync.detect`.

:mod:`timesync.detect` works on plain data (tracks: samples or streams of
blocks, clocks, names) and never sees a project. This module turns a project
into that data and the answers back into the project; the CLI (``timesync
shots``), the app and the demo call it:

* :func:`project_tracks`: each source as a :class:`~timesync.detect.TrackStream`
  (its clock, its audio read block by block when listened to, where a local time
  falls in its frames);
* :func:`detect_project_shots`: :func:`timesync.detect.detect_shots` over those,
  then each shot's wall-clock time, whether a "shot fired" event is there
  already, and the project named in the table's provenance;
* :func:`add_shots_to_project`: the table's shots as "shot fired" events;
* :func:`correct_clocks`: the ``--correct-clocks`` re-solve, the audio
  constraints corrected for sound travel from shots fired at a known place.

Sign convention: ``shared = offset_s + rate * local`` (:class:`~timesync.clock.ClockMap`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from timesync.align.anchors import anchor_constraints
from timesync.detect.correction import consistent_constraints, shot_constraints
from timesync.detect.shots import detect_shots
from timesync.detect.table import ShotTable
from timesync.detect.tracks import Heard, TrackStream
from timesync.project import Project
from timesync.workflow import project_anchors, stored_constraints

__all__ = [
    "SHOT_EVENT_TYPE",
    "project_tracks",
    "detect_project_shots",
    "add_shots_to_project",
    "correct_clocks",
]

#: The project event type written by ``timesync shots --add``.
SHOT_EVENT_TYPE = "shot fired"


def project_tracks(project: Project) -> list[TrackStream]:
    """Each source of ``project`` as a track to listen to, in the project's order.

    A source without a clock, whose file is missing or that has no audio gets
    that status instead of audio when listened to; one that cannot be read is
    "unreadable: ...". Frame numbers come from each source's frame index.
    """
    from timesync.project import open_indexes

    indexes = open_indexes(project)
    return [_source_track(project, source, indexes.get(source.name)) for source in project.sources]


def _source_track(project: Project, source: Any, index: Any) -> TrackStream:
    """One source as a :class:`TrackStream` (``index``: its FrameIndex or None)."""
    from timesync.media import iter_audio_blocks, probe
    from timesync.project import locate

    def where(local_s: float) -> tuple[str, int | None]:
        if source.clock is None:
            return "not aligned", None
        loc = locate(source.clock.to_shared(local_s), source, index)
        return loc.status, loc.frame

    def listen(sr_max: int) -> Heard:
        if source.clock is None:  # its shots could not be placed on the shared clock
            return f"not aligned{': ' + source.reason if source.reason else ''}"
        path = project.resolve(source.name)
        if not path.is_file():
            return f"missing: {path} is not there"
        info = probe(path, sha256=source.sha256)
        if info.audio is None:
            return "no audio"
        sr = float(min(int(info.audio.sample_rate or sr_max), sr_max))
        return sr, iter_audio_blocks(path, sr=int(sr), block_s=30.0)

    return TrackStream(source.name, source.clock, listen, where)


def detect_project_shots(
    project: Project | str | os.PathLike[str],
    *,
    annotated_within_s: float = 0.005,
    **options: Any,
) -> ShotTable:
    """Shots fired heard by the sources of a project, on its shared clock.

    Parameters
    ----------
    project : Project or path-like
        The project, or its file (loaded here).
    annotated_within_s : float
        A shot within this many seconds of an existing "shot fired" event is
        marked ``annotated``.
    **options
        Those of :func:`timesync.detect.detect_shots` (``min_score``,
        ``max_travel_s``, ``positions``, ``shooter``, ``distances_m``,
        ``temperature_c``, ``sr``, ``progress`` and the detector's parameters).

    Returns
    -------
    ShotTable
        As :func:`timesync.detect.detect_shots`, with each shot's wall-clock
        time (when the project has one) and ``annotated`` flag, and the
        project's path in the provenance.
    """
    if isinstance(project, str | os.PathLike):
        project = Project.load(project)
    table = detect_shots(project_tracks(project), **options)
    table.provenance["project"] = str(project.path) if project.path else None
    existing = [a.shared_s for a in project.annotations if a.type == SHOT_EVENT_TYPE]
    for shot in table.shots:
        shot.wall_clock = _wall_clock(project, shot.shared_s)
        shot.annotated = any(abs(t - shot.shared_s) <= annotated_within_s for t in existing)
    return table


def _wall_clock(project: Project, shared_s: float) -> str | None:
    """The UTC time (ISO 8601, ms) at shared time ``shared_s`` (s), or None without a wall clock."""
    wall = getattr(project, "wall_clock", None)
    if not wall or not wall.get("utc_at_shared_zero"):
        return None
    try:
        zero = datetime.fromisoformat(str(wall["utc_at_shared_zero"]).replace("Z", "+00:00"))
    except ValueError:
        return None
    text = (zero + timedelta(seconds=shared_s)).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def add_shots_to_project(
    project: Project,
    table: ShotTable,
    *,
    min_score: float = 0.5,
    author: str = "timesync",
    within_s: float = 0.005,
    require_accepted: bool = False,
) -> list[Any]:
    """Write the table's shots as "shot fired" events (not saved; call ``project.save()``).

    Shots below ``min_score``, rejected by a reviewer (``accepted is False``;
    with ``require_accepted`` also the undecided ones), or within ``within_s``
    of an existing "shot fired" event are skipped, so adding twice adds nothing
    the second time. Returns the new annotations.
    """
    added = []
    existing = [a.shared_s for a in project.annotations if a.type == SHOT_EVENT_TYPE]
    for shot in table.shots:
        if shot.score < min_score or shot.accepted is False:
            continue
        if require_accepted and shot.accepted is not True:
            continue
        if any(abs(t - shot.shared_s) <= within_s for t in existing):
            shot.annotated = True
            continue
        heard = shot.heard_by
        source = min(heard, key=lambda n: shot.sources[n].arrival_shared_s or math.inf) if heard else None
        if source not in {s.name for s in project.sources}:
            source = None  # a table made from arrays: its names are not the project's sources
        note = (f"detected by timesync shots, score {shot.score:.2f}, confidence {shot.confidence:.2f}, "
                f"heard by {', '.join(heard)}; {shot.time_basis}")
        ann = project.add_annotation(SHOT_EVENT_TYPE, shot.shared_s, source=source, note=note, author=author)
        existing.append(shot.shared_s)
        shot.annotated = True
        added.append(ann)
    return added


def _entries(name: str, used: Sequence[Any]) -> list[dict[str, Any]]:
    """The constraint entries of the history for source ``name``, seen from it."""
    from timesync.project.schema import constraint_entry
    from timesync.sync import _seen_from

    return [constraint_entry(_seen_from(name, k)) for k in used if name in (k.source, k.other)]


def correct_clocks(
    project: Project,
    table: ShotTable,
    positions: Mapping[str, Sequence[float]],
    shooter: Sequence[float],
    c: float,
    *,
    temperature_c: float,
    author: str | None = None,
) -> list[str]:
    """Solve the clocks again with the audio constraints corrected for sound travel.

    The shots of ``table`` fired at ``shooter`` (metres, as ``positions``;
    ``c`` in m/s) give :func:`timesync.detect.correction.shot_constraints`;
    they replace the stored audio constraints between the sources they tie,
    and the clocks are solved with the rest and every anchor. Returns one
    sentence per changed clock (the change in ms); an empty list when no shot
    ties two sources together. Every change is one history entry
    (``clock_corrected``) carrying the reason.
    """
    from timesync.align.solve import solve

    clocks = {s.name: s.clock for s in project.sources}
    fresh, left_out = consistent_constraints(shot_constraints(clocks, table, positions, shooter, c))
    if not fresh:
        return []
    tied = {n for k in fresh for n in (k.source, k.other)}
    kept = [k for k in stored_constraints(project) if not (k.kind == "audio" and {k.source, k.other} <= tied)]
    names = [s.name for s in project.sources]
    reference = project.reference or names[0]
    durations = {s.name: s.duration_s for s in project.sources if s.duration_s}
    sol = solve(names, kept + anchor_constraints(project_anchors(project)) + fresh, reference,
                durations=durations)
    shots = len({k.evidence["shot"] for k in fresh})
    where = ", ".join(f"{v:g}" for v in shooter)
    reason = (f"audio constraints corrected for sound travel: {shots} shot(s) from the shooter at ({where}) m, "
              f"c = {c:.1f} m/s ({temperature_c:g} °C)")
    if left_out:
        rows = sorted({k.evidence["shot"] for k in left_out})
        reason += (f"; {len(left_out)} constraint(s) of {len(rows)} row(s) ({', '.join(rows)}) left out: "
                   "they disagree with the other shots, so were not fired from the shooter's position")
    said = []
    for name in names:
        clock = sol.clocks.get(name)
        old = project.clock(name)
        if clock is None or name == reference:
            continue
        project.correct_clock(name, clock, sol.travel_bounds.get(name, 0.0), reason,
                              constraints=_entries(name, sol.used), author=author)
        moved = "" if old is None else f" (moved {(clock.offset_s - old.offset_s) * 1e3:+.1f} ms)"
        said.append(f"{name}: clock corrected for sound travel{moved}")
    return said
