"""Usage migration (loyaltysim/mechanisms/usage.py): attachment moves customers between regular,
heavy and super use and back [E]; purchases and baskets follow the segment; both engines agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engines import assert_same_run, run_both

from loyaltysim.mechanisms import usage
from loyaltysim.mechanisms.coefficients import Coefficients
from loyaltysim.model import LoyaltyModel
from loyaltysim.population import make_population
from loyaltysim.scenario import load_scenario

K = Coefficients.of(load_scenario("loyal_brand")).usage


@given(st.integers(0, 2), st.floats(0, 1))
def test_a_step_moves_at_most_one_segment_and_keeps_the_middle_band(segment, attached):
    target = usage.usage_step(segment, attached, K)
    assert abs(target - segment) <= 1
    low_heavy = K[usage.HEAVY_FROM] - K[usage.FALLBACK]
    low_super = K[usage.SUPER_FROM] - K[usage.FALLBACK]
    if target > segment:  # up only past the upper threshold of the step
        assert attached >= (K[usage.HEAVY_FROM] if segment == usage.REGULAR else K[usage.SUPER_FROM])
    if target < segment:  # down only below the lower one (hysteresis)
        assert attached < (low_heavy if segment == usage.HEAVY else low_super)
    if segment == usage.HEAVY and low_heavy <= attached < K[usage.SUPER_FROM]:
        assert target == segment


@given(st.floats(0, 1, exclude_min=True, exclude_max=True))
def test_a_newcomers_segment_follows_the_shares_as_at_creation(u):
    spec = load_scenario("loyal_brand")
    seg = spec.customers.segments
    cut = np.cumsum([seg.regular.share, seg.heavy.share, seg.super.share])
    expected = min(int(np.searchsorted(cut, u, side="right")), 2)  # population.make_population
    assert usage.segment_of(u, Coefficients.of(spec).usage) == expected


def _forced(migration: float, phases: tuple[tuple[float, int], ...], customers: int = 2000):
    """Run the loyal brand's town holding every customer's attachment at each phase's level for
    its weeks; return the segment mix and the week's purchases at the end of each phase."""
    model = LoyaltyModel(
        "loyal_brand",
        rng=5,
        overrides={
            "market.customers": customers,
            "market.warmup_weeks": 0,
            "behaviour.usage_migration": migration,
            "behaviour.lapse_mean": 0.0,  # the same people throughout
        },
    )
    out = []
    for level, weeks in phases:
        purchases = []
        for _ in range(weeks):
            model.state.attachment[:] = level
            model.step()
            purchases.append(model.focus_metrics["purchases"])
        mix = np.bincount(model.state.segment, minlength=3) / customers
        out.append((mix, float(np.mean(purchases[-8:]))))
    return out


def test_attachment_moves_customers_between_usage_segments_and_back():
    """Held high, attachment turns regular users into heavy users and heavy into super users
    [E] - and they buy more often; let it fade and they move back. Against the same run with
    migration off (same seed: the drawn segments never change)."""
    phases = ((0.98, 60), (0.02, 60))
    on = _forced(0.2, phases)
    off = _forced(0.0, phases)
    start = off[0][0]  # the drawn mix (off: unchanged)
    np.testing.assert_array_equal(off[1][0], start)
    (high_mix, high_buys), (low_mix, _) = on
    assert high_mix[usage.SUPER] > start[usage.SUPER] + 0.1
    assert high_mix[usage.REGULAR] < start[usage.REGULAR] - 0.2
    assert high_buys > 1.15 * off[0][1]  # purchase frequency follows the segment
    assert low_mix[usage.REGULAR] > high_mix[usage.REGULAR] + 0.2  # and back
    assert low_mix[usage.SUPER] < high_mix[usage.SUPER] - 0.1


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_the_basket_follows_the_segment(engine):
    """A super user's purchase is worth the super basket: revenue per purchase rises with the
    share of heavy and super users (spend = basket(segment) x price x (1 + lift x attachment))."""
    overrides = {"market.customers": 300, "market.warmup_weeks": 0, "behaviour.lapse_mean": 0.0}
    model = LoyaltyModel("loyal_brand", engine=engine, rng=2, overrides=overrides)
    model.state.segment[:] = usage.SUPER
    model.state.attachment[:] = 0.0
    model.step()
    row = model.focus_metrics
    basket = model.spec.customers.segments.super.basket_dollars
    price = model.spec.firms[model.spec.focus_firm].price_index
    assert row["revenue"] == pytest.approx(row["purchases"] * basket * price)


@pytest.mark.parametrize("seed", [1, 2])
def test_engines_agree_exactly_with_fast_usage_migration(seed):
    overrides = {
        "market.customers": 300,
        "market.warmup_weeks": 6,
        "behaviour.usage_migration": 1.0,
        "behaviour.heavy_from": 0.3,
        "behaviour.super_from": 0.45,
        "behaviour.usage_fallback": 0.1,
    }
    ref, fast = run_both("pharmacy_vs_brand", 30, overrides, seed=seed)
    assert_same_run(ref, fast)
    # Not vacuous: segments moved.
    drawn = make_population(fast.spec.market, fast.spec.customers, seed)["segment"]
    assert (fast.state.segment != drawn).sum() > 30
