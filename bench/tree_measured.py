"""Run a command and measure its process tree (used by ``bench_footage.tree_measured``).

Usage: ``python tree_measured.py [--no-sample] TIMEOUT CMD...``. Prints one JSON line: rc,
wall ``seconds``, ``cpu_s`` summed over the tree (children's own times sampled from
``/proc`` every 0.05 s), ``peak_mb`` (the larger of the PSS summed over the tree and the
kernel's peak RSS of the largest process waited for), stdout and stderr tails.

``--no-sample``: nothing is sampled (sampling costs CPU; a run timed for speed alone
skips it): ``cpu_s`` and ``peak_mb`` are then the kernel's figures for the processes
waited for only.
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def kids(pid: int) -> list[int]:
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def sample(proc: subprocess.Popen, done: threading.Event, cpu: dict[int, float], peak: list[int]) -> None:
    while not done.wait(0.05):
        todo, kb = [proc.pid], 0
        while todo:
            p = todo.pop()
            todo += kids(p)
            try:
                with open(f"/proc/{p}/stat") as f:
                    parts = f.read().rsplit(")", 1)[1].split()
                cpu[p] = (int(parts[11]) + int(parts[12])) / TICK
                with open(f"/proc/{p}/smaps_rollup") as f:
                    kb += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            except (OSError, StopIteration, ValueError):
                pass
        peak[0] = max(peak[0], kb)


def main() -> None:
    args = sys.argv[1:]
    sampled = args[0] != "--no-sample"
    if not sampled:
        args = args[1:]
    cpu: dict[int, float] = {}
    peak = [0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    done = threading.Event()
    if sampled:
        threading.Thread(target=sample, args=(proc, done, cpu, peak), daemon=True).start()
    try:
        out, err = proc.communicate(timeout=float(args[0]))
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        rc = "timeout"
    wall = time.perf_counter() - t0
    done.set()
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.pop(proc.pid, None)  # its own time, exactly, from the kernel once waited for
    total = own.ru_utime + own.ru_stime + sum(cpu.values())
    peak_kb = max(peak[0], own.ru_maxrss)
    print(json.dumps({"rc": rc, "seconds": wall, "cpu_s": total, "peak_mb": peak_kb / 1024,
                      "stdout": out[-4000:], "stderr": err[-2000:]}))


if __name__ == "__main__":
    main()
