"""Benchmarks run once at a tiny size so they cannot rot; nothing here asserts a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_prints_both_engines_with_a_ratio_and_memory():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "engines.py"), "--sizes", "300", "--weeks", "3",
         "--reference-up-to", "300", "--staff-at", "2000"], capture_output=True, text=True, check=True,
        timeout=900).stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("numba", "reference"):
            rows[cells[0]] = cells
    assert set(rows) == {"numba", "reference"}
    for cells in rows.values():
        assert cells[1] == "300"
        ticks_per_s = float(cells[5].replace(",", ""))
        ns_per_tick = float(cells[6])
        assert abs(ticks_per_s * ns_per_tick / 1e9 - 1) < 0.01  # the two columns agree
        assert float(cells[10].replace(",", "")) > 50  # array bytes per customer were counted
    assert rows["reference"][7].endswith("x")  # speed-up of numba over reference reported
    staff = [line for line in out.splitlines() if line.startswith("| Employee agents")]
    assert len(staff) == 1 and float(staff[0].split("|")[2]) > 0
    warm = [line for line in out.splitlines() if line.startswith("| warm cache")]
    assert len(warm) == 1 and float(warm[0].split("|")[2]) > 0
