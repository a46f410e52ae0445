"""Pair selection for many sources (timesync.align.pairs) on real files written by the tests.

The incident: eight recordings of one scene of Gabor atoms, each 45 s long and
starting 20 s after the previous one (neighbours share 25 s, the next but one
5 s), and one recording of another scene that shares sound with no one.
"""

from __future__ import annotations

import numpy as np
import pytest
from media_factory import make_audio
from test_align_audio import atoms, render

from timesync.align import pairs
from timesync.align.audio.features import flux_features
from timesync.sync import sync

SR = 16000
CHAIN = 8
STEP_S, DUR_S = 20.0, 45.0


@pytest.fixture(scope="session")
def chain_incident(tmp_path_factory) -> list[str]:
    """Paths: the eight chain recordings (``c0`` ... ``c7``, ``ck`` starting at scene
    ``20 k`` s), then the lone one (``lone``)."""
    folder = tmp_path_factory.mktemp("chain")
    table = atoms(STEP_S * CHAIN + DUR_S + 2.0, seed=41, fmax=7000)
    other = atoms(DUR_S + 1.0, seed=42, fmax=7000)
    rng = np.random.default_rng(9)
    paths = []
    for k in range(CHAIN + 1):
        tab, start = (table, STEP_S * k) if k < CHAIN else (other, 0.0)
        x = render(tab, start + np.arange(round(DUR_S * SR)) / SR)
        x = (x + rng.normal(0, 0.01, x.size)).astype(np.float32)
        name = f"c{k}.wav" if k < CHAIN else "lone.wav"
        paths.append(str(make_audio(folder / name, x, SR)))
    return paths


@pytest.fixture(scope="session")
def chain_run(chain_incident):
    """The sync of the chain incident, and its progress messages in order."""
    messages: list[str] = []
    result = sync(chain_incident, reference=chain_incident[0], methods=["audio"],
                  progress=lambda f, m: messages.append(m))
    return result, messages


@pytest.fixture(scope="session")
def chain_result(chain_run):
    return chain_run[0]


def _pairs_matched(result) -> int:
    """Pairs whose full match ran (each is in both sources' ``audio_pairs``)."""
    return sum(len(s.findings.get("audio_pairs", {})) for s in result.sources) // 2


def test_prescore_finds_shared_sound_and_its_offset():
    """Pooled features of two recordings of one scene score far above MIN_PRESCORE at
    their offset (t_a - t_b, to a pooled frame); another scene scores below it."""
    table, other = atoms(80.0, seed=3), atoms(60.0, seed=4)
    t = np.arange(60 * SR) / SR
    rng = np.random.default_rng(1)

    def feats(tab, start):
        x = render(tab, start + t)
        return pairs.pooled(flux_features(x + rng.normal(0, 0.01, x.size), SR))

    a, b, c = feats(table, 0.0), feats(table, 12.5), feats(other, 0.0)
    assert a.shape[1] == 6 and abs(a.shape[0] - 60 * 4) <= 1 and a.dtype == np.float32
    score, offset = pairs.prescore(a, b)
    assert score > 3 * pairs.MIN_PRESCORE
    assert offset == pytest.approx(12.5, abs=0.25)  # b's local 0 is a's 12.5 s
    back, offset_ba = pairs.prescore(b, a)
    assert back == pytest.approx(score, rel=1e-3) and offset_ba == pytest.approx(-offset)
    assert pairs.prescore(a, c)[0] < pairs.MIN_PRESCORE


def test_up_to_four_sources_every_pair_in_order():
    """Small incidents are matched as before the selection: every pair, in order, once."""
    feats = {n: np.zeros((1000, 6), np.float32) for n in "abcd"}
    plan = pairs.PairPlan.of(list("abcd"), feats)
    assert plan.first == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]
    for p in plan.first:
        plan.record(p, False)
    assert plan.next_round() == [] and plan.note("a") is None


def _plan(scores: dict[str, float], names: str) -> pairs.PairPlan:
    plan = pairs.PairPlan(list(names), scores={(k[0], k[1]): v for k, v in scores.items()},
                          every_pair=False)
    plan.first = plan._select()
    return plan


def test_selection_is_a_spanning_forest_plus_a_second_path():
    """The strongest pairs that connect everyone, plus the fewest others that put every
    forest pair on a cycle; weak pairs are never chosen and a source with none is left out."""
    scores = {"ab": 90, "bc": 80, "cd": 70, "de": 60, "ac": 50, "bd": 40, "ce": 30, "ae": 5.0,
              "af": 2.0, "bf": 3.0, "cf": 1.0, "df": 4.0, "ef": 5.5}
    plan = _plan(scores, "abcdef")
    tree = {("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")}
    assert tree <= set(plan.first)
    extra = set(plan.first) - tree
    # ac closes a cycle over ab and bc, ce over cd and de: bd would add nothing
    assert extra == {("a", "c"), ("c", "e")}
    assert all(p not in plan.first for p in [("a", "e")] + [(x, "f") for x in "abcde"])
    assert plan.note("f").startswith("no reliable audio match with any other source")
    assert "at most 5.5, with e" in plan.note("f") and plan.note("a") is None


def _connected(names: list[str], edges: set[tuple[str, str]]) -> bool:
    seen, todo = {names[0]}, [names[0]]
    while todo:
        n = todo.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == n and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return seen == set(names)


@pytest.mark.parametrize("count", [10, 40])
def test_a_chain_gets_a_second_path_everywhere_with_a_third_fewer_matches(count):
    """Recordings that each overlap the three before and after (the many-source bench):
    the forest is the chain of neighbours, and one pair per three sources closes cycles
    over all of it: no pair's loss disconnects anyone (before: one extra pair per source,
    2 N - 1 full matches, 19 and 79)."""
    names = [f"s{k:02d}" for k in range(count)]
    strength = {1: 100.0, 2: 60.0, 3: 30.0}
    scores = {(a, b): strength.get(j - i, 3.0) for i, a in enumerate(names) for j, b in enumerate(names) if j > i}
    plan = pairs.PairPlan(names, scores=scores, every_pair=False)
    plan.first = plan._select()
    assert len(plan.first) == count - 1 + (count - 1 + 2) // 3  # 12 of 45 pairs, 52 of 780
    chosen = set(plan.first)
    assert all(_connected(names, chosen - {p}) for p in chosen)


def test_a_refused_pair_is_replaced_by_the_best_one_joining_the_parts(monkeypatch):
    """When the full match refuses a spanning pair, the next round offers the strongest
    untried pair between the two parts (again if that one is refused too), and nothing
    once they are joined."""
    monkeypatch.setattr(pairs, "SECOND_PATHS", False)
    scores = {"ab": 90, "bc": 80, "cd": 70, "de": 60, "ad": 20, "be": 15, "ae": 10, "ce": 3}
    plan = _plan(scores, "abcde")
    assert plan.first == [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]
    for p in plan.first:
        plan.record(p, p != ("c", "d"))
    assert plan.next_round() == [("a", "d")]  # {a, b, c} and {d, e} are apart
    plan.record(("a", "d"), False)
    assert plan.next_round() == [("b", "e")]
    plan.record(("b", "e"), True)
    assert plan.next_round() == []


def test_many_sources_place_everyone_with_few_full_matches(chain_result, chain_incident):
    """Eight chained recordings are all placed at their true offsets with at most two
    full matches per source (all pairs would be 36 for the nine files); the lone
    recording is reported without any full match, and the note says why."""
    for k, path in enumerate(chain_incident[:CHAIN]):
        src = chain_result.source(path)
        assert src.aligned, (path, src.reason)
        assert src.clock.offset_s == pytest.approx(STEP_S * k, abs=2e-4)
    assert _pairs_matched(chain_result) <= 2 * CHAIN
    lone = chain_result.source(chain_incident[-1])
    assert not lone.aligned and lone.findings.get("audio_pairs") is None
    assert "shares no sound with any of the 8 others" in lone.notes["audio"]


def test_a_source_that_overlaps_no_one_is_reported_before_any_full_match(chain_run, chain_incident):
    """The lone recording is known from the pre-scores alone: progress names it before
    the first full match is done (before: only the result said so, once every pair was
    matched), and no pair with it is matched."""
    result, messages = chain_run
    said = [i for i, m in enumerate(messages) if m == f"audio: {chain_incident[-1]} shares no sound with any other source"]
    first_pair = next(i for i, m in enumerate(messages) if m.startswith("audio pair:"))
    assert said and said[0] < first_pair
    assert all(chain_incident[-1] not in s.findings.get("audio_pairs", {}) for s in result.sources)


def test_selection_gives_the_clocks_of_every_pair(chain_result, chain_incident, monkeypatch):
    """Matching every pair instead (the old way) places the same sources at the same
    clocks, to well within their uncertainty."""
    monkeypatch.setattr(pairs, "ALL_PAIRS_UP_TO", 100)
    every = sync(chain_incident, reference=chain_incident[0], methods=["audio"])
    assert _pairs_matched(every) == 36
    for path in chain_incident:
        a, b = chain_result.source(path), every.source(path)
        assert a.aligned == b.aligned
        if a.aligned:
            assert a.clock.offset_s == pytest.approx(b.clock.offset_s, abs=1e-4)
            assert a.clock.rate == pytest.approx(b.clock.rate, abs=2e-6)


def test_short_clips_of_noise_are_prescored_unpooled():
    """15-s clips of one noise scene (no onsets: wind, traffic, a crowd) share sound where
    they overlap. Pooled by 25 their pre-scores stayed near 2.5, below MIN_PRESCORE (a
    pooled frame of noise is the change of its log energy over 0.25 s: two clips agree
    only where their pooled frames start within a window of each other), so the selection
    matched almost none of them (bench_bad_input's 200 files: 5 of 200 placed); pooled by
    pairs.pool_for(their length), 1 here, they stand out."""
    sr = 8000
    rng = np.random.default_rng(12)
    spectrum = np.fft.rfft(rng.normal(size=200 * sr))
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))  # pink (1/f power), as FFmpeg's anoisesrc
    scene = np.fft.irfft(spectrum, 200 * sr)
    scene *= 0.3 / scene.std()
    # off the 0.25-s grid of the pooled frames: pooled noise only correlates where the
    # grids of the two clips fall within a 32-ms window of each other
    starts = [0.0, 7.13, 13.91, 21.37, 28.05, 120.0]  # the last overlaps no one
    feats = {}
    for k, start in enumerate(starts):
        clip = scene[round(start * sr):round((start + 15.0) * sr)]
        feats[f"n{k}"] = flux_features((clip + rng.normal(0, 0.03, clip.size)).astype(np.float32), sr)
    assert pairs.pool_for(feats["n0"].shape[0]) == 1 and pairs.pool_for(120_000) == pairs.POOL
    plan = pairs.PairPlan.of(list(feats), feats)
    for (a, b), score in plan.scores.items():
        overlap = 15.0 - abs(starts[int(a[1:])] - starts[int(b[1:])])
        if overlap >= 5.0:
            assert score >= pairs.MIN_PRESCORE, (a, b, score)
        elif overlap < 0:
            assert score < pairs.MIN_PRESCORE, (a, b, score)
    chained = {n for p in plan.first for n in p}
    assert chained == {"n0", "n1", "n2", "n3", "n4"}
    assert plan.note("n5") is not None


def _chain_plan(count: int) -> pairs.PairPlan:
    """The plan of ``count`` sources that each overlap the three before and after."""
    names = [chr(ord("a") + k) for k in range(count)]
    strength = {1: 100.0, 2: 60.0, 3: 30.0}
    scores = {(a, b): strength.get(j - i, 3.0) for i, a in enumerate(names) for j, b in enumerate(names) if j > i}
    plan = pairs.PairPlan(names, scores=scores, every_pair=False)
    plan.first = plan._select()
    return plan


def test_a_refused_second_path_is_replaced_within_bounds_and_the_rest_is_noted():
    """When the pair chosen to close a cycle is refused, the forest pairs it covered carry
    their placements alone: the next rounds offer the best untried pairs closing a cycle
    over them (at most SECOND_PATH_TRIES per forest pair), and a source whose matched pair
    still has no second path says so in its note, with the sizes of both sides and why."""
    plan = _chain_plan(6)
    assert plan.first == [("a", "b"), ("a", "d"), ("b", "c"), ("c", "d"), ("d", "e"), ("d", "f"), ("e", "f")]
    for p in plan.first:
        plan.record(p, p != ("a", "d"))
    assert plan.bridges() == [("a", "b"), ("b", "c"), ("c", "d")]
    assert plan.next_round() == [("a", "c"), ("b", "d")]  # ab and bc, then cd, on a cycle again
    plan.record(("a", "c"), False)
    plan.record(("b", "d"), False)
    assert plan.next_round() == [("b", "e")]  # nothing else puts ab on a cycle; bc and cd a second time
    plan.record(("b", "e"), False)
    assert plan.next_round() == []  # bc and cd had their two replacements, ab has no candidate left
    assert plan.second_path_note("e") is None and plan.second_path_note("f") is None
    note = plan.second_path_note("a")
    assert note == ("no second path checks its audio match with b: that match is the only one between the "
                    "1 source(s) on this side and the 5 on the other (2 of the 2 other pairs across it were "
                    "matched and refused)")
    c = plan.second_path_note("c").split("; ")
    assert len(c) == 2 and "with b" in c[0] and "4 of the 4 other pairs" in c[0]
    assert "with d" in c[1] and "the 3 source(s) on this side and the 3 on the other" in c[1]
    assert "3 of the 5 other pairs across it were matched and refused, the rest left untried" in c[1]


def test_second_paths_matched_leave_nothing_to_replace():
    """When every chosen pair matches, no round follows and no placement is noted."""
    plan = _chain_plan(10)
    for p in plan.first:
        plan.record(p, True)
    assert plan.bridges() == [] and plan.next_round() == []
    assert all(plan.second_path_note(n) is None for n in plan.names)


STEP2_S = 10.0


@pytest.fixture(scope="session")
def refused_second_path(tmp_path_factory) -> list[str]:
    """Six recordings of one scene of Gabor atoms, 45 s each, starting 10 s apart (each
    overlaps the three before and the three after it; ``c0`` and ``c4`` share scene
    40-45 s). ``c4`` hears scene 39-46 s with every atom's phase changed: the same
    sounds in each band's energy, so the pre-score still pairs ``c0`` with ``c4``, but
    not the same waveform, so the full match of that pair is refused (its fine windows
    find nothing), while ``c4``'s other pairs keep 29 s or more of true sound."""
    folder = tmp_path_factory.mktemp("second-path")
    table = atoms(STEP2_S * 6 + DUR_S + 2.0, seed=41, fmax=7000)
    changed = table.copy()
    inside = (changed[:, 0] >= 39.0) & (changed[:, 0] < 46.0)
    changed[inside, 3] = np.random.default_rng(5).uniform(0, 2 * np.pi, int(inside.sum()))
    rng = np.random.default_rng(9)
    paths = []
    for k in range(6):
        x = render(changed if k == 4 else table, STEP2_S * k + np.arange(round(DUR_S * SR)) / SR)
        x = (x + rng.normal(0, 0.01, x.size)).astype(np.float32)
        paths.append(str(make_audio(folder / f"c{k}.wav", x, SR)))
    return paths


def test_a_refused_second_path_is_replaced_on_real_files(refused_second_path):
    """The first selection closes the cycle over c0-c1-c2-c3 with c0-c4, which the full
    match refuses; the pair that replaces it (c0-c3, the best closing a cycle over those
    three forest pairs) is matched, so every placement has a second path again (before:
    c0-c4's refusal was left as it was, and c0-c1, c1-c2 and c2-c3 each carried it alone)."""
    result = sync(refused_second_path, reference=refused_second_path[0], methods=["audio"])
    c0, c3 = (result.source(p) for p in (refused_second_path[0], refused_second_path[3]))
    verdicts = c0.findings["audio_pairs"]
    assert verdicts[refused_second_path[4]].startswith("no reliable audio match")
    assert verdicts[refused_second_path[3]] == "match"
    assert c3.findings["audio_pairs"][refused_second_path[0]] == "match"
    assert _pairs_matched(result) == 8  # the first selection's 7 and the one replacement
    for k, path in enumerate(refused_second_path):
        src = result.source(path)
        assert src.aligned and "audio" not in src.notes, (path, src.notes)
        assert src.clock.offset_s == pytest.approx(STEP2_S * k, abs=2e-4)


def test_batched_prescores_equal_one_prescore_per_pair():
    """The pre-scores of all pairs, computed one source against many at once, are exactly
    those of :func:`pairs.prescore` pair by pair (sources of different lengths: pooled
    by 25 and less, and one too short for any lag)."""
    rng = np.random.default_rng(3)
    lengths = [60_000, 60_000, 45_000, 60_000, 2_500, 9_000, 200]
    feats = {f"s{k}": rng.normal(size=(n, 6)).astype(np.float32) for k, n in enumerate(lengths)}
    names = list(feats)
    got = pairs._prescores(names, feats)
    for (a, b), score in got.items():
        pool = pairs.pool_for(min(feats[a].shape[0], feats[b].shape[0]))
        pa, pb = pairs.pooled(feats[a], pool), pairs.pooled(feats[b], pool)
        assert score == pairs.prescore(pa, pb, pool=pool)[0], (a, b)
    assert len(got) == 21 and got[("s0", "s6")] == 0.0
