"""Sanity of the model where no paper is needed (issue 7): shares add up, metrics stay in range,
more staffing lowers overload, customers favour nearer stores, and the order in which a scenario
lists its firms does not change anything.

Inputs vary (hypothesis over shipped scenarios, seeds and culture); runs use the numba engine at a
few hundred customers, so each example takes well under a second once compiled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyaltysim.metrics import FIRM_METRICS
from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario, load_scenario, shipped_scenarios

SCENARIOS = sorted(shipped_scenarios())
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SHARES = [
    "market_share",
    "retention_purchase",
    "retention_base",
    "loyalty_rate",
    "recovery_rate",
    "turnover",
    "attachment_mean",
    "satisfaction_mean",
    "skill_mean",
    "engagement_mean",
]
COUNTS = [
    "customer_base",
    "purchases",
    "true_loyal",
    "spurious_loyal",
    "latent_loyal",
    "no_loyal",
    "promoters",
    "detractors",
    "failures",
    "complaints",
    "silent_failures",
    "resolved_on_spot",
    "resolved_escalated",
    "unresolved",
    "escalations",
    "quits",
    "nps_n",
    "staff",
    "backlog",
]


def step_with_visits(model: LoyaltyModel, weeks: int) -> list[np.ndarray]:
    """Step ``weeks`` weeks; return each week's per-customer firm codes (copies)."""
    firms = []
    for _ in range(weeks):
        model.step()
        firms.append(model.week_visits().firm.copy())
    return firms


@SLOW
@given(
    name=st.sampled_from(SCENARIOS),
    seed=st.integers(0, 2**32),
    customers=st.integers(50, 400),
    trust=st.floats(0, 1),
    frontline=st.floats(0, 600),
)
def test_shares_add_up_and_every_metric_stays_in_range(name, seed, customers, trust, frontline):
    spec = load_scenario(name)
    focus = spec.focus_firm
    model = LoyaltyModel(
        name,
        rng=seed,
        overrides={
            "market.customers": customers,
            f"firms.{focus}.culture.trust": trust,
            f"firms.{focus}.culture.empowerment.frontline": frontline,
        },
    )
    weekly_firms = step_with_visits(model, 30)
    table = model.firm_weekly()
    assert set(FIRM_METRICS) <= set(table.columns)
    for week, firms in enumerate(weekly_firms, start=1):
        rows = table[table["week"] == week].set_index("firm")
        buyers = int((firms >= 0).sum())  # at a firm or outside the town
        # Each firm's purchases are exactly the customers who bought there this week.
        for f, key in enumerate(model.firm_keys):
            assert rows.loc[key, "purchases"] == (firms == f).sum()
        # Market shares of the firms plus the outside option add up to one.
        outside = (firms == model.n_firms).sum() / buyers if buyers else 0.0
        if buyers:
            assert rows["market_share"].sum() + outside == pytest.approx(1.0, abs=1e-9)
        # Dick & Basu cells partition each firm's customer base; bases partition the town.
        cells = rows[["true_loyal", "spurious_loyal", "latent_loyal", "no_loyal"]].sum(axis=1)
        np.testing.assert_array_equal(cells.to_numpy(), rows["customer_base"].to_numpy())
        assert rows["customer_base"].sum() <= customers
        # Complaint outcomes partition complaints; complaints and silence partition failures.
        outcomes = rows[["resolved_on_spot", "resolved_escalated", "unresolved"]].sum(axis=1)
        np.testing.assert_array_equal(outcomes.to_numpy(), rows["complaints"].to_numpy())
        np.testing.assert_array_equal(
            (rows["complaints"] + rows["silent_failures"]).to_numpy(), rows["failures"].to_numpy()
        )
    for column in SHARES:
        values = table[column].dropna()
        assert ((values >= 0) & (values <= 1 + 1e-12)).all(), column
    for column in COUNTS:
        assert (table[column].dropna() >= 0).all(), column
    for column in ("nps", "enps"):
        values = table[column].dropna()
        assert ((values >= -100) & (values <= 100)).all(), column
    assert (table["failure_rate"].between(0, 1)).all()
    assert (table["overload"] >= 0).all()
    for name_ in ("attachment", "satisfaction"):
        values = getattr(model.state, name_)
        assert ((values >= 0) & (values <= 1)).all(), name_


@SLOW
@given(name=st.sampled_from(SCENARIOS), seed=st.integers(0, 2**32), extra=st.floats(0.5, 6.0))
def test_more_staffing_lowers_overload(name, seed, extra):
    focus = load_scenario(name).focus_firm
    key = f"firms.{focus}.staffing.frontline_per_1000"
    base = load_scenario(name).firms[focus].staffing.frontline_per_1000
    tables = {}
    for level in (base, min(base + extra, 100.0)):
        model = LoyaltyModel(name, rng=seed, overrides={"market.customers": 3000, key: level})
        model.run(26)
        table = model.firm_weekly()
        tables[level] = table[table["firm"] == focus].set_index("week")
    low, high = tables.values()
    # Week 1: the same customers chose the same stores (staff do not enter the choice), so the
    # same visits are spread over more employees.
    assert high.loc[1, "staff"] > low.loc[1, "staff"]
    assert high.loc[1, "overload"] < low.loc[1, "overload"]
    # Over half a year, better service may attract more visits, but never enough to undo it.
    assert high["overload"].mean() < low["overload"].mean()


def two_twin_stores(left_x: float, right_x: float) -> Scenario:
    """Two identical stores (same hours, prices, culture) on an east-west line of the town."""
    base = load_scenario("loyal_brand").model_dump(mode="json")
    twin = {**base["firms"][base["focus"] or next(iter(base["firms"]))], "open": True, "known_share": 1.0}
    base["firms"] = {
        "east": {**twin, "label": "East", "x_km": right_x, "y_km": 2.0},
        "west": {**twin, "label": "West", "x_km": left_x, "y_km": 2.0},
    }
    base["focus"] = "west"
    base["events"] = []
    return Scenario.model_validate(base)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(left=st.floats(0.2, 1.6), right=st.floats(2.4, 3.8), seed=st.integers(0, 2**32))
def test_customers_favour_the_nearer_of_two_identical_stores(left, right, seed):
    model = LoyaltyModel(two_twin_stores(left, right), rng=seed, overrides={"market.customers": 2000})
    weekly_firms = step_with_visits(model, 12)
    x, y = model.population["x"].astype(float), model.population["y"].astype(float)
    west, east = model.firm_keys.index("west"), model.firm_keys.index("east")
    nearer_west = np.hypot(x - left, y - 2.0) < np.hypot(x - right, y - 2.0)
    chosen = np.concatenate(weekly_firms)
    lives_west = np.tile(nearer_west, len(weekly_firms))
    at_west = chosen == west
    at_east = chosen == east
    assert at_west[lives_west].sum() > 2 * at_east[lives_west].sum()
    assert at_east[~lives_west].sum() > 2 * at_west[~lives_west].sum()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(["brand", "pharmacy", "supermarket"]), seed=st.integers(0, 2**32))
def test_the_order_firms_are_listed_in_does_not_change_the_run(order, seed):
    data = load_scenario("pharmacy_vs_brand").model_dump(mode="json")
    runs = []
    for firms in (list(data["firms"]), order):
        reordered = {**data, "firms": {key: data["firms"][key] for key in firms}}
        model = LoyaltyModel(
            Scenario.model_validate(reordered),
            rng=seed,
            overrides={"market.customers": 400, "market.weeks": 120},
        )
        model.run(120)  # the supermarket opens at week 104
        runs.append(model)
    first, second = runs
    a = first.firm_weekly().sort_values(["week", "firm"]).reset_index(drop=True)
    b = second.firm_weekly().sort_values(["week", "firm"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(first.state.attachment, second.state.attachment)
