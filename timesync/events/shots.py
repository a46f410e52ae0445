"""Shots fired across sources: detect impulses per source, tie them on the shared clock.

``detect_shots(project_or_sources, ...)`` decodes each source's audio, finds its
impulses (:func:`timesync.events.detect_impulses`), maps their onsets to the
shared clock with the source's :class:`~timesync.clock.ClockMap`, associates the
arrivals of one shot across sources, and (with positions or distances) corrects
for sound travel. It returns a :class:`~timesync.events.table.ShotTable` whose
shots are *candidates*: ``accepted=None`` and a stable ``id`` each, for a
reviewer to accept or reject.

Association. Sources are taken in turn (most impulses first). For each new
source, the lag between its arrivals and the shots found so far is estimated as
the most common pairwise difference within the window (sync uncertainty, 3
sigma, plus the largest possible sound-travel difference: ``max_travel_s``, 50 ms
by default, or the camera separation / c when positions are known; the exact
expected difference when the shooter's distances are known). Then an
order-preserving alignment (dynamic programming, like an edit distance) pairs
arrivals with shots, so two shots of a burst are never swapped; unpaired
arrivals become new shots.

Timing. A shot's time is its emission time when distances or positions are
given (least squares over the sources, speed of sound from the temperature),
the multilaterated emission when camera positions but no shooter are given and
three or more sources heard it, and otherwise its earliest arrival (the table
says so in ``time_basis``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from timesync.clock import IDENTITY, ClockMap
from timesync.errors import MediaError, ProjectError
from timesync.events.impulses import DEFAULTS, Impulse, detect_impulses
from timesync.events.table import NO_POSITIONS_BASIS, Shot, ShotSource, ShotTable
from timesync.events.travel import (
    distances_from_positions,
    emission_from_distances,
    multilaterate,
    speed_of_sound,
)

__all__ = [
    "TrackInput",
    "detect_shots",
    "detect_in_blocks",
    "associate",
    "add_shots_to_project",
    "ONSET_SIGMA_S",
    "SHOT_EVENT_TYPE",
]

#: One-sigma uncertainty of a detected onset on its own track, seconds.
ONSET_SIGMA_S = 0.00025
#: The project event type written by ``--add``.
SHOT_EVENT_TYPE = "shot fired"
#: Highest analysis rate (Hz); sources recorded below it are analysed at their own rate.
MAX_SR = 48000

Progress = Callable[[float, str], None]


@dataclass
class TrackInput:
    """One source given as samples rather than through a project.

    Attributes
    ----------
    name : str
        Source name used in the table.
    samples : ndarray or None
        Mono float audio (full scale 1.0); ``None`` for a source without audio.
    sr : float
        Sample rate, Hz.
    clock : ClockMap or None
        Local -> shared time; ``None`` when not aligned.
    t0_s : float
        Local time (s) of sample 0.
    frame_index : FrameIndex or None
        For frame numbers (``None``: audio-only, no frames).
    """

    name: str
    samples: np.ndarray | None
    sr: float
    clock: ClockMap | None = IDENTITY
    t0_s: float = 0.0
    frame_index: Any | None = None


@dataclass
class _Track:
    """A source as the association sees it."""

    name: str
    clock: ClockMap | None
    status: str
    impulses: list[Impulse] = field(default_factory=list)
    locate: Callable[[float], tuple[str, int | None]] | None = None
    sr: float | None = None

    def arrival(self, imp: Impulse) -> float:
        assert self.clock is not None
        return self.clock.to_shared(imp.onset_s)

    @property
    def sigma(self) -> float:
        u = self.clock.uncertainty_s if self.clock is not None else 0.0
        return math.hypot(u, ONSET_SIGMA_S)


# -- per-source detection ---------------------------------------------------------


def _merge_status(old: str, new: str) -> str:
    """Combine the status of two blocks of one track (clipped and noisy win over ok, ok over silent)."""
    rank = {"clipped": 3, "very noisy": 2, "ok": 1, "silent": 0}
    key = lambda s: rank.get(s.split(":")[0], 1)  # noqa: E731
    return new if key(new) > key(old) else old


def detect_in_blocks(
    blocks: Iterable[tuple[float, np.ndarray]],
    sr: float,
    *,
    context_s: float = 2.0,
    lookahead_s: float = 1.0,
    pass_s: float = 10.0,
    **params: float,
) -> tuple[list[Impulse], str]:
    """:func:`detect_impulses` over a stream of contiguous blocks, with bounded memory.

    Each pass sees ``context_s`` seconds before the new samples (for the
    background and the echo/refractory tests) and keeps onsets up to
    ``lookahead_s`` before the end of what it has (so each impulse is measured
    with its tail); a pass runs once ``pass_s`` seconds of new audio have
    come in. Returns the impulses (local times) and the track status
    (:func:`timesync.events.impulses.track_status`, merged over blocks).
    """
    from timesync.events.impulses import track_status

    buf = np.zeros(0, np.float64)
    buf_start: int | None = None  # sample index (from the first block) of buf[0]
    t_first = 0.0
    kept: list[Impulse] = []
    accepted_until = -1  # sample index from which new onsets are kept
    status = "silent"
    ctx, ahead = round(context_s * sr), round(lookahead_s * sr)

    def run(final: bool) -> None:
        nonlocal accepted_until
        found = detect_impulses(buf, sr, t0_s=0.0, **params)
        upto = buf_start + len(buf) - (0 if final else ahead)
        for imp in found:
            at = buf_start + imp.onset_sample
            if accepted_until <= at < upto:
                imp.onset_sample = at
                imp.onset_s = t_first + at / sr
                kept.append(imp)
        accepted_until = max(accepted_until, upto)

    for t0, block in blocks:
        block = np.asarray(block, dtype=np.float64)
        if buf_start is None:
            buf_start, t_first = 0, float(t0)
        status = _merge_status(status, track_status(block, sr)) if len(block) else status
        buf = np.concatenate([buf, block])
        if len(buf) >= ctx + 2 * ahead + round(pass_s * sr):
            run(final=False)
            drop = max(0, accepted_until - ctx - buf_start)
            buf, buf_start = buf[drop:], buf_start + drop
    if buf_start is not None and len(buf):
        run(final=True)
    return kept, status


def _source_tracks_from_project(project: Any, sr_max: int, params: dict, progress: Progress | None) -> list[_Track]:
    from timesync.media import iter_audio_blocks, probe
    from timesync.project import locate, open_indexes

    indexes = open_indexes(project)
    tracks = []
    n = len(project.sources)
    for i, source in enumerate(project.sources):
        if progress:
            progress(i / max(n, 1), f"shots: listening to {source.name}")
        index = indexes.get(source.name)

        def where(local_s: float, source=source, index=index) -> tuple[str, int | None]:
            if source.clock is None:
                return "not aligned", None
            loc = locate(source.clock.to_shared(local_s), source, index)
            return loc.status, loc.frame

        track = _Track(source.name, source.clock, "ok", locate=where)
        tracks.append(track)
        if source.clock is None:  # its shots could not be placed on the shared clock
            track.status = f"not aligned{': ' + source.reason if source.reason else ''}"
            continue
        path = project.resolve(source.name)
        if not path.is_file():
            track.status = f"missing: {path} is not there"
            continue
        try:
            info = probe(path, sha256=source.sha256)
        except MediaError as exc:
            track.status = f"unreadable: {exc}"
            continue
        if info.audio is None:
            track.status = "no audio"
            continue
        native = info.audio.sample_rate or sr_max
        track.sr = float(min(int(native), sr_max))
        try:
            blocks = iter_audio_blocks(path, sr=int(track.sr), block_s=30.0)
            track.impulses, track.status = detect_in_blocks(blocks, track.sr, **params)
        except MediaError as exc:
            track.status = f"unreadable: {exc}"
    return tracks


def _tracks_from_inputs(inputs: Sequence[TrackInput], params: dict) -> list[_Track]:
    from timesync.events.impulses import track_status

    tracks = []
    for inp in inputs:
        def where(local_s: float, inp=inp) -> tuple[str, int | None]:
            if inp.clock is None:
                return "not aligned", None
            if inp.frame_index is not None:
                ref = inp.frame_index.frame_at(local_s)
                return ("recording", int(ref.number)) if ref is not None else ("not recording", None)
            if inp.samples is None:
                return "not recording", None
            inside = inp.t0_s <= local_s < inp.t0_s + len(inp.samples) / inp.sr
            return ("recording" if inside else "not recording"), None

        track = _Track(inp.name, inp.clock, "ok", locate=where, sr=inp.sr)
        if inp.samples is None or len(inp.samples) == 0:
            track.status = "no audio"
        else:
            track.status = track_status(inp.samples, inp.sr)
            track.impulses = detect_impulses(inp.samples, inp.sr, t0_s=inp.t0_s, **params)
            if inp.clock is None:
                track.status = "not aligned"
        tracks.append(track)
    return tracks


# -- association --------------------------------------------------------------------


@dataclass
class _Cluster:
    anchor_s: float  # shared arrival of the first member: the reference for lags
    members: dict[str, Impulse] = field(default_factory=dict)


def _groups(a: np.ndarray, b: np.ndarray, reach: float) -> Iterator[tuple[list[int], list[int]]]:
    """Split two sorted time lists into independent runs (no pair across runs is within ``reach``)."""
    events = sorted([(t, 0, i) for i, t in enumerate(a)] + [(t, 1, j) for j, t in enumerate(b)])
    run: tuple[list[int], list[int]] = ([], [])
    last = -math.inf
    for t, which, k in events:
        if t - last > reach and (run[0] or run[1]):
            yield run
            run = ([], [])
        run[which].append(k)
        last = t
    if run[0] or run[1]:
        yield run


def _align(c: np.ndarray, a: np.ndarray, lag: float, lo: float, hi: float) -> list[tuple[int, int]]:
    """Order-preserving pairs (i, j) of ``c`` and ``a`` minimising sum |a_j - c_i - lag| + gap costs.

    A pair needs ``lo <= a_j - c_i <= hi``; each unpaired element costs
    ``gap = max(hi - lag, lag - lo)``, so any allowed pair beats two gaps.
    Pairs never cross: two shots of a burst are never swapped.
    """
    gap = max(hi - lag, lag - lo, 1e-6)
    pairs: list[tuple[int, int]] = []
    for gi, gj in _groups(c, a, max(abs(lo), abs(hi))):
        n, m = len(gi), len(gj)
        cost = np.full((n + 1, m + 1), np.inf)
        cost[0, :] = np.arange(m + 1) * gap
        cost[:, 0] = np.arange(n + 1) * gap
        move = np.zeros((n + 1, m + 1), np.int8)  # 0 pair, 1 skip c, 2 skip a
        move[1:, 0], move[0, 1:] = 1, 2
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                d = a[gj[j - 1]] - c[gi[i - 1]]
                best, how = cost[i - 1, j] + gap, 1
                if cost[i, j - 1] + gap < best:
                    best, how = cost[i, j - 1] + gap, 2
                if lo <= d <= hi and cost[i - 1, j - 1] + abs(d - lag) <= best:
                    best, how = cost[i - 1, j - 1] + abs(d - lag), 0
                cost[i, j], move[i, j] = best, how
        i, j = n, m
        while i > 0 or j > 0:
            how = move[i, j]
            if how == 0:
                pairs.append((gi[i - 1], gj[j - 1]))
                i, j = i - 1, j - 1
            elif how == 1:
                i -= 1
            else:
                j -= 1
    return sorted(pairs)


def _mode_lag(c: np.ndarray, a: np.ndarray, window: float, half_width: float) -> float:
    """The pairwise difference ``a - c`` (within ``window``) shared by most pairs (0 if none)."""
    diffs = (a[None, :] - c[:, None]).ravel() if len(c) and len(a) else np.zeros(0)
    diffs = diffs[np.abs(diffs) <= window]
    if len(diffs) == 0:
        return 0.0
    diffs.sort()
    counts = np.searchsorted(diffs, diffs + half_width, "right") - np.searchsorted(diffs, diffs - half_width, "left")
    best = counts.max()
    cands = diffs[counts == best]
    # the centre of the densest cluster; among equals the smallest |lag|
    lag = cands[np.argmin(np.abs(cands))]
    near = diffs[np.abs(diffs - lag) <= half_width]
    return float(np.median(near))


def associate(
    tracks: Sequence[_Track],
    *,
    max_travel_s: float = 0.05,
    expected_lag: Callable[[str, str], float | None] | None = None,
    max_lag: Callable[[str, str], float | None] | None = None,
) -> list[_Cluster]:
    """Group arrivals of one shot across tracks (see the module docstring).

    ``expected_lag(first, other)`` may give the known arrival difference
    (other - first, seconds) from known distances (the window, ``max_travel_s``
    plus 3 sigma, is then centred on it); ``max_lag`` the largest possible one
    from camera positions. Without either, the window is ``max_travel_s`` plus
    3 sigma, pairs preferring the most common lag.
    """
    usable = [t for t in tracks if t.clock is not None and t.impulses]
    usable.sort(key=lambda t: -len(t.impulses))
    clusters: list[_Cluster] = []
    for track in usable:
        arrivals = np.array([track.arrival(imp) for imp in track.impulses])
        if not clusters:
            clusters = [_Cluster(t, {track.name: imp}) for t, imp in zip(arrivals, track.impulses, strict=True)]
            first = track
            continue
        anchors = np.array([c.anchor_s for c in clusters])
        sigma = 3.0 * math.hypot(track.sigma, first.sigma)
        known = expected_lag(first.name, track.name) if expected_lag else None
        if known is not None:
            # centred on the expected difference; as wide as without positions,
            # so that a wrong distance still pairs and fails the travel check
            lag, lo, hi = known, known - max_travel_s - sigma, known + max_travel_s + sigma
        else:
            travel = max_lag(first.name, track.name) if max_lag else None
            window = (travel if travel is not None else max_travel_s) + sigma
            lag = _mode_lag(anchors, arrivals, window, 0.002 + sigma / 3)
            lo, hi = -window, window
        pairs = _align(anchors, arrivals, lag, lo, hi)
        paired = set()
        for i, j in pairs:
            clusters[i].members[track.name] = track.impulses[j]
            paired.add(j)
        for j, imp in enumerate(track.impulses):
            if j not in paired:
                clusters.append(_Cluster(float(arrivals[j] - lag), {track.name: imp}))
        clusters.sort(key=lambda c: c.anchor_s)
    return clusters


# -- shots ------------------------------------------------------------------------


def _wall_clock(project: Any, shared_s: float) -> str | None:
    wall = getattr(project, "wall_clock", None) if project is not None else None
    if not wall or not wall.get("utc_at_shared_zero"):
        return None
    try:
        zero = datetime.fromisoformat(str(wall["utc_at_shared_zero"]).replace("Z", "+00:00"))
    except ValueError:
        return None
    text = (zero + timedelta(seconds=shared_s)).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


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
    project_or_sources: Any,
    *,
    min_score: float = 0.5,
    max_travel_s: float = 0.05,
    positions: Mapping[str, Sequence[float]] | None = None,
    shooter: Sequence[float] | None = None,
    distances_m: Mapping[str, float] | None = None,
    temperature_c: float = 20.0,
    sr: int = MAX_SR,
    annotated_within_s: float = 0.005,
    progress: Progress | None = None,
    **detector: float,
) -> ShotTable:
    """Shots fired heard by the sources of a project (or given tracks), on the shared clock.

    Parameters
    ----------
    project_or_sources : Project, path-like or sequence of TrackInput
        A :class:`timesync.project.Project`, a project file path, or tracks
        given as samples.
    min_score : float in [0, 1]
        Shots whose best per-source shot-likeness is below this are left out
        (impulses down to half of it may still corroborate a shot).
    max_travel_s : float >= 0
        Largest sound-travel difference between two sources when positions are
        unknown (seconds; 50 ms is about 17 m).
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
    annotated_within_s : float
        A shot within this of an existing "shot fired" event is marked ``annotated``.
    progress : callable(fraction, message), optional
    **detector
        Parameters of :func:`timesync.events.detect_impulses`.

    Returns
    -------
    ShotTable
        Shots in time order, numbered from 1, each ``accepted=None``.
    """
    project = None
    if isinstance(project_or_sources, str | os.PathLike):
        from timesync.project import Project

        project = Project.load(project_or_sources)
    elif hasattr(project_or_sources, "sources") and hasattr(project_or_sources, "resolve"):
        project = project_or_sources
    params = {k: float(v) for k, v in detector.items()}
    if project is not None:
        tracks = _source_tracks_from_project(project, sr, params, progress)
    else:
        inputs = list(project_or_sources)
        if not all(isinstance(i, TrackInput) for i in inputs):
            raise ProjectError("detect_shots needs a Project, a project file or TrackInput sources")
        tracks = _tracks_from_inputs(inputs, params)
    c = speed_of_sound(temperature_c)
    floor = 0.5 * min_score
    for t in tracks:
        t.impulses = [imp for imp in t.impulses if imp.score >= floor]

    dist = dict(distances_m or {})
    if positions and shooter is not None:
        dist.update(distances_from_positions({k: v for k, v in positions.items() if k not in dist}, shooter))

    def expected_lag(a: str, b: str) -> float | None:
        return (dist[b] - dist[a]) / c if a in dist and b in dist else None

    def max_lag(a: str, b: str) -> float | None:
        if positions and a in positions and b in positions:
            n = min(len(positions[a]), len(positions[b]))
            return math.dist(tuple(positions[a])[:n], tuple(positions[b])[:n]) / c + 0.001
        return None

    clusters = associate(tracks, max_travel_s=max_travel_s, expected_lag=expected_lag, max_lag=max_lag)
    by_name = {t.name: t for t in tracks}
    shots = []
    for cl in clusters:
        shot = _make_shot(cl, tracks, by_name, dist, positions, c)
        if shot.score >= min_score:
            shots.append(shot)
    _finish(shots, project, annotated_within_s)
    basis = _table_basis(shots, bool(dist), bool(positions))
    provenance = {
        "tool": "timesync shots",
        "version": _version(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "project": str(project.path) if project is not None and project.path else None,
        "parameters": {
            "min_score": min_score,
            "max_travel_s": max_travel_s,
            "temperature_c": temperature_c,
            "speed_of_sound_m_s": round(c, 3),
            "onset_sigma_s": ONSET_SIGMA_S,
            "detector": {**DEFAULTS, **params},
            "positions": {k: list(v) for k, v in (positions or {}).items()} or None,
            "shooter": list(shooter) if shooter is not None else None,
            "distances_m": dict(distances_m) if distances_m else None,
        },
        "analysis_sr": {t.name: t.sr for t in tracks},
    }
    if progress:
        progress(1.0, f"shots: {len(shots)} found")
    return ShotTable(shots, {t.name: t.status for t in tracks}, basis, provenance,
                     {t.name: t.impulses for t in tracks})


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
        em = multilaterate(arrivals, sigmas, positions, c) if positions else None
        if em is not None:
            shared, unc, residuals, shooter_xy = em.shared_s, em.uncertainty_s, em.residuals_s, em.shooter
            basis = f"emission (shooter multilaterated from {len(residuals)} sources, c = {c:.1f} m/s)"
        else:
            first = min(arrivals, key=arrivals.get)
            shared, unc = arrivals[first], sigmas[first]
            basis = NO_POSITIONS_BASIS if not positions else (
                "earliest arrival (too few sources with positions heard it to locate the shooter; "
                "sound travel not corrected)")
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
                shooter=shooter_xy, notes=notes)


def _finish(shots: list[Shot], project: Any, within_s: float) -> None:
    """Number, interval, stable id, wall clock and 'already annotated' for each shot, in time order."""
    shots.sort(key=lambda s: s.shared_s)
    existing = []
    if project is not None:
        existing = [a.shared_s for a in project.annotations if a.type == SHOT_EVENT_TYPE]
    taken: set[str] = set()
    for k, shot in enumerate(shots):
        shot.number = k + 1
        shot.interval_s = shot.shared_s - shots[k - 1].shared_s if k else None
        shot.id = _shot_id(shot.shared_s, taken)
        shot.wall_clock = _wall_clock(project, shot.shared_s)
        shot.annotated = any(abs(t - shot.shared_s) <= within_s for t in existing)


def _table_basis(shots: list[Shot], have_dist: bool, have_pos: bool) -> str:
    bases = sorted({s.time_basis for s in shots})
    if len(bases) == 1:
        return bases[0]
    if not bases:
        return "emission (sound travel corrected)" if have_dist else NO_POSITIONS_BASIS
    return "mixed: " + "; ".join(bases)


def _version() -> str:
    from timesync import __version__

    return __version__


def add_shots_to_project(
    project: Any,
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
