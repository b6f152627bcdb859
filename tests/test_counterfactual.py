"""Event effects against the counterfactual run without the event (common random numbers)."""

from __future__ import annotations

import pandas as pd
import pytest

from loyaltysim.counterfactual import (
    EFFECT_METRICS,
    counterfactual_weekly,
    event_effects,
    event_noun,
    fork_without_events,
    measure_events,
    opened_firms,
    run_weekly,
    without_events_of_week,
    without_label,
)
from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import load_scenario
from loyaltysim.schema import Event
from loyaltysim.simulate import simulate

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


def test_a_model_forked_before_the_event_continues_as_the_run_without_it(spec):
    model = LoyaltyModel(spec)
    model.run(19)
    shadow = fork_without_events(model, 20)
    model.run()
    shadow.run()
    pd.testing.assert_frame_equal(
        shadow.firm_weekly(), run_weekly(without_events_of_week(spec, 20)), check_exact=True
    )
    pd.testing.assert_frame_equal(model.firm_weekly(), run_weekly(spec), check_exact=True)  # untouched


def test_a_fork_is_made_just_before_the_event(spec):
    model = LoyaltyModel(spec)
    model.run(5)
    with pytest.raises(ValueError, match="just before week 20"):
        fork_without_events(model, 20)


def test_counterfactual_weekly_is_the_run_without_that_weeks_events(spec):
    pd.testing.assert_frame_equal(
        counterfactual_weekly(spec, 20), run_weekly(without_events_of_week(spec, 20)), check_exact=True
    )


def test_the_effects_of_a_finished_run_need_no_second_factual_run(spec, effects):
    result = simulate(spec)
    pd.testing.assert_frame_equal(result.event_effects(window_weeks=13), effects, check_exact=True)
    measured = measure_events(spec, window_weeks=13, factual=result.firm_weekly)
    assert measured.weeks == [20]
    pd.testing.assert_frame_equal(
        measured.counterfactual[20], result.counterfactual_weekly(20), check_exact=True
    )


def test_an_effect_share_has_the_sign_of_the_effect_even_against_a_loss(effects):
    rows = effects[effects["counterfactual"] != 0]
    assert (rows["effect_share"] * rows["effect"] >= 0).all()
    assert (rows["effect_share"] == rows["effect"] / rows["counterfactual"].abs()).all()


def test_the_window_is_named_and_cut_at_the_end_of_the_run(spec):
    table = event_effects(spec, window_weeks=100)
    assert (table["first_week"] == 20).all() and (table["last_week"] == 40).all()


def test_the_event_is_named_from_the_scenario(spec):
    label = spec.firms["supermarket"].label
    assert opened_firms(spec, 20) == ["supermarket"]
    assert without_label(spec, 20) == f"without the {label[0].lower()}{label[1:]}"
    cut = spec.model_copy(
        update={"events": [Event(week=5, label="Price cut", set={"firms.pharmacy.price_index": 0.9})]}
    )
    assert opened_firms(cut, 5) == [] and event_noun(cut, 5) == "“Price cut”"


@pytest.mark.parametrize("engine", ["numba", "reference"])
def test_a_fork_is_exact_on_either_engine_after_a_warm_up(engine):
    tiny = {"market.customers": 150, "market.weeks": 12, "events.0.week": 6, "market.warmup_weeks": 4}
    spec = load_scenario("pharmacy_vs_brand", {**tiny, "market.engine": engine})
    model = LoyaltyModel(spec)
    model.run(5)
    shadow = fork_without_events(model, 6)
    shadow.run()
    expected = run_weekly(without_events_of_week(spec, 6))
    pd.testing.assert_frame_equal(shadow.firm_weekly(), expected, check_exact=True)
