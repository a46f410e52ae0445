"""Synthetic pictures: a night street seen by two body cams and a thermal camera.

Each frame ``i`` of a device shows the scene at the true time of the frame's
start, ``tau_i = start_true_s + rate * i / fps``. Content is deliberately simple
(flat gradients, a few moving shapes) so H.264 keeps the files small.

Flashes: a muzzle flash lasts :data:`FLASH_DURATION_S` from each shot's onset.
A frame's flash brightness is proportional to the part of the frame's interval
``[tau_i, tau_{i+1})`` that the flash covers (sub-frame placement).

Clock overlays show the device clock at the frame's start, to the whole second
(the seconds digit ticks on the first frame starting at or after the tick).
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from timesync.samples.scenario import FLASH_DURATION_S, Device, Scenario

__all__ = ["FrameRenderer", "flash_coverage", "body_overlay_text", "thermal_overlay_text"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def flash_coverage(shots_true_s: np.ndarray, tau0: float, tau1: float) -> np.ndarray:
    """Fraction (0..1) of ``[tau0, tau1)`` covered by each shot's flash."""
    lo = np.maximum(shots_true_s, tau0)
    hi = np.minimum(shots_true_s + FLASH_DURATION_S, tau1)
    return np.clip(hi - lo, 0.0, None) / (tau1 - tau0)


def body_overlay_text(dev: Device, i: int) -> str:
    """Body-cam overlay of frame ``i``: ``2024-05-17 21:02:33  AXON-A1 X81234567``."""
    clock = dev.clock_reading(dev.frame_start(i))
    return f"{clock:%Y-%m-%d %H:%M:%S}  {dev.device_id}"


def thermal_overlay_text(dev: Device, i: int) -> str:
    """Thermal overlay of frame ``i``: ``17/05/2024 21:02:35Z`` (day first, UTC)."""
    clock = dev.clock_reading(dev.frame_start(i))
    return f"{clock:%d/%m/%Y %H:%M:%S}Z"


# -- the world -------------------------------------------------------------------
# World coordinates: x along the street (m, -20..20), z depth from the near kerb
# (m, 0..12). People walk, a car drives, the shooter stands at SHOOTER.
SHOOTER = (4.0, 7.0)


def _actors(tau: float) -> list[tuple[str, float, float]]:
    """(kind, x, z) of every moving thing at true time ``tau``."""
    out = [("person", SHOOTER[0] + 0.3 * np.sin(tau * 0.7), SHOOTER[1])]
    out.append(("officer", -3.0 + 0.6 * np.sin(tau * 0.21), 3.0))
    out.append(("officer", -5.5 + 0.5 * np.sin(tau * 0.17 + 1.0), 3.6))
    for k, speed in enumerate((1.3, -1.1, 0.9)):
        x = (tau * speed + 13 * k) % 44 - 22
        out.append(("person", x, 1.0 + 4.5 * k % 10))
    out.append(("car", (tau * 7.5) % 70 - 35, 9.5))
    return out


class FrameRenderer:
    """Draws frames of one device; ``render(i)`` gives an RGB (or gray) uint8 array."""

    def __init__(self, scn: Scenario, dev: Device, *, mirror: bool = False) -> None:
        self.dev = dev
        self.w, self.h = dev.size
        self.mirror = mirror
        self.shots = np.asarray(scn.shots_true_s)
        self.thermal = dev.kind == "thermal"
        self.background = self._thermal_bg() if self.thermal else self._street_bg()
        self.scale = self.h / 720.0
        self._font_scale = 1.3 * self.scale
        self._thickness = max(1, round(2 * self.scale))

    # -- backgrounds ---------------------------------------------------------------
    def _street_bg(self) -> np.ndarray:
        w, h = self.w, self.h
        y = np.linspace(0.0, 1.0, h)[:, None, None]
        sky = np.array([18, 24, 52]) * (1 - y) + np.array([70, 62, 80]) * y
        img = np.broadcast_to(sky, (h, w, 3)).copy()
        horizon = round(0.5 * h)
        road = np.linspace(0.0, 1.0, h - horizon)[:, None, None]
        img[horizon:] = np.array([40, 40, 44]) * (1 - road) + np.array([78, 76, 72]) * road
        img = img.astype(np.uint8)
        rng = np.random.default_rng(7 if not self.mirror else 8)
        x = 0
        while x < w:  # buildings with a few lit windows
            bw = int(rng.integers(w // 10, w // 5))
            bh = int(rng.integers(h // 6, h // 3))
            shade = int(rng.integers(25, 45))
            cv2.rectangle(img, (x, horizon - bh), (x + bw, horizon), (shade, shade, shade + 8), -1)
            for _ in range(int(rng.integers(1, 5))):
                wx = x + int(rng.integers(4, max(5, bw - 12)))
                wy = horizon - bh + int(rng.integers(4, max(5, bh - 12)))
                s = max(2, round(10 * h / 720))
                cv2.rectangle(img, (wx, wy), (wx + s, wy + s), (200, 180, 90), -1)
            x += bw + int(rng.integers(0, w // 20))
        cv2.line(img, (0, round(0.78 * h)), (w, round(0.78 * h)), (150, 150, 140), max(1, h // 180))
        return img

    def _thermal_bg(self) -> np.ndarray:
        w, h = self.w, self.h
        yy, xx = np.mgrid[0:h, 0:w]
        img = 40 + 18 * (xx / w) + 10 * (yy / h)
        road = (np.abs(yy - 0.55 * h) < 0.12 * h)
        img = np.where(road, img + 22, img)
        rng = np.random.default_rng(9)
        for _ in range(6):  # cold roofs
            x0, y0 = int(rng.integers(0, w - w // 6)), int(rng.choice([rng.integers(0, h // 4), rng.integers(h * 3 // 4, h - h // 8)]))
            img[y0 : y0 + h // 8, x0 : x0 + w // 6] -= 15
        return np.clip(img, 0, 255).astype(np.uint8)

    # -- projection ----------------------------------------------------------------
    def _project(self, x: float, z: float) -> tuple[int, int, float]:
        """Image position (px) and size factor of world point (x, z) for a body cam."""
        if self.mirror:
            x = -x + 2.0
            z = 12.0 - z
        depth = 0.55 + 0.45 * (1 - z / 12.0)  # nearer is bigger and lower
        u = self.w / 2 + x * self.w / 40 * depth
        v = self.h * (0.52 + 0.40 * (1 - z / 12.0))
        return round(u), round(v), depth

    def _top_down(self, x: float, z: float) -> tuple[int, int]:
        u = self.w / 2 + x * self.w / 44
        v = self.h * (0.40 + 0.30 * z / 12.0)
        return round(u), round(v)

    def flash_position(self) -> tuple[int, int]:
        """Pixel (x, y) of the centre of the muzzle flash on the thermal camera."""
        u, v = self._top_down(*SHOOTER)
        return u + round(24 * self.h / 540), v

    # -- frames --------------------------------------------------------------------
    def render(self, i: int) -> np.ndarray:
        """The frame ``i`` (RGB for body cams, gray for the thermal camera)."""
        t0 = float(self.dev.frame_start(i))
        t1 = float(self.dev.frame_start(i + 1))
        tau0, tau1 = self.dev.true_time(t0), self.dev.true_time(t1)
        flash = float(np.max(flash_coverage(self.shots, tau0, tau1), initial=0.0))
        if self.thermal:
            return self._render_thermal(i, tau0, flash)
        return self._render_body(i, tau0, flash)

    def _render_body(self, i: int, tau: float, flash: float) -> np.ndarray:
        img = self.background.copy()
        s = self.h / 720
        for kind, x, z in sorted(_actors(tau), key=lambda a: -a[2] if not self.mirror else a[2]):
            u, v, d = self._project(x, z)
            if kind == "car":
                cw, ch = round(190 * s * d), round(70 * s * d)
                cv2.rectangle(img, (u - cw // 2, v - ch), (u + cw // 2, v), (120, 30, 30), -1)
                cv2.rectangle(img, (u - cw // 3, v - ch - ch // 2), (u + cw // 4, v - ch), (90, 25, 25), -1)
                continue
            color = (20, 30, 80) if kind == "officer" else (110, 90, 70)
            bh, bw = round(150 * s * d), round(40 * s * d)
            cv2.rectangle(img, (u - bw // 2, v - bh), (u + bw // 2, v), color, -1)
            cv2.circle(img, (u, v - bh - round(14 * s * d)), round(14 * s * d), (190, 150, 120), -1)
        if flash > 0:
            u, v, d = self._project(*SHOOTER)
            u += round(30 * s * d) * (-1 if self.mirror else 1)
            v -= round(100 * s * d)
            r = max(2, round(22 * s * d))
            patch = img[max(0, v - 2 * r) : v + 2 * r, max(0, u - 2 * r) : u + 2 * r]
            glow = np.zeros_like(patch)
            cv2.circle(glow, (patch.shape[1] // 2, patch.shape[0] // 2), r, (255, 240, 190), -1)
            patch[:] = np.clip(patch + flash * glow.astype(np.float64), 0, 255).astype(np.uint8)
        self._text_box(img, body_overlay_text(self.dev, i), (round(16 * s), round(16 * s)))
        return img

    def _render_thermal(self, i: int, tau: float, flash: float) -> np.ndarray:
        img = self.background.copy()
        s = self.h / 540
        for kind, x, z in _actors(tau):
            u, v = self._top_down(x, z)
            if kind == "car":
                cv2.rectangle(img, (u - round(40 * s), v - round(18 * s)), (u + round(40 * s), v + round(18 * s)), 95, -1)
                cv2.circle(img, (u + round(28 * s), v), round(10 * s), 200, -1)  # warm engine
            else:
                cv2.circle(img, (u, v), max(2, round(9 * s)), 165, -1)
        img = cv2.GaussianBlur(img, (0, 0), max(0.6, 1.6 * s))
        if flash > 0:
            u, v = self.flash_position()
            r = max(2, round(13 * s))
            glow = np.zeros(img.shape, np.float64)
            cv2.circle(glow, (u, v), r, 1.0, -1)
            glow = cv2.GaussianBlur(glow, (0, 0), max(1.0, 3 * s))
            # Brightness proportional to the flash's coverage of the frame interval.
            img = np.clip(img + flash * 175.0 * glow, 0, 255).astype(np.uint8)
        text = thermal_overlay_text(self.dev, i)
        self._text_box(img, text, (round(self.w / 2 - 190 * s), round(self.h - 46 * s)), gray=True)
        return img

    def _text_box(self, img: np.ndarray, text: str, origin: tuple[int, int], *, gray: bool = False) -> None:
        """White text on a dark box with its top-left corner at ``origin``."""
        scale = self._font_scale if not gray else 1.0 * self.h / 540
        thick = self._thickness if not gray else max(1, round(2 * self.h / 540))
        # The box is sized for all-zero digits, so it does not change with the time.
        (tw, th), base = cv2.getTextSize(re.sub(r"\d", "0", text), _FONT, scale, thick)
        pad = max(2, round(8 * self.scale))
        x, y = origin
        dark = 10 if gray else (10, 10, 10)
        white = 250 if gray else (250, 250, 250)
        cv2.rectangle(img, (x, y), (x + tw + 2 * pad, y + th + base + 2 * pad), dark, -1)
        cv2.putText(img, text, (x + pad, y + pad + th), _FONT, scale, white, thick, cv2.LINE_AA)
