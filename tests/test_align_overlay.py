"""Burned-in clocks: parsing, tick fitting, and reading generated clips end to end."""

from __future__ import annotations

import json
import re
from datetime import datetime
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from synth.clips import ClipSpec, write_clip

from timesync.align.overlay import OVERLAY_SIGMA_S, find_constraints
from timesync.align.overlay.fit import fit_ticks
from timesync.align.overlay.parse import parse_clock_text, reading_seconds, resolve_date_order
from timesync.align.overlay.read import NO_OVERLAY, parse_clock_value, read_overlay_clock
from timesync.media import probe

START = datetime(2024, 5, 17, 21, 2, 33, 370000)
FPS = Fraction(30000, 1001)


# -- parsing ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "iso", "layout"),
    [
        ("2024-05-17 21:02:33  AX0N-B1 X81234567", "2024-05-17T21:02:33", "YYYY-MM-DD HH:MM:SS"),
        ("17/05/2024 21:02:35Z", "2024-05-17T21:02:35+00:00", "DD/MM/YYYY HH:MM:SS Z"),
        ("05/17/2024 09:02:35 PM", "2024-05-17T21:02:35", "MM/DD/YYYY hh:mm:ss AM"),
        ("17.05.2024 21:O2:3S", "2024-05-17T21:02:35", "DD.MM.YYYY HH:MM:SS"),
        ("2024-05-17 21:02:33.250", "2024-05-17T21:02:33.250000", "YYYY-MM-DD HH:MM:SS.fff"),
        ("2024/05/17 12:00:01 AM -0700", "2024-05-17T00:00:01-07:00", "YYYY/MM/DD hh:mm:ss AM -0700"),
    ],
    ids=["iso-device-id", "day-first-zulu", "us-12h", "dotted-misread", "fraction", "12h-offset"],
)
def test_parse_layouts(text, iso, layout):
    reading = parse_clock_text(text)
    assert reading is not None
    assert reading.value.isoformat() == iso
    assert reading.layout == layout


@pytest.mark.parametrize("text", ["", "AXON-B1", "21:02:33", "2024-13-01 10:00:00", "2024-05-17 25:00:00",
                                  "2024-05-17 10:61:00"])
def test_parse_rejects(text):
    assert parse_clock_text(text) is None


def test_ambiguous_day_month_resolved_by_other_readings():
    readings = [parse_clock_text("05/06/2024 10:00:00"), parse_clock_text("13/06/2024 10:00:01")]
    assert readings[0].layout.startswith("MM/DD")  # '/' custom: month first, ambiguous
    resolved, note = resolve_date_order(readings)
    assert note is None
    assert resolved[0].value == datetime(2024, 6, 5, 10, 0, 0)  # day first after all
    alone, note = resolve_date_order(readings[:1])
    assert "ambiguous" in note


# -- tick fitting -------------------------------------------------------------------------------

def _ticks(fps: float, rate: float, at_zero: float, duration: float = 60.0, jump=None):
    t = np.arange(0, duration, 1 / fps)
    clock = at_zero + rate * t
    if jump is not None:
        clock[t >= jump[0]] += jump[1]
    shown = np.floor(clock)
    change = np.nonzero(np.diff(shown))[0] + 1
    return t[change - 1], t[change], shown[change]


@pytest.mark.parametrize(("fps", "rate"), [(30000 / 1001, 1.00004), (30.0, 1.0), (25.0, 0.99997)],
                         ids=["29.97-drift", "30-locked", "25-drift"])
def test_fit_ticks_within_its_uncertainty(fps, rate):
    lo, hi, shown = _ticks(fps, rate, 1000.37)
    values = {k: float(shown[k]) for k in range(0, len(lo), 4)}
    values[9] = values[8] + 40  # a misread between good readings
    fit = fit_ticks(lo, hi, values)
    assert fit.ticks == len(lo)
    assert fit.rejected == 1
    assert fit.jumps == []
    assert abs(fit.at_zero - 1000.37) <= max(3 * fit.uncertainty_s, 1e-3)
    assert fit.uncertainty_s < 0.5 / fps  # better than half a frame
    assert abs(fit.rate - rate) <= 3 * fit.rate_uncertainty
    assert fit.rate_uncertainty < 1e-3


def test_fit_ticks_reports_a_jump():
    lo, hi, shown = _ticks(25.0, 1.0, 1000.37, jump=(30.2, 3600.0))
    values = {k: float(shown[k]) for k in range(0, len(lo), 3)}
    fit = fit_ticks(lo, hi, values)
    assert len(fit.jumps) == 1
    assert fit.jumps[0].jump_s == pytest.approx(3600.0, abs=0.05)
    assert fit.jumps[0].at_local_s == pytest.approx(30.2, abs=1.0)
    assert abs(fit.at_zero - 1000.37) < 0.03  # the longer, first stretch


# -- clips --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlay")
    specs = {
        "good": ClipSpec(n_frames=150, fps=FPS, clock_at_zero=START, clock_suffix="CAM-1",
                         metadata={"creation_time": "2024-05-17T21:02:38.000000Z"}),  # the end
        "none": ClipSpec(n_frames=90, fps=FPS),
        "covered": ClipSpec(n_frames=90, fps=FPS, clock_at_zero=START, cover_from_s=0.0),
        "covered_later": ClipSpec(n_frames=150, fps=FPS, clock_at_zero=START, cover_from_s=3.2),
        "unreadable": ClipSpec(n_frames=120, fps=FPS, clock_at_zero=START, unreadable=True),
        "jump": ClipSpec(n_frames=200, fps=Fraction(25), clock_at_zero=START, clock_jump=(4.5, 7.0)),
        "fraction": ClipSpec(n_frames=125, fps=Fraction(25), clock_at_zero=START, fraction_digits=2),
        "us12h": ClipSpec(n_frames=125, fps=Fraction(25), clock_at="bottom",
                          clock_at_zero=datetime(2024, 5, 17, 21, 2, 50, 810000),
                          clock_format="%m/%d/%Y %I:%M:%S %p"),
    }
    return {name: write_clip(folder / f"{name}.mp4", spec) for name, spec in specs.items()}


def _seconds(value: datetime) -> float:
    return reading_seconds(value)


def test_reads_a_clock_to_within_its_uncertainty(clips):
    clock = read_overlay_clock(clips["good"])
    assert clock.note is None
    assert clock.layout == "YYYY-MM-DD HH:MM:SS"
    x, y, w, h = clock.region.text
    assert y < 60 and h < 60 and w > 150  # the top text line
    assert clock.fit.ticks == 5
    error = clock.fit.at_zero - _seconds(START)
    assert abs(error) <= 3 * clock.fit.uncertainty_s + 1e-3
    assert abs(error) < float(1 / FPS)  # within a frame
    finding = clock.finding()
    assert finding["at_local_zero"].startswith("2024-05-17T21:02:33.3")
    assert finding["ticks"] == 5 and finding["region"] == list(clock.region.text)


def test_us_layout_at_the_bottom(clips):
    clock = read_overlay_clock(clips["us12h"])
    assert clock.layout == "MM/DD/YYYY hh:mm:ss AM"
    assert clock.region.text[1] > 120  # bottom of a 240-px frame
    assert abs(clock.fit.at_zero - _seconds(datetime(2024, 5, 17, 21, 2, 50, 810000))) < 0.04


def test_fractional_seconds_shown(clips):
    clock = read_overlay_clock(clips["fraction"])
    assert clock.fit is not None, clock.note
    assert abs(clock.fit.at_zero - _seconds(START)) < 0.04
    assert any("21:02:3" in text for _, text in clock.readings)


@pytest.mark.parametrize("name", ["none", "covered"])
def test_no_overlay_is_reported(clips, name):
    clock = read_overlay_clock(clips[name])
    assert clock.fit is None
    assert clock.note.startswith(NO_OVERLAY)
    assert clock.finding() == {}


def test_an_overlay_covered_midway_is_reported(clips):
    clock = read_overlay_clock(clips["covered_later"])
    assert clock.fit is not None  # read from the first 3.2 s
    assert abs(clock.fit.at_zero - _seconds(START)) < float(1 / FPS)
    assert "could not be read, the first at local 3." in clock.note


def test_unreadable_digits_are_reported(clips):
    clock = read_overlay_clock(clips["unreadable"])
    assert clock.region is not None  # it ticks...
    assert clock.fit is None  # ...but cannot be read
    assert "could not be read" in clock.note


def test_a_clock_jump_is_reported(clips):
    clock = read_overlay_clock(clips["jump"])
    assert clock.fit is not None
    assert len(clock.fit.jumps) == 1
    assert clock.fit.jumps[0].jump_s == pytest.approx(7.0, abs=0.5)
    assert "jumps by +7" in clock.note
    assert abs(clock.fit.at_zero - _seconds(START)) < 0.04  # the first 4.5 s stretch


def test_real_background(shared_media_dir, tmp_path):
    spec = ClipSpec(n_frames=100, fps=Fraction(25), clock_at_zero=START, clock_suffix="UNIT 7",
                    background=shared_media_dir / "bikes.mp4")
    clock = read_overlay_clock(write_clip(tmp_path / "bikes_clock.mp4", spec))
    assert clock.fit is not None, clock.note
    assert abs(clock.fit.at_zero - _seconds(START)) < 0.04


def test_constraints_and_clock_errors(clips):
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p)) for p in (clips["good"], clips["us12h"],
                                                                             clips["none"])]
    report = find_constraints(sources)
    assert report.notes[str(clips["none"])] == NO_OVERLAY
    assert set(report.findings) == {str(clips["good"]), str(clips["us12h"])}
    assert report.findings[str(clips["good"])]["overlay_clock"]["creation_time_marks"] == "end"
    (con,) = report.constraints
    assert con.kind == "overlay" and con.uncertainty_s >= OVERLAY_SIGMA_S
    assert con.offset_s == pytest.approx(-17.44, abs=0.05)  # 33.37 - 50.81 if the clocks agreed
    # once aligned (here: us12h truly starts 5.0 s after good), the clock error is a finding
    result = {"reference": str(clips["good"]), "sources": [
        {"path": str(clips["good"]), "aligned": True, "offset_s": 0.0, "rate": 1.0, "uncertainty_s": 0.0,
         "overlay_clock": report.findings[str(clips["good"])]["overlay_clock"]},
        {"path": str(clips["us12h"]), "aligned": True, "offset_s": 5.0, "rate": 1.0, "uncertainty_s": 0.001,
         "overlay_clock": report.findings[str(clips["us12h"])]["overlay_clock"]},
    ]}
    (err,) = _clock_errors(json.loads(json.dumps(result)))
    assert err.error_s == pytest.approx(50.81 - 33.37 - 5.0, abs=0.05)
    assert re.search(r"us12h.mp4's clock is 12.4\d\d s ahead of good.mp4's", err.sentence)


def test_parse_clock_value_roundtrip():
    seconds, zoned = parse_clock_value("2024-05-17T21:02:35.850Z")
    assert zoned and seconds == pytest.approx(_seconds(datetime(2024, 5, 17, 21, 2, 35, 850000)))


def test_sample_incident_overlays(sample_media_dir):
    truth = json.loads((sample_media_dir / "truth.json").read_text())
    expected = {s["path"]: s["overlay_clock"] for s in truth["sources"]}
    name = "bodycam_B.mp4"  # 29.97 fps, drifting clock
    clock = read_overlay_clock(sample_media_dir / name, max_s=7.0)
    assert clock.layout == "YYYY-MM-DD HH:MM:SS"
    assert clock.fit.ticks >= 6
    error = clock.fit.at_zero - parse_clock_value(expected[name]["at_local_zero"])[0]
    assert abs(error) < 0.1
    assert abs(error) <= 3 * clock.fit.uncertainty_s + 0.001  # truth is given to the millisecond


def _clock_errors(result: dict) -> list:
    """``timesync.workflow.clock_errors`` of the SyncResult these project-form sources describe."""
    from timesync.clock import ClockMap
    from timesync.sync import SourceResult, SyncResult
    from timesync.workflow import clock_errors

    sources = [SourceResult(name=e["path"], sha256=None, aligned=e["aligned"],
                            clock=ClockMap(e["offset_s"], e["rate"], e["uncertainty_s"]) if e["aligned"] else None,
                            findings={"overlay_clock": e["overlay_clock"]}) for e in result["sources"]]
    return clock_errors(SyncResult(result["reference"], sources))


def test_clock_error_sentences():
    def src(path, offset, zero, unc=0.001):
        return {"path": path, "aligned": True, "offset_s": offset, "rate": 1.0, "uncertainty_s": 0.0,
                "overlay_clock": {"at_local_zero": zero, "rate": 1.0, "uncertainty_s": unc}}

    result = {"reference": "a.mp4", "sources": [
        src("b.mp4", 10.0, "2024-05-17T21:06:31.200"),     # at shared 10 it reads 21:06:31.2
        src("a.mp4", 0.0, "2024-05-17T21:02:33.000"),      # ...where a reads 21:02:43.0
        src("c.mp4", 5.0, "2024-05-17T21:02:38.0004"),
        src("h.mp4", 1.0, "2024-05-17T21:02:34.000Z"),
        {"path": "x.mp4", "aligned": False, "offset_s": None, "overlay_clock": {"at_local_zero": "2024-05-17T00:00:00"}},
    ]}
    found = {f.source: f for f in _clock_errors(result)}
    assert set(found) == {"b.mp4", "c.mp4", "h.mp4"}
    assert found["b.mp4"].relative_to == "a.mp4"
    assert found["b.mp4"].error_s == pytest.approx(228.2)
    assert found["b.mp4"].sentence.startswith("b.mp4's clock is 3 minutes 48.2 s ahead of a.mp4's")
    assert found["c.mp4"].sentence.startswith("c.mp4's clock agrees with a.mp4's")
    assert "read as UTC" in found["h.mp4"].sentence


def test_a_given_region(clips):
    found = read_overlay_clock(clips["good"])
    given = read_overlay_clock(clips["good"], region=found.region.text)
    assert given.region.text == found.region.text
    assert given.fit.ticks == found.fit.ticks
    assert given.fit.at_zero == pytest.approx(found.fit.at_zero, abs=1e-6)
    nothing = read_overlay_clock(clips["good"], region=(100, 150, 60, 40))  # a patch of scenery
    assert nothing.fit is None and nothing.note.startswith(NO_OVERLAY)
