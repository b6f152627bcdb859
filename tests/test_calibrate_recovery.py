"""Recovery: calibrate a shipped scenario against targets the model made at known coefficients.

The corner pharmacy's figures are simulated at a known failure rate, complaint propensity and
attachment gain (the targets), then the calibration searches the three, plus a fourth coefficient
that no target depends on (``behaviour.enps_promoter`` only moves the eNPS, which is not a
target). The test asserts that each of the three is identified and found within
:data:`TOLERANCE` of its range from the truth, and that the report flags the fourth as not
identified - honestly: the assertion is made on the identified ones only.

Small enough for CI (1,000 customers x 80 weeks, 64 trials on two workers: about a minute).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from loyaltysim.calibration.cli import calibrate
from loyaltysim.calibration.identify import identification
from loyaltysim.calibration.outputs import trials_table
from loyaltysim.simulate import simulate
from loyaltysim.validation.plausibility import WEEKLY_QUANTITIES

pytestmark = pytest.mark.slow

#: Largest distance from the truth, as a share of the searched range (log scale for a log
#: parameter), of an identified parameter's best value.
TOLERANCE = 0.15

FIXED = {"market.customers": 1000, "market.weeks": 80, "market.warmup_weeks": 30}
TRUTH = {
    "firms.pharmacy.process.base_failure_rate": 0.06,
    "customers.complaint_propensity.mean": 0.45,
    "behaviour.attachment_gain": 0.12,
}
RANGES = {
    "firms.pharmacy.process.base_failure_rate": (0.01, 0.1, False),
    "customers.complaint_propensity.mean": (0.2, 1.0, False),
    "behaviour.attachment_gain": (0.01, 0.3, True),
    "behaviour.enps_promoter": (0.7, 1.0, False),
}
WEEKS = (20, 80)


def _observed() -> dict[str, float]:
    """The targets, measured on the model at the truth (the scenario's own seed)."""
    weekly = simulate("corner_pharmacy", overrides={**FIXED, **TRUTH}).firm_weekly
    rows = weekly[(weekly["firm"] == "pharmacy") & weekly["week"].between(*WEEKS)]
    return {
        "problems_per_visit": WEEKLY_QUANTITIES["problems_per_visit"][2](rows),
        "complaint_share": WEEKLY_QUANTITIES["complaint_share"][2](rows),
        "loyalty_rate": float(rows["loyalty_rate"].mean()),
        "attachment_mean": float(rows["attachment_mean"].mean()),
    }


def _targets_file(folder: Path) -> Path:
    obs = _observed()
    lines = [
        'scenario = "corner_pharmacy"',
        "seed = 5",
        "trials = 64",
        "batch_size = 8",
        "startup_trials = 16",
        "[set]",
        *(f'"{k}" = {v}' for k, v in FIXED.items()),
    ]
    for key, (low, high, log) in RANGES.items():
        lines += [f'[parameters."{key}"]', f"low = {low}", f"high = {high}", f"log = {str(log).lower()}"]
    for name in ("problems_per_visit", "complaint_share"):
        lines += [
            f"[targets.{name}]",
            'kind = "metric"',
            f'quantity = "{name}"',
            f"weeks = [{WEEKS[0]}, {WEEKS[1]}]",
        ]
        lines += [f"observed = {obs[name]!r}", f"sd = {0.03 * obs[name]!r}"]
    for name in ("loyalty_rate", "attachment_mean"):
        lines += [
            f"[targets.{name}]",
            'kind = "metric"',
            f'metric = "{name}"',
            f"weeks = [{WEEKS[0]}, {WEEKS[1]}]",
        ]
        lines += [f"observed = {obs[name]!r}", f"sd = {0.03 * obs[name]!r}"]
    path = folder / "recovery.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _scaled_distance(value: float, truth: float, low: float, high: float, log: bool) -> float:
    if log:
        return abs(math.log(value) - math.log(truth)) / (math.log(high) - math.log(low))
    return abs(value - truth) / (high - low)


def test_recovery_of_known_coefficients(tmp_path: Path) -> None:
    run = calibrate(_targets_file(tmp_path), tmp_path / "out", workers=2)
    best = run.best
    assert best is not None
    found = {i.key: i for i in identification(trials_table(run).query("number >= 0"), RANGES, run.slices())}
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    # the coefficient no target depends on is flagged, in the report's own words
    assert not found["behaviour.enps_promoter"].identified
    assert "Not identified by these targets: `behaviour.enps_promoter`" in report
    for key, truth in TRUTH.items():
        low, high, log = RANGES[key]
        distance = _scaled_distance(best["params"][key], truth, low, high, log)
        assert found[key].identified, f"{key} not identified: near-best span {found[key].span:.2f}"
        assert distance <= TOLERANCE, (
            f"{key}: best {best['params'][key]:.4g}, truth {truth}, {distance:.2f} of the range"
        )
