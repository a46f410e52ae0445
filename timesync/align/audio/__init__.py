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
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from timesync.align import metadata
from timesync.align.audio import fine
from timesync.align.audio.coarse import CoarseMatch, coarse_match
from timesync.align.audio.decode import CoarseFeatures, prepare_all
from timesync.align.audio.features import FRAME_RATE, flux_features
from timesync.align.constraints import AlignerReport, Constraint
from timesync.clock import ClockMap
from timesync.errors import MediaError
from timesync.media.audio import AudioReader

if TYPE_CHECKING:  # pragma: no cover
    from timesync.sync import SourceMedia

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
]

#: Pairs that overlap less than this (seconds) are not matched.
MIN_OVERLAP_S = 3.0
#: The coarse peak must stand this many robust standard deviations above the
#: correlation's noise floor. Unrelated recordings give 3 to 6 over an hour of lags.
MIN_COARSE_SCORE = 9.0
#: The best coarse peak outside the main lobe must be below this fraction of
#: the best one; repetitive sound (sirens, rotors, music loops) fits several
#: lags nearly equally and is refused as ambiguous.
MAX_AMBIGUITY = 0.6
#: At least this fraction of the fine windows must agree with the fitted line.
MIN_AGREEING = 0.5
#: A match whose one-sigma offset uncertainty exceeds this (seconds) is refused.
MAX_UNCERTAINTY_S = 0.005
#: The fine windows are measured again at the fitted rate when the rate used
#: to resample them was off by more than this many samples over one window
#: (a linear smear averages out at the window centre but blunts the peak).
MAX_SMEAR_SAMPLES = 1.0
#: Worker processes preparing sources' coarse features at once (None: one per
#: source, at most twice ``os.cpu_count()``; 1 decodes in this process).
DECODE_WORKERS: int | None = None
#: Below this many seconds of audio in all (an hour at 16 kHz decodes in about
#: 2 s), the features are computed in this process: no worker processes started.
PROCESS_MIN_AUDIO_S = 600.0
#: Pairs matched at once in threads, for short audio (long audio: one worker process
#: per CPU).
PAIR_THREADS = 2
#: Highest sample rate used for the fine windows (Hz).
MAX_FINE_SR = 48000
#: Lowest sample rate used for the fine windows (Hz); lower native rates are upsampled.
MIN_FINE_SR = 16000


@dataclass(frozen=True)
class AudioMatch:
    """Result for one pair: ``t_a = offset_s + rate * t_b``, or no match with a reason.

    ``score`` is the coarse peak score (robust z); ``agreeing`` the fraction of fine
    windows on the fitted line. ``matched`` is False when any threshold failed;
    ``reason`` then says which, and the numbers are informative only.
    """

    matched: bool
    reason: str
    offset_s: float = math.nan
    rate: float = 1.0
    uncertainty_s: float = math.inf
    rate_uncertainty: float | None = None
    at_b_s: float = 0.0
    score: float = 0.0
    ambiguity: float = 1.0
    agreeing: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def drift_ppm(self) -> float:
        """``(rate - 1) * 1e6``."""
        return (self.rate - 1.0) * 1e6


def _no(reason: str, **kw: Any) -> AudioMatch:
    return AudioMatch(matched=False, reason=reason, **kw)


def _overlap_b(offset: float, rate: float, dur_a: float, dur_b: float) -> tuple[float, float]:
    b_to_a = ClockMap(offset, rate)
    lo = max(0.0, b_to_a.to_local(0.0))
    hi = min(dur_b, b_to_a.to_local(dur_a))
    return lo, hi


def match_features(
    fa: np.ndarray,
    fb: np.ndarray,
    read_a: fine.Reader,
    read_b: fine.Reader,
    *,
    dur_a: float,
    dur_b: float,
    fine_sr: int,
    narrow: Constraint | None = None,
) -> AudioMatch:
    """Match ``b`` onto ``a`` from their coarse features and window readers.

    Parameters
    ----------
    fa, fb : np.ndarray
        Coarse features of ``a`` and ``b`` (:func:`flux_features`).
    read_a, read_b : Reader
        ``reader(start_s, duration_s, sr)`` returning mono audio at ``sr`` whose
        sample 0 is at local time ``start_s`` (seconds).
    dur_a, dur_b : float
        Durations (s) of the two recordings.
    fine_sr : int
        Sample rate (Hz) of the fine stage.
    narrow : Constraint, optional
        Weaker evidence on the same offset (``t_a = offset_s + t_b``, e.g. from
        metadata tags). When the search over every lag is ambiguous or weak,
        it is repeated over :meth:`Constraint.search_range` (its offset +- 4
        sigmas + 0.5 s); a clear match there is kept if the highest
        peak over all offsets lies in that range (the tags confirm it against
        the others; they never pick a lower peak), and its evidence says that
        it rests on that narrowing.
    """
    cm = coarse_match(fa, fb, min_overlap_s=MIN_OVERLAP_S)
    if cm is None:
        return _no(f"they overlap less than {MIN_OVERLAP_S:g} s at any offset")
    cm, narrowed = _narrowed(fa, fb, cm, narrow)
    coarse_ev = _coarse_evidence(cm) | narrowed
    common = {"score": cm.score, "ambiguity": cm.ambiguity, "evidence": coarse_ev}
    if cm.score < MIN_COARSE_SCORE:
        return _no(
            f"no reliable audio match (coarse score {cm.score:.1f} < {MIN_COARSE_SCORE:g}, "
            f"over {cm.overlap_s:.0f} s of overlap)",
            **common,
        )
    if cm.ambiguity >= MAX_AMBIGUITY:
        return _no(
            "ambiguous audio match: repetitive sound fits several offsets "
            f"(second peak {cm.ambiguity:.0%} of the best, limit {MAX_AMBIGUITY:.0%}; "
            f"coarse score {cm.score:.1f})",
            **common,
        )
    lo, hi = _overlap_b(cm.offset_s, cm.rate, dur_a, dur_b)
    margin = fine.SEARCH_S + 0.05
    lo, hi = lo + margin, hi - margin
    if hi - lo < 1.0:
        return _no("the overlap is too short for the fine stage", **common)
    window_s = min(fine.FINE_WINDOW_S, (hi - lo) / 3.0)
    count = int(np.clip((hi - lo) // window_s, 3, fine.MAX_WINDOWS))
    windows, fit, z = _fine_passes(
        read_a, read_b, cm, (lo, hi), window_s, count, fine_sr, (fa, fb)
    )
    ev = {**coarse_ev, **_fine_evidence(windows, fit, fine_sr, window_s, z)}
    common["evidence"] = ev
    figures = _figures(cm, windows, fit, z)
    if fit is None:
        amb = sum(1 for w in windows if w.ambiguity >= fine.WINDOW_MAX_AMBIGUITY)
        why = "ambiguous (repetitive sound)" if amb > len(windows) / 2 else "too weak"
        return _no(
            f"no reliable audio match: fewer than 3 fine windows usable, most {why} "
            f"({figures})", **common
        )
    common.update(
        offset_s=fit.offset_s,
        rate=fit.rate,
        uncertainty_s=fit.uncertainty_s,
        rate_uncertainty=fit.rate_uncertainty,
        at_b_s=fit.at_b_s,
        agreeing=fit.agreeing,
    )
    if (
        abs(ClockMap(fit.offset_s, fit.rate).to_shared(fit.at_b_s)
            - ClockMap(cm.offset_s, cm.rate).to_shared(fit.at_b_s))
        > fine.SEARCH_S
    ):
        return _no(
            f"no reliable audio match: fine and coarse stages disagree ({figures})", **common
        )
    if fit.agreeing < MIN_AGREEING:
        return _no(
            f"no reliable audio match: only {fit.agreeing:.0%} of fine windows agree, "
            f"below {MIN_AGREEING:.0%} ({figures})", **common
        )
    if fit.uncertainty_s > MAX_UNCERTAINTY_S:
        return _no(
            f"no reliable audio match: uncertainty {fit.uncertainty_s * 1e3:.1f} ms "
            f"> {MAX_UNCERTAINTY_S * 1e3:g} ms ({figures})", **common
        )
    return AudioMatch(matched=True, reason="", **common)


def _clear(cm: CoarseMatch) -> bool:
    return cm.score >= MIN_COARSE_SCORE and cm.ambiguity < MAX_AMBIGUITY


def _narrowed(fa: np.ndarray, fb: np.ndarray, cm: CoarseMatch, narrow: Constraint | None) \
        -> tuple[CoarseMatch, dict[str, Any]]:
    """The coarse match over the offsets ``narrow`` allows when the full search is not clear
    (and the narrowed one is), with the evidence of that; else ``cm`` unchanged."""
    span = None if narrow is None or _clear(cm) else narrow.search_range()
    if span is None:
        return cm, {}
    inside = coarse_match(fa, fb, min_overlap_s=MIN_OVERLAP_S, offsets_s=span)
    if inside is None or not _clear(inside) or not span[0] <= cm.offset_s <= span[1]:
        # unclear there, or the highest peak is outside the range: the weaker evidence
        # only confirms the highest of several peaks, never picks a lower one
        return cm, {}
    return inside, {
        "narrowed_by": narrow.kind,
        "narrowed_to_s": [round(span[0], 3), round(span[1], 3)],
        "over_all_offsets": {"score": round(cm.score, 2), "ambiguity": round(cm.ambiguity, 3)},
    }


def _fine_passes(read_a, read_b, cm: CoarseMatch, span, window_s: float, count: int, sr: int,
                 feats: tuple[np.ndarray, np.ndarray]):
    """Fine windows, refined until the rate used to resample ``b`` matches the fit.

    The windows are placed where the two recordings share sound
    (:func:`timesync.align.audio.fine.content_windows`), not spread evenly: over
    silence or sound only one of them heard, a window cannot agree and would vote
    against a true match. Without a coarse drift line the rate is unknown: the first
    pass then uses windows of at most 1 s (500 ppm smears 0.5 ms) and a second pass
    redoes the windows at the fitted rate, so drift no longer blurs the GCC-PHAT peaks.
    Returns the windows, the fit (or None) and each window's content z.
    """
    offset, rate = cm.offset_s, cm.rate
    win = window_s if cm.chunks_on_line >= 2 else min(window_s, 1.0)
    windows, fit, z = [], None, np.zeros(0)
    for _ in range(3):
        n = (
            count
            if win == window_s
            else int(np.clip((span[1] - span[0]) // win, 3, fine.MAX_WINDOWS))
        )
        centres, z = fine.content_windows(
            *feats, offset_s=offset, rate=rate, overlap_b=span, window_s=win, count=n,
            frame_rate=FRAME_RATE,
        )
        windows = fine.measure_windows(
            read_a, read_b, sr=sr, offset_s=offset, rate=rate, centres_b=centres, window_s=win,
            content=z >= fine.MIN_CONTENT_Z,
        )
        z = np.array([z[list(centres).index(w.t_b)] for w in windows])
        fit = fine.fit_windows(windows, sr=sr)
        if fit is None:
            break
        new_rate = fit.rate if fit.rate_uncertainty is not None else rate
        if abs(new_rate - rate) * win * sr < MAX_SMEAR_SAMPLES and win == window_s:
            break
        # the fitted line turned to the new rate about the fit's centre
        offset = ClockMap(fit.offset_s, fit.rate).with_rate(new_rate, fit.at_b_s).offset_s
        rate, win = new_rate, window_s
    return windows, fit, z


def _figures(cm: CoarseMatch, windows, fit, z: np.ndarray) -> str:
    """The numbers behind a decision, for its reason: scores, windows used and agreeing."""
    content = int(np.sum(z >= fine.MIN_CONTENT_Z))
    usable = sum(1 for w in windows if w.usable)
    agree = fit.n_inliers if fit is not None else 0
    return (
        f"coarse score {cm.score:.1f} (threshold {MIN_COARSE_SCORE:g}); "
        f"{len(windows)} fine windows, {content} on shared content "
        f"(z >= {fine.MIN_CONTENT_Z:g}), {usable} usable, {agree} agreeing "
        f"(threshold {MIN_AGREEING:.0%})"
    )


def _coarse_evidence(cm: CoarseMatch) -> dict[str, Any]:
    return {
        "coarse_offset_s": round(cm.offset_s, 4),
        "coarse_drift_ppm": round((cm.rate - 1) * 1e6, 1),
        "coarse_score": round(cm.score, 2),
        "coarse_second_score": round(cm.second_score, 2),
        "overlap_s": round(cm.overlap_s, 2),
    }


def _fine_evidence(windows, fit, sr: int, window_s: float, z: np.ndarray) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "fine_sr": sr,
        "window_s": round(window_s, 3),
        "windows": len(windows),
        "windows_content": int(np.sum(z >= fine.MIN_CONTENT_Z)),
        "windows_usable": sum(1 for w in windows if w.usable),
        "min_agreeing": MIN_AGREEING,
    }
    if fit is not None:
        ev.update(windows_agreeing=fit.n_inliers, residual_s=fit.residual_s)
    return ev


# -- arrays -----------------------------------------------------------------------


def _array_reader(x: np.ndarray, sr_x: int) -> fine.Reader:
    cache: dict[int, np.ndarray] = {}

    def read(start_s: float, duration_s: float, sr: int) -> np.ndarray:
        if sr not in cache:
            from scipy import signal

            g = math.gcd(sr, sr_x)
            cache[sr] = x if sr == sr_x else signal.resample_poly(x, sr // g, sr_x // g)
        y = cache[sr]
        i0 = round(start_s * sr)
        n = round(duration_s * sr)
        out = np.zeros(n, dtype=np.float64)
        s, e = max(i0, 0), min(i0 + n, y.size)
        if e > s:
            out[s - i0 : e - i0] = y[s:e]
        return out

    return read


def _fine_rate(sr_a: int, sr_b: int) -> int:
    return int(np.clip(min(sr_a, sr_b), MIN_FINE_SR, MAX_FINE_SR))


def match_signals(a: np.ndarray, b: np.ndarray, sr_a: int, sr_b: int | None = None) -> AudioMatch:
    """Match mono signal ``b`` onto ``a`` (``t_a = offset_s + rate * t_b``).

    Sample 0 of each array is its local time 0. ``sr_b`` defaults to ``sr_a`` (Hz).
    """
    sr_b = sr_b or sr_a
    fa = flux_features(np.asarray(a, dtype=np.float32), sr_a)
    fb = flux_features(np.asarray(b, dtype=np.float32), sr_b)
    return match_features(
        fa,
        fb,
        _array_reader(np.asarray(a, dtype=np.float64), sr_a),
        _array_reader(np.asarray(b, dtype=np.float64), sr_b),
        dur_a=a.size / sr_a,
        dur_b=b.size / sr_b,
        fine_sr=_fine_rate(sr_a, sr_b),
    )


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
) -> tuple[dict[str, _Prepared], dict[str, str]]:
    """Coarse features of every source with audio (worker processes; those in ``ready``
    were computed while probing), and notes for the rest."""
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
    results = dict(ready) | (prepare_all(jobs, max_workers=workers, done=done) if jobs else {})
    prepared: dict[str, _Prepared] = {}
    for src in with_audio:
        res = _prepared(src, results[src.name])
        if isinstance(res, str):
            notes[src.name] = res
        else:
            prepared[src.name] = res
    return prepared, notes


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
            fine_sr=_fine_rate(a.sample_rate, b.sample_rate),
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


def _match_all(jobs: list[_PairJob], in_processes: bool) -> Iterator[AudioMatch]:
    """Matches of ``jobs`` in order, each as soon as it is ready: in worker processes for
    long audio (the coarse search and window decoding hold the GIL in parts), else in
    :data:`PAIR_THREADS` threads sharing the window readers. Pairs a failed worker
    process did not give are matched here."""
    from timesync.parallel import pool_size, process_pool

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
) -> AlignerReport:
    """Audio constraints between every pair of ``sources`` that share sound.

    ``features`` holds coarse features already computed by name (by
    :func:`timesync.align.audio.decode.probe_with_features`, while probing).

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
        sources, prog, max_workers or DECODE_WORKERS, features or {}
    )
    report.notes.update(notes)
    names = [s.name for s in sources if s.name in prepared]
    pairs = [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    by_name = {s.name: s for s in sources}
    jobs = []
    for na, nb in pairs:
        a, b = prepared[na], prepared[nb]
        if b.duration_s > a.duration_s:
            a, b = b, a  # chunk the shorter one
        jobs.append((a, b, metadata.prior(by_name[a.name], by_name[b.name])))
    long_audio = _total_audio_s(sources) >= PROCESS_MIN_AUDIO_S
    refusals: dict[str, dict[str, AudioMatch]] = {}
    for k, ((a, b, _narrow), m) in enumerate(zip(jobs, _match_all(jobs, long_audio), strict=True)):
        for x, y in ((a, b), (b, a)):
            report.findings.setdefault(x.name, {}).setdefault("audio_pairs", {})[y.name] = (
                _verdict(m)
            )
        if m.matched:
            report.constraints.append(_constraint(a, b, m))
        else:
            refusals.setdefault(a.name, {})[b.name] = m
            refusals.setdefault(b.name, {})[a.name] = m
        prog(0.6 + 0.4 * (k + 1) / len(pairs), f"audio pair: {b.name} / {a.name}")
    for name in names:
        if not any(name in (c.source, c.other) for c in report.constraints) and len(names) > 1:
            report.notes.setdefault(name, _unmatched_note(refusals.get(name, {})))
    return report


def _unmatched_note(refusals: dict[str, AudioMatch]) -> str:
    """The note of a source matched with no other: the closest refusal and its figures."""
    text = "no reliable audio match with any other source"
    if not refusals:
        return text
    other, m = max(refusals.items(), key=lambda kv: (kv[1].score, kv[1].agreeing))
    return f"{text}; closest, with {other}: {m.reason}"
