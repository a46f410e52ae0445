"""The grid video's event captions: lanes, wrapping and boxes in the strip below the tiles.

A caption is shown from the event's ``shared_s`` to its ``end_s`` (a point event
for ``caption_s`` seconds); captions shown at the same time take separate
lanes. Each is wrapped at spaces to the frame's width, measured in the font the
video is drawn with (Pillow's bundled Aileron), at most :data:`MAX_LINES`
lines (the last ends in "..." when cut). Every lane has room for the longest
caption, so the strip's height is known before the render and the tiles above
it never lose a pixel to a caption: a caption never covers a picture or its
burned-in clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from timesync.project import Project

__all__ = ["Caption", "caption_lanes", "plan_captions", "safe_text", "wrap_caption", "measure_text", "MAX_LINES"]

#: Lines a caption may wrap to.
MAX_LINES = 3
#: Pixels between two lines, added to the font size.
LEADING = 6


@dataclass(frozen=True)
class Caption:
    """One event caption: its lane, output seconds shown, wrapped lines and box (output pixels)."""

    lane: int
    from_s: float
    to_s: float
    lines: tuple[str, ...]
    x: int
    y: int
    w: int
    h: int
    line_h: int

    def placed(self, x: int, y: int) -> Caption:
        """The caption with its box moved by ``(x, y)`` (from strip coordinates to the frame's)."""
        return replace(self, x=self.x + x, y=self.y + y)


def safe_text(text: str) -> str:
    """Text for drawtext: printable ASCII (the bundled font's range), no expansion marks."""
    text = text.replace("%", " pct").replace("\\", "/")
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def _caption_text(ann: Any) -> str:
    return safe_text(f"{ann.id} {ann.type}" + (f": {ann.note}" if ann.note else ""))


def _measure(size: int) -> Callable[[str], float]:
    """Width (px) of a text in the bundled font at ``size`` px, with drawtext's box border (3 px a side)."""
    try:
        from PIL import ImageFont

        font = ImageFont.load_default(size=size)
        return lambda text: float(font.getlength(text)) + 6
    except (ImportError, AttributeError):  # pragma: no cover - Pillow is a dependency
        return lambda text: 0.62 * size * len(text) + 6


def measure_text(text: str, size: int) -> float:
    """Width (px) drawtext gives ``text`` at ``size`` px in the bundled font, box border included."""
    return _measure(size)(text)


def wrap_caption(text: str, width_px: int, size: int, max_lines: int = MAX_LINES) -> list[str]:
    """``text`` broken at spaces into lines at most ``width_px`` wide (``size`` px font).

    A word longer than a line is cut; past ``max_lines`` the last line ends in "...".
    """
    measure = _measure(size)
    lines: list[str] = []
    for word in text.split():
        while measure(word) > width_px and len(word) > 1:  # a word wider than a line: cut it
            cut = max([n for n in range(1, len(word)) if measure(word[:n]) <= width_px] or [1])
            lines, word = _push(lines, word[:cut], measure, width_px), word[cut:]
        lines = _push(lines, word, measure, width_px)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + "...") > width_px:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + "..."]
    return lines or [""]


def _push(lines: list[str], word: str, measure: Callable[[str], float], width_px: int) -> list[str]:
    if lines and measure(f"{lines[-1]} {word}") <= width_px:
        return lines[:-1] + [f"{lines[-1]} {word}"]
    return lines + [word]


def caption_lanes(project: Project, start_s: float, duration_s: float,
                  caption_s: float) -> list[tuple[int, float, float, Any]]:
    """``(lane, from_s, to_s, annotation)`` in output seconds; overlapping captions get other lanes."""
    placed: list[tuple[int, float, float, Any]] = []
    lane_end: list[float] = []
    for ann in project.annotations:
        a = ann.shared_s - start_s
        b = (ann.end_s - start_s) if ann.end_s is not None else a + caption_s
        if b <= 0 or a >= duration_s:
            continue
        lane = next((i for i, end in enumerate(lane_end) if end <= a), len(lane_end))
        if lane == len(lane_end):
            lane_end.append(b)
        else:
            lane_end[lane] = b
        placed.append((lane, a, b, ann))
    return placed


def plan_captions(project: Project, start_s: float, end_s: float, caption_s: float, width: int,
                  size: int) -> tuple[list[Caption], int]:
    """The captions of shared range ``[start_s, end_s)`` in strip coordinates, and the strip's height (px).

    Boxes are 8 px from the frame's sides (``width - 16`` wide) and stacked by
    lane, each lane as tall as the longest caption; the height is 0 when no
    event falls in the range.
    """
    texts = caption_lanes(project, start_s, end_s - start_s, caption_s)
    lines = [wrap_caption(_caption_text(ann), width - 16, size) for *_, ann in texts]
    per_lane = max((len(x) for x in lines), default=0)
    lanes = max((lane for lane, *_ in texts), default=-1) + 1
    line_h = size + LEADING
    strip_h = 2 * ((lanes * per_lane * line_h + 5) // 2) if lanes else 0  # even, 2 px above and below
    captions = [Caption(lane, a, b, tuple(text), 0, lane * per_lane * line_h, width - 16, len(text) * line_h,
                        line_h) for (lane, a, b, _), text in zip(texts, lines, strict=True)]
    return captions, strip_h
