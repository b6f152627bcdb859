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

__all__ = ["RunResult", "RunTask", "execute_run", "exit_with_parent", "init_worker", "limit_numba_threads"]


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


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _exit_when_orphaned(parent: int, interval: float) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _kill_me_with_parent() -> bool:
    """Ask Linux to SIGKILL this process the moment its parent dies; False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def exit_with_parent(parent: int, watch_interval: float = 1.0) -> None:
    """Make this process exit when the process ``parent`` (the sweep) dies, however it dies.

    The parent's pid is passed in, not read here: a worker still starting when the sweep is
    SIGKILLed is already an orphan when this runs, and would otherwise watch its new parent (init)
    forever. On Linux the kernel kills the worker with its parent (``PR_SET_PDEATHSIG``); a thread
    polling the parent pid covers other systems and exits within ``watch_interval``.
    """
    _kill_me_with_parent()
    if os.getppid() != parent:  # the sweep died before the death signal was armed
        os._exit(1)
    threading.Thread(
        target=_exit_when_orphaned, args=(parent, watch_interval), name="loyaltysim-orphan-watch", daemon=True
    ).start()


def init_worker(parent: int | None = None, watch_interval: float = 1.0) -> None:
    """Initialiser of local pool workers: leave Ctrl-C to the sweep (which stops the pool), cap
    numba threads before anything imports numba, and exit if the sweep process ``parent`` dies (a
    sweep killed with SIGKILL, even while its workers start, must not leave workers behind; its
    unfinished runs are redone on resume). ``parent`` defaults to the current parent process.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_numba_threads()
    exit_with_parent(os.getppid() if parent is None else parent, watch_interval)


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
    table = compute_outputs(
        result.firm_weekly, result.events, task.firms, Outputs.model_validate(task.outputs)
    )
    elapsed = time.perf_counter() - start
    return RunResult(task.run_id, table, elapsed, f"{socket.gethostname()}:{os.getpid()}")
