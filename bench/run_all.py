"""Run every benchmark in bench/ in turn; each prints its figures and updates its
own section of bench/RESULTS.md (between its markers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["bench_seek.py", "bench_audio.py", "bench_visual.py", "bench_shots.py", "bench_export.py", "bench_playback.py",
         "bench_corpus.py", "bench_footage.py"]


def main() -> int:
    failed = []
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            print(f"-- {name}: not present, skipped")
            continue
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
