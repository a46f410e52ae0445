"""The stress corpus's flash cases only: ``visual``, ``visual-few`` and ``unrelated`` (issue 12 item 3).

Runs the cases of ``bench/corpus.py`` that hold a source of those kinds (from
the cache of built cases; missing ones are built) through ``timesync.sync``
exactly as ``bench/bench_corpus.py`` does (one subprocess per case, scored by
``bench/corpus_score.py``) and prints one line per source and a table per half
(even seeds: tuning; odd seeds: held-out).

``--detect`` prints instead, per video of those cases, the flashes the
detector found against the true ones (local time): found (an event within a
frame and a half of a true onset), missed, and extra (false events), with the
times of the extra ones; no sync is run. Without it, a refused source's line
ends with timesync's reason.

Usage: ``python bench/corpus_visual.py [--half tuning|held-out|all] [--detect] [--seeds N] [--only SEED ...]
[--timeout S]``.
Nothing is written to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_corpus import OUTCOMES, run_case  # noqa: E402
from corpus import CACHE, DEFAULT_SEEDS, corpus_seeds, media_missing  # noqa: E402
from corpus_score import score_case  # noqa: E402

KINDS = ("visual", "visual-few", "unrelated")


def flash_cases(seeds: list[int], half: str) -> list[tuple[int, Path]]:
    """``(seed, folder)`` of the built cases with a source of :data:`KINDS` in ``half``."""
    from corpus.build import build_timed, case_dir

    out = []
    for seed in seeds:
        if half != "all" and (seed % 2 == 1) != (half == "held-out"):
            continue
        folder = case_dir(seed, False)
        if not (folder / "truth.json").exists():
            folder = Path(build_timed((seed, False, str(CACHE)))[1])
        truth = json.loads((folder / "truth.json").read_text())
        if any(s["evidence"]["kind"] in KINDS for s in truth["sources"][1:]):
            out.append((seed, folder))
    return out


def true_flashes(truth: dict, src: dict) -> tuple[list[float], list[float]]:
    """Local onsets (s) of the flashes ``src`` sees, from the case's plan, and their durations (true s)."""
    if not (src.get("video") or {}).get("sees_flashes"):
        return [], []
    seen = [((f["at_true_s"] - src["start_true_s"]) / src["rate_true"], f["duration_s"])
            for f in truth["plan"]["flashes"]]
    seen = [(t, d) for t, d in seen if 0 <= t < src["duration_s"]]
    return [t for t, _ in seen], [d for _, d in seen]


def _reason(answer: dict, name: str) -> str:
    """Why timesync left source ``name`` unplaced (its ``reason``), or ''."""
    for src in answer.get("sources", []):
        if Path(src.get("path", "")).name == name:
            return src.get("reason") or ""
    return ""


def detect_case(seed: int, folder: Path) -> Counter:
    """Print the detector's flashes against the truth for each video of one case; counts."""
    from timesync.align.flashes.detect import detect_flashes

    truth = json.loads((folder / "truth.json").read_text())
    counts: Counter = Counter()
    for src in truth["sources"]:
        if src["type"] != "video":
            continue
        frame = src["video"]["frame_s"]
        onsets = sorted(e.onset_s(0.5 * e.frame_s) for e in detect_flashes(folder / src["name"]))
        real, durations = true_flashes(truth, src)
        hit = [any(abs(t - o) <= 1.5 * frame for o in onsets) for t in real]
        extra = [o for o in onsets if not any(abs(t - o) <= 1.5 * frame for t in real)]
        counts.update(true=len(real), found=sum(hit), extra=len(extra))
        print(f"seed {seed:3d} {src['name']:14s} {src['video']['clip']:12s} {1 / frame:5.1f} fps  true {len(real)} "
              f"found {sum(hit)} extra {len(extra)}  missed (local s, duration s) "
              f"{[(round(t, 2), durations[k]) for k, t in enumerate(real) if not hit[k]]}  extra at "
              f"{[round(o, 2) for o in extra[:12]]}", flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the flash cases; print per source and per half."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--half", choices=("tuning", "held-out", "all"), default="tuning")
    ap.add_argument("--detect", action="store_true", help="detector against the true flashes; no sync")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--only", type=int, nargs="+", help="these seeds only")
    args = ap.parse_args(argv)
    missing = media_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 0
    cases = flash_cases(args.only or corpus_seeds(args.seeds, False), args.half)
    if args.detect:
        total: Counter = Counter()
        for seed, folder in cases:
            total += detect_case(seed, folder)
        print(f"flashes: true {total['true']}, found {total['found']}, extra {total['extra']}")
        return 0
    runs = CACHE / "runs" / ("visual-" + time.strftime("%Y%m%dT%H%M%S"))
    runs.mkdir(parents=True, exist_ok=True)
    tallies: dict = {}
    for seed, folder in cases:
        answer, took = run_case(folder, runs / f"seed-{seed:03d}.json", args.timeout)
        rows, _clocks = score_case(json.loads((folder / "truth.json").read_text()), answer)
        for r in rows:
            if r["kind"] not in KINDS:
                continue
            tallies.setdefault((r["half"], r["kind"]), Counter())[r["outcome"]] += 1
            err = "" if r["error_s"] is None else f" error {1000 * r['error_s']:+.1f} ms sigma {1000 * r['sigma_s']:.1f} ms"
            why = f"  ({_reason(answer, r['source'])})" if r["outcome"] == "refused" and r["kind"] != "unrelated" else ""
            print(f"seed {seed:3d} {r['source']:14s} {r['kind']:10s} {r['outcome']:8s} {took:5.1f} s "
                  f"{r['method']}{err}{why}" + (f"  [{answer['error']}]" if "error" in answer else ""), flush=True)
    print("| half | kind | sources | " + " | ".join(OUTCOMES) + " |")
    for (half, kind), c in sorted(tallies.items()):
        print(f"| {half} | {kind} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
