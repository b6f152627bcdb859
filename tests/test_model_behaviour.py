"""The cases the model must tell apart (docs/design.md section 1), checked on real runs.

Each test runs a shipped scenario at 3,000 customers (the numba engine: the reference engine gives
the same numbers, tests/test_engines.py; at 1,000 customers a store has a handful of staff, whose
luck drowns the effects) and checks that the outcome follows from the mechanism - and, where a
parameter drives it, that moving the parameter moves the outcome the right way. Magnitudes are
those of the credible-numbers calibration (gradual, not switches); the measured values are in each
test's comment.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from loyaltysim.counterfactual import event_effects
from loyaltysim.simulate import simulate

N = 3000
SHOCK = 104  # week the supermarket opens in the shipped town


@functools.cache
def run(name: str, weeks: int | None = None, **overrides) -> pd.DataFrame:
    """Firm-weekly table of one run, cached across tests (same inputs, same numbers)."""
    result = simulate(
        name,
        customers=N,
        weeks=weeks,
        engine="numba",
        overrides={k.replace("__", "."): v for k, v in overrides.items()},
    )
    return result.firm_weekly.set_index(["week", "firm"])


def value(df: pd.DataFrame, firm: str, metric: str, weeks: range | int) -> float:
    """Mean of a metric for a firm over weeks."""
    weeks = [weeks] if isinstance(weeks, int) else list(weeks)
    return float(df.loc[(weeks, firm), metric].mean())


def kept_after_shock(df: pd.DataFrame, firm: str) -> float:
    """Share of the firm's customer base kept 26 weeks after the supermarket opened."""
    return value(df, firm, "customer_base", SHOCK + 26) / value(df, firm, "customer_base", SHOCK - 1)


def test_pharmacy_retains_without_loyalty_and_brand_is_loved():
    df = run("pharmacy_vs_brand", weeks=140)
    before = range(SHOCK - 26, SHOCK)
    # Retention without loyalty: the pharmacy's purchase retention at least close to the loved
    # brand's (seeds 1-3: +1.0 points on average, -0.1 to +1.6 by seed; tests/test_credible_model.py).
    assert (
        value(df, "pharmacy", "retention_purchase", before)
        >= value(df, "brand", "retention_purchase", before) - 0.04
    )
    pharmacy_base = value(df, "pharmacy", "customer_base", SHOCK - 1)
    brand_base = value(df, "brand", "customer_base", SHOCK - 1)
    assert value(df, "pharmacy", "spurious_loyal", SHOCK - 1) > 0.5 * pharmacy_base
    assert value(df, "brand", "true_loyal", SHOCK - 1) > 0.5 * brand_base


def test_supermarket_takes_the_pharmacys_customers_not_the_brands():
    # Measured: the pharmacy keeps 0.51 of its base, the brand 0.93 (tests/test_credible_model.py
    # measures the same against the run without the supermarket: revenue -37..-45 % vs -4..-5 %).
    df = run("pharmacy_vs_brand", weeks=140)
    assert kept_after_shock(df, "pharmacy") < 0.8
    assert kept_after_shock(df, "brand") > 0.85
    assert kept_after_shock(df, "brand") > kept_after_shock(df, "pharmacy") + 0.15


def test_dick_basu_cells_add_up_to_the_customer_base():
    df = run("pharmacy_vs_brand", weeks=140)
    cells = df[["true_loyal", "spurious_loyal", "latent_loyal", "no_loyal"]].sum(axis=1)
    pd.testing.assert_series_equal(cells, df["customer_base"], check_names=False, check_dtype=False)


def test_brand_culture_makes_the_pharmacy_keep_its_customers():
    """Same store, same place, same prices: only the culture changes, and with it the outcome."""
    brand_culture = {
        "firms__pharmacy__culture__" + key: value
        for key, value in {
            "trust": 0.9,
            "training": 0.9,
            "recognition": 0.85,
            "transparency": 0.8,
            "empathy": 0.9,
            "listening": 0.85,
            "relationship_building": 0.7,
            "leadership_commitment": 0.9,
            "empowerment__frontline": 100.0,
        }.items()
    }
    baseline = run("pharmacy_vs_brand", weeks=140)
    cultured = run("pharmacy_vs_brand", weeks=140, **brand_culture)
    assert (
        value(cultured, "pharmacy", "loyalty_rate", SHOCK - 1)
        > value(baseline, "pharmacy", "loyalty_rate", SHOCK - 1) + 0.3
    )
    # Loses at most half as many of its customers to the supermarket, 26 weeks after the opening,
    # pooled over seeds 1-3: the ratio is about one half and one seed cannot test "at most half"
    # (seeds 1-5 since staff quit at retail rates, 2026-12-06: lost 17.2 / 33.5 %, 17.9 / 38.4,
    # 15.0 / 34.5, 17.3 / 34.8, 20.2 / 37.8; seed 1 was 15 / 35 before).
    lost = {
        name: [
            1 - kept_after_shock(run("pharmacy_vs_brand", weeks=140, market__seed=s, **c), "pharmacy")
            for s in (1, 2, 3)
        ]
        for name, c in (("cultured", brand_culture), ("baseline", {}))
    }
    assert np.mean(lost["cultured"]) < 0.5 * np.mean(lost["baseline"]), lost


def test_emotion_weight_is_what_keeps_the_brand():
    """Take away the pull of attachment in the choice (its weight and the resistance of the truly
    loyal) and the supermarket's opening takes far more of the brand's customers - measured
    against the same run without the opening (counterfactual, common random numbers), 26 weeks
    after it. Measured 2026-12-07, share of the base lost at seeds 1-5: 0.106, 0.120, 0.092,
    0.127, 0.094 with the pull; 0.262, 0.245, 0.225, 0.237, 0.243 without - 2.24 times as many
    over the five seeds, 1.86-2.58 seed by seed. Pooled over five seeds: until 2026-12-07 this
    test asked for twice as many at each of seeds 1-3, and seed 2 sat at 2.04 while the untested
    seed 4 gave 1.86 - a line one seed's noise decides. (A before/after ratio of the base, which
    this test read before that, moved with the market's own drift: 0.19 on seed 1 but -0.03 on
    seed 5.)"""

    def lost(seed: int, **overrides) -> float:
        effects = event_effects(
            "pharmacy_vs_brand",
            overrides={"market.customers": N, "market.weeks": 140, "market.seed": seed, **overrides},
        )
        row = effects.query("event_week == @SHOCK and firm == 'brand' and metric == 'customer_base'")
        return -float(row["effect_share"].iloc[0])

    no_pull = {
        "customers.emotion_weight.mean": 0.0,
        "customers.emotion_weight.sd": 0.0,
        "behaviour.loyalty_resistance": 0.0,
    }
    seeds = (1, 2, 3, 4, 5)
    with_pull = np.array([lost(s) for s in seeds])
    without_pull = np.array([lost(s, **no_pull) for s in seeds])
    assert (with_pull > 0).all()  # the opening costs the brand something either way
    assert (without_pull > with_pull + 0.08).all(), (with_pull, without_pull)
    assert without_pull.mean() > 2 * with_pull.mean(), (with_pull, without_pull)


def test_raising_the_frontline_limit_resolves_more_on_the_spot():
    weeks = range(20, SHOCK)
    low = run("corner_pharmacy", weeks=SHOCK - 1)
    high = run("corner_pharmacy", weeks=SHOCK - 1, firms__pharmacy__culture__empowerment__frontline=150.0)

    def per_complaint(df, metric):
        return value(df, "pharmacy", metric, weeks) / value(df, "pharmacy", "complaints", weeks)

    assert per_complaint(high, "resolved_on_spot") > per_complaint(low, "resolved_on_spot") + 0.2
    assert per_complaint(high, "escalations") < per_complaint(low, "escalations") - 0.2


def test_fear_culture_fails_recovery_and_breeds_detractors():
    weeks = range(52, SHOCK)
    fear = run("fear_culture", weeks=SHOCK - 1)
    trust = run("loyal_brand", weeks=SHOCK - 1)
    assert value(fear, "brand", "recovery_rate", weeks) < value(trust, "brand", "recovery_rate", weeks) - 0.2

    def detractor_share(df):
        return value(df, "brand", "detractors", weeks) / value(df, "brand", "customer_base", weeks)

    # Measured: recovery 0.28 vs 0.84; detractors 4.2 % vs 1.3 % of the base.
    assert detractor_share(fear) > max(2 * detractor_share(trust), detractor_share(trust) + 0.02)


def test_monopoly_retains_everyone_loves_few_and_carries_a_backlog():
    """Measured: retention 1.0, loyalty rate 0.09, backlog 237, 206, 191 complaints at weeks 26, 78,
    156 - it levels off where expiry and listening absorb the inflow (issue 16), instead of growing
    without end as it did before backlog_expiry."""
    df = run("public_service_monopoly", weeks=156)
    assert value(df, "agency", "retention_purchase", range(26, 157)) > 0.99
    assert value(df, "agency", "loyalty_rate", range(26, 157)) < 0.15
    backlog = [value(df, "agency", "backlog", w) for w in (26, 78, 156)]
    assert 0.7 < backlog[2] / backlog[1] < 1.3
    assert min(backlog) > 0.02 * N  # unresolved complaints stay on the books


def test_turnaround_engagement_leads_and_loyalty_lags():
    df = run("turnaround", weeks=180)
    start = 104
    engagement = df.xs("discounter", level="firm")["engagement_mean"]
    loyalty = df.xs("discounter", level="firm")["loyalty_rate"]
    # Engagement rises within weeks of the culture change (the store has six posts, so weekly
    # means jump with who is hired: compared over five weeks either side; measured +0.04 to
    # +0.09 with the seeds of this round)...
    before = engagement.loc[start - 5 : start - 1].mean()
    assert engagement.loc[start + 2 : start + 6].mean() > before + 0.03
    # ... loyalty is still where it was then, and only rises later.
    assert loyalty.loc[start + 4] < loyalty.loc[start - 1] + 0.05
    assert loyalty.loc[180] > loyalty.loc[start - 1] + 0.3

    def halfway(series):
        lo, hi = series.loc[start - 1], series.loc[start:].max()
        return int(series.loc[start:][series.loc[start:] >= lo + 0.5 * (hi - lo)].index[0])

    assert halfway(loyalty) - halfway(engagement) >= 10


@pytest.mark.parametrize("name", ["discount_chain"])
def test_discount_chain_is_overloaded_and_loses_to_the_supermarket(name):
    df = run(name, weeks=140)
    # Measured: overload 1.00 (staffed to capacity, 3.5x the brand's load); keeps 0.56 of its base.
    assert value(df, "discounter", "overload", range(52, SHOCK)) > 0.95
    brand = run("loyal_brand", weeks=140)
    assert value(df, "discounter", "failures", range(52, SHOCK)) / value(
        df, "discounter", "purchases", range(52, SHOCK)
    ) > value(brand, "brand", "failures", range(52, SHOCK)) / value(
        brand, "brand", "purchases", range(52, SHOCK)
    )
    assert kept_after_shock(df, "discounter") < 0.8
