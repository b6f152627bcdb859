"""Sensitivity analysis of Sobol and Morris sweeps: a parameter that drives the output is found,
one that cannot matter gets nothing; tables and index plots are written."""

from __future__ import annotations

import pandas as pd
import pytest
from sweep_helpers import write_experiment

from loyaltysim.sweep import load_experiment, load_results, run_sweep
from loyaltysim.sweep.analysis import analyze

# The supermarket never opens within 10 weeks, so its culture cannot change anything; the number
# of customers in town drives the pharmacy's customer base almost one for one.
SENSITIVITY = """
name = "sensitivity"
scenario = "corner_pharmacy"
[set]
"market.weeks" = 10
[design]
kind = "{kind}"
samples = {samples}
seed = 3
[parameters]
"market.customers" = {{ distribution = "uniform", low = 60, high = 240 }}
"firms.supermarket.culture.trust" = {{ distribution = "uniform", low = 0, high = 1 }}
[outputs]
metrics = ["customer_base", "purchases"]
final_weeks = 3
"""


@pytest.mark.parametrize(("kind", "samples", "runs"), [("sobol", 8, 8 * 4), ("morris", 6, 6 * 3)])
def test_indices_find_the_parameter_that_matters(tmp_path, kind, samples, runs):
    exp = write_experiment(tmp_path, SENSITIVITY.format(kind=kind, samples=samples), "s.toml")
    out = tmp_path / "out"
    report = run_sweep(load_experiment(exp), out, workers=2, progress=False)
    assert report.total == runs and report.complete
    written = analyze(out)
    sens = pd.read_csv(out / "analysis" / "sensitivity.csv")
    assert out / "analysis" / "sensitivity.csv" in written
    assert (out / "analysis" / "indices_pharmacy_final.png").read_bytes()[:4] == b"\x89PNG"
    base = sens[sens["metric"] == "customer_base"].set_index("parameter")
    customers, trust = base.loc["market.customers"], base.loc["firms.supermarket.culture.trust"]
    if kind == "sobol":
        # N = 8 is a rough estimate of the true S1 = ST = 1; the inert parameter is exactly 0
        assert customers["ST"] > 0.3 and customers["S1"] > 0.3
        assert trust["ST"] == pytest.approx(0, abs=1e-9)
        assert trust["S1"] == pytest.approx(0, abs=1e-9)
    else:
        assert customers["mu_star"] > 1  # elementary effect per unit of the normalised range
        assert trust["mu_star"] == pytest.approx(0, abs=1e-9)
    # the indices were computed from the per-point means in design order
    results = load_results(out)
    assert results["point"].nunique() == runs
    markdown = (out / "analysis" / "summary.md").read_text()
    assert f"## Sensitivity indices ({kind}, SALib)" in markdown
