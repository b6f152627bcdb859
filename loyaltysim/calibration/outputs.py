"""What a calibration leaves in its folder besides the store: ``trials.parquet`` and ``best.toml``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from loyaltysim.calibration.study import CalibrationRun

__all__ = ["best_fragment", "trials_table", "write_best", "write_trials"]


def _scalar(value: Any) -> float:
    """A target's simulated value as one number: itself, a CSV's mean over cells, or the number
    of a finding's comparisons that hold."""
    if isinstance(value, list):
        return float(sum(1 for r in value if r.get("held")))
    if isinstance(value, dict):
        cells = [v for column in value.values() for v in column if v is not None and math.isfinite(v)]
        return float(np.mean(cells)) if cells else math.nan
    return float(value) if value is not None else math.nan


def trials_table(run: CalibrationRun) -> pd.DataFrame:
    """One row per trial (the base scenarios first, as trial -1): number, state, loss, error,
    seconds, sim_seconds, ``param.<key>`` (base scenarios: empty), ``sim.<target>`` (simulated
    value: a number; a CSV target's mean over its cells, per metric as ``sim.<target>.<metric>``;
    a finding target's count of comparisons that hold) and ``loss.<target>``."""
    keys = list(run.loaded.spec.parameters)
    names = list(run.loaded.spec.targets)
    rows = []
    numbers = ([-1] if run.baseline is not None else []) + [r["number"] for r in run.finished]
    for number in numbers:
        r = run.records[number]
        row: dict[str, Any] = {
            "number": number,
            "state": r["state"],
            "loss": float(r["loss"]),
            "error": r["error"],
            "seconds": float(r["seconds"]),
            "sim_seconds": float(r["sim_seconds"]),
        }
        for key in keys:
            row[f"param.{key}"] = float(r["params"][key]) if key in r["params"] else math.nan
        for name in names:
            value = r["values"].get(name)
            row[f"sim.{name}"] = _scalar(value)
            if isinstance(value, dict):
                for metric, cells in value.items():
                    row[f"sim.{name}.{metric}"] = _scalar({metric: cells})
            row[f"loss.{name}"] = float(r["parts"].get(name, math.nan))
        rows.append(row)
    return pd.DataFrame(rows)


def write_trials(run: CalibrationRun, folder: Path) -> Path:
    path = folder / "trials.parquet"
    tmp = path.with_suffix(".tmp")
    trials_table(run).to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return path


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def best_fragment(run: CalibrationRun) -> str:
    """The best trial's parameters as a scenario fragment: TOML tables a scenario can ``extends``
    after its base (``extends = ["corner_pharmacy", "best.toml"]``)."""
    best = run.best
    if best is None:
        raise ValueError("no trial finished: there is no best fit to write")
    loaded = run.loaded
    params = {k: (int(v) if k in loaded.integers else float(v)) for k, v in best["params"].items()}
    fixed = ", ".join(f"{k} = {v!r}" for k, v in loaded.spec.set.items()) or "none"
    header = [
        f"# Best fit of the calibration {loaded.path.name} (loyaltysim calibrate): trial {best['number']}",
        f"# of {run.trials}, loss {best['loss']:.6g} (sum of squared standardised errors), seed {run.seed}.",
        "# A scenario fragment: extend a base scenario with it, e.g.",
        '#   extends = ["corner_pharmacy", "best.toml"]',
        f"# The calibration's fixed settings ([set], not part of the fit): {fixed}.",
        "",
    ]
    return "\n".join(header) + tomli_w.dumps(_nest(params))


def write_best(run: CalibrationRun, folder: Path) -> Path:
    path = folder / "best.toml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(best_fragment(run), encoding="utf-8")
    os.replace(tmp, path)
    return path
