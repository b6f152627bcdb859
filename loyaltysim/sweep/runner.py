"""Run a sweep: every point x replication, resumable, with bounded retries.

:func:`run_sweep` builds the runs of an experiment, skips those already finished in the results
folder, sends the rest to an executor (local pool or Dask), writes each result the moment it
arrives, retries a failed run up to ``retries`` more times, and records runs that fail every
attempt with their error. Only this process writes to the folder; workers only compute.

Seeds: replication ``r`` of every point runs with ``seed + r`` (the experiment's ``seed``, by
default the scenario's ``market.seed``): common random numbers, so two points differ by their
parameters and not by their luck, and a run's numbers do not depend on which worker ran it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loyaltysim import __version__
from loyaltysim.scenario import scenario_to_toml
from loyaltysim.sweep.design import Design, make_design, salib_problem
from loyaltysim.sweep.executors import Executor, open_executor
from loyaltysim.sweep.experiment import ExperimentError, LoadedExperiment
from loyaltysim.sweep.progress import SweepProgress
from loyaltysim.sweep.store import DamagedManifest, ResultStore, now
from loyaltysim.sweep.worker import RunTask

__all__ = ["SweepReport", "build_tasks", "param_types", "run_sweep"]

MANIFEST_EVERY_SECONDS = 10.0


@dataclass
class SweepReport:
    """How a sweep went: counts, failures (run id -> error), where the results are."""

    out: Path
    total: int
    already_done: int
    done_now: int
    failed: dict[str, str] = field(default_factory=dict)
    executor: str = ""
    wall_seconds: float = 0.0
    sim_seconds: float = 0.0  # summed over the runs finished by this sweep
    damaged: dict[str, str] = field(default_factory=dict)  # run id -> why its file was redone
    manifest_rebuilt: str = ""  # why the manifest was rebuilt from the run files ("": it was not)

    @property
    def done(self) -> int:
        """Runs with results in the folder."""
        return self.already_done + self.done_now

    @property
    def complete(self) -> bool:
        """True when every run has results."""
        return self.done == self.total


def run_id(point: int, replication: int) -> str:
    """Identifier (and file stem) of a run: ``p00012-r003``."""
    return f"p{point:05d}-r{replication:03d}"


def run_hash(loaded: LoadedExperiment, params: dict[str, Any], seed: int) -> str:
    """Hash of everything a run's results depend on: base scenario, parameters, seed, outputs,
    package version. A stored run is reused only if this still matches."""
    identity = {
        "scenario": loaded.scenario_sha256,
        "params": params,
        "seed": seed,
        "firms": loaded.firms,
        "outputs": loaded.experiment.outputs.model_dump(mode="json"),
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def param_types(design: Design) -> dict[str, str]:
    """Column type of each parameter in the results: 'bool', 'float' or 'str'."""
    kinds = {}
    for key in design.keys:
        values = [p[key] for p in design.points]
        if all(isinstance(v, bool) for v in values):
            kinds[key] = "bool"
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            kinds[key] = "float"
        else:
            kinds[key] = "str"
    return kinds


def build_tasks(loaded: LoadedExperiment, design: Design) -> list[RunTask]:
    """Every run of the experiment, point-major (point 0's replications first)."""
    base = loaded.base.model_dump(mode="json")
    outputs = loaded.experiment.outputs.model_dump(mode="json")
    firms = tuple(loaded.firms)
    tasks = []
    for point, params in enumerate(design.points):
        for rep in range(loaded.experiment.replications):
            seed = loaded.seed + rep
            tasks.append(
                RunTask(
                    run_id(point, rep),
                    point,
                    rep,
                    seed,
                    dict(params),
                    base,
                    firms,
                    outputs,
                    run_hash(loaded, params, seed),
                )
            )
    return tasks


def _design_record(loaded: LoadedExperiment, design: Design) -> dict[str, Any]:
    exp = loaded.experiment
    record: dict[str, Any] = {
        "kind": design.kind,
        "keys": design.keys,
        "parameters": {k: p.model_dump(exclude_none=True) for k, p in exp.parameters.items()},
        "points": design.points,
        "matrix": design.matrix.tolist(),
    }
    if design.kind != "grid":
        record["problem"] = salib_problem(exp)
        record.update(
            samples=exp.design.samples,
            second_order=exp.design.second_order,
            levels=exp.design.levels,
            seed=exp.design.seed,
        )
    return record


def _check_identity(store: ResultStore, loaded: LoadedExperiment, tasks: list[RunTask], force: bool) -> str:
    """Refuse a folder holding another experiment's results (unless ``force``). Returns why the
    manifest must be rebuilt ("" if it need not be): a damaged manifest is set aside when every
    verified run file in the folder is a run of this experiment (their input hashes say so)."""
    try:
        old = store.read_manifest()
    except DamagedManifest as exc:
        return _rebuild_damaged_manifest(store, loaded, tasks, exc, force)
    if old is None:
        return ""
    previous = old.get("identity", {})
    current = loaded.identity()
    changed = [
        name
        for name in ("experiment_sha256", "scenario_sha256", "cli_set")
        if previous.get(name) != current[name]
    ]
    if changed and not force:
        what = {
            "experiment_sha256": "the experiment file",
            "scenario_sha256": "the resolved base scenario",
            "cli_set": "the --set overrides",
        }
        raise ExperimentError(
            f"{store.root}: holds results of a different experiment "
            f"({', '.join(what[c] for c in changed)} changed since "
            f"{old.get('created', 'the first sweep')}: was "
            f"{old.get('experiment', {}).get('file', '?')}). Refusing to mix results. Rerun with "
            "--force to keep the runs whose inputs are unchanged and redo the rest, or choose "
            "another --out.",
            file=str(store.root),
            key_path="manifest.identity",
        )
    return ""


def _rebuild_damaged_manifest(
    store: ResultStore, loaded: LoadedExperiment, tasks: list[RunTask], damage: DamagedManifest, force: bool
) -> str:
    expected = {t.run_hash for t in tasks}
    files = store.verified_run_files()
    foreign = sorted(run for run, meta in files.items() if meta.get("run_hash") not in expected)
    if foreign and not force:
        raise ExperimentError(
            f"{damage} The manifest cannot tell which experiment this folder holds, and "
            f"{len(foreign)} of its {len(files)} intact run files (e.g. {foreign[0]}) are not "
            f"runs of {loaded.name}. Refusing to delete them. Rerun with --force to keep this "
            "experiment's runs and delete the others, or choose another --out.",
            file=damage.file,
            key_path="manifest",
        )
    aside = store.set_manifest_aside()
    return (
        f"{damage.reason}; rebuilt from the {len(files) - len(foreign)} intact run files "
        f"(old copy: {aside.name})"
    )


def _manifest(
    loaded: LoadedExperiment,
    design: Design,
    tasks: list[RunTask],
    status: dict[str, dict[str, Any]],
    created: str,
    executor: str,
) -> dict[str, Any]:
    exp = loaded.experiment
    counts = {"done": 0, "failed": 0, "pending": 0}
    runs = []
    for task in tasks:
        entry = status.get(task.run_id, {"status": "pending"})
        counts[entry["status"]] += 1
        runs.append(
            {
                "run_id": task.run_id,
                "point": task.point,
                "replication": task.replication,
                "seed": task.seed,
                "params": task.params,
                "run_hash": task.run_hash,
                **entry,
            }
        )
    return {
        "format": 1,
        "identity": loaded.identity(),
        "experiment": {
            "name": exp.name,
            "description": exp.description,
            "file": str(loaded.path) if loaded.path else None,
            "sha256": loaded.text_sha256,
            "replications": exp.replications,
            "seed": loaded.seed,
        },
        "scenario": {
            "name": loaded.base.name,
            "focus": loaded.focus_firm,
            "sha256": loaded.scenario_sha256,
            "weeks": loaded.base.market.weeks,
            "customers": loaded.base.market.customers,
        },
        "outputs": {"firms": loaded.firms, **exp.outputs.model_dump(mode="json")},
        "package_version": __version__,
        "python": platform.python_version(),
        "created": created,
        "updated": now(),
        "executor": executor,
        "design": _design_record(loaded, design),
        "counts": counts,
        "runs": runs,
    }


class _Sweep:
    """The loop of one sweep (state shared by its steps)."""

    def __init__(
        self,
        loaded: LoadedExperiment,
        store: ResultStore,
        design: Design,
        tasks: list[RunTask],
        retries: int,
        created: str,
    ):
        self.loaded, self.store, self.design, self.tasks = loaded, store, design, tasks
        self.retries = retries
        self.created = created
        self.types = param_types(design)
        self.status: dict[str, dict[str, Any]] = {}
        self.executor_name = ""
        self._manifest_at = 0.0

    def save_manifest(self, force: bool = False) -> None:
        moment = time.monotonic()
        if force or moment - self._manifest_at >= MANIFEST_EVERY_SECONDS:
            self._manifest_at = moment
            self.store.write_manifest(
                _manifest(self.loaded, self.design, self.tasks, self.status, self.created, self.executor_name)
            )

    def run(
        self, todo: list[RunTask], executor: Executor, progress: SweepProgress, report: SweepReport
    ) -> None:
        pending: deque[RunTask] = deque(todo)
        inflight: dict[Future, RunTask] = {}
        limit = max(2, 2 * executor.slots)
        while pending or inflight:
            while pending and len(inflight) < limit:
                task = pending.popleft()
                inflight[executor.submit(task)] = task
            finished, _ = wait(list(inflight), timeout=1.0, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                task = inflight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as exc:
                    broken = True
                    self._attempt_failed(task, _worker_died(exc), pending, progress, report)
                except Exception as exc:
                    self._attempt_failed(task, exc, pending, progress, report)
                else:
                    self.store.write_run(task, result, self.types, __version__)
                    self.status[task.run_id] = {
                        "status": "done",
                        "attempts": task.attempt,
                        "sim_seconds": result.sim_seconds,
                        "worker": result.worker,
                    }
                    report.done_now += 1
                    report.sim_seconds += result.sim_seconds
                    progress.update(done=1)
            if broken and executor.restartable:
                # A dead worker breaks the whole local pool: every run still in it counts one
                # failed attempt, and the pool is rebuilt.
                for future, task in list(inflight.items()):
                    inflight.pop(future)
                    self._attempt_failed(task, _worker_died(None), pending, progress, report)
                executor.restart()
            progress.refresh()
            self.save_manifest()

    def _attempt_failed(
        self,
        task: RunTask,
        exc: BaseException,
        pending: deque[RunTask],
        progress: SweepProgress,
        report: SweepReport,
    ) -> None:
        if task.attempt <= self.retries:
            pending.append(replace(task, attempt=task.attempt + 1))
            return
        message = self.store.write_failure(task, exc, task.attempt)
        self.status[task.run_id] = {"status": "failed", "attempts": task.attempt, "error": message}
        report.failed[task.run_id] = message
        progress.update(failed=1)


class WorkerDiedError(RuntimeError):
    """The worker process running a run died (killed, out of memory, crashed)."""


def _worker_died(exc: BaseException | None) -> WorkerDiedError:
    detail = f" ({exc})" if exc is not None and str(exc) else ""
    return WorkerDiedError(
        f"the worker process running this run died (killed, out of memory or crashed){detail}"
    )


def run_sweep(
    loaded: LoadedExperiment,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    retries: int = 2,
    force: bool = False,
    progress: bool = True,
) -> SweepReport:
    """Run every point x replication of ``loaded`` into the folder ``out``; resume if it holds
    an earlier sweep of the same experiment.

    ``workers``: local processes (default: every CPU); ``scheduler``: address of a running Dask
    scheduler; ``cluster="local"``: start a Dask ``LocalCluster``. A run that raises, or whose worker
    dies, is retried up to ``retries`` more times, then recorded as failed (``out/failures/``).
    ``force`` accepts a folder written by a changed experiment: runs whose inputs are unchanged are
    kept, the others redone. Raises :class:`ExperimentError` for a folder it must not touch and
    ``KeyboardInterrupt`` when interrupted (finished runs stay; rerun to resume).
    """
    design = make_design(loaded.experiment)
    tasks = build_tasks(loaded, design)
    store = ResultStore(Path(out))
    start = time.monotonic()
    with store.lock():
        rebuilt = _check_identity(store, loaded, tasks, force)
        old = store.read_manifest() or {}
        created = old.get("created") if not force else None
        sweep = _Sweep(loaded, store, design, tasks, retries, created or now())
        store.clean_temporary()
        expected = {t.run_id: t.run_hash for t in tasks}
        finished, damaged = store.finished(expected)
        store.prune_failures(expected)
        for run, meta in finished.items():
            sweep.status[run] = {
                "status": "done",
                "attempts": meta.get("attempt", 1),
                "sim_seconds": meta.get("sim_seconds"),
                "worker": meta.get("worker"),
            }
        text = loaded.path.read_text(encoding="utf-8") if loaded.path else ""
        store.write_text("experiment.toml", text)
        store.write_text("scenario.toml", scenario_to_toml(loaded.base))
        todo = [t for t in tasks if t.run_id not in finished]
        report = SweepReport(
            Path(out), len(tasks), len(finished), 0, damaged=damaged, manifest_rebuilt=rebuilt
        )
        sweep.save_manifest(force=True)
        try:
            if todo:
                with open_executor(workers=workers, scheduler=scheduler, cluster=cluster) as ex:
                    sweep.executor_name = report.executor = ex.description
                    with SweepProgress(len(tasks), len(finished), enabled=progress, label=loaded.name) as bar:
                        try:
                            sweep.run(todo, ex, bar, report)
                        except BaseException:
                            ex.terminate()
                            raise
        finally:
            report.wall_seconds = time.monotonic() - start
            sweep.save_manifest(force=True)
    return report
