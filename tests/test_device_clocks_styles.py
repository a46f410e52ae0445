"""Burned-in clock styles an evidence room sees (issue 12 item 4), read from rendered frames.

Each clip is drawn here (OpenCV text on a slowly moving scene, PyAV H.264), in
small (digits about 12-15 px high), semi-transparent white text with no box:

* an airborne overlay: three lines, the time ``HH:MM:SS.t`` with ``Z`` and no
  date between a latitude/longitude line that changes every frame and an
  altitude/heading line;
* a DVR: 12-hour ``MM/DD/YYYY hh:mm:ss PM`` with a channel name, whose clock jumps;
* a day-first DVR date (``DD/MM/YYYY``);
* a body cam: ISO-like date and time, a zone offset and a device id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from overlay_media import draw_text, write_h264

from timesync.align.overlay import overlay_constraint
from timesync.align.overlay.findings import clock_error
from timesync.align.overlay.parse import has_date
from timesync.align.overlay.read import parse_clock_value, read_overlay_clock
from timesync.clock import ClockMap

FPS = 15
SIZE = (640, 360)
SECONDS = 8.0
#: The true UTC time at every clip's local 0.
T0 = datetime(2024, 11, 3, 21, 2, 33, 370000, tzinfo=UTC)
EAST = timezone(timedelta(hours=-5))


def _lines(style: str, value: datetime, frame: int) -> list[str]:
    if style == "airborne":
        return [f"N 34 03.{(frame * 3) % 1000:03d}  W 118 14.521",
                value.strftime("%H:%M:%S.") + str(value.microsecond // 100000) + "Z", "ALT 01520 FT  HDG 271"]
    if style == "dvr":
        return [value.strftime("%m/%d/%Y %I:%M:%S %p") + "  CH02"]
    if style == "dayfirst":
        return [value.strftime("%d/%m/%Y %H:%M:%S")]
    return [value.astimezone(EAST).strftime("%Y-%m-%d %H:%M:%S") + " -0500  AXON X81234567"]


def _write(path: Path, style: str, jump: tuple[float, float] | None = None, start: datetime = T0) -> Path:
    """A clip whose clock shows ``T0 + t`` (UTC; the body cam in -05:00) plus ``jump`` after its time."""

    def frames():
        for i in range(round(SECONDS * FPS)):
            t = i / FPS
            x = np.linspace(0, 6, SIZE[0])[None, :] + 0.03 * i
            grey = (60 + 40 * np.sin(x + np.linspace(0, 4, SIZE[1])[:, None])).astype(np.uint8)
            value = start + timedelta(seconds=t + (jump[1] if jump and t >= jump[0] else 0.0))
            if style != "bodycam" and style != "airborne":
                value = value.replace(tzinfo=None)
            # semi-transparent, no box
            yield draw_text(np.stack([grey, grey, grey], -1), _lines(style, value, i), (16, 24), 0.5, alpha=0.6)

    return write_h264(path, frames(), FPS, SIZE)


@pytest.fixture(scope="module")
def clocks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clock_styles")
    jumps = {"dvr": (3.0, 30.0)}
    return {style: read_overlay_clock(_write(folder / f"{style}.mp4", style, jumps.get(style)))
            for style in ("airborne", "dvr", "dayfirst", "bodycam")}


def _error_s(clock, truth: datetime) -> float:
    seconds, _zoned = parse_clock_value(clock.at_local_zero())
    return seconds - truth.timestamp()


def test_airborne_time_line_with_tenths_and_no_date(clocks):
    clock = clocks["airborne"]
    assert clock.ok and clock.layout == "HH:MM:SS.f Z" and not has_date(clock.layout)
    assert clock.region.text[1] > 20  # the time line, not the latitude line above it that changes every frame
    day = T0.replace(year=1970, month=1, day=1)  # the date is left relative
    assert abs(_error_s(clock, day)) < 0.05


def test_dvr_twelve_hour_clock_that_jumps(clocks):
    clock = clocks["dvr"]
    assert clock.ok and clock.layout == "MM/DD/YYYY hh:mm:ss AM"
    assert [round(j.jump_s) for j in clock.fit.jumps] == [30]
    assert "jumps by +30.0 s" in clock.note
    # the longest steady stretch (the 5 s after the jump) is the one kept
    assert abs(_error_s(clock, T0.replace(tzinfo=None) + timedelta(seconds=30))) < 0.05


def test_ambiguous_day_first_date_is_reported(clocks):
    clock = clocks["dayfirst"]  # 03/11/2024 (3 November): no reading settles the order: reported
    assert clock.ok and "day/month order of the overlay date is ambiguous; read as MM/DD/YYYY" in clock.note
    assert abs(_error_s(clock, T0.replace(tzinfo=None, month=3, day=11))) < 0.05  # read month first


def test_body_cam_zone_offset_and_device_id(clocks):
    clock = clocks["bodycam"]
    assert clock.ok and clock.layout == "YYYY-MM-DD HH:MM:SS -0500" and clock.zone == EAST
    assert abs(_error_s(clock, T0)) < 0.05


def test_undated_clock_compared_with_a_dated_one(clocks):
    """The airborne clock (no date) and the body cam (-05:00) tell the same instant: offset ~0, error ~0."""
    air, cam = clocks["airborne"], clocks["bodycam"]
    constraint = overlay_constraint(cam, air)
    assert constraint is not None and abs(constraint.offset_s) < 0.1
    assert "nearest" in constraint.evidence["date"]
    found = clock_error(air.name, ClockMap(0.0, 1.0, 0.001, "audio"), air.finding(),
                        cam.name, ClockMap(0.0, 1.0, 0.0, "reference"), cam.finding())
    assert abs(found.error_s) < 0.1 and "agrees" in found.sentence


def test_unset_burned_in_clock_places_nothing(tmp_path, clocks):
    """A body cam whose clock was never set (it reads 2000-01-01) gives no overlay constraint."""
    from types import SimpleNamespace

    from timesync.align.overlay import find_constraints
    from timesync.media import probe

    unset = _write(tmp_path / "unset.mp4", "bodycam", start=datetime(2000, 1, 1, 5, 0, 3, 370000, tzinfo=UTC))
    good = Path(clocks["bodycam"].name)
    report = find_constraints([SimpleNamespace(name=str(p), path=str(p), info=probe(p)) for p in (good, unset)])
    assert report.constraints == []
    assert "never set" in report.notes[str(unset)] and "2000-01-01" in report.notes[str(unset)]
