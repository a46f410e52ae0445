"""Worker processes for work that holds the GIL (probing, decoding with PyAV).

PyAV hands out packets and frames with the GIL held, so probing or decoding
several files in threads runs them one after another. :func:`process_pool`
gives a pool of worker processes instead. On Linux they are forked from a
``forkserver`` (a clean process started once, with :data:`PRELOAD` already
imported, so a worker starts in milliseconds and inherits no threads from
the caller: safe inside the app); elsewhere they are spawned.

Where no child process may be started (in a daemon worker of a cluster, for
instance) it returns None, and callers run the work in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["process_pool", "pool_size", "warm_up", "worth_processes", "on_executor",
           "PROCESS_MIN_BYTES", "PRELOAD"]

T = TypeVar("T")

#: Modules imported once in the fork server, so that workers start warm (PyAV is
#: imported inside functions by the media modules: named here, or every worker
#: would import it again in its first task).
PRELOAD = ("av", "timesync.media.probe", "timesync.align.audio.decode", "scipy.fft")

_context = None


def _mp_context():
    global _context
    if _context is None:
        if sys.platform.startswith("linux"):
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(list(PRELOAD))
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def process_pool(workers: int) -> Executor | None:
    """A pool of ``workers`` processes, or None when fewer than 2 are asked for or
    this process may not have children (then run the work here)."""
    if workers < 2 or multiprocessing.current_process().daemon:
        return None
    try:
        return ProcessPoolExecutor(workers, mp_context=_mp_context())
    except (OSError, ValueError, NotImplementedError):
        return None


def pool_size(tasks: int) -> int:
    """Worker processes for ``tasks`` tasks of similar size: one per task, at most twice
    the cores. With as many processes as tasks the cores share them all to the end,
    instead of the last task running alone on one core while the other idles."""
    return max(1, min(tasks, 2 * (os.cpu_count() or 1)))


#: Files holding fewer bytes than this in all are worked on in this process:
#: smaller ones take less time than worker processes need to start.
PROCESS_MIN_BYTES = 32 * 1024 * 1024


def worth_processes(paths: Iterable[str | os.PathLike[str]]) -> bool:
    """True when ``paths`` hold at least :data:`PROCESS_MIN_BYTES` in all (unreadable
    paths count 0: the probe says what is wrong with them)."""
    total = 0
    for p in paths:
        try:
            total += os.stat(p).st_size
        except OSError:
            pass
    return total >= PROCESS_MIN_BYTES


def warm_up() -> None:
    """Start the fork server now, so that it imports :data:`PRELOAD` while this process
    goes on (for the CLI: while it imports the rest of timesync). The first pool's
    workers then start warm. Does nothing where pools are spawned or cannot be made."""
    if multiprocessing.current_process().daemon:
        return
    ctx = _mp_context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    try:
        forkserver.ensure_running()
    except (OSError, ValueError, RuntimeError):
        # RuntimeError: called while a child process imports the main module (a script
        # without the ``if __name__ == "__main__":`` guard); process_pool() finds out
        pass


#: Tasks handed to an executor ahead of the one awaited (each holds its inputs, pickled
#: for processes or a cluster: the bound keeps that memory bounded too).
IN_FLIGHT = 8


def on_executor(executor: Executor, fn: Callable[[Any], T], items: Sequence[Any]) -> Iterator[T]:
    """``fn(item)`` of every item on ``executor``, yielded in order as each is ready.

    Any :class:`concurrent.futures.Executor` works: threads, processes, or a
    ``dask.distributed`` client's (``client.get_executor()``); ``fn`` and the items
    must pickle for the latter two. At most :data:`IN_FLIGHT` tasks are submitted
    ahead. A task the executor fails to run (a worker lost, a task it cannot send,
    a refused submission) is run here instead, so it gives the same result or
    raises the same error as it would here.
    """
    pending: deque[tuple[Any, Future | None]] = deque()
    items = list(items)
    nxt = 0
    while pending or nxt < len(items):
        while nxt < len(items) and len(pending) < IN_FLIGHT:
            pending.append((items[nxt], _submitted(executor, fn, items[nxt])))
            nxt += 1
        item, future = pending.popleft()
        yield _result(future, fn, item)


def _submitted(executor: Executor, fn: Callable[[Any], Any], item: Any) -> Future | None:
    try:
        return executor.submit(fn, item)
    except Exception:  # noqa: BLE001 - a shut down or refusing executor: run it here
        return None


def _result(future: Future | None, fn: Callable[[Any], T], item: Any) -> T:
    if future is not None:
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - the executor's failure, not fn's: see on_executor
            pass
    return fn(item)
