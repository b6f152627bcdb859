"""Validation findings 4 and 5: the service-profit chain across stores, and Bass diffusion.

Each finding runs once per module at --quick size; the comparisons it claims to reproduce are
asserted, the ones the model honestly does not reproduce are asserted to be reported as such.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy.integrate import solve_ivp

from loyaltysim.validation import ValidationExperimentError, load_validation, run_finding
from loyaltysim.validation.bass_curve import (
    bass_peak_time,
    bass_share,
    calibrate,
    fit_bass,
    max_gap,
    mean_field_aware,
    nominal_mapping,
    peak_time,
)
from loyaltysim.validation.experiment import validation_dir
from loyaltysim.validation.findings import bass_diffusion
from loyaltysim.validation.findings import service_profit_chain as spc
from loyaltysim.validation.unit_stats import Estimate, correlation, fifths, latin_hypercube, ratio_of_means

# --------------------------------------------------------------------------------------------------
# Service-profit chain


@pytest.fixture(scope="module")
def chain():
    # Full size (240 stores of 3,000 households): since employees differ in disposition, the
    # correlations of 100 stores of 1,500 (--quick, a handful of posts each) are too noisy to
    # test a sign (r(engagement, turnover) -0.13, its interval crossing 0); full size gives -0.27.
    return run_finding("service_profit_chain", quick=False)


def test_chain_correlations_have_the_published_signs_and_sizes(chain):
    for start in ("r(engagement, customer loyalty)", "r(engagement, employee turnover)"):
        found = [c for c in chain.comparisons if c.quantity.startswith(start)]
        assert len(found) == 2 and all(c.reproduced for c in found), found  # sign and size
    loyal = chain.settings["estimates"]["r_engagement_loyalty"]
    turn = chain.settings["estimates"]["r_engagement_turnover"]
    assert 0 < loyal["low"] <= loyal["value"] <= loyal["high"]
    assert 0.165 <= loyal["value"] <= 0.66
    assert turn["low"] <= turn["value"] <= turn["high"] < 0
    assert -0.60 <= turn["value"] <= -0.15


def test_chain_sales_contrast_is_reported_as_not_reproduced_with_the_reason(chain):
    # The model does not reproduce Taco Bell's sales contrast: the report must say so and why.
    # The profit contrast holds since issue 17's turnover costs (hiring cost, vacancies,
    # onboarding): the highest-turnover fifth of stores makes a loss on average.
    sales = chain.comparison("sales: lowest- / highest-turnover")
    profit = chain.comparison("profit: lowest- / highest-turnover")
    assert not sales.reproduced and profit.reproduced
    assert chain.verdict == "partly reproduced"
    assert "not reproduced" in chain.discussion
    assert "threshold" in chain.discussion and "quit_threshold" in chain.discussion
    ratio = chain.settings["estimates"]["sales_ratio"]
    assert ratio["low"] <= 1.0  # the criterion evaluated on the numbers
    # A calibration sees how far the interval's lower end lies under 1.
    assert sales.margin.shortfall == pytest.approx(1.0 - ratio["low"])
    for sign in ("r(engagement, customer loyalty) across", "r(engagement, employee turnover): sign"):
        held = chain.comparison(sign)
        assert held.reproduced and held.margin.shortfall == 0.0


def test_chain_reports_how_much_of_turnover_is_chance_and_research_s_turnover_sales_relation(chain):
    """Measured (240 stores, 2026-12-07): 91 % of the spread of turnover across the stores is
    chance; r(turnover, sales) +0.04 (95 % CI -0.08 to 0.16), weaker than Park & Shaw's -0.15, at
    which this panel's spread of sales (coefficient of variation 0.31) would give 1.14 x."""
    est = chain.settings["estimates"]
    assert 0.5 < est["turnover_chance_share"] <= 1.0  # the stores differ in turnover mostly by luck
    r = Estimate(**est["r_turnover_sales"])
    assert r.low <= r.value <= r.high
    assert f"{est['turnover_chance_share']:.0%} of its spread" in chain.discussion
    assert f"with sales at r = {r.text()},\n{spc._against_meta(r)}." in chain.discussion
    expected = spc.expected_fifth_ratio(spc.META_R_TURNOVER_PERFORMANCE, est["sales_cv"])
    assert f"about\n{expected:.2f} x what the highest-turnover" in chain.discussion
    assert 1.0 < expected < 1.5  # research's relation gives nothing like Taco Bell's 2 x


@pytest.mark.parametrize(
    ("low", "high", "said"),
    [
        (-0.3, -0.05, "consistent with that value"),
        (-0.08, 0.16, "weaker than that"),
        (-0.5, -0.2, "stronger than that"),
    ],
)
def test_the_model_s_turnover_sales_relation_is_placed_against_the_meta_analysis(low, high, said):
    assert spc._against_meta(Estimate((low + high) / 2, low, high)) == said


@settings(deadline=None)
@given(r=st.floats(-0.9, 0.9), cv=st.floats(0.01, 0.5), seed=st.integers(0, 2**32 - 1))
def test_expected_fifth_ratio_is_what_a_bivariate_normal_panel_shows(r, cv, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(400_000)
    y = 1.0 + cv * (r * x + np.sqrt(1 - r * r) * rng.standard_normal(len(x)))
    low, high = np.quantile(x, [0.2, 0.8])
    wanted = y[x <= low].mean() / y[x >= high].mean() if r <= 0 else y[x >= high].mean() / y[x <= low].mean()
    assert spc.expected_fifth_ratio(r, cv) == pytest.approx(wanted, rel=0.01)
    assert spc.expected_fifth_ratio(0.0, cv) == 1.0


@settings(deadline=None)
@given(
    rate=st.floats(0.1, 2.0),
    staff=st.integers(5, 40),
    spread=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_chance_share_is_near_one_when_stores_share_a_rate_and_falls_as_their_rates_spread(
    rate, staff, spread, seed
):
    """Stores of ``staff`` employees measured for two years, quitting as Poisson events at rates
    spread uniformly by +-``spread`` x ``rate``: the chance share is the noise's part of the spread."""
    rng = np.random.default_rng(seed)
    rates = rate * (1.0 + spread * rng.uniform(-1.0, 1.0, 4000))
    quits = rng.poisson(rates * staff * 2.0)
    turnover = pd.Series(quits / staff / 2.0)
    share = spc.chance_share(turnover, pd.Series(quits / (staff * 2.0) ** 2))
    chance = rate / (staff * 2.0)  # Poisson variance of a rate measured over staff x 2 years
    true_var = (rate * spread) ** 2 / 3.0
    assert share == pytest.approx(min(1.0, chance / (chance + true_var)), abs=0.08)


def test_chain_discussion_states_what_drives_sales(chain):
    est = chain.settings["estimates"]
    for key in ("sales_r2_culture", "sales_r2_situation", "profit_r2_culture", "profit_r2_situation"):
        assert 0.0 <= est[key] <= 1.0
    assert f"{est['sales_r2_situation']:.0%} of the spread of sales" in chain.discussion
    situation_first = est["sales_r2_situation"] > est["sales_r2_culture"]
    assert ("Sales follow the store's situation" in chain.discussion) == situation_first
    r = est["r_engagement_sales"]
    assert r["low"] <= r["value"] <= r["high"]


def test_chain_culture_alone_panel_is_reported_consistently(chain):
    alone = chain.settings["estimates"]["culture_only"]
    assert alone["stores"] == 120
    # Since employees differ in disposition the turnover link of this panel is weak (measured
    # r = -0.11, 95 % CI -0.27 to 0.07): its sign is checked and the report must print it.
    assert alone["r_engagement_loyalty"]["low"] > 0 and alone["r_engagement_turnover"]["value"] < 0
    assert f"with turnover at\nr = {alone['r_engagement_turnover']['value']:.2f}" in chain.discussion
    clear = alone["sales_ratio"]["low"] > 1.0 and alone["profit_ratio"]["low"] > 1.0
    assert ("is then clearly ahead" in chain.discussion) == clear
    assert ("not clearly ahead" in chain.discussion) == (not clear)


def test_chain_table_and_figure(chain):
    assert isinstance(chain.figure, Figure)
    stores = chain.settings["stores"]
    assert stores == 240
    for ranked in ("turnover", "engagement"):
        part = chain.table[chain.table["stores ranked by"] == ranked]
        assert part["stores"].sum() == stores and len(part) == 5
        assert part[ranked].is_monotonic_increasing
    alone = chain.table[chain.table["stores ranked by"] == "turnover (culture varied alone)"]
    assert alone["stores"].sum() == 120 and alone["turnover"].is_monotonic_increasing
    turnover = chain.table[chain.table["stores ranked by"] == "turnover"]
    assert turnover["turnover"].iloc[-1] > 2 * turnover["turnover"].iloc[0]


# --------------------------------------------------------------------------------------------------
# Bass diffusion


@pytest.fixture(scope="module")
def bass():
    return run_finding("bass_diffusion", quick=True)


def test_bass_yearly_rates_read_literally_follow_the_closed_form(bass):
    # p and q are yearly rates: read as a = p / 52, s = q / (52 k) a week, the curve is Bass's.
    assert bass.comparison("share who tried, p and q per year read literally").reproduced
    assert bass.comparison("peak of adoption, p and q per year").reproduced
    slow = bass.table[bass.table["pace"] == "p, q per year"]
    assert slow["t"].iloc[-1] == 20 and len(slow) == 81  # every quarter of 20 years
    gap = np.abs(slow["tried, p and q read literally"] - slow["Bass F(t)"]).max()
    year = bass.settings["mappings"]["per year"]
    assert gap <= year["max gap pp"] / 100 + 1e-9 <= 0.02  # the table samples the weeks compared
    assert year["advertising a"] == pytest.approx(0.03 / 52, rel=0.01) and year["weeks per unit of t"] == 52
    assert year["fitted p"] == pytest.approx(0.03, rel=0.2)
    assert year["fitted q"] == pytest.approx(0.38, rel=0.1)
    assert bass.verdict == "reproduced"


def test_bass_calibrated_weekly_run_follows_the_closed_form(bass):
    assert bass.comparison("at a weekly pace: share who tried, calibrated").reproduced
    assert bass.comparison("peak of weekly adoption").reproduced
    assert bass.comparison("shape: best-fitting Bass").reproduced
    fast = bass.table[bass.table["pace"] == "p, q per week"]
    gap = np.abs(fast["tried, calibrated weekly parameters"] - fast["Bass F(t)"]).max()
    assert gap <= 0.02
    assert bass.settings["mappings"]["calibrated"]["max gap pp"] == pytest.approx(100 * gap, abs=1e-3)


def test_bass_p_and_q_read_per_week_lag_the_curve_and_the_report_says_why(bass):
    fast = bass.table[bass.table["pace"] == "p, q per week"]
    gap = np.abs(fast["tried, p and q read literally"] - fast["Bass F(t)"]).max()
    assert gap > 0.1
    assert bass.settings["mappings"]["nominal"]["max gap pp"] == pytest.approx(100 * gap, abs=1e-3)
    assert "they cannot" in bass.discussion and "two lags" in bass.discussion
    assert "can be read as Bass's p and q" in bass.discussion


def test_bass_simulation_matches_the_mean_field_recursion(bass):
    for mapping in ("per year", "nominal", "calibrated"):
        assert bass.settings["mappings"][mapping]["sim vs mean-field pp"] < 1.5


def test_bass_closed_form_solves_the_bass_equation():
    p, q = 0.03, 0.38
    t = np.linspace(0, 30, 61)
    ode = solve_ivp(lambda _t, f: (p + q * f) * (1 - f), (0, 30), [0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    assert np.allclose(bass_share(t, p, q), ode.y[0], atol=1e-7)
    fine = np.linspace(0, 30, 30001)
    density = np.gradient(bass_share(fine, p, q), fine)
    assert bass_peak_time(p, q) == pytest.approx(fine[np.argmax(density)], abs=2e-3)
    assert bass_peak_time(p, q) == pytest.approx(6.19, abs=0.01)


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0.001, 0.5), weeks=st.integers(1, 40), ties=st.integers(1, 64))
def test_mean_field_without_word_of_mouth_is_pure_advertising(a, weeks, ties):
    aware = mean_field_aware(a, 0.0, ties, weeks)
    assert np.allclose(aware, 1 - (1 - a) ** np.arange(weeks + 1))


def test_calibration_reaches_the_tolerance_the_literal_mapping_misses():
    p, q, k = 0.03, 0.38, 64
    literal = mean_field_aware(*nominal_mapping(p, q, k), k, 30)
    calibrated = mean_field_aware(*calibrate(p, q, k, 30), k, 30)
    assert max_gap(literal, p, q) > 0.2
    assert max_gap(calibrated, p, q) < 0.015
    assert fit_bass(bass_share(np.arange(31), 0.05, 0.5)) == pytest.approx((0.05, 0.5), rel=1e-3)
    assert peak_time(bass_share(np.arange(31), p, q)) == pytest.approx(bass_peak_time(p, q), abs=0.02)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.005, 0.1), ratio=st.floats(3.0, 40.0), per=st.sampled_from([1, 4, 13, 52]))
def test_peak_time_finds_bass_peak_at_any_number_of_weeks_per_unit(p, ratio, per):
    q = p * ratio
    assume(q <= 1.0 and bass_peak_time(p, q) >= 2.0)  # published yearly q lie below 1
    t = np.arange(int(np.ceil(3 * bass_peak_time(p, q) + 3)) * per + 1) / per
    assert peak_time(bass_share(t, p, q), per) == pytest.approx(bass_peak_time(p, q), abs=0.03 + 0.5 / per)
    assert max_gap(bass_share(t, p, q), p, q, per) == 0.0


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.005, 0.1), ratio=st.floats(3.0, 40.0))
def test_rates_read_per_unit_at_weekly_steps_converge_to_bass(p, ratio):
    # The model's weekly lags are 2 / per of a unit of t: the more weeks in a unit, the closer the
    # literal reading a = p / per, s = q / (k per) comes to Bass's curve (0.6 pp at p = 0.03,
    # q = 0.38 and 52 weeks, 23 pp at 1).
    q, k = p * ratio, 64
    assume(q <= 1.0)
    span = int(np.ceil(3 * bass_peak_time(p, q) + 3))
    gaps = []
    for per in (1, 4, 13, 52):
        a, s = nominal_mapping(p, q, k, per)
        assert a == pytest.approx(p / per) and k * s * per == pytest.approx(q)
        gaps.append(max_gap(mean_field_aware(a, s, k, span * per), p, q, per))
    # each fourfold of weeks per unit at least nearly halves the gap (at most x 0.44 over a grid of
    # these p and q), and at 52 a unit it is within a few points of Bass (2.3 at most on that grid)
    assert all(finer < 0.6 * coarser for coarser, finer in itertools.pairwise(gaps)), gaps
    assert gaps[-1] < 0.03, gaps


def test_model_trial_lags_awareness_by_one_week_and_ads_reach_a_share_a():
    # Ingredients of the mapping, checked on the model itself: with word of mouth off, awareness
    # grows as 1 - (1 - a)^w and every customer aware by the end of week w has tried by w + 1.
    loaded = load_validation("bass_diffusion", quick=True)
    a = 0.1
    sim = bass_diffusion.run_diffusion(loaded, a, 0.0, 8)
    aware, tried = sim["aware"].to_numpy(), sim["tried"].to_numpy()
    assert np.array_equal(tried[1:], aware[:-1])
    n = loaded.scenario().market.customers
    expected = 1 - (1 - a) ** np.arange(9)
    assert np.all(np.abs(aware[:9] - expected) <= 4 * np.sqrt(0.25 / n) + 1e-12)


# --------------------------------------------------------------------------------------------------
# Statistics helpers


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 60), d=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_latin_hypercube_puts_one_point_in_every_stratum(n, d, seed):
    ranges = {f"k{j}": (float(j), float(j) + 2.0) for j in range(d)}
    points = latin_hypercube(ranges, n, seed)
    assert points == latin_hypercube(ranges, n, seed)
    for j in range(d):
        values = np.array([pt[f"k{j}"] for pt in points])
        strata = np.floor((values - j) / 2.0 * n).astype(int)
        assert sorted(strata) == list(range(n))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 5), min_size=5, max_size=80))
def test_fifths_have_equal_sizes_and_follow_the_ranking(values):
    group = fifths(np.array(values))
    sizes = np.bincount(group, minlength=5)
    assert sizes.max() - sizes.min() <= 1
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(group[order]) >= 0)


def test_correlation_and_ratio_estimates():
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = 0.5 * x + rng.normal(size=400)
    est = correlation(x, y, 1000, 1)
    assert est.value == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert est.low < est.value < est.high and est.low > 0.2 and est.high < 0.6
    ratio = ratio_of_means(np.full(30, 3.0) + rng.normal(0, 0.1, 30), np.full(30, 2.0), 1000, 1)
    assert 1.45 < ratio.low < ratio.value < ratio.high < 1.55
    assert np.isnan(ratio_of_means(np.ones(5), -np.ones(5), 100, 1).value)


# --------------------------------------------------------------------------------------------------
# Experiment files


def test_experiment_files_load_at_both_sizes():
    chain_full = load_validation("service_profit_chain")
    chain_quick = load_validation("service_profit_chain", quick=True)
    assert len(chain_full.seeds) == 240 and len(chain_quick.seeds) == 100
    assert chain_full.scenario().market.customers > chain_quick.scenario().market.customers
    assert "firms.store.culture.trust" in chain_full.params.culture
    assert "market.outside_utility" in chain_full.params.situation
    bass = load_validation("bass_diffusion", quick=True)
    spec = bass.scenario()
    assert spec.network.far_tie_share == 1.0 and not spec.market.outside_option
    assert spec.firms["newcomer"].known_share == 0.0
    assert spec.behaviour.delight_threshold == 0.0 and spec.behaviour.lapse_mean == 0.0
    assert bass.params.p == 0.03 and bass.params.q == 0.38 and bass.params.weeks_per_period == 52


def _copy(tmp_path, key: str, replace: tuple[str, str]):
    text = (validation_dir() / f"{key}.toml").read_text()
    scenario = text.split('scenario = "', 1)[1].split('"', 1)[0]
    text = text.replace(
        f'scenario = "{scenario}"', f'scenario = "{(validation_dir() / scenario).as_posix()}"'
    )
    assert replace[0] in text
    path = tmp_path / f"{key}.toml"
    path.write_text(text.replace(*replace))
    return path


@pytest.mark.parametrize(
    ("key", "replace", "key_path"),
    [
        (
            "service_profit_chain",
            ('loyalty_metric = "loyalty_rate"', 'loyalty_metric = "nps"'),
            "params.loyalty_metric",
        ),
        (
            "service_profit_chain",
            ('"firms.store.culture.trust" = [0.0, 1.0]', '"firms.store.culture.trsut" = [0.0, 1.0]'),
            "params.culture",
        ),
        (
            "service_profit_chain",
            ('"market.town_km" = [2.0, 6.0]', '"market.town_km" = [6.0, 2.0]'),
            "params.situation",
        ),
        ("bass_diffusion", ("q = 0.38", "q = -1"), "params.q"),
        ("bass_diffusion", ("tolerance_pp = 2.0", "tolerance = 2.0"), "params.tolerance"),
    ],
)
def test_invalid_params_name_the_file_and_the_key(tmp_path, key, replace, key_path):
    path = _copy(tmp_path, key, replace)
    with pytest.raises(ValidationExperimentError) as info:
        load_validation(path)
    message = str(info.value)
    assert str(path) in message and key_path in message


@pytest.mark.parametrize(
    ("key", "replace", "key_path"),
    [
        (
            "service_profit_chain",
            ('"firms.store.deals" = [0.0, 0.6]', '"firms.shop.deals" = [0.0, 0.6]'),
            "params.situation.firms.shop.deals",
        ),
        (
            "service_profit_chain",
            ('"firms.store.deals" = [0.0, 0.6]', '"firms.store.deals" = [0.0, 1.6]'),
            "params.situation.firms.store.deals",
        ),
        ("bass_diffusion", ("[quick]", '[quick]\n"network.far_tie_share" = 0.5'), "network.far_tie_share"),
    ],
)
def test_settings_the_scenario_rejects_stop_the_run_naming_the_file(tmp_path, key, replace, key_path):
    path = _copy(tmp_path, key, replace)
    with pytest.raises(ValidationExperimentError) as info:
        run_finding(str(path), quick=True)
    assert str(path) in str(info.value) and key_path in str(info.value)


def test_cli_runs_bass_diffusion_and_writes_the_report(tmp_path):
    out = tmp_path / "validation.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "validate",
            "--quick",
            "--only",
            "bass_diffusion",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Word of mouth follows Bass diffusion: reproduced (5/5" in done.stdout
    text = out.read_text()
    assert "## Word of mouth follows Bass diffusion" in text and "largest gap" in text
    assert (tmp_path / "validation" / "bass_diffusion.png").stat().st_size > 10_000
