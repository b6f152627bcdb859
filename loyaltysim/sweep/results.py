"""Read a sweep's results folder back as tidy pandas DataFrames."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

from loyaltysim.sweep.experiment import ExperimentError
from loyaltysim.sweep.store import ResultStore

__all__ = ["load_manifest", "load_results"]


def load_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a sweep folder (see :mod:`loyaltysim.sweep.store`)."""
    store = ResultStore(Path(directory))
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{directory}: not a sweep results folder (no manifest.json); run "
                              "'loyaltysim sweep EXPERIMENT --out DIR' first.", file=str(directory))
    return manifest


def load_results(directory: str | os.PathLike[str], *, weekly: bool = False) -> pd.DataFrame:
    """The results of a sweep folder as one tidy DataFrame, a row per run, firm and output.

    Columns: ``point``, ``replication``, ``seed``, one column per varied parameter (its dotted
    scenario key), ``firm``, ``window`` (``final``, a window's name or ``derived``), ``metric``
    and ``value`` (units of :data:`loyaltysim.metrics.FIRM_METRICS`; derived outputs in customers
    or shares). With ``weekly=True``: the weekly series instead, with ``week`` and no ``window``.
    Only runs listed in the manifest whose files are complete are read; rows are sorted by point,
    replication, firm, window (or week) and metric, so the table does not depend on the order
    in which runs finished.
    """
    manifest = load_manifest(directory)
    store = ResultStore(Path(directory))
    keys = list(manifest["design"]["keys"])
    files = [str(store.run_path(r["run_id"])) for r in manifest["runs"]
             if store.run_path(r["run_id"]).is_file()]
    order = ["point", "replication", "seed", *keys, "firm"]
    if not files:
        tail = ["week", "metric", "value"] if weekly else ["window", "metric", "value"]
        return pd.DataFrame(columns=order + tail)
    dataset = ds.dataset(files, format="parquet")
    condition = ds.field("window") == "weekly"
    table = dataset.to_table(filter=condition if weekly else ~condition)
    frame = table.to_pandas()
    if weekly:
        frame = frame.drop(columns=["window"])
        sort = [*order[:2], "firm", "week", "metric"]
        frame = frame[[*order, "week", "metric", "value"]]
    else:
        frame = frame.drop(columns=["week"])
        sort = [*order[:2], "firm", "window", "metric"]
        frame = frame[[*order, "window", "metric", "value"]]
    return frame.sort_values(sort, kind="stable").reset_index(drop=True)


def failures_frame(directory: str | os.PathLike[str]) -> pd.DataFrame:
    """Runs recorded as failed: run id, point, replication, seed, attempts, error."""
    rows = []
    for run_id, record in ResultStore(Path(directory)).failures().items():
        rows.append({"run_id": run_id, "point": record.get("point"),
                     "replication": record.get("replication"), "seed": record.get("seed"),
                     "attempts": record.get("attempts"), "error": record.get("error"),
                     "params": json.dumps(record.get("params", {}), sort_keys=True)})
    return pd.DataFrame(rows, columns=["run_id", "point", "replication", "seed", "attempts",
                                       "error", "params"])
