"""Where runs execute: a local process pool, a Dask ``LocalCluster``, or an existing Dask cluster.

Each backend is a context manager yielding an :class:`Executor` with ``submit(task)`` returning a
:class:`concurrent.futures.Future`, so the sweep loop is the same for all of them (Dask's
``Client.get_executor`` gives ``concurrent.futures`` futures). Every worker runs with numba capped at
one thread (``NUMBA_NUM_THREADS=1``): parallelism comes from the workers, not from threads inside
each run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from loyaltysim.sweep.experiment import ExperimentError
from loyaltysim.sweep.worker import RunTask, execute_run, init_worker

__all__ = ["Executor", "default_workers", "open_executor"]

WORKER_ENV = {"NUMBA_NUM_THREADS": "1"}


def default_workers() -> int:
    """Worker processes for a local sweep: the CPUs this process may use."""
    count = getattr(os, "process_cpu_count", os.cpu_count)()
    return max(1, count or 1)


@dataclass
class Executor:
    """A place to run :class:`RunTask` objects.

    ``slots`` is how many runs execute at once (the sweep keeps about twice that many submitted);
    ``description`` says where runs go, for messages; ``restartable`` is True for the local pool,
    which must be rebuilt after a worker process dies.
    """

    description: str
    slots: int
    _pool: Any = field(repr=False)
    _local_workers: int = 0

    def submit(self, task: RunTask) -> Future:
        """Start ``task`` on a worker; the future's result is a :class:`RunResult`."""
        return self.submit_call(execute_run, task)

    def submit_call(self, function: Callable[[Any], Any], argument: Any) -> Future:
        """Start ``function(argument)`` on a worker (a module-level function and a picklable
        argument: a calibration's units go to the same pool or cluster as a sweep's runs)."""
        return self._pool.submit(function, argument)

    @property
    def restartable(self) -> bool:
        """True when the pool breaks as a whole if one worker dies (the local process pool)."""
        return isinstance(self._pool, ProcessPoolExecutor)

    def restart(self) -> None:
        """Replace a broken local pool by a fresh one."""
        self.terminate()
        self._pool = _local_pool(self._local_workers)

    def terminate(self) -> None:
        """Stop now: cancel queued runs and, for the local pool, kill the worker processes."""
        pool = self._pool
        if isinstance(pool, ProcessPoolExecutor):
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                with contextlib.suppress(Exception):
                    process.terminate()
            for process in processes:
                with contextlib.suppress(Exception):
                    process.join(timeout=5)
        else:
            pool.shutdown(wait=False)


def _local_pool(workers: int) -> ProcessPoolExecutor:
    # "spawn": workers start clean (no forked threads or locks from the sweep process), read
    # NUMBA_NUM_THREADS before numba is imported, and behave the same on every platform.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(os.getpid(),),
    )


@contextlib.contextmanager
def _local(workers: int) -> Iterator[Executor]:
    executor = Executor(f"local process pool, {workers} worker(s)", workers, _local_pool(workers), workers)
    try:
        yield executor
    finally:
        executor._pool.shutdown(wait=True, cancel_futures=True)


def _dask_slots(client: Any) -> int:
    threads = sum(client.nthreads().values())
    return max(1, threads)


@contextlib.contextmanager
def _dask_local(workers: int) -> Iterator[Executor]:
    from dask.distributed import Client, LocalCluster

    # No dashboard; the scheduler's small HTTP server (health, metrics) takes any free port.
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        env=dict(WORKER_ENV),
        silence_logs=40,
    )
    client = Client(cluster)
    try:
        yield Executor(
            f"Dask LocalCluster, {workers} worker(s)", _dask_slots(client), client.get_executor(pure=False)
        )
    finally:
        client.close()
        cluster.close()


@contextlib.contextmanager
def _dask_remote(address: str) -> Iterator[Executor]:
    from dask.distributed import Client

    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(
            f"--scheduler {address}: cannot connect to a Dask scheduler there "
            f"({exc}). Start one with 'dask scheduler' and workers with 'dask "
            f"worker {address} --nthreads 1', then retry."
        ) from None
    try:
        client.wait_for_workers(1, timeout=60)
    except (TimeoutError, OSError):
        client.close()
        raise ExperimentError(
            f"--scheduler {address}: the scheduler has no workers after 60 s; "
            f"start some with 'dask worker {address} --nthreads 1'."
        ) from None
    try:
        slots = _dask_slots(client)
        yield Executor(
            f"Dask cluster at {address}, {slots} worker thread(s)", slots, client.get_executor(pure=False)
        )
    finally:
        client.close()


def open_executor(
    *, workers: int | None = None, scheduler: str | None = None, cluster: str | None = None
) -> contextlib.AbstractContextManager[Executor]:
    """The executor for a sweep: ``scheduler`` (a Dask address such as ``tcp://host:8786``),
    ``cluster="local"`` (a Dask ``LocalCluster`` of ``workers`` processes) or, by default, a local
    process pool of ``workers`` processes (default: every CPU)."""
    if scheduler and cluster:
        raise ExperimentError("give either --scheduler ADDRESS or --cluster local, not both.")
    if scheduler:
        return _dask_remote(scheduler)
    count = workers or default_workers()
    if cluster is not None:
        if cluster != "local":
            raise ExperimentError(
                f"--cluster {cluster!r} is not allowed: the only built-in "
                "cluster is 'local' (a Dask LocalCluster); for a real cluster "
                "use --scheduler ADDRESS."
            )
        return _dask_local(count)
    return _local(count)
