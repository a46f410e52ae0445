"""Body-cam footage benchmark: ``timesync sync`` end to end against its floor.

Generates (with PyAV, once, cached under ``~/.cache/timesync-bench/footage``,
never committed) ``--cams`` body-cam videos of ``--minutes`` minutes each:
1280x720, 30 fps H.264 (x264 ultrafast, 3 Mbit/s asked; the texture
needs about 1) with AAC 48 kHz mono audio. The
cameras hear one scene (the real recordings of ``../shared/media`` cut and
re-assembled by :func:`bench_audio.scene`, plus each camera's own noise) and
start 4 s apart; the picture is a moving texture.

The floor is what no tool can avoid: ffmpeg's bare decode of every file's
audio (``ffmpeg -vn -i f -f null -``, imageio-ffmpeg's binary) plus
``sha256sum`` of every file, one after another. In one run, side by side and
alternating, it times the floor, ``timesync sync`` with every method (the
default) and with ``--methods audio`` (and, with ``--compare-with DIR``, the
same two runs of the timesync in ``DIR``: an older checkout), each in its own
subprocess (:func:`tree_measured`): wall seconds, CPU seconds summed over the
process tree (worker processes and the fork server included, from ``/proc``
every 0.05 s) and peak memory summed over the tree (PSS). It reports each run
against the floor on both clocks: on a machine whose cores other work keeps
busy, the wall-clock ratio moves with that load (timesync runs its files in
parallel, the floor one after another), the CPU ratio much less. Each tree's
``timesync`` is byte-compiled first (``compileall``), as an installed package
is: without it every process compiles the sources again (about 0.5 s of CPU in
the main process alone where ``PYTHONDONTWRITEBYTECODE`` is set).
Targets: 1.5x the floor, 500 MB.

Measured (2 Dec 2026, 11:00-11:15 UTC, 2 cores shared with four other benches and test
suites, load 25 to 33; 3 body cams of 10 min, 230 MB; ``--runs 2 --compare-with`` a
checkout of commit 96a6661, the "before"): floor 26.2 s wall, 6.0 s CPU. ``--methods
audio``: 1.30x the floor wall, **1.14x CPU**, 225 MB (before: 1.35x, 1.40x, 235 MB). All
methods: 4.80x wall, 4.42x CPU, 337 MB (before: 4.89x, 4.72x); the difference from audio
alone is the burned-in clock reading (``align/overlay``, every frame decoded). Every
camera placed, worst 0.000 ms off the truth. (On a quiet machine, load 1, the lead
measured ``--methods audio`` at 0.74x the floor wall, 0.97x CPU, before these changes.)

Many sources, the same afternoon (``--only-many --many-counts 10,40 --runs 2
--compare-with`` 96a6661 ``--every-pair-up-to 0 --no-cluster``), 10 / 40 sources:
run 1 (load 20 to 31) 47.6 s, 12.2 s CPU / 205.4 s, 45.7 s CPU, 13 / 54 pairs
(before: 65.5 s, 16.9 s / 250.7 s, 65.4 s, 19 / 79 pairs); run 2 (load 31 to 37)
58.5 s, 10.8 s / 197.6 s, 43.1 s (before: 54.0 s, 13.1 s / 248.9 s, 62.4 s). 40/10:
4.31x and 3.38x wall, 3.75x and 3.98x CPU (before: 3.83x and 4.61x wall, 3.86x and
4.78x CPU). Every source placed, worst 0.007 ms off the truth (before 0.003 ms). The
CPU of one 20-minute 16 kHz source's probe, hash and features is about 0.64 s and of
one pair match about 0.27 s, the fixed costs about 2.3 s (start-up, imports, pools) and
the pre-scores 0.15 s / 1.1 s: the features alone grow 4x, and even a bare spanning tree
(39 matches for 40) would leave the CPU ratio at about 3.2; the wall ratio follows the load.

The many-source curve (:func:`many_curve`): 2, 5, 10, 20 and 40 audio-only
recordings of 20 minutes cut from one long scene (:func:`many_sources`), each
``timesync sync --methods audio`` timed (wall, and CPU over the process tree) with
its peak memory, ``--runs`` times (with ``--compare-with DIR``, each beside the same
run of the older checkout; each run's 40/10 ratios are listed with the load), then
beside the same run with the pair selection off (every pair matched) up to
``--every-pair-up-to`` sources; then the cluster run: ``timesync.sync(paths,
executor=...)`` on a dask LocalCluster of two worker processes. The audio itself
grows 4x from 10 to 40 sources, and so do the probe, hash and features: a 40/10
ratio under 4 comes from the fixed costs (start-up) and the pairs matched.

Every run works in its own scratch folder (:data:`SCRATCH`: the timesync cache and
the project files), so that two benches running at once do not share a cache.

Usage: ``python bench/bench_footage.py [--minutes M] [--cams N] [--runs R]
[--compare-with DIR] [--only-many | --skip-many] [--many-minutes M] [--many-counts 2,5,10]
[--no-write] [--no-cluster] [--every-pair-up-to N] [--issue-footage [--issue-minutes M]]``.
Prints the tables and replaces the "Footage" section of ``bench/RESULTS.md`` and
its many-source part (markers ``footage-many``), unless ``--no-write``; ``--issue-footage``: the
issue's own 1080p case instead (:mod:`footage_measure`, markers ``footage-issue``).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from bench_audio import measured, scene
from results_md import write_block

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timesync-bench" / "footage"
#: Scratch folder of this run (the timesync cache and project files): its own, so that
#: two benches running at once never share a cache or overwrite each other's output.
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-footage-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
START, END = "<!-- footage:start -->", "<!-- footage:end -->"
SIZE, FPS, SR = (1280, 720), 30, 48000
#: Seconds between the cameras' starts.
STAGGER_S = 4.0
BIT_RATE = 3_000_000


def _texture(seed: int) -> np.ndarray:
    """A gray-level texture twice the frame's size, smooth enough to encode like a scene."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (SIZE[1] // 8, SIZE[0] // 4), dtype=np.uint8)
    return np.kron(small, np.ones((16, 8), np.uint8))  # (2*H, 2*W)


def write_cam(path: Path, audio: np.ndarray, seconds: float, seed: int) -> None:
    """One body cam: the moving texture and ``audio`` (float32 mono at :data:`SR`)."""
    tex = _texture(seed)
    planes = np.full((SIZE[1] * 3 // 2, SIZE[0]), 128 + seed % 64, np.uint8)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt, v.bit_rate = SIZE[0], SIZE[1], "yuv420p", BIT_RATE
        v.options = {"preset": "ultrafast"}
        a = out.add_stream("aac", rate=SR)
        a.layout, a.bit_rate = "mono", 64000
        a_pos, block = 0, 1024
        for i in range(round(seconds * FPS)):
            x, y = (3 * i) % SIZE[0], (i // 2) % SIZE[1]
            planes[:SIZE[1]] = tex[y:y + SIZE[1], x:x + SIZE[0]]  # Y; U and V stay constant
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = i
            out.mux(v.encode(frame))
            while a_pos < min(audio.size, round((i + 1) * SR / FPS)):
                chunk = audio[a_pos:a_pos + block]
                af = av.AudioFrame.from_ndarray(chunk[None, :].astype(np.float32), format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = SR, a_pos, Fraction(1, SR)
                out.mux(a.encode(af))
                a_pos += chunk.size
        out.mux(v.encode(None))
        out.mux(a.encode(None))
    os.replace(tmp, path)


def footage(minutes: float, cams: int) -> list[Path]:
    """The body cams of this size, generated once (a stamp file records how)."""
    folder = CACHE / f"{cams}x{minutes:g}min"
    files = [folder / f"bodycam_{chr(65 + k)}.mp4" for k in range(cams)]
    stamp = folder / "stamp.json"
    desc = json.dumps({"size": SIZE, "fps": FPS, "sr": SR, "bit_rate": BIT_RATE, "stagger": STAGGER_S,
                       "files": [f.name for f in files], "version": 2})
    if stamp.exists() and stamp.read_text() == desc and all(f.exists() for f in files):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60.0
    mat = scene(seconds + STAGGER_S * cams + 1.0, SR, seed=300)
    rng = np.random.default_rng(7)
    for k, f in enumerate(files):
        start = round(k * STAGGER_S * SR)
        x = mat[start:start + round(seconds * SR)] * 0.5
        x = (x + rng.normal(0, 0.02, x.size)).astype(np.float32)
        print(f"   writing {f} ({minutes:g} min)", flush=True)
        write_cam(f, x, seconds, seed=k + 1)
    stamp.write_text(desc)
    return files


#: The script that runs a command and measures its process tree.
_TREE = Path(__file__).with_name("tree_measured.py")


def tree_measured(cmd: list[str], timeout: float, env: dict[str, str] | None = None,
                  cwd: Path | None = None) -> dict:
    """Run ``cmd``: rc, wall ``seconds``, ``cpu_s`` summed over its process tree (the
    children's own times sampled from ``/proc`` every 0.05 s: a worker's last 0.05 s may
    be missed), ``peak_mb`` (PSS summed over the tree), stdout and stderr."""
    import subprocess

    p = subprocess.run([sys.executable, str(_TREE), str(timeout), *cmd], capture_output=True, text=True,
                       env=env, cwd=cwd)
    return json.loads(p.stdout)


def floor(files: list[Path]) -> dict:
    """ffmpeg's bare decode of every file's audio plus sha256sum of every file, one after another."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    total, cpu, peak = 0.0, 0.0, 0.0
    for f in files:
        for cmd in ([exe, "-v", "error", "-vn", "-i", str(f), "-f", "null", "-"], ["sha256sum", str(f)]):
            r = tree_measured(cmd, 600)
            if r["rc"] != 0:
                raise SystemExit(f"floor command failed: {' '.join(cmd)}: {r['stderr'][-300:]}")
            total += r["seconds"]
            cpu += r["cpu_s"]
            peak = max(peak, r["peak_mb"])
    return {"seconds": total, "cpu_s": cpu, "peak_mb": peak}


def compiled(tree: Path) -> None:
    """Byte-compile ``tree``'s timesync package, as installing it does (see the module notes)."""
    import compileall

    compileall.compile_dir(str(tree / "timesync"), quiet=1)


def run_sync(files: list[Path], methods: str | None, tree: Path | None = None) -> dict:
    """``timesync sync`` of the files (reference the first), from a cold cache folder, with the
    timesync of ``tree`` (default: this checkout)."""
    out = SCRATCH / "project.json"
    cache = SCRATCH / "timesync-cache"
    tree = tree or Path(__file__).resolve().parents[1]
    env = dict(os.environ, TIMESYNC_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
    shutil.rmtree(cache, ignore_errors=True)
    cmd = [sys.executable, "-m", "timesync", "sync", *map(str, files), "--reference", str(files[0]),
           "-o", str(out), "--force", "-q"] + (["--methods", methods] if methods else [])
    r = tree_measured(cmd, 3600, env=env, cwd=tree)
    r["aligners"], r["placed"] = {}, 0
    if out.exists():
        data = json.loads(out.read_text())
        r["aligners"] = data["provenance"]["aligners"]
        r["placed"] = sum(s["aligned"] for s in data["sources"])
        r["errors_ms"] = [abs(s["offset_s"] - k * STAGGER_S) * 1000 for k, s in enumerate(data["sources"])
                          if s["aligned"]]
        out.unlink()
    return r


# -- many sources -------------------------------------------------------------------

MANY_START, MANY_END = "<!-- footage-many:start -->", "<!-- footage-many:end -->"
#: Time between the starts of consecutive sources of the many-source incident, as a
#: fraction of their length (each overlaps the three before and the three after it).
MANY_STEP = 0.25
MANY_SR = 16000


def many_sources(count: int, minutes: float) -> list[Path]:
    """``count`` audio-only recordings of ``minutes`` each (16 kHz mono PCM WAV), cut from
    one long scene: source ``k`` starts ``k`` x :data:`MANY_STEP` of that length into it,
    so each one overlaps the three before and the three after it, and hears it with its own gain and noise
    (SNR 6 to 20 dB). Generated once for the largest count asked (the smaller sets are its
    first sources), cached and never committed."""
    folder = CACHE / f"many-{minutes:g}min"
    files = [folder / f"src{k:02d}.wav" for k in range(count)]
    stamp = folder / "stamp.json"
    desc = {"sr": MANY_SR, "step": MANY_STEP, "minutes": minutes, "version": 2}
    old = json.loads(stamp.read_text()) if stamp.exists() else {}
    if old.get("desc") == desc and old.get("count", 0) >= count and all(f.exists() for f in files):
        return files
    from bench_audio import write

    folder.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60.0
    mat = scene(MANY_STEP * seconds * (count - 1) + seconds + 1.0, MANY_SR, seed=500)
    for k, f in enumerate(files):
        rng = np.random.default_rng(1000 + k)
        start = round(k * MANY_STEP * seconds * MANY_SR)
        x = mat[start:start + round(seconds * MANY_SR)] * rng.uniform(0.2, 0.6)
        x = x + rng.normal(0, np.sqrt(np.mean(x**2)) * 10 ** (-rng.uniform(6, 20) / 20), x.size)
        print(f"   writing {f} ({minutes:g} min)", flush=True)
        write(f, np.clip(x, -1, 1).astype(np.float32), MANY_SR, "pcm")
    stamp.write_text(json.dumps({"desc": desc, "count": count}))
    return files


_EVERY_PAIR = ("import sys; import timesync.align.pairs as p; p.ALL_PAIRS_UP_TO = 10**6; "
               "from timesync.cli import main; sys.exit(main(sys.argv[1:]))")


def run_many(files: list[Path], minutes: float, every_pair: bool = False, tree: Path | None = None) -> dict:
    """``timesync sync --methods audio`` of the files (reference the first), cold cache, with
    the timesync of ``tree`` (default: this checkout); with ``every_pair``, with the pair
    selection off (every pair matched, as before it). Wall and CPU seconds and peak memory
    over the process tree (:func:`tree_measured`)."""
    out = SCRATCH / "project-many.json"
    cache = SCRATCH / "timesync-cache"
    tree = tree or Path(__file__).resolve().parents[1]
    env = dict(os.environ, TIMESYNC_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
    shutil.rmtree(cache, ignore_errors=True)
    head = [sys.executable, "-c", _EVERY_PAIR] if every_pair else [sys.executable, "-m", "timesync"]
    cmd = head + ["sync", *map(str, files), "--reference", str(files[0]), "-o", str(out), "--force", "-q",
                  "--methods", "audio"]
    r = tree_measured(cmd, 3600, env=env, cwd=tree)
    return r | _scored(out, minutes)


def _scored(out: Path, minutes: float) -> dict:
    """Placed sources, worst offset error (ms) against the truth and audio constraints used."""
    if not out.exists():
        return {"placed": 0, "worst_ms": float("nan"), "pairs": 0}
    data = json.loads(out.read_text())
    out.unlink()
    placed = [s for s in data["sources"] if s["aligned"]]
    errors = [abs(s["offset_s"] - int(Path(s["path"]).stem[3:]) * MANY_STEP * minutes * 60) * 1000 for s in placed]
    return {"placed": len(placed), "worst_ms": max(errors, default=float("nan")), "pairs": _pairs(data)}


def _pairs(data: dict) -> int:
    """Audio constraints the solve used (pairs matched), from each source's constraint list."""
    seen = set()
    for s in data["sources"]:
        for c in s.get("constraints", []):
            if c.get("kind") == "audio":
                seen.add(frozenset((Path(s["path"]).name, Path(str(c.get("with"))).name)))
    return len(seen)


_CLUSTER = """
import json, sys, time
from distributed import Client, LocalCluster
from timesync.sync import sync
files, out = sys.argv[1:-1], sys.argv[-1]
t0 = time.perf_counter()
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
        Client(cluster) as client:
    t1 = time.perf_counter()
    result = sync(files, reference=files[0], methods=["audio"], executor=client.get_executor())
    t2 = time.perf_counter()
with open(out, "w") as f:
    json.dump(result.to_dict(), f)
print(json.dumps({"start_s": t1 - t0, "sync_s": t2 - t1}))
"""


def run_cluster(files: list[Path], minutes: float) -> dict:
    """``timesync.sync(files, executor=client.get_executor())`` on a local dask cluster of
    two worker processes (one thread each), in a subprocess: its time (cluster start
    apart) and peak memory over the process tree (the workers included)."""
    out = SCRATCH / "project-cluster.json"
    env = dict(os.environ, TIMESYNC_CACHE_DIR=str(SCRATCH / "timesync-cache"),
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    r = measured([sys.executable, "-c", _CLUSTER, *map(str, files), str(out)], 3600, env=env)
    if r["rc"] == 0:
        r |= json.loads(r["stdout"].strip().splitlines()[-1])
    return r | _scored(out, minutes)


def many_curve(args: argparse.Namespace) -> str:
    counts = [int(c) for c in args.many_counts.split(",")]
    files = many_sources(max(counts), args.many_minutes)
    before = Path(args.compare_with).resolve() if args.compare_with else None
    if before is not None:
        compiled(before)
    compiled(Path(__file__).resolve().parents[1])
    rows, ratios = [], []
    for k in range(args.runs):
        this: dict[int, tuple[dict, dict | None]] = {}
        for n in counts:
            r = run_many(files[:n], args.many_minutes)
            b = run_many(files[:n], args.many_minutes, tree=before) if before is not None else None
            this[n] = (r, b)
            print(f"   run {k + 1}, {n} sources: {r['seconds']:.1f} s, {r['cpu_s']:.1f} s CPU, {r['peak_mb']:.0f} MB, "
                  f"{r['pairs']} pairs, {r['placed']} placed"
                  + (f"; before: {b['seconds']:.1f} s, {b['cpu_s']:.1f} s CPU, {b['placed']} placed" if b else "")
                  + f" (load {os.getloadavg()[0]:.1f})", flush=True)
        ratios.append((this, os.getloadavg()[0]))
    for n in counts:
        r = ratios[-1][0][n][0]
        base = run_many(files[:n], args.many_minutes, every_pair=True) if 4 < n <= args.every_pair_up_to else None
        rows.append((n, r, base))
    args.many_ratios = ratios
    cluster = None
    if args.cluster:
        try:
            import distributed  # noqa: F401 - the optional extra
        except ImportError:
            print("   cluster run skipped: dask[distributed] is not installed")
        else:
            k = counts.index(10) if 10 in counts else len(counts) // 2
            cluster = (counts[k], run_cluster(files[:counts[k]], args.many_minutes), rows[k][1])
    return many_report(rows, cluster, args)


def many_report(rows: list, cluster: tuple | None, args: argparse.Namespace) -> str:
    by_n = {n: r for n, r, _b in rows}
    lines = [
        f"### Many sources: N audio recordings of {args.many_minutes:g} min (16 kHz PCM, one scene, "
        f"each starting {MANY_STEP * args.many_minutes * 60:g} s after the previous; "
        f"`bench/bench_footage.py --only-many --many-minutes {args.many_minutes:g}`)",
        "",
        "`timesync sync --methods audio`, cold cache, one run each, 2 shared cores; memory is the peak "
        "summed over the process tree. 'every pair': the same with the pair selection off (as before it). "
        "Pairs: audio constraints the solve used (one per pair matched).",
        "",
        "| sources | hours of audio | seconds | peak MB | placed | pairs | worst error ms "
        "| every pair: seconds | every pair: peak MB | every pair: pairs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r, base in rows:
        lines.append(f"| {n} | {n * args.many_minutes / 60:.1f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
                     f"{r['placed']} of {n} | {r['pairs']} | {r['worst_ms']:.3f} | "
                     + (f"{base['seconds']:.1f} | {base['peak_mb']:.0f} | {base['pairs']} |" if base else "- | - | - |"))
    if args.many_minutes != 20:
        lines += ["", f"Sources of {args.many_minutes:g} min, not the issue's 20 (a shorter run on a busy machine)."]
    lines += ["", f"Load average at the end: {os.getloadavg()[0]:.0f} on {os.cpu_count()} cores."]
    if 10 in by_n and 40 in by_n:
        lines += ["", f"40 sources take {by_n[40]['seconds'] / by_n[10]['seconds']:.2f}x the time of 10 "
                  "(target at most 3x; the audio itself is 4x)."]
        for k, (this, load) in enumerate(getattr(args, "many_ratios", [])):
            (r10, b10), (r40, b40) = this[10], this[40]
            lines.append(f"- run {k + 1} (load {load:.1f}): 40/10 = {r40['seconds'] / r10['seconds']:.2f}x wall, "
                         f"{r40['cpu_s'] / r10['cpu_s']:.2f}x CPU"
                         + (f"; before: {b40['seconds'] / b10['seconds']:.2f}x wall, "
                            f"{b40['cpu_s'] / b10['cpu_s']:.2f}x CPU" if b10 else ""))
    if cluster:
        n, c, local = cluster
        if c["rc"] == 0:
            lines += ["", f"Cluster run: `timesync.sync(files, executor=client.get_executor())` on a dask "
                      f"LocalCluster of 2 worker processes (1 thread each), {n} sources: {c['sync_s']:.1f} s "
                      f"(cluster start {c['start_s']:.1f} s apart; the default run above: "
                      f"{local['seconds']:.1f} s), peak {c['peak_mb']:.0f} MB over the process tree, "
                      f"{c['placed']} of {n} placed, worst error {c['worst_ms']:.3f} ms."]
        else:
            lines += ["", f"Cluster run failed: {c['stderr'][-300:]}"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of each body cam (default 10)")
    ap.add_argument("--cams", type=int, default=3, help="number of body cams (default 3)")
    ap.add_argument("--runs", type=int, default=1, help="alternating runs of each (median reported)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--compare-with", metavar="DIR", default=None,
                    help="also time the timesync of this checkout (its timesync/ package), side by side")
    ap.add_argument("--many-counts", default="2,5,10,20,40", help="the many-source curve's sizes")
    ap.add_argument("--many-minutes", type=float, default=20.0, help="length of each of those sources")
    ap.add_argument("--every-pair-up-to", type=int, default=20,
                    help="also run the curve with every pair matched, up to this many sources")
    ap.add_argument("--no-cluster", dest="cluster", action="store_false", help="skip the dask cluster run")
    ap.add_argument("--only-many", action="store_true", help="the many-source curve (and cluster run) only")
    ap.add_argument("--skip-many", action="store_true", help="the body cams only")
    from footage_measure import add_issue_args, run_issue

    add_issue_args(ap)  # --issue-footage: the issue's own 1080p case
    args = ap.parse_args()
    if args.issue_footage:
        return run_issue(args)
    if not args.skip_many:
        text = many_curve(args)
        print(text)
        if not args.no_write:
            write_block(MANY_START, MANY_END, text)
    if args.only_many:
        return 0
    files = footage(args.minutes, args.cams)
    mb = sum(f.stat().st_size for f in files) / 1e6
    here = Path(__file__).resolve().parents[1]
    trees = {"": here} | ({"before": Path(args.compare_with).resolve()} if args.compare_with else {})
    for tree in trees.values():
        compiled(tree)
    rows: dict[str, list[dict]] = {"floor": []}
    for k in range(args.runs):
        rows["floor"].append(floor(files))
        for tag, tree in trees.items():
            for methods in (None, "audio"):
                name = ("all" if methods is None else "audio") + (f"@{tag}" if tag else "")
                rows.setdefault(name, []).append(run_sync(files, methods, tree))
        print(f"   run {k + 1}: " + ", ".join(f"{n} {v[-1]['seconds']:.1f} s / {v[-1]['cpu_s']:.1f} s CPU"
                                              for n, v in rows.items()), flush=True)
    text = report(rows, args, mb)
    print(text)
    if not args.no_write:
        write_block(START, END, text)
    return 0


def report(rows: dict[str, list[dict]], args: argparse.Namespace, mb: float) -> str:
    med = {n: statistics.median(r["seconds"] for r in v) for n, v in rows.items()}
    cpu = {n: statistics.median(r["cpu_s"] for r in v) for n, v in rows.items()}
    peak = {n: max(r["peak_mb"] for r in v) for n, v in rows.items()}
    last = rows["all"][-1]
    lines = [
        f"## Footage: {args.cams} body cams of {args.minutes:g} min, 720p30 H.264 + AAC, "
        f"{mb * 8 / (args.cams * args.minutes * 60):.1f} Mbit/s ({mb:.0f} MB in all; "
        f"`bench/bench_footage.py --minutes {args.minutes:g}`)",
        "",
        f"Audio places every camera. Median of {args.runs} alternating run(s), 2 shared cores (load "
        f"{os.getloadavg()[0]:.0f} at the end); CPU and memory are summed over the process tree.",
        "",
        "| run | seconds | x floor | CPU s | x floor CPU | peak MB | placed |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| floor: ffmpeg audio decode + sha256sum of every file | {med['floor']:.1f} | 1.00 | "
        f"{cpu['floor']:.1f} | 1.00 | {peak['floor']:.0f} | - |",
    ]
    labels = {"all": "`timesync sync` (all methods, default)", "audio": "`timesync sync --methods audio`"}
    for name in rows:
        if name == "floor":
            continue
        kind, _, tag = name.partition("@")
        r = rows[name][-1]
        lines.append(f"| {labels[kind]}{f' ({tag})' if tag else ''} | {med[name]:.1f} | "
                     f"{med[name] / med['floor']:.2f} | {cpu[name]:.1f} | {cpu[name] / cpu['floor']:.2f} | "
                     f"{peak[name]:.0f} | {r['placed']} of {args.cams} |")
    if args.compare_with:
        lines += ["", f"'before': the timesync of `{args.compare_with}`, timed in the same loop."]
    lines += ["", "Targets: at most 1.5x the floor, 500 MB. Aligners of the default run: "
              + "; ".join(f"{k}: {v}" for k, v in sorted(last["aligners"].items())) + "."]
    if last.get("errors_ms"):
        lines.append(f"Offsets against the truth (multiples of {STAGGER_S:g} s): worst "
                     f"{max(last['errors_ms']):.3f} ms.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
