"""The stress corpus benchmark (issue 12 item 6): today's timesync on cases it was not tuned to.

Builds (or reuses) the cases of ``bench/corpus.py`` (real media from
``../shared/media``: speech, birds, door slams, punches, booms, live-fire
gunshots, real video), runs ``timesync.sync`` on each case in its own
subprocess (``python -c``, with this worktree on ``PYTHONPATH``, a timeout per
case), scores every non-first source against ``truth.json``
(``bench/corpus_score.py``: placed / off / refused / confidently wrong, per
evidence kind) and every burned-in clock (read / misread / not read), prints a
table per kind and per half (even seeds: tuning; odd seeds: held-out), and
writes the "Stress corpus" section of ``bench/RESULTS.md``.

Usage: ``python bench/bench_corpus.py [--seeds N] [--quick] [--jobs J] [--timeout S] [--no-write]``
(only the burned-in clocks, fast: ``python bench/corpus_clock.py``).
Skips with one sentence (exit 0) when ``../shared/media`` is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, DEFAULT_SEEDS, VERSION, corpus_seeds, media_missing  # noqa: E402
from corpus_score import score_case  # noqa: E402
from results_md import write_block  # noqa: E402

START, END = "<!-- corpus:start -->", "<!-- corpus:end -->"
KINDS = ("audio", "audio-short", "visual", "visual-few", "clock", "unrelated")
OUTCOMES = ("placed", "off", "refused", "wrong")
RUNNER = (
    "import json, sys\n"
    "import timesync\n"
    "try:\n"
    "    out = timesync.sync(sys.argv[2:]).to_dict()\n"
    "except Exception as exc:\n"
    "    out = {'error': f'{type(exc).__name__}: {exc}', 'sources': []}\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump(out, f)\n"
)


def run_case(folder: Path, out: Path, timeout: float) -> tuple[dict, float]:
    """timesync's project dict for one case (``{"error": ...}`` on a timeout or crash) and its wall time."""
    truth = json.loads((folder / "truth.json").read_text())
    names = [s["name"] for s in truth["sources"]]
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(out), *names], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "sources": []}, time.perf_counter() - started
    took = time.perf_counter() - started
    if proc.returncode != 0 or not out.exists():
        return {"error": (proc.stderr.strip().splitlines() or ["crashed"])[-1], "sources": []}, took
    return json.loads(out.read_text()), took


def tally(rows: list[dict], key: str) -> dict:
    """``{(half, kind): Counter(outcome)}`` of ``rows``."""
    out: dict = {}
    for r in rows:
        out.setdefault((r["half"], r[key]), Counter())[r["outcome"]] += 1
    return out


def _pct(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.0f} %)" if n else "-"


def table(rows: list[dict], clocks: list[dict]) -> str:
    """The markdown tables: sources per half and kind, burned-in clocks per half and style."""
    lines = ["| half | evidence kind | sources | placed | off | refused | confidently wrong |",
             "|---|---|---:|---:|---:|---:|---:|"]
    counts = tally(rows, "kind")
    for half in ("held-out", "tuning"):
        for kind in KINDS:
            c = counts.get((half, kind))
            if not c:
                continue
            n = sum(c.values())
            lines.append(f"| {half} | {kind} | {n} | " + " | ".join(_pct(c[o], n) for o in OUTCOMES) + " |")
    lines += ["", "| half | overlay style | clocks | read (0.1 s) | misread | not read |", "|---|---|---:|---:|---:|---:|"]
    ccounts = tally(clocks, "style")
    for half in ("held-out", "tuning"):
        styles = sorted(s for h, s in ccounts if h == half)
        total = Counter()
        for style in styles:
            c = ccounts[(half, style)]
            total.update(c)
            n = sum(c.values())
            lines.append(f"| {half} | {style} | {n} | {_pct(c['read'], n)} | {_pct(c['misread'], n)} | "
                         f"{_pct(c['not read'], n)} |")
        n = sum(total.values())
        if n:
            lines.append(f"| {half} | **all** | {n} | {_pct(total['read'], n)} | {_pct(total['misread'], n)} | "
                         f"{_pct(total['not read'], n)} |")
    return "\n".join(lines)


def headline(rows: list[dict], clocks: list[dict], half: str = "held-out") -> dict:
    """The issue's four figures on one half (fractions, None when the half has no such source)."""
    def frac(sel, good):
        n = len(sel)
        return (sum(good(r) for r in sel) / n, n) if n else (None, 0)

    mine = [r for r in rows if r["half"] == half]
    return {
        "audio_placed": frac([r for r in mine if r["kind"] == "audio"], lambda r: r["outcome"] == "placed"),
        "visual_placed": frac([r for r in mine if r["kind"] == "visual"], lambda r: r["outcome"] == "placed"),
        "clocks_read": frac([c for c in clocks if c["half"] == half], lambda c: c["outcome"] == "read"),
        "wrong": sum(r["outcome"] == "wrong" for r in mine),
        "sources": len(mine),
    }


def _figure(value: tuple) -> str:
    frac, n = value
    return "-" if frac is None else f"{100 * frac:.1f} % of {n}"


def report(rows: list[dict], clocks: list[dict], meta: dict) -> str:
    """The "Stress corpus" section of RESULTS.md."""
    h = headline(rows, clocks)
    wrong = [r for r in rows if r["outcome"] == "wrong"]
    lines = [
        "## Stress corpus (bench/bench_corpus.py)",
        "",
        f"{meta['cases']} randomized cases ({meta.get('seeds', 'seeds 0..' + str(meta['cases'] - 1))}, generator v{VERSION}, "
        "`bench/corpus/`, written apart from `timesync.samples`) built from the real media in "
        "`../shared/media`: speech, birds, door slam, punch, boom, live-fire gunshots (ShotSpotter, CC BY 4.0), "
        "bikes/carphone/tree video. SNR -5 to 30 dB over wind, crowd, traffic or hiss beds, reverb; AAC 24-256 kb/s, "
        "MP3, Opus, PCM, G.711; 8-48 kHz; drift ±150 ppm; overlaps 15 s to 60 min; sparse-impulse scenes, silent "
        "heads, split files, damaged packets; flashes of one frame to 0.5 s, whole-frame or local; body-cam, DVR "
        "(12-hour, month- or day-first), small semi-transparent and airborne (tenths, Z, no date) overlays, clocks "
        "that jump, device clock errors up to 3 hours; unrelated pairs. Even seeds are the tuning half, odd seeds "
        "the held-out half. Nothing in `timesync/` was tuned to it.",
        "",
        f"**Held-out half, against the targets**: sharing >= 15 s of audible sound, placed within 2 ms: "
        f"{_figure(h['audio_placed'])} (target 95 %); no shared sound, >= 3 flashes, placed within half a frame: "
        f"{_figure(h['visual_placed'])} (target 90 %); burned-in clocks read: {_figure(h['clocks_read'])} "
        f"(target 95 %); confidently wrong: {h['wrong']} of {h['sources']} sources (target 0).",
        "",
        table(rows, clocks),
        "",
        "Kinds: `audio` shares >= 15 s of audible sound with its partner (2 ms), `audio-short` less (2 ms), "
        "`visual` no sound but >= 3 shared flashes (half a frame), `visual-few` 1-2 flashes, `clock` only "
        "burned-in clocks (within the stated sigma), `unrelated` nothing (refused is right, any placement is "
        "wrong). *Off*: placed outside the tolerance but not confidently wrong; *confidently wrong*: error above "
        "5 sigma and above 10 ms. Shared audible sound is the total time the shared scene sounds in both "
        "recordings (after silent heads; in a sparse scene each impulse counts for at most 0.5 s). Each source is "
        "scored against its partner (the source it shares most with) at the middle of its recording. A clock is "
        "read when the reported value at local 0 is within 0.1 s of the truth of one of its steady stretches.",
        "",
        "Run: `python bench/bench_corpus.py` (`--quick`: eight short cases, one per family, nothing written; "
        "`--rescore RUN` scores saved answers again). Cases are cached in `~/.cache/timesync-bench/corpus/` by "
        "seed and generator version; `python bench/corpus.py` only builds them.",
    ]
    if wrong:
        lines += ["", "Confidently wrong answers:", ""]
        for r in wrong[:20]:
            err = "placed (unrelated)" if r["error_s"] is None else \
                f"error {1000 * r['error_s']:+.1f} ms, sigma {1000 * r['sigma_s']:.1f} ms"
            lines.append(f"- seed {r['seed']} ({r['half']}, {r['family']}) {r['source']} vs {r['partner']}, "
                         f"{r['kind']}: {err}, method {r['method']}")
    lines += ["", f"Build {meta['build_s']:.0f} s (summed over cases; cached cases reused: {meta['cached']}), "
              f"run {meta['run_s']:.0f} s (timesync, summed), {meta['wall_s']:.0f} s wall in all (builds overlap "
              f"the runs), {meta['machine']}; errors or timeouts: {meta['errors']}"
              + (f"; cases that failed to build (left out): {meta['failed']}" if meta["failed"] else "") + "."]
    return "\n".join(lines)


def _run_all(seeds: list[int], args, runs: Path) -> tuple[list[dict], list[dict], dict]:
    """Build the cases on ``args.jobs`` processes and run each as soon as it is built (in seed order)."""
    from concurrent.futures import ProcessPoolExecutor

    from corpus.build import build_timed

    rows, clocks = [], []
    stats = {"failed": [], "build_s": 0.0, "run_s": 0.0, "errors": 0}
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        futures = {s: pool.submit(build_timed, (s, args.quick, str(CACHE))) for s in seeds}
        for seed in seeds:
            _, folder, took = futures[seed].result()
            stats["build_s"] += took
            if folder.startswith("FAILED"):
                print(f"seed {seed:3d} not built, left out: {folder}", flush=True)
                stats["failed"].append(seed)
                continue
            truth = json.loads((Path(folder) / "truth.json").read_text())
            out = runs / f"seed-{seed:03d}.json"
            if args.rescore:
                answer, ran = json.loads(out.read_text()), 0.0
            else:
                answer, ran = run_case(Path(folder), out, args.timeout)
                out.write_text(json.dumps(answer))
            stats["run_s"] += ran
            stats["errors"] += "error" in answer
            r, c = score_case(truth, answer)
            rows += r
            clocks += c
            outcome = " ".join(f"{x['source']}:{x['kind']}:{x['outcome']}" for x in r)
            print(f"seed {seed:3d} {truth['family']:12s} build {took:6.1f} s run {ran:6.1f} s  {outcome}"
                  + (f"  [{answer['error']}]" if "error" in answer else ""), flush=True)
    return rows, clocks, stats


def main(argv: list[str] | None = None) -> int:
    """Build, run, score, print; write the RESULTS.md section unless ``--no-write``."""
    from corpus.build import case_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--quick", action="store_true", help="eight short cases, one per family")
    ap.add_argument("--jobs", type=int, default=2, help="build processes")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    ap.add_argument("--rescore", type=Path, help="score the answers saved in this run folder again (no run)")
    args = ap.parse_args(argv)
    missing = media_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 0
    seeds = corpus_seeds(args.seeds, args.quick)
    cached = sum((case_dir(s, args.quick) / "truth.json").exists() for s in seeds)
    runs = args.rescore or CACHE / "runs" / time.strftime("%Y%m%dT%H%M%S")
    runs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows, clocks, stats = _run_all(seeds, args, runs)
    meta = {"cases": len(seeds) - len(stats["failed"]), "failed": stats["failed"], "build_s": stats["build_s"],
            "run_s": stats["run_s"], "wall_s": time.perf_counter() - started, "cached": cached,
            "errors": stats["errors"], "machine": f"{os.cpu_count()} cores, shared with other work",
            "seeds": "the --quick seeds " + ", ".join(map(str, seeds)) if args.quick else f"seeds 0..{len(seeds) - 1}"}
    if args.rescore and (runs / "meta.json").exists():  # the timings of the run that made the answers
        meta = json.loads((runs / "meta.json").read_text())
    (runs / "meta.json").write_text(json.dumps(meta))
    (runs / "rows.json").write_text(json.dumps({"sources": rows, "clocks": clocks}, indent=1))
    text = report(rows, clocks, meta)
    print(text)
    if not args.no_write and not args.quick:
        write_block(START, END, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
