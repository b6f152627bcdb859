"""The calibration benchmark runs once at a tiny size so it cannot rot; nothing here asserts a speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_calibration_benchmark_prints_throughput_and_overhead() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "calibration.py"),
            *("--trials", "4", "--parameters", "3", "--customers", "200", "--weeks", "20"),
            *(
                "--replications",
                "1",
                "--workers",
                "1",
                "--batch",
                "2",
                "--sampler-trials",
                "20",
                "--full-trials",
                "20",
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    ).stdout
    assert re.search(r"throughput: [\d.]+ trials/min, [\d.]+ runs/min", out), out
    assert re.search(r"overhead per trial .*: -?[\d.]+ s", out), out
    assert re.search(r"replay of the stored study .*: [\d.]+ s", out), out
    assert re.search(r"extrapolated to 20 trials: \d+ s", out), out
