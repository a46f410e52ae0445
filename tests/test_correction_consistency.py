"""Shot constraints that disagree with the other shots are left out of a clock correction (issue 13).

A row of the shot table that was not fired from the shooter's position (speech
heard by several cameras, a row that joined the wrong arrivals) ties two
cameras by its own path differences. The geometry bench's speech transients at
48 kHz gave constraints about 60 ms off the true shots' and moved two corrected
clocks by 59 and 63 ms; such constraints must be left out, with the reason.
"""

from __future__ import annotations

import math

from timesync.align.constraints import Constraint
from timesync.detect.correction import CONSISTENT_SIGMAS, consistent_constraints
from timesync.detect.tracks import ONSET_SIGMA_S

SIGMA = math.sqrt(2.0) * ONSET_SIGMA_S


def _shot(source: str, other: str, offset_s: float, shot: str) -> Constraint:
    return Constraint(source=source, other=other, offset_s=offset_s, uncertainty_s=SIGMA, kind="audio",
                      at_source_s=1.0, score=1.0, evidence={"shot": shot, "corrected_for": "sound travel"})


def test_rows_from_elsewhere_are_left_out_and_the_shots_kept():
    true = [_shot("cam2", "cam1", 0.730 + d, f"shot-{k}") for k, d in enumerate((0.0, 1e-4, -2e-4, 3e-5, 0.0))]
    talk = [_shot("cam2", "cam1", 0.789, "shot-talk-1"), _shot("cam2", "cam1", 0.7894, "shot-talk-2")]
    reversed_pair = [_shot("cam1", "cam2", -0.730, "shot-r")]  # the same pair written the other way round
    kept, left_out = consistent_constraints(true + talk + reversed_pair)
    assert {k.evidence["shot"] for k in left_out} == {"shot-talk-1", "shot-talk-2"}
    assert len(kept) == 6 and all(abs(k.offset_s) - 0.730 < CONSISTENT_SIGMAS * SIGMA for k in kept)


def test_a_pair_with_fewer_than_three_constraints_is_kept_whole():
    few = [_shot("cam3", "cam1", -0.590, "shot-1"), _shot("cam3", "cam1", -0.650, "shot-2")]
    kept, left_out = consistent_constraints(few)
    assert kept == few and left_out == []
