"""Video scanning benchmark: a whole-video luma scan against ffmpeg's decode, and the overlay read.

Two measurements, each side by side and alternating in one run (``--runs R``,
medians reported), every run in its own subprocess:

1. **Whole-video scan.** For a 10-minute 1280x720 30 fps H.264 body cam (the
   generator of :mod:`bench_footage`, cached under
   ``~/.cache/timesync-bench/footage``, never committed): ffmpeg's own decode of
   the video stream (``ffmpeg -i F -map 0:v:0 -f null -``, imageio-ffmpeg's
   binary; wall and CPU of its process) against timesync's scan of every frame
   as the flash detector runs it (:func:`timesync.align.flashes.detect.cell_brightness`
   with no cell grid cached: :func:`timesync.align.overlay.scan.iter_luma` feeding
   :class:`~timesync.align.overlay.scan.CellCollector`; the frame index is built
   before the clock starts). Target: at most 1.2x ffmpeg.
2. **Burned-in clock read.** For a 10-minute 480x270 30 fps clip with a
   burned-in clock that jumps by +7 s at 40 % of it (``tests/synth/clips.py``,
   cached under ``~/.cache/timesync-bench/scan``): :func:`read_overlay_clock`
   reading every frame (the whole-file pass: ``sparse.COVER_SHARE`` set to 0,
   as before windows existed) against the default sparse read (windows and
   bisection, :mod:`timesync.align.overlay.sparse`): wall, CPU, frames decoded
   and the clock each reads (value at local 0, rate, jump).

CPU is that of the measured process and its threads (``time.process_time`` in
the scan subprocess; the process tree for ffmpeg, as :func:`bench_footage.tree_measured`
samples it). On a machine whose cores other work keeps busy the wall ratio moves
with the load, the CPU ratio much less.

Usage: ``python bench/bench_scan.py [--minutes M] [--clock-minutes M] [--runs R] [--skip-clock]
[--video FILE ...] [--size WxH ...] [--compare-with DIR]`` (``--video``: scan that file instead of the
generated body cam, repeated for several (a 720p and a 1080p one): each is scanned in every run, its
own ffmpeg decode beside it; ``--size``: a generated body cam of that size, ``--minutes`` long (480x270,
640x360, ...: :func:`small_cam`, cached under ``~/.cache/timesync-bench/scan``); ``--compare-with``: also the scan of the timesync in ``DIR``, an older checkout,
in the same alternation: the "before"). Prints every run's figures with the load average, then a
table per video (medians, and each run's own ratios); writes nothing to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_footage import footage, tree_measured  # noqa: E402

SCAN_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timesync-bench" / "scan"

#: The scan as the flash detector runs it, timed inside its own process (index built first).
_SCAN = """
import json, sys, time
from timesync.align.flashes.detect import cell_brightness
from timesync.media import FrameIndex
index = FrameIndex.open(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
cells = cell_brightness(sys.argv[1], index)
print(json.dumps({"seconds": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
                  "frames": len(cells), "mean": float(cells.mean())}))
"""

#: The overlay read, whole-file (``whole``) or sparse, timed inside its own process.
_CLOCK = """
import json, sys, time
from timesync.align.overlay import sparse
from timesync.align.overlay.read import read_overlay_clock
from timesync.media import FrameIndex
if sys.argv[2] == "whole":
    sparse.COVER_SHARE = 0.0  # windows would cover "all" of any file: read it whole
index = FrameIndex.open(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
clock = read_overlay_clock(sys.argv[1], index=index)
fit = clock.fit
print(json.dumps({"seconds": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
                  "frames": clock.frames_decoded, "of": len(index), "windows": len(clock.windows_s or []),
                  "at_zero": fit.at_zero if fit else None, "rate": fit.rate if fit else None,
                  "sigma_s": fit.uncertainty_s if fit else None,
                  "jumps": [[j.at_local_s, j.jump_s] for j in fit.jumps] if fit else None,
                  "note": clock.note}))
"""


def clock_video(minutes: float) -> Path:
    """A ``minutes`` long 480x270 30 fps clip whose burned-in clock jumps +7 s at 40 % (cached)."""
    from datetime import datetime
    from fractions import Fraction

    sys.path.insert(0, str(REPO))
    from tests.synth.clips import ClipSpec, write_clip

    path = SCAN_CACHE / f"clock_{minutes:g}min.mp4"
    if path.exists():
        return path
    SCAN_CACHE.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60.0
    spec = ClipSpec(n_frames=round(seconds * 30), fps=Fraction(30), size=(480, 270),
                    clock_at_zero=datetime(2024, 5, 17, 21, 2, 33, 370000), clock_rate=1.00002,
                    clock_jump=(round(0.4 * seconds, 1) + 0.3, 7.0), clock_suffix="CAM-7")
    print(f"   writing {path} ({minutes:g} min)", flush=True)
    tmp = path.with_name(path.stem + ".part.mp4")
    write_clip(tmp, spec)
    os.replace(tmp, path)
    return path


def small_cam(size: tuple[int, int], minutes: float) -> Path:
    """A ``minutes`` long ``size`` (width, height) 30 fps H.264 body cam, video only (cached).

    Made as :mod:`bench_footage` makes its 720p cams (a blocky texture that moves, x264
    ``ultrafast``), at the bit rate of those per pixel (3 Mbit/s at 1280x720).
    """
    import av
    import numpy as np

    width, height = size
    path = SCAN_CACHE / f"cam_{width}x{height}_{minutes:g}min.mp4"
    if path.exists():
        return path
    SCAN_CACHE.mkdir(parents=True, exist_ok=True)
    print(f"   writing {path}", flush=True)
    rng = np.random.default_rng(width * 7 + height)
    texture = np.kron(rng.integers(0, 255, (height // 8 + 1, width // 4 + 1), dtype=np.uint8),
                      np.ones((16, 8), np.uint8))  # at least (2 H, 2 W)
    planes = np.full((height * 3 // 2, width), 140, np.uint8)
    tmp = path.with_name(path.stem + ".part.mp4")
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.bit_rate = round(3_000_000 * width * height / (1280 * 720))
        v.options = {"preset": "ultrafast"}
        for i in range(round(minutes * 60 * 30)):
            x, y = (3 * i) % width, (i // 2) % height
            planes[:height] = texture[y:y + height, x:x + width]
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    os.replace(tmp, path)
    return path


def _python(code: str, *args: str, tree: Path = REPO) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=tree,
                       timeout=3600)
    if p.returncode != 0:
        raise SystemExit(f"bench subprocess failed: {p.stderr[-600:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])  # the last line: the figures


def ffmpeg_video(path: Path) -> dict:
    """ffmpeg's decode of the first video stream: wall and CPU of its process tree."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    r = tree_measured([exe, "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"], 3600)
    if r["rc"] != 0:
        raise SystemExit(f"ffmpeg failed: {r['stderr'][-300:]}")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the 720p body cam (default 10)")
    ap.add_argument("--clock-minutes", type=float, default=10.0, help="length of the clock clip (default 10)")
    ap.add_argument("--runs", type=int, default=2, help="alternating runs of each (median reported)")
    ap.add_argument("--skip-clock", action="store_true", help="the whole-video scan only")
    ap.add_argument("--video", type=Path, action="append", default=None,
                    help="scan this video instead of the body cam (repeat for several: each in every run)")
    ap.add_argument("--size", action="append", default=None, metavar="WxH",
                    help="scan a generated body cam of this size (--minutes long; repeat for several)")
    ap.add_argument("--compare-with", type=Path, default=None, help="also the scan of the timesync in DIR")
    args = ap.parse_args()
    cams = [v.resolve() for v in args.video or []]
    cams += [small_cam(tuple(int(n) for n in size.lower().split("x")), args.minutes) for size in args.size or []]
    if not cams:
        cams = [footage(args.minutes, 3)[0]]
    clip = None if args.skip_clock else clock_video(args.clock_minutes)
    index = "import sys, json\nfrom timesync.media import FrameIndex\nprint(json.dumps(len(FrameIndex.open(sys.argv[1]))))"
    for path in [*cams, clip] if clip is not None else cams:
        _python(index, str(path))  # the frame index, built once before any clock starts
    rows: dict[Path, dict[str, list[dict]]] = {cam: {} for cam in cams}
    clocks: dict[str, list[dict]] = {}
    for k in range(args.runs):
        for cam in cams:
            got = rows[cam]
            got.setdefault("ffmpeg", []).append(ffmpeg_video(cam))
            got.setdefault("scan", []).append(_python(_SCAN, str(cam)))
            if args.compare_with is not None:
                got.setdefault("scan before", []).append(_python(_SCAN, str(cam), tree=args.compare_with.resolve()))
            print(f"   run {k + 1}, {cam.name}: " + _line(got), flush=True)
        if clip is not None:
            clocks.setdefault("clock whole", []).append(_python(_CLOCK, str(clip), "whole"))
            clocks.setdefault("clock sparse", []).append(_python(_CLOCK, str(clip), "sparse"))
            print(f"   run {k + 1}, {clip.name}: " + _line(clocks), flush=True)
    print("\n\n".join(report(got, cam) for cam, got in rows.items()))
    if clip is not None:
        print("\n" + clock_report(clocks, clip))
    return 0


def _line(got: dict[str, list[dict]]) -> str:
    """One run's figures (the last of each row) and the load average (1 min) when it ended."""
    return ", ".join(f"{n} {v[-1]['seconds']:.1f} s / {v[-1]['cpu_s']:.1f} s CPU" for n, v in got.items()) + \
        f" (load {os.getloadavg()[0]:.1f})"


def report(rows: dict[str, list[dict]], cam: Path) -> str:
    """The markdown table of the medians of one video's scan against ffmpeg."""
    med = {n: (statistics.median(r["seconds"] for r in v), statistics.median(r["cpu_s"] for r in v))
           for n, v in rows.items()}
    ff_wall, ff_cpu = med["ffmpeg"]
    lines = [f"Whole-video scan of {cam.name} ({cam.stat().st_size / 1e6:.0f} MB), medians of "
             f"{len(rows['ffmpeg'])} alternating runs:", "",
             "| run | wall s | CPU s | wall / ffmpeg | CPU / ffmpeg |", "|---|---|---|---|---|"]
    for name in ("ffmpeg", "scan", "scan before"):
        if name not in med:
            continue
        wall, cpu = med[name]
        lines.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / ff_wall:.2f}x | {cpu / ff_cpu:.2f}x |")
    if "scan" in rows and len(rows["ffmpeg"]) > 1:  # each run's own ratios (ffmpeg of the same run)
        for name in ("scan", "scan before"):
            if name in rows:
                runs = ", ".join(f"{s['seconds'] / f['seconds']:.2f}x / {s['cpu_s'] / f['cpu_s']:.2f}x"
                                 for s, f in zip(rows[name], rows["ffmpeg"], strict=True))
                lines.append(f"\n{name}, each run's wall / CPU ratio: {runs}")
    return "\n".join(lines)


def clock_report(rows: dict[str, list[dict]], clip: Path) -> str:
    """The markdown table of the burned-in clock reads (medians) and the clocks read."""
    med = {n: (statistics.median(r["seconds"] for r in v), statistics.median(r["cpu_s"] for r in v))
           for n, v in rows.items()}
    lines = [f"Burned-in clock of {clip.name}:", "",
             "| read | wall s | CPU s | frames decoded | windows | at local 0 (s) | rate | jumps |",
             "|---|---|---|---|---|---|---|---|"]
    for name in ("clock whole", "clock sparse"):
        wall, cpu = med[name]
        last = rows[name][-1]
        jumps = ", ".join(f"{j:+.1f} s at {t:.2f} s" for t, j in last["jumps"] or [])
        lines.append(f"| {name.split()[1]} | {wall:.2f} | {cpu:.2f} | {last['frames']} of {last['of']} | "
                     f"{last['windows']} | {last['at_zero']:.4f} (sigma {last['sigma_s'] * 1000:.2f} ms) | "
                     f"{last['rate']:.7f} | {jumps} |")
    whole, windows = rows["clock whole"][-1], rows["clock sparse"][-1]
    if whole["at_zero"] is not None and windows["at_zero"] is not None:
        lines += ["", f"Sparse minus whole at local 0: {(windows['at_zero'] - whole['at_zero']) * 1000:+.3f} ms."]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
