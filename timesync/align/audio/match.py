"""Audio matching of one pair: coarse features and window readers -> :class:`AudioMatch`.

Sign convention (as :class:`~timesync.align.constraints.Constraint`): a match of
``b`` onto ``a`` says ``t_a = offset_s + rate * t_b`` for local times in seconds.
The stages are :mod:`timesync.align.audio.coarse` (every lag, drift compensated)
and :mod:`timesync.align.audio.fine` (GCC-PHAT windows and a line fit); the
thresholds below decide between a match and "no reliable audio match" with its
reason. The aligner over many files is :func:`timesync.align.audio.find_constraints`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from timesync.align.audio import fine, groups
from timesync.align.audio.coarse import CoarseMatch, coarse_match
from timesync.align.audio.features import FRAME_RATE, flux_features
from timesync.align.constraints import Constraint
from timesync.clock import ClockMap

__all__ = [
    "AudioMatch",
    "match_signals",
    "match_features",
    "MIN_OVERLAP_S",
    "MIN_COARSE_SCORE",
    "MAX_AMBIGUITY",
    "MIN_AGREEING",
    "MAX_UNCERTAINTY_S",
    "MAX_RESIDUAL_S",
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
#: Sparse scenes (a few impulses in quiet): most windows hold no clear peak at all (weak,
#: not repetitive) and say nothing against a match. The match then also passes when at
#: least :data:`MIN_AGREEING_WINDOWS` windows agree and they are at least
#: :data:`MIN_AGREEING_USABLE` of the usable ones, and fewer windows have a strong but
#: repeated peak (repetitive sound) than agree. Tuned on the even seeds of the stress
#: corpus (seed 22: 13 windows, 6 usable, all 6 on one line to 10 us; at the fitted
#: rate 9 windows, 5 usable, 4 agreeing).
MIN_AGREEING_WINDOWS = 4
MIN_AGREEING_USABLE = 0.75
#: A match whose one-sigma offset uncertainty exceeds this (seconds) is refused.
MAX_UNCERTAINTY_S = 0.005
#: A match whose fine windows scatter about the fitted line by more than this
#: (seconds, robust residual) is refused: windows on one shared clock line agree to
#: tens of microseconds (the sample incident: 1.3 us), so a scatter of milliseconds
#: means the offset steps or bends along the recording (a damaged MP3 whose merged
#: packets lost 72 ms each: seed 53 of the stress corpus, placed 66 ms off with a
#: 2.7 ms sigma), and no single line of offset and rate holds.
MAX_RESIDUAL_S = 0.001
#: The fine windows are measured again at the fitted rate when the rate used
#: to resample them was off by more than this many samples over one window
#: (a linear smear averages out at the window centre but blunts the peak).
MAX_SMEAR_SAMPLES = 1.0
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
    return _judged(cm, fit, figures, common, _sparse_agreement(windows, fit), _places(windows, fit))


def _places(windows: list[fine.WindowMeasure], fit: fine.FineFit) -> groups.Groups | None:
    """The groups of the windows on the fitted line when they scatter as sound from several
    places does (:func:`timesync.align.audio.groups.several_places`), else None."""
    if fit.residual_s <= MAX_RESIDUAL_S:
        return None
    on = [w for w, inlier in zip(windows, fit.inliers, strict=True) if inlier]
    t = np.array([w.t_b for w in on])
    line = ClockMap(fit.offset_s, fit.rate)  # t_a = line.to_shared(t_b); a window measures t_a - t_b
    residuals = np.array([w.offset_s for w in on]) - (line.to_shared(t) - t)
    return groups.several_places(t, residuals)


def _sparse_agreement(windows: list[fine.WindowMeasure], fit: fine.FineFit) -> bool:
    """The agreeing windows carry the match on their own (:data:`MIN_AGREEING_WINDOWS`,
    :data:`MIN_AGREEING_USABLE`): the rest are weak, not repeated peaks."""
    usable = sum(1 for w in windows if w.usable)
    repeated = sum(
        1 for w in windows
        if not w.usable and w.ambiguity >= fine.WINDOW_MAX_AMBIGUITY and w.psr >= fine.WINDOW_MIN_PSR
    )
    return (
        fit.n_inliers >= MIN_AGREEING_WINDOWS
        and fit.n_inliers >= MIN_AGREEING_USABLE * usable
        and repeated < fit.n_inliers
    )


def _judged(cm: CoarseMatch, fit: fine.FineFit, figures: str, common: dict[str, Any],
            sparse_ok: bool = False, places: groups.Groups | None = None) -> AudioMatch:
    """The match of the fine fit ``fit`` when it
    agrees with the coarse stage and passes :data:`MIN_AGREEING`, :data:`MAX_RESIDUAL_S`
    (unless the windows are ``places``: groups of sound from several places, stated in the
    match's evidence) and :data:`MAX_UNCERTAINTY_S`; else no match, with the reason and
    ``figures``."""
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
    if fit.agreeing < MIN_AGREEING and not sparse_ok:
        return _no(
            f"no reliable audio match: only {fit.agreeing:.0%} of fine windows agree, "
            f"below {MIN_AGREEING:.0%}, and fewer than {MIN_AGREEING_WINDOWS} or "
            f"{MIN_AGREEING_USABLE:.0%} of the usable ones ({figures})", **common
        )
    if places is not None:
        common["evidence"] = {**common.get("evidence", {}), "places": places.sentence()}
    elif fit.residual_s > MAX_RESIDUAL_S:
        return _no(
            f"no reliable audio match: the fine windows scatter by {fit.residual_s * 1e3:.1f} ms "
            f"about one line (limit {MAX_RESIDUAL_S * 1e3:g} ms): the offset steps or bends along "
            f"the recording, damaged or edited audio? ({figures})", **common
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
        "narrowed_by": narrow.evidence.get("narrowed_by", narrow.kind),
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
    kept = None  # the last pass that gave a fit
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
            # longer windows are fewer: over a short overlap the redo can leave fewer than
            # three usable (seed 50, a split file's 16-s first part): keep the pass that fitted
            return kept or (windows, fit, z)
        kept = (windows, fit, z)
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


def fine_rate(sr_a: int, sr_b: int) -> int:
    """Sample rate (Hz) of the fine stage: the lower native rate, within [MIN_FINE_SR, MAX_FINE_SR]."""
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
        fine_sr=fine_rate(sr_a, sr_b),
    )
