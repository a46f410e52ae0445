"""Flash onsets and chance matches found on the stress corpus's tuning cases and simulated lists.

- One local flash seen at five places of a 15-fps picture (corpus tuning seed 122,
  its third camera): the four strong places start at the frame the light starts in,
  a weak place (the scene brightening there) a frame earlier. The earlier detector
  kept the earliest place, which put the flash 0.55 frame early and left the camera
  unplaced (its true offset and one 41 ms away tied).
- A run of four frames whose middle frames are not lit alike is not one steady
  light: its onset is known to its first frame only, not to 3 % of it.
- Two unrelated lists of five flashes (simulated as bench/bench_visual.py does) in
  which three pairs agree by chance: it beat the runner-up by the margin asked and was
  taken; counting every pairing tried, about one offset in ten would do as well.
"""

from __future__ import annotations

import math

import numpy as np

from timesync.align.flashes import detect, visual
from timesync.align.flashes.chance import chance_anywhere
from timesync.align.flashes.detect import VisualEvent
from timesync.align.flashes.merge import one_per_brightening

FRAME_15 = 1 / 15


def _place(frame: int, frames: int, strength: float, cell: tuple[int, int], onset_s: float) -> VisualEvent:
    return VisualEvent(boundary_s=onset_s, ratio=0.0, sigma_s=0.05 * FRAME_15, frame=frame, frames=frames,
                       strength=strength, cell=cell, frame_s=FRAME_15, span_s=frames * FRAME_15)


def test_a_weak_place_a_frame_early_does_not_set_the_onset():
    """Seed 122's flash at local 23.495 s: the places as the detector reported them."""
    weak = _place(351, 4, 48.0, (27, 40), 23.4581)
    strong = [_place(352, 3, s, c, t) for s, c, t in
              ((136.0, (43, 24), 23.4952), (98.0, (43, 14), 23.4955), (112.0, (48, 33), 23.4948),
               (126.0, (39, 33), 23.4970))]
    kept = one_per_brightening([weak, *strong])
    assert len(kept) == 1
    assert kept[0].frame == 352 and kept[0].strength == 136.0
    assert abs(kept[0].onset_s(0.0) - 23.495) < 0.1 * FRAME_15
    # the strongest place seeing a faint first frame the weaker places miss: that frame is the onset
    first = _place(99, 4, 140.0, (10, 10), 6.61)
    later = [_place(100, 3, 90.0, (20, 12), 6.66), _place(100, 3, 80.0, (30, 12), 6.66)]
    assert one_per_brightening([*later, first])[0].frame == 99


def test_unlike_middle_frames_are_no_steady_light():
    """A frame lit before the light by something else, then a 3-frame flash: onset known to a frame."""
    common = dict(frame=351, frames=4, strength=48.0, cell=(40, 27), frame_s=FRAME_15, span_s=4 * FRAME_15)
    event = detect._flash_event(np.array([10.6, 63.9, 100.0, 48.8]), 2.0, 23.4667, False, common)
    assert event.uniform and event.sigma_s > 0.2 * FRAME_15
    steady = detect._flash_event(np.array([40.0, 100.0, 97.0, 55.0]), 2.0, 23.4667, False, common)
    assert not steady.uniform and steady.sigma_s < 0.1 * FRAME_15


def _two_frames(boundary: float, ratio: float, frame: int) -> VisualEvent:
    return VisualEvent(boundary_s=boundary, ratio=ratio, sigma_s=0.0007, frame=frame, frames=2, strength=100.0,
                       cell=(0, 0), frame_s=0.04)


def _one_frame(boundary: float, frame: int) -> VisualEvent:
    return VisualEvent(boundary_s=boundary, ratio=0.5, sigma_s=0.04 / math.sqrt(12), frame=frame, frames=1,
                       strength=100.0, cell=(0, 0), frame_s=0.04, uniform=True)


#: bench/bench_visual.py's simulated lists (4 flashes and 1 extra a video, 25 fps both), the B list
#: at unrelated times: trial 155 of seed 5.
UNRELATED_A = [_two_frames(1.2000339, 0.9711108, 29), _one_frame(1.3, 32), _two_frames(3.4803011, 0.7144743, 86),
               _two_frames(3.6794580, 0.2414314, 91), _one_frame(8.5, 212)]
UNRELATED_B = [_two_frames(1.1609934, 0.6339478, 28), _two_frames(2.6799117, 0.8479389, 66),
               _two_frames(4.1208659, 0.3920133, 102), _one_frame(4.26, 106), _two_frames(6.3999359, 0.4708438, 159)]


def test_three_chance_pairs_among_five_flashes_are_no_match():
    constraint, why = visual.visual_constraint("a", UNRELATED_A, "b", UNRELATED_B)
    assert constraint is None, constraint.evidence
    assert "do not match clearly" in why


def test_the_same_flashes_seen_by_both_still_match():
    """B's flashes are A's 2.93 s later (the same lists' structure): placed, with its chance stated."""
    shifted = [VisualEvent(**{**e.__dict__, "boundary_s": e.boundary_s + 2.93}) for e in UNRELATED_A]
    constraint, why = visual.visual_constraint("a", UNRELATED_A, "b", shifted)
    assert constraint is not None, why
    assert abs(constraint.offset_s - 2.93) < 0.002
    assert constraint.evidence["chance_anywhere_log10"] < -1.0


def test_chance_anywhere_counts_every_pairing_tried():
    """Three pairs each 1 in 10 by chance, among 5 x 5 events: the anchoring pair is free, any two of
    the other four may agree (6 ways), each offset found from each of its 3 pairs: 25 * 6 / 100 / 3 =
    0.5 offsets expected as good."""
    assert abs(chance_anywhere(5, 5, [-1.0, -1.0, -1.0]) - math.log10(0.5)) < 1e-9
    assert chance_anywhere(5, 5, []) == 0.0
