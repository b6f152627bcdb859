"""PNG figures of a sweep's analysis (matplotlib, Agg; no pyplot state).

One figure per firm and window, with a panel per kept metric:

* ``heatmap_<firm>_<window>.png`` - a 2-D grid: the mean over replications at every point;
* ``response_<firm>_<window>.png`` - response curves: for a 1-D or 2-D grid the mean against the
  first parameter with its confidence band (one line per value of the second parameter); for
  larger grids and sampled designs the main effect of every parameter (mean response in five bins
  of the parameter's range, x scaled 0-1 over that range);
* ``indices_<firm>_<window>.png`` - Sobol (S1, ST) or Morris (mu*, sigma) indices as bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["heatmap_figure", "indices_figure", "response_figure", "write_plots"]

BINS = 5


def _panels(n: int, width: float = 4.2, height: float = 3.3) -> tuple[Figure, list[Any]]:
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _label(key: str) -> str:
    return key.removeprefix("firms.")


def heatmap_figure(
    frame: pd.DataFrame, keys: Sequence[str], title: str, axes_values: Sequence[Sequence[Any]] | None = None
) -> Figure:
    """Mean of each metric over a 2-D grid (rows: ``keys[0]``, columns: ``keys[1]``); cells of
    ``axes_values`` (every grid value of each key) without results are left blank."""
    metrics = list(dict.fromkeys(frame["metric"]))
    fig, axes = _panels(len(metrics))
    for ax, metric in zip(axes, metrics, strict=True):
        grid = frame[frame["metric"] == metric].pivot_table(
            index=keys[0], columns=keys[1], values="mean", dropna=False
        )
        if axes_values is not None:
            grid = grid.reindex(index=list(axes_values[0]), columns=list(axes_values[1]))
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(
            range(grid.shape[1]),
            [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns],
            rotation=45,
        )
        ax.set_yticks(
            range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index]
        )
        ax.set_xlabel(_label(keys[1]), fontsize=8)
        ax.set_ylabel(_label(keys[0]), fontsize=8)
        ax.set_title(metric, fontsize=10)
        values = grid.to_numpy(dtype=float)
        if values.size <= 64:
            for (i, j), v in np.ndenumerate(values):
                if not math.isnan(v):
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color="w")
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(title)
    return fig


def _grid_curves(ax: Any, frame: pd.DataFrame, keys: Sequence[str]) -> None:
    x_key = keys[0]
    groups = frame.groupby(keys[1], sort=True) if len(keys) > 1 else [(None, frame)]
    for value, part in groups:
        part = part.sort_values(x_key)
        x = part[x_key].to_numpy(dtype=float)
        label = (
            None
            if value is None
            else f"{_label(keys[1])} = {value:g}"
            if isinstance(value, float)
            else f"{_label(keys[1])} = {value}"
        )
        (line,) = ax.plot(x, part["mean"], marker="o", ms=3, label=label)
        ax.fill_between(x, part["ci_low"], part["ci_high"], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(_label(x_key), fontsize=8)


def _main_effects(ax: Any, frame: pd.DataFrame, keys: Sequence[str]) -> None:
    for key in keys:
        x = pd.to_numeric(frame[key], errors="coerce").to_numpy(dtype=float)
        y = frame["mean"].to_numpy(dtype=float)
        ok = ~(np.isnan(x) | np.isnan(y))
        if ok.sum() < 2 or np.ptp(x[ok]) == 0:
            continue
        scaled = (x[ok] - x[ok].min()) / np.ptp(x[ok])
        bins = np.minimum((scaled * BINS).astype(int), BINS - 1)
        centres, means = [], []
        for b in range(BINS):
            if (bins == b).any():
                centres.append((b + 0.5) / BINS)
                means.append(y[ok][bins == b].mean())
        ax.plot(centres, means, marker="o", ms=3, label=_label(key))
    ax.set_xlabel("position in the parameter's range (0 = low, 1 = high)", fontsize=8)


def response_figure(frame: pd.DataFrame, keys: Sequence[str], design: str, title: str) -> Figure:
    """Response of each metric to the parameters (see the module docstring)."""
    metrics = list(dict.fromkeys(frame["metric"]))
    fig, axes = _panels(len(metrics))
    numeric_first = pd.to_numeric(frame[keys[0]], errors="coerce").notna().all()
    for ax, metric in zip(axes, metrics, strict=True):
        part = frame[frame["metric"] == metric]
        if design == "grid" and len(keys) <= 2 and numeric_first:
            _grid_curves(ax, part, keys)
        else:
            _main_effects(ax, part, keys)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    if axes and axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=7)
    fig.suptitle(title)
    return fig


def indices_figure(frame: pd.DataFrame, design: str, title: str) -> Figure:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices per parameter, one panel per metric."""
    metrics = list(dict.fromkeys(frame["metric"]))
    fig, axes = _panels(len(metrics), width=5.0)
    bars = (
        (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST"))
        if design == "sobol"
        else (("mu_star", "mu_star_conf", "mu*"), ("sigma", None, "sigma"))
    )
    for ax, metric in zip(axes, metrics, strict=True):
        part = frame[frame["metric"] == metric]
        y = np.arange(len(part))
        height = 0.38
        for offset, (col, conf, label) in zip((-height / 2, height / 2), bars, strict=True):
            err = part[conf].to_numpy() if conf else None
            ax.barh(y + offset, part[col], height=height, xerr=err, capsize=2, label=label)
        ax.set_yticks(y, [_label(p) for p in part["parameter"]], fontsize=7)
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7)
    fig.suptitle(title)
    return fig


def write_plots(manifest: dict[str, Any], summary: pd.DataFrame, sens: pd.DataFrame, out: Path) -> list[Path]:
    """Write every figure that fits the sweep's design into ``out``; return the paths."""
    design = manifest["design"]["kind"]
    keys = list(manifest["design"]["keys"])
    name = manifest["experiment"]["name"]
    written = []
    for (firm, window), frame in summary.groupby(["firm", "window"], sort=False):
        title = f"{name}: {firm}, window '{window}' (mean over replications)"
        figures = {f"response_{firm}_{window}": response_figure(frame, keys, design, title)}
        if design == "grid" and len(keys) == 2:
            points = manifest["design"]["points"]
            values = [sorted({p[k] for p in points}) for k in keys]
            figures[f"heatmap_{firm}_{window}"] = heatmap_figure(frame, keys, title, values)
        if not sens.empty:
            part = sens[(sens["firm"] == firm) & (sens["window"] == window)]
            if not part.empty:
                figures[f"indices_{firm}_{window}"] = indices_figure(
                    part, design, f"{name}: {design} indices, {firm}, window '{window}'"
                )
        for stem, fig in figures.items():
            path = out / f"{stem}.png"
            fig.savefig(path, dpi=100)
            written.append(path)
    return written
