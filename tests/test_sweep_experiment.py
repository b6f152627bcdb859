"""Experiment files: validation messages, designs, and the outputs kept from a run."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_helpers import GRID, SMALL_SET, write_experiment

from loyaltysim.simulate import simulate
from loyaltysim.sweep import ExperimentError, load_experiment
from loyaltysim.sweep.design import make_design
from loyaltysim.sweep.experiment import Experiment, Outputs, experiments_dir
from loyaltysim.sweep.outputs import compute_outputs


def load_text(tmp_path, body: str):
    return load_experiment(write_experiment(tmp_path, body, "exp.toml"))


def error_of(tmp_path, body: str) -> str:
    with pytest.raises(ExperimentError) as info:
        load_text(tmp_path, body)
    return str(info.value)


# --------------------------------------------------------------------------------------------------
# Shipped experiments


def test_shipped_experiments_load_with_the_designs_they_promise():
    names = sorted(p.stem for p in experiments_dir().glob("*.toml"))
    assert {"empowerment_x_trust", "training_x_staffing", "culture_sobol"} <= set(names)
    sizes = {}
    for name in names:
        loaded = load_experiment(name)
        sizes[name] = (loaded.experiment.design.kind, len(make_design(loaded.experiment)))
    assert sizes["empowerment_x_trust"] == ("grid", 25)
    assert sizes["training_x_staffing"] == ("grid", 25)
    # Saltelli design without second order: N x (D + 2) = 64 x (9 + 2)
    assert sizes["culture_sobol"] == ("sobol", 704)
    sobol = load_experiment("culture_sobol")
    assert sobol.base.name == "pharmacy_vs_brand"
    assert all(k.startswith("firms.pharmacy.culture.") for k in sobol.experiment.parameters)


def test_grid_ranges_are_evenly_spaced_and_readable():
    loaded = load_experiment("empowerment_x_trust")
    trust = sorted({p["firms.pharmacy.culture.trust"] for p in make_design(loaded.experiment).points})
    assert trust == [0.1, 0.3, 0.5, 0.7, 0.9]


# --------------------------------------------------------------------------------------------------
# Errors name the file, the key path and what is allowed


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = error_of(tmp_path, GRID + '\n[design]\nknd = "grid"\n')
    assert "exp.toml" in message
    assert "design.knd" in message and "did you mean 'kind'" in message


def test_unknown_scenario_key_in_parameters_is_named(tmp_path):
    body = GRID.replace('"firms.pharmacy.culture.trust"', '"firms.pharmacy.culture.trsut"')
    message = error_of(tmp_path, body)
    assert "firms.pharmacy.culture.trsut" in message and "did you mean 'trust'" in message


def test_value_outside_the_scenario_range_is_refused_with_the_range(tmp_path):
    body = GRID.replace("values = [0.1, 0.5, 0.9]", "values = [0.1, 1.5]")
    message = error_of(tmp_path, body)
    assert "exp.toml" in message and "firms.pharmacy.culture.trust" in message
    assert "1.5" in message and "from 0 to 1" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                '[parameters."firms.pharmacy.culture.trust"]\nvalues = [0.1, 0.5, 0.9]',
                '[parameters."firms.pharmacy.culture.trust"]\ndistribution = "uniform"\nlow = 0\nhigh = 1',
            ),
            "a grid design needs values or start/stop/steps",
        ),
        (("values = [0.1, 0.5, 0.9]", "start = 0.1\nstop = 0.9"), "a range in a grid design needs steps"),
        (
            ("values = [0.1, 0.5, 0.9]", "values = [0.1]\nstart = 0.1\nstop = 0.2\nsteps = 2"),
            "give exactly one of",
        ),
        (('"recovery_rate"]', '"recovery_rat"]'), "did you mean 'recovery_rate'"),
        (('name = "lost"', 'name = "early"'), "repeated: early"),
        (("first = 1\nlast = 10", "first = 10\nlast = 1"), "last (1) is before first (10)"),
        (("replications = 2", "replications = 0"), "replications = 0 is not allowed"),
    ],
)
def test_invalid_experiments_explain_what_is_allowed(tmp_path, change, expected):
    old, new = change
    assert old in GRID
    assert expected in error_of(tmp_path, GRID.replace(old, new))


def test_a_sweep_can_vary_when_an_event_happens(tmp_path):
    """``events.0.week`` is a parameter like any other: whole-number weeks, checked against the
    event's range, and each run's rival opens in its own week."""
    body = (
        'name = "opening_week"\nscenario = "pharmacy_vs_brand"\n'
        + SMALL_SET
        + '[parameters."events.0.week"]\nvalues = [4, 12]\n'
    )
    loaded = load_text(tmp_path, body)
    points = make_design(loaded.experiment).points
    assert [p["events.0.week"] for p in points] == [4, 12]
    for point in points:
        result = simulate(loaded.base, overrides=point, seed=3)
        assert [week for week, _ in result.events] == [point["events.0.week"]]
    assert "from 1 to 5200" in error_of(tmp_path, body.replace("[4, 12]", "[4, 9000]"))


def test_sobol_needs_a_power_of_two(tmp_path):
    body = (
        'scenario = "corner_pharmacy"\n'
        + SMALL_SET
        + """
[design]
kind = "sobol"
samples = 12
[parameters]
"firms.pharmacy.culture.trust" = { distribution = "uniform", low = 0, high = 1 }
"""
    )
    message = error_of(tmp_path, body)
    assert "power of 2" in message and "try 8" in message


def test_a_key_cannot_be_both_fixed_and_varied(tmp_path):
    body = GRID.replace('"market.weeks" = 30', '"market.weeks" = 30\n"firms.pharmacy.culture.trust" = 0.3')
    assert "both varied" in error_of(tmp_path, body)


def test_unknown_output_firm_is_named(tmp_path):
    body = GRID.replace('metrics = ["loyalty_rate"', 'firms = ["pharmcy"]\nmetrics = ["loyalty_rate"')
    message = error_of(tmp_path, body)
    assert "outputs.firms" in message and "did you mean 'pharmacy'" in message


def test_window_beyond_the_run_is_refused(tmp_path):
    message = error_of(tmp_path, GRID.replace("first = 1\nlast = 10", "first = 40\nlast = 50"))
    assert "outputs.windows.0" in message and "30 weeks" in message


def test_missing_experiment_suggests_shipped_ones():
    with pytest.raises(ExperimentError, match="did you mean 'culture_sobol'"):
        load_experiment("culture_sobl")


# --------------------------------------------------------------------------------------------------
# Designs

values_lists = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=4, unique=True)


@settings(max_examples=40, deadline=None)
@given(
    trust=values_lists,
    empathy=values_lists,
    frontline=st.lists(st.integers(0, 1000), min_size=1, max_size=3, unique=True),
)
def test_grid_is_the_full_product_in_file_order(trust, empathy, frontline):
    exp = Experiment.model_validate(
        {
            "scenario": "corner_pharmacy",
            "parameters": {
                "firms.pharmacy.culture.trust": {"values": trust},
                "firms.pharmacy.culture.empathy": {"values": empathy},
                "firms.pharmacy.culture.empowerment.frontline": {"values": frontline},
            },
        }
    )
    design = make_design(exp)
    expected = [
        dict(zip(exp.parameters, combo, strict=True))
        for combo in itertools.product(trust, empathy, frontline)
    ]
    assert design.points == expected
    assert design.matrix.shape == (len(expected), 3)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["lhs", "sobol", "morris"]),
    samples=st.sampled_from([2, 4, 8]),
    seed=st.integers(0, 1000),
    low=st.floats(0, 0.4),
    width=st.floats(0.1, 0.6),
)
def test_sampled_designs_are_deterministic_and_within_bounds(kind, samples, seed, low, width):
    exp = Experiment.model_validate(
        {
            "scenario": "corner_pharmacy",
            "design": {"kind": kind, "samples": samples, "seed": seed},
            "parameters": {
                "firms.pharmacy.culture.trust": {"distribution": "uniform", "low": low, "high": low + width},
                "network.ties_per_customer": {"start": 2, "stop": 12},
                "firms.pharmacy.culture.empathy": {"values": [0.2, 0.8]},
            },
        }
    )
    first, again = make_design(exp), make_design(exp)
    assert first.points == again.points
    expected_rows = {"lhs": samples, "sobol": samples * (3 + 2), "morris": samples * (3 + 1)}
    assert len(first) == expected_rows[kind]
    for point in first.points:
        assert low <= point["firms.pharmacy.culture.trust"] <= low + width
        ties = point["network.ties_per_customer"]
        assert isinstance(ties, int) and 2 <= ties <= 12  # integer key: rounded
        assert point["firms.pharmacy.culture.empathy"] in (0.2, 0.8)


# --------------------------------------------------------------------------------------------------
# Outputs of one run


def test_outputs_are_window_means_and_event_losses_of_the_weekly_table(tmp_path):
    loaded = load_experiment(write_experiment(tmp_path))
    result = simulate(loaded.base, seed=9)
    outputs = loaded.experiment.outputs
    table = compute_outputs(result.firm_weekly, result.events, ["pharmacy"], outputs)
    weekly = result.firm_weekly[result.firm_weekly["firm"] == "pharmacy"].set_index("week")
    value = table.set_index(["window", "metric", "week"])["value"]
    for metric in outputs.metrics:
        assert value[("final", metric, -1)] == pytest.approx(weekly.loc[26:30, metric].mean(), nan_ok=True)
        assert value[("early", metric, -1)] == pytest.approx(weekly.loc[1:10, metric].mean(), nan_ok=True)
        np.testing.assert_allclose(
            [value[("weekly", metric, w)] for w in range(1, 31)], weekly.loc[1:30, metric]
        )
    assert result.events[0][0] == 15
    before = weekly.loc[2:14, "customer_base"].mean()  # the 13 weeks before the opening
    after = weekly.loc[24, "customer_base"]  # 10 weeks after, counting week 15 as the first
    assert value[("derived", "lost", -1)] == pytest.approx(before - after)
    assert len(table) == len(outputs.metrics) * (2 + 30) + 1


def test_derived_output_is_missing_when_no_event_fires():
    result = simulate("corner_pharmacy", customers=80, weeks=12, seed=1)
    outputs = Outputs.model_validate(
        {"metrics": ["customer_base"], "derived": [{"name": "lost", "kind": "customers_lost", "weeks": 5}]}
    )
    table = compute_outputs(result.firm_weekly, result.events, ["pharmacy"], outputs)
    lost = table.loc[table["metric"] == "lost", "value"]
    assert len(lost) == 1 and math.isnan(lost.iloc[0])
    assert isinstance(table, pd.DataFrame)
