"""Ambiguous day/month dates of DVR clocks (``03/11/2024``) settled by what the incident holds (issue 12 item 4).

* two clocks whose dates are both ambiguous but a day apart (one device's clock
  past midnight): only day-first puts them within two days of one another;
* a clock alone whose file carries a ``creation_time`` tag (written by the same
  device clock): the tag is near one order only;
* a tag near neither order (a file exported weeks later) settles nothing.

Clips are drawn by :mod:`overlay_media` and read for real (PyAV, RapidOCR).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from overlay_media import draw_text, write_h264

from timesync.align.overlay import find_constraints
from timesync.align.overlay.read import parse_clock_value
from timesync.media import probe

FPS = 15
SIZE = (480, 270)
SECONDS = 10.0
#: What the first device's clock shows at local 0 (naive local time: 3 November 2024, 21:02:33.37).
T0 = datetime(2024, 11, 3, 21, 2, 33, 370000)
#: The second device's clock is this far ahead: past midnight, on 4 November.
AHEAD = timedelta(hours=3, minutes=10)


def _write(path: Path, start: datetime, creation_time: str | None = None) -> Path:
    """A day-first DVR clip (``DD/MM/YYYY hh:mm:ss PM`` on a box) showing ``start + t``; a creation_time tag."""
    def frames():
        for i in range(round(SECONDS * FPS)):
            x = np.arange(SIZE[0])[None, :] + 0.4 * i
            grey = np.clip(110 + 40 * np.sin(x / 11.0 + np.arange(SIZE[1])[:, None] / 19.0), 0, 255).astype(np.uint8)
            text = (start + timedelta(seconds=i / FPS)).strftime("%d/%m/%Y %I:%M:%S %p")
            yield draw_text(np.stack([grey] * 3, -1), [text], (8, 22), 0.5, box=(2, 4, 300, 30))

    tags = {} if creation_time is None else {"creation_time": creation_time}
    return write_h264(path, frames(), FPS, SIZE, metadata=tags)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlay_dates")
    return {
        "evening": _write(folder / "evening.mp4", T0),
        "past_midnight": _write(folder / "past_midnight.mp4", T0 + AHEAD),
        "tagged": _write(folder / "tagged.mp4", T0, creation_time="2024-11-03T21:02:31.000000Z"),
        "exported": _write(folder / "exported.mp4", T0, creation_time="2024-12-19T10:00:00.000000Z"),
    }


def _sources(*paths: Path, info: bool = False):
    return [SimpleNamespace(name=p.name, path=p, info=probe(p) if info else None) for p in paths]


def _error_s(text: str, truth: datetime) -> float:
    return parse_clock_value(text)[0] - truth.replace(tzinfo=UTC).timestamp()


def test_two_ambiguous_clocks_a_day_apart_settle_each_other(clips):
    """03/11 and 04/11: 3 and 4 November are a day apart, 11 March and 11 April a month: day-first."""
    report = find_constraints(_sources(clips["evening"], clips["past_midnight"]))
    for name, truth in (("evening.mp4", T0), ("past_midnight.mp4", T0 + AHEAD)):
        found = report.findings[name]["overlay_clock"]
        assert found["layout"].startswith("DD/MM/YYYY"), found
        assert abs(_error_s(found["at_local_zero"], truth)) < 0.1
        assert "settled as DD/MM/YYYY by the other ambiguous clocks" in report.notes[name]


def test_the_files_creation_time_tag_settles_the_order(clips):
    """A tag of 3 November (the device's own clock) is near 03/11 read day-first only."""
    report = find_constraints(_sources(clips["tagged"], info=True))
    found = report.findings["tagged.mp4"]["overlay_clock"]
    assert found["layout"].startswith("DD/MM/YYYY") and abs(_error_s(found["at_local_zero"], T0)) < 0.1
    assert "settled as DD/MM/YYYY by the file's creation_time tag" in report.notes["tagged.mp4"]


def test_a_tag_near_neither_order_settles_nothing(clips):
    """A tag of 19 December (an export, weeks later) is near neither date: the order stays ambiguous."""
    report = find_constraints(_sources(clips["exported"], info=True))
    found = report.findings["exported.mp4"]["overlay_clock"]
    assert "at_local_zero" not in found and found["date_order"] == "ambiguous"
    assert "nothing settles it" in report.notes["exported.mp4"]


def test_two_clocks_showing_the_same_ambiguous_date_settle_nothing(clips):
    """Two devices both showing 03/11/2024: either order puts them together, so neither is chosen."""
    same = [SimpleNamespace(name=f"cam{k}.mp4", path=clips["evening"], info=None) for k in (1, 2)]
    report = find_constraints(same)
    for name in ("cam1.mp4", "cam2.mp4"):
        found = report.findings[name]["overlay_clock"]
        assert "at_local_zero" not in found and found["date_order"] == "ambiguous"
    assert len(report.constraints) == 1 and abs(report.constraints[0].offset_s) < 0.1  # by the time of day
