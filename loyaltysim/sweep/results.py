"""Read a sweep's results folder back as tidy pandas DataFrames.

Every run file is verified against the checksum in its footer before it is used; a damaged file
(truncated, empty, junk, data changed) or one that belongs to another run is left out and
reported, never used. Results that rest on fewer runs than the experiment has (failed, pending or
damaged runs) come with a :class:`PartialResultsWarning`.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyaltysim.sweep.experiment import ExperimentError
from loyaltysim.sweep.manifest import check_manifest
from loyaltysim.sweep.runfile import DamagedRunFile, read_run_file
from loyaltysim.sweep.store import DamagedManifest, ResultStore

__all__ = [
    "DamagedResultsWarning",
    "PartialResultsWarning",
    "SweepResults",
    "SweepResultsWarning",
    "load_manifest",
    "load_results",
    "read_results",
]

LISTED = 5  # files named in a warning; the rest are counted


class SweepResultsWarning(UserWarning):
    """A sweep folder's results are incomplete or partly damaged; the message says which."""


class DamagedResultsWarning(SweepResultsWarning):
    """Some run files are damaged and were left out."""


class PartialResultsWarning(SweepResultsWarning):
    """The results cover only some of the experiment's runs."""


@dataclass
class SweepResults:
    """What :func:`read_results` found: the table, and what it could not use."""

    frame: pd.DataFrame
    total: int  # runs in the experiment
    used: int  # runs whose verified files are in ``frame``
    damaged: dict[Path, str] = field(default_factory=dict)  # file -> why it was left out
    failed: list[str] = field(default_factory=list)  # run ids recorded as failed
    missing: list[str] = field(default_factory=list)  # other run ids without a file

    def warnings(self) -> list[SweepResultsWarning]:
        """The warnings these results deserve (none when every run is in ``frame``)."""
        found: list[SweepResultsWarning] = []
        if self.damaged:
            names = "; ".join(f"{path}: {reason}" for path, reason in list(self.damaged.items())[:LISTED])
            more = f"; and {len(self.damaged) - LISTED} more" if len(self.damaged) > LISTED else ""
            found.append(
                DamagedResultsWarning(
                    f"{len(self.damaged)} damaged run file(s) left out: {names}{more}. Rerun the "
                    "'loyaltysim sweep' command that wrote this folder to redo them."
                )
            )
        if self.used < self.total:
            parts = [
                f"{len(self.failed)} failed" if self.failed else "",
                f"{len(self.damaged)} damaged" if self.damaged else "",
                f"{len(self.missing)} not finished" if self.missing else "",
            ]
            found.append(
                PartialResultsWarning(
                    f"partial results: {self.used} of {self.total} runs "
                    f"({', '.join(p for p in parts if p)}); means and intervals rest on the runs "
                    "that finished."
                )
            )
        return found


def load_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a sweep folder (see :mod:`loyaltysim.sweep.store`), with every key the
    analysis reads; :class:`ExperimentError` naming the file and key path otherwise."""
    store = ResultStore(Path(directory))
    try:
        manifest = store.read_manifest()
    except DamagedManifest as exc:
        intact = len(store.verified_run_files())
        raise ExperimentError(
            f"{exc} Its {intact} intact run file(s) are kept and nothing was written: rerun the "
            "'loyaltysim sweep' command that wrote this folder (the experiment as run is in "
            f"{store.root / 'experiment.toml'}) to rebuild the manifest from them without "
            "redoing them, then analyse again.",
            file=exc.file,
        ) from None
    if manifest is None:
        raise ExperimentError(
            f"{directory}: not a sweep results folder (no manifest.json); run "
            "'loyaltysim sweep EXPERIMENT --out DIR' first.",
            file=str(directory),
        )
    return check_manifest(manifest, store.manifest_path)


def _empty(order: list[str], weekly: bool) -> pd.DataFrame:
    tail = ["week", "metric", "value"] if weekly else ["window", "metric", "value"]
    return pd.DataFrame(columns=order + tail)


def read_results(directory: str | os.PathLike[str], *, weekly: bool = False) -> SweepResults:
    """Like :func:`load_results`, but returns what was left out instead of warning about it."""
    manifest = load_manifest(directory)
    store = ResultStore(Path(directory))
    keys = list(manifest["design"]["keys"])
    order = ["point", "replication", "seed", *keys, "firm"]
    tables: list[pa.Table] = []
    found = SweepResults(_empty(order, weekly), total=len(manifest["runs"]), used=0)
    for run in manifest["runs"]:
        path = store.run_path(run["run_id"])
        if not path.is_file():
            (found.failed if run["status"] == "failed" else found.missing).append(run["run_id"])
            continue
        try:
            verified = read_run_file(path)
            if verified.meta.get("run_hash") != run["run_hash"]:
                raise DamagedRunFile(path, "its inputs (run_hash) are not those of this run in the manifest")
        except DamagedRunFile as exc:
            found.damaged[path] = exc.reason
            continue
        except OSError as exc:
            found.damaged[path] = f"cannot be read ({exc.strerror or exc})"
            continue
        tables.append(verified.table.replace_schema_metadata(None))
        found.used += 1
    if not tables:
        return found
    table = pa.concat_tables(tables)
    is_weekly = pc.equal(table["window"], "weekly")
    frame = table.filter(is_weekly if weekly else pc.invert(is_weekly)).to_pandas()
    if weekly:
        frame = frame.drop(columns=["window"])
        sort = [*order[:2], "firm", "week", "metric"]
        frame = frame[[*order, "week", "metric", "value"]]
    else:
        frame = frame.drop(columns=["week"])
        sort = [*order[:2], "firm", "window", "metric"]
        frame = frame[[*order, "window", "metric", "value"]]
    found.frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
    return found


def load_results(directory: str | os.PathLike[str], *, weekly: bool = False) -> pd.DataFrame:
    """The results of a sweep folder as one tidy DataFrame, a row per run, firm and output.

    Columns: ``point``, ``replication``, ``seed``, one column per varied parameter (its dotted
    scenario key), ``firm``, ``window`` (``final``, a window's name or ``derived``), ``metric``
    and ``value`` (units of :data:`loyaltysim.metrics.FIRM_METRICS`; derived outputs in customers
    or shares). With ``weekly=True``: the weekly series instead, with ``week`` and no ``window``.
    Only runs listed in the manifest whose files verify against their checksum are read; damaged
    files are left out with a :class:`DamagedResultsWarning`, and results covering only some runs
    come with a :class:`PartialResultsWarning`. Rows are sorted by point, replication, firm,
    window (or week) and metric, so the table does not depend on the order in which runs finished.
    """
    found = read_results(directory, weekly=weekly)
    for warning in found.warnings():
        warnings.warn(warning, stacklevel=2)
    return found.frame


def failures_frame(directory: str | os.PathLike[str]) -> pd.DataFrame:
    """Runs recorded as failed: run id, point, replication, seed, attempts, error."""
    rows = []
    for run_id, record in ResultStore(Path(directory)).failures().items():
        rows.append(
            {
                "run_id": run_id,
                "point": record.get("point"),
                "replication": record.get("replication"),
                "seed": record.get("seed"),
                "attempts": record.get("attempts"),
                "error": record.get("error"),
                "params": json.dumps(record.get("params", {}), sort_keys=True),
            }
        )
    return pd.DataFrame(
        rows, columns=["run_id", "point", "replication", "seed", "attempts", "error", "params"]
    )
