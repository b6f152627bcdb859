"""Benchmark the reference engine: customer-ticks per second and peak memory.

Usage:  .venv/bin/python benchmarks/reference_engine.py [--customers 2000] [--weeks 520]
        [--scenario pharmacy_vs_brand]

Prints one table row: build time, run time, customer-ticks per second and peak resident memory.
Nothing here asserts a speed; quote only what this script prints (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

from loyaltysim.model import LoyaltyModel


def main() -> None:
    """Build and run one model, then print its throughput."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--scenario", default="pharmacy_vs_brand")
    args = parser.parse_args()
    t0 = time.perf_counter()
    model = LoyaltyModel(args.scenario, overrides={"market.customers": args.customers,
                                                   "market.weeks": args.weeks})
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ticks = args.customers * args.weeks
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}")
    print("| engine | scenario | customers | weeks | build s | run s | customer-ticks/s "
          "| peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| reference | {args.scenario} | {args.customers} | {args.weeks} | {t1 - t0:.2f} "
          f"| {t2 - t1:.1f} | {ticks / (t2 - t1):,.0f} | {peak_mib:.0f} |")


if __name__ == "__main__":
    main()
