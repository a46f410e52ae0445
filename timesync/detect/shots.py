"""Shots fired across sources: detect impulses per source, tie them on the shared clock.

``detect_shots(sources, ...)`` takes each source's audio (samples, or a
stream of blocks: :class:`~timesync.detect.tracks.TrackStream`), finds its
impulses (:func:`timesync.detect.detect_impulses`), maps their onsets to the
shared clock with the source's :class:`~timesync.clock.ClockMap`, associates the
arrivals of one shot across sources, and (with positions or distances) corrects
for sound travel. It returns a :class:`~timesync.detect.table.ShotTable` whose
shots are *candidates*: ``accepted=None`` and a stable ``id`` each, for a
reviewer to accept or reject.

Association. Sources are taken in turn (most impulses first). For each new
source, the lag between its arrivals and the shots found so far is estimated as
the most common pairwise difference within the window, each pair voting with
its scores (the pattern of inter-shot intervals; an arrival following one as
loud within 1 s votes half: it may be an echo) (window: sync uncertainty, 3
sigma, plus the largest possible sound-travel difference: ``max_travel_s``, 250 ms
by default, or the camera separation / c when positions are known; the exact
expected difference when the shooter's distances are known). Then an
order-preserving alignment (dynamic programming, like an edit distance) pairs
arrivals with shots, so two shots of a burst are never swapped; unpaired
arrivals become new shots.

Timing. A shot's time is its emission time when distances or positions are
given (least squares over the sources, speed of sound from the temperature),
the multilaterated emission when camera positions but no shooter are given and
three or more sources heard it, and otherwise its arrival at the source that
heard it first (each row's ``time_basis`` names that source: "arrival at
camA.mp4 (...)").

A row needs :func:`min_heard` sources: one with up to three sources hearing
anything, half of them with four or more (an echo or a slam near one sensor
of an array is heard by that one alone), unless a source heard it up close
(:func:`heard_up_close`: a shot a few metres from one camera may be lost in
the talk the farther ones hear).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from timesync.detect.associate import _Cluster, associate
from timesync.detect.impulses import DEFAULTS
from timesync.detect.table import NO_POSITIONS_BASIS, Shot, ShotSource, ShotTable
from timesync.detect.tracks import (
    MAX_SR,
    ONSET_SIGMA_S,
    Progress,
    TrackInput,
    TrackStream,
    _Track,
    detect_in_blocks,
    load_tracks,
)
from timesync.detect.travel import (
    distances_from_positions,
    emission_from_distances,
    locate_sound,
    speed_of_sound,
)

__all__ = [
    "TrackInput",
    "TrackStream",
    "detect_shots",
    "detect_in_blocks",
    "associate",
    "ONSET_SIGMA_S",
]


# -- shots ------------------------------------------------------------------------


def _shot_id(shared_s: float, taken: set[str]) -> str:
    ms = round(shared_s * 1000)
    base = f"shot-{ms}" if ms >= 0 else f"shot-m{-ms}"
    sid, k = base, 1
    while sid in taken:
        k += 1
        sid = f"{base}-{k}"
    taken.add(sid)
    return sid


def detect_shots(
    sources: Sequence[TrackInput | TrackStream],
    *,
    min_score: float = 0.5,
    max_travel_s: float = 0.25,
    positions: Mapping[str, Sequence[float]] | None = None,
    shooter: Sequence[float] | None = None,
    distances_m: Mapping[str, float] | None = None,
    temperature_c: float = 20.0,
    sr: int = MAX_SR,
    progress: Progress | None = None,
    **detector: float,
) -> ShotTable:
    """Shots fired heard by the given tracks, on the shared clock.

    A project's sources: :func:`timesync.workflow_shots.detect_project_shots`
    (which also gives each shot its wall-clock time and whether it is
    annotated already).

    Parameters
    ----------
    sources : sequence of TrackInput or TrackStream
        Tracks given as samples, or as streams of blocks read in turn
        (``progress`` says which is being listened to).
    min_score : float in [0, 1]
        Shots whose best per-source shot-likeness is below this are left out
        (impulses down to half of it may still corroborate a shot).
    max_travel_s : float >= 0
        Largest sound-travel difference between two sources when positions are
        unknown (seconds; 250 ms is about 86 m). The join is by the pattern of
        the shots (inter-shot intervals survive any travel delay), so a wide
        window does not pair a burst's shots crosswise; with positions the
        window is each pair's separation / c (2 s for sensors 700 m apart).
    positions : mapping name -> (x, y[, z]) metres, optional
        Where the sources' microphones were.
    shooter : (x, y[, z]) metres, optional
        Where the shots were fired from (with ``positions``).
    distances_m : mapping name -> metres, optional
        Distance from the shooter to each source (instead of positions).
    temperature_c : float
        Air temperature for the speed of sound (°C).
    sr : int
        Highest analysis rate (Hz); lower-rate recordings are analysed at their rate.
    progress : callable(fraction, message), optional
    **detector
        Parameters of :func:`timesync.detect.detect_impulses`.

    Returns
    -------
    ShotTable
        Shots in time order, numbered from 1, each ``accepted=None``.
    """
    params = {k: float(v) for k, v in detector.items()}
    tracks = load_tracks(sources, sr, params, progress)
    c = speed_of_sound(temperature_c)
    floor = 0.5 * min_score
    for t in tracks:
        t.impulses = [imp for imp in t.impulses if imp.score >= floor]
    dist = dict(distances_m or {})
    if positions and shooter is not None:
        dist.update(distances_from_positions({k: v for k, v in positions.items() if k not in dist}, shooter))
    expected_lag, max_lag = _lag_rules(dist, positions, c)
    clusters = associate(tracks, max_travel_s=max_travel_s, expected_lag=expected_lag, max_lag=max_lag)
    by_name = {t.name: t for t in tracks}
    need = min_heard(tracks)
    shots = []
    for cl in clusters:
        if len(cl.members) < need and not heard_up_close(cl):
            continue
        shot = _make_shot(cl, tracks, by_name, dist, positions, c)
        if shot.score >= min_score:
            shots.append(shot)
    _finish(shots)
    basis = _table_basis(shots, bool(dist), bool(positions))
    provenance = _provenance(tracks, {
        "min_score": min_score,
        "max_travel_s": max_travel_s,
        "temperature_c": temperature_c,
        "speed_of_sound_m_s": round(c, 3),
        "onset_sigma_s": ONSET_SIGMA_S,
        "min_heard": need,
        "detector": {**DEFAULTS, **params},
        "positions": {k: list(v) for k, v in (positions or {}).items()} or None,
        "shooter": list(shooter) if shooter is not None else None,
        "distances_m": dict(distances_m) if distances_m else None,
    })
    if progress:
        progress(1.0, f"shots: {len(shots)} found")
    return ShotTable(shots, {t.name: t.status for t in tracks}, basis, provenance,
                     {t.name: t.impulses for t in tracks})


def min_heard(tracks: Sequence[_Track]) -> int:
    """How many sources must hear a shot for it to be a row of the table.

    With up to three sources that hear any impulse, one is enough (two body
    cams, one of them muffled, still give every shot). With four or more
    (a sensor array), half of them, rounded up: a street echo or a slam near
    one sensor is heard by that one alone, a shot by most. A shot heard up
    close (:func:`heard_up_close`) needs no more than the one source.
    """
    hearing = sum(1 for t in tracks if t.clock is not None and t.impulses)
    return 1 if hearing <= 3 else math.ceil(hearing / 2)


#: A source hears a shot up close when its close-range score (``components["near"]``) is
#: at least this ...
UP_CLOSE_NEAR = 0.8
#: ... and its peak at least this loud (dBFS): a muzzle blast a few metres away fills the
#: recording's range (2 m: -2 dBFS in bench_geometry; a body cam's clips).
UP_CLOSE_PEAK_DBFS = -6.0


def heard_up_close(cluster: _Cluster) -> bool:
    """True when a source of ``cluster`` heard it as a close-range blast: scored as a
    shot up close (:data:`UP_CLOSE_NEAR`: rise, high frequencies to the top of the
    band, flatness, duration), as loud as :data:`UP_CLOSE_PEAK_DBFS`, and not taken
    for an echo.

    Such a shot is a row even when fewer than :func:`min_heard` sources heard it:
    the camera two metres from the gun hears it 30 dB above the others (1 / distance),
    and 15-70 m away it may fall under the talk near them. What half an array must
    hear to make a row are the far-field events (a street echo, a slam near one
    sensor), which score low up close or are far weaker.
    """
    return any(imp.components.get("near", 0.0) >= UP_CLOSE_NEAR and imp.peak_dbfs >= UP_CLOSE_PEAK_DBFS
               and "far_echo" not in imp.components for imp in cluster.members.values())


def _lag_rules(dist: dict[str, float], positions: Mapping[str, Sequence[float]] | None, c: float) \
        -> tuple[Callable[[str, str], float | None], Callable[[str, str], float | None]]:
    """``(expected_lag, max_lag)`` for :func:`associate`: the arrival difference (s) the
    shooter's distances give, and the largest the camera positions allow (+ 1 ms); None
    where not known. ``c``: speed of sound, m/s."""

    def expected_lag(a: str, b: str) -> float | None:
        return (dist[b] - dist[a]) / c if a in dist and b in dist else None

    def max_lag(a: str, b: str) -> float | None:
        if positions and a in positions and b in positions:
            n = min(len(positions[a]), len(positions[b]))
            return math.dist(tuple(positions[a])[:n], tuple(positions[b])[:n]) / c + 0.001
        return None

    return expected_lag, max_lag


def _provenance(tracks: Sequence[_Track], parameters: dict[str, Any]) -> dict[str, Any]:
    """The table's provenance: tool, version, time made, project (None here: the workflow
    names it), parameters, analysis rates."""
    return {
        "tool": "timesync shots",
        "version": _version(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "project": None,
        "parameters": parameters,
        "analysis_sr": {t.name: t.sr for t in tracks},
    }


def _make_shot(cl: _Cluster, tracks: Sequence[_Track], by_name: dict[str, _Track],
               dist: dict[str, float], positions: Mapping[str, Sequence[float]] | None, c: float) -> Shot:
    arrivals = {n: by_name[n].arrival(imp) for n, imp in cl.members.items()}
    sigmas = {n: by_name[n].sigma for n in cl.members}
    notes: list[str] = []
    shooter_xy = None
    residuals: dict[str, float] = {}
    heard_dist = [n for n in arrivals if n in dist]
    if heard_dist:
        em = emission_from_distances(arrivals, sigmas, dist, c)
        shared, unc, residuals = em.shared_s, em.uncertainty_s, em.residuals_s
        basis = f"emission (sound travel corrected, c = {c:.1f} m/s)"
    else:
        em, why = locate_sound(arrivals, sigmas, positions, c) if positions else (None, None)
        if em is not None:
            shared, unc, residuals, shooter_xy = em.shared_s, em.uncertainty_s, em.residuals_s, em.shooter
            notes.append(f"located within {em.shooter_uncertainty_m:.2f} m (one sigma)")
            notes += [em.note] if em.note else []
            basis = f"emission (shooter multilaterated from {len(residuals)} sources, c = {c:.1f} m/s)"
        else:
            first = min(arrivals, key=arrivals.get)
            shared, unc = arrivals[first], sigmas[first]
            if positions:
                notes.append(why or "not located: the solve failed")
            basis = f"arrival at {first} " + ("(the earliest; no positions given, sound travel not corrected)"
                                              if not positions else
                                              "(the earliest; the shooter was not located: see the "
                                              "notes; sound travel not corrected)")
    scores = [imp.score for imp in cl.members.values()]
    confidence = 1.0 - math.prod(1.0 - s for s in scores)
    if residuals:
        worst = max(residuals, key=lambda n: abs(residuals[n]))
        formal = 1.0 / math.sqrt(sum(1.0 / max(sigmas[n], 1e-5) ** 2 for n in residuals))
        limit = 3.0 * math.hypot(sigmas[worst], formal) + 0.002  # what the clocks and onsets explain
        if len(residuals) > 1 and abs(residuals[worst]) > limit:
            confidence *= 0.5
            notes.append(f"sound-travel check failed: {worst} is {residuals[worst] * 1e3:+.1f} ms off")
    sources: dict[str, ShotSource] = {}
    for t in tracks:
        imp = cl.members.get(t.name)
        if imp is not None:
            status, frame = t.locate(imp.onset_s) if t.locate else ("recording", None)
            sources[t.name] = ShotSource(imp.onset_s, frame, True, imp.peak_dbfs, status, imp.score,
                                         arrivals[t.name], residuals.get(t.name))
        elif t.clock is None:
            sources[t.name] = ShotSource(None, None, False, None, "not aligned")
        else:
            expected = shared + dist[t.name] / c if t.name in dist else shared
            local = t.clock.to_local(expected)
            status, frame = t.locate(local) if t.locate else ("recording", None)
            sources[t.name] = ShotSource(local, frame, False, None, status)
    tdoa = None
    if len(arrivals) >= 2:
        t_min = min(arrivals.values())
        tdoa = {n: a - t_min for n, a in arrivals.items()}
    return Shot("", 0, shared, unc, sources, max(scores), confidence, basis, tdoa_s=tdoa,
                shooter=shooter_xy, notes=notes,
                position_uncertainty_m=em.shooter_uncertainty_m if shooter_xy is not None else None)


def _finish(shots: list[Shot]) -> None:
    """Number, interval and stable id for each shot, in time order."""
    shots.sort(key=lambda s: s.shared_s)
    taken: set[str] = set()
    for k, shot in enumerate(shots):
        shot.number = k + 1
        shot.interval_s = shot.shared_s - shots[k - 1].shared_s if k else None
        shot.id = _shot_id(shot.shared_s, taken)


def _table_basis(shots: list[Shot], have_dist: bool, have_pos: bool) -> str:
    """The table's time basis: the rows' one basis, or a summary when they differ
    (each row's ``time_basis`` names its source)."""
    if shots and not have_pos and all(s.time_basis.startswith("arrival at ") for s in shots):
        return NO_POSITIONS_BASIS
    bases = sorted({s.time_basis for s in shots})
    if len(bases) == 1:
        return bases[0]
    if not bases:
        return "emission (sound travel corrected)" if have_dist else NO_POSITIONS_BASIS
    return "mixed: " + "; ".join(bases)


def _version() -> str:
    from timesync import __version__

    return __version__
