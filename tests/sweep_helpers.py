"""Shared helpers of the sweep tests: tiny experiments (150 customers, 30 weeks) and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

SMALL_SET = """
[set]
"market.customers" = 150
"market.weeks" = 30
"""

# 6 points x 2 replications = 12 runs; the opening moved to week 15 so derived outputs exist.
GRID = (
    """
name = "tiny_grid"
scenario = "early_opening.toml"
replications = 2
seed = 5
"""
    + SMALL_SET
    + """
[parameters."firms.pharmacy.culture.trust"]
values = [0.1, 0.5, 0.9]
[parameters."firms.pharmacy.culture.empowerment.frontline"]
values = [0, 250]
[outputs]
metrics = ["loyalty_rate", "customer_base", "recovery_rate"]
final_weeks = 5
weekly = true
[[outputs.windows]]
name = "early"
first = 1
last = 10
[[outputs.derived]]
name = "lost"
kind = "customers_lost"
weeks = 10
"""
)

EARLY_OPENING = """
extends = "pharmacy_vs_brand"
[[events]]
week = 15
label = "Supermarket opens early"
set = { "firms.supermarket.open" = true }
"""


def write_experiment(folder: Path, body: str = GRID, name: str = "tiny_grid.toml") -> Path:
    """Write an experiment (and the early-opening scenario it may use) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "early_opening.toml").write_text(EARLY_OPENING, encoding="utf-8")
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def cli(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``python -m loyaltysim ARGS`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "loyaltysim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_files(out: Path) -> dict[str, tuple[int, int]]:
    """Finished run files: name -> (inode, mtime in ns); a rewritten file changes both."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted((out / "runs").glob("*.parquet"))}


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """A results table in a fixed row order, for order-independent comparison."""
    keys = [c for c in ("point", "replication", "firm", "window", "week", "metric") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def tagged_processes(tag: str) -> dict[int, bytes]:
    """Live processes whose environment holds ``tag`` (pid -> command line), from /proc. A tag
    set in a sweep's environment finds its workers even after they were re-parented to init."""
    found = {}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if tag.encode() in environ.read_bytes():
                found[int(environ.parent.name)] = (environ.parent / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours
            continue
    return found
