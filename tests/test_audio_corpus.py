"""Regressions found by the stress corpus (bench/corpus_audio.py, issue 12) on audio cases.

Each test builds its own material (synthetic ticks or signals made here): the
corpus itself is not needed.
"""

from __future__ import annotations

import numpy as np

from timesync.align.overlay.fit import fit_ticks


def test_interleaved_clock_runs_do_not_crash_the_fit():
    """Seed 57 (body cam): two runs of consistent overlay readings interleave (two
    misreads by the same 5 s inside the main run), the later run ending before the
    main one. The jump search asked for a read tick after the main run's last one and
    raised StopIteration out of sync(); now the fit keeps the main run."""
    tau = np.arange(10) * 1.0 + 0.25
    lo, hi = tau - 0.02, tau + 0.02
    values = {k: 1_600_000_000.0 + k for k in (0, 1, 2, 5, 6, 7, 8, 9)}
    values |= {3: 1_600_000_008.0, 4: 1_600_000_009.0}  # 5 s off, twice in a row
    fit = fit_ticks(lo, hi, values)
    assert fit is not None
    assert abs(fit.at_zero - (1_600_000_000.0 - 0.25)) < 0.05
    assert abs(fit.rate - 1.0) < 0.01
