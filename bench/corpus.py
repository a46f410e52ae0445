"""Build the stress corpus (issue 12 item 6) from the real media in ``../shared/media``.

Usage: ``python bench/corpus.py [--seeds N] [--quick] [--jobs J] [--root DIR]``.

Builds cases 0..N-1 (default 64; ``--quick``: eight short cases, one per family)
into ``~/.cache/timesync-bench/corpus/v<VERSION>/seed-NNN/`` (outside the
repository; ``$TIMESYNC_BENCH_CACHE`` moves it), each with its files and
``truth.json``; cases already built by the same generator version are reused.
Even seeds are the tuning half, odd seeds the held-out half. The generator lives
in ``bench/corpus/`` and is independent of ``timesync.samples``. The benchmark
that runs timesync on these cases is ``bench/bench_corpus.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, DEFAULT_SEEDS, corpus_seeds, media_missing  # noqa: E402  (the package bench/corpus/)


def main(argv: list[str] | None = None) -> int:
    """Build the corpus; print each case's folder. Exit 0, or 0 with a message when the media are absent."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="number of cases (seeds 0..N-1)")
    ap.add_argument("--quick", action="store_true", help="eight short cases, one per family")
    ap.add_argument("--jobs", type=int, default=2, help="build processes")
    ap.add_argument("--root", type=Path, default=CACHE, help="cache folder")
    args = ap.parse_args(argv)
    missing = media_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 0
    from corpus.build import build_many

    started = time.perf_counter()
    build_many(corpus_seeds(args.seeds, args.quick), args.quick, args.jobs, args.root)
    print(f"built in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
