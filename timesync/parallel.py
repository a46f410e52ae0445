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
import sys
from concurrent.futures import Executor, ProcessPoolExecutor

__all__ = ["process_pool", "PRELOAD"]

#: Modules imported once in the fork server, so that workers start warm.
PRELOAD = ("timesync.media.probe", "timesync.align.audio_decode")

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
