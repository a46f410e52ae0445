"""Tiny, faint burned-in clocks read by the glyphs the video itself teaches (issue 12 item 4).

* digits about 5 px high, semi-transparent white without a box over a real scene
  (a person moving behind them): RapidOCR garbles every crop, the seconds digit
  teaches the ten digits of the video's own font, the carries of the tens digit
  label them, and the whole ``YYYY/MM/DD HH:MM:SS`` line is read by them;
* digits about 4 px high on a 3 px pitch: the glyphs are too alike to tell apart
  clearly (``2`` against ``0``), and the clock stays not read rather than misread;
* the labelling on drawn crops: the carry fixes which digit each class is, and
  crops that never see a carry give no templates at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from overlay_media import draw_text, grey_frames, write_clock_over

from timesync.align.overlay.glyphs import GlyphCrop, _ink, glyph_texts
from timesync.align.overlay.read import parse_clock_value, read_overlay_clock

FPS = 15
WIDTH = 480
T0 = datetime(2024, 11, 3, 21, 2, 33, 370000)


def _background(shared_media_dir: Path) -> list[np.ndarray]:
    """The first 150 frames of the real video carphone.mp4, grey, WIDTH pixels wide."""
    return grey_frames(shared_media_dir / "carphone.mp4", WIDTH)


def _write(path: Path, background: list[np.ndarray], seconds: float, scale: float, alpha: float) -> Path:
    """The scene played back and forth, the clock ``T0 + t`` in its bottom left corner."""
    return write_clock_over(path, background, seconds, scale, alpha, fps=FPS, t0=T0)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, shared_media_dir):
    folder = tmp_path_factory.mktemp("glyph_clocks")
    background = _background(shared_media_dir)
    return {"faint": _write(folder / "faint.mp4", background, 40.0, 0.26, 0.45),
            "tiniest": _write(folder / "tiniest.mp4", background, 40.0, 0.24, 0.6)}


def test_tiny_faint_digits_read_by_the_videos_own_glyphs(clips):
    """OCR garbles every crop (``2024/11/83210233``); the glyphs read the clock within a frame."""
    clock = read_overlay_clock(clips["faint"])
    assert clock.ok, clock.note
    seconds, _zoned = parse_clock_value(clock.at_local_zero())
    assert abs(seconds - parse_clock_value(T0.isoformat())[0]) < 1 / FPS
    assert "glyphs" in clock.note
    assert clock.layout == "YYYY/MM/DD HH:MM:SS"
    assert clock.fit.readings >= 5 and not clock.fit.jumps


def test_glyphs_too_alike_give_no_wrong_clock(clips):
    """A 3 px digit pitch: ``2`` and ``0`` differ by a few grey levels; no clock rather than a wrong one.

    Whether OCR reads this clip depends on the pixels OpenCV draws (5.0 does not, 5.1 does,
    right): either no clock with the reason, or the right one; never a wrong clock from the glyphs.
    """
    clock = read_overlay_clock(clips["tiniest"])
    if not clock.ok:
        assert "could not be read consistently" in clock.note
        return
    seconds, _zoned = parse_clock_value(clock.at_local_zero())
    assert abs(seconds - parse_clock_value(T0.isoformat())[0]) < 1 / FPS


def _crop(text: str, rng: np.random.Generator) -> np.ndarray:
    """One text line drawn small and faint over a noisy grey background, its ink (as the reader sees it)."""
    background = rng.normal(90, 12, (16, 120, 3)).clip(0, 255).astype(np.uint8)
    return _ink(draw_text(background, [text], (4, 12), 0.3, alpha=0.7)[:, :, 0])


def test_the_carry_labels_the_seconds_templates():
    """Crops 2 s apart over 40 s: every one read, as drawn; the label comes from the carries alone."""
    rng = np.random.default_rng(5)
    start = datetime(2023, 7, 19, 8, 14, 47)
    crops = [GlyphCrop(k, k, 0, _crop((start + timedelta(seconds=k)).strftime("%Y/%m/%d %H:%M:%S"), rng))
             for k in range(0, 41, 1) if k % 3 != 1]
    texts, why = glyph_texts(crops)
    assert why is None
    want = {k: (start + timedelta(seconds=k)).strftime("%Y/%m/%d %H:%M:%S") for k in range(41)}
    assert len(texts) >= 0.8 * len(crops)
    assert all(text == want[number] for number, text in texts)


def test_no_carry_no_templates():
    """Eight seconds never reach a carry (nor all ten digits): no templates, no texts."""
    rng = np.random.default_rng(6)
    start = datetime(2023, 7, 19, 8, 14, 41)
    crops = [GlyphCrop(k, k, 0, _crop((start + timedelta(seconds=k)).strftime("%Y/%m/%d %H:%M:%S"), rng))
             for k in range(8) for _ in range(2)]
    texts, why = glyph_texts(crops)
    assert texts == [] and why
