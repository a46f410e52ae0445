"""Frames the decoder did not give repeat the last one it gave: one helper for every cell grid."""

from __future__ import annotations

import numpy as np
import pytest

from timesync.align.overlay.scan import repeat_last_seen


def _held(cells: np.ndarray, seen: np.ndarray, fill_head: bool) -> np.ndarray:
    """The rule spelled out frame by frame."""
    out = cells.copy()
    first = int(np.argmax(seen)) if seen.any() else None
    for n in range(len(out)):
        if seen[n]:
            continue
        before = np.nonzero(seen[:n])[0]
        if len(before):
            out[n] = cells[before[-1]]
        elif fill_head and first is not None:
            out[n] = cells[first]
        else:
            out[n] = cells[0]
    return out


@pytest.mark.parametrize("fill_head", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_each_unseen_frame_repeats_the_last_seen(seed, fill_head):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    cells = rng.integers(0, 256, (n, 3, 4), dtype=np.uint8)
    seen = rng.uniform(size=n) < rng.uniform(0.2, 0.9)
    expected = _held(cells, seen, fill_head)
    repeat_last_seen(cells, seen, fill_head=fill_head)
    np.testing.assert_array_equal(cells, expected)


def test_nothing_seen_with_fill_head_changes_nothing():
    cells = np.arange(24, dtype=np.uint8).reshape(6, 2, 2)
    before = cells.copy()
    repeat_last_seen(cells, np.zeros(6, bool), fill_head=True)
    np.testing.assert_array_equal(cells, before)


def test_a_head_not_seen_keeps_frame_zero_or_takes_the_first_seen():
    cells = np.array([[7], [8], [9], [10]], np.uint8)
    seen = np.array([False, False, True, False])
    kept = cells.copy()
    repeat_last_seen(kept, seen)
    assert kept.ravel().tolist() == [7, 7, 9, 9]
    filled = cells.copy()
    repeat_last_seen(filled, seen, fill_head=True)
    assert filled.ravel().tolist() == [9, 9, 9, 9]
