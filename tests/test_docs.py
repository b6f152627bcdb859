"""The README documents every metric and every shipped scenario, and its quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from loyaltysim.metrics import FIRM_METRICS
from loyaltysim.scenario import shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_metric_is_defined_in_the_readme():
    missing = [name for name in FIRM_METRICS if f"`{name}`" not in README]
    assert not missing, f"metrics without a README definition: {missing}"


def test_every_shipped_scenario_is_described_in_the_readme():
    missing = [name for name in shipped_scenarios() if f"`{name}`" not in README]
    assert not missing, f"scenarios missing from the README: {missing}"


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
