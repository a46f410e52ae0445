"""Clocks corrected for sound travel, from shots fired at a known place.

An audio constraint matches arrivals: a sound from elsewhere (a conversation)
reaches two cameras at times that differ by their path difference / c, and the
clocks it gives are off by as much. A shot fired from the shooter's known position measures the true relation
instead: heard at local ``x`` in source X and ``h`` in source H, it was at X at
true time ``T + d_X / c`` and at H at ``T + d_H / c``, so the moment X hears it
is H's local time ``h - (d_H - d_X) / c`` (through H's rate). Each such pair is
a constraint with no travel bound. :func:`correct_clocks` replaces the audio
constraints between the sources those shots tie together by them, solves the
clocks again with the project's other evidence and anchors, and records each
changed clock with the reason in the project's history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from timesync.align.constraints import Constraint
from timesync.events.table import ShotTable
from timesync.events.tracks import ONSET_SIGMA_S
from timesync.events.travel import distances_from_positions

__all__ = ["shot_constraints", "correct_clocks"]


def shot_constraints(
    project: Any,
    table: ShotTable,
    positions: Mapping[str, Sequence[float]],
    shooter: Sequence[float],
    c: float,
) -> list[Constraint]:
    """Travel-corrected constraints (kind ``"audio"``, ``travel_bound_s = 0``) from shots fired at ``shooter``.

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
                 if s.heard and s.local_s is not None and n in positions and project.clock(n) is not None]
        if len(heard) < 2:
            continue
        dist = distances_from_positions({n: positions[n] for n in heard}, where)
        hub = heard[0]
        hub_clock = project.clock(hub)
        h = shot.sources[hub].local_s
        for name in heard[1:]:
            x = shot.sources[name].local_s
            h_at_x = hub_clock.to_local(hub_clock.to_shared(h) - (dist[hub] - dist[name]) / c)
            out.append(Constraint(
                source=name, other=hub, offset_s=h_at_x - x, uncertainty_s=math.sqrt(2.0) * ONSET_SIGMA_S,
                kind="audio", at_source_s=x, score=1.0,
                evidence={"shot": shot.id, "corrected_for": "sound travel", "speed_of_sound_m_s": c}))
    return out


def _entries(name: str, used: Sequence[Constraint]) -> list[dict[str, Any]]:
    from timesync.project.schema import constraint_entry
    from timesync.sync import _seen_from

    return [constraint_entry(_seen_from(name, k)) for k in used if name in (k.source, k.other)]


def correct_clocks(
    project: Any,
    table: ShotTable,
    positions: Mapping[str, Sequence[float]],
    shooter: Sequence[float],
    c: float,
    *,
    temperature_c: float,
    author: str | None = None,
) -> list[str]:
    """Solve the clocks again with the audio constraints corrected for sound travel.

    Returns one sentence per changed clock (the change in ms); an empty list
    when no shot ties two sources together. Every change is one history entry
    (``clock_corrected``) carrying the reason.
    """
    from timesync.align.solve import solve
    from timesync.workflow import anchor_constraints, project_anchors, stored_constraints

    fresh = shot_constraints(project, table, positions, shooter, c)
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
