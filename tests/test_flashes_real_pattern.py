"""Matching flash patterns: a light reported at several places of the picture counts once.

Seed 27 of the stress corpus (bench/corpus.py) was placed 4.9 s off with a
sigma of 8 ms: one flash of each camera, seen at six and seven places of the
picture, made six "agreeing" pairs, each counted as an independent
coincidence.
"""

from __future__ import annotations

import numpy as np

from timesync.align.flashes.detect import VisualEvent
from timesync.align.flashes.pattern import EventSet, match_and_fit

FRAME_A, FRAME_B = 1 / 24, 1 / 30


def _event(onset_s: float, frame_s: float, cell: tuple[int, int], frames: int = 2) -> VisualEvent:
    """A flash over ``frames`` frames (ratio 0: onset at ``boundary_s``) known to 2 ms."""
    n = int(onset_s // frame_s)
    return VisualEvent(boundary_s=onset_s, ratio=0.0, sigma_s=0.002, frame=n, frames=frames, strength=80.0,
                       cell=cell, frame_s=frame_s)


def _camera(times: list[float], copies: dict[float, int], frame_s: float) -> list[VisualEvent]:
    events = []
    for t in times:
        for k in range(copies.get(t, 1)):
            events.append(_event(t + 0.0002 * k, frame_s, (10 + 7 * k, 20)))
    return sorted(events, key=lambda e: e.boundary_s)


def test_one_flash_seen_at_many_places_is_one_coincidence():
    # one flash of A (at 8.45 s, at 7 places) and one of B (4.685 s, at 6 places) at unrelated moments
    a = _camera([3.54, 5.61, 8.45, 27.57, 29.43], {8.45: 7}, FRAME_A)
    b = _camera([0.26, 0.63, 0.93, 2.83, 4.685, 9.19, 11.77, 18.5], {4.685: 6}, FRAME_B)
    assert match_and_fit(EventSet.of(a), EventSet.of(b), frame_s=FRAME_A) is None


def test_duplicates_do_not_hide_a_true_pattern():
    rng = np.random.default_rng(5)
    times = sorted(float(t) for t in rng.uniform(1, 30, 6))
    a = _camera(times, {times[2]: 5}, FRAME_A)
    b = _camera([t - 1.25 for t in times], {times[2] - 1.25: 4}, FRAME_B)
    found = match_and_fit(EventSet.of(a), EventSet.of(b), frame_s=FRAME_A)
    assert found is not None
    match, fit = found
    assert abs(fit.offset_s + 1.25) < 0.005
    assert match.agreeing == 6  # six distinct moments, not 6 + 4 + 3 duplicates
    assert all(0 <= i < len(a) and 0 <= j < len(b) for i, j in match.pairs)


def _events(rows: list[tuple], frame_s: float) -> list[VisualEvent]:
    return [VisualEvent(boundary_s=b, ratio=r, sigma_s=s, frame=f, frames=n, strength=100.0, cell=(30, 20),
                        frame_s=frame_s, uniform=u, span_s=span) for b, r, s, f, n, u, span in rows]


def test_flashes_of_different_durations_match():
    """Seed 26 of the corpus: five flashes of 33 ms to 0.47 s seen by two 30-fps cameras.

    The last one lit two frames of A (its onset read from how its light split
    between them, which needs its duration) and three of B. One duration for
    all flashes put its onsets 20 ms apart, and the five true pairs were
    refused; each flash's own duration (within what its frames allow) makes
    that pair agree, with a wider uncertainty.
    """
    frame = 1 / 30
    a = _events([(12.98333, 0.0, 0.00962, 389, 8, True, 0.26667), (23.15, 0.0, 0.00962, 694, 15, True, 0.5),
                 (24.64567, 0.0, 0.00167, 739, 3, False, 0.1), (37.89071, 0.0, 0.00167, 1136, 4, False, 0.13333),
                 (52.36667, 0.5073, 0.00067, 1570, 2, False, 0.06667)], frame)
    b = _events([(3.85, 0.0, 0.00962, 115, 9, True, 0.3), (14.05, 0.0, 0.00962, 421, 15, True, 0.5),
                 (15.54451, 0.0, 0.00167, 466, 3, False, 0.1), (28.79208, 0.0, 0.00167, 863, 4, False, 0.13333),
                 (43.23777, 0.0, 0.00167, 1297, 3, False, 0.1)], frame)
    found = match_and_fit(EventSet.of(a), EventSet.of(b), frame_s=frame)
    assert found is not None
    match, fit = found
    assert match.agreeing == 5
    assert abs(fit.offset_s - (-9.0945)) <= frame / 2  # the truth at the events' centre (B's clock runs 196 ppm slow)
