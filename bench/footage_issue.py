"""The footage issue 14 names, built once: three 1080p30 body cams and a 25 fps helicopter.

``bench_footage.py --issue-footage`` measures on it (:mod:`footage_measure`). Built once
and cached under ``~/.cache/timesync-bench/footage/issue-<minutes>min`` (about 9 GB for
60 minutes, never committed), with ``truth.json`` (every file's start on the shared
clock, the shots) and a stamp of how it was made.

* ``bodycam_A/B/C.mp4``: 1920x1080, 30 fps H.264 at about 5 Mbit/s (:mod:`footage_picture`)
  with AAC 48 kHz mono, ``minutes`` long. To keep the one-time build short on a shared
  machine, each camera's picture is :data:`CAM_LOOP_S` seconds of its own varied picture
  encoded once and repeated to the full length by stream copy (byte concatenation of the
  raw H.264, every repeat starting at an IDR frame): **the picture repeats**, the
  decoder's work per frame and the bit rate do not change. The audio does not repeat:
  each camera hears its own ``minutes`` of one shared scene (:func:`bench_audio.scene`:
  the real recordings of ``../shared/media`` cut and re-assembled, with door, punch and
  boom impulses), from its own start (:data:`STARTS_S`), with its own noise, plus the
  gunshots of :func:`shots` (the sample incident's synthetic shot sound).
* ``helicopter.mp4``: 1920x1080 gray thermal picture, 25 fps, about 5 Mbit/s, ``minutes``
  long, starting :data:`HELI_START_S` before camera A; its audio is its own rotor noise
  (no shared sound). Its picture is a loop of :data:`HELI_LOOP_S` seconds in GOPs of
  5 s; the GOPs where a shot's muzzle flash falls are encoded again with the flash (at
  the shot's true time, sub-frame), so the flashes are where the shots are, not periodic.
  The audio-visual aligner places it (shots heard by the body cams against flashes seen).

Sound travel is not simulated (every camera hears a shot at its emission time); the clocks
run at the same rate (no drift). Truth: ``offset_s`` of a file = the shared time (camera
A's local time) of its local 0.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
from bench_audio import scene
from footage_picture import FLASH_S, THERMAL_GOP, Thermal, write_bodycam_clip, write_thermal_gop

SR, CAM_FPS, HELI_FPS = 48000, 30, 25
#: Seconds of picture each body cam's encoded loop holds.
CAM_LOOP_S = 60
#: Seconds of the helicopter's unlit loop (a whole number of GOPs).
HELI_LOOP_S = 60
#: Shared-clock start (s) of each body cam (A: the reference).
STARTS_S = {"bodycam_A.mp4": 0.0, "bodycam_B.mp4": 37.25, "bodycam_C.mp4": 81.625}
#: Shared-clock start (s) of the helicopter video (it starts before camera A).
HELI_START_S = -12.34
#: Scene seconds before shared 0 (so that the helicopter's start is in the scene).
LEAD_S = 20.0
VERSION = 1


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def shots(minutes: float) -> np.ndarray:
    """Shared-clock times (s, on the 48 kHz grid) of the shots: bursts of 2 to 5 shots,
    100 to 400 ms apart, at irregular times over the part every camera covers."""
    rng = np.random.default_rng(1414)
    lo = min(100.0, minutes * 12.0)
    hi = minutes * 60.0 - lo
    starts = np.sort(rng.uniform(lo, hi, max(4, round(minutes / 6))))
    out = []
    for t in starts:
        for _ in range(int(rng.integers(2, 6))):
            out.append(round(t * SR) / SR)
            t += rng.uniform(0.100, 0.400)
    return np.array(out)


def _pcm_to_aac(path: Path, blocks) -> None:
    """Encode float32 mono blocks at :data:`SR` to AAC ``path`` (ffmpeg's encoder, 96 kbit/s)."""
    cmd = [ffmpeg(), "-v", "error", "-y", "-f", "f32le", "-ar", str(SR), "-ac", "1", "-i", "pipe:0",
           "-c:a", "aac", "-b:a", "96k", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as p:
        for x in blocks:
            p.stdin.write(np.clip(x, -1, 1).astype("<f4").tobytes())
        p.stdin.close()
    if p.returncode != 0:
        raise SystemExit(f"ffmpeg could not encode {path}")


def _cam_blocks(mat: np.ndarray, start_s: float, seconds: float, seed: int):
    rng = np.random.default_rng(seed)
    first, n = round((LEAD_S + start_s) * SR), round(seconds * SR)
    for lo in range(0, n, 60 * SR):
        x = mat[first + lo:first + min(n, lo + 60 * SR)] * 0.5
        yield x + rng.normal(0, 0.02, x.size).astype(np.float32)


def _rotor_blocks(seconds: float, seed: int):
    """A helicopter cabin, block by block: blade thumps (21.3 Hz), turbine whine, noise."""
    from scipy import signal

    rng = np.random.default_rng(seed)
    n, block = round(seconds * SR), 60 * SR
    tt = np.arange(round(0.018 * SR)) / SR
    thump = np.sin(2 * np.pi * 90 * tt) * np.exp(-tt / 0.006)
    beats = np.round(np.arange(0, n, SR / 21.3)).astype(np.int64)
    tail, zi = np.zeros(thump.size - 1), np.zeros(1)
    for lo in range(0, n, block):
        m = min(block, n - lo)
        pulses = np.zeros(m)
        idx = beats[(beats >= lo) & (beats < lo + m)] - lo
        pulses[idx] = rng.uniform(0.8, 1.0, idx.size)
        full = signal.fftconvolve(pulses, thump)
        full[:tail.size] += tail
        tail = full[m:].copy()
        t = (lo + np.arange(m)) / SR
        whine = 0.04 * np.sin(2 * np.pi * 3150 * t + 0.3 * np.sin(2 * np.pi * 0.2 * t))
        broad, zi = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(m), zi=zi)
        yield (0.45 * full[:m] + whine + 0.05 * broad).astype(np.float32)


def _mux(out: Path, pieces: list[Path], audio: Path, fps: int) -> None:
    """Join the raw H.264 ``pieces`` (byte concatenation) and mux them with ``audio`` into
    ``out`` (mp4): frame ``i`` at exactly ``i / fps`` s (time base 1/(512 fps))."""
    tick = 1_200_000 // fps  # the raw H.264 demuxer's time base is 1/1200000
    cmd = [ffmpeg(), "-v", "error", "-y", "-f", "h264", "-framerate", str(fps), "-i", "pipe:0", "-i", str(audio),
           "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-bsf:v", f"setts=ts=N*{tick}:duration={tick}",
           "-video_track_timescale", str(512 * fps), "-f", "mp4", str(out)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as p:
        for piece in pieces:
            p.stdin.write(piece.read_bytes())
        p.stdin.close()
    if p.returncode != 0:
        raise SystemExit(f"ffmpeg could not mux {out}")


def _bodycams(folder: Path, minutes: float, mat: np.ndarray, loop_s: int) -> None:
    seconds = minutes * 60.0
    repeats = round(seconds / loop_s)
    for k, (name, start) in enumerate(STARTS_S.items()):
        target = folder / name
        if target.exists():
            continue
        print(f"   writing {target} ({minutes:g} min, {loop_s} s of picture repeated)", flush=True)
        clip, audio = folder / f"{target.stem}.h264", folder / f"{target.stem}.m4a"
        write_bodycam_clip(clip, loop_s, CAM_FPS, seed=11 + k)
        _pcm_to_aac(audio, _cam_blocks(mat, start, seconds, seed=21 + k))
        part = target.with_suffix(".part.mp4")
        _mux(part, [clip] * repeats, audio, CAM_FPS)
        os.replace(part, target)
        clip.unlink()
        audio.unlink()


def _helicopter(folder: Path, minutes: float, shot_s: np.ndarray, loop_s: int) -> None:
    target = folder / "helicopter.mp4"
    if target.exists():
        return
    print(f"   writing {target} ({minutes:g} min, {loop_s} s loop, flashes at the shots)", flush=True)
    loop_gops = loop_s * HELI_FPS // THERMAL_GOP
    gops = round(minutes * 60 * HELI_FPS / THERMAL_GOP)
    thermal = Thermal(loop_gops * THERMAL_GOP, HELI_FPS, seed=31)
    gop_s = THERMAL_GOP / HELI_FPS
    lit_gops = {int((t + dt - HELI_START_S) // gop_s) for t in shot_s for dt in (0.0, FLASH_S)}
    unlit = [folder / f"heli_loop{g:03d}.h264" for g in range(loop_gops)]
    for g, piece in enumerate(unlit):
        write_thermal_gop(piece, thermal, g, HELI_START_S, None)
    lit = {g: folder / f"heli_lit{g:04d}.h264" for g in lit_gops if g < gops}
    for g, piece in lit.items():
        write_thermal_gop(piece, thermal, g, HELI_START_S, shot_s)
    audio = folder / "helicopter.m4a"
    _pcm_to_aac(audio, _rotor_blocks(minutes * 60.0, seed=41))
    part = target.with_suffix(".part.mp4")
    _mux(part, [lit.get(g, unlit[g % loop_gops]) for g in range(gops)], audio, HELI_FPS)
    os.replace(part, target)
    for p in [*unlit, *lit.values(), audio]:
        p.unlink()


def truth(minutes: float) -> dict:
    """Shared-clock start of every file (its ``offset_s``) and the shots (shared s)."""
    starts = dict(STARTS_S) | {"helicopter.mp4": HELI_START_S}
    return {"offset_s": starts, "shots_s": shots(minutes).tolist(), "minutes": minutes,
            "rate": 1.0, "sound_travel": "not simulated"}


def issue_footage(minutes: float = 60.0, cam_loop_s: int = CAM_LOOP_S, heli_loop_s: int = HELI_LOOP_S,
                  root: Path | None = None) -> tuple[list[Path], dict]:
    """The four files (body cams A, B, C, then the helicopter) and their truth, built once."""
    from bench_footage import CACHE

    folder = (root or CACHE) / f"issue-{minutes:g}min"
    names = [*STARTS_S, "helicopter.mp4"]
    files = [folder / n for n in names]
    desc = json.dumps({"version": VERSION, "minutes": minutes, "cam_loop_s": cam_loop_s,
                       "heli_loop_s": heli_loop_s, "truth": truth(minutes)})
    stamp = folder / "stamp.json"
    if stamp.exists() and stamp.read_text() == desc and all(f.exists() for f in files):
        return files, truth(minutes)
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / "building.json"  # files finished by an interrupted build of these settings stay
    if not building.exists() or building.read_text() != desc:
        for f in files:
            f.unlink(missing_ok=True)
        building.write_text(desc)
    from timesync.samples.audio import _gunshot  # the sample incident's shot sound

    shot_s = shots(minutes)
    mat = scene(minutes * 60.0 + LEAD_S + max(STARTS_S.values()) + 1.0, SR, seed=314)
    for seed, t in enumerate(shot_s):
        rng = np.random.default_rng(900 + seed)
        bang = (_gunshot(rng, SR) * rng.uniform(0.7, 0.9)).astype(np.float32)
        i = round((LEAD_S + t) * SR)
        mat[i:i + bang.size] += bang[:mat.size - i]
    _bodycams(folder, minutes, mat, min(cam_loop_s, round(minutes * 60)))
    del mat
    _helicopter(folder, minutes, shot_s, min(heli_loop_s, round(minutes * 60)))
    (folder / "truth.json").write_text(json.dumps(truth(minutes), indent=1))
    stamp.write_text(desc)
    building.unlink()
    return files, truth(minutes)
