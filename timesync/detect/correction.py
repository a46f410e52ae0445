"""Clocks corrected for sound travel, from shots fired at a known place.

An audio constraint matches arrivals: a sound from elsewhere (a conversation)
reaches two cameras at times that differ by their path difference / c, and the
clocks it gives are off by as much. A shot fired from the shooter's known position measures the true relation
instead: heard at local ``x`` in source X and ``h`` in source H, it was at X at
true time ``T + d_X / c`` and at H at ``T + d_H / c``, so the moment X hears it
is H's local time ``h - (d_H - d_X) / c`` (through H's rate). Each such pair is
a constraint with no travel bound: :func:`shot_constraints`.
:func:`timesync.workflow_shots.correct_clocks` replaces the audio constraints
between the sources those shots tie together by them, solves the clocks again
with the project's other evidence and anchors, and records each changed clock
with the reason in the project's history.

A row of the shot table that was not fired from the shooter's position (a
speech transient or a door heard by several cameras, a row that joined the
wrong arrivals) gives constraints that disagree with the true shots' by its
path differences: :func:`consistent_constraints` keeps, for each pair of
sources with three or more constraints, those within
:data:`CONSISTENT_SIGMAS` sigmas of the pair's median, and leaves the others out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from timesync.align.constraints import Constraint
from timesync.clock import ClockMap
from timesync.detect.table import ShotTable
from timesync.detect.tracks import ONSET_SIGMA_S
from timesync.detect.travel import distances_from_positions

__all__ = ["shot_constraints", "consistent_constraints", "CONSISTENT_SIGMAS"]

#: A shot constraint further than this many of its sigmas from the median of its pair of sources
#: (three or more constraints) was not fired from the shooter's position: left out.
CONSISTENT_SIGMAS = 10.0


def shot_constraints(
    clocks: Mapping[str, ClockMap | None],
    table: ShotTable,
    positions: Mapping[str, Sequence[float]],
    shooter: Sequence[float],
    c: float,
) -> list[Constraint]:
    """Travel-corrected constraints (kind ``"audio"``, ``travel_bound_s = 0``) from shots fired at ``shooter``.

    ``clocks``: each source's clock (local -> shared; ``None`` or absent: not
    aligned, skipped); ``positions`` and ``shooter`` in metres; ``c`` the speed
    of sound, m/s.

    Per shot, each source that heard it (with a position and a clock) against
    the first such source; one sigma ``sqrt(2) * ONSET_SIGMA_S`` (the onsets; the
    positions are taken as exact). Rejected shots are skipped. The shooter's
    position must be given: with one stationary shooter, the clock errors and
    its position trade off, so a shot located on the audio clocks cannot
    correct them.
    """
    out = []
    where = shooter
    for shot in table.shots:
        if shot.accepted is False:
            continue
        heard = [n for n, s in shot.sources.items()
                 if s.heard and s.local_s is not None and n in positions and clocks.get(n) is not None]
        if len(heard) < 2:
            continue
        dist = distances_from_positions({n: positions[n] for n in heard}, where)
        hub = heard[0]
        hub_clock = clocks[hub]
        h = shot.sources[hub].local_s
        for name in heard[1:]:
            x = shot.sources[name].local_s
            h_at_x = hub_clock.to_local(hub_clock.to_shared(h) - (dist[hub] - dist[name]) / c)
            out.append(Constraint(
                source=name, other=hub, offset_s=h_at_x - x, uncertainty_s=math.sqrt(2.0) * ONSET_SIGMA_S,
                kind="audio", at_source_s=x, score=1.0,
                evidence={"shot": shot.id, "corrected_for": "sound travel", "speed_of_sound_m_s": c}))
    return out


def consistent_constraints(constraints: Sequence[Constraint]) -> tuple[list[Constraint], list[Constraint]]:
    """``(kept, left_out)``: per pair of sources (either order), the constraints within
    :data:`CONSISTENT_SIGMAS` of their own sigma from the pair's median offset.

    Shots fired from one position tie a pair of sources by the same offset
    (s, same sign as :class:`~timesync.align.constraints.Constraint`) whatever
    the shot; one that disagrees by more came from elsewhere. A pair with fewer
    than three constraints has no majority to go by: all are kept.
    """
    groups: dict[tuple[str, str], list[tuple[Constraint, float]]] = {}
    for k in constraints:
        key, sign = ((k.source, k.other), 1.0) if k.source <= k.other else ((k.other, k.source), -1.0)
        groups.setdefault(key, []).append((k, sign * k.offset_s))
    kept, left_out = [], []
    for members in groups.values():
        if len(members) < 3:
            kept += [k for k, _ in members]
            continue
        middle = statistics.median(v for _, v in members)
        for k, v in members:
            (kept if abs(v - middle) <= CONSISTENT_SIGMAS * k.uncertainty_s else left_out).append(k)
    return kept, left_out
