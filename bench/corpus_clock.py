"""Only the burned-in clocks of the stress corpus: read each overlay, score it, fast.

Runs :func:`timesync.align.overlay.read_overlay_clock` on every video source of
the cached corpus cases (``bench/corpus.py`` builds them) whose truth has an
overlay, scores it like ``bench/bench_corpus.py`` does (``corpus_score.score_clock``:
read within 0.1 s / misread / not read; a clock whose day/month order stays
ambiguous is reported by its time of day only and scored on it, apart: "time read" /
"time misread") and prints one line per clock (with the
reader's note) and a table per half and style. The clocks of a case are read
together by the overlay aligner (``find_constraints``, which settles ambiguous
dates by the other clocks); no other aligner runs: this is the quick loop for
the overlay reader alone.

Usage: ``python bench/corpus_clock.py [--seeds N] [--only 12,26] [--style small] [--half tuning] [--jobs J]``.
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


def read_case(job: tuple[str, dict, list[dict]]) -> list[dict]:
    """Read the clocks of one case as the overlay aligner does and score each (in a worker process).

    :func:`timesync.align.overlay.find_constraints` reads every clock and settles
    ambiguous day/month dates by the case's other clocks, as ``timesync.sync`` does.
    """
    from types import SimpleNamespace

    from timesync.align.overlay import find_constraints

    folder, truth, srcs = job
    started = time.perf_counter()
    try:
        report = find_constraints([SimpleNamespace(name=s["name"], path=Path(folder) / s["name"], info=None)
                                   for s in srcs])
        answer = {"sources": [{"path": s["name"], "overlay_clock": report.findings.get(s["name"], {})
                               .get("overlay_clock")} for s in srcs]}
        notes = report.notes
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        answer, notes = {"sources": []}, {s["name"]: f"{type(exc).__name__}: {exc}" for s in srcs}
    took = (time.perf_counter() - started) / max(1, len(srcs))
    rows = []
    for src in srcs:
        row = score_clock(truth, src, answer)
        row.update(note=notes.get(src["name"]), took_s=took)
        found = next((s["overlay_clock"] for s in answer["sources"] if s["path"] == src["name"]), None) or {}
        if row["outcome"] == "not read" and found.get("time_of_day_at_local_zero"):
            _score_time_of_day(row, src, found)
        rows.append(row)
    return rows


#: Why a clock was not read (or read by its time of day only), from the reader's note: (words, cause).
WHY = (("ambiguous", "date withheld"), ("never set", "clock never set"), ("no seconds tick", "ticks not found"),
       ("could not be read consistently", "OCR text wrong"), ("disagree on the date", "fit rejected"),
       ("too few video frames", "too short"), ("too short", "too short"), ("no video stream", "no video"),
       ("overlay not read", "file not read"), ("no readable clock overlay", "region not found"))


def why(row: dict) -> str:
    """The cause of a clock not read (``""`` when read): the first of :data:`WHY` its note names."""
    if row["outcome"] == "read":
        return ""
    note = row.get("note") or ""
    return next((cause for words, cause in WHY if words in note), "other: " + note[:60])


def _score_time_of_day(row: dict, src: dict, found: dict) -> None:
    """A clock whose date order stayed ambiguous, reported by its time of day only: ``"time read"``
    (within ``CLOCK_READ_S`` of the truth, modulo a day) or ``"time misread"``; ``reported`` its text."""
    from datetime import time as day_time

    from corpus_score import CLOCK_READ_S

    told = day_time.fromisoformat(found["time_of_day_at_local_zero"])
    got = told.hour * 3600 + told.minute * 60 + told.second + told.microsecond / 1e6
    errors = [(got - st["at_local_zero_s"] % 86400 + 43200) % 86400 - 43200
              for st in src["overlay"]["stretches"]]
    best = min(errors, key=abs)
    row.update(error_s=best, reported=f"{found['time_of_day_at_local_zero']} on {' or '.join(found['date_candidates'])}",
               outcome="time read" if abs(best) <= CLOCK_READ_S else "time misread")


def _jobs(seeds: list[int], style: str | None) -> list[tuple[str, dict, list[dict]]]:
    jobs = []
    for seed in seeds:
        folder = case_dir(seed, False)
        if not (folder / "truth.json").exists():
            continue
        truth = json.loads((folder / "truth.json").read_text())
        srcs = [s for s in truth["sources"] if s.get("overlay")]
        if srcs and (style is None or any(s["overlay"]["style"] == style for s in srcs)):
            jobs.append((str(folder), truth, srcs))
    return jobs


def summary(rows: list[dict]) -> str:
    """A table: clocks read / misread / not read per half and style."""
    lines = ["| half | style | clocks | read | misread | time of day read (date ambiguous) | time misread | not read |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for half in ("held-out", "tuning"):
        mine = [r for r in rows if r["half"] == half]
        for style in sorted({r["style"] for r in mine}) + ["all"]:
            sel = [r for r in mine if style in ("all", r["style"])]
            c = Counter(r["outcome"] for r in sel)
            lines.append(f"| {half} | {style} | {len(sel)} | {c['read']} | {c['misread']} | {c['time read']} | "
                         f"{c['time misread']} | {c['not read']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Read, score and print every corpus clock (cached cases only)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--only", help="comma-separated seeds")
    ap.add_argument("--style", help="only this overlay style")
    ap.add_argument("--half", choices=("tuning", "held-out"))
    ap.add_argument("--jobs", type=int, default=2)
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
        rows = [r for case in pool.map(read_case, jobs) for r in case]
    for r in rows:
        err = "" if r["error_s"] is None else f"{r['error_s']:+.3f} s"
        r["why"] = why(r)
        print(f"seed {r['seed']:3d} {r['half']:8s} {r['source']:14s} {r['style']:9s} {r['outcome']:8s} {err:>10s} "
              f"{r['took_s']:5.1f} s  {r['reported']}  {('[' + r['why'] + '] ') if r['why'] else ''}{r['note'] or ''}")
    print(summary(rows))
    causes = Counter((r["half"], r["why"]) for r in rows if r["why"])
    print("why not read: " + ", ".join(f"{half} {cause}: {n}" for (half, cause), n in sorted(causes.items())))
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
