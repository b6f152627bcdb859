"""Analyse a sweep: per-point summaries with confidence intervals, SALib indices, tables, plots.

* **Summary**: for every point, firm, window and metric, the mean over replications, its standard
  deviation, and a Student-t confidence interval for the mean (``confidence``, default 95 %).
  Runs that failed are not in it; ``n`` says how many replications each row rests on.
* **Sensitivity**: for a Sobol design, first-order and total indices (``S1``, ``ST``, with their
  bootstrap confidence half-widths) of each output's per-point mean; for a Morris design, ``mu``,
  ``mu_star`` (with its confidence half-width) and ``sigma``. Computed by SALib on the points in
  design order; an output with a missing point (a failed run) is skipped, and listed as such.

:func:`analyze` writes ``summary.csv``, ``summary.md``, ``sensitivity.csv`` (Sobol/Morris),
``failures.csv`` (when runs failed) and PNG plots into ``DIR/analysis`` by default.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loyaltysim.report import md_table
from loyaltysim.sweep.results import SweepResultsWarning, failures_frame, load_manifest, read_results

__all__ = ["analyze", "sensitivity", "summarise"]

GROUP = ["firm", "window", "metric"]
MARKDOWN_ROWS = 200


def summarise(results: pd.DataFrame, keys: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean, sd and a t confidence interval over replications, per point, firm, window, metric.

    Columns: ``point``, the parameter ``keys``, ``firm``, ``window``, ``metric``, ``n`` (non-missing
    replications), ``mean``, ``sd``, ``ci_low``, ``ci_high`` (NaN when ``n`` < 2).
    """
    from scipy import stats

    by = ["point", *keys, *GROUP]
    grouped = results.groupby(by, sort=True, dropna=False)["value"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    n = table["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n >= 2, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * table["sd"].to_numpy() / np.sqrt(n)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table


def _point_means(summary: pd.DataFrame, n_points: int) -> dict[tuple, np.ndarray]:
    """Per output (firm, window, metric): the mean of each point, in design order (NaN: missing)."""
    out = {}
    for key, frame in summary.groupby(GROUP, sort=True):
        y = np.full(n_points, np.nan)
        y[frame["point"].to_numpy()] = frame["mean"].to_numpy()
        out[key] = y
    return out


def _to_problem(record: dict[str, Any]) -> dict[str, Any]:
    problem = dict(record["problem"])
    problem["bounds"] = [list(b) for b in problem["bounds"]]
    return problem


def sensitivity(
    manifest: dict[str, Any], summary: pd.DataFrame, confidence: float = 0.95
) -> tuple[pd.DataFrame, list[str]]:
    """SALib indices for every output of a Sobol or Morris sweep (empty for other designs).

    Returns ``(table, skipped)``: the table has columns ``firm``, ``window``, ``metric``,
    ``parameter`` and the indices; ``skipped`` names outputs that could not be analysed and why.
    """
    design = manifest["design"]
    kind = design["kind"]
    if kind not in ("sobol", "morris"):
        return pd.DataFrame(), []
    problem = _to_problem(design)
    matrix = np.asarray(design["matrix"], dtype=float)
    rows, skipped = [], []
    for (firm, window, metric), y in _point_means(summary, len(matrix)).items():
        label = f"{firm}/{window}/{metric}"
        if np.isnan(y).any():
            skipped.append(f"{label}: {int(np.isnan(y).sum())} point(s) without results")
            continue
        if np.ptp(y) == 0:
            skipped.append(f"{label}: the output does not vary across points")
            continue
        if kind == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(
                problem,
                y,
                calc_second_order=design["second_order"],
                conf_level=confidence,
                seed=design.get("seed", 0),
            )
            cols = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            from SALib.analyze import morris

            res = morris.analyze(
                problem,
                matrix,
                y,
                conf_level=confidence,
                num_levels=design["levels"],
                seed=design.get("seed", 0),
            )
            cols = ("mu", "mu_star", "mu_star_conf", "sigma")
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "firm": firm,
                    "window": window,
                    "metric": metric,
                    "parameter": name,
                    **{c: float(np.asarray(res[c])[i]) for c in cols},
                }
            )
    return pd.DataFrame(rows), skipped


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return md_table(header, rows).split("\n")


def _markdown(
    manifest: dict[str, Any],
    summary: pd.DataFrame,
    sens: pd.DataFrame,
    skipped: list[str],
    failures: pd.DataFrame,
    keys: list[str],
    confidence: float,
    problems: Sequence[SweepResultsWarning] = (),
) -> str:
    exp = manifest["experiment"]
    counts = manifest["counts"]
    lines = [f"# Sweep {exp['name']}", ""]
    if exp.get("description"):
        lines += [exp["description"], ""]
    lines += [
        f"Scenario `{manifest['scenario']['name']}` (focus firm "
        f"`{manifest['scenario']['focus']}`), design **{manifest['design']['kind']}**, "
        f"{len(manifest['design']['points'])} points x {exp['replications']} replications "
        f"(seeds {exp['seed']}..{exp['seed'] + exp['replications'] - 1}); runs: "
        f"{counts['done']} done, {counts['failed']} failed, {counts['pending']} pending. "
        f"Cells: mean over replications ± half-width of the {confidence:.0%} t confidence "
        "interval (n/a with fewer than two replications).",
        "",
    ]
    for problem in problems:
        lines += [f"**Warning**: {problem}", ""]
    for (firm, window), frame in summary.groupby(["firm", "window"], sort=False):
        metrics = list(dict.fromkeys(frame["metric"]))
        lines += [f"## {firm}, window `{window}`", ""]
        params = frame.drop_duplicates("point").set_index("point")[keys]
        means = frame.pivot(index="point", columns="metric", values="mean")
        highs = frame.pivot(index="point", columns="metric", values="ci_high")
        rows = []
        for point in means.index[:MARKDOWN_ROWS]:
            cells = [str(point), *(_fmt(v) if isinstance(v, float) else str(v) for v in params.loc[point])]
            for metric in metrics:
                mean, half = means.at[point, metric], highs.at[point, metric] - means.at[point, metric]
                cells.append(_fmt(mean) + ("" if math.isnan(half) else f" ± {_fmt(half)}"))
            rows.append(cells)
        lines += _markdown_table(["point", *keys, *metrics], rows)
        if len(means) > MARKDOWN_ROWS:
            lines += ["", f"(first {MARKDOWN_ROWS} of {len(means)} points; all in summary.csv)"]
        lines.append("")
    if not sens.empty:
        index_cols = [c for c in sens.columns if c not in ("firm", "window", "metric", "parameter")]
        lines += [f"## Sensitivity indices ({manifest['design']['kind']}, SALib)", ""]
        for (firm, window, metric), frame in sens.groupby(GROUP, sort=False):
            lines += [f"### {firm}, `{window}`, {metric}", ""]
            lines += _markdown_table(
                ["parameter", *index_cols],
                [[r["parameter"], *(_fmt(r[c]) for c in index_cols)] for _, r in frame.iterrows()],
            )
            lines.append("")
    if skipped:
        lines += ["Outputs not analysed: " + "; ".join(skipped) + ".", ""]
    if not failures.empty:
        lines += ["## Failed runs", ""]
        lines += _markdown_table(
            ["run", "attempts", "error"],
            [[r.run_id, str(r.attempts), str(r.error).replace("|", "/")] for r in failures.itertuples()],
        )
        lines.append("")
    return "\n".join(lines)


def analyze(
    directory: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    confidence: float = 0.95,
    plots: bool = True,
) -> list[Path]:
    """Write the analysis of a sweep folder (see the module docstring); return the files written.

    ``out`` defaults to ``DIRECTORY/analysis``. Damaged run files are left out, never used;
    they and partial results are reported at the top of ``summary.md`` and as warnings
    (:class:`~loyaltysim.sweep.results.SweepResultsWarning`).
    """
    from loyaltysim.sweep import plots as sweep_plots

    directory = Path(directory)
    manifest = load_manifest(directory)
    keys = list(manifest["design"]["keys"])
    found = read_results(directory)
    results, problems = found.frame, found.warnings()
    for problem in problems:
        warnings.warn(problem, stacklevel=2)
    target = Path(out) if out is not None else directory / "analysis"
    target.mkdir(parents=True, exist_ok=True)
    summary = summarise(results, keys, confidence)
    sens, skipped = sensitivity(manifest, summary, confidence)
    failures = failures_frame(directory)
    written = [target / "summary.csv", target / "summary.md"]
    summary.to_csv(written[0], index=False)
    written[1].write_text(
        _markdown(manifest, summary, sens, skipped, failures, keys, confidence, problems), encoding="utf-8"
    )
    if not sens.empty:
        sens.to_csv(target / "sensitivity.csv", index=False)
        written.append(target / "sensitivity.csv")
    if not failures.empty:
        failures.to_csv(target / "failures.csv", index=False)
        written.append(target / "failures.csv")
    if plots and not summary.empty:
        written += sweep_plots.write_plots(manifest, summary, sens, target)
    return written
