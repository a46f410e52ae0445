"""The stress corpus generator (issue 12 item 6): randomized cases from the real media in ``../shared/media``.

Written fresh for the benchmark: nothing here imports ``timesync.samples`` or the
test helpers, so the aligners are measured on material they were not built
against. Modules:

- :mod:`corpus.material`: the real recordings and videos, loaded once per process;
- :mod:`corpus.sound`: scenes on true time, noise beds (wind, crowd, traffic), reverb,
  drifting capture of a scene by one device;
- :mod:`corpus.picture`: camera frames from the real videos, flashes, burned-in clocks;
- :mod:`corpus.encode`: PyAV writers (AAC, MP3, Opus, PCM, G.711, H.264), splitting, damage;
- :mod:`corpus.plan`: one case's random description from its seed;
- :mod:`corpus.build`: a case's files and its ``truth.json``, cached by seed and version.

Seeds 0..N-1; even seeds are the tuning half, odd seeds the held-out half. The
case family is ``FAMILIES[(seed // 2) % len(FAMILIES)]`` so both halves hold the
same mix of families.

Note: ``bench/corpus.py`` is the command-line script (``python bench/corpus.py``);
``import corpus`` from ``bench/`` finds this package (a package wins over a module
of the same name in one folder).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Bump when the generator's output changes: cached cases are keyed by it.
VERSION = "1"
REPO = Path(__file__).resolve().parents[2]
#: The real material, by path relative to the repository root (never copied in).
MEDIA = REPO.parent / "shared" / "media"
#: Built cases live outside the repository.
CACHE = Path(os.environ.get("TIMESYNC_BENCH_CACHE", Path.home() / ".cache" / "timesync-bench")) / "corpus"
#: Default number of seeds (the issue asks for at least 60 cases).
DEFAULT_SEEDS = 64


#: The ``--quick`` seeds: one case of each family, four per half.
QUICK_SEEDS = (0, 3, 4, 7, 8, 11, 12, 15)


def corpus_seeds(count: int = DEFAULT_SEEDS, quick: bool = False) -> list[int]:
    """The seeds of a run: ``0..count-1``, or :data:`QUICK_SEEDS` with ``quick``."""
    return list(QUICK_SEEDS) if quick else list(range(count))


def half(seed: int) -> str:
    """``"tuning"`` for even seeds, ``"held-out"`` for odd ones."""
    return "tuning" if seed % 2 == 0 else "held-out"


def media_missing() -> str | None:
    """One sentence when ``../shared/media`` (or a file the corpus needs) is absent, else None."""
    needed = ["pyannote_sample.wav", "birds_10s.wav", "boom.wav", "car_door.wav", "punch.wav",
              "bikes.mp4", "carphone.mp4", "tree.avi", "live-fire"]
    missing = [n for n in needed if not (MEDIA / n).exists()]
    if missing:
        return f"the stress corpus needs the real media in {MEDIA} (missing: {', '.join(missing)}); skipped"
    return None
