"""Matching two sources' event patterns: flashes against flashes, or against heard impulses.

:func:`match_and_fit`: two event lists are compared under every
hypothesis "event i of one is event j of the other"; the best hypotheses are
refined by least squares over the events paired within their uncertainties
(with the flash duration ``L`` as a second unknown when the split ratios vary
enough to measure it, and only pairs whose frame counts allow one duration;
with the clock rate as another when the pairs span minutes, see
:mod:`timesync.align.flashes.fit`).
The best wins if at least :data:`MIN_AGREEING` events agree, it clearly beats
the best hypothesis with a different offset in number, and its pairs are far
less likely as chance coincidences than the runner-up's
(:data:`MIN_EVIDENCE_MARGIN`). :func:`match_events` is the plain count for
instants.

Shared by the ``"visual"`` aligner (:mod:`timesync.align.flashes.visual`)
and the ``"audio-visual"`` one (:mod:`timesync.align.audiovisual`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from timesync.align.flashes.chance import chance_anywhere as _chance_anywhere
from timesync.align.flashes.chance import evidence as _evidence
from timesync.align.flashes.chance import pair_logs as _pair_logs
from timesync.align.flashes.chance import tolerance as _tolerance
from timesync.align.flashes.detect import VisualEvent
from timesync.align.flashes.durations import crossings_unlikely as _crossings_unlikely
from timesync.align.flashes.durations import duration_spread as _duration_spread
from timesync.align.flashes.fit import RATE_MEASURED_SIGMA, MatchedFit, fit_matched, slope_gain

__all__ = ["EventMatch", "EventSet", "MatchedFit", "match_events", "match_and_fit", "fit_matched", "MIN_AGREEING",
           "MIN_EVIDENCE_MARGIN", "MAX_ROUNDS"]

#: A match's pairs must be this much (log10) less likely as chance coincidences than the
#: runner-up's (see :func:`_evidence`). In simulated pairs of unrelated event lists (3-27
#: events a side, flashes lit over one or two frames at 15-30 fps) 5 in 1284 then still
#: matched, against 10 with 2.5 and 26 by the counts alone.
MIN_EVIDENCE_MARGIN = 3.0
#: Events that must agree for a match.
MIN_AGREEING = 3
#: A match is taken only if the expected number of offsets, among all the pairings tried, whose
#: pairs would agree as well by chance is below 10 ** this (see
#: :func:`timesync.align.flashes.chance.chance_anywhere`): the margin over the runner-up alone
#: let chance matches of long unrelated lists through.
MAX_CHANCE_ANYWHERE_LOG10 = -1.0
#: Rounds of pairing and fitting at most: three, and more only while a rate measured over the
#: pairs (:mod:`timesync.align.flashes.fit`) brings in events that drift took off a rate of 1.
MAX_ROUNDS = 8
#: A match refused at a rate of 1 is tried again with the rate free: clock rates within this
#: (s per s, 200 ppm, beyond any crystal's) of each other, so ``2 * DRIFT_TRIED * span / frame``
#: distinguishable rates more tried, which the look-elsewhere bound counts.
DRIFT_TRIED = 2e-4


@dataclass(frozen=True)
class EventMatch:
    """The best pairing of two event lists: ``t_b = offset_s + t_a`` for the pairs (with a rate
    fitted, :attr:`MatchedFit.gap_s`: ``t_b - t_a`` in the middle of the pairs).

    ``pairs``: ``(i, j)`` index pairs; ``agreeing``: their number;
    ``second_best``: agreeing events under the best hypothesis with a
    different offset (a clear winner has many more). ``evidence`` and
    ``second_evidence``: how unlikely (log10) the pairs of the best and of the
    runner-up hypothesis are as chance coincidences (see ``match_and_fit``).
    """

    offset_s: float
    pairs: list[tuple[int, int]]
    agreeing: int
    second_best: int
    evidence: float | None = None
    second_evidence: float | None = None
    chance_anywhere: float | None = None


def _count(a: np.ndarray, b_sorted: np.ndarray, hyps: np.ndarray, tol: float) -> np.ndarray:
    shifted = a[None, :] + hyps[:, None]
    pos = np.clip(np.searchsorted(b_sorted, shifted), 1, len(b_sorted) - 1)
    near = np.minimum(np.abs(b_sorted[pos] - shifted), np.abs(b_sorted[pos - 1] - shifted))
    return (near <= tol).sum(axis=1)


def match_events(a: Sequence[float], b: Sequence[float], *, tol_s: float,
                 min_agreeing: int = MIN_AGREEING, max_events: int = 300) -> EventMatch | None:
    """Find the offset under which most events of ``a`` and ``b`` coincide.

    Parameters
    ----------
    a, b : event times (s) in each source's local time.
    tol_s : two events agree when within this (s).
    min_agreeing : events that must agree.
    max_events : at most this many events of each list are used (the first).

    Returns
    -------
    EventMatch or None
        None when fewer than ``min_agreeing`` events agree or the best
        hypothesis does not clearly beat the second best (by at least 2 events
        and a factor 1.5).
    """
    a = np.asarray(a, float)[:max_events]
    b = np.asarray(b, float)[:max_events]
    if len(a) < min_agreeing or len(b) < min_agreeing:
        return None
    b_sorted = np.sort(b)
    hyps = (b[None, :] - a[:, None]).ravel()
    counts = np.zeros(len(hyps), int)
    for start in range(0, len(hyps), 4096):
        counts[start:start + 4096] = _count(a, b_sorted, hyps[start:start + 4096], tol_s)
    best = int(np.argmax(counts))
    agreeing = int(counts[best])
    others = np.abs(hyps - hyps[best]) > 2 * tol_s
    second = int(counts[others].max()) if others.any() else 0
    if agreeing < min_agreeing or agreeing < second + 2 or agreeing < 1.5 * second:
        return None
    # refine: centre of the agreeing differences, then one-to-one nearest pairs
    offset = float(hyps[best])
    for _ in range(2):
        pairs = _pairs(a, b, offset, tol_s)
        if not pairs:
            return None
        offset = float(np.mean([b[j] - a[i] for i, j in pairs]))
    return EventMatch(offset_s=offset, pairs=pairs, agreeing=len(pairs), second_best=second)


def _pairs(a: np.ndarray, b: np.ndarray, offset: float, tol: float) -> list[tuple[int, int]]:
    used: set[int] = set()
    pairs = []
    for i in np.argsort(a):
        j = int(np.argmin(np.abs(b - (a[i] + offset))))
        if abs(b[j] - a[i] - offset) <= tol and j not in used:
            used.add(j)
            pairs.append((int(i), j))
    return pairs


@dataclass(frozen=True)
class EventSet:
    """Events of one source for matching: ``onset = t - L * r`` with one-sigma ``sigma`` (arrays).

    ``shortest`` and ``longest``: the flash durations (s) each event allows
    (:meth:`VisualEvent.flash_bounds_s`); None for instants (any). Two events
    are the same flash only if their ranges overlap. ``uniform``: events whose
    onset is only known to an interval (:attr:`VisualEvent.uniform`); None:
    none. ``frame_s``: the duration of each event's first frame (s); None for
    instants.
    """

    t: np.ndarray
    r: np.ndarray
    sigma: np.ndarray
    shortest: np.ndarray | None = None
    longest: np.ndarray | None = None
    uniform: np.ndarray | None = None
    frame_s: np.ndarray | None = None

    @classmethod
    def of(cls, events: Sequence[VisualEvent]) -> EventSet:
        """From detected flashes."""
        bounds = np.array([e.flash_bounds_s() for e in events], float).reshape(-1, 2)
        return cls(np.array([e.boundary_s for e in events], float), np.array([e.ratio for e in events], float),
                   np.array([e.sigma_s for e in events], float), bounds[:, 0], bounds[:, 1],
                   np.array([e.uniform for e in events], bool), np.array([e.frame_s for e in events], float))

    def spread(self) -> tuple[np.ndarray, np.ndarray]:
        """``(normal sigma, half-width of a uniform error)`` of every event's onset (s): one of them is 0."""
        uniform = np.zeros(len(self.t), bool) if self.uniform is None else self.uniform
        return np.where(uniform, 0.0, self.sigma), np.where(uniform, math.sqrt(3) * self.sigma, 0.0)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(shortest, longest)`` flash durations (s) of every event (0 and inf when not known)."""
        if self.shortest is None or self.longest is None:
            return np.zeros_like(self.t), np.full_like(self.t, np.inf)
        return self.shortest, self.longest

    def take(self, keep: np.ndarray) -> EventSet:
        """The events at indices ``keep`` (an EventSet of their own)."""
        def pick(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else x[keep]
        return EventSet(self.t[keep], self.r[keep], self.sigma[keep], pick(self.shortest), pick(self.longest),
                        pick(self.uniform), pick(self.frame_s))

    def distinct(self) -> np.ndarray:
        """Indices of one event per moment: flashes whose onsets lie within a frame of each other are one.

        A light seen at several places of the picture may be reported once per
        place; matched as separate events, one coincidence would count as
        several agreeing pairs (and its chance as that many independent ones).
        Of each group (onsets chained less than their frame apart from the
        group's first) the event whose onset is known best is kept. Instants
        (no frame) are all distinct.
        """
        if self.frame_s is None or len(self.t) == 0:
            return np.arange(len(self.t))
        onset = self.t - 0.5 * self.frame_s * self.r
        order = np.argsort(onset, kind="stable")
        uniform = np.zeros(len(self.t), bool) if self.uniform is None else self.uniform
        keep, group = [], [int(order[0])]
        for k in (int(v) for v in order[1:]):
            if onset[k] - onset[group[0]] < self.frame_s[group[0]]:
                group.append(k)
                continue
            keep.append(min(group, key=lambda g: (bool(uniform[g]), float(self.sigma[g]))))
            group = [k]
        keep.append(min(group, key=lambda g: (bool(uniform[g]), float(self.sigma[g]))))
        return np.sort(np.array(keep, int))

    @classmethod
    def instants(cls, times: Sequence[float], sigma_s: float) -> EventSet:
        """From instants known to ``sigma_s`` (heard impulses)."""
        t = np.asarray(times, float)
        return cls(t, np.zeros_like(t), np.full_like(t, sigma_s))


def _tight_pairs(a: EventSet, b: EventSet, offset: float, flash_s: float, slack: np.ndarray | None = None,
                 allowed: np.ndarray | None = None, rate: float = 1.0) -> list[tuple[int, int]]:
    """One-to-one pairs whose onsets agree within :func:`_tolerance` (+ ``slack[i, j]``) where ``allowed[i, j]``,
    under ``onset_b = offset + rate * onset_a``."""
    ta = a.t - flash_s * a.r
    tb = b.t - flash_s * b.r
    gap = np.abs(tb[None, :] - ta[:, None] - offset - (rate - 1.0) * ta[:, None])
    tol = _tolerance(a, b)
    if slack is not None:
        tol = tol + slack
    ok = gap <= tol
    if allowed is not None:
        ok &= allowed
    pairs, used = [], set()
    for i in np.argsort(ta):
        cands = [j for j in np.nonzero(ok[i])[0] if j not in used]
        if cands:
            j = int(min(cands, key=lambda k: gap[i, k]))
            used.add(j)
            pairs.append((int(i), j))
    return pairs


def _votes(a: EventSet, b: EventSet, frame_s: float, offsets_s: tuple[float, float] | None) \
        -> tuple[np.ndarray, np.ndarray]:
    """Offset hypotheses (every pairing of an event of ``a`` with one of ``b``, within
    ``offsets_s`` if given) and how many events agree within a frame under each."""
    guess = 0.5 * frame_s
    times_a, times_b = a.t - guess * a.r, b.t - guess * b.r
    b_sorted = np.sort(times_b)
    hyps = (times_b[None, :] - times_a[:, None]).ravel()
    if offsets_s is not None:
        hyps = hyps[(hyps >= offsets_s[0]) & (hyps <= offsets_s[1])]
    counts = np.zeros(len(hyps), int)
    for start in range(0, len(hyps), 4096):
        counts[start:start + 4096] = _count(times_a, b_sorted, hyps[start:start + 4096], frame_s)
    return hyps, counts


def match_and_fit(a: EventSet, b: EventSet, *, frame_s: float, min_agreeing: int = MIN_AGREEING,
                  candidates: int = 60, offsets_s: tuple[float, float] | None = None) \
        -> tuple[EventMatch, MatchedFit] | None:
    """Match two event sets and fit ``t_b = offset + t_a`` (and the flash duration).

    Each set is first cut to one event per moment (:meth:`EventSet.distinct`):
    a flash reported at several places counts once. The pairs returned index
    the sets as given.

    Hypotheses (every pairing of an event of ``a`` with one of ``b``) are
    ranked by how many events agree within a frame; the best ``candidates``
    distinct ones are refined: events are paired within their own
    uncertainties (:func:`_tolerance`) where their frame counts allow one
    flash duration, the offset and flash duration fitted, and the pairs
    counted again. Refined hypotheses within half a frame of a better one are
    the same. The one with most agreeing events wins if it has at least
    ``min_agreeing``, clearly beats the runner-up (whatever the runner-up's
    count: by 2 events and a factor 1.5), and its pairs are at least
    :data:`MIN_EVIDENCE_MARGIN` (log10) less likely as chance coincidences
    (:func:`_evidence`); otherwise None. With ``offsets_s`` (a closed range,
    seconds, from weaker evidence), only offsets in it are considered, the
    runner-up included, and None is returned unless the best offset inside
    has as many votes as the best anywhere.
    """
    keep_a, keep_b = a.distinct(), b.distinct()
    found = _match_distinct(a.take(keep_a), b.take(keep_b), frame_s, min_agreeing, candidates, offsets_s)
    if found is None:
        return None
    match, fit = found
    pairs = [(int(keep_a[i]), int(keep_b[j])) for i, j in match.pairs]
    return replace(match, pairs=pairs), fit


def _match_distinct(a: EventSet, b: EventSet, frame_s: float, min_agreeing: int, candidates: int,
                    offsets_s: tuple[float, float] | None) -> tuple[EventMatch, MatchedFit] | None:
    """:func:`match_and_fit` of two sets of distinct events."""
    if len(a.t) < min_agreeing or len(b.t) < min_agreeing:
        return None
    hyps, counts = _votes(a, b, frame_s, offsets_s)
    if offsets_s is not None and hyps.size:
        # weaker evidence only settles which of several offsets that fit as well as
        # the best one is right: never one that an offset outside the range beats
        if counts.max() < _votes(a, b, frame_s, None)[1].max():
            return None
    chosen: list[float] = []
    for k in np.argsort(-counts, kind="stable"):
        if len(chosen) >= candidates:
            break
        if all(abs(hyps[k] - c) > 0.1 * frame_s for c in chosen):
            chosen.append(float(hyps[k]))
    slack = 0.5 * frame_s * np.abs(b.r[None, :] - a.r[:, None])  # the flash duration is not known yet
    (short_a, long_a), (short_b, long_b) = a.bounds(), b.bounds()
    # the same flash only where the durations the two events allow overlap
    allowed = np.maximum(short_a[:, None], short_b[None, :]) <= np.minimum(long_a[:, None], long_b[None, :])
    refined = [_refined(a, b, hyp, 0.5 * frame_s, slack, allowed, False) for hyp in chosen]
    if offsets_s is not None:  # a refit may have moved out of the range
        refined = [r for r in refined if offsets_s[0] <= r[1] <= offsets_s[1]]
    won = _clear_winner(a, b, refined, frame_s, min_agreeing)
    if won is not None:
        return _with_rate(a, b, *won, frame_s, slack, allowed)
    # refused at a rate of 1: a drift may have taken the events off it. Again with the rate free
    # (fitted where measured), the look-elsewhere bound raised by the rates that allows
    rates = 2 * DRIFT_TRIED * float(np.ptp(a.t)) / frame_s
    if rates <= 1.0:
        return None  # over so short a span no drift moves an event by a frame
    refined = [_refined(a, b, hyp, 0.5 * frame_s, slack, allowed, True) for hyp in chosen]
    if offsets_s is not None:
        refined = [r for r in refined if offsets_s[0] <= r[1] <= offsets_s[1]]
    return _clear_winner(a, b, refined, frame_s, min_agreeing, math.log10(rates))


def _with_rate(a: EventSet, b: EventSet, match: EventMatch, fit: MatchedFit, frame_s: float, slack: np.ndarray,
               allowed: np.ndarray) -> tuple[EventMatch, MatchedFit]:
    """The winning match refined again with a rate fitted when its pairs span enough time to measure one
    (:mod:`timesync.align.flashes.fit`), pairing under that rate (events a drift took off a rate of 1).

    The match was chosen at a rate of 1 (a free rate would let an alias tilt onto more events than
    it could hold); the refit is taken only if it measured a rate, pairs at least as many events
    and states the same offset within half a frame where the match was fitted. The chance figures
    stay those of the choice.
    """
    n, gap, pairs, rated = _refined(a, b, match.offset_s, 0.5 * frame_s, slack, allowed, True)
    if rated is not None and rated.rate_uncertainty is not None and n >= match.agreeing \
            and abs(float(rated.to_b(fit.at_a_s)) - fit.at_a_s - fit.offset_s) <= 0.5 * frame_s:
        return replace(match, offset_s=gap, pairs=pairs, agreeing=n), rated
    rated = _rate_on_pairs(a, b, match.pairs, fit)
    if rated.rate_uncertainty is None \
            or abs(float(rated.to_b(fit.at_a_s)) - fit.at_a_s - fit.offset_s) > 0.5 * frame_s:
        return match, fit
    return replace(match, offset_s=rated.gap_s), rated


def _rate_on_pairs(a: EventSet, b: EventSet, pairs: Sequence[tuple[int, int]], fit: MatchedFit) -> MatchedFit:
    """``fit`` made again over its own ``pairs`` with a rate (same sigmas, flash duration fitted or held
    as it was), with the doubt of a duration held at a guess (:func:`_duration_doubt`)."""
    ia, ib = [i for i, _ in pairs], [j for _, j in pairs]
    sigma_a = a.sigma[ia]
    if fit.per_flash:
        spread = _duration_spread(a, b, fit.flash_s)
        sigma_a = np.hypot(sigma_a, np.array([spread[i, j] for i, j in pairs]) / math.sqrt(3))
    rated = fit_matched(a.t[ia], a.r[ia], sigma_a, b.t[ib], b.r[ib], b.sigma[ib], flash_guess_s=fit.flash_s,
                        flash_max_s=0.2 if fit.flash_fitted else 0.0)
    if rated.flash_fitted != fit.flash_fitted:
        return fit
    rated = replace(rated, per_flash=fit.per_flash)
    return rated if fit.flash_fitted or fit.per_flash else _duration_doubt(a, b, pairs, rated)


#: A refined hypothesis: (pairs agreeing, offset (s), pairs, fit or None).
_Refined = tuple[int, float, list[tuple[int, int]], MatchedFit | None]


def _refined(a: EventSet, b: EventSet, hyp: float, guess: float, slack: np.ndarray, allowed: np.ndarray,
             fit_rate: bool) \
        -> _Refined:
    """One offset hypothesis refined: ``(pairs agreeing, offset, pairs, fit)``.

    The events are paired within their uncertainties (plus ``slack``, for the
    flash duration not known yet) where ``allowed``; the offset and the flash
    duration (``guess`` when it cannot be fitted, or when the fitted one would
    seldom have lit two frames as often as these did) fitted, and the clock rate when the pairs span
    enough time to measure it (:mod:`timesync.align.flashes.fit`; the next round pairs under that
    rate); three rounds, more (up to :data:`MAX_ROUNDS`) while a measured rate brings in pairs.
    Refined once with one duration for all flashes and once, when it cannot
    be fitted, with each flash's own (:func:`_duration_spread`): the second
    is kept only if it pairs more events.
    """
    one = _refine(a, b, hyp, guess, slack, allowed, False, fit_rate)
    if one[3] is None or one[3].flash_fitted:
        return one
    own = _refine(a, b, hyp, guess, slack, allowed, True, fit_rate)
    return own if own[0] > one[0] else one


def _refine(a: EventSet, b: EventSet, hyp: float, guess: float, slack: np.ndarray, allowed: np.ndarray,
            per_flash: bool, fit_rate: bool) -> _Refined:
    """:func:`_refined` with one flash duration for all, or (``per_flash``) each flash's own when not fitted."""
    long_a, long_b = a.bounds()[1], b.bounds()[1]
    pairs = _tight_pairs(a, b, hyp, guess, slack, allowed)
    fit, offset, used = None, hyp, []
    for round_ in range(MAX_ROUNDS):
        if len(pairs) < 2 or (round_ >= 3 and (fit is None or fit.rate_uncertainty is None or pairs == used)):
            break  # three rounds; more only while a measured rate still brings in pairs
        ia, ib = [i for i, _ in pairs], [j for _, j in pairs]
        longest = min([0.2] + [long_a[i] for i in ia if a.r[i] > 0] + [long_b[j] for j in ib if b.r[j] > 0])
        fit = fit_matched(a.t[ia], a.r[ia], a.sigma[ia], b.t[ib], b.r[ib], b.sigma[ib],
                          flash_guess_s=min(guess, longest), flash_max_s=longest, fit_rate=fit_rate)
        if fit.flash_fitted and _crossings_unlikely([(a, i) for i in ia] + [(b, j) for j in ib], fit.flash_s):
            # a flash that short (long) would seldom have lit two frames as often (seldom) as these did
            fit = fit_matched(a.t[ia], a.r[ia], a.sigma[ia], b.t[ib], b.r[ib], b.sigma[ib],
                              flash_guess_s=min(guess, longest), flash_max_s=0.0, fit_rate=fit_rate)
        spread = None
        if per_flash and not fit.flash_fitted:  # each flash its own duration: onsets known less well
            spread = _duration_spread(a, b, fit.flash_s)
            wide = np.array([spread[i, j] for i, j in pairs]) / math.sqrt(3)
            fit = replace(fit_matched(a.t[ia], a.r[ia], np.hypot(a.sigma[ia], wide), b.t[ib], b.r[ib], b.sigma[ib],
                                      flash_guess_s=fit.flash_s, flash_max_s=0.0, fit_rate=fit_rate), per_flash=True)
        offset, used = fit.gap_s, list(zip(ia, ib, strict=True))
        pairs = _tight_pairs(a, b, fit.offset_s, fit.flash_s, slack=spread, allowed=allowed, rate=fit.rate)
    if fit is not None and not fit.flash_fitted and not fit.per_flash:
        fit = _duration_doubt(a, b, used, fit)
    return len(pairs), offset, pairs, fit


def _duration_doubt(a: EventSet, b: EventSet, pairs: Sequence[tuple[int, int]], fit: MatchedFit) -> MatchedFit:
    """``fit`` (one flash duration for all, not fitted) with an uncertainty that covers the durations
    the paired events allow.

    An onset read from how a flash's light splits between two frames moves
    with the flash's duration (``t - L r``); held at a guess, the offset is
    off by ``r`` times how far the true duration lies from it, which may be
    most of a frame (a flash lighting two frames lasts anything from a
    fraction of a frame to two and a half). Each pair may move by
    :func:`_duration_spread` (the durations both its events allow); the
    offset, a weighted mean over the pairs, by the weighted mean of those
    moves (taken together: the flashes may all be longer than the guess),
    over sqrt(3) (uniform within that range).
    """
    if not pairs:
        return fit
    spread = _duration_spread(a, b, fit.flash_s)
    ia, ib = [i for i, _ in pairs], [j for _, j in pairs]
    w = 1 / (a.sigma[ia] ** 2 + b.sigma[ib] ** 2 + 1e-10)
    moves = np.array([spread[i, j] for i, j in pairs])
    if fit.rate_uncertainty is not None:  # the slope moves too: by at most sum |gain| * move
        rate_doubt = float(np.sum(np.abs(slope_gain(a.t[ia], w)) * moves)) / math.sqrt(3)
        rate_sigma = math.hypot(fit.rate_uncertainty, rate_doubt)
        if rate_sigma <= RATE_MEASURED_SIGMA:
            fit = replace(fit, rate_uncertainty=rate_sigma)
        else:  # the durations leave the rate unmeasured: held at 1, as for a short match
            fit = fit_matched(a.t[ia], a.r[ia], a.sigma[ia], b.t[ib], b.r[ib], b.sigma[ib],
                              flash_guess_s=fit.flash_s, flash_max_s=0.0, fit_rate=False)
    doubt = float(np.sum(w * moves) / np.sum(w)) / math.sqrt(3)
    return replace(fit, uncertainty_s=math.hypot(fit.uncertainty_s, doubt))


def _gap_at(r: _Refined, d: _Refined) -> float:
    """``t_b - t_a`` (s) under hypothesis ``r`` where ``d`` was fitted (its ``at_a_s``): with rates
    fitted, two refinements of one drifting match state their offsets at different times."""
    if r[3] is None or d[3] is None or r[3].rate_uncertainty is None:
        return r[1]
    return float(r[3].to_b(d[3].at_a_s)) - d[3].at_a_s


def _clear_winner(a: EventSet, b: EventSet, refined: list[_Refined], frame_s: float, min_agreeing: int,
                  rates_log10: float = 0.0) -> tuple[EventMatch, MatchedFit] | None:
    """The refined hypothesis that clearly wins (see :func:`match_and_fit`), or None.

    Hypotheses within half a frame of a better one are the same one, paired
    differently; the runner-up (whatever its count: chance coincidences of
    unrelated events) sets the bar. ``rates_log10``: log10 of the clock rates
    tried besides 1, added to the look-elsewhere figure.
    """
    distinct: list[_Refined] = []
    for r in sorted(refined, key=lambda r: (-r[0], r[3].uncertainty_s if r[3] else math.inf)):
        if all(abs(_gap_at(r, d) - d[1]) >= 0.5 * frame_s for d in distinct):
            distinct.append(r)
    if not distinct or distinct[0][3] is None:
        return None
    density = len(b.t) / max(float(np.ptp(b.t)), frame_s)
    evidence = [_evidence(a, b, r[2], density, r[3]) for r in distinct]
    best, best_evidence = distinct[0], evidence[0]
    second = distinct[1][0] if len(distinct) > 1 else 0
    second_evidence = max(evidence[1:], default=0.0)
    anywhere = _chance_anywhere(len(a.t), len(b.t), _pair_logs(a, b, best[2], density, best[3])) + rates_log10
    if best[0] < min_agreeing or best[0] < second + 2 or best[0] < 1.5 * second \
            or best_evidence < second_evidence + MIN_EVIDENCE_MARGIN or anywhere > MAX_CHANCE_ANYWHERE_LOG10:
        return None
    return EventMatch(offset_s=best[1], pairs=best[2], agreeing=best[0], second_best=second,
                      evidence=best_evidence, second_evidence=second_evidence, chance_anywhere=anywhere), best[3]

