"""Where a numba week goes: milliseconds per week and nanoseconds per customer of each kernel and
of the Python around them, at one town size, on 1 and on all numba threads.

Usage (prints a Markdown table; see benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/kernel_profile.py                 # 1e6 customers, 20 weeks
    .venv/bin/python benchmarks/kernel_profile.py --customers 1e4 --weeks 200

Each thread count runs in a fresh subprocess: build the model, run the warm-up weeks of
``benchmarks/engines.py``, then time ``--weeks`` weeks with every kernel call wrapped in a timer.
"Python and the rest" is the week's wall time minus the kernels: parameter packing, per-firm rows,
Mesa's DataCollector, staff replacement. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from engines import SCENARIO, WARMUP_WEEKS

#: (module the engine looks it up in, function): the per-customer kernels and the staff step, in
#: the order of a week.
KERNELS = (
    ("loyaltysim.kernels.choice", "fill_convenience"),  # only in weeks a firm's offer changed
    ("loyaltysim.kernels.choice", "choose"),
    ("loyaltysim.kernels.experience", "live_week"),
    ("loyaltysim.kernels.experience", "survey"),
    ("loyaltysim.staff", "step_posts"),
)


def worker(customers: int, weeks: int) -> dict:
    """Time one model's weeks kernel by kernel in this process."""
    import importlib

    import numba

    from loyaltysim.model import LoyaltyModel

    model = LoyaltyModel(
        SCENARIO,
        engine="numba",
        overrides={
            "market.customers": customers,
            "market.weeks": weeks + WARMUP_WEEKS,
            "firms.supermarket.open": True,
        },
    )
    model.run(WARMUP_WEEKS)
    seconds = {name: 0.0 for _, name in KERNELS}

    def timed(name, call):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - start

        return wrapper

    for module_name, name in KERNELS:
        module = importlib.import_module(module_name)
        setattr(module, name, timed(name, getattr(module, name)))
    start = time.perf_counter()
    model.run(weeks)
    total = time.perf_counter() - start
    return {
        "customers": customers,
        "weeks": weeks,
        "threads": numba.get_num_threads(),
        "total_s": total,
        "kernels_s": seconds,
    }


def main() -> None:
    """Run the profile on one thread and on all of numba's threads; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=lambda s: int(float(s)), default=10**6)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.customers, args.weeks)))
        return
    runs = []
    for threads in ("1", None):
        env = dict(os.environ)
        if threads:
            env["NUMBA_NUM_THREADS"] = threads
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                "--customers",
                str(args.customers),
                "--weeks",
                str(args.weeks),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    n = args.customers
    print(
        f"scenario: {SCENARIO} (all firms open), {n:,} customers, {args.weeks} timed weeks "
        f"after {WARMUP_WEEKS} warm-up weeks\n"
    )
    header = " | ".join(f"{r['threads']} thread(s): ms/week | ns/customer" for r in runs)
    print(f"| part of the week | {header} |")
    print("|---|" + "---|---|" * len(runs))
    names = [name for _, name in KERNELS] + ["Python and the rest", "whole week"]
    for name in names:
        cells = []
        for r in runs:
            weeks = r["weeks"]
            if name == "whole week":
                s = r["total_s"]
            elif name == "Python and the rest":
                s = r["total_s"] - sum(r["kernels_s"].values())
            else:
                s = r["kernels_s"][name]
            cells.append(f"{s / weeks * 1e3:.2f} | {s / weeks / n * 1e9:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for r in runs:
        print(f"\n{r['threads']} thread(s): {n * r['weeks'] / r['total_s']:,.0f} customer-ticks/s")


if __name__ == "__main__":
    main()
