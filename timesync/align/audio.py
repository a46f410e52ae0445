"""Audio alignment: offset and clock rate between recordings that heard the same sound.

Sign convention (as :class:`~timesync.align.constraints.Constraint`): a match of
``b`` onto ``a`` says ``t_a = offset_s + rate * t_b`` for local times in seconds.

Pipeline for one pair (coarse to fine):

1. Coarse (:mod:`timesync.align.audio_coarse`): whitened log-band-energy flux at
   100 frames/s (:mod:`timesync.align.audio_features`), FFT cross-correlation over
   every lag, chunked so that a clock drift of up to 700 ppm is found and
   compensated. Score: height of the peak above the noise floor; ambiguity:
   the second-best peak over the best.
2. Fine (:mod:`timesync.align.audio_fine`): GCC-PHAT in up to 16 windows across
   the overlap, at the lower of the two native sample rates (16 to 48 kHz),
   with sub-sample peak interpolation, then a robust (Huber) line fit of offset
   and rate with outlier rejection.
3. Decision: a pair is a match only if every threshold below holds; otherwise
   it is "no reliable audio match" with the reason, never a number.

Long files are never held in memory as samples: the coarse features are
computed from blocks at 8 kHz (decoded by an ffmpeg subprocess,
:mod:`timesync.align.audio_decode`; PyAV's ``iter_audio_blocks`` as fallback), and the fine windows
are re-decoded as short stretches (``decode_audio(start_s=..., duration_s=...)``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from timesync.align import audio_fine as fine
from timesync.align.audio_coarse import CoarseMatch, coarse_match
from timesync.align.audio_decode import ffmpeg_exe, iter_coarse_blocks
from timesync.align.audio_features import COARSE_SR, FluxExtractor, flux_features
from timesync.align.constraints import AlignerReport, Constraint
from timesync.errors import MediaError

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
#: Threads preparing sources' coarse features at once (None: one per source,
#: at most ``os.cpu_count()``). Each mostly waits on its ffmpeg subprocess's
#: pipe, so the decodes run in parallel without the GIL. (With PyAV's
#: ``iter_audio_blocks``, the fallback, threads only contend for the GIL.)
DECODE_THREADS: int | None = None
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
    lo = max(0.0, (0.0 - offset) / rate)
    hi = min(dur_b, (dur_a - offset) / rate)
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
    """
    cm = coarse_match(fa, fb, min_overlap_s=MIN_OVERLAP_S)
    if cm is None:
        return _no(f"they overlap less than {MIN_OVERLAP_S:g} s at any offset")
    coarse_ev = _coarse_evidence(cm)
    common = {"score": cm.score, "ambiguity": cm.ambiguity, "evidence": coarse_ev}
    if cm.score < MIN_COARSE_SCORE:
        return _no(
            f"no reliable audio match (coarse score {cm.score:.1f} < {MIN_COARSE_SCORE:g})",
            **common,
        )
    if cm.ambiguity >= MAX_AMBIGUITY:
        return _no(
            "ambiguous audio match: repetitive sound fits several offsets "
            f"(second peak {cm.ambiguity:.0%} of the best)",
            **common,
        )
    lo, hi = _overlap_b(cm.offset_s, cm.rate, dur_a, dur_b)
    margin = fine.SEARCH_S + 0.05
    lo, hi = lo + margin, hi - margin
    if hi - lo < 1.0:
        return _no("the overlap is too short for the fine stage", **common)
    window_s = min(fine.FINE_WINDOW_S, (hi - lo) / 3.0)
    count = int(np.clip((hi - lo) // window_s, 3, fine.MAX_WINDOWS))
    windows, fit = _fine_passes(read_a, read_b, cm, (lo, hi), window_s, count, fine_sr)
    ev = {**coarse_ev, **_fine_evidence(windows, fit, fine_sr, window_s)}
    common["evidence"] = ev
    if fit is None:
        amb = sum(1 for w in windows if w.ambiguity >= fine.WINDOW_MAX_AMBIGUITY)
        why = "ambiguous (repetitive sound)" if amb > len(windows) / 2 else "too weak"
        return _no(
            f"no reliable audio match: fewer than 3 fine windows usable, most {why}", **common
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
        abs(fit.offset_s + fit.rate * fit.at_b_s - (cm.offset_s + cm.rate * fit.at_b_s))
        > fine.SEARCH_S
    ):
        return _no("no reliable audio match: fine and coarse stages disagree", **common)
    if fit.agreeing < MIN_AGREEING:
        return _no(
            f"no reliable audio match: only {fit.agreeing:.0%} of fine windows agree", **common
        )
    if fit.uncertainty_s > MAX_UNCERTAINTY_S:
        return _no(
            f"no reliable audio match: uncertainty {fit.uncertainty_s * 1e3:.1f} ms", **common
        )
    return AudioMatch(matched=True, reason="", **common)


def _fine_passes(read_a, read_b, cm: CoarseMatch, span, window_s: float, count: int, sr: int):
    """Fine windows, refined until the rate used to resample ``b`` matches the fit.

    Without a coarse drift line the rate is unknown: the first pass then uses
    windows of at most 1 s (500 ppm smears 0.5 ms) and a second pass redoes the
    windows at the fitted rate, so drift no longer blurs the GCC-PHAT peaks.
    """
    offset, rate = cm.offset_s, cm.rate
    win = window_s if cm.chunks_on_line >= 2 else min(window_s, 1.0)
    windows, fit = [], None
    for _ in range(3):
        n = (
            count
            if win == window_s
            else int(np.clip((span[1] - span[0]) // win, 3, fine.MAX_WINDOWS))
        )
        centres = fine.window_centres(span, win, n)
        windows = fine.measure_windows(
            read_a, read_b, sr=sr, offset_s=offset, rate=rate, centres_b=centres, window_s=win
        )
        fit = fine.fit_windows(windows, sr=sr)
        if fit is None:
            break
        new_rate = fit.rate if fit.rate_uncertainty is not None else rate
        if abs(new_rate - rate) * win * sr < MAX_SMEAR_SAMPLES and win == window_s:
            break
        offset, rate, win = fit.offset_s + (fit.rate - new_rate) * fit.at_b_s, new_rate, window_s
    return windows, fit


def _coarse_evidence(cm: CoarseMatch) -> dict[str, Any]:
    return {
        "coarse_offset_s": round(cm.offset_s, 4),
        "coarse_drift_ppm": round((cm.rate - 1) * 1e6, 1),
        "coarse_score": round(cm.score, 2),
        "coarse_second_score": round(cm.second_score, 2),
        "overlap_s": round(cm.overlap_s, 2),
    }


def _fine_evidence(windows, fit, sr: int, window_s: float) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "fine_sr": sr,
        "window_s": round(window_s, 3),
        "windows": len(windows),
        "windows_usable": sum(1 for w in windows if w.usable),
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
    fa = flux_features(_to_coarse(a, sr_a))
    fb = flux_features(_to_coarse(b, sr_b))
    return match_features(
        fa,
        fb,
        _array_reader(np.asarray(a, dtype=np.float64), sr_a),
        _array_reader(np.asarray(b, dtype=np.float64), sr_b),
        dur_a=a.size / sr_a,
        dur_b=b.size / sr_b,
        fine_sr=_fine_rate(sr_a, sr_b),
    )


def _to_coarse(x: np.ndarray, sr: int) -> np.ndarray:
    if sr == COARSE_SR:
        return np.asarray(x, dtype=np.float32)
    from scipy import signal

    g = math.gcd(sr, COARSE_SR)
    return signal.resample_poly(np.asarray(x, dtype=np.float64), COARSE_SR // g, sr // g).astype(
        np.float32
    )


# -- files --------------------------------------------------------------------------


@dataclass
class _Prepared:
    name: str
    path: str
    features: np.ndarray
    duration_s: float
    sample_rate: int


def _prepare(src: SourceMedia) -> _Prepared | str:
    """Coarse features of one source; a note string when unusable.

    The 8 kHz stream comes from a subprocess of the bundled ffmpeg
    (:mod:`timesync.align.audio_decode`: fast, and parallel across sources);
    when ffmpeg is missing, refuses the path or fails, from PyAV's
    ``iter_audio_blocks`` in 60 s blocks instead.
    """
    stream = src.info.audio
    if stream is None:
        return "no audio stream"
    res = _features_ffmpeg(src)
    if res is None:
        try:
            res = _features_pyav(src)
        except MediaError as exc:
            return f"audio could not be decoded ({exc})"
    feats, end = res
    if feats.shape[0] < MIN_OVERLAP_S * 100 or not np.any(feats):
        return f"no usable audio (silent or shorter than {MIN_OVERLAP_S:g} s)"
    return _Prepared(src.name, str(src.path), feats, end, int(stream.sample_rate or COARSE_SR))


def _features_ffmpeg(src: SourceMedia) -> tuple[np.ndarray, float] | None:
    """(features, duration s) decoded by the ffmpeg subprocess, or None on any failure."""
    exe = ffmpeg_exe()
    if exe is None:
        return None
    ex = FluxExtractor()
    n = 0
    try:
        for block in iter_coarse_blocks(src.path, float(src.info.audio.start_s or 0.0), exe):
            ex.push(block)
            n += block.size
    except (MediaError, OSError):
        return None
    return ex.finish(), n / COARSE_SR


def _features_pyav(src: SourceMedia) -> tuple[np.ndarray, float]:
    """(features, duration s) from PyAV's ``iter_audio_blocks``; raises MediaError."""
    from timesync.media import iter_audio_blocks

    ex = FluxExtractor()
    end = 0.0
    for start, block in iter_audio_blocks(src.path, sr=COARSE_SR, block_s=60.0):
        ex.push(block)
        end = start + block.size / COARSE_SR
    return ex.finish(), end


#: A source decoded whole for its fine windows (instead of window by window)
#: when it takes at most this many bytes at the fine rate (float32).
WHOLE_DECODE_BYTES = 40_000_000
#: Total bytes of whole decodes kept at once (least recently used dropped first).
WHOLE_DECODE_BUDGET = 120_000_000


class _Readers:
    """Window readers over files. Short files are decoded once per rate and sliced;
    long ones are decoded window by window (``decode_audio(start_s, duration_s)``)."""

    def __init__(self) -> None:
        self._whole: dict[tuple[str, int], np.ndarray] = {}

    def _array(self, path: str, sr: int) -> np.ndarray:
        from timesync.media import decode_audio

        key = (path, sr)
        if key in self._whole:
            self._whole[key] = self._whole.pop(key)  # most recently used last
            return self._whole[key]
        y = decode_audio(path, sr=sr)
        self._whole[key] = y
        while (
            sum(v.nbytes for v in self._whole.values()) > WHOLE_DECODE_BUDGET
            and len(self._whole) > 1
        ):
            self._whole.pop(next(iter(self._whole)))
        return y

    def reader(self, prep: _Prepared) -> fine.Reader:
        from timesync.media import decode_audio

        def read(start_s: float, duration_s: float, sr: int) -> np.ndarray:
            if prep.duration_s * sr * 4 <= WHOLE_DECODE_BYTES:
                y = self._array(prep.path, sr)
                i0, n = round(start_s * sr), round(duration_s * sr)
                out = np.zeros(n, dtype=np.float32)
                s, e = max(i0, 0), min(i0 + n, y.size)
                if e > s:
                    out[s - i0 : e - i0] = y[s:e]
                return out
            return decode_audio(prep.path, sr=sr, start_s=start_s, duration_s=duration_s)

        return read


def match_prepared(a: _Prepared, b: _Prepared, readers: _Readers | None = None) -> AudioMatch:
    """Match two prepared sources (``b`` onto ``a``)."""
    readers = readers or _Readers()
    return match_features(
        a.features,
        b.features,
        readers.reader(a),
        readers.reader(b),
        dur_a=a.duration_s,
        dur_b=b.duration_s,
        fine_sr=_fine_rate(a.sample_rate, b.sample_rate),
    )


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
) -> AlignerReport:
    """Audio constraints between every pair of ``sources`` that share sound.

    Decoding for the coarse features runs on a pool of ``max_workers`` threads
    (default :data:`DECODE_THREADS`, else one per source up to the CPU count). Pairs that do not match leave no constraint; the
    reason is kept in ``findings[name]["audio_pairs"]``. Sources without usable
    audio get a note.
    """
    report = AlignerReport(method="audio")
    prog = progress or (lambda f, m: None)
    prepared: dict[str, _Prepared] = {}
    workers = max_workers or DECODE_THREADS or max(1, min(len(sources), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {src.name: pool.submit(_prepare, src) for src in sources}
        for i, src in enumerate(sources):
            res = futures[src.name].result()
            if isinstance(res, str):
                report.notes[src.name] = res
            else:
                prepared[src.name] = res
            prog(0.6 * (i + 1) / len(sources), f"audio features: {src.name}")
    names = [s.name for s in sources if s.name in prepared]
    pairs = [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    readers = _Readers()
    for k, (na, nb) in enumerate(pairs):
        a, b = prepared[na], prepared[nb]
        if b.duration_s > a.duration_s:
            a, b = b, a  # chunk the shorter one
        m = match_prepared(a, b, readers)
        for x, y in ((a, b), (b, a)):
            report.findings.setdefault(x.name, {}).setdefault("audio_pairs", {})[y.name] = (
                "match" if m.matched else m.reason
            )
        if m.matched:
            report.constraints.append(_constraint(a, b, m))
        prog(0.6 + 0.4 * (k + 1) / len(pairs), f"audio pair: {b.name} / {a.name}")
    for name in names:
        if not any(name in (c.source, c.other) for c in report.constraints) and len(names) > 1:
            report.notes.setdefault(name, "no reliable audio match with any other source")
    return report
