"""The stress corpus's flash cases only: ``visual``, ``visual-few`` and ``unrelated`` (issue 12 item 3).

Runs the cases of ``bench/corpus.py`` that hold a source of those kinds (from
the cache of built cases; missing ones are built) through ``timesync.sync``
exactly as ``bench/bench_corpus.py`` does (one subprocess per case, scored by
``bench/corpus_score.py``) and prints one line per source and a table per half
(even seeds: tuning; odd seeds: held-out).

``--why`` matches, in this process, each ``visual``/``visual-few`` source's
flashes against its partner's (the ``"visual"`` aligner's
``visual_constraint``, no metadata narrowing, no solve) and prints the outcome
(placed within half a frame, off, wrong, refused) with its cause: the shared
flashes not detected (fewer than three seen by both), detected a frame off (an
onset of a shared flash more than half a frame from the truth), matching
refused (too few agreeing) or the ambiguity guard (a runner-up too close in
count or chance evidence). Tuning seeds only: never run it on held-out seeds.

``--detect`` prints instead, per video of those cases, the flashes the
detector found against the true ones (local time): found (an event within a
frame and a half of a true onset), missed, and extra (false events), with the
times of the extra ones; no sync is run. Without it, a refused source's line
ends with timesync's reason.

Usage: ``python bench/corpus_visual.py [--half tuning|held-out|all] [--detect | --why] [--seeds N] [--only SEED ...]
[--timeout S]``.
Nothing is written to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

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


def bench_flashes(path: Path) -> list:
    """``detect_flashes`` of a corpus video, its cell grid kept on disk (``<cache>/cells``) between runs.

    Only for the bench's quick loops: the grid is keyed by the file's name, size
    and modification time; the detector itself runs anew each time.
    """
    from timesync.align.flashes.detect import cell_brightness, detect_flashes
    from timesync.media import FrameIndex

    stat = path.stat()
    keep = CACHE / "cells" / f"{path.parent.name}-{path.stem}-{stat.st_size}-{stat.st_mtime_ns}.npy"
    index = FrameIndex.open(path)
    if keep.exists():
        bright = np.load(keep)
    else:
        bright = cell_brightness(path, index)
        keep.parent.mkdir(parents=True, exist_ok=True)
        np.save(keep, bright)
    return detect_flashes(path, index=index, bright=bright)


def detect_case(seed: int, folder: Path) -> Counter:
    """Print the detector's flashes against the truth for each video of one case; counts."""
    truth = json.loads((folder / "truth.json").read_text())
    counts: Counter = Counter()
    for src in truth["sources"]:
        if src["type"] != "video":
            continue
        frame = src["video"]["frame_s"]
        onsets = sorted(e.onset_s(0.5 * e.frame_s) for e in bench_flashes(folder / src["name"]))
        real, durations = true_flashes(truth, src)
        hit = [any(abs(t - o) <= 1.5 * frame for o in onsets) for t in real]
        extra = [o for o in onsets if not any(abs(t - o) <= 1.5 * frame for t in real)]
        counts.update(true=len(real), found=sum(hit), extra=len(extra))
        print(f"seed {seed:3d} {src['name']:14s} {src['video']['clip']:12s} {1 / frame:5.1f} fps  true {len(real)} "
              f"found {sum(hit)} extra {len(extra)}  missed (local s, duration s) "
              f"{[(round(t, 2), durations[k]) for k, t in enumerate(real) if not hit[k]]}  extra at "
              f"{[round(o, 2) for o in extra[:12]]}", flush=True)
    return counts


def _true_in(src: dict, other: dict, local: float) -> float:
    """Where local time ``local`` of ``src`` truly is in ``other``'s local time (s)."""
    shared = src["offset_s"] + src["rate"] * local
    return (shared - other["offset_s"]) / other["rate"]


def _onset_errors(events: list, real: list[float], durations: list[float], frame: float) -> list[float | None]:
    """Per true onset: the nearest detected event's onset (with the true duration) minus it, in frames."""
    out: list[float | None] = []
    for t, d in zip(real, durations, strict=True):
        near = [e.onset_s(min(d, 0.2)) - t for e in events if abs(e.onset_s(0.5 * e.frame_s) - t) <= 1.5 * frame]
        out.append(min(near, key=abs) / frame if near else None)
    return out


def _guard(a, b, frame_s: float, true_off: float) -> str:
    """Why ``match_and_fit`` refused (or what won): best and runner-up counts and chance evidence."""
    from timesync.align.flashes import pattern as pat

    a, b = a.take(a.distinct()), b.take(b.distinct())
    hyps, counts = pat._votes(a, b, frame_s, None)
    chosen: list[float] = []
    for k in np.argsort(-counts, kind="stable"):
        if len(chosen) < 60 and all(abs(hyps[k] - c) > 0.1 * frame_s for c in chosen):
            chosen.append(float(hyps[k]))
    slack = 0.5 * frame_s * np.abs(b.r[None, :] - a.r[:, None])
    (sa, la), (sb, lb) = a.bounds(), b.bounds()
    allowed = np.maximum(sa[:, None], sb[None, :]) <= np.minimum(la[:, None], lb[None, :])
    refined = [pat._refined(a, b, h, 0.5 * frame_s, slack, allowed) for h in chosen]
    distinct: list = []
    for r in sorted(refined, key=lambda r: (-r[0], r[3].uncertainty_s if r[3] else math.inf)):
        if all(abs(r[1] - d[1]) >= 0.5 * frame_s for d in distinct):
            distinct.append(r)
    if not distinct:
        return "no hypothesis"
    density = len(b.t) / max(float(np.ptp(b.t)), frame_s)
    ev = [pat._evidence(a, b, r[2], density, r[3]) for r in distinct]
    truth = [k for k, r in enumerate(distinct) if abs(r[1] - true_off) < frame_s]
    tk = truth[0] if truth else None
    desc = " ".join(f"{r[0]}@{r[1] - true_off:+.3f}s/{e:.1f}" for r, e in list(zip(distinct, ev, strict=True))[:4])
    tdesc = f"true hyp rank {tk} ({distinct[tk][0]} agree, evidence {ev[tk]:.1f})" if tk is not None else "true hyp absent"
    return f"top (agree@offset-truth/evidence): {desc}; {tdesc}"


def why_case(seed: int, folder: Path) -> Counter:
    """Per visual source of one tuning case: the outcome of matching it with its partner, and why."""
    from timesync.align.flashes.pattern import EventSet
    from timesync.align.flashes.visual import visual_constraint

    truth = json.loads((folder / "truth.json").read_text())
    by = {s["name"]: s for s in truth["sources"]}
    counts: Counter = Counter()
    for src in truth["sources"][1:]:
        ev = src.get("evidence") or {}
        if ev.get("kind") not in ("visual", "visual-few"):
            continue
        other = by[ev["partner"]]
        frame = min(src["video"]["frame_s"], other["video"]["frame_s"])
        fa, fb = bench_flashes(folder / src["name"]), bench_flashes(folder / other["name"])
        ra, da = true_flashes(truth, src)
        rb, db = true_flashes(truth, other)
        shared_a = [(t, d) for t, d in zip(ra, da, strict=True) if any(
            abs(_true_in(src, other, t) - u) < 0.05 for u in rb)]
        ta, tdur = [t for t, _ in shared_a], [d for _, d in shared_a]
        tb = [_true_in(src, other, t) for t in ta]
        err_a = _onset_errors(fa, ta, tdur, src["video"]["frame_s"])
        err_b = _onset_errors(fb, tb, tdur, other["video"]["frame_s"])
        both = sum(x is not None and y is not None for x, y in zip(err_a, err_b, strict=True))
        far = [(round(t, 2), d, x, y) for t, d, x, y in zip(ta, tdur, err_a, err_b, strict=True)
               if (x is not None and abs(x) > 0.5) or (y is not None and abs(y) > 0.5)]
        mid = src["duration_s"] / 2
        true_off = _true_in(src, other, mid) - mid
        c, _why = visual_constraint(src["name"], fa, other["name"], fb) if len(fa) >= 3 and len(fb) >= 3 \
            else (None, "too few events")
        if c is None:
            outcome = "refused"
        else:
            error = c.offset_s + c.at_source_s - _true_in(src, other, c.at_source_s)
            outcome = "placed" if abs(error) <= frame / 2 else (
                "wrong" if abs(error) > 5 * c.uncertainty_s and abs(error) > 0.01 else "off")
        if outcome == "placed":
            cause = ""
        elif both < 3:
            cause = f"not detected (seen by both: {both} of {len(ta)})"
        elif far:
            cause = "detected a frame off"
        elif c is None:
            cause = "matching refused / ambiguity guard"
        else:
            cause = "fit off"
        counts[f"{ev['kind']} {outcome}" + (f" ({cause.split(' (')[0]})" if cause else "")] += 1
        err = "" if c is None else (f" error {1000 * error:+.1f} ms sigma {1000 * c.uncertainty_s:.1f} ms chance "
                                    f"anywhere {c.evidence.get('chance_anywhere_log10')}")
        print(f"seed {seed:3d} {src['name']}~{other['name']} {ev['kind']} {1 / src['video']['frame_s']:.0f}/"
              f"{1 / other['video']['frame_s']:.0f} fps events {len(fa)}/{len(fb)} shared {len(ta)} seen-by-both "
              f"{both}: {outcome}{err} {cause}", flush=True)
        if far:
            print(f"    off onsets (t, dur, err frames a, b): {far}")
        if outcome != "placed" and len(fa) >= 3 and len(fb) >= 3:
            print("    " + _guard(EventSet.of(fa), EventSet.of(fb), max(src["video"]["frame_s"],
                                                                      other["video"]["frame_s"]), true_off))
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the flash cases; print per source and per half."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--half", choices=("tuning", "held-out", "all"), default="tuning")
    ap.add_argument("--detect", action="store_true", help="detector against the true flashes; no sync")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--only", type=int, nargs="+", help="these seeds only")
    ap.add_argument("--why", action="store_true", help="per visual source: outcome and cause; no sync (tuning)")
    args = ap.parse_args(argv)
    missing = media_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 0
    cases = flash_cases(args.only or corpus_seeds(args.seeds, False), args.half)
    if args.why:
        total = Counter()
        for seed, folder in cases:
            if seed % 2 == 0:
                total += why_case(seed, folder)
        print("why: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
        return 0
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
