"""Run every benchmark in bench/ in turn; each prints its figures and updates its
own section of bench/RESULTS.md (between its markers).

The last, the issue's own 60-minute footage (``bench_footage.py --issue-footage``),
builds 9.5 GB once (about 25 min on 2 cores) and takes hours: ``--no-issue-footage``
leaves it out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["bench_seek.py", "bench_audio.py", "bench_visual.py", "bench_shots.py", "bench_export.py", "bench_playback.py",
         "bench_corpus.py", "bench_footage.py", "bench_footage.py --issue-footage"]


def main() -> int:
    failed = []
    for name in ORDER:
        if name.endswith("--issue-footage") and "--no-issue-footage" in sys.argv[1:]:
            print(f"-- {name}: left out (--no-issue-footage)")
            continue
        script, *args = name.split()
        script = HERE / script
        if not script.exists():
            print(f"-- {name}: not present, skipped")
            continue
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(script), *args], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
