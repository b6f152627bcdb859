"""A/B the experience kernel: one captured week timed with the kernel of several source trees,
interleaved, and whether each leaves the same state.

Usage (prints a Markdown table; see benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/kernel_ab.py /path/to/other/tree            # 1e6 customers
    .venv/bin/python benchmarks/kernel_ab.py --customers 1e5 --rounds 3 TREE [TREE ...]

Why: on a shared VM, timing two versions one after the other mixes the change up with the
machine's drift (10-50 % here). This captures one week's arguments of ``live_week`` from this
tree's model (``engines.SCENARIO``, every firm open, the market's warm-up, then
``engines.WARMUP_WEEKS`` weeks), then in every round times each tree's kernel ``--repeats`` times on
that same week, tree after tree, so drift hits them alike. A tree is any directory holding the
whole ``loyaltysim`` package (a git worktree, or a copy of the package with one part of the kernel
changed or removed: how RESULTS.md finds what a part of the week costs). Each tree runs in its own
subprocess with ``PYTHONPATH`` set to it, so each keeps its own numba cache. "same" compares
every array the kernel writes with this tree's: a change that should not move a number must say
yes. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engines import SCENARIO, WARMUP_WEEKS

HERE = Path(__file__).resolve().parent
UNTIMED = 3  # calls per subprocess before the timed ones
ROOT = HERE.parent


def _arrays(value, found: list) -> list:
    """The writable NumPy arrays inside ``value`` (nested tuples), in order."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            found.append(value)
    elif isinstance(value, tuple):
        for item in value:
            _arrays(item, found)
    return found


def capture(customers: int, path: Path) -> None:
    """Run this tree's model to the week after the warm-up and pickle that week's arguments."""
    import loyaltysim.kernels.experience as ex
    from loyaltysim.model import LoyaltyModel

    model = LoyaltyModel(
        SCENARIO,
        engine="numba",
        overrides={"market.customers": customers, "market.weeks": 20, "firms.supermarket.open": True},
    )
    model.run(WARMUP_WEEKS)
    live_week, seen = ex.live_week, {}

    def keep(*args, **kwargs):
        seen["args"] = pickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        return live_week(*args, **kwargs)

    ex.live_week = keep
    model.run(1)
    path.write_bytes(seen["args"])


def time_kernel(path: Path, repeats: int) -> dict:
    """Time this tree's ``live_week`` on the captured week ``repeats`` times (state restored
    before each); return the times and a digest of the arrays it wrote the first time."""
    import numpy as np

    import loyaltysim.kernels.experience as ex

    args, kwargs = pickle.loads(path.read_bytes())
    arrays = _arrays(args, [])
    start = [a.copy() for a in arrays]
    times, digest = [], None
    # The first calls load the kernel and settle the process (the first two after loading took
    # 40 % longer than the rest at 1e6): not timed.
    for r in range(UNTIMED + repeats):
        for a, s in zip(arrays, start, strict=True):
            np.copyto(a, s)
        t0 = time.perf_counter()
        ex.live_week(*args, **kwargs)
        elapsed = time.perf_counter() - t0
        if r == 0:
            digest = hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()
        elif r >= UNTIMED:
            times.append(elapsed)
    return {"times": times, "digest": digest}


def _spawn(tree: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run(
        [sys.executable, str(HERE / "kernel_ab.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main() -> None:
    """Capture, time every tree round by round, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="other source trees to compare")
    parser.add_argument("--customers", type=lambda s: int(float(s)), default=10**6)
    parser.add_argument("--rounds", type=int, default=5, help="rounds over the trees (default 5)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per tree per round")
    parser.add_argument("--capture", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--time", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.capture:
        capture(args.customers, args.capture)
        return
    if args.time:
        print(json.dumps(time_kernel(args.time, args.repeats)))
        return
    trees = [ROOT, *(t.resolve() for t in args.trees)]
    for tree in trees[1:]:
        if not (tree / "loyaltysim" / "__init__.py").is_file():
            parser.error(f"{tree} holds no loyaltysim package (loyaltysim/__init__.py)")
    with tempfile.TemporaryDirectory() as tmp:
        week = Path(tmp) / "week.pickle"
        _spawn(ROOT, "--capture", str(week), "--customers", str(args.customers))
        runs: dict[Path, list[dict]] = {tree: [] for tree in trees}
        for _ in range(args.rounds):
            for tree in trees:
                out = _spawn(tree, "--time", str(week), "--repeats", str(args.repeats))
                runs[tree].append(json.loads(out.strip().splitlines()[-1]))
    print(
        f"scenario: {SCENARIO} (all firms open), {args.customers:,} customers, one week after the "
        f"warm-up; {args.rounds} rounds x {args.repeats} calls per tree\n"
    )
    print("| tree | min ms | median ms | same state as this tree |")
    print("|---|---|---|---|")
    mine = runs[ROOT][0]["digest"]
    for tree in trees:
        times = [t * 1e3 for run in runs[tree] for t in run["times"]]
        same = all(run["digest"] == mine for run in runs[tree])
        label = "this tree" if tree == ROOT else str(tree)
        print(f"| {label} | {min(times):.2f} | {statistics.median(times):.2f} | {'yes' if same else 'no'} |")


if __name__ == "__main__":
    main()
