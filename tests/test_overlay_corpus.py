"""Burned-in clocks the stress corpus showed unread (issue 12 item 4), on clips drawn here.

* small (digits about 9 px), semi-transparent white text with no box, at the
  bottom of a busy moving scene whose first seconds hold whole-frame flashes (the
  clock region search must leave the flashes out and try other windows);
* a day-first DVR date whose order no reading settles (``03/11/2024``): settled by
  another clock of the incident, or not reported at all;
* OCR text that dropped a colon or read the ``Z`` after the tenths as a digit;
* readings whose runs interleave (a misread stretch between two good ones).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from overlay_media import draw_text, write_h264

from timesync.align.overlay import find_constraints
from timesync.align.overlay.fit import fit_ticks
from timesync.align.overlay.parse import parse_clock_text
from timesync.align.overlay.read import parse_clock_value, read_overlay_clock
from timesync.clock import BurnedInClock

FPS = 15
SIZE = (480, 270)
SECONDS = 12.0
T0 = datetime(2024, 11, 3, 21, 2, 33, 370000, tzinfo=UTC)
#: Whole-frame flashes (local start s, frames) in the first seconds of the faint clip.
FLASHES = ((0.6, 2), (1.4, 1), (2.2, 3), (3.1, 1), (3.9, 2))


def _scene(i: int) -> np.ndarray:
    """A bright striped picture drifting a little every frame."""
    h, w = SIZE[1], SIZE[0]
    x = np.arange(w)[None, :] + 0.3 * i
    y = np.arange(h)[:, None]
    grey = 120 + 50 * np.sin(x / 13.0 + y / 17.0)
    return np.clip(grey, 0, 255).astype(np.uint8)


def _write(path: Path, lines, *, faint: bool, flashes=()) -> Path:
    """A clip whose clock text is ``lines(value)`` for the value ``T0 + t`` (naive, shown as is)."""
    flash_frames = {round(at * FPS) + k for at, n in flashes for k in range(n)}

    def frames():
        for i in range(round(SECONDS * FPS)):
            grey = _scene(i)
            if i in flash_frames:
                grey = (grey.astype(np.float32) * 0.2 + 0.8 * 255).astype(np.uint8)
            text = [lines((T0 + timedelta(seconds=i / FPS)).replace(tzinfo=None))]
            if faint:
                yield draw_text(np.stack([grey] * 3, -1), text, (6, SIZE[1] - 8), 0.33, alpha=0.6)
            else:
                yield draw_text(np.stack([grey] * 3, -1), text, (8, 22), 0.5, box=(2, 4, 300, 30))

    return write_h264(path, frames(), FPS, SIZE)


def _error_s(text: str, truth: datetime) -> float:
    seconds, _zoned = parse_clock_value(text)
    return seconds - truth.replace(tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlay_corpus")
    return {
        "faint": _write(folder / "faint.mp4", lambda v: v.strftime("%Y/%m/%d %H:%M:%S"), faint=True,
                        flashes=FLASHES),
        "dayfirst": _write(folder / "dayfirst.mp4", lambda v: v.strftime("%d/%m/%Y %I:%M:%S %p"), faint=False),
        "iso": _write(folder / "iso.mp4", lambda v: v.strftime("%Y-%m-%d %H:%M:%S"), faint=False),
    }


def test_small_faint_clock_without_box_behind_flashes(clips):
    """Faint 9-px text at the bottom of a moving scene, flashes in the first window: found and read."""
    clock = read_overlay_clock(clips["faint"])
    assert clock.ok, clock.note
    assert clock.region.text[1] > SIZE[1] // 2  # the clock at the bottom, not scenery
    assert abs(_error_s(clock.at_local_zero(), T0)) < 0.1


def _sources(*paths: Path):
    return [SimpleNamespace(name=p.name, path=p, info=None) for p in paths]


def test_ambiguous_day_first_date_settled_by_another_clock(clips):
    """03/11/2024 could be 11 March or 3 November: the ISO clock of the same incident says November."""
    report = find_constraints(_sources(clips["iso"], clips["dayfirst"]))
    found = report.findings["dayfirst.mp4"]["overlay_clock"]
    assert found["layout"].startswith("DD/MM/YYYY")
    assert abs(_error_s(found["at_local_zero"], T0)) < 0.1
    assert "settled as DD/MM/YYYY" in report.notes["dayfirst.mp4"]
    assert len(report.constraints) == 1 and abs(report.constraints[0].offset_s) < 0.1


def test_ambiguous_date_alone_is_not_reported(clips):
    """With no other clock, the date order stays unknown: no dated clock value is reported, the note
    says why; the time of day (the same on either date) is stated with both candidate dates."""
    report = find_constraints(_sources(clips["dayfirst"]))
    found = report.findings["dayfirst.mp4"]["overlay_clock"]
    assert "at_local_zero" not in found and BurnedInClock.from_dict(found) is None
    assert found["date_order"] == "ambiguous" and sorted(found["date_candidates"]) == ["2024-03-11", "2024-11-03"]
    told = datetime.combine(T0.date(), time.fromisoformat(found["time_of_day_at_local_zero"]))
    assert abs((told - T0.replace(tzinfo=None)).total_seconds()) < 0.1
    assert "ambiguous" in report.notes["dayfirst.mp4"] and "not reported" in report.notes["dayfirst.mp4"]


@pytest.mark.parametrize(("text", "value", "layout"), [
    ("2024/10/2718:0450", datetime(2024, 10, 27, 18, 4, 50), "YYYY/MM/DD HH:MM:SS"),  # glued, a colon dropped
    ("1054:24.8Z", datetime(1970, 1, 1, 10, 54, 24, 800000, tzinfo=UTC), "HH:MM:SS.f Z"),
    ("10:54:24.82", datetime(1970, 1, 1, 10, 54, 24, 800000, tzinfo=UTC), "HH:MM:SS.f Z"),  # Z read as 2
])
def test_ocr_text_that_dropped_a_colon_or_misread_the_zone(text, value, layout):
    reading = parse_clock_text(text)
    assert reading is not None and reading.value == value and reading.layout == layout


def test_interleaved_runs_of_readings_do_not_crash_the_fit():
    """Good readings, a misread stretch, good readings again: the fit keeps the good ones."""
    tau = np.arange(20) + 0.5
    lo, hi = tau - 0.03, tau + 0.03
    good = {k: 1000.0 + k for k in (0, 1, 10, 11, 12)}
    bad = {k: 1030.0 + k for k in (5, 6)}
    fit = fit_ticks(lo, hi, good | bad)
    assert fit is not None and abs(fit.at_zero - 999.5) < 0.05
