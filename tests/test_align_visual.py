"""Flashes with sub-frame onsets, pattern matching, visual and audio-visual constraints."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from timesync.align import audiovisual, visual
from timesync.align.overlay_synth import ClipSpec, write_clip
from timesync.align.visual import NO_FLASHES, detect_flashes, match_events
from timesync.media import probe

#: True times of the shots; clip A starts at true 0, clip B at true B_START.
SHOTS = np.array([0.62, 0.91, 1.84, 2.77, 2.97, 3.71, 4.53])
B_START = 0.4137
FLASH_S = 0.03


@pytest.fixture(scope="session")
def flash_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flashes")
    a = ClipSpec(n_frames=150, fps=Fraction(30000, 1001), size=(160, 120), flashes=list(SHOTS),
                 flash_s=FLASH_S, impulses=list(SHOTS))
    b_shots = SHOTS[SHOTS > B_START + 0.05] - B_START
    b = ClipSpec(n_frames=110, fps=Fraction(25), size=(160, 120), flashes=list(b_shots), flash_s=FLASH_S,
                 flash_at=(0.3, 0.4))
    dark = ClipSpec(n_frames=60, fps=Fraction(25), size=(160, 120))
    return {"a": write_clip(folder / "a.mkv", a), "b": write_clip(folder / "b.mp4", b),
            "dark": write_clip(folder / "dark.mp4", dark), "b_shots": b_shots}


def test_flash_onsets_are_sub_frame(flash_clips):
    events = detect_flashes(flash_clips["b"])
    assert len(events) == len(flash_clips["b_shots"])
    onsets = np.array([e.onset_s(FLASH_S) for e in events])
    errors = onsets - flash_clips["b_shots"]
    sigmas = np.array([e.sigma_s for e in events])
    assert np.all(np.abs(errors) <= 3 * sigmas + 0.002)
    assert np.max(np.abs(errors)) < 0.008  # a fifth of a 40-ms frame
    lit = [int(np.floor((t + FLASH_S) * 25 - 1e-9) - np.floor(t * 25)) + 1 for t in flash_clips["b_shots"]]
    assert [e.frames for e in events] == lit  # frames each 30-ms flash overlaps at 25 fps


def test_no_flashes(flash_clips):
    assert detect_flashes(flash_clips["dark"]) == []


def test_match_needs_a_clear_winner():
    pattern = np.array([1.0, 1.3, 2.9, 3.1, 5.0])
    match = match_events(pattern, pattern + 7.25, tol_s=0.02)
    assert match.offset_s == pytest.approx(7.25)
    assert match.agreeing == 5
    strobe = np.arange(0, 10, 0.5)  # a periodic strobe: every shift by 0.5 s fits as well
    assert match_events(strobe, strobe + 3.1, tol_s=0.02) is None
    assert match_events(pattern[:2], pattern[:2] + 1, tol_s=0.02) is None  # two events prove nothing


def test_visual_and_audiovisual_constraints(flash_clips):
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p))
               for p in (flash_clips["a"], flash_clips["b"], flash_clips["dark"])]
    report = visual.find_constraints(sources)
    assert report.notes[str(flash_clips["dark"])] == NO_FLASHES
    by_kind = {c.kind: c for c in report.constraints}
    assert set(by_kind) == {"visual", "audio-visual"}
    for c in by_kind.values():
        assert c.source == str(flash_clips["a"]) and c.other == str(flash_clips["b"])
        # t_b = t_a - B_START
        assert abs(c.offset_s + B_START) <= max(3 * c.uncertainty_s, 0.002), c
        assert c.uncertainty_s < 0.01
        assert c.rate_uncertainty is None
        assert c.evidence["events_agreeing"] == len(flash_clips["b_shots"])
    assert report.findings[str(flash_clips["a"])]["impulses_heard"] == len(SHOTS)


def test_heard_impulses(flash_clips):
    onsets = audiovisual.heard_impulses(flash_clips["a"])
    assert np.max(np.abs(onsets - SHOTS)) < 0.002
