"""Replicates and single points from Python, with every firm: what ``mesa.batch_run`` was used for.

``mesa.batch_run`` is gone in Mesa 4 and only ever returned the focus firm's reporters. These
functions run a scenario at one point for one or several seeds in this process and return the
same tidy outputs a sweep keeps (:mod:`loyaltysim.sweep.outputs`), for every firm by default:

    from loyaltysim.replicate import replicate
    df = replicate("pharmacy_vs_brand", {"firms.pharmacy.culture.trust": 0.8}, replications=3)

For many points, a process pool or a cluster, a folder that survives a crash and analysis, use
``loyaltysim sweep`` (or :func:`loyaltysim.sweep.run_sweep`): for the same point and seed it
gives the same numbers, since both go through :func:`run_outputs`'s code path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from loyaltysim.scenario import Scenario, load_scenario
from loyaltysim.simulate import simulate
from loyaltysim.sweep.experiment import Outputs
from loyaltysim.sweep.outputs import OUTPUT_COLUMNS, compute_outputs

__all__ = ["firms_of", "replicate", "run_outputs"]

ScenarioSource = str | os.PathLike[str] | Scenario


def firms_of(spec: Scenario, firms: str | Sequence[str]) -> list[str]:
    """Firm keys for ``"all"``, ``"focus"`` or a list of keys (as an experiment's outputs.firms)."""
    names = [firms] if isinstance(firms, str) else list(firms)
    keys: list[str] = []
    for name in names:
        if name == "all":
            keys += spec.firm_ids
        elif name == "focus":
            keys.append(spec.focus_firm)
        elif name in spec.firms:
            keys.append(name)
        else:
            raise ValueError(f"unknown firm {name!r}; allowed: 'all', 'focus' or {', '.join(spec.firm_ids)}")
    return list(dict.fromkeys(keys))


def run_outputs(
    scenario: ScenarioSource,
    overrides: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    firms: str | Sequence[str] = "all",
    outputs: Outputs | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` once (``seed``: default its ``market.seed``) and return its outputs.

    ``outputs`` is an experiment's ``[outputs]`` table (:class:`loyaltysim.sweep.experiment.
    Outputs`, or a dict of its fields: ``metrics``, ``final_weeks``, ``windows``, ``derived``,
    ``weekly``); its ``firms`` entry is ignored in favour of ``firms``. Columns: firm, window,
    week, metric, value (see :mod:`loyaltysim.sweep.outputs`).
    """
    if outputs is None:
        spec_out = Outputs()
    elif isinstance(outputs, Outputs):
        spec_out = outputs
    else:
        spec_out = Outputs.model_validate(dict(outputs))
    result = simulate(scenario, overrides=overrides, seed=seed)
    return compute_outputs(result.firm_weekly, result.events, firms_of(result.scenario, firms), spec_out)


def replicate(
    scenario: ScenarioSource,
    overrides: Mapping[str, Any] | None = None,
    *,
    replications: int = 3,
    seed: int | None = None,
    seeds: Sequence[int] | None = None,
    firms: str | Sequence[str] = "all",
    outputs: Outputs | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run one point ``replications`` times with seeds ``seed``, ``seed + 1``, ... (``seed``
    defaults to the scenario's ``market.seed``, as in a sweep), or with the given ``seeds``.

    Returns :func:`run_outputs`' table for each run, with ``replication`` and ``seed`` columns
    first: one row per replication, firm, window and metric.
    """
    if seeds is None:
        if replications < 1:
            raise ValueError(f"replications={replications}: give 1 or more")
        if seed is None:
            seed = load_scenario(scenario, overrides).market.seed
        seeds = [seed + r for r in range(replications)]
    parts = []
    for rep, run_seed in enumerate(seeds):
        table = run_outputs(scenario, overrides, seed=int(run_seed), firms=firms, outputs=outputs)
        table.insert(0, "replication", rep)
        table.insert(1, "seed", int(run_seed))
        parts.append(table)
    return pd.concat(parts, ignore_index=True)[["replication", "seed", *OUTPUT_COLUMNS]]
