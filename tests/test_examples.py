"""The notebooks in examples/ run top to bottom (nbclient) and show what they say; the EMA
Workbench example's outcomes equal `loyaltysim sweep`'s for the same points and seeds."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: Notebook -> the modules (extras) it needs.
NOTEBOOKS = {
    "first_run.ipynb": (),
    "compare_scenarios.ipynb": (),
    "ui_inline.ipynb": ("solara",),
    "ema_workbench.ipynb": ("ema_workbench",),
    "clv_fit.ipynb": ("pymc_marketing",),
}


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def execute(name: str):
    """Run a notebook in a fresh kernel of this interpreter, from examples/; errors fail the test."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()
    return nb


def _outputs(cell) -> list[dict]:
    return list(cell.get("outputs", []))


def _mime(nb, kind: str) -> int:
    return sum(kind in out.get("data", {}) for cell in nb.cells for out in _outputs(cell))


def test_every_notebook_in_examples_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebooks_are_committed_without_outputs(name):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    assert all(
        not _outputs(c) and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs(name):
    missing = _missing(NOTEBOOKS[name])
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (an extra: pip install 'loyaltysim[all]')")
    nb = execute(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    errors = [o for c in code for o in _outputs(c) if o.get("output_type") == "error"]
    assert not errors
    if name in ("first_run.ipynb", "compare_scenarios.ipynb", "clv_fit.ipynb"):
        assert _mime(nb, "image/png") >= 1  # the plots were drawn
    if name == "ui_inline.ipynb":  # the UI page and Mesa's SolaraViz rendered as widgets
        assert _mime(nb, "application/vnd.jupyter.widget-view+json") >= 2
    if name in ("compare_scenarios.ipynb", "ema_workbench.ipynb", "clv_fit.ipynb"):
        assert _mime(nb, "text/html") >= 2  # the result tables


EMA_EXPERIMENT = """\
name = "ema_points"
scenario = "corner_pharmacy"
replications = 2
seed = 1
[set]
"market.customers" = 300
"market.weeks" = 130
"firms.pharmacy.culture.empathy" = 0.5
[parameters."firms.pharmacy.culture.trust"]
values = [0.2, 0.8]
[parameters."firms.pharmacy.culture.empowerment.frontline"]
values = [0.0, 150.0]
[outputs]
firms = ["focus"]
metrics = ["customer_base", "loyalty_rate"]
final_weeks = 13
[[outputs.derived]]
name = "kept_share"
kind = "kept_share"
weeks = 26
[[outputs.derived]]
name = "customers_lost"
kind = "customers_lost"
weeks = 26
"""


@pytest.mark.slow
def test_ema_example_outcomes_equal_the_sweeps_for_the_same_points(tmp_path, monkeypatch):
    pytest.importorskip("ema_workbench")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import ema_loyalty
    from ema_workbench import Sample, perform_experiments

    from loyaltysim.sweep import load_results

    (tmp_path / "ema_points.toml").write_text(EMA_EXPERIMENT, encoding="utf-8")
    sweep = subprocess.run(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "sweep",
            "ema_points.toml",
            "--out",
            "sweep",
            "--workers",
            "1",
            "--quiet",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert sweep.returncode == 0, sweep.stderr
    swept = load_results(tmp_path / "sweep")

    points = [(trust, limit) for trust in (0.2, 0.8) for limit in (0.0, 150.0)]
    model = ema_loyalty.make_model(replications=2, seed=1)
    experiments, outcomes = perform_experiments(
        model, scenarios=[Sample(trust=t, frontline_limit=f, empathy=0.5) for t, f in points]
    )
    assert outcomes["kept_share"].shape == (4, 2)
    for row, (trust, limit) in enumerate(points):
        assert experiments.loc[row, "trust"] == trust
        at = swept[
            (swept["firms.pharmacy.culture.trust"] == trust)
            & (swept["firms.pharmacy.culture.empowerment.frontline"] == limit)
        ]
        for rep, seed in enumerate((1, 2)):
            run = at[at["seed"] == seed]
            derived = run[run["window"] == "derived"].set_index("metric")["value"]
            final = run[run["window"] == "final"].set_index("metric")["value"]
            assert outcomes["kept_share"][row, rep] == derived["kept_share"]
            assert outcomes["customers_lost"][row, rep] == derived["customers_lost"]
            assert outcomes["loyalty_rate"][row, rep] == final["loyalty_rate"]
    assert np.unique(outcomes["kept_share"]).size == 8  # points and seeds differ
