"""What a worker process does with one run: build the scenario, simulate, keep the outputs.

A :class:`RunTask` carries everything a run needs (the resolved base scenario as data, the point's
overrides, the seed, which outputs to keep), so a worker on another machine needs neither the
experiment file nor the scenario files. Workers return results to the sweep, which alone writes
them; nothing here touches the results folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["RunResult", "RunTask", "execute_run", "init_worker", "limit_numba_threads"]


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: parameter point ``point``, replication ``replication``."""

    run_id: str
    point: int
    replication: int
    seed: int  # market.seed of this run
    params: dict[str, Any]  # the point's overrides (dotted scenario keys)
    base: dict[str, Any]  # the resolved base scenario (model_dump(mode="json"))
    firms: tuple[str, ...]  # firms whose outputs are kept
    outputs: dict[str, Any]  # Outputs.model_dump()
    run_hash: str  # identity of the run's inputs; stored with its results
    attempt: int = field(default=1, compare=False)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: its output table (see :mod:`loyaltysim.sweep.outputs`) and timing."""

    run_id: str
    table: pd.DataFrame
    sim_seconds: float  # time spent building and simulating the model and computing outputs
    worker: str  # host:pid that ran it


def limit_numba_threads() -> None:
    """Cap numba at one thread in this process, so N sweep workers use N cores, not N x cores.

    Sets ``NUMBA_NUM_THREADS=1`` when numba has not been imported yet (numba reads it at import);
    otherwise asks the running numba for one thread in the calling thread.
    """
    if "numba" not in sys.modules:
        os.environ["NUMBA_NUM_THREADS"] = "1"
        return
    import numba

    with contextlib.suppress(ValueError, RuntimeError):  # no threading layer: nothing to cap
        numba.set_num_threads(1)


def _exit_when_orphaned(parent: int, interval: float) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def init_worker(watch_interval: float = 1.0) -> None:
    """Initialiser of local pool workers: leave Ctrl-C to the sweep (which stops the pool), cap
    numba threads before anything imports numba, and exit if the sweep process dies (a sweep
    killed with SIGKILL must not leave workers behind; its unfinished runs are redone on resume).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_numba_threads()
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(), watch_interval),
                     name="loyaltysim-orphan-watch", daemon=True).start()


def execute_run(task: RunTask) -> RunResult:
    """Simulate one run and compute its kept outputs. Raises whatever the run raises (for
    example :class:`loyaltysim.ScenarioError` for a point the scenario schema rejects)."""
    limit_numba_threads()
    from loyaltysim.scenario import Scenario
    from loyaltysim.simulate import simulate
    from loyaltysim.sweep.experiment import Outputs
    from loyaltysim.sweep.outputs import compute_outputs

    start = time.perf_counter()
    result = simulate(Scenario.model_validate(task.base), overrides=task.params, seed=task.seed)
    table = compute_outputs(result.firm_weekly, result.events, task.firms,
                            Outputs.model_validate(task.outputs))
    elapsed = time.perf_counter() - start
    return RunResult(task.run_id, table, elapsed, f"{socket.gethostname()}:{os.getpid()}")
