"""The README's worked example ("Calibrating to your own figures") runs as written, at a small size:
its two commands, read from the README, on a copy of ``examples/calibration`` (3 trials)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loyaltysim.scenario import load_scenario

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Calibrating to your own figures", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("loyaltysim ")]


def test_the_worked_example_runs(tmp_path: Path) -> None:
    commands = _readme_commands()
    assert [c.split()[1] for c in commands] == ["calibrate", "compare"]
    example = tmp_path / "examples" / "calibration"
    shutil.copytree(ROOT / "examples" / "calibration", example, ignore=shutil.ignore_patterns("calibrated"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        args = command.split()[1:]
        if args[0] == "calibrate":
            args += ["--trials", "3", "--quiet"]
        done = subprocess.run(
            [sys.executable, "-m", "loyaltysim", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    out = example / "calibrated"
    for name in ("best.toml", "trials.parquet", "report.md", "csv_store.png", "progress.png"):
        assert (out / name).is_file(), name
    calibrated = load_scenario(example / "my_pharmacy.toml")
    assert calibrated.market.customers == 2000
    import tomllib

    best = tomllib.loads((out / "best.toml").read_text(encoding="utf-8"))
    assert calibrated.behaviour.attachment_gain == best["behaviour"]["attachment_gain"]
    assert (tmp_path / "report" / "my_pharmacy" / "report.html").is_file()
