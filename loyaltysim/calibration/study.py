"""Run a calibration: ask Optuna for trials in batches, evaluate them on the workers, tell the losses.

Determinism and resuming rest on one rule: the study is always replayed from the start. Trials are
asked of a seeded sampler in batches of ``batch_size`` (a setting of the targets file, not of the
machine), and their losses are told back in trial-number order once the whole batch is done; so
the sampler sees the same history, and proposes the same parameters, however many workers there
are and in whatever order they finish. Every finished trial is appended durably to the folder's
store (:mod:`loyaltysim.calibration.store`). Run again into the same folder, the calibration asks
each batch again, checks that the sampler proposes the stored parameters, tells the stored losses,
and sends to the workers only the trials that are missing - so a calibration killed at any moment
and rerun ends exactly as one that was never interrupted.
"""

from __future__ import annotations

import math
import platform
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loyaltysim.calibration.evaluate import Plan, Unit, UnitResult, across_replications, evaluate_unit
from loyaltysim.calibration.loss import LOSS_RULE, trial_loss
from loyaltysim.calibration.spec import CalibrationError, CsvTarget, LoadedTargets
from loyaltysim.calibration.store import TrialStore
from loyaltysim.sweep.progress import SweepProgress, format_duration

__all__ = ["BASELINE", "CalibrationRun", "make_plan", "run_calibration"]

#: Trial number of the base scenarios as they are (the report's "before"); never told to Optuna.
BASELINE = -1
#: Slice points through the best fit are numbered -2, -3, ... (never told to Optuna).
FIRST_SLICE = -2


def base_value(loaded: LoadedTargets, key: str) -> Any:
    """The value of free parameter ``key`` in the first base scenario that has it (None: none)."""
    for spec in loaded.scenarios.values():
        node: Any = spec.model_dump(mode="json")
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def base_params(loaded: LoadedTargets) -> dict[str, Any] | None:
    """The base scenario's own values of the free parameters, when each lies inside its range
    (trial 0 starts the search there, so the best fit is never worse than the scenario as it
    is); None otherwise."""
    out: dict[str, Any] = {}
    for key, p in loaded.spec.parameters.items():
        value = base_value(loaded, key)
        if not isinstance(value, int | float) or isinstance(value, bool) or not p.low <= value <= p.high:
            return None
        out[key] = int(value) if key in loaded.integers else float(value)
    return out


def slice_points(loaded: LoadedTargets, best: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Number -> parameters of each slice point: every free parameter in turn at ``profile_points``
    evenly spaced values across its range (log-spaced on a log scale), the others at the best fit."""
    import numpy as np

    k = loaded.spec.profile_points
    out: dict[int, dict[str, Any]] = {}
    for p, (key, par) in enumerate(loaded.spec.parameters.items()):
        if k == 0:
            break
        grid = np.geomspace(par.low, par.high, k) if par.log else np.linspace(par.low, par.high, k)
        for i, value in enumerate(grid):
            v: float | int = int(np.rint(value)) if key in loaded.integers else float(value)
            out[FIRST_SLICE - p * k - i] = {**best["params"], key: v}
    return out


def make_plan(loaded: LoadedTargets) -> Plan:
    """What the workers need from ``loaded``: base scenarios and targets as plain data."""
    targets: dict[str, dict[str, Any]] = {}
    for name, target in loaded.spec.targets.items():
        data = target.model_dump(mode="json")
        if isinstance(target, CsvTarget):
            from loyaltysim.calibration.loss import csv_columns

            data["weeks"] = [int(row["week"]) for row in loaded.tables[name]]
            data["metrics"] = sorted(set(csv_columns(loaded, name).values()))
        targets[name] = data
    scenarios = {name: spec.model_dump(mode="json") for name, spec in loaded.scenarios.items()}
    return Plan(scenarios, targets, str(loaded.path.parent.resolve()), dict(loaded.spec.set))


def units_of(plan: Plan, trial: int, params: dict[str, Any], replications: int) -> list[Unit]:
    """The pieces of one trial (see :mod:`loyaltysim.calibration.evaluate`)."""
    units = []
    if plan.run_targets():
        units += [Unit(trial, "runs", r, params, plan) for r in range(replications)]
    units += [Unit(trial, "finding", i, params, plan) for i in range(len(plan.finding_targets()))]
    return units


def combine(plan: Plan, results: list[UnitResult]) -> tuple[dict[str, Any], str]:
    """A trial's simulated values (run targets: over replications, as each target's ``across``
    says) and its first error."""
    errors = [r.error for r in sorted(results, key=lambda r: (r.kind, r.index)) if r.error]
    values: dict[str, Any] = {}
    for name in plan.run_targets():
        values[name] = across_replications(results, name, plan.targets[name].get("across", "mean"))
    for r in results:
        if r.kind == "finding":
            values.update(r.values)
    return values, errors[0] if errors else ""


@dataclass
class CalibrationRun:
    """What a calibration did: every trial's record (by number, the base scenarios at -1), which
    trials this session evaluated, where and how long it took."""

    loaded: LoadedTargets
    folder: Path
    trials: int
    seed: int
    records: dict[int, dict[str, Any]]
    evaluated: list[int]
    executor: str
    wall_seconds: float
    sessions: list[dict[str, Any]] = field(default_factory=list)  # every session that ended, this one last

    @property
    def finished(self) -> list[dict[str, Any]]:
        """Trial records 0..trials-1 in order (the base scenarios left out)."""
        return [self.records[n] for n in range(self.trials) if n in self.records]

    @property
    def best(self) -> dict[str, Any] | None:
        """The trial with the lowest loss (the first of equals), None if every trial failed."""
        done = [r for r in self.finished if r["state"] == "complete"]
        return min(done, key=lambda r: (r["loss"], r["number"])) if done else None

    @property
    def baseline(self) -> dict[str, Any] | None:
        return self.records.get(BASELINE)

    def slices(self) -> dict[str, list[tuple[float, float]]]:
        """Free parameter -> (value, loss) of each slice point through the best fit."""
        best = self.best
        if best is None:
            return {}
        out: dict[str, list[tuple[float, float]]] = {key: [] for key in self.loaded.spec.parameters}
        keys = list(self.loaded.spec.parameters)
        k = self.loaded.spec.profile_points
        for number, params in slice_points(self.loaded, best).items():
            record = self.records.get(number)
            if record is None or record["params"] != params or record["state"] != "complete":
                continue
            key = keys[(FIRST_SLICE - number) // k]
            out[key].append((float(params[key]), float(record["loss"])))
        return out


class CalibrationProgress(SweepProgress):
    """The sweep's progress display, counting trials and showing the best loss so far."""

    best = math.inf

    def _status(self) -> str:
        rate = self.rate_per_minute()
        return (
            f"best loss {self.best:.4g} · {rate:.1f} trials/min · ETA {format_duration(self.eta_seconds())}"
        )

    def line(self) -> str:
        return f"{self.label}: {self.done}/{self.total} trials, {self._status()}"


def _sampler(name: str, seed: int, startup: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate TPE is marked experimental
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True)


def _distributions(loaded: LoadedTargets) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for key, p in loaded.spec.parameters.items():
        if key in loaded.integers:
            out[key] = IntDistribution(int(p.low), int(p.high), log=p.log)
        else:
            out[key] = FloatDistribution(p.low, p.high, log=p.log)
    return out


def identity(loaded: LoadedTargets, seed: int) -> dict[str, Any]:
    """What a calibration folder must match to be resumed."""
    import optuna

    from loyaltysim import __version__

    spec = loaded.spec
    return {
        "targets_file": str(loaded.path),
        "targets_sha256": loaded.sha256,
        "seed": seed,
        "batch_size": spec.batch_size,
        "sampler": spec.sampler,
        "startup_trials": spec.startup_trials,
        "replications": spec.replications,
        "loss_rule": LOSS_RULE,
        "loyaltysim": __version__,
        "optuna": optuna.__version__,
    }


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


class _Dispatcher:
    """Opens the executor on first use (a calibration already finished needs no workers)."""

    def __init__(self, workers: int | None, scheduler: str | None, cluster: str | None):
        self.workers, self.scheduler, self.cluster = workers, scheduler, cluster
        self.stack: Any = None
        self.executor: Any = None

    def submit(self, unit: Unit) -> Future:
        if self.executor is None:
            import contextlib

            from loyaltysim.sweep.executors import open_executor

            self.stack = contextlib.ExitStack()
            self.executor = self.stack.enter_context(
                open_executor(workers=self.workers, scheduler=self.scheduler, cluster=self.cluster)
            )
        return self.executor.submit_call(evaluate_unit, unit)

    @property
    def description(self) -> str:
        return self.executor.description if self.executor is not None else ""

    def close(self, stop: bool = False) -> None:
        """Shut the workers down; ``stop``: at once, dropping the units still running (an
        interrupted calibration redoes their trials when rerun)."""
        if self.executor is not None and stop:
            self.executor.terminate()
        if self.stack is not None:
            self.stack.close()


def _evaluate(
    plan: Plan,
    loaded: LoadedTargets,
    wanted: dict[int, dict[str, Any]],
    dispatcher: _Dispatcher,
    store: TrialStore,
    session: str,
    bar: CalibrationProgress,
) -> None:
    """Evaluate the trials ``wanted`` (number -> params) and store each as it finishes."""
    reps = loaded.spec.replications
    store.log_evaluation(session, sorted(wanted))
    pending: dict[Future, int] = {}
    expected: dict[int, int] = {}
    for number, params in wanted.items():
        units = units_of(plan, number, params, reps)
        expected[number] = len(units)
        for unit in units:
            pending[dispatcher.submit(unit)] = number
    results: dict[int, list[UnitResult]] = {n: [] for n in wanted}
    for future in as_completed(pending):
        number = pending[future]
        results[number].append(future.result())
        if len(results[number]) < expected[number]:
            continue
        values, error = combine(plan, results[number])
        loss, parts = trial_loss(loaded, values) if not error else (math.nan, {})
        record = {
            "number": number,
            "params": wanted[number],
            "state": "fail" if error else "complete",
            "values": values,
            "loss": loss,
            "parts": parts,
            "error": error,
            "seconds": sum(r.seconds for r in results[number]),
            "sim_seconds": sum(r.sim_seconds for r in results[number]),
            "session": session,
        }
        store.add(record)
        if number >= 0:
            if not error:
                bar.best = min(bar.best, loss)
            bar.update(done=0 if error else 1, failed=1 if error else 0)


def run_calibration(
    loaded: LoadedTargets,
    out: str | Path,
    *,
    trials: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> CalibrationRun:
    """Run (or resume) the calibration of ``loaded`` into folder ``out``; see the module."""
    import time

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    spec = loaded.spec
    total = trials if trials is not None else spec.trials
    seed = spec.seed if seed is None else seed
    store = TrialStore(Path(out), identity(loaded, seed), must_exist=resume)
    plan = make_plan(loaded)
    distributions = _distributions(loaded)
    study = optuna.create_study(
        direction="minimize", sampler=_sampler(spec.sampler, seed, spec.startup_trials)
    )
    start_at = base_params(loaded)
    if start_at is not None:
        study.enqueue_trial(start_at)
    if loaded.start is not None:  # the targets file's ``start`` fragment: the next trial
        study.enqueue_trial(loaded.start, skip_if_exists=False)
    session = uuid.uuid4().hex[:12]
    dispatcher = _Dispatcher(workers, scheduler, cluster)
    evaluated: list[int] = []
    already = sum(1 for n in range(total) if n in store.records)
    bar = CalibrationProgress(total, already, enabled=progress, label=f"calibrate {loaded.name}")
    done = [r for n, r in store.records.items() if 0 <= n < total and r["state"] == "complete"]
    bar.best = min((r["loss"] for r in done), default=math.inf)
    try:
        with bar:
            for k, batch in enumerate(_batches(total, spec.batch_size)):
                asked = [study.ask(distributions) for _ in batch]
                wanted: dict[int, dict[str, Any]] = {}
                if k == 0 and BASELINE not in store.records:
                    wanted[BASELINE] = {}
                for number, trial in zip(batch, asked, strict=True):
                    if trial.number != number:  # pragma: no cover - a fresh study numbers from 0
                        raise RuntimeError(f"optuna numbered trial {number} as {trial.number}")
                    params = dict(trial.params)
                    stored = store.records.get(number)
                    if stored is None:
                        wanted[number] = params
                    elif stored["params"] != params:
                        raise CalibrationError(
                            f"{out}: trial {number} was stored with parameters {stored['params']}, but the "
                            f"sampler now proposes {params} (a different Optuna version?); the study "
                            "cannot be resumed exactly. Give another --out folder.",
                            file=str(out),
                        )
                if wanted:
                    _evaluate(plan, loaded, wanted, dispatcher, store, session, bar)
                    evaluated += [n for n in wanted if n >= 0]
                for number, trial in zip(batch, asked, strict=True):
                    record = store.records[number]
                    if record["state"] == "complete":
                        study.tell(trial, record["loss"])
                    else:
                        study.tell(trial, state=optuna.trial.TrialState.FAIL)
            done = [store.records[n] for n in range(total) if store.records[n]["state"] == "complete"]
            if done:  # slices through the best fit, for identification (re-measured if it moved)
                best = min(done, key=lambda r: (r["loss"], r["number"]))
                wanted = {
                    n: params
                    for n, params in slice_points(loaded, best).items()
                    if n not in store.records or store.records[n]["params"] != params
                }
                if wanted:
                    _evaluate(plan, loaded, wanted, dispatcher, store, session, bar)
    except BaseException:
        dispatcher.close(stop=True)
        raise
    description = dispatcher.description
    dispatcher.close()
    wall = time.perf_counter() - start
    store.add_session(
        {
            "session": session,
            "ended_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "trials": len(evaluated),
            "evaluations": sum(1 for r in store.records.values() if r.get("session") == session),
            "executor": description,
            "wall_seconds": wall,
            "machine": f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}",
        }
    )
    return CalibrationRun(
        loaded, Path(out), total, seed, dict(store.records), evaluated, description, wall, store.sessions()
    )
