"""Benchmark the social-network build: time, peak memory and bytes per customer.

Usage:  .venv/bin/python benchmarks/network_build.py [--customers 1e6 1e7] [--ties 6]
        [--far-share 0.1] [--repeat 3] [--reference] [--no-cache]

Each (engine, size) runs in a fresh subprocess: homes are drawn as the model draws them (uniform in
a 4 km town, float32, generated in slices so that drawing them leaves no memory peak behind), then the
network is built once "cold" (the first call in the process: numba loads its on-disk cache, or
compiles with ``--no-cache``) and ``--repeat`` times "warm" (best time is shown).

Memory, two ways:
- ``peak RSS +MiB``: the process's peak resident memory during a build minus its resident memory just
  before, read from Linux ``/proc/self/status`` (VmHWM - VmRSS) after resetting the peak with
  ``/proc/self/clear_refs``; warm builds, the largest of the repeats (``cold peak RSS`` is the
  same for the first call, so it includes loading or compiling the kernels). Includes everything (numba
  scratch, thread stacks). The worker runs with ``MALLOC_MMAP_THRESHOLD_=131072`` so freed arrays go
  back to the system and do not hide in the heap between builds.
- ``numpy peak MiB``: ``tracemalloc``'s peak over one warm build - the NumPy arrays allocated by the
  build (arrays allocated inside numba kernels are not seen; they are small per-chunk counters).
``B/cust`` columns divide by the number of customers; ``result B/cust`` is
``indptr.nbytes + indices.nbytes`` per customer. ``order s`` is the Morton ordering alone (warm).
``--reference`` adds the NumPy reference build for comparison (slow and memory-hungry at 1e7).
Nothing asserts a speed; quote only what this script prints.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

TOWN_KM = 4.0
SEED = 1
HEADER = (
    "| engine | customers | ties | cold s | cold peak RSS +MiB | warm s | order s | peak RSS +MiB "
    "| peak RSS B/cust | numpy peak MiB | numpy peak B/cust | result B/cust |"
)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _measured(build):
    """Run ``build()``; return (result, seconds, peak RSS increase in bytes)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before = _status_kib("VmRSS")
    t0 = time.perf_counter()
    result = build()
    seconds = time.perf_counter() - t0
    return result, seconds, (_status_kib("VmHWM") - before) * 1024


def _positions(n: int):
    import numpy as np

    from loyaltysim import rng
    from loyaltysim.rng import SETUP_TICK, Stream

    x, y = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)  # as make_population
    for lo in range(0, n, 1 << 20):
        ids = np.arange(lo, min(n, lo + (1 << 20)), dtype=np.int64)
        x[lo : lo + len(ids)] = rng.uniform(SEED, Stream.POSITION, SETUP_TICK, ids, 0) * TOWN_KM
        y[lo : lo + len(ids)] = rng.uniform(SEED, Stream.POSITION, SETUP_TICK, ids, 1) * TOWN_KM
    return x, y


def worker(engine: str, n: int, ties: int, far_share: float, repeat: int) -> dict:
    """Measure one (engine, size) in this process; returns the row as a dict."""
    from loyaltysim import network

    x, y = _positions(n)
    build_fn = network.build_network if engine == "numba" else network.build_network_reference

    def build():
        return build_fn(x, y, TOWN_KM, ties, far_share, SEED)

    net, cold, cold_peak = _measured(build)
    result_bytes = net.indptr.nbytes + net.indices.nbytes
    del net
    warm, peak = float("inf"), 0
    for _ in range(repeat):
        net, seconds, bytes_up = _measured(build)
        del net
        warm, peak = min(warm, seconds), max(peak, bytes_up)
    if engine == "numba":
        from loyaltysim.kernels.network import morton_order
    else:
        morton_order = network.morton_order
    t0 = time.perf_counter()
    morton_order(x, y, TOWN_KM)
    order = time.perf_counter() - t0
    gc.collect()
    tracemalloc.start()
    build()
    numpy_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "engine": engine,
        "customers": n,
        "ties": ties,
        "cold": cold,
        "cold_peak": cold_peak,
        "warm": warm,
        "order": order,
        "peak": peak,
        "numpy_peak": numpy_peak,
        "result_bytes": result_bytes,
    }


def _count(text: str) -> int:
    value = float(text)
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"a number of customers must be a whole number >= 1, got {text}")
    return int(value)


def main() -> None:
    """Measure each requested size in a fresh subprocess and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers",
        type=_count,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="town sizes, e.g. 1e6 1e7",
    )
    parser.add_argument("--ties", type=int, default=6)
    parser.add_argument("--far-share", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3, help="warm builds per size (best time shown)")
    parser.add_argument("--reference", action="store_true", help="also time the NumPy reference")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compile the kernels afresh (empty NUMBA_CACHE_DIR) so 'cold' includes JIT",
    )
    parser.add_argument("--worker", choices=["numba", "reference"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.customers[0], args.ties, args.far_share, args.repeat)))
        return
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    engines = ["numba", "reference"] if args.reference else ["numba"]
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        if args.no_cache:
            env["NUMBA_CACHE_DIR"] = cache
        for n in args.customers:
            for engine in engines:
                if args.no_cache:  # every size compiles afresh
                    shutil.rmtree(cache)
                    os.mkdir(cache)
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        engine,
                        "--customers",
                        str(n),
                        "--ties",
                        str(args.ties),
                        "--far-share",
                        str(args.far_share),
                        "--repeat",
                        str(args.repeat),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                ).stdout
                rows.append(json.loads(out.splitlines()[-1]))
    import numba

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} "
        f"threads), far share {args.far_share}, numba cache {'empty' if args.no_cache else 'as found'}"
    )
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    mib = 2.0**20
    for r in rows:
        n = r["customers"]
        print(
            f"| {r['engine']} | {n} | {r['ties']} | {r['cold']:.3g} | {r['cold_peak'] / mib:.1f} "
            f"| {r['warm']:.3g} | {r['order']:.3g} "
            f"| {r['peak'] / mib:.1f} | {r['peak'] / n:.1f} | {r['numpy_peak'] / mib:.1f} "
            f"| {r['numpy_peak'] / n:.1f} | {r['result_bytes'] / n:.1f} |"
        )


if __name__ == "__main__":
    main()
