"""``sync()``: probe every source, run every aligner, solve, and return one result.

This is the one place that orchestrates media, aligners and the solver; the
CLI (``timesync sync``) and the app call it. :meth:`SyncResult.to_dict` is the
project JSON of DESIGN.md (schema ``timesync.project/1``).

Sign convention: each aligned source gets a :class:`~timesync.clock.ClockMap`,
``shared = offset_s + rate * local``, where the shared clock is the reference
source's local time.

The shared clock is true time: what a frame shows happens at the same shared
time in every source. Flashes and anchors measure that directly; an audio
constraint measures arrivals, which differ by 2.9 ms per metre of path. Without
positions, sync assumes every sound it aligned on was within
``max_distance_m`` (:data:`DEFAULT_MAX_DISTANCE_M`) of the sources that heard
it, so an audio constraint can be off by at most ``max_distance_m / c``
(c at 20 °C); that bound is carried through the solve and reported per source
as ``travel_bound_s``, apart from the acoustic ``uncertainty_s``.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from timesync.align.constraints import AlignerReport, Constraint, SourceMedia
from timesync.align.device_clocks import UNVERIFIED
from timesync.errors import MediaError, TimesyncError
from timesync.media.probe import summarize
from timesync.sync_probe import probe_all
from timesync.sync_result import SCHEMA, SourceResult, SyncResult

__all__ = ["DEFAULT_MAX_DISTANCE_M", "ALIGNERS", "SCHEMA", "SourceMedia", "SourceResult", "SyncResult", "sync", "sync_many"]

#: Aligner modules run by :func:`sync`, in order: the registry of evidence kinds. Each module
#: has ``find_constraints(sources, progress=..., **kw) -> AlignerReport``; its last dotted part
#: is its short name (``--methods``, provenance ``aligners``). A new kind is one line here
#: plus its module (and an entry below when it implies another, is heard, or scans flashes).
ALIGNERS = (
    "timesync.align.audio",
    "timesync.align.overlay",
    "timesync.align.flashes.visual",
    "timesync.align.audiovisual",
    "timesync.align.metadata",
)
#: Short names of ``methods`` that also select other aligners: ``"visual"`` has
#: always brought the audio-visual matching (seen flashes against heard impulses).
IMPLIES = {"visual": ("audiovisual",)}
#: The stated assumption without positions: every sound the audio aligned on
#: was at most this far (metres) from each source that heard it.
DEFAULT_MAX_DISTANCE_M = 100.0
#: Constraint kinds measured on sound arrivals (so moved by sound travel).
HEARD_KINDS = ("audio", "audio-visual")
#: Speed of sound (m/s) in dry air at 20 °C, the temperature of the stated assumption: the
#: formula of :func:`timesync.detect.travel.speed_of_sound` (343.2 m/s), written here because
#: importing ``timesync.detect`` loads ``scipy.signal``, over a second of CPU on every sync.
SPEED_OF_SOUND_20C_M_S = 331.3 * math.sqrt(1.0 + 20.0 / 273.15)

#: Aligners that scan every frame of a video for flashes: by default run only for
#: the sources audio did not place (and what they are matched against); see
#: :func:`_flash_sources`.
FLASH_ALIGNERS = ("visual", "audiovisual")
#: Schema tag of the project JSON.

Progress = Callable[[float, str], None]


def _wanted(methods: Iterable[str] | None) -> list[str]:
    """The aligner modules to run (all of :data:`ALIGNERS` when ``methods`` is None)."""
    wanted = None if methods is None else {m.rsplit(".", 1)[-1] for m in methods}
    if wanted is not None:
        wanted |= {also for m in wanted for also in IMPLIES.get(m, ())}
    return [m for m in ALIGNERS if wanted is None or m.rsplit(".", 1)[-1] in wanted]


def _run_aligners(
    sources: list[SourceMedia],
    methods: Iterable[str] | None,
    progress: Progress,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    anchors: Sequence[Constraint] = (),
    reference: str | None = None,
    lost: dict[str, str] | None = None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
) -> tuple[list[AlignerReport], dict[str, str]]:
    """Run the aligners; ``extra[short name]`` holds keyword arguments for one of them.

    ``lost`` receives the sources whose files could not be read again (see
    :func:`_find_constraints`); they are left out of the aligners that follow.

    With ``methods`` None, the flash aligners (:data:`FLASH_ALIGNERS`) run only
    over the sources :func:`_flash_sources` picks once audio has run (none when
    audio placed every source), the placed ones read only in windows where a
    weaker constraint says where the unplaced ones' flashes fall
    (:func:`_flash_reads`), and their status in the provenance says so.
    Aligners named in ``methods`` run over every source.
    """
    todo = _wanted(methods)
    lost = {} if lost is None else lost
    reports, status = [], {}
    plan: tuple[list[SourceMedia], str, set[str]] | None = None
    flash_kw: dict[str, dict[str, Any]] = {}
    for i, modname in enumerate(todo):
        short = modname.rsplit(".", 1)[-1]
        lo, hi = 0.1 + 0.85 * i / len(todo), 0.1 + 0.85 * (i + 1) / len(todo)

        def sub(f: float, msg: str, lo: float = lo, hi: float = hi) -> None:
            progress(lo + (hi - lo) * min(max(f, 0.0), 1.0), msg)

        these, ran, kwargs = sources, "ran", dict((extra or {}).get(short, {}))
        if short in FLASH_ALIGNERS and methods is None:
            if plan is None:
                plan = _flash_sources(sources, reports, anchors, reference)
                flash_kw = _flash_reads(sources, plan, reports, max_distance_m, sub)
            these, ran, _unplaced = plan
            if not these:
                status[short] = ran
                continue
            kwargs |= flash_kw.get(short, {})
            ran += kwargs.pop("said", "")
        try:
            module = importlib.import_module(modname)
            reports.append(_find_constraints(module, these, sub, kwargs, lost))
            status[short] = ran
        except TimesyncError as exc:
            status[short] = f"failed: {exc}"
        del kwargs
        if extra is not None:
            extra.pop(short, None)  # e.g. the audio features: not held while the flash scans run
    return reports, status


def _find_constraints(module: Any, sources: list[SourceMedia], progress: Progress,
                      kwargs: Mapping[str, Any], lost: dict[str, str]) -> AlignerReport:
    """``module.find_constraints`` over the sources that can still be read.

    A file the OS refuses (permissions, I/O error) or that is gone since it was probed
    and hashed stops an aligner with a MediaError (or OSError) naming it: that source
    is left out, ``lost[name]`` says why, and the aligner runs again over the others.
    """
    these = [s for s in sources if s.name not in lost]
    while True:
        try:
            return module.find_constraints(these, progress=progress, **kwargs)
        except (MediaError, OSError) as exc:
            name = _unreadable_source(exc, these)
            if name is None:
                raise
            lost[name] = _lost_sentence(exc, name)
            these = [s for s in these if s.name != name]


def _unreadable_source(exc: Exception, sources: Sequence[SourceMedia]) -> str | None:
    """The source a reading error names (its message starts with the file), or None."""
    filename = getattr(exc, "filename", None)
    text = str(exc) if isinstance(exc, MediaError) else f"{os.fspath(filename)}: " if filename else ""
    for s in sources:
        forms = {s.name, os.fspath(s.path), os.path.abspath(s.path)}
        if any(text.startswith(f"{form}: ") for form in forms):
            return s.name
    return None


def _lost_sentence(exc: Exception, name: str) -> str:
    """One sentence for a source that could not be read again after probing."""
    problem = str(exc) if isinstance(exc, MediaError) else getattr(exc, "strerror", None) or str(exc)
    problem = _without_name(problem, name).rstrip(".")
    return (f"could not be read again after probing ({problem}): it was left out of the "
            "alignment from then on (was it moved, changed or made unreadable during the sync?)")


def _flash_sources(
    sources: Sequence[SourceMedia],
    reports: Sequence[AlignerReport],
    anchors: Sequence[Constraint],
    reference: str | None,
) -> tuple[list[SourceMedia], str, set[str]]:
    """The sources the flash aligners must read, their provenance status, and the unplaced ones.

    A source is placed when audio constraints (and manual anchors) link it to
    the reference (given, else the one :func:`_choose_reference` picks from
    that evidence). Flashes are needed for the unplaced sources, matched against
    the reference (and the first placed video when the reference has none); the
    other placed sources are not read. When audio placed nobody, every source is
    read (and none is called unplaced: nothing is placed to narrow where flashes
    fall); when it placed everyone, none is.
    """
    from timesync.align.solve import _component

    links = [c for r in reports if r.method == "audio" for c in r.constraints] + list(anchors)
    names = [s.name for s in sources]
    ref = reference if reference in names else (_choose_reference(names, links) if names else None)
    placed = _component(ref, links) if ref is not None else set()
    if len(placed) < 2:
        return list(sources), "ran", set()
    need = [s for s in sources if s.name not in placed]
    by = "audio" + (" and manual anchors" if anchors else "")
    if not need:
        return [], f"not needed: all sources placed by {by}", set()
    video = next((s.name for s in sources if s.name in placed and s.info.video is not None), None)
    partners = {ref, video} - {None}
    these = [s for s in sources if s.name in partners or s.name not in placed]
    skipped = [s.name for s in sources if s not in these]
    return these, (f"ran for {', '.join(s.name for s in these)}; not needed for "
                   f"{', '.join(skipped)} (placed by {by})"), {s.name for s in need}


def _flash_reads(sources: Sequence[SourceMedia], plan: tuple[list[SourceMedia], str, set[str]],
                 reports: Sequence[AlignerReport], max_distance_m: float, progress: Progress) \
        -> dict[str, dict[str, Any]]:
    """Keyword arguments of the flash aligners (``"said"``: words for their status), by short name.

    With sources left unplaced among those :func:`_flash_sources` picked (``plan``),
    their videos are read whole and the placed ones in windows where a weaker
    constraint narrows where the unplaced ones' flashes fall
    (:func:`timesync.align.flashes.windows.read_flashes`, a heard constraint's
    sound-travel bound ``max_distance_m / c``, the other placed sources as
    witnesses); the audio-visual aligner matches heard impulses against the
    flashes read whole only.
    """
    these, _ran, unplaced = plan
    if not unplaced or not these:
        return {}
    from timesync.align.flashes.pattern import MIN_AGREEING
    from timesync.align.flashes.windows import read_flashes

    read = {s.name for s in these}
    reads = read_flashes(these, unplaced, reports, travel_s=max_distance_m / SPEED_OF_SOUND_20C_M_S,
                         witnesses=[s for s in sources if s.name not in read], progress=progress)
    whole = {n: e for n, e in reads.flashes.items()
             if n in reads.whole and isinstance(e, list) and len(e) >= MIN_AGREEING}
    windowed = {n: f["flash_windows"] for n, f in reads.findings.items()}
    said = "".join(f"; {words}" for words in reads.said)
    in_windows = ", ".join(os.path.basename(n) for n in windowed)
    heard_said = f"; the flashes of {in_windows}, read in windows, not matched against heard impulses" \
        if windowed else ""
    return {"visual": {"given": reads.flashes, "windowed": windowed, "said": said},
            "audiovisual": {"flashes": whole, "heard": reads.heard, "said": heard_said}}


def _choose_reference(names: Sequence[str], constraints: Sequence[Constraint]) -> str:
    from timesync.align.solve import _component

    def key(n: str) -> tuple[int, int, int]:
        return (
            len(_component(n, constraints)),
            sum(n in (c.source, c.other) for c in constraints),
            -names.index(n),
        )

    return max(names, key=key)


def _seen_from(name: str, c: Constraint) -> Constraint:
    return c if c.source == name else c.reversed()


def _match_reference(reference: str, paths: list[str]) -> str:
    if reference in paths:
        return reference
    for p in paths:
        if os.path.abspath(p) == os.path.abspath(reference):
            return p
    paths.insert(0, reference)
    return reference


def sync(
    paths: Sequence[str | os.PathLike[str]],
    reference: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    *,
    anchors: Sequence[Constraint] = (),
    methods: Iterable[str] | None = None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    executor: Executor | None = None,
) -> SyncResult:
    """Put every source on one clock.

    Parameters
    ----------
    paths : sequence of path
        The recordings; each is named by ``str(path)`` in the result.
    reference : path, optional
        The source whose local time becomes the shared clock. By default the
        source linked to the most others (the first given among equals). A
        reference that cannot be read is replaced by the default choice.
    progress : callable, optional
        ``progress(fraction, message)``, fraction in [0, 1].
    anchors : sequence of Constraint
        Manual constraints (kind ``"manual"``) added to the solve.
    methods : iterable of str, optional
        Aligners to run by short name (``"audio"``, ``"overlay"``...), each over
        every source. By default all run, but the flash aligners (``"visual"``,
        ``"audiovisual"``) only for the sources audio did not place (and the
        reference they are matched to, read only in windows around where their
        flashes must fall when a weaker constraint says where); provenance
        ``aligners`` says what was skipped (``"not needed: all sources placed by
        audio"``, ``"read A.mp4 in 2 windows, 14 s of 60 s, around ..."``).
    max_distance_m : float >= 0
        The stated largest distance (m) between a source and a sound the audio
        aligned on; gives each audio constraint its ``travel_bound_s``
        (``max_distance_m / c``, c at 20 °C) and each source its bound.
    executor : concurrent.futures.Executor, optional
        Where the probing and hashing, the audio features and the audio pair
        matches run, one task per file or pair: any executor (threads, processes,
        a ``dask.distributed`` ``client.get_executor()``). Its workers must read
        the files at the same paths. The result is the one of the default run
        (worker processes on this machine); a task the executor fails to run is
        run here.

    Returns
    -------
    SyncResult
        A file that cannot be read is ``aligned: False`` with the error message
        as ``reason``; nothing is raised for it.
    """
    from timesync.align.solve import solve
    from timesync.parallel import warm_up, worth_processes

    prog = progress or (lambda f, m: None)
    names = [os.fspath(p) for p in paths]
    if worth_processes(names) and executor is None:
        warm_up()
    if len(set(names)) != len(names):
        raise ValueError("the same file is given twice")
    ref_name = _match_reference(os.fspath(reference), names) if reference is not None else None
    prog(0.0, "probing and hashing")
    with_audio = "timesync.align.audio" in _wanted(methods) and len(names) > 1
    infos, features = probe_all(
        names, min(4, os.cpu_count() or 1), audio_features=with_audio,
        progress=lambda f, m: prog(0.1 * f, m), executor=executor,
    )
    good = [SourceMedia(n, n, infos[n]) for n in names if not isinstance(infos[n], Exception)]
    prog(0.1, "aligning")
    extra = {"audio": {"features": features}} if features else None
    del features  # ``extra`` holds them until the audio aligner has run (see _run_aligners)
    if executor is not None:
        extra = {"audio": (extra or {}).get("audio", {}) | {"executor": executor}}
    given_ref = ref_name if ref_name in {s.name for s in good} else None
    lost: dict[str, str] = {}
    reports, status = (_run_aligners(good, methods, prog, extra, anchors=anchors, reference=given_ref, lost=lost,
                                     max_distance_m=max_distance_m)
                       if len(good) > 1 else ([], {}))
    constraints = _with_travel_bounds([c for r in reports for c in r.constraints], max_distance_m)
    constraints += list(anchors)
    good_names = [s.name for s in good]
    params: dict[str, Any] = {"methods": sorted(status), "anchors": len(anchors), "max_distance_m": max_distance_m}
    if ref_name is not None and ref_name not in good_names:
        params["reference_unreadable"] = ref_name
        ref_name = None
    if ref_name is None and good_names:
        ref_name = _choose_reference(good_names, constraints)
    durations = {s.name: s.info.duration_s for s in good}
    sol = solve(good_names, constraints, ref_name, durations=durations) if ref_name else None
    prog(0.97, "solving")
    results = [_source_result(n, infos[n], sol, reports, lost.get(n)) for n in names]
    prog(1.0, "done")
    return SyncResult(
        reference=ref_name,
        sources=results,
        dropped=sol.dropped if sol else [],
        disagreements=sol.disagreements if sol else [],
        aligners=status,
        parameters=params | {"reference_given": reference is not None},
    )


def _source_result(name: str, info: Any, sol: Any, reports: list[AlignerReport],
                   lost: str | None = None) -> SourceResult:
    if isinstance(info, Exception):
        return SourceResult(name=name, sha256=None, aligned=False, reason=str(info))
    findings: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for r in reports:
        findings.update(r.findings.get(name, {}))
        if name in r.notes:
            notes[r.method] = r.notes[name]
    res = SourceResult(
        name=name,
        sha256=info.sha256,
        aligned=False,
        findings=findings,
        notes=notes,
        duration_s=info.duration_s,
        probe=summarize(info),
        warnings=[_without_name(w, name) for w in info.warnings] + ([lost] if lost else []),
    )
    if sol is None:
        res.reason = "no other readable source to align with"
        return res
    res.constraints = [_seen_from(name, c) for c in sol.used if name in (c.source, c.other)]
    if name in sol.clocks:
        res.aligned = True
        res.clock = sol.clocks[name]
        res.travel_bound_s = sol.travel_bounds.get(name, 0.0)
        if name in sol.clock_only:  # its method says so too (timesync.align.device_clocks)
            res.reason = UNVERIFIED
    else:
        why = "; ".join(f"{m}: {n}" for m, n in notes.items())
        res.reason = f"{sol.unplaced.get(name, 'not placed')}" + (f" ({why})" if why else "")
        if lost:
            res.reason = f"{name}: {lost}"
    return res


def _with_travel_bounds(constraints: list[Constraint], max_distance_m: float) -> list[Constraint]:
    """Constraints that rest on heard sound get ``travel_bound_s = max_distance_m / c`` (20 °C).

    ``"audio"`` (arrival against arrival) and ``"audio-visual"`` (arrival
    against a flash seen, i.e. light) both do, unless they carry a bound already.
    """
    from dataclasses import replace

    if not (max_distance_m >= 0 and max_distance_m != float("inf")):
        raise ValueError(f"max_distance_m must be a finite distance >= 0 m, got {max_distance_m!r}")
    bound = max_distance_m / SPEED_OF_SOUND_20C_M_S
    return [replace(c, travel_bound_s=bound) if c.kind in HEARD_KINDS and c.travel_bound_s == 0 else c
            for c in constraints]


def _without_name(warning: str, name: str) -> str:
    """A probe warning without the ``"<path>: "`` it starts with (the source entry names the file)."""
    prefix = f"{name}: "
    return warning[len(prefix):] if warning.startswith(prefix) else warning


def _one(incident: Sequence[str] | Mapping[str, Any]) -> SyncResult:
    if isinstance(incident, Mapping):
        return sync(list(incident["paths"]), reference=incident.get("reference"))
    return sync(list(incident))


def sync_many(
    incidents: Iterable[Sequence[str] | Mapping[str, Any]], executor: Executor | None = None
) -> list[SyncResult]:
    """Run :func:`sync` on each incident, on ``executor`` (sequentially if None).

    An incident is a list of paths or a dict ``{"paths": [...], "reference": path}``.
    Any :class:`concurrent.futures.Executor` works, e.g. a dask ``client.get_executor()``.
    Results come back in the order given.
    """
    items = list(incidents)
    if executor is None:
        return [_one(i) for i in items]
    futures = [executor.submit(_one, i) for i in items]
    return [f.result() for f in futures]
