"""The stress corpus's audio cases only (issue 12): placed / off / refused / wrong per half.

Runs ``timesync.sync(paths, methods=["audio"])`` on every case of
``bench/corpus.py`` whose family carries shared (or deliberately unrelated)
sound: audio pairs and groups, hour-long audio, sparse impulses, body cams
and unrelated pairs. Each case runs in its own subprocess (this worktree on
``PYTHONPATH``), ``--jobs`` at a time, and is scored with
``bench/corpus_score.py``; only the ``audio``, ``audio-short`` and
``unrelated`` rows are kept. Even seeds are the tuning half, odd seeds the
held-out half. The answers go to ``~/.cache/timesync-bench/corpus/runs-audio/<time>/``
(``--rescore DIR`` scores a saved run again). Nothing is written to the repository.

Usage: ``python bench/corpus_audio.py [--seeds N] [--only 53,57] [--jobs J] [--timeout S] [--rescore DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, DEFAULT_SEEDS, media_missing  # noqa: E402
from corpus_score import score_case  # noqa: E402

AUDIO_FAMILIES = ("audio-pair", "audio-group", "audio-long", "sparse", "bodycam", "unrelated")
AUDIO_KINDS = ("audio", "audio-short", "unrelated")
RUNNER = (
    "import json, sys\n"
    "import timesync\n"
    "try:\n"
    "    out = timesync.sync(sys.argv[2:], methods=['audio']).to_dict()\n"
    "except Exception as exc:\n"
    "    out = {'error': f'{type(exc).__name__}: {exc}', 'sources': []}\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump(out, f)\n"
)


def _run(folder: Path, out: Path, timeout: float) -> dict:
    truth = json.loads((folder / "truth.json").read_text())
    names = [s["name"] for s in truth["sources"]]
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    try:
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(out), *names], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "sources": []}
    if proc.returncode != 0 or not out.exists():
        return {"error": (proc.stderr.strip().splitlines() or ["crashed"])[-1], "sources": []}
    return json.loads(out.read_text())


def _case(seed: int, runs: Path, args) -> tuple[int, dict, dict, float] | None:
    from corpus.build import case_dir

    folder = case_dir(seed, False)
    if not (folder / "truth.json").exists():
        return None
    truth = json.loads((folder / "truth.json").read_text())
    if truth["family"] not in AUDIO_FAMILIES:
        return None
    out = runs / f"seed-{seed:03d}.json"
    started = time.perf_counter()
    answer = json.loads(out.read_text()) if args.rescore else _run(folder, out, args.timeout)
    return seed, truth, answer, time.perf_counter() - started


def _line(rows: list[dict], half: str) -> str:
    parts = []
    for kind in AUDIO_KINDS:
        mine = [r for r in rows if r["half"] == half and r["kind"] == kind]
        if mine:
            counts = {o: sum(r["outcome"] == o for r in mine) for o in ("placed", "off", "refused", "wrong",
                                                                          "crashed")}
            parts.append(f"{kind}: {len(mine)} sources, " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return f"{half}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run (or rescore) the audio cases; print one line per case and a summary per half."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--only", type=str, default="", help="comma-separated seeds")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--rescore", type=Path)
    args = ap.parse_args(argv)
    missing = media_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 0
    seeds = [int(s) for s in args.only.split(",") if s] or list(range(args.seeds))
    runs = args.rescore or CACHE / "runs-audio" / time.strftime("%Y%m%dT%H%M%S")
    runs.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for res in pool.map(lambda s: _case(s, runs, args), seeds):
            if res is None:
                continue
            seed, truth, answer, took = res
            mine = [r for r in score_case(truth, answer)[0] if r["kind"] in AUDIO_KINDS]
            for r in mine:
                if "error" in answer:
                    r["outcome"] = "crashed"  # a crash never counts as a refusal
            rows += mine
            text = " ".join(f"{r['source']}:{r['kind']}:{r['outcome']}"
                            + (f"({1e3 * r['error_s']:+.2f} ms)" if r["error_s"] is not None else "")
                            for r in mine)
            print(f"seed {seed:3d} {truth['family']:12s} {took:6.1f} s  {text}"
                  + (f"  [{answer['error']}]" if "error" in answer else ""), flush=True)
    (runs / "rows.json").write_text(json.dumps(rows, indent=1))
    for half in ("held-out", "tuning"):
        print(_line(rows, half))
    print(f"answers in {runs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
