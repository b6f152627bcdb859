"""The teaching panel's suggestions say what the model actually does (no claim left untested)."""

from __future__ import annotations

import pandas as pd
import pytest

from loyaltysim.model import LoyaltyModel
from loyaltysim.ui.explain import EXPLANATIONS, TRY_THIS

WEEKS, CUSTOMERS = 60, 3000


def _late(name: str, seed: int = 1, customers: int = CUSTOMERS, **overrides) -> pd.Series:
    """Mean of the focus firm's metrics over the last half year of a short run."""
    model = LoyaltyModel(
        name,
        rng=seed,
        overrides={"market.customers": customers, **{k.replace("__", "."): v for k, v in overrides.items()}},
    )
    model.run(WEEKS)
    table = model.firm_weekly()
    return table[table["firm"] == model.spec.focus_firm].tail(26).mean(numeric_only=True)


@pytest.fixture(scope="module")
def pharmacy() -> pd.Series:
    return _late("corner_pharmacy")


@pytest.fixture(scope="module")
def brand() -> pd.Series:
    return _late("loyal_brand")


def test_similar_retention_very_different_loyalty(pharmacy, brand):
    assert "similar retention, very different loyalty" in TRY_THIS[0]
    assert abs(pharmacy.retention_purchase - brand.retention_purchase) < 0.05
    assert pharmacy.loyalty_rate < 0.3 < 0.6 < brand.loyalty_rate


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_competitor_costs_the_pharmacy_more_than_the_brand(seed):
    """Played to week 60, the competitor opened in week 61 as the button does, 26 weeks on, against
    the same run without it. Measured at seeds 1-3 (revenue): pharmacy -29, -24, -23 %; brand -22,
    -18, -17 % - the brand loses too (on its own it is far less convenient than the supermarket),
    which the text says instead of "the brand's stay"."""
    from loyaltysim.scenario import load_scenario
    from loyaltysim.ui.shock import events_with_shock

    assert any("Competitor opens now" in item and "the pharmacy more" in item for item in TRY_THIS)
    lost = {}
    for name in ("corner_pharmacy", "loyal_brand"):
        plain = load_scenario(name, {"market.customers": CUSTOMERS})
        shocked = load_scenario(name, {"market.customers": CUSTOMERS, "events": events_with_shock(plain, 61)})
        revenue = []
        for spec in (shocked, plain):
            model = LoyaltyModel(spec, rng=seed)
            model.run(86)
            table = model.firm_weekly()
            revenue.append(table[(table["firm"] == spec.focus_firm) & (table["week"] >= 61)]["revenue"].sum())
        lost[name] = 1 - revenue[0] / revenue[1]
    assert lost["corner_pharmacy"] > lost["loyal_brand"] + 0.03 > 0.03, lost


def test_frontline_limit_turns_escalations_into_fixes_on_the_spot(pharmacy):
    assert any("frontline limit from $0 to $100" in item for item in TRY_THIS)
    assert "$0 frontline limit every complaint must be escalated" in EXPLANATIONS["complaints"].look_for
    empowered = _late("corner_pharmacy", firms__pharmacy__culture__empowerment__frontline=100)
    assert pharmacy.resolved_on_spot == 0 and empowered.resolved_on_spot > 0
    assert empowered.resolved_escalated < pharmacy.resolved_escalated
    assert empowered.escalations < pharmacy.escalations


def test_a_culture_of_fear_fails_recovery_and_lowers_nps():
    assert any("trust to 0.05" in item for item in TRY_THIS)
    # Fear acts on NPS through recovery and through engagement, and the brand's 9 frontline posts of
    # a 3,000-household town make engagement the luck of who is hired (trust 0.05 moved it -0.009
    # at seed 1, -0.13 at seed 2): 6,000 households and three seeds. NPS measured -3.6, -5.5, -6.3.
    drops = []
    for seed in (1, 2, 3):
        base = _late("loyal_brand", seed, 2 * CUSTOMERS)
        fearful = _late("loyal_brand", seed, 2 * CUSTOMERS, firms__brand__culture__trust=0.05)
        assert fearful.recovery_rate < base.recovery_rate - 0.2
        drops.append(base.nps - fearful.nps)
    assert min(drops) > 0 and sum(drops) / 3 > 4, drops


def test_understaffing_overloads_and_lowers_nps(brand):
    assert any("staffing to 1 per 1,000" in item for item in TRY_THIS)
    short = _late("loyal_brand", firms__brand__staffing__frontline_per_1000=1)
    assert short.overload > 1 > brand.overload
    # Failures per visit: the overloaded store also sells less, so its failure count can fall.
    assert short.failures / short.purchases > brand.failures / brand.purchases
    assert short.nps < brand.nps - 10


def test_the_discount_chain_fails_more_and_keeps_customers_by_price(brand):
    assert any("discount chain" in item for item in TRY_THIS)
    chain = _late("discount_chain")
    assert chain.failures > 3 * brand.failures
    assert chain.engagement_mean < brand.engagement_mean - 0.05
    assert chain.loyalty_rate < 0.15 and abs(chain.retention_purchase - brand.retention_purchase) < 0.05
