"""Benchmark the engines: customer-ticks per second, memory per customer, numba compile time.

Usage (one command, prints Markdown tables; see benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/engines.py                      # 1e3 .. 1e7 customers, 52 weeks
    .venv/bin/python benchmarks/engines.py --sizes 1e3 1e4 --weeks 10      # quick look
    .venv/bin/python benchmarks/engines.py --sizes 1e7 --weeks 520 --no-compile   # the long run

Every size runs in a fresh subprocess, so peak resident memory (Linux ``VmHWM``) belongs to that
size alone. Each run builds the model, runs :data:`WARMUP_WEEKS` warm-up weeks (compilation or
cache loading, excluded: enough for a mid-sized town to load both the serial and the parallel
twin of every kernel and time each once, see ``loyaltysim.engines.twins``), then times
``--weeks`` weeks. The reference engine runs at sizes up to ``--reference-up-to`` in the same
invocation, on the same scenario and seed, and the table gives
the ratio of per-customer-tick times. Compile times come from two extra subprocesses sharing a
fresh ``NUMBA_CACHE_DIR``: the first compiles every kernel (cold), the second loads them (warm);
each times ``import loyaltysim`` + building a tiny model + its first week.

Nothing here asserts a speed: the numbers are measurements of this machine at this moment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

SCENARIO = "pharmacy_vs_brand"

#: Weeks run before timing: week 1 loads the serial twins, 2 times them, 3 loads the parallel twins,
#: 4 times them (towns where the engine chooses between the two; elsewhere one week would do).
WARMUP_WEEKS = 4


def _rss_kib(field: str) -> int:
    """A memory field of this process from /proc/self/status, in KiB (Linux only)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def worker(engine: str, customers: int, weeks: int, scenario: str) -> dict:
    """Build and run one model in this process; return its measurements."""
    import numba

    from loyaltysim.model import LoyaltyModel

    baseline = _rss_kib("VmRSS")
    t0 = time.perf_counter()
    model = LoyaltyModel(
        scenario,
        engine=engine,
        overrides={
            "market.customers": customers,
            "market.weeks": weeks + WARMUP_WEEKS,
            # The shock happens at the start, so all firms are open while we time.
            "firms.supermarket.open": True,
        },
    )
    t1 = time.perf_counter()
    model.run(WARMUP_WEEKS)  # loads (or compiles) the kernels, first allocations
    t2 = time.perf_counter()
    model.run(weeks)
    t3 = time.perf_counter()
    peak = _rss_kib("VmHWM")
    arrays = sum(a.nbytes for a in model.population.values())
    arrays += model.state.nbytes + model.base_ring.rows.nbytes
    arrays += model.network.indptr.nbytes + model.network.indices.nbytes
    engine_obj = model.engine
    arrays += sum(
        getattr(engine_obj, name).nbytes
        for name in vars(engine_obj)
        if hasattr(getattr(engine_obj, name), "nbytes")
    )
    return {
        "engine": engine,
        "customers": customers,
        "weeks": weeks,
        "threads": numba.get_num_threads() if engine == "numba" else 1,
        "build_s": t1 - t0,
        "warmup_s": t2 - t1,
        "run_s": t3 - t2,
        "ticks_per_s": customers * weeks / (t3 - t2),
        "peak_rss_mib": peak / 1024,
        "bytes_per_customer": (peak - baseline) * 1024 / customers,
        "array_bytes_per_customer": arrays / customers,
    }


def staff_phase(customers: int, weeks: int = 5) -> dict:
    """Seconds per week of the staff phase (phase 6) two ways on one model: Mesa ``Employee``
    agents stepped one by one in Python (the reference engine's way) and the compiled array step
    the numba engine uses - the measurement behind keeping staff as arrays."""
    from loyaltysim.agents import Employee
    from loyaltysim.model import LoyaltyModel

    model = LoyaltyModel(
        SCENARIO, engine="numba", overrides={"market.customers": customers, "firms.supermarket.open": True}
    )
    model.run(2)
    employees = model.agents_by_type[Employee]
    t0 = time.perf_counter()
    for _ in range(weeks):
        employees.do("step")
        employees.do("advance")
    t1 = time.perf_counter()
    for _ in range(weeks):
        model.engine.staff_week()
    t2 = time.perf_counter()
    return {
        "customers": customers,
        "employees": len(employees),
        "agents_ms": (t1 - t0) / weeks * 1e3,
        "arrays_ms": (t2 - t1) / weeks * 1e3,
    }


def startup(cache_dir: str) -> float:
    """Seconds for ``import loyaltysim`` + a tiny model + its first week, in a new process."""
    code = (
        "import time; t = time.perf_counter(); from loyaltysim.model import LoyaltyModel; "
        "m = LoyaltyModel('pharmacy_vs_brand', overrides={'market.customers': 100}); m.step(); "
        "print(time.perf_counter() - t)"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def _spawn(engine: str, customers: int, weeks: int, scenario: str) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            engine,
            "--sizes",
            str(customers),
            "--weeks",
            str(weeks),
            "--scenario",
            scenario,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _machine() -> str:
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, python {platform.python_version()}, "
        f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)"
    )


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=lambda s: int(float(s)),
        default=[10**3, 10**4, 10**5, 10**6, 10**7],
        help="customer counts",
    )
    parser.add_argument("--weeks", type=int, default=52, help="timed weeks per run (default 52)")
    parser.add_argument(
        "--reference-up-to",
        type=lambda s: int(float(s)),
        default=10**4,
        help="also run the reference engine at sizes up to this (default 1e4)",
    )
    parser.add_argument("--scenario", default=SCENARIO)
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time runs")
    parser.add_argument(
        "--staff-at",
        type=lambda s: int(float(s)),
        default=10**6,
        help="customers of the staff-phase comparison (default 1e6; 0 skips it)",
    )
    parser.add_argument("--worker", choices=["numba", "reference"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sizes[0], args.weeks, args.scenario)))
        return
    print(f"machine: {_machine()}")
    print(
        f"scenario: {args.scenario} (all firms open), {args.weeks} timed weeks after "
        f"{WARMUP_WEEKS} warm-up weeks\n"
    )
    print(
        "| engine | customers | threads | build s | run s | customer-ticks/s | ns per "
        "customer-tick | numba speed-up over it | peak RSS MiB | RSS bytes/customer | array "
        "bytes/customer |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        rows = [_spawn("numba", n, args.weeks, args.scenario)]
        if n <= args.reference_up_to:
            rows.append(_spawn("reference", n, args.weeks, args.scenario))
        fast = rows[0]["ticks_per_s"]
        for r in rows:
            ratio = f"{fast / r['ticks_per_s']:,.0f}x" if r["engine"] == "reference" else "-"
            print(
                f"| {r['engine']} | {r['customers']:,} | {r['threads']} | {r['build_s']:.2f} "
                f"| {r['run_s']:.2f} | {r['ticks_per_s']:,.0f} | {1e9 / r['ticks_per_s']:.1f} "
                f"| {ratio} | {r['peak_rss_mib']:,.0f} | {r['bytes_per_customer']:,.0f} "
                f"| {r['array_bytes_per_customer']:,.0f} |",
                flush=True,
            )
    if args.staff_at:
        staff = staff_phase(args.staff_at)
        print(
            f"\n| staff phase at {staff['customers']:,} customers ({staff['employees']:,} "
            "employees) | ms per week |\n|---|---|"
        )
        print(f"| Employee agents stepped in Python | {staff['agents_ms']:.1f} |")
        print(f"| compiled array step (numba engine) | {staff['arrays_ms']:.2f} |")
    if not args.no_compile:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = startup(cache), startup(cache)
        print("\n| numba start-up (import + tiny model + first week) | seconds |\n|---|---|")
        print(f"| empty cache (compiles every kernel) | {cold:.2f} |")
        print(f"| warm cache | {warm:.2f} |")


if __name__ == "__main__":
    main()
