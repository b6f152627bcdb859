"""Satisfaction in repurchase (``behaviour.delight_loyalty``, loyaltysim/mechanisms/choice.py):
where rivals are at hand, the completely satisfied stay far more than the merely satisfied (Jones
& Sasser 1995). The formula, the behaviour against the coefficient at 0 (same seed), engines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engines import assert_same_run, run_both

from loyaltysim.mechanisms import choice
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import pack
from loyaltysim.validation.customers import base_now, run_until, satisfaction_box


def _k(**values: float) -> tuple[float, ...]:
    return pack(choice.ChoiceCoefficients(**values), choice.ChoiceCoefficients)


@given(
    weight=st.floats(0.0, 4.0),
    attachment=st.floats(0.0, 1.0),
    low=st.floats(0.0, 1.0),
    high=st.floats(0.0, 1.0),
    delight=st.floats(0.0, 100.0),
    start=st.floats(0.0, 1.0),
)
def test_only_satisfaction_above_the_threshold_pulls_and_it_pulls_convexly(
    weight, attachment, low, high, delight, start
):
    low, high = sorted((low, high))
    k = _k(delight_loyalty=delight, delight_from=start)
    u_low = choice.emotional_utility(weight, attachment, low, k)
    u_high = choice.emotional_utility(weight, attachment, high, k)
    assert u_low <= u_high
    plain = choice.emotional_utility(weight, attachment, 0.0, _k(delight_loyalty=0.0))
    if high <= start:
        assert u_high == choice.emotional_utility(weight, attachment, 0.0, k)  # below: nothing
    assert choice.emotional_utility(weight, attachment, high, _k(delight_loyalty=0.0)) == plain  # off: exact


def defection_by_box(delight: float, seed: int = 2) -> dict[int, float]:
    """Pharmacy and brand customers surveyed at week 103 (their satisfaction box with their base
    firm); share who left that firm's base 52 weeks later, when a supermarket with the same items
    has opened next to the pharmacy (week 104) - per box 4 ('satisfied') and 5 ('completely')."""
    model = LoyaltyModel(
        "pharmacy_vs_brand",
        rng=seed,
        engine="numba",
        overrides={
            "market.customers": 6000,
            "behaviour.delight_loyalty": delight,
            # next door, as in the Jones & Sasser finding (the shipped town has it 1.2 km away)
            "firms.supermarket.x_km": 1.6,
            "firms.supermarket.y_km": 1.7,
        },
    )
    run_until(model, 103)
    base = base_now(model)
    ids = np.flatnonzero((base >= 0) & (base < model.n_firms))
    firm = base[ids].astype(np.int64)
    box = satisfaction_box(model.state.satisfaction[ids, firm])
    run_until(model, 103 + 52)
    left = base_now(model)[ids] != firm
    return {b: float(left[box == b].mean()) for b in (4, 5)}


@pytest.mark.slow
def test_top_box_customers_defect_less_than_merely_satisfied_ones_against_the_coefficient_at_0():
    """With the pull of complete satisfaction the top box defects far less, box 4 about as much:
    the gap between 'satisfied' and 'completely satisfied' widens (the Xerox shape; the shipped
    default is milder, see the parameter's description). Means over seeds 1-3: one seed is luck
    at the threshold (box 5 leaves, with and without: seed 1 21 / 38 %, seed 2 17 / 27 %, seed 3
    21 / 34 %, seed 4 24 / 35 %; box 4 51-61 % either way; since 2026-12-06's quitting)."""
    runs = [(defection_by_box(20.0, s), defection_by_box(0.0, s)) for s in (1, 2, 3)]
    on = {b: float(np.mean([r[0][b] for r in runs])) for b in (4, 5)}
    off = {b: float(np.mean([r[1][b] for r in runs])) for b in (4, 5)}
    assert on[5] < off[5] - 0.1, (on, off)
    assert (on[4] - on[5]) > (off[4] - off[5]) + 0.05, (on, off)
    assert abs(on[4] - off[4]) < 0.1, (on, off)


#: A small town with every store open after a short warm-up: the engines' runs of satisfaction's
#: mechanisms (here and tests/test_perceived_satisfaction.py).
SMALL_OPEN_TOWN = {"market.customers": 300, "market.warmup_weeks": 10, "firms.supermarket.open": True}


@pytest.mark.slow
def test_engines_agree_with_satisfaction_in_the_choice():
    ref, fast = run_both(
        "pharmacy_vs_brand",
        20,
        {**SMALL_OPEN_TOWN, "behaviour.delight_loyalty": 30.0, "behaviour.delight_from": 0.6},
        seed=4,
    )
    assert_same_run(ref, fast)
