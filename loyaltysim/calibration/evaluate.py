"""What a worker does with one piece of a trial: run the scenarios, measure the targets.

A trial is split into units, each sent to a worker on its own: one unit per replication (every
metric, contrast and CSV target's runs with seed ``market.seed + r``; runs of the same scenario are
shared between targets, and a contrast's run without the event uses the same seed - common random
numbers) and one unit per finding target (the finding runs with its own experiment's seeds). A
:class:`Unit` carries everything it needs (base scenarios as data), so a worker on another machine
needs neither the targets file nor the scenario files; it returns the simulated values, never
writes anything. The same unit gives the same values on any worker.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from loyaltysim.validation.result import Comparison, FindingResult

__all__ = ["Plan", "Unit", "UnitResult", "evaluate_unit"]


@dataclass(frozen=True)
class Plan:
    """The parts of a loaded targets file the workers need (plain data, picklable)."""

    scenarios: dict[str, dict[str, Any]]  # target name -> base scenario (model_dump, [set] applied)
    targets: dict[str, dict[str, Any]]  # target name -> the target's table (model_dump)
    here: str  # folder of the targets file (finding files beside it)
    set: dict[str, Any] = field(default_factory=dict)  # the file's [set]

    def run_targets(self) -> list[str]:
        return [name for name, t in self.targets.items() if t["kind"] != "finding"]

    def finding_targets(self) -> list[str]:
        return [name for name, t in self.targets.items() if t["kind"] == "finding"]


@dataclass(frozen=True)
class Unit:
    """One piece of one trial: ``kind`` "runs" (``index`` = replication) or "finding" (``index`` =
    the finding target's position in :meth:`Plan.finding_targets`)."""

    trial: int  # trial number; -1 = the base scenarios as they are (the report's "before")
    kind: str
    index: int
    params: dict[str, float | int]
    plan: Plan


@dataclass(frozen=True)
class UnitResult:
    """Simulated values by target name: a number (metric, contrast), a table of weekly values per
    metric (csv: ``{metric: [value per CSV row]}``) or a list of comparisons (finding)."""

    trial: int
    kind: str
    index: int
    values: dict[str, Any]
    error: str  # "" unless the trial's scenario could not be built or run
    seconds: float  # the whole unit
    sim_seconds: float  # building and running models
    worker: str


def _load(data: dict[str, Any], params: dict[str, Any], seed: int) -> Any:
    from loyaltysim.scenario import Scenario, load_scenario

    spec = load_scenario(Scenario.model_validate(data), {**params})
    return spec.model_copy(update={"market": spec.market.model_copy(update={"seed": seed})})


def _window_values(weekly: Any, firm: str, first: int, last: int) -> Any:
    rows = weekly[(weekly["firm"] == firm) & (weekly["week"] >= first) & (weekly["week"] <= last)]
    return rows.sort_values("week")


def _metric_value(target: dict[str, Any], spec: Any, weekly: Any) -> float:
    """The target's metric or quantity over its weeks: of its firm, or of its firm minus the
    ``versus`` firm's (NaN where either has no value)."""
    from loyaltysim.validation.plausibility import steady_window

    first, last = steady_window(spec) if target["weeks"] == "steady" else target["weeks"]
    value = _firm_value(target, _window_values(weekly, target["firm"] or spec.focus_firm, first, last))
    if target.get("versus") is None:
        return value
    return value - _firm_value(target, _window_values(weekly, target["versus"], first, last))


def _firm_value(target: dict[str, Any], rows: Any) -> float:
    from loyaltysim.validation.plausibility import WEEKLY_QUANTITIES

    if target["quantity"] is not None:
        return float(WEEKLY_QUANTITIES[target["quantity"]][2](rows))
    values = rows[target["metric"]].astype(float).dropna()
    if not len(values):
        return float("nan")
    how = target["stat"]
    if how == "last":
        return float(values.iloc[-1])
    return float(getattr(values, how)())


def _contrast_value(target: dict[str, Any], spec: Any, weekly: Any, without: Any) -> float:
    from loyaltysim.counterfactual import EFFECT_METRICS, event_weeks

    week = target["event_week"] or event_weeks(spec)[0]
    last = min(week + target["window_weeks"] - 1, spec.market.weeks)
    firm = target["firm"] or spec.focus_firm
    metric = target["metric"]
    seen = _window_values(weekly, firm, week, last)[metric].astype(float)
    unseen = _window_values(without, firm, week, last)[metric].astype(float)
    if EFFECT_METRICS[metric] == "sum":
        fact, counter = float(seen.sum()), float(unseen.sum())
    else:
        fact, counter = float(seen.iloc[-1]), float(unseen.iloc[-1])
    effect = fact - counter
    if target["measure"] == "effect":
        return effect
    return effect / abs(counter) if counter else float("nan")


def _runs(unit: Unit) -> tuple[dict[str, Any], float]:
    """Every run target's value in replication ``unit.index``; the seconds spent simulating."""
    from loyaltysim.counterfactual import event_weeks, run_weekly, without_events_of_week
    from loyaltysim.metrics import FIRM_METRICS

    plan = unit.plan
    cache: dict[tuple[str, int | None], Any] = {}
    specs: dict[str, Any] = {}
    sim = 0.0

    def weekly_of(name: str, without_week: int | None = None) -> tuple[Any, Any]:
        nonlocal sim
        data = plan.scenarios[name]
        key = (json.dumps(data, sort_keys=True), without_week)
        identity = key[0]
        if identity not in specs:
            base_seed = int(data["market"]["seed"])
            specs[identity] = _load(data, unit.params, base_seed + unit.index)
        spec = specs[identity]
        if key not in cache:
            start = time.perf_counter()
            run = spec if without_week is None else without_events_of_week(spec, without_week)
            cache[key] = run_weekly(run)
            sim += time.perf_counter() - start
        return spec, cache[key]

    values: dict[str, Any] = {}
    for name in plan.run_targets():
        target = plan.targets[name]
        spec, weekly = weekly_of(name)
        if target["kind"] == "metric":
            values[name] = _metric_value(target, spec, weekly)
        elif target["kind"] == "contrast":
            week = target["event_week"] or event_weeks(spec)[0]
            _, without = weekly_of(name, week)
            values[name] = _contrast_value(target, spec, weekly, without)
        else:  # csv: the weekly values of every metric the CSV names, at the CSV's weeks
            firm = target["firm"] or spec.focus_firm
            rows = weekly[weekly["firm"] == firm].set_index("week")
            weeks = target["weeks"]
            values[name] = {
                metric: [float(rows.at[w, metric]) if w in rows.index else float("nan") for w in weeks]
                for metric in target["metrics"]
                if metric in FIRM_METRICS
            }
    return values, sim


def comparison_record(c: Comparison) -> dict[str, Any]:
    """A validation comparison as plain data; where its criterion is one of closeness
    (:class:`~loyaltysim.validation.result.Closeness`) also its figures and tolerance as numbers,
    in the unit the finding judges them in, and where it is one-sided
    (:class:`~loyaltysim.validation.result.Margin`) its shortfall and scale (else NaN: the loss
    counts a flat miss)."""
    near, margin = c.closeness, c.margin
    return {
        "quantity": c.quantity,
        "published": c.published,
        "simulated": c.simulated,
        "criterion": c.criterion,
        "held": bool(c.reproduced),
        "applicable": bool(c.applicable),
        "published_value": float(near.published) if near else float("nan"),
        "simulated_value": float(near.simulated) if near else float("nan"),
        "tolerance": float(near.tolerance) if near else float("nan"),
        "shortfall": float(margin.shortfall) if margin else float("nan"),
        "scale": float(margin.scale) if margin else float("nan"),
    }


def _finding(unit: Unit) -> tuple[dict[str, Any], float]:
    from pathlib import Path

    from loyaltysim.validation.experiment import load_validation
    from loyaltysim.validation.registry import finding_module

    name = unit.plan.finding_targets()[unit.index]
    target = unit.plan.targets[name]
    beside = Path(unit.plan.here) / target["finding"]
    loaded = load_validation(beside if beside.is_file() else target["finding"], quick=target["quick"])
    spec = loaded.spec
    # the experiment's [set] (and [quick]), then the target's set (the file's [set] is for the
    # scenario runs, not the findings: each finding keeps its own setting), then the trial's
    # parameters; a variant (the setting of a study, or a contrast) still has the last word
    quick = {**(spec.quick if target["quick"] else {}), **target["set"], **unit.params}
    spec = spec.model_copy(
        update={
            "quick": quick,
            "quick_replications": spec.quick_replications if target["quick"] else None,
            "params": {**spec.params, **target["params"]},
        }
    )
    params = type(loaded.params).model_validate(spec.params)
    loaded = loaded.model_copy(update={"spec": spec, "params": params, "quick": True})
    start = time.perf_counter()
    result = finding_module(loaded.key).run(loaded)
    sim = time.perf_counter() - start
    if result.figure is not None:  # not kept: free the figure's memory now
        result.figure.clear()
    return {name: scored_comparisons(result, target["comparisons"], name, target["finding"])}, sim


def scored_comparisons(
    result: FindingResult, prefixes: list[str], name: str = "", finding: str = ""
) -> list[dict[str, Any]]:
    """The records (:func:`comparison_record`) of ``result``'s comparisons that target ``name``
    scores: those whose quantity starts with one of ``prefixes`` (all if none). Those that do not
    apply are scored too: a trial must not escape a comparison by removing the finding's premise
    (a store made to lose under five points a year). ValueError names a prefix no comparison has."""
    missing = [p for p in prefixes if not any(c.quantity.startswith(p) for c in result.comparisons)]
    if missing:
        quantities = "; ".join(c.quantity for c in result.comparisons)
        raise ValueError(
            f"targets.{name}.comparisons: no comparison of {finding} starts with "
            f"{', '.join(map(repr, missing))}; its comparisons: {quantities}"
        )
    return [
        comparison_record(c)
        for c in result.comparisons
        if not prefixes or any(c.quantity.startswith(p) for p in prefixes)
    ]


def evaluate_unit(unit: Unit) -> UnitResult:
    """Run one unit of a trial. A trial whose scenario the schema rejects, or whose run fails,
    comes back with ``error`` set (the calibration records it as a failed trial)."""
    from loyaltysim.sweep.worker import limit_numba_threads

    limit_numba_threads()
    start = time.perf_counter()
    error = ""
    values: dict[str, Any] = {}
    sim = 0.0
    try:
        values, sim = _runs(unit) if unit.kind == "runs" else _finding(unit)
    except (ValueError, ArithmeticError, KeyError) as exc:  # ScenarioError is a ValueError
        error = f"{type(exc).__name__}: {exc}"
    return UnitResult(
        unit.trial,
        unit.kind,
        unit.index,
        values,
        error,
        time.perf_counter() - start,
        sim,
        f"{socket.gethostname()}:{os.getpid()}",
    )


#: How a run target's replications make the trial's value (the target's ``across``).
ACROSS: dict[str, Callable[[Any], Any]] = {"mean": np.mean, "min": np.min, "max": np.max}


def across_replications(results: list[UnitResult], name: str, across: str = "mean") -> Any:
    """A run target's value in a trial: the mean, lowest or highest over replications (a CSV
    target: the mean per cell)."""
    parts = [r.values[name] for r in results if r.kind == "runs" and name in r.values]
    if not parts:
        return float("nan")
    if isinstance(parts[0], dict):
        return {m: np.mean([p[m] for p in parts], axis=0).tolist() for m in parts[0]}
    return float(ACROSS[across](parts))
