"""Recognizing the text of one overlay crop with RapidOCR (recognition only, no detection)."""

from __future__ import annotations

import numpy as np

from timesync.align.overlay.parse import ClockReading, parse_clock_text, reading_seconds

__all__ = ["ocr_text", "second_opinion", "majority_doubted", "SECOND_OPINION_BELOW_PX"]

#: Text-line crops lower than this (px) hold digits a few pixels high: read twice, used when both agree.
SECOND_OPINION_BELOW_PX = 20
#: The height (px) the second reading enlarges such a crop to (the first: 48).
SECOND_OPINION_HEIGHT_PX = 96
#: Two opinions this far apart (s) differ in a digit above the seconds (minutes, hours, date).
STATIC_APART_S = 60.0

_ENGINE = None


def _ocr_engine():
    global _ENGINE
    if _ENGINE is None:
        import logging

        from rapidocr import RapidOCR

        _ENGINE = RapidOCR(params={"Global.use_det": False, "Global.use_cls": False,
                                   "Global.log_level": "error"})
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return _ENGINE


def ocr_text(crop: np.ndarray, *, height: int = 48) -> str:
    """Recognize the text of a small grey or RGB crop (one text line); '' when nothing.

    A crop under 40 px high is first enlarged to ``height`` px (cubic); a crop of tiny text read
    at two heights gives two independent opinions (:func:`timesync.align.overlay.read._read_crops`).
    """
    import cv2

    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
    h = crop.shape[0]
    if h < 40:
        factor = height / h
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    border = tuple(int(v) for v in np.median(crop[[0, -1]].reshape(-1, 3), axis=0))
    crop = cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=border)
    result = _ocr_engine()(crop, use_det=False, use_cls=False)
    texts = getattr(result, "txts", None) or ()
    return " ".join(t for t in texts if t)


def second_opinion(crop: np.ndarray, reading: ClockReading, text: str) \
        -> tuple[ClockReading | None, str, bool]:
    """``(reading, text, apart)``: OCR's ``reading`` of ``crop`` (at the usual height) and its text when
    OCR at :data:`SECOND_OPINION_HEIGHT_PX` reads the same value; else None and both texts (``"a | b"``).

    At digits a few pixels high OCR confuses static digits the ticks never count (a year's
    ``2`` read as ``0``, the same way in most crops: a clock twenty years off that its
    readings agree on). Read at another size the same crop is read by other pixels.
    ``apart`` is True when both parse and differ by :data:`STATIC_APART_S` or more: a digit
    above the seconds read two ways, which no count of ticks settles (see :func:`majority_doubted`).
    """
    other = ocr_text(crop, height=SECOND_OPINION_HEIGHT_PX)
    second = parse_clock_text(other, strict=False)
    if second is not None and second.value == reading.value:
        return reading, text, False
    apart = second is not None and abs(reading_seconds(second.value) - reading_seconds(reading.value)) >= STATIC_APART_S
    return None, f"{text} | {other}", apart


def majority_doubted(firsts: list[tuple[float, ClockReading, bool]]) -> bool:
    """True when a second opinion contradicts, above the seconds, a first reading that tells the file's usual clock.

    ``firsts``: ``(local s, first reading, apart)`` of each crop read twice (:func:`second_opinion`).
    The usual clock is the median of the first readings' value minus local time. A first reading
    off it that the second contradicts is a misread the fit would leave out anyway (a ``1`` of the
    hour lost: ``20211:23`` for ``2021 11:23``); one on it means the digits most readings agree on
    are read otherwise at another size (``2005`` and ``2025``): none can be trusted.
    """
    if not any(apart for _, _, apart in firsts):
        return False
    offsets = [reading_seconds(r.value) - t for t, r, _ in firsts]
    usual = float(np.median(offsets))
    return any(apart and abs(off - usual) < STATIC_APART_S / 2 for off, (_, _, apart) in zip(offsets, firsts, strict=True))
