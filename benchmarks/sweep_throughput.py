"""Benchmark sweep throughput: local process pool, Dask LocalCluster and mesa.batch_run.

Usage:  .venv/bin/python benchmarks/sweep_throughput.py [--runs 100] [--customers 500]
        [--weeks 104] [--workers N] [--scenario corner_pharmacy]

One experiment of ``--runs`` runs (points of firms.<focus>.culture.trust x 4 seeds, or 1 seed when
--runs is not a multiple of 4) is run three ways on the same machine, in one invocation:

* ``loyaltysim sweep`` machinery with the local process pool (``run_sweep``),
* the same through a Dask ``LocalCluster`` (``cluster="local"``; cluster start-up included),
* ``mesa.batch_run`` on the same points and seeds (``number_processes`` = workers; it keeps
  results in memory and writes nothing).

A way whose library is missing is skipped and says so: ``mesa.batch_run`` is gone in Mesa 4, and
Dask comes with ``pip install 'loyaltysim[cluster]'``.

For each: wall time, runs per minute, and the overhead per run: worker-seconds not spent
simulating, ``(wall x workers - summed simulation time) / runs`` (process start-up, transfer,
writing results, idle tail). A second probe runs the same number of near-empty runs (10
customers, 1 week) through the local pool and Dask to isolate the dispatch cost per run. The
script also checks that the three ways give the same numbers. With ``--repeat K`` each way runs
K times in rotating order and the fastest is kept (the machine may be shared). Nothing here asserts a speed;
quote only what this script prints (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import load_scenario
from loyaltysim.sweep import load_experiment, load_results, run_sweep
from loyaltysim.sweep.executors import default_workers

LOCAL = "loyaltysim sweep, local pool"
DASK = "loyaltysim sweep, Dask LocalCluster"
BATCH = "mesa.batch_run (multiprocessing)"
PROBE_LOCAL = "dispatch probe: local pool, empty runs"
PROBE_DASK = "dispatch probe: Dask LocalCluster, empty runs"

#: Whether each optional way can run here (see the module docstring).
HAS_BATCH_RUN = hasattr(mesa, "batch_run")
HAS_DASK = importlib.util.find_spec("distributed") is not None


def _experiment(
    folder: Path, scenario: str, focus: str, points: int, reps: int, customers: int, weeks: int
) -> Path:
    path = folder / f"bench_{customers}_{weeks}.toml"
    path.write_text(
        f"""
name = "sweep_benchmark"
scenario = "{scenario}"
replications = {reps}
seed = 1
[set]
"market.customers" = {customers}
"market.weeks" = {weeks}
[parameters."firms.{focus}.culture.trust"]
start = 0.05
stop = 0.95
steps = {points}
[outputs]
metrics = ["loyalty_rate", "customer_base"]
final_weeks = 1
""",
        encoding="utf-8",
    )
    return path


def _sweep(path: Path, out: Path, workers: int, cluster: str | None) -> tuple[float, float]:
    start = time.perf_counter()
    report = run_sweep(load_experiment(path), out, workers=workers, cluster=cluster, progress=False)
    wall = time.perf_counter() - start
    if not report.complete:
        raise SystemExit(f"sweep incomplete: {report.failed}")
    return wall, report.sim_seconds


def _batch_run(
    scenario: str, focus: str, values: list[float], seeds: list[int], customers: int, weeks: int, workers: int
) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    rows = mesa.batch_run(
        LoyaltyModel,
        parameters={
            "spec": scenario,
            "market__customers": customers,
            "market__weeks": weeks,
            f"firms__{focus}__culture__trust": values,
        },
        rng=seeds,
        max_steps=weeks,
        number_processes=workers,
        display_progress=False,
        data_collection_period=-1,
    )
    return time.perf_counter() - start, rows


def _agree(sweep_dir: Path, dask_dir: Path | None, rows: list[dict], focus: str) -> bool:
    a = load_results(sweep_dir).sort_values(["point", "replication", "metric"])
    if dask_dir is not None:
        b = load_results(dask_dir).sort_values(["point", "replication", "metric"])
        if not np.array_equal(a["value"].to_numpy(), b["value"].to_numpy(), equal_nan=True):
            return False
    final = a[(a["metric"] == "loyalty_rate") & (a["firm"] == focus)]
    key = f"firms.{focus}.culture.trust"
    lookup = {(round(r[key], 12), r["seed"]): r["value"] for _, r in final.iterrows()}
    for row in rows:
        mine = lookup.get((round(row[f"firms__{focus}__culture__trust"], 12), row["rng"]))
        if mine is None or not np.isclose(mine, row["focus_loyalty_rate"], equal_nan=True):
            return False
    return True


def main() -> None:
    """Run the three ways, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--scenario", default="corner_pharmacy")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each method this many times (rotating order), keep the fastest",
    )
    args = parser.parse_args()
    reps = 4 if args.runs % 4 == 0 and args.runs >= 8 else 1
    points = args.runs // reps
    if points < 2:
        raise SystemExit("--runs must give at least two points")
    focus = load_scenario(args.scenario).focus_firm
    spec = load_scenario(args.scenario, {"market.customers": args.customers, "market.weeks": args.weeks})
    engine = spec.market.engine
    best: dict[str, tuple[float, float | None]] = {}

    def keep(name: str, wall: float, sim: float | None) -> None:
        if name not in best or wall < best[name][0]:
            best[name] = (wall, sim)

    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        folder = Path(tmp)
        real = _experiment(folder, args.scenario, focus, points, reps, args.customers, args.weeks)
        empty = _experiment(folder, args.scenario, focus, points, reps, 10, 1)
        loaded = load_experiment(real)
        from loyaltysim.sweep.design import make_design

        values = [p[f"firms.{focus}.culture.trust"] for p in make_design(loaded.experiment).points]
        seeds = [1 + r for r in range(reps)]
        rows: list[dict] = []

        def batch(_: int) -> None:
            wall, found = _batch_run(
                args.scenario, focus, values, seeds, args.customers, args.weeks, args.workers
            )
            rows[:] = found
            keep(BATCH, wall, None)

        methods = [lambda r: keep(LOCAL, *_sweep(real, folder / f"local{r}", args.workers, None))]
        if HAS_DASK:
            methods.append(lambda r: keep(DASK, *_sweep(real, folder / f"dask{r}", args.workers, "local")))
        if HAS_BATCH_RUN:
            methods.append(batch)
        for repeat in range(args.repeat):  # rotate the order: contention hits each method alike
            turn = repeat % len(methods)
            for method in methods[turn:] + methods[:turn]:
                method(repeat)
        agree = _agree(folder / "local0", folder / "dask0" if HAS_DASK else None, rows, focus)
        keep(PROBE_LOCAL, *_sweep(empty, folder / "probe_local", args.workers, None))
        if HAS_DASK:
            keep(PROBE_DASK, *_sweep(empty, folder / "probe_dask", args.workers, "local"))
    runs, w = args.runs, args.workers
    local_wall, local_sim = best[LOCAL]
    mean_sim = local_sim / runs

    def overhead(wall: float, sim: float | None) -> str:
        return "n/a (simulation time not measurable)" if sim is None else f"{(wall * w - sim) / runs:.3f}"

    rows_out = [
        (name, best[name][0], best[name][1], overhead(*best[name]))
        for name in (LOCAL, DASK, BATCH, PROBE_LOCAL, PROBE_DASK)
        if name in best
    ]
    print(
        f"machine: {platform.processor() or platform.machine()}, python "
        f"{platform.python_version()}, workers {w}, engine {engine}"
    )
    print(
        f"experiment: {args.scenario}, {points} points x {reps} seeds = {runs} runs, "
        f"{args.customers} customers, {args.weeks} weeks; mean simulation time per run "
        f"{mean_sim:.2f} s (in the local pool's workers)"
    )
    print("| method | runs | wall s | runs/min | sim s/run | overhead s/run (worker-s not simulating) |")
    print("|---|---|---|---|---|---|")
    for name, wall, sim, over in rows_out:
        per_run = "n/a" if sim is None else f"{sim / runs:.3f}"
        print(f"| {name} | {runs} | {wall:.1f} | {60 * runs / wall:,.1f} | {per_run} | {over} |")
    if not HAS_DASK:
        print("skipped: Dask LocalCluster (pip install 'loyaltysim[cluster]')")
    if not HAS_BATCH_RUN:
        print(
            f"skipped: mesa.batch_run (not in Mesa {mesa.__version__}; loyaltysim.replicate "
            "and loyaltysim sweep replace it)"
        )
    compared = ["local pool", *(["Dask"] if HAS_DASK else []), *(["mesa.batch_run"] if HAS_BATCH_RUN else [])]
    names = compared[0] if len(compared) == 1 else f"{', '.join(compared[:-1])} and {compared[-1]}"
    print(f"results identical across {names}: {'yes' if agree else 'NO'}")
    print(
        f"sweep overhead vs simulation (local pool): "
        f"{100 * (local_wall * w - local_sim) / local_sim:.1f}% of simulation time"
    )


if __name__ == "__main__":
    main()
