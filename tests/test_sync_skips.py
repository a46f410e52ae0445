"""``sync`` scans videos for flashes only where audio left a source unplaced.

Evidence that a video was not scanned: the flash cache of
:func:`timesync.align.flashes.detect.flashes_in` (kept per resolved path) holds
no entry for it, and the provenance says why.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import AudioSpec, make_video
from test_align_audio import atoms, render

from timesync.align.flashes import detect
from timesync.sync import sync

DURATION_S = 24.0
SR = 16000


def _sound(table, start_s: float, rng) -> np.ndarray:
    x = render(table, start_s + np.arange(round(DURATION_S * SR)) / SR)
    return (x + rng.normal(0, 0.01, x.size)).astype(np.float32)


def _video(path: Path, x: np.ndarray) -> str:
    make_video(path, n_frames=round(DURATION_S * 5), fps=Fraction(5), size=(64, 48),
               audio=AudioSpec(x, sr=SR, codec="aac"))
    return str(path)


@pytest.fixture
def cams(tmp_path) -> dict[str, str]:
    """A and B hear the same scene (B starts 6 s later); C hears another scene."""
    rng = np.random.default_rng(3)
    scene, other = atoms(40.0, seed=8, fmax=6000), atoms(40.0, seed=99, fmax=6000)
    return {"A": _video(tmp_path / "a.mp4", _sound(scene, 0.0, rng)),
            "B": _video(tmp_path / "b.mp4", _sound(scene, 6.0, rng)),
            "C": _video(tmp_path / "c.mp4", _sound(other, 0.0, rng))}


def _scanned(path: str) -> bool:
    resolved = str(Path(path).resolve())
    return any(key[0] == resolved for key in detect._FLASHES)


def test_all_placed_by_audio_skips_flashes(cams):
    res = sync([cams["A"], cams["B"]])
    assert res.all_aligned
    assert res.source(cams["B"]).clock.method.startswith("audio")
    aligners = res.to_dict()["provenance"]["aligners"]
    assert aligners["visual"] == "not needed: all sources placed by audio"
    assert aligners["audiovisual"] == "not needed: all sources placed by audio"
    assert aligners["audio"] == aligners["overlay"] == aligners["metadata"] == "ran"
    assert not _scanned(cams["A"]) and not _scanned(cams["B"])
    # named explicitly, the flash aligners read every video
    res = sync([cams["A"], cams["B"]], methods=["audio", "visual"])
    assert res.to_dict()["provenance"]["aligners"] == {"audio": "ran", "visual": "ran", "audiovisual": "ran"}
    assert _scanned(cams["A"]) and _scanned(cams["B"])


def test_unplaced_source_scanned_with_the_reference_only(cams):
    res = sync([cams["A"], cams["B"], cams["C"]], reference=cams["A"])
    aligners = res.to_dict()["provenance"]["aligners"]
    assert aligners["visual"] == (f"ran for {cams['A']}, {cams['C']}; not needed for {cams['B']} "
                                  "(placed by audio)")
    assert aligners["audiovisual"] == aligners["visual"]
    assert _scanned(cams["A"]) and _scanned(cams["C"])
    assert not _scanned(cams["B"])
    assert not res.source(cams["C"]).aligned  # no flashes in these clips: nothing links C

