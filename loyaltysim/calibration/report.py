"""The calibration report: ``report.md`` with PNG figures, written into the calibration folder.

Each target observed against simulated before (the base scenarios as they are) and after (the
best trial); the fit's progress (loss by trial and best so far); and identification (how well the
targets pin each parameter down, :mod:`loyaltysim.calibration.identify`), saying plainly which
parameters the targets do not identify.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from loyaltysim.calibration.identify import DELTA, IDENTIFIED, Identification, identification
from loyaltysim.calibration.loss import bounds, csv_columns
from loyaltysim.calibration.outputs import trials_table
from loyaltysim.calibration.spec import CsvTarget, FindingTarget
from loyaltysim.calibration.study import CalibrationRun, base_value
from loyaltysim.sweep.progress import format_duration

__all__ = ["write_report"]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(str(v).replace("|", "/") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def _at_edge(p: Any, value: float) -> bool:
    """Whether ``value`` lies in the outer 2 % of free parameter ``p``'s range (its scale)."""
    if p.log:
        share = (math.log(value) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    else:
        share = (value - p.low) / (p.high - p.low)
    return share < 0.02 or share > 0.98


def _sessions_text(run: CalibrationRun) -> str:
    """Every session that evaluated something: those that ended, from their record (what, on what,
    how long, where), and those killed before their end, from the trials that name them."""
    ended = {s["session"] for s in run.sessions}
    stopped: dict[str, int] = {}
    for r in run.records.values():
        if r.get("session") and r["session"] not in ended:
            stopped[r["session"]] = stopped.get(r["session"], 0) + 1
    parts = [
        f"{n} evaluation(s) in a session stopped before its end (its time not recorded)"
        for n in stopped.values()
    ]
    parts += [
        f"{s['trials']} trial(s) and {s['evaluations']} evaluation(s) in all on "
        f"{s['executor'] or 'no workers (all stored)'} in {format_duration(s['wall_seconds'])} "
        f"(ended {s['ended_utc']}; {s['machine']})"
        for s in run.sessions
    ]
    if not parts:  # a folder written before sessions were recorded
        parts = [
            f"this session: {len(run.evaluated)} trial(s) on {run.executor or 'no workers (all stored)'} "
            f"in {format_duration(run.wall_seconds)} ({platform.node()}, {platform.machine()}, Python "
            f"{platform.python_version()})"
        ]
    return f"Sessions: {'; '.join(parts)}"


def _observed_text(run: CalibrationRun, name: str) -> str:
    target = run.loaded.spec.targets[name]
    if isinstance(target, FindingTarget):
        return "the finding's published figures"
    if isinstance(target, CsvTarget):
        rows = run.loaded.tables[name]
        return f"{len(rows)} weeks of {', '.join(csv_columns(run.loaded, name))}"
    low, high, scale = bounds(target)
    if low == high:
        return f"{low:.4g} ± {scale:.3g} (sd)"
    return f"{low:.4g} to {high:.4g}"


def _value_text(value: Any, target: Any) -> str:
    if value is None:
        return "-"
    if isinstance(target, FindingTarget) and isinstance(value, list):
        return f"{sum(1 for r in value if r['held'])}/{len(value)} comparisons hold"
    if isinstance(value, dict):
        return "; ".join(
            f"{m} mean {np.nanmean(np.asarray(v, dtype=float)):.4g}" for m, v in value.items() if len(v)
        )
    return _fmt(float(value))


def _progress_figure(trials: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    done = trials[(trials["number"] >= 0) & (trials["state"] == "complete")]
    ax.plot(done["number"], done["loss"], ".", color="0.6", label="trial")
    best = done["loss"].cummin()
    ax.step(done["number"], best, where="post", color="C0", label="best so far")
    if (done["loss"] > 0).all() and len(done):
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss (sum of squared standardised errors)")
    ax.legend(fontsize=8)
    ax.set_title("Progress of the fit", fontsize=10)
    return fig


def _targets_figure(run: CalibrationRun, trials: pd.DataFrame, best: int) -> Figure:
    names = list(run.loaded.spec.targets)
    before = trials[trials["number"] == -1]
    after = trials[trials["number"] == best]
    fig = Figure(figsize=(7, 0.45 * len(names) + 1.5), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    for frame, label, marker in (
        (before, "before (base scenarios)", "o"),
        (after, "after (best trial)", "D"),
    ):
        if frame.empty:
            continue
        losses = [float(frame[f"loss.{n}"].iloc[0]) for n in names]
        ax.plot(np.sqrt(np.maximum(losses, 0)), y, marker, label=label, ms=6, alpha=0.8)
    ax.axvline(1, color="k", lw=0.8, ls="--", label="1 sd from the target")
    ax.set_yticks(y, names)
    ax.set_xlabel("misfit: sqrt(loss of the target) (0 = on target or inside its range)")
    ax.legend(fontsize=8)
    ax.set_title("Targets: before and after calibration", fontsize=10)
    return fig


def _csv_figure(run: CalibrationRun, name: str, best: int) -> Figure:
    rows = run.loaded.tables[name]
    columns = csv_columns(run.loaded, name)
    fig = Figure(figsize=(7, 2.4 * len(columns) + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(columns), 1, sharex=True))
    weeks = [row["week"] for row in rows]
    for ax, (column, metric) in zip(axes, columns.items(), strict=True):
        ax.plot(weeks, [row.get(metric, math.nan) for row in rows], "k.", label="observed")
        for number, label in ((-1, "before"), (best, "after")):
            record = run.records.get(number)
            if record is None or not isinstance(record["values"].get(name), dict):
                continue
            ax.plot(weeks, record["values"][name].get(metric, []), label=label)
        ax.set_ylabel(column)
    axes[0].legend(fontsize=8)
    axes[-1].set_xlabel("week")
    fig.suptitle(f"{name}: the store's figures against the model", fontsize=10)
    return fig


def _identification_figure(run: CalibrationRun, trials: pd.DataFrame, found: list[Identification]) -> Figure:
    params = run.loaded.spec.parameters
    n = len(found)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(3.4 * cols, 2.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    done = trials[(trials["number"] >= 0) & (trials["state"] == "complete")]
    best = done["loss"].min() if len(done) else math.nan
    for ax, ident in zip(axes, found, strict=False):
        p = params[ident.key]
        x = done[f"param.{ident.key}"]
        ax.plot(x, done["loss"] - best + 0.01, ".", color="0.6", ms=3)
        if ident.slice:
            xs, ys = zip(*ident.slice, strict=True)
            ax.plot(xs, np.asarray(ys) - best + 0.01, "o-", color="C0", ms=3, label="slice through best")
        ax.axhline(DELTA, color="C3", lw=0.8, ls="--", label=f"best + {DELTA}")
        ax.axvspan(ident.near_low, ident.near_high, color="C2", alpha=0.15, label="near-best")
        ax.set_yscale("log")
        ax.set_xlim(p.low, p.high)
        if p.log:
            ax.set_xscale("log")
        ax.set_title(f"{ident.key}\n{'identified' if ident.identified else 'NOT identified'}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].set_ylabel("loss - best loss")
    axes[0].legend(fontsize=6)
    return fig


def write_report(run: CalibrationRun, folder: Path) -> list[Path]:
    """Write ``report.md`` and its PNGs into ``folder``; return the paths written."""
    loaded = run.loaded
    spec = loaded.spec
    trials = trials_table(run)
    best = run.best
    written: list[Path] = []

    def save(fig: Figure, name: str) -> str:
        path = folder / name
        fig.savefig(path, dpi=110)
        written.append(path)
        return name

    records = run.finished
    failed = sum(1 for r in records if r["state"] != "complete")
    sim = sum(r["sim_seconds"] for r in records)
    lines = [
        f"# Calibration: {loaded.path.name}",
        "",
        spec.description or "",
        "",
        f"{len(records)} of {run.trials} trials ({failed} failed), {len(spec.parameters)} free parameters, "
        f"{len(spec.targets)} target(s), {spec.replications} replication(s) per trial (seeds fixed across "
        f"trials), sampler {spec.sampler} (seed {run.seed}, batches of {spec.batch_size}). "
        f"{_sessions_text(run)}; the stored trials simulated for {format_duration(sim)} in all.",
        "",
        "The loss is a sum of squared standardised errors: ((simulated - observed) / sd)² per target, "
        "0 inside a range target's range, a finding's failed comparisons graded by their tolerance "
        "or their shortfall where the finding states one, else a flat miss (docs/calibration.md).",
        "",
    ]
    if best is None:
        lines += ["**No trial finished**: every trial failed; see `trials.parquet` (column `error`).", ""]
        (folder / "report.md").write_text("\n".join(lines), encoding="utf-8")
        return [folder / "report.md"]
    found = identification(
        trials[trials["number"] >= 0],
        {k: (p.low, p.high, p.log) for k, p in spec.parameters.items()},
        run.slices(),
    )
    baseline = run.baseline
    lines += [
        "## Best fit",
        "",
        f"Trial {best['number']}, loss {best['loss']:.4g}"
        + (
            f" (the base scenarios: {baseline['loss']:.4g})."
            if baseline and baseline["state"] == "complete"
            else "."
        )
        + " Written as a scenario fragment to `best.toml`.",
        "",
    ]
    table = pd.DataFrame(
        [
            {
                "parameter": f"`{i.key}`",
                "range searched": f"{spec.parameters[i.key].low:g} to {spec.parameters[i.key].high:g}"
                + (" (log)" if spec.parameters[i.key].log else ""),
                "base scenario": _fmt(base_value(run.loaded, i.key)),
                "best": _fmt(float(best["params"][i.key])),
                "near-best values": f"{_fmt(i.near_low)} to {_fmt(i.near_high)} ({i.near_count} trials)",
                "near-best span": f"{100 * i.span:.0f} %" if math.isfinite(i.span) else "n/a",
                "flat share of slice": f"{100 * i.flat:.0f} %" if math.isfinite(i.flat) else "n/a",
                "identified": "yes" if i.identified else "**no**",
            }
            for i in found
        ]
    )
    lines += [_table(table), ""]
    edge = [i.key for i in found if _at_edge(spec.parameters[i.key], float(best["params"][i.key]))]
    if edge:
        lines += [
            f"**At the edge of the range searched: {', '.join(f'`{k}`' for k in edge)}.** The best value "
            "lies in the outer 2 % of the range, so the best fit may lie beyond it: widen the range "
            "(within the schema's), or suspect a trade-off with another parameter or a target the "
            "model cannot reach.",
            "",
        ]
    loose = [i.key for i in found if not i.identified]
    if loose:
        lines += [
            f"**Not identified by these targets: {', '.join(f'`{k}`' for k in loose)}.** Values across "
            f"more than {100 * IDENTIFIED:.0f} % of the range searched fit within {DELTA} of the best loss "
            "(along the slice through the best fit, or among the near-best trials), so the targets cannot "
            "tell these values apart: the best value is one of many that fit as well. Add a target that "
            "depends on them, or fix them at a value from elsewhere.",
            "",
        ]
    else:
        lines += [
            f"Every free parameter is identified: along its slice through the best fit and among the "
            f"near-best trials, values within {DELTA} of the best loss span at most "
            f"{100 * IDENTIFIED:.0f} % of its range. A slice holds the other parameters fixed, so a "
            "trade-off between two parameters shows only in the near-best spread.",
            "",
        ]
    rows = []
    for name, target in spec.targets.items():
        before = baseline["values"].get(name) if baseline else None
        across = getattr(target, "across", "mean")  # run targets only
        rows.append(
            {
                "target": target.label or name,
                "kind": target.kind + ("" if across == "mean" else f" ({across} of replications)"),
                "observed": _observed_text(run, name),
                "before": _value_text(before, target),
                "after": _value_text(best["values"].get(name), target),
                "loss before": _fmt(float(baseline["parts"].get(name, math.nan)))
                if baseline and baseline["parts"]
                else "-",
                "loss after": _fmt(float(best["parts"][name])),
            }
        )
    lines += ["## Targets: observed and simulated, before and after", "", _table(pd.DataFrame(rows)), ""]
    lines += [f"![targets]({save(_targets_figure(run, trials, best['number']), 'targets.png')})", ""]
    for name, target in spec.targets.items():
        if isinstance(target, FindingTarget):
            after = {r["quantity"]: r for r in best["values"].get(name) or []}
            before_list = (baseline["values"].get(name) if baseline else None) or []
            before_map = {r["quantity"]: r for r in before_list}
            comp = pd.DataFrame(
                [
                    {
                        "comparison": q,
                        "published": r["published"],
                        "before": (before_map[q]["simulated"] + (" (holds)" if before_map[q]["held"] else ""))
                        if q in before_map
                        else "-",
                        "after": r["simulated"] + (" (holds)" if r["held"] else ""),
                        "criterion": r["criterion"],
                    }
                    for q, r in after.items()
                ]
            )
            lines += [f"### {target.label or name}: comparisons of `{target.finding}`", "", _table(comp), ""]
        elif isinstance(target, CsvTarget):
            lines += [
                f"### {target.label or name}",
                "",
                f"![{name}]({save(_csv_figure(run, name, best['number']), f'csv_{name}.png')})",
                "",
            ]
    lines += [
        "## Progress",
        "",
        f"![progress]({save(_progress_figure(trials), 'progress.png')})",
        "",
        "## Identification",
        "",
        "Each panel: every trial's loss above the best against the parameter's value (grey), the slice "
        "through the best fit - the loss with only this parameter moved (blue) - the line best + "
        f"{DELTA} (red) and the span of the near-best trials (green).",
        "",
        f"![identification]({save(_identification_figure(run, trials, found), 'identification.png')})",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return [path, *written]
