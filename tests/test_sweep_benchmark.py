"""The sweep benchmark runs once at a tiny size so it cannot rot; nothing here asserts a speed."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import mesa

ROOT = Path(__file__).resolve().parents[1]


def test_sweep_benchmark_prints_throughput_rows_and_agreement():
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "sweep_throughput.py"),
            "--runs",
            "2",
            "--customers",
            "40",
            "--weeks",
            "3",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
        for line in out.splitlines()
        if line.startswith("| ") and "method" not in line
    }
    has_dask = importlib.util.find_spec("distributed") is not None
    has_batch_run = hasattr(mesa, "batch_run")
    expected = {"loyaltysim sweep, local pool", "dispatch probe: local pool, empty runs"}
    if has_dask:
        expected |= {"loyaltysim sweep, Dask LocalCluster", "dispatch probe: Dask LocalCluster, empty runs"}
    else:
        assert "skipped: Dask LocalCluster (pip install 'loyaltysim[cluster]')" in out
    if has_batch_run:
        expected.add("mesa.batch_run (multiprocessing)")
    else:
        assert "skipped: mesa.batch_run" in out
    assert set(rows) == expected
    for cells in rows.values():
        assert cells[1] == "2"
        assert float(cells[3].replace(",", "")) > 0  # runs per minute was measured
        assert cells[4] == "n/a" or float(cells[4]) > 0  # simulation seconds per run
    if has_dask and has_batch_run:
        assert "results identical across local pool, Dask and mesa.batch_run: yes" in out
    else:
        assert re.search(r"^results identical across local pool.*: yes$", out, re.M)
