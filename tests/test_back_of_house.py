"""Internal customers (loyaltysim/mechanisms/back_of_house.py): a disengaged back of house raises
failures and lowers satisfaction at the same firm, same seed; the formulas; engines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engines import assert_same_run, run_both

from loyaltysim.mechanisms import back_of_house as boh
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import pack


def _k(**values: float) -> tuple[float, ...]:
    return pack(boh.BackOfHouseCoefficients(**values), boh.BackOfHouseCoefficients)


@given(
    ratio=st.floats(0.0, 10.0),
    a=st.floats(0.0, 1.0),
    b=st.floats(0.0, 1.0),
    need=st.floats(0.01, 10.0),
    full=st.floats(0.01, 1.0),
)
def test_the_shortfall_is_a_share_that_falls_with_engagement_and_head_count(ratio, a, b, need, full):
    k = _k(back_of_house_need=need, supply_engagement=full)
    low, high = sorted((a, b))
    s_low, s_high = boh.supply_shortfall(ratio, low, k), boh.supply_shortfall(ratio, high, k)
    assert 0.0 <= s_high <= s_low <= 1.0
    assert boh.supply_shortfall(0.0, high, k) == 1.0  # nobody in the back: nothing arrives
    if ratio >= need and high >= full:
        assert s_high == 0.0
    assert boh.supply_shortfall(ratio * 0.5, high, k) >= s_high


def test_no_shortfall_changes_nothing_and_the_team_is_never_rounded_away():
    k = _k()
    assert boh.stockout_chance(0.0, k) == 0.0 and boh.supplied_warmth(0.0, k) == 1.0
    assert boh.team_size(0.25, 1) == 1 and boh.team_size(0.25, 40) == 10 and boh.team_size(0.0, 40) == 0


# -- behaviour ---------------------------------------------------------------------------------
WEEKS = 30
TOWN = {"market.customers": 3000, "market.warmup_weeks": 0}


def brand_weeks(disengaged: bool, overrides: dict | None = None):
    """The loyal brand's weeks, from a cold start, with its back of house as the culture makes
    it or made disengaged (every member's disposition -1: engagement falls toward 0); the
    frontline, the customers and every draw are the same."""
    model = LoyaltyModel("loyal_brand", rng=6, engine="numba", overrides={**TOWN, **(overrides or {})})
    brand = model.firms[model.firm_keys.index("brand")]
    if disengaged:
        brand.back_disposition[:] = -1.0
    model.run(WEEKS)
    table = model.firm_weekly().query("firm == 'brand'")
    return table, brand


def test_a_disengaged_back_of_house_raises_failures_and_lowers_satisfaction():
    """Measured (3,000 households, 30 weeks): shortfall 0.02 -> 0.95, failures per visit 1.3 % ->
    4.1 %, the brand's mean satisfaction 0.717 -> 0.702 and attachment 0.40 -> 0.36."""
    normal, brand_n = brand_weeks(False)
    sullen, brand_s = brand_weeks(True)
    assert brand_s.back_engagement.mean() < 0.1 < 0.5 < brand_n.back_engagement.mean()
    late = slice(10, None)  # after the team's engagement has fallen
    assert (
        sullen["supply_shortfall"].iloc[late].mean()
        > 0.8
        > 0.2
        > normal["supply_shortfall"].iloc[late].mean()
    )
    rate = lambda t: t["failures"].iloc[late].sum() / t["purchases"].iloc[late].sum()  # noqa: E731
    assert rate(sullen) > 1.5 * rate(normal), (rate(sullen), rate(normal))
    assert sullen["satisfaction_mean"].iloc[-1] < normal["satisfaction_mean"].iloc[-1] - 0.01
    assert sullen["attachment_mean"].iloc[-1] < normal["attachment_mean"].iloc[-1]


def test_with_its_coefficients_at_0_the_back_of_house_changes_nothing():
    off = {"behaviour.stockout_failure": 0.0, "behaviour.delay_warmth": 0.0}
    normal, _ = brand_weeks(False, off)
    sullen, _ = brand_weeks(True, off)
    assert (sullen["supply_shortfall"] > normal["supply_shortfall"]).all()
    for metric in ("failures", "purchases", "satisfaction_mean", "attachment_mean"):
        np.testing.assert_array_equal(sullen[metric].to_numpy(), normal[metric].to_numpy(), err_msg=metric)


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [
        {"firms.pharmacy.staffing.back_of_house_per_frontline": 0.0},
        {
            "behaviour.stockout_failure": 0.5,
            "behaviour.delay_warmth": 1.0,
            "behaviour.supply_engagement": 1.0,
        },
    ],
    ids=["no_back_of_house", "strong"],
)
def test_engines_agree_with_the_back_of_house(overrides):
    ref, fast = run_both(
        "pharmacy_vs_brand",
        20,
        {"market.customers": 300, "market.warmup_weeks": 10, "firms.supermarket.open": True, **overrides},
        seed=8,
    )
    assert_same_run(ref, fast)
    for f_ref, f_fast in zip(ref.firms, fast.firms, strict=True):
        np.testing.assert_array_equal(f_fast.back_engagement, f_ref.back_engagement)
        assert f_fast.supply_shortfall == f_ref.supply_shortfall
    assert fast.firm_weekly()["supply_shortfall"].max() > 0.0
