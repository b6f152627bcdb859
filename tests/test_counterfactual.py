"""Event effects against the counterfactual run without the event (common random numbers)."""

from __future__ import annotations

import pandas as pd
import pytest

from loyaltysim.counterfactual import EFFECT_METRICS, event_effects, run_weekly, without_events_of_week
from loyaltysim.scenario import load_scenario

#: The supermarket opens in week 20 of a 40-week, 800-customer town.
SMALL = {"market.customers": 800, "market.weeks": 40, "events.0.week": 20}


@pytest.fixture(scope="module")
def spec():
    return load_scenario("pharmacy_vs_brand", SMALL)


@pytest.fixture(scope="module")
def effects(spec):
    return event_effects(spec, window_weeks=13)


def test_factual_and_counterfactual_are_identical_before_the_event(spec):
    factual = run_weekly(spec)
    counterfactual = run_weekly(without_events_of_week(spec, 20))
    before = factual["week"] < 20
    pd.testing.assert_frame_equal(
        factual[before].reset_index(drop=True),
        counterfactual[counterfactual["week"] < 20].reset_index(drop=True),
        check_exact=True,
    )
    assert not factual[~before].equals(counterfactual[counterfactual["week"] >= 20])


def test_the_supermarkets_opening_costs_the_pharmacy_and_is_all_the_supermarkets_revenue(effects):
    rows = effects.set_index(["firm", "metric"])
    assert (effects["event_week"] == 20).all()
    assert set(effects["metric"]) == set(EFFECT_METRICS)
    assert rows.at[("pharmacy", "revenue"), "effect"] < 0
    assert rows.at[("supermarket", "revenue"), "counterfactual"] == 0  # closed without the event
    assert rows.at[("supermarket", "revenue"), "effect"] > 0
    assert pd.isna(rows.at[("supermarket", "revenue"), "effect_share"])
    assert (effects["effect"] == effects["factual"] - effects["counterfactual"]).all()


def test_the_window_sums_the_weekly_table(spec, effects):
    factual = run_weekly(spec)
    window = factual[(factual["week"] >= 20) & (factual["week"] <= 32)]
    pharmacy = window[window["firm"] == "pharmacy"]
    rows = effects.set_index(["firm", "metric"])
    assert rows.at[("pharmacy", "revenue"), "factual"] == pytest.approx(pharmacy["revenue"].sum())
    base = pharmacy.loc[pharmacy["week"] == 32, "customer_base"].item()
    assert rows.at[("pharmacy", "customer_base"), "factual"] == base


def test_events_after_the_end_of_the_run_have_no_effects():
    effects = event_effects("corner_pharmacy", overrides={"market.customers": 100, "market.weeks": 5})
    assert effects.empty and "effect" in effects.columns


def test_a_window_of_no_weeks_is_refused(spec):
    with pytest.raises(ValueError, match="at least one week"):
        event_effects(spec, window_weeks=0)
