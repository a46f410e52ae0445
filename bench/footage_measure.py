"""Issue 14's own footage bench (``bench_footage.py --issue-footage``): timings and errors.

On the footage of :mod:`footage_issue` (three 60-minute 1080p30 5 Mbit/s body cams with
AAC, a 60-minute 25 fps helicopter video with its own rotor noise and the shots' muzzle
flashes), in alternating runs, each command in its own process tree
(:func:`bench_footage.tree_measured`: wall, CPU summed over the tree, peak PSS summed over
the tree):

* the floor (:func:`bench_footage.floor`: ffmpeg's bare decode of every file's audio plus
  ``sha256sum`` of every file, one after another);
* ``timesync sync`` of the four files, every method (the default), reference camera A: audio
  places the body cams, the helicopter needs its flashes (audio-visual: the shots heard by
  camera A against the flashes seen);
* ``timesync sync --methods audio`` (the helicopter then stays unplaced: no shared sound);
* timesync's flash scan of the helicopter video alone
  (:func:`timesync.align.flashes.detect.detect_flashes`, a cold cache) against ffmpeg's own
  decode of that video stream, ``ffmpeg -i F -map 0:v:0 -f null -`` (the issue's 1.2x target).

Each placement is scored against the truth known by construction (``truth.json``).
Medians of the runs; the load average is noted at every run's start and end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

START, END = "<!-- footage-issue:start -->", "<!-- footage-issue:end -->"
_FLASHES = ("import json, sys; from timesync.align.flashes.detect import detect_flashes; "
            "print(json.dumps([e.boundary_s for e in detect_flashes(sys.argv[1])]))")


def _env(tree: Path, cache: Path) -> dict[str, str]:
    import shutil

    shutil.rmtree(cache, ignore_errors=True)
    return dict(os.environ, TIMESYNC_CACHE_DIR=str(cache), PYTHONPATH=str(tree))


def sync_run(files: list[Path], methods: str | None, truth: dict, tree: Path, timeout_s: float = 7200.0) -> dict:
    """``timesync sync`` of ``files`` (reference the first), cold cache: the measured run,
    the aligners' provenance and, per file, the offset error (ms) against the truth or the
    reason it was not placed."""
    from bench_footage import SCRATCH, tree_measured

    out = SCRATCH / "project-issue.json"
    env = _env(tree, SCRATCH / "timesync-cache")
    cmd = [sys.executable, "-m", "timesync", "sync", *map(str, files), "--reference", str(files[0]),
           "-o", str(out), "--force", "-q"] + (["--methods", methods] if methods else [])
    r = tree_measured(cmd, timeout_s, env=env, cwd=tree)
    r["aligners"], r["errors_ms"], r["unplaced"] = {}, {}, {}
    if out.exists():
        data = json.loads(out.read_text())
        out.unlink()
        r["aligners"] = data["provenance"]["aligners"]
        for s in data["sources"]:
            name = Path(s["path"]).name
            if s["aligned"]:
                r["errors_ms"][name] = (s["offset_s"] - truth["offset_s"][name]) * 1000
            else:
                r["unplaced"][name] = s.get("reason") or "not placed"
    return r


def flash_scan(video: Path, truth: dict, tree: Path) -> dict:
    """timesync's flash scan of ``video`` (its own process, cold cache): the measured run and
    how many of the shots' flashes it found within one frame (0.04 s) of the truth."""
    import numpy as np
    from bench_footage import SCRATCH, tree_measured

    env = _env(tree, SCRATCH / "timesync-cache")
    r = tree_measured([sys.executable, "-c", _FLASHES, str(video)], 7200, env=env, cwd=tree)
    found = np.array(json.loads(r["stdout"].strip().splitlines()[-1])) if r["rc"] == 0 else np.zeros(0)
    local = np.array(truth["shots_s"]) - truth["offset_s"][video.name]
    near = [bool(found.size) and float(np.min(np.abs(found - t))) <= 0.04 for t in local]
    r["flashes"], r["shots_seen"], r["shots"] = int(found.size), int(sum(near)), len(local)
    r["video"], r["video_minutes"] = str(video), truth["minutes"]
    return r


def ffmpeg_video(video: Path) -> dict:
    """``ffmpeg -i F -map 0:v:0 -f null -``: ffmpeg's own decode of the video stream."""
    from bench_footage import tree_measured
    from footage_issue import ffmpeg

    r = tree_measured([ffmpeg(), "-v", "error", "-i", str(video), "-map", "0:v:0", "-f", "null", "-"], 7200)
    if r["rc"] != 0:
        raise SystemExit(f"ffmpeg could not decode {video}: {r['stderr'][-300:]}")
    return r


PARTS = ("floor", "audio", "all", "scan")


def measure(files: list[Path], truth: dict, runs: int, tree: Path, *, parts: tuple[str, ...] = PARTS,
            timeout_s: float = 7200.0, save: Path | None = None,
            scan: tuple[Path, dict] | None = None) -> dict[str, list[dict]]:
    """Alternating runs of the ``parts`` (the floor, the two syncs, the helicopter scan against
    ffmpeg), in this order in each run; a sync over ``timeout_s`` is stopped (rc "timeout").
    With ``save``, the rows so far are written there (JSON) after every step. ``scan``: the
    helicopter video (and truth) to scan, when not the last of ``files``."""
    from bench_footage import compiled, floor

    compiled(tree)
    video, video_truth = scan or (files[-1], truth)
    rows: dict[str, list[dict]] = {k: [] for k in ("floor", "all", "audio", "scan", "ffmpeg", "load")}
    steps = {"floor": lambda: {"floor": floor(files)},
             "audio": lambda: {"audio": sync_run(files, "audio", truth, tree, timeout_s)},
             "all": lambda: {"all": sync_run(files, None, truth, tree, timeout_s)},
             "scan": lambda: {"scan": flash_scan(video, video_truth, tree), "ffmpeg": ffmpeg_video(video)}}
    for k in range(runs):
        load0 = os.getloadavg()[0]
        for part in parts:
            for name, r in steps[part]().items():
                r["load"] = (load0, os.getloadavg()[0])
                rows[name].append(r)
                print(f"   run {k + 1}, {name}: {r['seconds']:.1f} s, {r['cpu_s']:.1f} s CPU, {r['peak_mb']:.0f} MB, "
                      f"rc {r.get('rc', 0)} (load {os.getloadavg()[0]:.1f})", flush=True)
            if save is not None:
                save.write_text(json.dumps(rows, default=str))
        rows["load"].append((load0, os.getloadavg()[0]))
    return rows


def _med(rows: list[dict], key: str) -> float:
    """The median of ``key`` over ``rows`` (NaN when there are none: that part was not run)."""
    return statistics.median(r[key] for r in rows) if rows else math.nan


def _ratio(x: float, floor: float) -> str:
    return "-" if math.isnan(floor) else f"{x / floor:.2f}"


def _errors(r: dict) -> str:
    cams = [abs(e) for n, e in r["errors_ms"].items() if n != "helicopter.mp4"]
    heli = r["errors_ms"].get("helicopter.mp4")
    return (f"{max(cams):.3f}" if cams else "-") + " | " + (f"{heli:+.2f}" if heli is not None else "not placed")


def _sync_line(label: str, runs: list[dict], fl_s: float, fl_c: float, n: int) -> str:
    done = [r for r in runs if r["rc"] != "timeout" and r["aligners"]]  # rc 1: a source left unplaced
    if not done:
        r = runs[-1]
        return (f"| {label} | stopped ({r['rc']}) after {r['seconds']:.0f} | - | {r['cpu_s']:.0f} so far | - | "
                f"{r['peak_mb']:.0f} so far | - | - | - |")
    s, c, last = _med(done, "seconds"), _med(done, "cpu_s"), done[-1]
    more = f" ({len(done)} of {len(runs)} runs finished)" if len(done) < len(runs) else f" ({_n(len(runs))})"
    return (f"| {label}{more} | {s:.1f} | {_ratio(s, fl_s)} | {c:.1f} | {_ratio(c, fl_c)} | "
            f"{max(r['peak_mb'] for r in done):.0f} | {len(last['errors_ms'])} of {n} | {_errors(last)} |")


def report(rows: dict[str, list[dict]], files: list[Path], truth: dict, build_s: float | None) -> str:
    gb = sum(f.stat().st_size for f in files) / 1e9
    minutes = truth["minutes"]
    fl_s, fl_c = _med(rows["floor"], "seconds"), _med(rows["floor"], "cpu_s")
    loads = "; ".join(f"{name} {r['load'][0]:.0f} -> {r['load'][1]:.0f}" for name in ("floor", "audio", "all", "scan")
                      for r in rows[name])
    lines = [
        f"## Footage, the issue's case: 3 body cams of {minutes:g} min, 1080p30 H.264 5 Mbit/s + AAC, and a "
        f"{minutes:g}-min 25 fps helicopter video with flashes and no shared audio "
        f"(`bench/bench_footage.py --issue-footage`)",
        "",
        f"{gb:.1f} GB in all. The body cams' picture is {_loop(files)} s repeated by stream copy (the decoder's "
        "work per frame is the same), their audio one scene heard from each camera's own start; the "
        "helicopter hears only its rotor and sees the muzzle flashes of the shots the body cams hear "
        f"({len(truth['shots_s'])} shots in bursts at irregular times). Median of the runs, alternating; "
        "2 cores shared with other work (load average at the run's start -> the step's end: " + loads + "); "
        "CPU and memory are summed over the process tree.",
        "",
        "| run | seconds | x floor | CPU s | x floor CPU | peak MB | placed | worst body-cam error ms "
        "| helicopter error ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if rows["floor"]:
        lines.append(f"| floor: ffmpeg audio decode + sha256sum of every file ({_n(len(rows['floor']))}) | {fl_s:.1f} "
                     f"| 1.00 | {fl_c:.1f} | 1.00 | {max(r['peak_mb'] for r in rows['floor']):.0f} | - | - | - |")
    for name, label in (("all", "`timesync sync` (all methods, default)"), ("audio", "`timesync sync --methods audio`")):
        if rows[name]:
            lines.append(_sync_line(label, rows[name], fl_s, fl_c, len(files)))
    lines += ["", "Errors: the offset found minus the truth (camera A's clock); the helicopter's is what the "
              "audio-visual match gives (shots heard at their emission: sound travel not simulated)."]
    done = [r for r in rows["all"] if r["aligners"]]
    if done:
        where = f"{files[0].parent}/"
        lines.append("Aligners of the default run: " + "; ".join(
            f"{k}: {v}".replace(where, "") for k, v in sorted(done[-1]["aligners"].items())) + ".")
    if rows["scan"]:
        lines += _scan_lines(rows)
    if build_s is not None:
        lines += ["", f"Built once in {build_s / 60:.1f} min on this machine (cached, not committed)."]
    return "\n".join(lines)


def _n(runs: int) -> str:
    return f"{runs} run" + ("s" if runs != 1 else "")


def _loop(files: list[Path]) -> str:
    stamp = json.loads((files[0].parent / "stamp.json").read_text())
    return f"{stamp['cam_loop_s']:g}"


def _scan_lines(rows: dict[str, list[dict]]) -> list[str]:
    sc_s, sc_c = _med(rows["scan"], "seconds"), _med(rows["scan"], "cpu_s")
    ff_s, ff_c = _med(rows["ffmpeg"], "seconds"), _med(rows["ffmpeg"], "cpu_s")
    last = rows["scan"][-1]
    video = Path(last["video"])
    ratios = ", ".join(f"{s['seconds'] / f['seconds']:.2f}x / {s['cpu_s'] / f['cpu_s']:.2f}x"
                       for s, f in zip(rows["scan"], rows["ffmpeg"], strict=True))
    return ["", f"The helicopter video alone ({last['video_minutes']:g} min, {video.stat().st_size / 1e9:.2f} GB, "
            f"`{video.parent.name}/{video.name}`), {_n(len(rows['scan']))}, alternating:", "",
            "| run | seconds | CPU s | peak MB |", "|---|---:|---:|---:|",
            f"| `ffmpeg -i F -map 0:v:0 -f null -` | {ff_s:.1f} | {ff_c:.1f} | "
            f"{max(r['peak_mb'] for r in rows['ffmpeg']):.0f} |",
            f"| timesync's flash scan (`detect_flashes`, cold cache) | {sc_s:.1f} | {sc_c:.1f} | "
            f"{max(r['peak_mb'] for r in rows['scan']):.0f} |",
            "", f"Flash scan / ffmpeg (medians): {sc_s / ff_s:.2f}x wall, {sc_c / ff_c:.2f}x CPU (target at most "
            f"1.2x); each run, wall / CPU: {ratios}. It found {last['flashes']} flashes, "
            f"{last['shots_seen']} of the {last['shots']} shots within a frame."]


def add_issue_args(ap: argparse.ArgumentParser) -> None:
    """The options of ``bench_footage.py --issue-footage``."""
    ap.add_argument("--issue-footage", action="store_true", help="only the issue's case (3 1080p cams, a helicopter)")
    ap.add_argument("--issue-minutes", type=float, default=60.0, help="their length (default 60)")
    ap.add_argument("--issue-parts", default=",".join(PARTS), help="what to time in each run, in this order")
    ap.add_argument("--issue-timeout", type=float, default=7200.0, help="stop a sync after this many seconds")
    ap.add_argument("--issue-scan-minutes", type=float, default=None,
                    help="time the flash scan on the helicopter of a build this long instead")


def run_issue(args: argparse.Namespace) -> int:
    """Build (once) and measure the issue's footage (``args``: ``runs``, ``issue_minutes``,
    ``issue_parts``, ``issue_timeout``, ``issue_scan_minutes``, ``no_write``); print the
    section, and write it to ``bench/RESULTS.md`` between :data:`START` and :data:`END`."""
    from bench_footage import SCRATCH
    from footage_issue import issue_footage
    from results_md import write_block

    t0 = time.perf_counter()
    files, truth = issue_footage(args.issue_minutes)
    build_s = time.perf_counter() - t0
    scan = None
    if args.issue_scan_minutes:
        small, small_truth = issue_footage(args.issue_scan_minutes)
        scan = (small[-1], small_truth)
    rows = measure(files, truth, args.runs, Path(__file__).resolve().parents[1],
                   parts=tuple(args.issue_parts.split(",")), timeout_s=args.issue_timeout,
                   save=SCRATCH.parent / "footage-issue-rows.json", scan=scan)
    text = report(rows, files, truth, build_s if build_s > 60 else None)
    print(text)
    if not args.no_write:
        write_block(START, END, text)
    return 0
