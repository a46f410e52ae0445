"""The audio half of bench_playback: start latency and audio-vs-clock offset through a real sound server.

Plays the sample incident in the real window (offscreen) into a PulseAudio null
sink (``PULSE_SERVER`` when set, else a private daemon started here when
``pulseaudio`` is installed) and records the sink's monitor in a child process.

* **start latency**: from ``clock.play()`` to the moment the app's first playing
  sample is due at the speaker (its sample clock: callback time + half the device
  buffer), over ``--plays`` plays from seeded random times;
* **audio vs clock**: the recording, cut in 0.2 s windows, cross-correlated
  with the focused source's audio at the shared clock's time (its ``ClockMap``):
  the lag of each window (ms; positive: the sound comes late).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.pulse import SR, Recorder, pulse_missing  # noqa: E402
from tests.pulse import start_pulse as _start_pulse  # noqa: E402


def start_pulse(folder: Path) -> subprocess.Popen | None:
    """A private PulseAudio daemon with a null sink; sets ``PULSE_SERVER``. ``None`` if not installed."""
    if os.environ.get("PULSE_SERVER") or pulse_missing():
        return None
    daemon, server = _start_pulse(folder, "benchnull")
    if server is None:
        return None
    os.environ["PULSE_SERVER"] = server
    return daemon


def window_lags(recorded: np.ndarray, expected: np.ndarray) -> list[tuple[float, float]]:
    """``(lag_s, peak)`` per 0.2 s window where ``expected`` has sound."""
    out, w, max_lag = [], SR // 5, SR // 4
    for start in range(0, recorded.size - w, w):
        r, e = recorded[start:start + w], expected[start:start + w]
        if np.linalg.norm(e) < 1e-3:
            continue
        n = 2 * w
        corr = np.fft.irfft(np.fft.rfft(r, n) * np.conj(np.fft.rfft(e, n)), n)
        lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
        values = np.r_[corr[:max_lag + 1], corr[-max_lag:]]
        best = int(np.argmax(values))
        out.append((lags[best] / SR, float(values[best] / (np.linalg.norm(r) * np.linalg.norm(e) + 1e-12))))
    return out


def measure_audio(app, win, spin, t0: float, seconds: float, plays: int, seed: int = 7) -> dict | None:
    """Both audio figures with an open window; ``None`` when there is no sound server."""
    from timesync.media import decode_audio

    folder = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    engine = win.grid.audio
    if not engine.wait_ready() or engine.output is None:
        return {"unavailable": engine.unavailable or "no audio output"}
    view = win.grid.focused_view
    clock_map = view.spec.clock
    source = decode_audio(view.spec.path, sr=SR)
    # -- start latency -------------------------------------------------------------------
    rng = np.random.default_rng(seed)
    starts = []
    for target in rng.uniform(win.clock.start_s + 1, win.clock.end_s - 2, plays):
        win.clock.seek(float(target))
        spin(app, lambda: False, 0.3)
        begin = time.monotonic_ns()
        win.clock.play()
        spin(app, lambda: engine.first_sound_ns > 0, 3)
        if engine.first_sound_ns:
            starts.append((engine.first_sound_ns - begin) / 1e6)
        win.clock.pause()
    # -- audio vs clock ------------------------------------------------------------------
    win.clock.seek(t0)
    recorder = Recorder(folder)
    spin(app, lambda: False, 0.3)
    win.clock.play()
    spin(app, lambda: win.clock.time >= t0 + seconds, seconds + 30)
    win.clock.pause()
    state = engine.played_state
    mono, recorded = recorder.stop()
    local = clock_map.to_local(state.time_s + (mono - state.mono_ns) * 1e-9)
    expected = np.interp(local * SR, np.arange(source.size), source, left=0.0, right=0.0)
    keep = (local > clock_map.to_local(t0 + 0.3)) & (local < clock_map.to_local(t0 + seconds - 0.3))
    lags = window_lags(recorded[keep], expected[keep].astype(np.float32))
    found = np.array([lag for lag, peak in lags if peak > 0.2]) * 1e3
    shutil.rmtree(folder, ignore_errors=True)
    frame_ms = 1e3 / ((view.spec.extra.get("probe") or {}).get("video", {}).get("fps") or 30)
    return {
        "backend": engine.output.backend, "source": view.spec.label, "frame_ms": frame_ms,
        "start_median_ms": float(np.median(starts)), "start_max_ms": float(np.max(starts)), "plays": len(starts),
        "windows": len(lags), "matched": int(found.size),
        "lag_median_ms": float(np.median(found)) if found.size else float("nan"),
        "lag_p90_ms": float(np.percentile(np.abs(found), 90)) if found.size else float("nan"),
        "within_frame": float(np.mean(np.abs(found) < frame_ms)) if found.size else 0.0,
        "seconds": seconds,
    }


def report_audio(fig: dict | None) -> list[str]:
    """The audio lines of the Review app section."""
    if fig is None or "unavailable" in fig:
        why = fig["unavailable"] if fig else "no sound server (PulseAudio is not installed)"
        return ["", f"**Audio**: not measured: {why}."]
    return [
        "",
        f"**Audio** ({fig['backend']} null sink, recorded from its monitor; the focused source "
        f"{fig['source']}, frame {fig['frame_ms']:.1f} ms):",
        "",
        f"* start: the first sample is due at the speaker a median {fig['start_median_ms']:.0f} ms "
        f"(max {fig['start_max_ms']:.0f} ms) after `play` over {fig['plays']} plays (target: within 150 ms);",
        f"* against the clock over {fig['seconds']:.0f} s at 1x: {fig['matched']} of {fig['windows']} windows of "
        f"0.2 s found the source's sound; their lag behind the clock: median {fig['lag_median_ms']:+.1f} ms, "
        f"90th percentile of |lag| {fig['lag_p90_ms']:.1f} ms; {100 * fig['within_frame']:.0f} % within one frame "
        "(target: within one frame).",
    ]
