"""``sync(paths, executor=...)``: probing, audio features and pair matches on any Executor.

The incident is the nine files of tests/test_pairs.py (eight chained recordings and
a lone one), so that the pair selection runs on the executor too.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from test_pairs import chain_incident, chain_result, chain_run  # noqa: F401 - fixtures

from timesync.align import audio
from timesync.align.audio.decode import probe_with_features
from timesync.sync import sync


class Counting(Executor):
    """Hands every task to ``inner`` and counts them by function name."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.tasks: dict[str, int] = {}

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.tasks[fn.__name__] = self.tasks.get(fn.__name__, 0) + 1
        return self.inner.submit(fn, *args, **kwargs)


def _same(a, b) -> None:
    """The same clocks and the same constraints used, source by source."""
    assert a.clocks() == b.clocks()
    for x, y in zip(a.sources, b.sources, strict=True):
        assert (x.aligned, x.reason, x.notes) == (y.aligned, y.reason, y.notes)
        assert x.constraints == y.constraints


def _run(chain_incident, executor):  # noqa: F811 - the fixture's value
    return sync(chain_incident, reference=chain_incident[0], methods=["audio"], executor=executor)


def test_thread_pool(chain_incident, chain_result):  # noqa: F811
    """Every file is probed (with its features) and every selected pair matched as a task
    on the executor; the result is the default run's."""
    with ThreadPoolExecutor(3) as pool:
        ex = Counting(pool)
        got = _run(chain_incident, ex)
    pairs_matched = sum(len(s.findings.get("audio_pairs", {})) for s in got.sources) // 2
    assert ex.tasks == {probe_with_features.__name__: 9, audio._match_job.__name__: pairs_matched}
    _same(got, chain_result)


def test_process_pool(chain_incident, chain_result):  # noqa: F811
    """Worker processes (the tasks and their features pickled): the same result."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        _same(_run(chain_incident, pool), chain_result)


def test_dask_local_cluster(chain_incident, chain_result):  # noqa: F811
    """A dask.distributed LocalCluster's executor: the same result."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = Counting(client.get_executor())
        got = _run(chain_incident, ex)
    assert ex.tasks[probe_with_features.__name__] == 9 and ex.tasks[audio._match_job.__name__] > 8
    _same(got, chain_result)


class Refusing(Executor):
    """An executor that is shut down: every submission raises."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        raise RuntimeError("cannot schedule new futures after shutdown")


class Failing(Executor):
    """An executor whose every task fails (a worker lost, say)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        f: Future = Future()
        f.set_exception(OSError("worker lost"))
        return f


@pytest.mark.parametrize("executor", [Refusing(), Failing()], ids=["refusing", "failing"])
def test_tasks_the_executor_cannot_run_are_run_here(chain_incident, chain_result, executor):  # noqa: F811
    _same(_run(chain_incident, executor), chain_result)
