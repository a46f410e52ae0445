"""Audio alignment: offset and clock rate between recordings that heard the same sound.

Sign convention (as :class:`~timesync.align.constraints.Constraint`): a match of
``b`` onto ``a`` says ``t_a = offset_s + rate * t_b`` for local times in seconds.

Pipeline for one pair (coarse to fine):

1. Coarse (:mod:`timesync.align.audio.coarse`): whitened log-band-energy flux at
   100 frames/s (:mod:`timesync.align.audio.features`), FFT cross-correlation over
   every lag, chunked so that a clock drift of up to 700 ppm is found and
   compensated. Score: height of the peak above the noise floor; ambiguity:
   the second-best peak over the best.
2. Fine (:mod:`timesync.align.audio.fine`): GCC-PHAT in up to 16 windows across
   the overlap, at the lower of the two native sample rates (16 to 48 kHz),
   with sub-sample peak interpolation, then a robust (Huber) line fit of offset
   and rate with outlier rejection.
3. Decision: a pair is a match only if every threshold below holds; otherwise
   it is "no reliable audio match" with the reason, never a number.

Long files are never held in memory as samples: the coarse features are
computed block by block at each file's native rate, the files decoded in
parallel worker processes (:mod:`timesync.align.audio.decode`), and the fine
windows are re-decoded as short stretches (``decode_audio(start_s=..., duration_s=...)``).

Layout: one pair is matched in :mod:`~timesync.align.audio.match` (the thresholds
below live there); this module is the aligner over files (:func:`find_constraints`:
preparing the sources, the window readers, the pairs in threads or processes).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

import numpy as np

from timesync.align import metadata
from timesync.align.audio import fine
from timesync.align.audio.decode import CoarseFeatures, prepare_all
from timesync.align.audio.match import (
    MAX_AMBIGUITY,
    MAX_UNCERTAINTY_S,
    MIN_AGREEING,
    MIN_COARSE_SCORE,
    MIN_OVERLAP_S,
    AudioMatch,
    fine_rate,
    match_features,
    match_signals,
)
from timesync.align.constraints import AlignerReport, Constraint, SourceMedia
from timesync.align.pairs import PairPlan
from timesync.clock import ClockMap
from timesync.errors import MediaError
from timesync.media.audio import AudioReader

__all__ = [
    "AudioMatch",
    "match_signals",
    "match_features",
    "find_constraints",
    "MIN_OVERLAP_S",
    "MIN_COARSE_SCORE",
    "MAX_AMBIGUITY",
    "MIN_AGREEING",
    "MAX_UNCERTAINTY_S",
    "CANDIDATE",
    "refused_candidate",
]

#: Worker processes preparing sources' coarse features at once (None: one per
#: source, at most twice ``os.cpu_count()``; 1 decodes in this process).
DECODE_WORKERS: int | None = None
#: Below this many seconds of audio in all (an hour at 16 kHz decodes in about
#: 2 s), the features are computed in this process: no worker processes started.
PROCESS_MIN_AUDIO_S = 600.0
#: Pairs matched at once in threads, for short audio (long audio: one worker process
#: per CPU).
PAIR_THREADS = 2


# -- files --------------------------------------------------------------------------


@dataclass
class _Prepared:
    name: str
    path: str
    features: np.ndarray | None  # None while it travels as features_file
    duration_s: float
    sample_rate: int
    features_file: str | None = None  # an .npy holding the features (see _by_file)


def _prepared(src: SourceMedia, res: CoarseFeatures | MediaError) -> _Prepared | str:
    """The prepared source, or a note string saying why its audio is unusable."""
    if isinstance(res, MediaError):
        return f"audio could not be decoded ({res})"
    if res.features.shape[0] < MIN_OVERLAP_S * 100 or not np.any(res.features):
        return f"no usable audio (silent or shorter than {MIN_OVERLAP_S:g} s)"
    return _Prepared(src.name, str(src.path), res.features, res.duration_s, res.sample_rate)


def _prepare_sources(
    sources: Sequence[SourceMedia],
    progress: Callable[[float, str], None],
    workers: int | None,
    ready: Mapping[str, CoarseFeatures | MediaError],
    executor: Executor | None = None,
) -> tuple[dict[str, _Prepared], dict[str, str]]:
    """Coarse features of every source with audio (worker processes, or ``executor``;
    those in ``ready`` were computed while probing), and notes for the rest."""
    notes = {s.name: "no audio stream" for s in sources if s.info.audio is None}
    with_audio = [s for s in sources if s.info.audio is not None]
    jobs = {
        s.name: (str(s.path), float(s.info.audio.start_s or 0.0), s.info.audio.index)
        for s in with_audio
        if s.name not in ready
    }
    finished: list[str] = []

    def done(name: str) -> None:
        finished.append(name)
        progress(0.6 * len(finished) / max(len(jobs), 1), f"audio features: {name}")

    if _total_audio_s(sources) < PROCESS_MIN_AUDIO_S:
        workers = 1  # starting worker processes would cost more than it saves
    if executor is not None and jobs:
        from timesync.parallel import on_executor

        got = dict(zip(jobs, on_executor(executor, _features_job, list(jobs.values())), strict=True))
        results = dict(ready) | got
    else:
        results = dict(ready) | (prepare_all(jobs, max_workers=workers, done=done) if jobs else {})
    prepared: dict[str, _Prepared] = {}
    for src in with_audio:
        res = _prepared(src, results[src.name])
        if isinstance(res, str):
            notes[src.name] = res
        else:
            prepared[src.name] = res
    return prepared, notes


def _features_job(job: tuple[str, float, int | None]) -> CoarseFeatures | MediaError:
    """One source's coarse features (a task for an executor), or why it cannot be decoded."""
    from timesync.align.audio.decode import coarse_features

    try:
        return coarse_features(*job)
    except MediaError as exc:
        return exc


#: A source decoded whole for its fine windows (instead of window by window)
#: when it takes at most this many bytes at the fine rate (float32).
WHOLE_DECODE_BYTES = 40_000_000
#: Total bytes of whole decodes kept at once (least recently used dropped first).
WHOLE_DECODE_BUDGET = 120_000_000


class _Readers:
    """Window readers over files. Short files are decoded once per rate and sliced;
    long ones are read window by window from an open container per file and thread
    (:class:`timesync.media.AudioReader`: seeking, not reopening the file). Close
    with :meth:`close` once no thread reads any more."""

    def __init__(self) -> None:
        self._whole: dict[tuple[str, int], np.ndarray] = {}
        self._open: dict[tuple[int, str], AudioReader] = {}
        self._lock = threading.Lock()  # pairs are matched in several threads

    def _array(self, path: str, sr: int) -> np.ndarray:
        from timesync.media import decode_audio

        key = (path, sr)
        with self._lock:
            if key in self._whole:
                self._whole[key] = self._whole.pop(key)  # most recently used last
                return self._whole[key]
        y = decode_audio(path, sr=sr)
        with self._lock:
            self._whole[key] = y
            while (
                sum(v.nbytes for v in self._whole.values()) > WHOLE_DECODE_BUDGET
                and len(self._whole) > 1
            ):
                self._whole.pop(next(iter(self._whole)))
        return y

    def _file(self, path: str) -> AudioReader:
        key = (threading.get_ident(), path)
        with self._lock:
            if key not in self._open:
                self._open[key] = AudioReader(path)
            return self._open[key]

    def reader(self, prep: _Prepared) -> fine.Reader:
        def read(start_s: float, duration_s: float, sr: int) -> np.ndarray:
            if prep.duration_s * sr * 4 <= WHOLE_DECODE_BYTES:
                y = self._array(prep.path, sr)
                i0, n = round(start_s * sr), round(duration_s * sr)
                out = np.zeros(n, dtype=np.float32)
                s, e = max(i0, 0), min(i0 + n, y.size)
                if e > s:
                    out[s - i0 : e - i0] = y[s:e]
                return out
            return self._file(prep.path).read(sr=sr, start_s=start_s, duration_s=duration_s)

        return read

    def close(self) -> None:
        """Close the open files."""
        with self._lock:
            readers, self._open = list(self._open.values()), {}
        for r in readers:
            r.close()


def match_prepared(a: _Prepared, b: _Prepared, readers: _Readers | None = None,
                   narrow: Constraint | None = None) -> AudioMatch:
    """Match two prepared sources (``b`` onto ``a``), ``narrow`` as in :func:`match_features`.
    Window readers are shared with other pairs when ``readers`` is given (its owner
    closes it), else opened and closed here."""
    own = readers is None
    readers = readers or _Readers()
    try:
        return match_features(
            a.features,
            b.features,
            readers.reader(a),
            readers.reader(b),
            dur_a=a.duration_s,
            dur_b=b.duration_s,
            fine_sr=fine_rate(a.sample_rate, b.sample_rate),
            narrow=narrow,
        )
    finally:
        if own:
            readers.close()


_PairJob = tuple[_Prepared, _Prepared, Constraint | None]


def _match_job(job: _PairJob) -> AudioMatch:
    """One pair in a worker process (its own window readers)."""
    a, b, narrow = job
    return match_prepared(_mapped(a), _mapped(b), None, narrow)


def _by_file(jobs: list[_PairJob], folder: str) -> list[_PairJob]:
    """``jobs`` with each source's features saved once in ``folder`` and sent as the
    file's name: a worker maps the file read-only instead of receiving a pickled copy,
    so the pages of one recording's features are shared by every worker matching it
    (and this process does not hold a pickle of every job at once)."""
    saved: dict[str, _Prepared] = {}

    def light(p: _Prepared) -> _Prepared:
        if p.name not in saved:
            path = os.path.join(folder, f"{len(saved)}.npy")
            np.save(path, p.features)
            saved[p.name] = replace(p, features=None, features_file=path)
        return saved[p.name]

    return [(light(a), light(b), narrow) for a, b, narrow in jobs]


def _mapped(p: _Prepared) -> _Prepared:
    if p.features_file is None:
        return p
    return replace(p, features=np.load(p.features_file, mmap_mode="r"), features_file=None)


def _match_all(jobs: list[_PairJob], in_processes: bool,
               executor: Executor | None = None) -> Iterator[AudioMatch]:
    """Matches of ``jobs`` in order, each as soon as it is ready: on ``executor`` when
    given (:func:`timesync.parallel.on_executor`), else in worker processes for
    long audio (the coarse search and window decoding hold the GIL in parts), else in
    :data:`PAIR_THREADS` threads sharing the window readers. Pairs a failed worker
    process did not give are matched here."""
    from timesync.parallel import on_executor, pool_size, process_pool

    if executor is not None:
        yield from on_executor(executor, _match_job, jobs)
        return
    done = 0
    pool = process_pool(pool_size(len(jobs))) if in_processes else None
    if pool is not None:
        try:
            # the folder outlives the pool: it is removed once every worker is done with it
            with tempfile.TemporaryDirectory(
                prefix="timesync-features-", ignore_cleanup_errors=True
            ) as folder, pool:
                futures = [pool.submit(_match_job, job) for job in _by_file(jobs, folder)]
                for future in futures:
                    match = future.result()
                    done += 1
                    yield match
        except (BrokenProcessPool, OSError):  # a worker died, none could start, or no disk
            pass
    readers = _Readers()
    try:
        with ThreadPoolExecutor(max_workers=PAIR_THREADS) as threads:
            rest = jobs[done:]
            yield from threads.map(
                lambda job: match_prepared(job[0], job[1], readers, job[2]), rest
            )
    finally:
        readers.close()


def _total_audio_s(sources: Sequence[SourceMedia]) -> float:
    return sum(float(s.info.duration_s or 0.0) for s in sources if s.info.audio is not None)


def _verdict(m: AudioMatch) -> str:
    """'match', the match's dependence on a narrowed search, or the reason for no match."""
    if not m.matched:
        return m.reason
    by = m.evidence.get("narrowed_by")
    if by is None:
        return "match"
    lo, hi = m.evidence["narrowed_to_s"]
    return (f"match only within the offsets the {by} allows ({lo:+.1f} to {hi:+.1f} s): "
            "over all offsets the sound repeats or is weak")


def _constraint(a: _Prepared, b: _Prepared, m: AudioMatch) -> Constraint:
    return Constraint(
        source=b.name,
        other=a.name,
        offset_s=m.offset_s,
        uncertainty_s=m.uncertainty_s,
        kind="audio",
        rate=m.rate,
        score=round(m.score, 2),
        rate_uncertainty=m.rate_uncertainty,
        at_source_s=m.at_b_s,
        evidence={
            **m.evidence,
            "agreeing": round(m.agreeing, 3),
            "ambiguity": round(m.ambiguity, 3),
        },
    )


def find_constraints(
    sources: Sequence[SourceMedia],
    *,
    progress: Callable[[float, str], None] | None = None,
    max_workers: int | None = None,
    features: Mapping[str, CoarseFeatures | MediaError] | None = None,
    executor: Executor | None = None,
) -> AlignerReport:
    """Audio constraints between the pairs of ``sources`` that share sound.

    ``features`` holds coarse features already computed by name (by
    :func:`timesync.align.audio.decode.probe_with_features`, while probing).
    Up to four sources every pair is matched; beyond, the pairs that matter
    (:class:`timesync.align.pairs.PairPlan`: a spanning set of the strongest
    pairs by a cheap pre-score, plus the pairs that give each placement a second path), and a source
    that shares sound with no one is noted without a full match. With
    ``executor`` (any :class:`concurrent.futures.Executor`: a
    ``dask.distributed`` client's too), the features still missing and the pair
    matches run on it; its workers must read the files at the same paths.

    The coarse features are computed in ``max_workers`` worker processes
    (default :data:`DECODE_WORKERS`). Where the creation_time or timecode tags
    of a pair relate them (:func:`timesync.align.metadata.prior`), a search that
    is ambiguous over all offsets is narrowed to what the tags allow
    (:func:`match_features`). Pairs that do not match leave no constraint; the
    reason is kept in ``findings[name]["audio_pairs"]``. Sources without usable
    audio get a note.
    """
    report = AlignerReport(method="audio")
    prog = progress or (lambda f, m: None)
    prepared, notes = _prepare_sources(
        sources, prog, max_workers or DECODE_WORKERS, features or {}, executor
    )
    report.notes.update(notes)
    names = [s.name for s in sources if s.name in prepared]
    by_name = {s.name: s for s in sources}
    long_audio = _total_audio_s(sources) >= PROCESS_MIN_AUDIO_S
    refusals: dict[str, dict[str, tuple[AudioMatch, bool]]] = {}
    plan = PairPlan.of(names, {n: prepared[n].features for n in names})  # every pair up to 4
    for name in names:  # known from the pre-scores alone: said now, before any full match
        if (alone := plan.note(name)) is not None:
            report.notes[name] = alone
            prog(0.6, f"audio: {name} shares no sound with any other source")
    pairs, done = plan.first, 0
    while pairs:
        jobs = []
        for na, nb in pairs:
            a, b = prepared[na], prepared[nb]
            if b.duration_s > a.duration_s:
                a, b = b, a  # chunk the shorter one
            jobs.append((a, b, metadata.prior(by_name[a.name], by_name[b.name])))
        for pair, (a, b, _narrow), m in zip(pairs, jobs, _match_all(jobs, long_audio, executor),
                                            strict=True):
            plan.record(pair, m.matched)
            _record(report, refusals, a, b, m)
            done += 1
            prog(0.6 + 0.4 * min(done / max(len(plan.first), 1), 1.0), f"audio pair: {b.name} / {a.name}")
        pairs = plan.next_round()
    for name in names:
        if not any(name in (c.source, c.other) for c in report.constraints) and len(names) > 1:
            report.notes.setdefault(name, plan.note(name) or _unmatched_note(refusals.get(name, {})))
        elif (alone := plan.second_path_note(name)) is not None:
            report.notes.setdefault(name, alone)
    return report


def _record(report: AlignerReport, refusals: dict[str, dict[str, tuple[AudioMatch, bool]]],
            a: _Prepared, b: _Prepared, m: AudioMatch) -> None:
    """Keep one pair's outcome: its verdict both ways, its constraint or its refusal
    (``refusals[x][y] = (match, x is the match's b)``)."""
    for x, y in ((a, b), (b, a)):
        report.findings.setdefault(x.name, {}).setdefault("audio_pairs", {})[y.name] = _verdict(m)
    if m.matched:
        report.constraints.append(_constraint(a, b, m))
    else:
        refusals.setdefault(a.name, {})[b.name] = (m, False)
        refusals.setdefault(b.name, {})[a.name] = (m, True)


def _unmatched_note(refusals: dict[str, tuple[AudioMatch, bool]]) -> str:
    """The note of a source matched with no other: the closest refusal, its figures and
    the coarse search's best offset (:data:`CANDIDATE`, read back by :func:`refused_candidate`).
    ``refusals[other] = (match, this source is the match's b)``."""
    text = "no reliable audio match with any other source"
    if not refusals:
        return text
    other, (m, is_b) = max(refusals.items(), key=lambda kv: (kv[1][0].score, kv[1][0].agreeing))
    text = f"{text}; closest, with {other}: {m.reason}"
    if "coarse_offset_s" not in m.evidence:
        return text
    b_to_a = ClockMap(float(m.evidence["coarse_offset_s"]), 1.0 + float(m.evidence["coarse_drift_ppm"]) * 1e-6)
    this_to_other = b_to_a if is_b else b_to_a.inverse()
    return text + "; " + CANDIDATE.format(other=other, offset=this_to_other.offset_s, rate=this_to_other.rate,
                                          score=m.score)


#: The clause of an unmatched note naming the refused best candidate: ``other``'s local time
#: is ``offset + rate * this source's local time`` (seconds) there.
CANDIDATE = "refused best candidate: {other} local = {offset:+.3f} s + {rate:.6f} x this local, score {score:.2f}"
_CANDIDATE = re.compile(r"refused best candidate: (?P<other>.+) local = (?P<offset>[+-]\d+\.\d+) s \+ "
                        r"(?P<rate>\d+\.\d+) x this local, score (?P<score>-?\d+\.\d+)$")


def refused_candidate(note: str) -> tuple[str, ClockMap, float] | None:
    """``(other, clock, score)`` of the refused best candidate an audio note names (:data:`CANDIDATE`),
    ``clock`` mapping this source's local time to ``other``'s; None when it names none."""
    found = _CANDIDATE.search(note or "")
    if found is None:
        return None
    clock = ClockMap(float(found["offset"]), float(found["rate"]), 0.0, "audio, refused")
    return found["other"], clock, float(found["score"])
