"""The UI rendering benchmark runs at a tiny size so it cannot rot; nothing asserts a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ui_render_benchmark_prints_a_timing_row():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ui_render.py"), "--customers", "80",
         "--weeks", "3", "--repeats", "2"], capture_output=True, text=True, check=True,
        timeout=300).stdout
    rows = [line for line in out.splitlines() if line.startswith("| 80 ")]
    assert len(rows) == 1, out
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    frame_ms, charts_ms, week_ms, mesa_ms = (float(c.split()[0]) for c in cells[1:5])
    assert frame_ms > 0 and charts_ms > 0 and week_ms > 0 and mesa_ms > 0
    assert float(cells[5]) > 0  # bytes sent per week were measured
    assert "model step (all columns)" in out
