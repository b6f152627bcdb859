"""Management policies (loyaltysim.mechanisms.policy): the discount chain under a cost-cutting
policy shows the seed's cycle [E] - staff and training cuts first, then failures and churn rise,
then prices are cut, then there is less money for staff - while the same store under a
customer-focused policy does not spiral (three seeds, common random numbers); demand staffing
follows demand; decisions are recorded; both engines decide alike."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_engines import assert_same_run, run_both

from loyaltysim.mechanisms import policy
from loyaltysim.mechanisms.policy import PRICE_CUT, STAFF_ADDED, STAFF_CUT, TRAINING_CUT, Observed
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import pack
from loyaltysim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (1, 2, 3)
K = pack(policy.PolicyCoefficients(), policy.PolicyCoefficients)


@cache
def _run(name: str, seed: int) -> tuple[pd.DataFrame, tuple]:
    model = LoyaltyModel("discount_chain", rng=seed, overrides={"firms.discounter.policy": name})
    model.run()
    weekly = model.firm_weekly()
    return weekly[weekly.firm == "discounter"].set_index("week"), tuple(model.decisions)


def _first(decision: pd.Series, flags: int, after: int = 0) -> int:
    weeks = decision.index[((decision & flags) > 0) & (decision.index > after)]
    return int(weeks.min()) if len(weeks) else 10**6


def _failures_per_visit(weekly: pd.DataFrame) -> float:
    return weekly.failures.sum() / weekly.purchases.sum()


# -- the decision rule ----------------------------------------------------------------------------
def _seen(**changes) -> Observed:
    base = dict(
        weeks=4,
        purchases=600.0,
        revenue=17_000.0,
        profit=3_000.0,
        heard=5.0,
        frontline=4,
        capacity=150.0,
        cost_per_post=500.0,
        training=0.2,
        price_index=0.85,
    )
    return Observed(**{**base, **changes})


def test_a_fixed_policy_never_changes_anything():
    d = policy.decide("fixed", _seen(profit=0.0), _seen(), True, K)
    assert (d.frontline, d.training, d.price_index, d.flags) == (4, 0.2, 0.85, 0)


def test_cost_cutting_cuts_costs_first_and_prices_only_after_earlier_cuts_when_sales_fall():
    fell = _seen(profit=2_000.0, purchases=500.0)
    first = policy.decide("cost_cutting", fell, _seen(), False, K)
    assert first.flags == STAFF_CUT | TRAINING_CUT and first.price_index == 0.85
    assert first.frontline == 3 and first.training == pytest.approx(0.1)
    later = policy.decide("cost_cutting", fell, _seen(), True, K)
    assert later.flags == PRICE_CUT and later.price_index == pytest.approx(0.85 * (1 - 0.03))
    # Profit within the tolerance of the last review: nothing (noise to a manager).
    assert policy.decide("cost_cutting", _seen(profit=2_900.0), _seen(), True, K).flags == 0
    # Staff costs over the budget share of revenue: fewer posts, whatever profit did.
    poor = policy.decide("cost_cutting", _seen(revenue=8_000.0), _seen(revenue=8_000.0), False, K)
    assert poor.flags == STAFF_CUT and poor.frontline == 3  # 0.2 x 8,000 / 500


def test_customer_focus_invests_and_demand_staffing_follows_demand():
    busy = _seen(purchases=700.0, profit=2_000.0)
    d = policy.decide("customer_focused", busy, _seen(), False, K)
    assert d.flags == STAFF_ADDED | policy.TRAINING_ADDED and d.frontline == 5 and d.price_index == 0.85
    staffed = policy.decide("demand_staffing", _seen(purchases=300.0), None, False, K)
    assert staffed.flags == STAFF_CUT and staffed.frontline == 3  # ceil(300 / (150 x 0.9))
    capped = policy.decide("demand_staffing", _seen(purchases=3_000.0), None, False, K)
    assert capped.frontline == 6  # the budget: 0.2 x 17,000 / 500


def test_fixed_is_the_default_policy_and_the_spiral_example_declares_cost_cutting():
    spec = load_scenario("discount_chain")
    assert {firm.policy for firm in spec.firms.values()} == {"fixed"}
    spiral = load_scenario(ROOT / "examples" / "discount_spiral.toml")
    assert spiral.firms["discounter"].policy == "cost_cutting"
    assert spiral.firms["discounter"].model_copy(update={"policy": "fixed"}) == spec.firms["discounter"]


# -- the cycle on real runs -----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_cost_cutting_runs_the_cycle_in_order(seed):
    cutting, decisions = _run("cost_cutting", seed)
    fixed, _ = _run("fixed", seed)
    decision = cutting.decision
    first_cut = _first(decision, STAFF_CUT | TRAINING_CUT)
    first_price = _first(decision, PRICE_CUT)
    # 1. staff and training cuts come first (no price cut with or before them) ...
    assert first_cut < first_price < 10**6
    assert decision[first_cut] & STAFF_CUT and decision[first_cut] & TRAINING_CUT
    # 2. ... then failures rise (against the same store with a fixed policy, same weeks and luck) ...
    window = slice(first_cut + 1, first_price)
    assert _failures_per_visit(cutting.loc[window]) > 1.1 * _failures_per_visit(fixed.loc[window])
    # ... and customers are lost: fewer come back (per-occasion retention) and sales fell at the
    # review that cut prices (the policy cuts prices only then, after earlier cuts)
    assert cutting.loc[window, "retention_purchase"].mean() < fixed.loc[window, "retention_purchase"].mean()
    assert any(week == first_price and "sales still falling" in why for week, _, _, why in decisions)
    # 3. then prices are cut, and 4. then there is less money for staff: staff cut again later,
    # or - where the first cuts already took the store to the fewest posts its load allows
    # (seed 2 since issue 17's merge: 4 -> 2 posts in weeks 24-56) - never restored.
    recut = _first(decision, STAFF_CUT, after=first_price) < 10**6
    cuts = decision.index[((decision & STAFF_CUT) > 0) & (decision.index <= first_price)]
    after_cuts = cutting.staff.loc[cuts.max() : first_price].max()  # filled posts: vacancies dip
    assert recut or cutting.staff.loc[first_price:].max() <= after_cuts
    assert cutting.staff.iloc[-1] < fixed.staff.iloc[-1] - 1
    assert cutting.price_index.iloc[-1] < fixed.price_index.iloc[-1]


@pytest.mark.slow
def test_a_customer_focused_store_does_not_spiral():
    """Same store, same seeds: the customer-focused policy never cuts staff or prices, and ends
    with more staff, fewer failures per visit and a better NPS than under cost cutting."""
    for seed in SEEDS:
        focused, _ = _run("customer_focused", seed)
        cutting, _ = _run("cost_cutting", seed)
        assert not (focused.decision & (STAFF_CUT | PRICE_CUT | TRAINING_CUT)).any()
        assert (focused.decision > 0).any()  # it does react: invests
        end = slice(157, None)
        f, c = focused.loc[end], cutting.loc[end]
        assert f.staff.mean() > c.staff.mean() + 2
        assert (f.price_index == 0.85).all() and c.price_index.iloc[-1] < 0.8
        assert _failures_per_visit(f) < 0.7 * _failures_per_visit(c)
        nps_f = ((f.promoters - f.detractors) / f.customer_base).mean()
        nps_c = ((c.promoters - c.detractors) / c.customer_base).mean()
        assert nps_f > nps_c + 0.2
        # (Mean engagement is not compared: the cost-cutter's last two employees are too few to
        # say anything - 0.65 against the focused store's 0.63 at seed 1 since issue 17's merge.)


@pytest.mark.slow
def test_demand_staffing_follows_demand_within_the_budget():
    staffed, decisions = _run("demand_staffing", 1)
    fixed, _ = _run("fixed", 1)
    assert decisions
    # After the supermarket opens (week 104) demand falls: posts follow it down.
    before, after = staffed.loc[60:103], staffed.loc[130:]
    assert after.staff.mean() < before.staff.mean()
    # And the load stays nearer the target than with fixed staffing.
    target = 0.9
    assert abs(after.overload.mean() - target) < abs(fixed.loc[130:].overload.mean() - target)


def test_decisions_are_recorded_and_both_engines_decide_alike():
    overrides = {
        "market.customers": 300,
        "market.warmup_weeks": 10,
        "firms.discounter.policy": "cost_cutting",
        "firms.supermarket.policy": "customer_focused",
        "firms.supermarket.open": True,
        "firms.discounter.staffing.frontline_per_1000": 20.0,
        "behaviour.policy_profit_tolerance": 0.0,
        "behaviour.policy_sales_tolerance": 0.0,
    }
    ref, fast = run_both("discount_chain", 40, overrides, seed=3)
    assert_same_run(ref, fast)
    assert ref.decisions == fast.decisions and len(ref.decisions) >= 3
    frame = fast.decisions_frame()
    assert list(frame.columns) == ["week", "firm", "change", "why"]
    assert (frame.week % 4 == 0).all() and frame.why.str.len().gt(0).all()
    weekly = fast.firm_weekly()
    flagged = weekly[weekly.decision > 0]
    recorded = sorted(zip(frame.week, frame.firm, strict=True))
    assert sorted(zip(flagged.week, flagged.firm, strict=True)) == recorded
    assert np.isin(weekly.decision.unique(), np.arange(32)).all()
