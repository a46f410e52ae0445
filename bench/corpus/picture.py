"""Camera pictures on true time: real video backgrounds, flashes, burned-in clocks.

Frame ``k`` of a camera at ``fps`` shows local time ``k / fps``, true time
``start + rate * k / fps``; its exposure is the frame interval. A flash on true
time ``[t, t + d)`` brightens each frame by the fraction of its interval the
flash covers (a one-frame flash lights one frame, or two frames partly), over
the whole frame or a disk (a local flash: muzzle, light bar).

Overlay styles (the clock a device burns into its frames, from its own clock):

- ``bodycam``: ``YYYY-MM-DD HH:MM:SS`` with ``Z`` or a zone offset, a device id line, on a box;
- ``dvr_mdy`` / ``dvr_dmy``: 12-hour ``MM/DD/YYYY hh:mm:ss PM`` (or day first), no zone, on a box;
- ``small``: small semi-transparent ``YYYY/MM/DD HH:MM:SS`` without a box;
- ``airborne``: ``HH:MM:SS.tZ`` (tenths, Z, no date) between latitude/longitude and altitude lines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import cv2
import numpy as np

from corpus.material import video_frames

STYLES = ("bodycam", "dvr_mdy", "dvr_dmy", "small", "airborne")
FONT = cv2.FONT_HERSHEY_SIMPLEX


def device_value(ov: dict, true_s: float) -> float:
    """The device clock (s since 1970, UTC) at true time ``true_s``: truth + error + jumps."""
    value = ov["utc_at_true_zero"] + ov["device_error_s"] + true_s
    for jump in ov.get("jumps", []):
        if true_s >= jump["at_true_s"]:
            value += jump["jump_s"]
    return value


def overlay_lines(ov: dict, value: float) -> list[str]:
    """The text lines of style ``ov["style"]`` showing device clock ``value``."""
    zone = timezone(timedelta(minutes=ov["zone_minutes"]))
    style = ov["style"]
    if style == "airborne":
        tenths = int(np.floor(value * 10 + 1e-9))
        shown = datetime.fromtimestamp(tenths // 10, UTC)
        return [ov["position"], f"{shown:%H:%M:%S}.{tenths % 10}Z", ov["altitude"]]
    shown = datetime.fromtimestamp(int(np.floor(value + 1e-9)), UTC).astimezone(zone)
    if style == "bodycam":
        tail = "Z" if ov["zone_minutes"] == 0 else shown.strftime("%z")[:3] + ":" + shown.strftime("%z")[3:]
        sep = ov.get("separator", " ")
        return [f"{shown:%Y-%m-%d}{sep}{shown:%H:%M:%S} {tail}", ov["device_id"]]
    if style == "dvr_mdy":
        return [f"{shown:%m/%d/%Y %I:%M:%S %p}", ov["device_id"]]
    if style == "dvr_dmy":
        return [f"{shown:%d/%m/%Y %I:%M:%S %p}", ov["device_id"]]
    return [f"{shown:%Y/%m/%d %H:%M:%S}"]


def _draw_text(img: np.ndarray, ov: dict, lines: list[str]) -> None:
    h, w = img.shape[:2]
    small = ov["style"] == "small"
    scale = h * (0.018 if small else 0.032) * ov.get("size", 1.0) / 22.0 * 1.6
    thick = max(1, int(round(scale * 1.6)))
    line_h = int(round(30 * scale)) + 4
    x0 = int(ov["corner"][0] * w) + 6
    y0 = int(ov["corner"][1] * (h - line_h * len(lines) - 8)) + line_h
    layer = img.copy()
    if ov["box"]:
        width = max(cv2.getTextSize(t, FONT, scale, thick)[0][0] for t in lines)
        cv2.rectangle(layer, (x0 - 4, y0 - line_h + 2), (min(w - 1, x0 + width + 4), y0 + line_h * (len(lines) - 1) + 8),
                      (0, 0, 0), -1)
    for i, text in enumerate(lines):
        org = (x0, y0 + i * line_h)
        if ov["style"] == "airborne":  # a dark outline: the same text shifted around it
            for dx, dy in ((-1, -1), (-1, 1), (1, -1), (1, 1), (0, 2), (2, 0), (0, -2), (-2, 0)):
                cv2.putText(layer, text, (org[0] + dx, org[1] + dy), FONT, scale, (0, 0, 0), thick, cv2.LINE_AA)
        cv2.putText(layer, text, org, FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)
    alpha = ov.get("alpha", 1.0)
    if alpha >= 1.0:
        img[:] = layer
    else:
        img[:] = cv2.addWeighted(layer, alpha, img, 1.0 - alpha, 0.0)


def _flash(img: np.ndarray, weight: float, flash: dict) -> None:
    if weight <= 0:
        return
    gain = weight * flash["strength"]
    f = img.astype(np.float32)
    if flash["local"]:
        h, w = img.shape[:2]
        yy, xx = np.ogrid[:h, :w]
        cx, cy, r = flash["x"] * w, flash["y"] * h, flash["r"] * min(h, w)
        mask = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))[..., None]
        f += gain * mask * (255 - f)
    else:
        f += gain * (255 - f)
    img[:] = np.clip(f, 0, 255).astype(np.uint8)


def frames(cam: dict, flashes: list[dict], overlay: dict | None):
    """Yield the RGB frames of camera ``cam`` (its clip, size, fps, start, rate, frame count)."""
    clip, clip_fps = video_frames(cam["clip"], cam["width"])
    n_clip = len(clip)
    period = 2 * n_clip - 2
    fps, start, rate = cam["fps"], cam["start_true_s"], cam["rate"]
    for k in range(cam["frames"]):
        local = k / fps
        j = int(round((local + cam["clip_offset_s"]) * clip_fps)) % period
        img = clip[j if j < n_clip else period - j].copy()
        t0, t1 = start + rate * local, start + rate * (k + 1) / fps
        for fl in flashes:
            cover = min(t1, fl["at_true_s"] + fl["duration_s"]) - max(t0, fl["at_true_s"])
            if cover > 0:
                _flash(img, cover / (t1 - t0), fl)
        if overlay is not None:
            _draw_text(img, overlay, overlay_lines(overlay, device_value(overlay, t0)))
        yield img
