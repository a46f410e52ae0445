"""Reading tiny overlay digits by the glyphs the video itself teaches (small, faint clocks).

Digits 3-5 px high defeat RapidOCR even on the right crop, but the video shows
every digit of its own font many times: the seconds digit cycles through 0..9
once per 10 s, in order, one value per tick. So the crops of the text line,
numbered by their tick ``k`` (:func:`timesync.align.overlay.read._tick_of`),
fall into ten classes ``k mod 10``; their mean over the seconds digit's columns
is a clean template of one digit each (the scenery behind semi-transparent
text averages out). Which digit each class is (the label ``s``: class ``c``
shows ``(c + s) mod 10``) is fixed by the carry: the tens-of-seconds digit,
one digit pitch to the left, changes exactly when the seconds go 9 -> 0, and
must show ``(T + (s + k) // 10) mod 6`` in every crop; only the right ``s``
makes it match its templates across the carries.

The other digit cells (minutes, hours, date) lie at the digit pitch inside
``HH:MM:SS`` and ``YYYY?MM?DD`` groups (or ``NN?NN?YYYY``); the gaps of the
separators are searched, the layout kept where the templates match best. A cell
is read only when one template matches it clearly better than every other
(:data:`MARGIN`), a crop only when all its cells are; readings are kept only
when several agree on the clock (value minus tick number), so a misread is
left out rather than fitted. Anything unsure gives no reading at all: the
caller keeps the OCR answer (or none).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["GlyphCrop", "glyph_texts", "glyph_readings", "glyph_fit", "MARGIN"]

#: A cell is read as digit ``d`` only when its template correlates (ZNCC) this much better than any other.
MARGIN = 0.08
#: ... and at least this well.
MIN_CORR = 0.45
#: The label ``s`` must beat every other label by this much (summed ZNCC of the tens cells).
LABEL_MARGIN = 1.0
#: Fewest crops of each of the ten classes in the learning stretch.
MIN_PER_CLASS = 1
#: Share of the crops whose own best match must agree for a cell to be read once for all (date, hour).
STATIC_SHARE = 0.8
#: Fewest readings that agree on the clock (value minus tick number) for any of them to count.
MIN_AGREE = 3
#: Share of the crops read that must agree so (below: the templates are not trusted at all).
MIN_AGREE_SHARE = 0.7


@dataclass(frozen=True)
class GlyphCrop:
    """One text-line crop: the ``k``-th second after the first tick, in break-free stretch ``stretch``."""

    number: int
    k: int
    stretch: int
    image: np.ndarray


@dataclass(frozen=True)
class _Glyphs:
    templates: np.ndarray  # (10, H, w) float32, class c shows digit (c + label) % 10
    band: tuple[int, int]  # columns [x0, x1) of the seconds digit in the crop
    label: int


def _zncc(images: np.ndarray, templates: np.ndarray) -> np.ndarray:
    """ZNCC of each template at each column of each image: ``(N, 10, W - w + 1)`` (rows: full height)."""
    import cv2

    out = np.zeros((len(images), len(templates), images.shape[2] - templates.shape[2] + 1), np.float32)
    for i, img in enumerate(images):
        for c, tpl in enumerate(templates):
            if float(tpl.std()) < 1e-3:
                continue
            out[i, c] = cv2.matchTemplate(img, tpl, cv2.TM_CCOEFF_NORMED)[0]
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _seconds_band(images: np.ndarray, classes: np.ndarray) -> tuple[int, int] | None:
    """Columns ``[x0, x1)`` whose pixels follow ``k mod 10`` (between-class over within-class variance)."""
    means = np.stack([images[classes == c].mean(axis=0) for c in range(10)])
    between = means.var(axis=0).mean(axis=0)
    within = ((images - means[classes]) ** 2).mean(axis=(0, 1)) + 1e-3
    ratio = between / within
    peak = int(np.argmax(ratio))
    if ratio[peak] < 2.0:
        return None
    keep = ratio > 0.2 * ratio[peak]
    x0, x1 = peak, peak + 1
    while x0 > 0 and keep[x0 - 1]:
        x0 -= 1
    while x1 < len(keep) and keep[x1]:
        x1 += 1
    return (x0, x1) if x1 - x0 >= 2 else None


def _label(scores: np.ndarray, ks: np.ndarray, lo: int, hi: int) -> tuple[int, int] | None:
    """The label ``s`` the carries fix and the tens cell's column (in ``[lo, hi)``), or None when unsure.

    At the tens cell's column ``x`` every crop must show ``(T + (s + k) // 10) mod 6``: the
    summed ZNCC of that digit's template; the column and ``(s, T)`` that match best are taken,
    when no other label comes within :data:`LABEL_MARGIN` at that column.
    """
    rows = np.arange(len(ks))
    best_x, best_total, best_by_s = None, -np.inf, {}
    for x in range(lo, hi):
        cells = scores[:, :, x]  # (N, 10)
        by_s: dict[int, float] = {}
        for s, t in itertools.product(range(10), range(6)):
            shown = (t + (s + ks) // 10) % 6
            by_s[s] = max(by_s.get(s, -np.inf), float(cells[rows, (shown - s) % 10].sum()))
        if max(by_s.values()) > best_total:
            best_x, best_total, best_by_s = x, max(by_s.values()), by_s
    if best_x is None:
        return None
    order = sorted(best_by_s, key=best_by_s.get, reverse=True)
    if best_by_s[order[0]] - best_by_s[order[1]] < LABEL_MARGIN:
        return None
    return order[0], best_x


def _learn(crops: list[GlyphCrop]) -> tuple[_Glyphs, int] | None:
    """Templates, their label and the pitch (px), from all crops or else the longest break-free stretch.

    A clock jump shifts the seconds of the crops after it against their tick
    numbers: learnt over all crops, the templates then mix and the label is
    unsure; the stretch between two breaks (a jump is one) does not mix.
    """
    got = _learn_from(crops)
    if got is None and len({c.stretch for c in crops}) > 1:
        stretch = max({c.stretch for c in crops}, key=lambda s: sum(c.stretch == s for c in crops))
        got = _learn_from([c for c in crops if c.stretch == stretch])
    return got


def _learn_from(mine: list[GlyphCrop]) -> tuple[_Glyphs, int] | None:
    """Templates, label and pitch from the crops ``mine`` (one clock, no jump among them), or None."""
    if len(mine) < 10:
        return None
    ks = np.array([c.k for c in mine])
    classes = ks % 10
    if min(np.count_nonzero(classes == c) for c in range(10)) < MIN_PER_CLASS or ks.max() - ks.min() < 12:
        return None
    images = np.stack([c.image for c in mine])
    band = _seconds_band(images, classes)
    if band is None:
        return None
    x0, x1 = band
    templates = np.stack([images[classes == c][:, :, x0:x1].mean(axis=0) for c in range(10)])
    scores = _zncc(images, templates)
    width = x1 - x0
    got = _label(scores, ks, max(0, round(x0 - 2.5 * width)), x0)
    if got is None:
        return None
    label, x_tens = got
    return _Glyphs(templates, band, label), x0 - x_tens


#: Digit groups from the right (time first): the layouts whose cells are searched.
_LAYOUTS = {"YMD": (2, 2, 2, 2, 2, 4), "XXY": (2, 2, 2, 4, 2, 2)}


def _cells(profile: np.ndarray, x_sec: int, pitch: float, groups: tuple[int, ...],
           gaps: tuple[float, float, float]) -> list[int] | None:
    """Columns of every digit cell (right to left) on the grid of ``pitch`` and the separators'
    extra ``gaps`` (colon, space, date), each snapped within 1 px (left of the previous one)."""
    colon, space, date_sep = gaps
    xs, x = [x_sec], float(x_sec)
    for g, size in enumerate(groups):
        for d in range(size):
            if g == 0 and d == 0:
                continue
            x -= pitch + (0.0 if d else (colon if g in (1, 2) else space if g == 3 else date_sep))
            lo, hi = round(x) - 1, min(round(x) + 2, xs[-1] - 1)
            if lo < 0 or hi > len(profile) or hi <= lo:
                return None
            xs.append(lo + int(np.argmax(profile[lo:hi])))
    return xs


def _layout(profile: np.ndarray, x_sec: int, pitch: int, left: int) -> tuple[str, list[int]] | None:
    """The date layout and cell columns whose cells the templates match best, the first cell where
    the text's strokes begin (column ``left``, within 1 px); None when no layout fits."""
    best: tuple[float, str, list[int]] | None = None
    gaps = np.arange(0.0, 1.6 * pitch + 0.01, 1.0)
    for name, groups in _LAYOUTS.items():
        for p in (pitch - 0.5, pitch - 0.25, float(pitch), pitch + 0.25, pitch + 0.5):
            for colon, date_sep in itertools.product(gaps, gaps):
                fill = x_sec - left - (sum(groups) - 1) * p - 2 * colon - 2 * date_sep  # the space's gap
                for space in (round(fill) - 1, round(fill), round(fill) + 1):
                    if not 0 <= space <= 2.6 * pitch:
                        continue
                    xs = _cells(profile, x_sec, p, groups, (colon, float(space), date_sep))
                    if xs is None or abs(xs[-1] - left) > 1:
                        continue
                    score = float(profile[xs].mean())
                    if best is None or score > best[0]:
                        best = (score, name, xs)
    return None if best is None else (best[1], best[2])


def _left(images: np.ndarray, band: tuple[int, int]) -> int:
    """The first column of the text's strokes (as strong as a third of the seconds digit's)."""
    ink = _column_ink(images)
    strong = np.nonzero(ink > 0.35 * float(ink[band[0]:band[1]].mean()))[0]
    return int(strong[0]) if len(strong) else 0


def _text_after(images: np.ndarray, band: tuple[int, int]) -> bool:
    """True when strokes follow the seconds digit (``AM``/``PM``, a zone, a device id): not read by glyphs."""
    ink = _column_ink(images)
    tail = ink[band[1] + 1:]
    return bool(tail.size) and float(tail.max()) > 0.35 * float(ink[band[0]:band[1]].mean())


def _column_ink(images: np.ndarray) -> np.ndarray:
    """The strokes of each column over all crops, above what the background alone leaves (its 20th percentile)."""
    ink = images.mean(axis=(0, 1))
    return ink - float(np.percentile(ink, 20))


def _read_cells(scores: np.ndarray, label: int, static: dict[int, int]) -> list[int] | None:
    """The digits (right to left) of one crop's cells (``scores``: (10, cells)), or None when any
    is not clearly one digit; a cell in ``static`` is that digit (read over all crops)."""
    digits = []
    for j in range(scores.shape[1]):
        if j in static:
            digits.append(static[j])
            continue
        column = np.sort(scores[:, j])
        if column[-1] < MIN_CORR or column[-1] - column[-2] < MARGIN:
            return None
        digits.append((int(np.argmax(scores[:, j])) + label) % 10)
    return digits


def _static(cells: np.ndarray, label: int) -> dict[int, int]:
    """The cells (index: digit) that show one digit in nearly every crop (``cells``: (N, 10, cells)).

    The date and hour stay while the seconds run: their scores averaged over the
    crops pick the digit far more surely than one crop does. A cell is static when
    :data:`STATIC_SHARE` of the crops match that digit best on their own and, on
    average, by half of :data:`MARGIN`.
    """
    out = {}
    mean = cells.mean(axis=0)
    for j in range(cells.shape[2]):
        top = np.sort(mean[:, j])
        best = int(np.argmax(mean[:, j]))
        share = float(np.mean(np.argmax(cells[:, :, j], axis=1) == best))
        if share >= STATIC_SHARE and top[-1] >= MIN_CORR and top[-1] - top[-2] >= MARGIN / 2:
            out[j] = (best + label) % 10
    return out


def _text(digits: list[int], layout: str, sep: str) -> str:
    """``YYYY/MM/DD HH:MM:SS`` (or ``NN/NN/YYYY ...``) from the digits read right to left."""
    s = "".join(str(d) for d in reversed(digits))
    date, clock = s[:8], s[8:]
    parts = (date[:4], date[4:6], date[6:]) if layout == "YMD" else (date[:2], date[2:4], date[4:])
    return f"{sep.join(parts)} {clock[:2]}:{clock[2:4]}:{clock[4:]}"


def glyph_texts(crops: list[GlyphCrop], date_sep: str = "/") -> tuple[list[tuple[int, str]], str | None]:
    """Texts of the crops read by the video's own glyphs, and why none were (None when some were).

    Parameters
    ----------
    crops : every text-line crop (mean of the frames of one second), numbered by tick.
    date_sep : the separator of the date (from OCR's texts).

    Returns
    -------
    (texts, why)
        ``(frame number, text)`` of each crop whose every digit matched one template
        clearly, in a form :func:`~timesync.align.overlay.parse.parse_clock_text`
        reads; the caller still checks that they agree.
    """
    if len(crops) < 10 or len({c.image.shape for c in crops}) != 1:
        return [], "too few crops"
    learned = _learn(crops)
    if learned is None:
        return [], "no digit templates (too few crops per digit, or the carries do not fix the labels)"
    glyphs, pitch = learned
    images = np.stack([c.image for c in crops])
    if pitch < 2 or _text_after(images, glyphs.band):
        return [], "more text right of the seconds (AM/PM, zone), or no pitch: not read by glyphs"
    scores = _zncc(images, glyphs.templates)
    found = _layout(scores.mean(axis=0).max(axis=0), glyphs.band[0], pitch, _left(images, glyphs.band))
    if found is None:
        return [], "the digit cells do not fit a date and time layout"
    layout, xs = found
    cells = scores[:, :, xs]
    static = _static(cells, glyphs.label)
    out = []
    for crop, score in zip(crops, cells, strict=True):
        digits = _read_cells(score, glyphs.label, static)
        if digits is not None:
            out.append((crop.number, _text(digits, layout, date_sep)))
    return out, None if out else "no crop read clearly"


def _ink(crop: np.ndarray) -> np.ndarray:
    """The light strokes of a grey crop over its background (a white top-hat), float32.

    Semi-transparent text lets the scenery through; what stays of a digit from
    one second to the next is its strokes, brighter than the picture just around them.
    """
    import cv2

    size = max(5, round(crop.shape[0] / 3) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return cv2.morphologyEx(crop, cv2.MORPH_TOPHAT, kernel).astype(np.float32)


def _date_separator(texts: list[str]) -> str:
    """The date separator OCR saw most (``/``, ``-`` or ``.``, between digits); ``/`` when it saw none."""
    import re

    seen = [m for t in texts for m in re.findall(r"(?<=[0-9])([-/.])(?=[0-9])", t)]
    return max("/-.", key=seen.count) if seen else "/"


def glyph_readings(crops, tick_hi: np.ndarray, times: np.ndarray, breaks: np.ndarray,
                   texts: list[str]) -> tuple[list, str | None]:
    """Readings ``(frame number, ClockReading)`` of ``crops`` (``(number, stack)``) by glyphs, agreeing only.

    Each crop is numbered by its tick (``k`` whole seconds after the first tick,
    ``tick_hi`` local s, not across a ``break``); the glyph texts are parsed
    strictly and kept only when :data:`MIN_AGREE` or more agree on the clock
    (value minus ``k``) and those are :data:`MIN_AGREE_SHARE` of all read.
    ``texts``: OCR's texts of the file (for the date separator). Returns the
    readings (empty when unsure) and why there are none.
    """
    from collections import Counter

    from timesync.align.overlay.parse import parse_clock_text, reading_seconds
    from timesync.align.overlay.read import _steady_crop, _tick_of

    if len(tick_hi) < 2:
        return [], "too few ticks"
    frame_s = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    serial = np.concatenate([[0], np.cumsum(np.rint(np.diff(tick_hi)))]).astype(int)
    numbered, ks = [], {}
    for number, stack in crops:
        tick = _tick_of(float(times[number]), tick_hi, frame_s, breaks)
        if tick is None:
            continue
        j, between = tick
        stretch = int(np.searchsorted(breaks, tick_hi[j])) if len(breaks) else 0
        image = _ink(_steady_crop(number, stack, tick_hi, times))
        numbered.append(GlyphCrop(number, int(serial[j]) + between, stretch, image))
        ks[number] = int(serial[j]) + between
    read, why = glyph_texts(numbered, _date_separator(texts))
    parsed = [(n, r) for n, r in ((n, parse_clock_text(t)) for n, t in read) if r is not None]
    clocks = Counter(int(np.floor(reading_seconds(r.value))) - ks[n] for n, r in parsed)
    kept = [(n, r) for n, r in parsed if clocks[int(np.floor(reading_seconds(r.value))) - ks[n]] >= MIN_AGREE]
    if not kept or len(kept) < MIN_AGREE_SHARE * len(read):
        return [], why or f"{len(read)} crops read by glyphs, too few agree"
    return kept, None


def glyph_fit(result, lo: np.ndarray, hi: np.ndarray, breaks: np.ndarray, crops, times: np.ndarray,
              texts: list[tuple[float, str]]):
    """``(fit, note)``: the clock fitted from the crops read by the video's own glyphs, or None.

    ``result`` (an OverlayClock) gets the glyphs' layout, zone and date-order shift
    when they give a fit, and is left unchanged otherwise.
    """
    from timesync.align.overlay.fit import fit_ticks
    from timesync.align.overlay.read import _values

    readings, _why = glyph_readings(crops, hi, times, breaks, [t for _, t in texts])
    values, layout, zone, order_note, swap_s = _values(readings, hi, times, breaks)
    fit = fit_ticks(lo, hi, values) if values else None
    if fit is None or fit.readings < 2:
        return None
    result.layout, result.zone, result.swap_shift_s = layout, zone, swap_s
    said = "its digits were read by the video's own glyphs (OCR could not read them)"
    return fit, "; ".join(n for n in (said, order_note) if n)
