"""Benchmark ``loyaltysim calibrate``: throughput and the machinery's overhead per trial.

Usage:  .venv/bin/python benchmarks/calibration.py [--trials 1000] [--parameters 10]
        [--customers 2000] [--weeks 208] [--replications 2] [--workers 2] [--batch 8]

The issue's specification: 1,000 trials of 10 free parameters on 2,000-customer x 208-week runs
of the corner pharmacy (after its market warm-up, ``market.warmup_weeks``) with 2 replications,
on this 2-core machine, in under 15 minutes. Three measurements, in one invocation:

1. the calibration itself (``run_calibration`` on the local process pool, worker start-up
   included): wall time, trials and runs per minute, the simulation time per trial (building and
   running the models) and the **overhead per trial**: worker-seconds not spent simulating,
   ``(wall x workers - summed simulation time) / trials`` (dispatch, measuring the targets, the
   sampler, writing the store, workers idle at the end of a batch);
2. a **replay** of the same folder: every trial stored, so only the sampler (asking and telling
   every trial again) and the store run - the machinery alone, without simulating;
3. the **sampler alone at --sampler-trials** trials (default 1,000: TPE's cost grows with the
   number of trials told), asked and told in batches on a cheap synthetic loss, to extrapolate a
   scaled-down run to the full size.

With a scaled-down ``--trials`` the script prints the extrapolation to 1,000 trials: the measured
time per trial x 1,000 plus the sampler's extra cost between the two sizes. The machine may be
shared: the load average is printed before and after. Nothing here asserts a speed; quote only
what this script prints (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

#: The coefficients searched, in order (the first --parameters of them), with their ranges.
PARAMETERS: tuple[tuple[str, float, float, bool], ...] = (
    ("behaviour.attachment_gain", 0.01, 0.5, True),
    ("behaviour.negativity_bias", 1.0, 5.0, False),
    ("behaviour.forgiveness", 0.0, 1.0, False),
    ("behaviour.recovery_bonus", 0.0, 0.8, False),
    ("behaviour.attachment_decay", 0.001, 0.1, True),
    ("behaviour.advocacy_attachment", 0.2, 1.0, False),
    ("behaviour.complain_base", 0.2, 1.0, False),
    ("behaviour.quit_rate", 0.0, 0.2, False),
    ("behaviour.engagement_base", 0.2, 0.8, False),
    ("customers.emotion_weight.mean", 1.0, 10.0, False),
    ("customers.habit.mean", 0.0, 3.0, False),
    ("behaviour.silent_failure_value", 0.0, 0.5, False),
)


def targets_text(args: argparse.Namespace) -> str:
    weeks = args.weeks
    first = max(1, weeks - 51)
    lines = [
        'description = "benchmark"',
        'scenario = "corner_pharmacy"',
        "seed = 1",
        f"trials = {args.trials}",
        f"batch_size = {args.batch}",
        f"replications = {args.replications}",
        "profile_points = 0",
        "[set]",
        f'"market.customers" = {args.customers}',
        f'"market.weeks" = {weeks}',
    ]
    for key, low, high, log in PARAMETERS[: args.parameters]:
        lines += [f'[parameters."{key}"]', f"low = {low}", f"high = {high}", f"log = {str(log).lower()}"]
    for name, kind, value in (
        ("nps", "quantity", "[10.0, 45.0]"),
        ("turnover", "quantity", "[50.0, 80.0]"),
        ("loyalty_rate", "metric", "[0.3, 0.6]"),
        ("retention_base", "metric", "[0.8, 0.95]"),
    ):
        lines += [f"[targets.{name}]", 'kind = "metric"', f'{kind} = "{name}"']
        lines += [f"weeks = [{first}, {weeks}]", f"range = {value}"]
    return "\n".join(lines) + "\n"


def sampler_seconds(trials: int, parameters: int, batch: int) -> float:
    """Seconds the seeded TPE sampler takes to ask and tell ``trials`` trials in batches."""
    import warnings

    import numpy as np
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = optuna.samplers.TPESampler(seed=1, n_startup_trials=10, multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    dists = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(parameters)}
    start = time.perf_counter()
    for first in range(0, trials, batch):
        asked = [study.ask(dists) for _ in range(min(batch, trials - first))]
        for trial in asked:
            study.tell(trial, float(np.sum((np.array(list(trial.params.values())) - 0.3) ** 2)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--parameters", type=int, default=10)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=208)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sampler-trials", type=int, default=1000)
    parser.add_argument("--full-trials", type=int, default=1000, help="size to extrapolate to")
    args = parser.parse_args()
    if not 1 <= args.parameters <= len(PARAMETERS):
        parser.error(f"--parameters from 1 to {len(PARAMETERS)}")

    from loyaltysim.calibration.spec import load_targets
    from loyaltysim.calibration.study import run_calibration

    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}; load average before: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"calibration: {args.trials} trials x {args.parameters} parameters, corner_pharmacy with "
        f"{args.customers:,} customers x {args.weeks} weeks, {args.replications} replications, "
        f"{args.workers} local workers, batches of {args.batch}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(targets_text(args), encoding="utf-8")
        loaded = load_targets(path)
        start = time.perf_counter()
        run = run_calibration(loaded, Path(tmp) / "out", workers=args.workers, progress=False)
        wall = time.perf_counter() - start
        records = run.finished
        sim = sum(r["sim_seconds"] for r in records)
        runs = args.trials * args.replications
        per_trial = wall / args.trials
        overhead = (wall * args.workers - sim) / args.trials
        start = time.perf_counter()
        replay = run_calibration(loaded, Path(tmp) / "out", workers=args.workers, progress=False)
        replay_wall = time.perf_counter() - start
        assert replay.evaluated == [], "the replay evaluated trials"
    print(f"wall time: {wall:.1f} s ({per_trial:.3f} s per trial)")
    print(f"throughput: {60 * args.trials / wall:.1f} trials/min, {60 * runs / wall:.1f} runs/min")
    print(f"simulation per trial (summed over its runs): {sim / args.trials:.3f} s")
    print(f"overhead per trial (wall x workers - simulation) / trials: {overhead:.3f} s")
    print(f"replay of the stored study (sampler + store, no simulation): {replay_wall:.2f} s")
    full = sampler_seconds(args.sampler_trials, args.parameters, args.batch)
    print(f"sampler alone, {args.sampler_trials} trials x {args.parameters} parameters: {full:.2f} s")
    n = args.full_trials
    if args.trials != n:
        small = sampler_seconds(args.trials, args.parameters, args.batch)
        at_full = full if args.sampler_trials == n else sampler_seconds(n, args.parameters, args.batch)
        estimate = per_trial * n + max(0.0, at_full - small)
        print(
            f"extrapolated to {n} trials: {estimate:.0f} s ({estimate / 60:.1f} min; measured time per "
            f"trial x {n} + the sampler's extra cost from {args.trials} to {n} trials)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
