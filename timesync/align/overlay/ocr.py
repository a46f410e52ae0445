"""Recognizing the text of one overlay crop with RapidOCR (recognition only, no detection)."""

from __future__ import annotations

import numpy as np

__all__ = ["ocr_text"]

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


def ocr_text(crop: np.ndarray) -> str:
    """Recognize the text of a small grey or RGB crop (one text line); '' when nothing."""
    import cv2

    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
    h = crop.shape[0]
    if h < 40:
        factor = 48 / h
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    border = tuple(int(v) for v in np.median(crop[[0, -1]].reshape(-1, 3), axis=0))
    crop = cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=border)
    result = _ocr_engine()(crop, use_det=False, use_cls=False)
    texts = getattr(result, "txts", None) or ()
    return " ".join(t for t in texts if t)
