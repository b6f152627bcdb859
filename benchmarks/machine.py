"""What this machine gives a numba kernel: compute, streaming bandwidth and memory latency, on one
thread and on all of them. Run it beside ``engines.py`` so that results from different machines
(or from one VM on different hosts) can be compared: the engine's customer-ticks per second move
with these, not only with the code.

Usage (prints a Markdown table; see benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/machine.py
    .venv/bin/python benchmarks/machine.py --repeats 9

Each figure is the best of ``--repeats`` timings (the least disturbed by neighbours on a shared
host). Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba
import numpy as np
from numba import njit, prange

#: Multiply-adds per element of the compute loop: long enough that memory does not matter.
COMPUTE_STEPS = 200
MB = 1024 * 1024
CHASE_HOPS = 4_000_000


@njit(parallel=True, cache=True)
def _compute(n: int) -> float:
    total = 0.0
    for i in prange(n):
        x = i * 1e-9
        for _ in range(COMPUTE_STEPS):
            x = x * 1.0000001 + 1e-9
        total += x
    return total


@njit(parallel=True, cache=True)
def _stream(a: np.ndarray, b: np.ndarray) -> None:
    for i in prange(a.size):
        b[i] = a[i] * 1.0001 + 1.0


@njit(parallel=True, cache=True)
def _chase(next_slot: np.ndarray, starts: np.ndarray, hops: int) -> int:
    # one independent chain per thread: each hop waits for the last (latency, not bandwidth)
    total = 0
    for t in prange(starts.size):
        slot = starts[t]
        for _ in range(hops):
            slot = next_slot[slot]
        total += slot
    return total


def _best(fn, repeats: int) -> float:
    fn()  # compile or warm
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--size-mb", type=int, default=305, help="each streaming array (float64, one read, one written), MiB"
    )
    parser.add_argument("--chase-mb", type=int, default=256, help="the pointer chase's int64 slots, MiB")
    parser.add_argument("--hops", type=int, default=CHASE_HOPS, help="pointer-chase hops a thread")
    args = parser.parse_args()
    stream_elements = args.size_mb * MB // 8
    chase_slots = args.chase_mb * MB // 8  # far larger than any cache here at the default

    threads = numba.config.NUMBA_NUM_THREADS
    rng = np.random.default_rng(0)
    a = np.ones(stream_elements)
    b = np.empty_like(a)
    # a single random cycle through every slot, so no chain falls into a short loop
    order = rng.permutation(chase_slots)
    next_slot = np.empty(chase_slots, dtype=np.int64)
    next_slot[order] = np.roll(order, -1)

    rows = []
    for t in sorted({1, threads}):
        numba.set_num_threads(t)
        n = 1_000_000 * t
        compute = _best(lambda n=n: _compute(n), args.repeats)
        stream = _best(lambda: _stream(a, b), args.repeats)
        starts = order[:: chase_slots // t][:t].copy()
        chase = _best(lambda starts=starts: _chase(next_slot, starts, args.hops), args.repeats)
        rows.append(
            (
                t,
                n * COMPUTE_STEPS / compute / 1e9,
                2 * a.nbytes / stream / 1e9,
                chase / args.hops * 1e9,
            )
        )

    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, numba {numba.__version__}")
    print(f"best of {args.repeats}\n")
    print("| threads | compute: G multiply-adds/s | streaming: GB/s | memory latency: ns a hop |")
    print("|---|---|---|---|")
    for t, gflops, gbs, ns in rows:
        print(f"| {t} | {gflops:.2f} | {gbs:.1f} | {ns:.0f} |")
    if len(rows) == 2:
        (_, c1, s1, _), (t2, c2, s2, _) = rows
        print(f"\n{t2} threads over 1: compute {c2 / c1:.2f}x, streaming {s2 / s1:.2f}x")


if __name__ == "__main__":
    main()
