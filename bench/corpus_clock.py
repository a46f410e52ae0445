"""Only the burned-in clocks of the stress corpus: read each overlay, score it, fast.

Runs :func:`timesync.align.overlay.read_overlay_clock` on every video source of
the cached corpus cases (``bench/corpus.py`` builds them) whose truth has an
overlay, scores it like ``bench/bench_corpus.py`` does (``corpus_score.score_clock``:
read within 0.1 s / misread / not read) and prints one line per clock (with the
reader's note and a few OCR texts with ``-v``) and a table per half and style.
No alignment runs: this is the quick loop for the overlay reader alone.

Usage: ``python bench/corpus_clock.py [--seeds N] [--only 12,26] [--style small] [--jobs J] [-v]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import DEFAULT_SEEDS, media_missing  # noqa: E402
from corpus.build import case_dir  # noqa: E402
from corpus_score import score_clock  # noqa: E402


def read_one(job: tuple[str, dict, dict]) -> dict:
    """Read one source's clock and score it against its truth (runs in a worker process)."""
    from timesync.align.overlay import read_overlay_clock

    folder, truth, src = job
    started = time.perf_counter()
    try:
        clock = read_overlay_clock(Path(folder) / src["name"], name=src["name"])
        answer = {"sources": [{"path": src["name"], "overlay_clock": clock.finding() or None}]}
        note, texts = clock.note, [t for _, t in clock.readings]
        region = None if clock.region is None else list(clock.region.text)
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        answer, note, texts, region = {"sources": []}, f"{type(exc).__name__}: {exc}", [], None
    row = score_clock(truth, src, answer)
    row.update(note=note, texts=texts, region=region, took_s=time.perf_counter() - started)
    return row


def _jobs(seeds: list[int], style: str | None) -> list[tuple[str, dict, dict]]:
    jobs = []
    for seed in seeds:
        folder = case_dir(seed, False)
        if not (folder / "truth.json").exists():
            continue
        truth = json.loads((folder / "truth.json").read_text())
        for src in truth["sources"]:
            ov = src.get("overlay")
            if ov and (style is None or ov["style"] == style):
                jobs.append((str(folder), truth, src))
    return jobs


def summary(rows: list[dict]) -> str:
    """A table: clocks read / misread / not read per half and style."""
    lines = ["| half | style | clocks | read | misread | not read |", "|---|---|---:|---:|---:|---:|"]
    for half in ("held-out", "tuning"):
        mine = [r for r in rows if r["half"] == half]
        for style in sorted({r["style"] for r in mine}) + ["all"]:
            sel = [r for r in mine if style in ("all", r["style"])]
            c = Counter(r["outcome"] for r in sel)
            lines.append(f"| {half} | {style} | {len(sel)} | {c['read']} | {c['misread']} | {c['not read']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Read, score and print every corpus clock (cached cases only)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--only", help="comma-separated seeds")
    ap.add_argument("--style", help="only this overlay style")
    ap.add_argument("--half", choices=("tuning", "held-out"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true", help="print OCR texts")
    ap.add_argument("--save", type=Path, help="write the rows as JSON here")
    args = ap.parse_args(argv)
    if media_missing():
        print(media_missing(), file=sys.stderr)
        return 0
    seeds = [int(s) for s in args.only.split(",")] if args.only else list(range(args.seeds))
    if args.half:
        seeds = [s for s in seeds if (s % 2 == 0) == (args.half == "tuning")]
    jobs = _jobs(seeds, args.style)
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        rows = list(pool.map(read_one, jobs))
    for r in rows:
        err = "" if r["error_s"] is None else f"{r['error_s']:+.3f} s"
        print(f"seed {r['seed']:3d} {r['half']:8s} {r['source']:14s} {r['style']:9s} {r['outcome']:8s} {err:>10s} "
              f"{r['took_s']:5.1f} s  region {r['region']}  {r['note'] or ''}")
        if args.verbose:
            print("      ", r["texts"][:6])
    print(summary(rows))
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
