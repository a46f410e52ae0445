"""Bad input against the memory bound (issue 14): peak memory and time of ``timesync sync``.

Each case is generated here with FFmpeg (imageio-ffmpeg's binary), under
``~/.cache/timesync-bench/bad-input`` (never committed), and paired with a short WAV
cut from it, so that ``sync`` has something to align:

- ``ten-hours``: a 10-hour MP4, 16x16 H.264 at 1 fps with 8 kHz AAC at 16 kb/s (pink
  noise), and a 120-s WAV cut at 5 h;
- ``4k``: 10 s of 3840x2160 H.264 (30 fps, a test pattern) with AAC audio, and a 6-s cut;
- ``20-tracks``: a Matroska file with 20 audio tracks of 60 s (each its own noise), and a
  30-s cut of the first track;
- ``200-files``: a folder of 200 WAVs of 15 s (8 kHz) cut at random times from one
  10-minute scene.

Every run is ``python -m timesync sync -q -o project.json FILES...`` with every method
(the default) in its own subprocess, its peak memory summed over the process tree (PSS
sampled every 0.1 s, :func:`bench_audio.measured`). The bound is 500 MB, or an early stop
with one clear line. Prints one row per case: exit status, seconds, peak MB, sources
placed, where the cut landed against where it was cut, and the last stderr line.

Figures: ``bench/RESULTS.md`` ("Ties and bad input").

Usage: ``python bench/bench_bad_input.py [--cases ten-hours,4k,20-tracks,200-files]
[--timeout S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_audio import measured

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timesync-bench" / "bad-input"
REPO = Path(__file__).resolve().parents[1]
LIMIT_MB = 500.0


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def noise(seconds: float, rate: int, seed: int) -> str:
    return f"anoisesrc=r={rate}:d={seconds}:a=0.2:c=pink:seed={seed}"


def cut(src: Path, dst: Path, at_s: float, seconds: float, stream: str = "0:a:0") -> None:
    """``seconds`` of ``src``'s audio from ``at_s`` into a 16-bit WAV (decoded, sample exact)."""
    ffmpeg("-i", str(src), "-map", stream, "-af", f"atrim=start={at_s}:duration={seconds}",
           "-c:a", "pcm_s16le", str(dst))


def ten_hours(folder: Path) -> tuple[list[Path], dict[str, float]]:
    big, part = folder / "ten_hours.mp4", folder / "cut_at_5h.wav"
    if not big.exists():
        ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=16x16:r=1:d=36000",
               "-f", "lavfi", "-i", noise(36000, 8000, 1), "-shortest",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", str(big) + ".tmp.mp4")
        os.replace(str(big) + ".tmp.mp4", big)
    if not part.exists():
        cut(big, part, 18000.0, 120.0)
    return [big, part], {part.name: 18000.0}


def uhd(folder: Path) -> tuple[list[Path], dict[str, float]]:
    big, part = folder / "uhd.mp4", folder / "uhd_cut.wav"
    if not big.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=3840x2160:r=30:d=10",
               "-f", "lavfi", "-i", noise(10, 48000, 2), "-shortest",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", str(big) + ".tmp.mp4")
        os.replace(str(big) + ".tmp.mp4", big)
    if not part.exists():
        cut(big, part, 3.0, 6.0)
    return [big, part], {part.name: 3.0}


def twenty_tracks(folder: Path) -> tuple[list[Path], dict[str, float]]:
    big, part = folder / "twenty_tracks.mkv", folder / "track_cut.wav"
    if not big.exists():
        inputs: list[str] = []
        for k in range(20):
            inputs += ["-f", "lavfi", "-i", noise(60, 16000, 10 + k)]
        maps = [arg for k in range(20) for arg in ("-map", f"{k}:a")]
        ffmpeg(*inputs, *maps, "-c:a", "aac", "-b:a", "32k", str(big) + ".tmp.mkv")
        os.replace(str(big) + ".tmp.mkv", big)
    if not part.exists():
        cut(big, part, 20.0, 30.0)
    return [big, part], {part.name: 20.0}


def two_hundred(folder: Path) -> tuple[list[Path], dict[str, float]]:
    scene = folder / "scene.wav"
    if not scene.exists():
        ffmpeg("-f", "lavfi", "-i", noise(600, 8000, 3), "-c:a", "pcm_s16le", str(scene))
    sub = folder / "200"
    sub.mkdir(exist_ok=True)
    starts = np.round(np.random.default_rng(5).uniform(0, 585, 200), 3)
    files, truth = [], {}
    for k, start in enumerate(starts):
        path = sub / f"file_{k:03d}.wav"
        if not path.exists():
            cut(scene, path, float(start), 15.0)
        files.append(path)
        truth[path.name] = float(start - starts[0])
    return files, truth


CASES = {"ten-hours": ten_hours, "4k": uhd, "20-tracks": twenty_tracks, "200-files": two_hundred}


def run(name: str, timeout: float) -> dict:
    folder = CACHE / name
    folder.mkdir(parents=True, exist_ok=True)
    files, truth = CASES[name](folder)
    project = folder / "project.json"
    project.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO), TIMESYNC_CACHE_DIR=str(folder / "cache"))
    cmd = [sys.executable, "-m", "timesync", "sync", "-q", "--force", "-o", str(project), *map(str, files)]
    r = measured(cmd, timeout, env=env)
    placed, errors = 0, []
    if project.exists():
        data = json.loads(project.read_text())
        ref = Path(data["reference"]).name
        for entry in data["sources"]:
            placed += bool(entry["aligned"])
            name_ = Path(entry["path"]).name
            if entry["aligned"] and name_ in truth and ref not in truth:  # ref is the big file
                errors.append(abs(entry["offset_s"] - truth[name_]))
            elif entry["aligned"] and name_ in truth and ref in truth:
                errors.append(abs(entry["offset_s"] - (truth[name_] - truth[ref])))
    last = (r["stderr"].strip().splitlines() or [""])[-1]
    return {"case": name, "rc": r["rc"], "seconds": r["seconds"], "peak_mb": r["peak_mb"],
            "files": len(files), "placed": placed,
            "max_error_ms": 1e3 * max(errors) if errors else None, "stderr": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    print(f"{'case':10} {'rc':>7} {'s':>8} {'peak MB':>8} {'placed':>8} {'max err ms':>10}  stderr")
    for name in args.cases.split(","):
        row = run(name, args.timeout)
        err = "-" if row["max_error_ms"] is None else f"{row['max_error_ms']:.3f}"
        flag = "" if row["peak_mb"] <= LIMIT_MB else "  OVER 500 MB"
        print(f"{name:10} {row['rc']!s:>7} {row['seconds']:8.1f} {row['peak_mb']:8.0f} "
              f"{row['placed']:>4}/{row['files']:<3} {err:>10}  {row['stderr'][:120]}{flag}", flush=True)


if __name__ == "__main__":
    main()
