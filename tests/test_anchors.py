"""Manual anchors: constraints, time parsing, and the anchor command on a saved project."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from tests.media_factory import make_video
from timesync.align.anchors import (
    DEFAULT_ANCHOR_SIGMA_S,
    Anchor,
    anchor_constraints,
    parse_anchor_time,
)
from timesync.cli import main


def test_one_anchor_gives_an_offset():
    (c,) = anchor_constraints([Anchor("a.mp4", 10.0, "b.mp4", 12.5)])
    assert (c.source, c.other, c.kind) == ("a.mp4", "b.mp4", "manual")
    assert c.offset_s == pytest.approx(2.5) and c.rate == 1.0 and c.rate_uncertainty is None
    assert c.uncertainty_s == pytest.approx(DEFAULT_ANCHOR_SIGMA_S)
    assert c.at_source_s == 10.0


def test_two_anchors_give_offset_and_rate_in_either_direction():
    rate, offset = 1.0001, -3.0
    anchors = [Anchor("a", 100.0, "b", offset + rate * 100.0, 0.01),
               Anchor("b", offset + rate * 900.0, "a", 900.0, 0.01)]  # given the other way round
    (c,) = anchor_constraints(anchors)
    assert c.offset_s == pytest.approx(offset, abs=1e-9)
    assert c.rate == pytest.approx(rate, abs=1e-12)
    assert c.rate_uncertainty == pytest.approx(0.01 * 2**0.5 / 800, rel=1e-6)
    assert c.uncertainty_s == pytest.approx(0.01 / 2**0.5)
    assert c.at_source_s == pytest.approx(500.0)


def test_disagreeing_anchors_inflate_the_uncertainty():
    anchors = [Anchor("a", t, "b", t + 1.0 + e, 0.001) for t, e in ((0, 0.0), (50, 0.2), (100, 0.0))]
    (c,) = anchor_constraints(anchors)
    assert c.evidence["max_residual_s"] > 0.05
    assert c.uncertainty_s > 0.05


@pytest.mark.parametrize(("text", "seconds"), [("12.5", 12.5), ("1:02.25", 62.25), ("0:01:02.250", 62.25)])
def test_parse_anchor_time(text, seconds):
    assert parse_anchor_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "a", "1:75", "1::2"])
def test_parse_anchor_time_rejects(text):
    with pytest.raises(ValueError, match="not a time"):
        parse_anchor_time(text)


def test_anchor_validates():
    with pytest.raises(ValueError, match="two different sources"):
        Anchor("a", 1.0, "a", 2.0)


def test_anchor_command(tmp_path, capsys):
    from timesync.clock import ClockMap
    from timesync.project import Project
    from timesync.project.source import Source

    a = make_video(tmp_path / "a.mp4", n_frames=100, fps=Fraction(25), size=(64, 48))
    b = make_video(tmp_path / "b.mp4", n_frames=100, fps=Fraction(25), size=(64, 48))
    c = make_video(tmp_path / "c.mp4", n_frames=100, fps=Fraction(25), size=(64, 48))
    weak = {"kind": "metadata", "with": "c.mp4", "offset_s": 3.0, "uncertainty_s": 2.0, "rate": 1.0,
            "rate_uncertainty": None, "at_source_s": 0.0, "score": 1.0}
    project = Project(
        sources=[Source(name="a.mp4", path=a.name, sha256=None, clock=ClockMap(0.0, 1.0, 0.0, "reference")),
                 Source(name="b.mp4", path=b.name, sha256=None, reason="nothing matched"),
                 Source(name="c.mp4", path=c.name, sha256=None, constraints=(weak,))],
        reference="a.mp4", path=tmp_path / "incident.json")
    project.save()
    code = main(["anchor", str(tmp_path / "incident.json"), "a.mp4@1.0", "b.mp4@0:00:03.500",
                 "--uncertainty", "0.02"])
    out = capsys.readouterr()
    assert code == 1  # c.mp4 is tied only to itself: not placed
    assert "c.mp4 is not on the shared clock" in out.err
    saved = json.loads((tmp_path / "incident.json").read_text())
    assert saved["anchors"] == [{"source": "a.mp4", "source_s": 1.0, "other": "b.mp4", "other_s": 3.5,
                                 "uncertainty_s": 0.02}]
    b_entry = next(s for s in saved["sources"] if s["path"] == "b.mp4")
    assert b_entry["offset_s"] == pytest.approx(-2.5)  # shared (a's local) = b's local - 2.5
    assert b_entry["uncertainty_s"] == pytest.approx(0.02, rel=1e-3)
    assert main(["anchor", str(tmp_path / "incident.json"), "x.mp4@1", "b.mp4@2"]) == 3


def test_anchors_too_close_for_a_rate_give_an_offset_not_an_error():
    """Two anchors 10 ms apart in a, picked a frame apart the other way in b: no rate can be
    measured (it came out negative, and the fit raised); an offset is what they tell."""
    from timesync.align.anchors import anchor_constraints as constraints

    (c,) = constraints([Anchor("a", 10.0, "b", 12.52), Anchor("a", 10.01, "b", 12.50)])
    assert c.rate == 1.0 and c.rate_uncertainty is None
    assert c.offset_s == pytest.approx(2.505)


def test_pair_conflicts_name_the_later_anchor_with_figures():
    from timesync.align.anchors import pair_conflicts

    anchors = [Anchor("a", 10.0, "b", 12.5), Anchor("c", 1.0, "a", 3.0),
               Anchor("b", 30.0, "a", 20.0),       # 10 s later in a, 17.5 s later in b: 7.5 s off
               Anchor("a", 50.0, "b", 52.5 + 0.02)]  # 20 ms: within a frame each
    (conflict,) = pair_conflicts(anchors)
    assert conflict.index == 2
    assert conflict.difference_ms == pytest.approx(7500.0)
    assert "anchor 3 (b @ 30.000 s = a @ 20.000 s) contradicts anchor 1" in conflict.sentence
    assert pair_conflicts(anchors, [0, 1, 3]) == []


def test_an_anchor_rate_no_clock_has_is_a_conflict():
    from timesync.align.anchors import MAX_ANCHOR_DRIFT, pair_conflicts

    drift = 3 * MAX_ANCHOR_DRIFT  # 3 s over 1000 s, far beyond two frames
    assert [c.index for c in pair_conflicts([Anchor("a", 0.0, "b", 5.0, 0.001),
                                             Anchor("a", 1000.0, "b", 1005.0 + 1000 * drift, 0.001)])] == [1]
    assert pair_conflicts([Anchor("a", 0.0, "b", 5.0, 0.001), Anchor("a", 1000.0, "b", 1005.05, 0.001)]) == []


@pytest.mark.parametrize(("seconds", "duration", "ok"), [(0.0, 4.0, True), (4.0, 4.0, True), (-0.001, 4.0, False),
                                                         (4.001, 4.0, False), (7.0, None, True), (-1.0, None, False)])
def test_check_anchor_time(seconds, duration, ok):
    from timesync.align.anchors import check_anchor_time

    if ok:
        check_anchor_time("cam.mp4", seconds, duration)
    else:
        with pytest.raises(ValueError, match=r"^cam\.mp4: an anchor at "):
            check_anchor_time("cam.mp4", seconds, duration)


def test_anchor_residual_against_clocks():
    from timesync.align.anchors import anchor_residual
    from timesync.clock import ClockMap

    clocks = {"a": ClockMap(0.0, 1.0, 0.0), "b": ClockMap(-2.5, 1.0, 0.004)}
    residual, sigma = anchor_residual(Anchor("a", 1.0, "b", 3.9, 0.003), clocks)
    assert residual == pytest.approx(0.4) and sigma == pytest.approx(0.005)
    assert anchor_residual(Anchor("a", 1.0, "x", 3.9), clocks) is None
