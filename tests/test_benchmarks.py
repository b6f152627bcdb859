"""Benchmarks run once at a tiny size so they cannot rot; nothing here asserts a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reference_benchmark_prints_a_throughput_row():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reference_engine.py"), "--customers", "60",
         "--weeks", "4"], capture_output=True, text=True, check=True, timeout=120).stdout
    row = [line for line in out.splitlines() if line.startswith("| reference")]
    assert len(row) == 1
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    assert cells[2:4] == ["60", "4"]
    assert float(cells[6].replace(",", "")) > 0  # customer-ticks per second was measured
