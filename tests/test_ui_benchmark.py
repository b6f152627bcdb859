"""The UI play benchmark runs at a tiny size so it cannot rot; nothing asserts a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ui_render_benchmark_prints_a_row_per_speed():
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "ui_render.py"),
            "--customers",
            "80",
            "--seconds",
            "1",
            "--speeds",
            "5",
            "0",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
        for line in out.splitlines()
        if line.startswith("| 5 weeks/s") or line.startswith("| fastest")
    }
    assert set(rows) == {"5 weeks/s", "fastest"}, out
    for cells in rows.values():
        weeks_shown, draws, kib, maps, kib_whole = (float(cells[i].split()[0]) for i in (1, 2, 4, 5, 6))
        assert weeks_shown > 0 and draws > 0 and 0 < maps < kib < kib_whole
        assert cells[8] == "0"  # the clock did not move after pause
    assert "model step (all columns" in out
