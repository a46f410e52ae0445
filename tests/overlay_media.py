"""Clips with burned-in clocks drawn by the tests (shared by the overlay and device-clock tests).

:func:`draw_text` draws clock lines with OpenCV (optionally on a black box and
semi-transparent, as small overlays without a box are); :func:`write_h264` encodes
frames with PyAV (H.264, yuv420p, one frame per ``1/fps`` s, pts from 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np


def draw_text(image: np.ndarray, lines: Sequence[str], org: tuple[int, int], scale: float, *,
              alpha: float = 1.0, box: tuple[int, int, int, int] | None = None, line_step: int = 22) -> np.ndarray:
    """``image`` (RGB) with white ``lines`` from ``org`` (baseline of the first), ``line_step`` px apart.

    ``box`` ``(x0, y0, x1, y1)``: a black box drawn under the text first; ``alpha`` < 1: the text
    (and box) blended over the picture (semi-transparent).
    """
    import cv2

    layer = image.copy()
    if box is not None:
        cv2.rectangle(layer, box[:2], box[2:], (0, 0, 0), -1)
    for k, line in enumerate(lines):
        cv2.putText(layer, line, (org[0], org[1] + line_step * k), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return layer if alpha >= 1.0 else cv2.addWeighted(layer, alpha, image, 1.0 - alpha, 0)


def write_h264(path: Path, frames: Iterable[np.ndarray], fps: int, size: tuple[int, int], crf: int = 18,
               metadata: dict[str, str] | None = None) -> Path:
    """Encode RGB ``frames`` of ``size`` ``(width, height)`` at ``fps`` into ``path`` with the
    container ``metadata`` tags (e.g. ``creation_time``); ``path``."""
    import av

    with av.open(str(path), "w") as out:
        out.metadata.update(metadata or {})
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"preset": "ultrafast", "crf": str(crf)}
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path


def grey_frames(video: Path, width: int, count: int = 150) -> list[np.ndarray]:
    """The first ``count`` frames of a real video, grey, ``width`` pixels wide (even height)."""
    return _resized_frames(video, width, count, "gray")


def _resized_frames(video: Path, width: int, count: int, pixel_format: str) -> list[np.ndarray]:
    """The first ``count`` frames of a real video as ``pixel_format`` arrays, ``width`` pixels wide (even height)."""
    import av
    import cv2

    frames = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_ndarray(format=pixel_format)
            height = round(picture.shape[0] * width / picture.shape[1] / 2) * 2
            frames.append(cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA))
            if len(frames) >= count:
                break
    return frames


def write_clock_over(path: Path, background: list[np.ndarray], seconds: float, scale: float, alpha: float, *,
                     fps: int, t0) -> Path:
    """``background`` played back and forth, the clock ``t0 + t`` (``YYYY/MM/DD HH:MM:SS``, white,
    ``alpha`` opaque, no box) in its bottom left corner: an H.264 file of ``seconds`` at ``fps``."""
    from datetime import timedelta

    height, width = background[0].shape
    period = 2 * len(background) - 2

    def frames():
        for i in range(round(seconds * fps)):
            j = i % period
            grey = background[j if j < len(background) else period - j]
            text = [(t0 + timedelta(seconds=i / fps)).strftime("%Y/%m/%d %H:%M:%S")]
            yield draw_text(np.stack([grey] * 3, -1), text, (6, height - 8), scale, alpha=alpha)

    return write_h264(path, frames(), fps, (width, height))


def write_airborne_over(path: Path, background: list[np.ndarray], seconds: float, scale: float, *,
                        fps: int, t0, position: str = "N33 12.345 W097 08.123", altitude: str = "ALT 01850 FT") -> Path:
    """``background`` played back and forth under an airborne overlay: ``position``, the time
    ``HH:MM:SS.tZ`` (tenths, ``Z``, no date) of ``t0 + t`` and ``altitude``, white with a dark outline
    (the text drawn shifted around it first), no box, top left: an H.264 file of ``seconds`` at ``fps``."""
    from datetime import timedelta

    import cv2

    height, width = background[0].shape
    period = 2 * len(background) - 2
    thick = max(1, round(scale * 1.6))
    step = round(30 * scale) + 4

    def frames():
        for i in range(round(seconds * fps)):
            j = i % period
            image = np.stack([background[j if j < len(background) else period - j]] * 3, -1).copy()
            shown = t0 + timedelta(seconds=i / fps)
            lines = [position, f"{shown:%H:%M:%S}.{shown.microsecond // 100000}Z", altitude]
            for k, line in enumerate(lines):
                org = (12, step * (k + 1))
                for dx, dy in ((-1, -1), (-1, 1), (1, -1), (1, 1), (0, 2), (2, 0), (0, -2), (-2, 0)):
                    cv2.putText(image, line, (org[0] + dx, org[1] + dy), cv2.FONT_HERSHEY_SIMPLEX, scale,
                                (0, 0, 0), thick, cv2.LINE_AA)
                cv2.putText(image, line, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
            yield image

    return write_h264(path, frames(), fps, (width, height))


def colour_frames(video: Path, width: int, count: int = 400) -> list[np.ndarray]:
    """The first ``count`` frames of a real video in colour (RGB), ``width`` pixels wide (even height)."""
    return _resized_frames(video, width, count, "rgb24")


def write_faint_clock(path: Path, background: list[np.ndarray], seconds: float, *, fps: int, t0,
                      alpha: float, size: float = 0.9, top: bool = False, source_fps: float | None = None,
                      white_under: bool = False, crf: int = 23, inset: int = 6) -> Path:
    """A small faint clock over real colour video, as an evidence room sees it: an H.264 file.

    ``background`` (RGB frames, e.g. :func:`colour_frames`) is played back and forth at its own
    ``source_fps`` (default ``fps``) under ``t0 + t`` as ``YYYY/MM/DD HH:MM:SS``: white, Hershey
    simplex, no box, blended at ``alpha``, its height set by the frame's (``size`` 1.0: digits about
    2.7 % of the frame height, so 5-6 px at 272 rows, 8-9 px at 480), in the bottom (or ``top``) left
    corner, ``inset`` px from the left edge; H.264 at ``crf`` (23: as compressed as the stress corpus).
    ``white_under``: a saturated white band under the text for the whole clip (nothing to read).
    """
    from datetime import timedelta

    import cv2

    height, width = background[0].shape[:2]
    scale = height * 0.0013 * size
    line_h = round(30 * scale) + 4
    org = (inset, line_h if top else height - 8)
    period = 2 * len(background) - 2
    step = (source_fps or fps) / fps

    def frames():
        for i in range(round(seconds * fps)):
            j = round(i * step) % period
            image = background[j if j < len(background) else period - j].copy()
            if white_under:
                image[org[1] - line_h:org[1] + 6, : width // 2] = 255
            layer = image.copy()
            shown = t0 + timedelta(seconds=i / fps)
            cv2.putText(layer, shown.strftime("%Y/%m/%d %H:%M:%S"), org, cv2.FONT_HERSHEY_SIMPLEX, scale,
                        (255, 255, 255), 1, cv2.LINE_AA)
            yield cv2.addWeighted(layer, alpha, image, 1.0 - alpha, 0.0)

    return write_h264(path, frames(), fps, (width, height), crf=crf)
