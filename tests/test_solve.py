"""The global weighted least-squares solve over constraints of every kind."""

from __future__ import annotations

import pytest

from timesync.align.constraints import Constraint
from timesync.align.solve import OUTLIER_SIGMAS, RATE_PRIOR_SIGMA, solve

#: True clocks: shared = o + r * local.
TRUTH = {
    "A": (0.0, 1.0),
    "B": (10.0, 1.0001),
    "C": (25.0, 0.99995),
    "D": (-7.5, 1.0),
    "E": (3.0, 1.0),
}


def measured(src, other, at, *, unc=1e-4, kind="audio", rate=True, error=0.0, score=30.0):
    """The exact constraint ``t_other = o + r * t_src`` from TRUTH (plus ``error`` seconds)."""
    (os_, rs), (oo, ro) = TRUTH[src], TRUTH[other]
    r = rs / ro if rate else 1.0  # without a rate, exact at ``at`` only
    t_other = (os_ + rs * at - oo) / ro
    return Constraint(
        source=src,
        other=other,
        offset_s=t_other - r * at + error,
        uncertainty_s=unc,
        kind=kind,
        rate=r,
        rate_uncertainty=1e-7 if rate else None,
        at_source_s=at,
        score=score,
    )


def assert_placed(sol, name, tol=1e-6, rate_tol=1e-8):
    o, r = TRUTH[name]
    clock = sol.clocks[name]
    assert clock.offset_s == pytest.approx(o, abs=tol)
    assert clock.rate == pytest.approx(r, abs=rate_tol)


def test_chain_places_source_through_a_third():
    cons = [measured("B", "A", 40.0), measured("C", "B", 30.0)]
    sol = solve(["A", "B", "C"], cons, "A", durations={"A": 100, "B": 100, "C": 100})
    assert_placed(sol, "B")
    assert_placed(sol, "C")
    assert sol.unplaced == {} and sol.dropped == []
    assert [c.other for c in sol.placed_by["C"]] == ["B"]
    assert sol.clocks["C"].method == "audio"
    # C is placed through B: its uncertainty includes both links
    assert sol.clocks["C"].uncertainty_s > sol.clocks["B"].uncertainty_s >= 1e-4 * 0.99


def test_single_link_uncertainty_is_the_constraint_sigma_at_its_point():
    sol = solve(["A", "B"], [measured("B", "A", 40.0, unc=2e-4)], "A", durations={"B": 40.0})
    # rate known to 1e-7: over 40 s that adds 4 us in quadrature at most
    assert sol.clocks["B"].uncertainty_s == pytest.approx(2e-4, rel=0.05)


def test_contradictory_constraint_dropped_and_reported():
    cons = [
        measured("B", "A", 40.0),
        measured("C", "B", 30.0),
        measured("C", "A", 20.0),
        measured("D", "A", 10.0),
        measured("D", "C", 50.0),
        measured("D", "B", 50.0, error=0.25, kind="overlay", unc=0.01),  # 25 sigma wrong
    ]
    sol = solve(list("ABCD"), cons, "A")
    assert len(sol.dropped) == 1
    bad = sol.dropped[0]
    assert bad["constraint"]["kind"] == "overlay"
    assert bad["residual_sigmas"] > OUTLIER_SIGMAS
    assert "contradicts" in bad["reason"]
    for name in "BCD":
        assert_placed(sol, name)
    assert all(c.kind == "audio" for c in sol.used)


def test_wrong_audio_link_in_redundant_graph_is_the_one_dropped():
    cons = [
        measured("B", "A", 40.0),
        measured("C", "B", 30.0),
        measured("C", "A", 20.0, error=0.05),  # wrong by 500 sigma
        measured("D", "A", 10.0),
        measured("D", "C", 50.0),
        measured("D", "B", 50.0),
    ]
    sol = solve(list("ABCD"), cons, "A")
    assert [(d["constraint"]["source"], d["constraint"]["with"]) for d in sol.dropped] == [
        ("C", "A")
    ]
    for name in "BCD":
        assert_placed(sol, name)


def test_disagreement_between_kinds_reported_not_hidden():
    cons = [
        measured("B", "A", 40.0, unc=1e-3),
        measured("B", "A", 40.0, kind="visual", unc=1e-3, error=0.004, rate=False),  # 2.8 sigma
        measured("B", "A", 40.0, kind="overlay", unc=0.002, error=0.012, rate=False),  # 5.4 sigma
    ]
    sol = solve(["A", "B"], cons, "A")
    notes = [d for d in sol.disagreements if set(d["kinds"]) == {"audio", "overlay"}]
    assert notes and notes[0]["sigmas"] > 5
    assert not [d for d in sol.disagreements if set(d["kinds"]) == {"audio", "visual"}]


def test_separate_component_is_unplaced():
    sol = solve(list("ABCE"), [measured("B", "A", 5.0), measured("E", "C", 5.0)], "A")
    assert set(sol.clocks) == {"A", "B"}
    assert set(sol.unplaced) == {"C", "E"}
    assert "reference" in sol.unplaced["C"]


def test_other_kinds_join_the_same_solve():
    """A manual anchor (no rate) places D; the weak rate prior widens its uncertainty with time."""
    anchor = measured("D", "B", 12.0, kind="manual", unc=0.02, rate=False)
    sol = solve(list("ABD"), [measured("B", "A", 40.0), anchor], "A", durations={"D": 100.0})
    assert sol.clocks["D"].offset_s + sol.clocks["D"].rate * 12.0 == pytest.approx(
        -7.5 + 12.0, abs=1e-4
    )
    assert sol.clocks["D"].method == "manual"
    assert sol.clocks["D"].uncertainty_s == pytest.approx(
        np_hypot(0.02, 88.0 * RATE_PRIOR_SIGMA), rel=0.05
    )


def np_hypot(a: float, b: float) -> float:
    return (a * a + b * b) ** 0.5
