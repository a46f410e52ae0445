"""Which pairs of sources to match, when there are many.

Matching every pair of ``N`` sources costs ``N (N - 1) / 2`` full matches (a coarse
search over every lag, then fine windows decoded from both files). An incident of
40 recordings would need 780 of them. Most pairs never heard the same sound, and a
placement needs only a chain of matches to the reference; a second, independent
chain is what checks it. So:

1. **Pre-score** every pair from the coarse features already computed: the features
   are pooled to :data:`PRESCORE_RATE` frames per second (:func:`pooled`: sums of
   :data:`POOL` frames, i.e. the change of each band's log energy over 0.25 s; a pair
   whose shorter recording is under about 6 minutes is pooled less, :func:`pool_for`) and
   cross-correlated over every lag in one FFT (:func:`prescore`). The score is the
   best lag's height above the curve's noise floor (robust z, as the coarse search
   gives). This costs about 1/100 of a full match per pair.
2. **Select**: a maximum spanning forest of the pairs scoring at least
   :data:`MIN_PRESCORE` (the strongest pairs that connect every source that can be
   connected), plus the fewest other pairs that put every pair of that forest on a
   cycle (:meth:`PairPlan._second_paths`, with :data:`SECOND_PATHS`): then every source
   has two edge-disjoint paths to every other of its part (no single match carries a
   placement alone) where the data allow it. Greedy: the pair closing a cycle over the
   most forest pairs not yet on one goes first, the stronger among equals. On a chain of
   recordings that each overlap the three before and after, that is one pair per three
   sources (before: one per source, the best other pair of each, which put every source
   on a cycle but not every forest pair).
3. **Retry** (:meth:`PairPlan.next_round`): a selected pair that the full match
   refuses may split the matched graph; then the best untried pairs joining its parts
   are matched, until a source has :data:`MAX_FAILED_PER_SOURCE` refused pairs. A refused
   second path leaves the forest pairs it covered carrying their placements alone (bridges
   of the matched graph): once the graph is joined, the next best untried pairs closing a
   cycle over them are matched, at most :data:`SECOND_PATH_TRIES` per bridge. A placement
   that still has no second path says so (:meth:`PairPlan.second_path_note`).

A source whose pre-score with every other stays below :data:`MIN_PRESCORE` overlaps
no one: it is not matched at all, and :meth:`PairPlan.note` says so. Up to
:data:`ALL_PAIRS_UP_TO` sources every pair is matched, exactly as before this module.

Cost: the pooled features are 1/25 of the coarse ones; the pre-scores are
``N (N - 1) / 2`` FFTs of the pooled lengths (about 1 ms per pair of 20-minute
recordings); the full matches are at most ``2 (N - 1)`` plus the retries (about
``1.3 N`` on the chain above), so they grow linearly with the number of sources and,
through each match's length, with the hours of audio.

Sign convention: :func:`prescore`'s offset is ``t_a - t_b`` in seconds at the best
lag (as a constraint of ``b`` onto ``a``, rate 1), precise to a pooled frame (0.25 s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from timesync.align.pair_graph import Forest, Pair, child, cover, rooted, tree_path

__all__ = [
    "ALL_PAIRS_UP_TO",
    "SECOND_PATHS",
    "MIN_PRESCORE",
    "POOL",
    "PRESCORE_RATE",
    "MIN_PRESCORE_FRAMES",
    "PairPlan",
    "pool_for",
    "pooled",
    "prescore",
]

#: Up to this many sources, every pair is matched (the selection changes nothing).
ALL_PAIRS_UP_TO = 4
#: Coarse feature frames (100 per second) summed into one pre-score frame.
POOL = 25
#: Pre-score frames per second.
PRESCORE_RATE = 100.0 / POOL
#: A pair whose pre-score is below this (robust z) is taken to share no sound.
#: Unrelated recordings give 3.5 to 5 over the lags of hours; 20 minutes heard by
#: both give about 100, 30 seconds about 15.
MIN_PRESCORE = 6.0
#: Add pairs beyond the spanning forest so that each of its pairs is on a cycle (the
#: second path of every placement); False: the forest alone.
SECOND_PATHS = True
#: Failed full matches (all rounds) of a source after which none of its pairs is retried.
MAX_FAILED_PER_SOURCE = 4
#: Replacement pairs offered (all rounds) to put one matched pair back on a cycle when the
#: second paths chosen for it were refused (:meth:`PairPlan.next_round`).
SECOND_PATH_TRIES = 2
#: Least overlap (s) of a lag that the pre-score considers (as the full match).
MIN_OVERLAP_S = 3.0
#: Pre-score frames wanted of a pair's shorter recording: a pair shorter than
#: :data:`POOL` times this is pooled less (:func:`pool_for`), down to the coarse frames
#: themselves. Pooling sums the flux over 0.25 s: sound with onsets keeps its shape, but
#: noise-like sound (wind, traffic, a crowd) keeps little of it, and a short pair then
#: has too few pooled frames to stand out: 15-s clips of one noise scored a median of 2.5
#: pooled by 25 (6 needed), 52 unpooled (unrelated pairs: at most 5.8 either way).
MIN_PRESCORE_FRAMES = 1500
#: Bytes of pooled spectra kept for reuse between pairs.
_SPECTRA_BUDGET = 64_000_000
#: Bytes of other sources' spectra pre-scored against one source at once.
_BATCH_BYTES = 16_000_000
_CLIP_SIGMA = 4.0


def pooled(features: np.ndarray, pool: int = POOL) -> np.ndarray:
    """Coarse features pooled for the pre-score.

    Parameters
    ----------
    features : np.ndarray, shape (frames, bands)
        Flux features at 100 frames/s (:mod:`timesync.align.audio.features`).
    pool : int
        Frames summed into one (the last, incomplete block is dropped).

    Returns
    -------
    np.ndarray, shape (frames // pool, bands), float32
        Each band standardised (zero mean, unit variance) and clipped to
        ±4 standard deviations; frame ``k`` covers local time
        ``[k * pool / 100, (k + 1) * pool / 100)`` s.
    """
    n = features.shape[0] // pool
    bands = features.shape[1] if features.ndim == 2 else 1
    if n == 0:
        return np.zeros((0, bands), np.float32)
    x = np.asarray(features[: n * pool], np.float64).reshape(n, pool, bands).sum(axis=1)
    x -= x.mean(axis=0)
    sd = x.std(axis=0)
    x /= np.where(sd > 0, sd, 1.0)
    return np.clip(x, -_CLIP_SIGMA, _CLIP_SIGMA).astype(np.float32)


def pool_for(frames: int) -> int:
    """Coarse frames pooled into one pre-score frame for a pair whose shorter recording
    has ``frames`` coarse frames: :data:`POOL` from 25 x :data:`MIN_PRESCORE_FRAMES`
    (about 6 minutes) up, less below, 1 from 2 x :data:`MIN_PRESCORE_FRAMES` (30 s) down."""
    return int(max(1, min(POOL, frames // MIN_PRESCORE_FRAMES)))


def _robust_z_max(curve: np.ndarray) -> tuple[int, float]:
    """Index and robust z (median, 1.4826 MAD) of the curve's maximum."""
    sample = curve[:: max(1, curve.size // 20000)]
    med = float(np.median(sample))
    mad = float(np.median(np.abs(sample - med))) * 1.4826
    if not mad > 0:
        mad = float(np.std(sample)) or 1.0
    i = int(np.argmax(curve))
    return i, (float(curve[i]) - med) / mad


class _Spectra:
    """Pooled features by (name, pool) and their spectra by (name, pool, FFT length), the
    spectra kept within a memory budget."""

    def __init__(self, features: Mapping[str, np.ndarray]) -> None:
        self.features = features
        self._pooled: dict[tuple[str, int], np.ndarray] = {}
        self._kept: dict[tuple[str, int, int], np.ndarray] = {}
        self._bytes = 0

    def pooled(self, name: str, pool: int) -> np.ndarray:
        key = (name, pool)
        if key in self._pooled:
            return self._pooled[key]
        x = pooled(self.features[name], pool)
        if self._bytes + x.nbytes <= _SPECTRA_BUDGET:
            self._pooled[key] = x
            self._bytes += x.nbytes
        return x

    def get(self, name: str, pool: int, nfft: int) -> np.ndarray:
        from scipy import fft as sfft

        key = (name, pool, nfft)
        if key in self._kept:
            return self._kept[key]
        spec = sfft.rfft(self.pooled(name, pool), n=nfft, axis=0).astype(np.complex64)
        if self._bytes + spec.nbytes <= _SPECTRA_BUDGET:
            self._kept[key] = spec
            self._bytes += spec.nbytes
        return spec


def prescore(pa: np.ndarray, pb: np.ndarray, *, spectra: tuple[np.ndarray, np.ndarray] | None = None,
             min_overlap_s: float = MIN_OVERLAP_S, pool: int = POOL) -> tuple[float, float]:
    """Pre-score of a pair of pooled features (:func:`pooled`) over every lag.

    Parameters
    ----------
    pa, pb : np.ndarray, shape (frames, bands)
        Pooled features of ``a`` and ``b``.
    spectra : (np.ndarray, np.ndarray), optional
        Their ``rfft`` along frames at ``n = next_fast_len(len(pa) + len(pb) - 1)``,
        when already computed.
    min_overlap_s : float
        Lags overlapping less than this (s) are not considered.
    pool : int
        Coarse frames per pooled frame of ``pa`` and ``pb`` (their rate is ``100 / pool``
        frames per second).

    Returns
    -------
    (score, offset_s) : (float, float)
        Robust z of the best lag of the band-summed correlation (each lag scaled by
        1/sqrt(overlap), so that lags of any overlap are comparable), and that lag as
        ``t_a - t_b`` in seconds; ``(0.0, nan)`` when no lag overlaps enough.
    """
    from scipy import fft as sfft

    na, nb = pa.shape[0], pb.shape[0]
    rate = 100.0 / pool
    min_overlap = max(1, round(min_overlap_s * rate))
    if min(na, nb) < min_overlap:
        return 0.0, float("nan")
    nfft = sfft.next_fast_len(na + nb - 1, real=True)
    sa, sb = spectra if spectra is not None else (sfft.rfft(pa, n=nfft, axis=0),
                                                   sfft.rfft(pb, n=nfft, axis=0))
    corr = sfft.irfft(np.sum(sa * np.conj(sb), axis=1), n=nfft)
    # lag l (t_a = t_b + l frames) for l in [-(nb - 1), na - 1]: corr[l mod nfft]
    curve = np.concatenate([corr[nfft - (nb - 1):], corr[:na]]) if nb > 1 else corr[:na].copy()
    lags = np.arange(-(nb - 1), na)
    counts = np.minimum(na, lags + nb) - np.maximum(0, lags)
    valid = counts >= min_overlap
    curve = curve[valid] / np.sqrt(counts[valid] * pa.shape[1])
    i, z = _robust_z_max(curve)
    return z, float(lags[valid][i]) / rate



@dataclass
class PairPlan:
    """The pairs to match among ``names``, round by round.

    Build with :meth:`of`; match :attr:`first`, report each pair's outcome with
    :meth:`record`, then match :meth:`next_round` until it is empty. Pairs are
    ``(a, b)`` in the order of ``names``.
    """

    names: list[str]
    scores: dict[Pair, float] = field(default_factory=dict)
    first: list[Pair] = field(default_factory=list)
    tried: dict[Pair, bool] = field(default_factory=dict)
    every_pair: bool = True
    _second_tries: dict[Pair, int] = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, names: Sequence[str], features: Mapping[str, np.ndarray]) -> PairPlan:
        """The plan for ``names`` with coarse ``features`` by name (every pair up to
        :data:`ALL_PAIRS_UP_TO` sources, else the selection of the module docstring)."""
        names = list(names)
        everything = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        if len(names) <= ALL_PAIRS_UP_TO:
            return cls(names, first=everything)
        plan = cls(names, scores=_prescores(names, features), every_pair=False)
        plan.first = plan._select()
        return plan

    def _candidates(self) -> list[Pair]:
        """Pairs at or above :data:`MIN_PRESCORE`, strongest first (ties: order of names)."""
        if self._cache.get("candidates_of") != len(self.scores):
            order = {n: i for i, n in enumerate(self.names)}
            good = [p for p, s in self.scores.items() if s >= MIN_PRESCORE]
            self._cache.update(candidates_of=len(self.scores), candidates=sorted(
                good, key=lambda p: (-self.scores[p], order[p[0]], order[p[1]])))
        return self._cache["candidates"]

    def _select(self) -> list[Pair]:
        forest, tree = Forest(self.names), []
        candidates = self._candidates()
        for a, b in candidates:
            if forest.join(a, b):
                tree.append((a, b))
        extra = self._second_paths(tree, candidates) if SECOND_PATHS else []
        return self._ordered(set(tree) | set(extra))

    def _second_paths(self, tree: list[Pair], candidates: list[Pair]) -> list[Pair]:
        """Pairs of ``candidates`` (strongest first) beyond the forest ``tree`` that put each
        forest pair on a cycle, where some candidate can: greedily, the pair whose forest
        path holds the most pairs not yet on a cycle first (the earlier candidate among
        equals), until no candidate adds one (:func:`_cover`)."""
        in_tree = set(tree)
        return [p for p, _on in cover(self.names, tree, [p for p in candidates if p not in in_tree])]

    def _ordered(self, pairs: set[Pair]) -> list[Pair]:
        order = {n: i for i, n in enumerate(self.names)}
        return sorted(pairs, key=lambda p: (order[p[0]], order[p[1]]))

    def record(self, pair: Pair, matched: bool) -> None:
        """The full match's outcome for ``pair`` (one of the pairs handed out)."""
        self.tried[pair] = matched

    def next_round(self) -> list[Pair]:
        """The pairs to match next (none when every pair was matched in the first round).

        First the untried pairs that would join parts of the matched graph, strongest
        first in a spanning-forest order. When none is needed (and :data:`SECOND_PATHS`):
        replacements for refused second paths, i.e. untried pairs that put a matched pair
        still carrying its placement alone (a bridge of the matched graph) back on a cycle,
        chosen as in :meth:`_second_paths`; each such matched pair gets at most
        :data:`SECOND_PATH_TRIES` of them over all rounds. A source with
        :data:`MAX_FAILED_PER_SOURCE` refused pairs is offered no more."""
        if self.every_pair:
            return []
        joins = self._joins()
        if joins or not SECOND_PATHS:
            return joins
        return self._replacements()

    def _failed(self) -> dict[str, int]:
        failed = {n: 0 for n in self.names}
        for (a, b), ok in self.tried.items():
            if not ok:
                failed[a] += 1
                failed[b] += 1
        return failed

    def _open(self, pair: Pair, failed: Mapping[str, int]) -> bool:
        """Whether ``pair`` may still be handed out (untried, neither source over its refusals)."""
        return pair not in self.tried and max(failed[pair[0]], failed[pair[1]]) < MAX_FAILED_PER_SOURCE

    def _joins(self) -> list[Pair]:
        forest = Forest(self.names)
        for (a, b), ok in self.tried.items():
            if ok:
                forest.join(a, b)
        failed = self._failed()
        out = set()
        for a, b in self._candidates():
            if self._open((a, b), failed) and forest.join(a, b):
                out.add((a, b))
        return self._ordered(out)

    def _matched_forest(self) -> tuple[list[Pair], list[Pair]]:
        """A spanning forest of the matched pairs (strongest first), and the other matched pairs."""
        order = {p: i for i, p in enumerate(self._candidates())}
        ok = sorted((p for p, m in self.tried.items() if m), key=lambda p: (order.get(p, len(order)), p))
        forest, tree, rest = Forest(self.names), [], []
        for a, b in ok:
            (tree if forest.join(a, b) else rest).append((a, b))
        return tree, rest

    def _matched_state(self) -> tuple[list[Pair], dict[str, str | None], list[Pair]]:
        """The matched spanning forest, its parents (:func:`~timesync.align.pair_graph.rooted`)
        and its bridges, kept until the next :meth:`record`."""
        key = tuple(self.tried.items())
        if self._cache.get("matched_of") != key:
            tree, rest = self._matched_forest()
            parent, depth = rooted(self.names, tree)
            covered = {e for a, b in rest for e in tree_path(parent, depth, a, b)}
            bridges = [p for p in tree if child(p, parent) not in covered]
            self._cache.update(matched_of=key, matched=(tree, parent, bridges))
        return self._cache["matched"]

    def bridges(self) -> list[Pair]:
        """Matched pairs that carry a placement alone: no other path of matched pairs joins
        their two sources (none when every pair was matched)."""
        return [] if self.every_pair else list(self._matched_state()[2])

    def _replacements(self) -> list[Pair]:
        tree, parent, bridges = self._matched_state()
        wanted = {child(p, parent): p for p in bridges if self._second_tries.get(p, 0) < SECOND_PATH_TRIES}
        if not wanted:
            return []
        forest = Forest(self.names)
        for a, b in tree:
            forest.join(a, b)
        failed = self._failed()
        open_ = [p for p in self._candidates() if self._open(p, failed) and forest.find(p[0]) == forest.find(p[1])]
        out = []
        for pair, on in cover(self.names, tree, open_, set(wanted)):
            out.append(pair)
            for e in on:
                self._second_tries[wanted[e]] = self._second_tries.get(wanted[e], 0) + 1
        return self._ordered(set(out))

    def second_path_note(self, name: str) -> str | None:
        """What a placed ``name`` lacks when one of its matched pairs carries a placement
        alone (:meth:`bridges`): which pair, how many sources on each side, and why no
        second path was found; None when each of its matched pairs has one."""
        mine = [p for p in self.bridges() if name in p]
        if not mine:
            return None
        return "; ".join(self._bridge_sentence(name, p) for p in mine)

    def _bridge_sentence(self, name: str, bridge: Pair) -> str:
        other = bridge[1] if bridge[0] == name else bridge[0]
        forest = Forest(self.names)
        for p, ok in self.tried.items():
            if ok and p != bridge:
                forest.join(*p)
        mine, theirs = forest.find(name), forest.find(other)
        side = {n for n in self.names if forest.find(n) == mine}
        far = {n for n in self.names if forest.find(n) == theirs}
        across = [p for p in self._candidates() if p != bridge and len({p[0], p[1]} & side) == 1
                  and len({p[0], p[1]} & far) == 1]
        refused = sum(1 for p in across if self.tried.get(p) is False)
        if not across:
            why = f"no other pair across it shares sound by the pre-score ({MIN_PRESCORE:g} needed)"
        else:
            why = f"{refused} of the {len(across)} other pairs across it were matched and refused"
            if refused < len(across):
                why += (f", the rest left untried (at most {SECOND_PATH_TRIES} replacements per pair, "
                        f"{MAX_FAILED_PER_SOURCE} refusals per source)")
        return (f"no second path checks its audio match with {other}: that match is the only one between "
                f"the {len(side)} source(s) on this side and the {len(far)} on the other ({why})")

    def note(self, name: str) -> str | None:
        """Why ``name`` was matched with no one without a full match (its pre-score with
        every other source is below :data:`MIN_PRESCORE`), or None."""
        if self.every_pair or any(name in p for p in self.tried):
            return None
        mine = {(b if a == name else a): s for (a, b), s in self.scores.items() if name in (a, b)}
        if not mine or max(mine.values()) >= MIN_PRESCORE:
            return None
        other = max(mine, key=lambda n: mine[n])
        return (f"no reliable audio match with any other source: it shares no sound with any of "
                f"the {len(mine)} others over all offsets (pair pre-score at most {mine[other]:.1f}, "
                f"with {other}; {MIN_PRESCORE:g} needed), so no pair was matched in full")


def _prescores(names: Sequence[str], features: Mapping[str, np.ndarray]) -> dict[Pair, float]:
    """:func:`prescore` of every pair of ``names`` (in their order): each source against the
    later ones of the same pooling and pooled length at once (:func:`_batch_scores`, the
    same figures as one :func:`prescore` per pair), at most :data:`_BATCH_BYTES` of their
    spectra at a time."""
    from scipy import fft as sfft

    spectra = _Spectra(features)
    out: dict[Pair, float] = {}
    for i, a in enumerate(names):
        groups: dict[tuple[int, int], list[str]] = {}
        for b in names[i + 1:]:
            pool = pool_for(min(features[a].shape[0], features[b].shape[0]))
            groups.setdefault((pool, features[b].shape[0] // pool), []).append(b)
        for (pool, nb), others in groups.items():
            pa = spectra.pooled(a, pool)
            na = pa.shape[0]
            min_overlap = max(1, round(MIN_OVERLAP_S * 100.0 / pool))
            if min(na, nb) < min_overlap:  # no lag overlaps enough (prescore: 0)
                out.update({(a, b): 0.0 for b in others})
                continue
            nfft = sfft.next_fast_len(na + nb - 1, real=True)
            sa = spectra.get(a, pool, nfft)
            step = max(1, _BATCH_BYTES // max(sa.nbytes, 1))
            for k in range(0, len(others), step):
                chunk = others[k:k + step]
                sb = np.stack([spectra.get(b, pool, nfft) for b in chunk])
                scores = _batch_scores(sa, sb, na, nb, nfft, min_overlap)
                out.update({(a, b): z for b, z in zip(chunk, scores, strict=True)})
    return out


def _batch_scores(sa: np.ndarray, sb: np.ndarray, na: int, nb: int, nfft: int, min_overlap: int) -> list[float]:
    """:func:`prescore`'s score of ``a`` (spectrum ``sa``, (freqs, bands), ``na`` pooled
    frames) against each of several ``b`` (spectra ``sb``, (k, freqs, bands), ``nb`` frames
    each), with the same operations row by row."""
    from scipy import fft as sfft

    corr = sfft.irfft(np.sum(sa[np.newaxis] * np.conj(sb), axis=2), n=nfft, axis=1)
    curve = np.concatenate([corr[:, nfft - (nb - 1):], corr[:, :na]], axis=1) if nb > 1 else corr[:, :na]
    lags = np.arange(-(nb - 1), na)
    counts = np.minimum(na, lags + nb) - np.maximum(0, lags)
    valid = counts >= min_overlap
    curve = curve[:, valid] / np.sqrt(counts[valid] * sa.shape[1])
    sample = curve[:, :: max(1, curve.shape[1] // 20000)]
    med = np.median(sample, axis=1)
    mad = np.median(np.abs(sample - med[:, np.newaxis]), axis=1)
    best = curve[np.arange(curve.shape[0]), np.argmax(curve, axis=1)]
    out = []
    for r in range(curve.shape[0]):
        m = float(mad[r]) * 1.4826
        if not m > 0:
            m = float(np.std(sample[r])) or 1.0
        out.append((float(best[r]) - float(med[r])) / m)
    return out
