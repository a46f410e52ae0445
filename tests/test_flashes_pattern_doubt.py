"""A match whose flash duration could not be fitted states an uncertainty that covers it.

Three flashes seen by a 30-fps and a 29.97-fps camera: the first (63 ms)
lit two frames of B (its onset read from how its light split between them,
``t - L r``) and three of A (onset read without L); the other two lit six and
eight frames (onsets known to a frame). With three pairs the duration L is not
fitted but held at a guess (half a frame), which puts B's onset 24 ms off; the
earlier matcher then claimed the offset to 2.4 ms while it was 22 ms off
(9 sigma: confidently wrong).
"""

from __future__ import annotations

from timesync.align.flashes.detect import VisualEvent
from timesync.align.flashes.pattern import EventSet, match_and_fit

FRAME_A, FRAME_B = 1 / 30, 1001 / 30000
#: t_b = t_a + TRUE_OFFSET_S
TRUE_OFFSET_S = -4.3205


def _events(rows: list[tuple], frame_s: float) -> list[VisualEvent]:
    return [VisualEvent(boundary_s=b, ratio=r, sigma_s=s, frame=round(b / frame_s), frames=n, strength=100.0,
                        cell=(30, 20), frame_s=frame_s, uniform=u, span_s=n * frame_s) for b, r, s, n, u in rows]


def test_unfitted_duration_widens_the_uncertainty():
    a = _events([(55.0731, 0.0, 0.0017, 3, False), (89.0833, 0.0, 0.0096, 6, True),
                 (93.7167, 0.0, 0.0096, 8, True)], FRAME_A)
    b = _events([(50.7837, 0.511, 0.0007, 2, False), (84.768, 0.0, 0.0096, 6, True),
                 (89.406, 0.0, 0.0096, 8, True)], FRAME_B)
    found = match_and_fit(EventSet.of(a), EventSet.of(b), frame_s=FRAME_B)
    assert found is not None
    match, fit = found
    assert match.agreeing == 3 and not fit.flash_fitted
    error = fit.offset_s - TRUE_OFFSET_S
    # honest: the truth within three of its sigmas (it may be off by more than half a frame)
    assert abs(error) <= 3 * fit.uncertainty_s, (error, fit.uncertainty_s)
