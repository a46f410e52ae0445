"""The first stage of :func:`timesync.sync.sync`: probe and hash every file, and decode
its audio into coarse features in the same pass.

Large files are probed in worker processes (PyAV's packet scan holds the GIL), one
task per file, so the probing of one file overlaps the decoding of another. A
worker hands its file's features back through an ``.npy`` file in a temporary
folder rather than in the pickled result: a 10-hour recording's features are
86 MB, and a pickle is one more copy of them on each side of the pipe while it
travels (the process tree would hold four at once).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any

from timesync.errors import MediaError

__all__ = ["probe_all"]

Progress = Callable[[float, str], None]


def _probe_one(path: str) -> Any:
    """MediaInfo of ``path``, or the MediaError saying why it cannot be read."""
    from timesync.media import probe

    try:
        return probe(path)
    except MediaError as exc:
        return exc


@dataclass(frozen=True)
class _Saved:
    """Coarse features left in an ``.npy`` file by a worker (see the module notes)."""

    file: str
    features: Any  # the CoarseFeatures, its ``features`` array set to None


def _probe_saving(job: tuple[str, str]) -> tuple[Any, Any]:
    """``probe_with_features(path)`` in a worker process, the features array written to an
    ``.npy`` file in ``folder`` (job ``(path, folder)``) and its result a :class:`_Saved`."""
    import numpy as np

    from timesync.align.audio.decode import CoarseFeatures, probe_with_features

    path, folder = job
    info, feats = probe_with_features(path)
    if isinstance(feats, CoarseFeatures):
        handle, name = tempfile.mkstemp(suffix=".npy", dir=folder)
        with os.fdopen(handle, "wb") as out:
            np.save(out, feats.features)
        feats = _Saved(name, replace(feats, features=None))
    return info, feats


def _loaded(feats: Any) -> Any:
    """The CoarseFeatures of a worker's result (read back from its file, which is removed)."""
    if not isinstance(feats, _Saved):
        return feats
    import numpy as np

    try:
        return replace(feats.features, features=np.load(feats.file))
    finally:
        os.unlink(feats.file)


def _probe_in_processes(paths: Sequence[str], progress: Progress | None) -> list | None:
    """``(info, features)`` of every path from worker processes, or None when none could
    be started or one died (the caller probes here instead)."""
    from timesync.parallel import pool_size, process_pool

    pool = process_pool(pool_size(len(paths)))
    if pool is None:
        return None
    done: list = []
    try:
        with tempfile.TemporaryDirectory(prefix="timesync-probe-", ignore_cleanup_errors=True) as folder:
            with pool:
                for k, (info, feats) in enumerate(pool.map(_probe_saving, [(p, folder) for p in paths])):
                    done.append((info, _loaded(feats)))
                    if progress:
                        progress((k + 1) / len(paths), f"probed and decoded audio: {paths[k]}")
    except (BrokenProcessPool, OSError):
        return None  # a worker died, or none could start (or no room for the features)
    return done


def probe_all(
    paths: Sequence[str],
    workers: int,
    audio_features: bool = False,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Probe (and hash) every file: in worker processes when they are large, else in threads.

    With ``audio_features``, each worker process also computes its file's coarse
    audio features right after probing it (one task per file, so the probing of
    one file overlaps the decoding of another), and ``progress(fraction, message)``
    hears of each file done. Small files (threads) with ``audio_features`` are
    probed with :func:`~timesync.align.audio.decode.probe_with_features` too, so
    the decoding pass's warnings (damaged packets) reach the MediaInfo either way.
    Returns the probe results (MediaInfo or MediaError) and those features by path.
    With ``executor``, each file is one task on it (:func:`_probe_on`).
    """
    from timesync.parallel import process_pool, worth_processes

    if executor is not None:
        return _probe_on(executor, paths, audio_features)
    big = worth_processes(paths)
    if big and audio_features:
        done = _probe_in_processes(paths, progress)
        if done is not None:
            return _split(paths, done)
    pool = process_pool(min(workers, len(paths))) if big and not audio_features else None
    if pool is not None:
        try:
            with pool:
                return dict(zip(paths, pool.map(_probe_one, paths), strict=True)), {}
        except (BrokenProcessPool, OSError):
            pass  # probe in threads instead
    with ThreadPoolExecutor(max_workers=max(1, workers)) as threads:
        if audio_features:  # the audio is decoded in the probe's pass here too (one read)
            from timesync.align.audio.decode import probe_with_features

            return _split(paths, list(threads.map(probe_with_features, paths)))
        return dict(zip(paths, threads.map(_probe_one, paths), strict=True)), {}


def _split(paths: Sequence[str], done: list) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(infos, features)`` by path from ``(info, features)`` pairs (no features left out)."""
    infos = {p: info for p, (info, _f) in zip(paths, done, strict=True)}
    return infos, {p: f for p, (_i, f) in zip(paths, done, strict=True) if f is not None}


def _probe_on(executor: Executor, paths: Sequence[str], audio_features: bool) \
        -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`probe_all` with one task per file on ``executor`` (probe and hash, and the
    coarse audio features when asked: in the probe's own pass, as in worker processes)."""
    from timesync.parallel import on_executor

    if not audio_features:
        return dict(zip(paths, on_executor(executor, _probe_one, paths), strict=True)), {}
    from timesync.align.audio.decode import probe_with_features

    return _split(paths, list(on_executor(executor, probe_with_features, paths)))
