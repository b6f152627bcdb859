"""Plausibility of the shipped scenarios against published ranges (loyaltysim.validation.plausibility).

Two parts:

* the metric functions, criteria, ranges, table and report plumbing on small hand-made frames
  (fast tier);
* the real check (slow tier, tests/conftest.py ``SLOW_TESTS``): every shipped scenario at 3,000
  customers and 3 seeds lies inside the widest published range of every quantity and meets every
  heterogeneity criterion of issue 16 - one test per scenario and quantity, so that a failure
  names both. The runs are made once per scenario (module-scope cache).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
import pytest

from loyaltysim.scenario import load_scenario
from loyaltysim.shipped import shipped_scenarios
from loyaltysim.validation.plausibility import (
    CELLS,
    CLASSES,
    CRITERIA,
    EXPECTED,
    FULL_SIZE,
    OPENING_QUANTITIES,
    OPENING_WEEKS,
    QUANTITIES,
    RANGES,
    SECTION_TITLE,
    SYSTEMATIC_MISSES,
    Band,
    ScenarioMeasurement,
    attachment_sd,
    cell_share,
    check_attachment_sd,
    check_dick_basu,
    check_engaged_share,
    check_loyalty_rate,
    class_misses_text,
    complaint_share,
    disengaged_share,
    engaged_share,
    loyalty_rate,
    measure,
    measure_scenario,
    nps_base,
    opening_week,
    plausibility_markdown,
    plausibility_table,
    problems_per_visit,
    staff_cost_share,
    steady_window,
    write_plausibility,
    yearly_turnover,
)
from loyaltysim.validation.report import SECTION_END, SECTION_START, extract_section, replace_section

SHIPPED = sorted(shipped_scenarios())  # the project's own listing, not a hard-coded one


def weeks(**columns: list[float]) -> pd.DataFrame:
    """A firm's weekly rows with the given columns (one value per week)."""
    return pd.DataFrame(columns)


# -- metric functions -------------------------------------------------------------------------------
def test_nps_is_promoters_minus_detractors_over_the_whole_base():
    w = weeks(promoters=[30, 50], detractors=[10, 10], customer_base=[100, 100])
    assert nps_base(w) == pytest.approx(100 * (80 - 20) / 200)
    assert nps_base(weeks(promoters=[0, 10], detractors=[60, 90], customer_base=[100, 100])) == -70
    assert math.isnan(nps_base(weeks(promoters=[0], detractors=[0], customer_base=[0])))


def test_staff_shares_are_weekly_means_in_percent():
    w = weeks(engaged_share=[0.2, 0.4], disengaged_share=[0.1, float("nan")])
    assert engaged_share(w) == pytest.approx(30.0)
    assert disengaged_share(w) == pytest.approx(10.0)  # a week without staff is skipped


def test_yearly_turnover_is_the_mean_weekly_turnover_times_52():
    assert yearly_turnover(weeks(turnover=[0.0, 0.02, 0.01])) == pytest.approx(52.0)
    assert yearly_turnover(weeks(turnover=[0.0, 0.0])) == 0.0


def test_problems_per_visit_and_complaint_share_pool_the_window():
    w = weeks(failures=[3, 1], purchases=[100, 100], complaints=[1, 3], silent_failures=[2, 2])
    assert problems_per_visit(w) == pytest.approx(2.0)
    assert complaint_share(w) == pytest.approx(50.0)
    assert math.isnan(complaint_share(weeks(complaints=[0], silent_failures=[0])))


def test_staff_cost_share_pools_wages_over_revenue_in_percent():
    w = weeks(wages=[1000.0, 3000.0], revenue=[10000.0, 10000.0])
    assert staff_cost_share(w) == pytest.approx(20.0)  # pooled, not the mean of 10 % and 30 %
    assert staff_cost_share(weeks(wages=[900.0], revenue=[1000.0])) == pytest.approx(90.0)
    assert math.isnan(staff_cost_share(weeks(wages=[500.0], revenue=[0.0])))  # a closed store


def test_loyalty_rate_and_dick_basu_cells():
    w = weeks(
        loyalty_rate=[0.5, float("nan"), 0.3],
        customer_base=[100, 0, 100],
        true_loyal=[40, 0, 20],
        spurious_loyal=[30, 0, 50],
        latent_loyal=[10, 0, 10],
        no_loyal=[20, 0, 20],
    )
    assert loyalty_rate(w) == pytest.approx(40.0)
    shares = [cell_share(w, c) for c in CELLS]
    assert shares == pytest.approx([30.0, 40.0, 10.0, 20.0])
    assert sum(shares) == pytest.approx(100.0)
    with pytest.raises(KeyError, match="unknown Dick & Basu cell"):
        cell_share(w, "loyal")


def test_attachment_sd_is_over_the_firms_own_base_only():
    attachment = np.array([[0.1, 0.9], [0.3, 0.9], [0.5, 0.0], [0.9, 0.2]], dtype=np.float32)
    base = np.array([0, 0, 0, 1], dtype=np.int8)
    assert attachment_sd(attachment, base, 0) == pytest.approx(np.std([0.1, 0.3, 0.5]))
    assert math.isnan(attachment_sd(attachment, base, 1))  # one customer: no spread
    assert math.isnan(attachment_sd(attachment, np.full(4, -1, dtype=np.int8), 0))


# -- ranges -----------------------------------------------------------------------------------------
def test_bands_contain_their_bounds_and_never_nan():
    band = Band(10, 45)
    assert 10 in band and 45 in band and 27.5 in band
    assert 9.99 not in band and 45.01 not in band and float("nan") not in band
    assert band.text("points") == "+10 to +45" and Band(0, 5).text("%") == "under 5 %"


def test_the_widest_range_runs_from_the_lowest_to_the_highest_published_bound():
    widest = {r.quantity: (r.widest.low, r.widest.high) for r in RANGES}
    assert widest == {
        "nps": (-30, 85),
        "engaged_share": (5, 75),
        "disengaged_share": (0, 35),
        "turnover": (10, 150),
        "problems_per_visit": (0, 12),
        "complaint_share": (30, 60),
        "staff_cost_share": (8, 35),
        "rival_revenue_loss": (0, 50),
    }
    nps = next(r for r in RANGES if r.quantity == "nps")
    assert 50 in nps.widest  # between typical and best: plausible
    assert nps.expected(("typical", "worst")) == Band(-30, 45)


def test_every_range_has_a_source_that_docs_sources_md_anchors():
    from pathlib import Path

    sources = (Path(__file__).resolve().parent.parent / "docs" / "sources.md").read_text(encoding="utf-8")
    for r in RANGES:
        assert r.source and r.quantity in QUANTITIES
        for anchor in r.anchor.split(","):
            assert f'<a id="{anchor}"></a>' in sources, (r.quantity, anchor)


# -- criteria ---------------------------------------------------------------------------------------
def test_attachment_spread_criterion():
    assert check_attachment_sd(0.1)[0] and check_attachment_sd(0.25)[0]
    assert not check_attachment_sd(0.099)[0]
    assert not check_attachment_sd(float("nan"))[0]
    assert "0.019" in check_attachment_sd(0.019)[1]


def cells(true: float, spurious: float, latent: float, none: float) -> dict[str, float]:
    return dict(zip(CELLS, (true, spurious, latent, none), strict=True))


def test_dick_basu_criterion_needs_three_cells_and_no_cell_above_80_percent():
    assert check_dick_basu(cells(30, 30, 30, 10))[0]
    assert check_dick_basu(cells(80, 10, 5, 5))[0]
    assert not check_dick_basu(cells(81, 9, 5, 5))[0]  # one cell holds nearly everyone
    assert not check_dick_basu(cells(50, 45, 3, 2))[0]  # only two cells present
    assert not check_dick_basu(cells(0, 99.9, 0, 0.1))[0]
    assert not check_dick_basu(cells(float("nan"), 0, 0, 0))[0]


def test_dick_basu_criterion_in_a_monopoly_needs_both_high_patronage_cells():
    assert check_dick_basu(cells(10, 90, 0, 0), monopoly=True)[0]
    assert not check_dick_basu(cells(0, 100, 0, 0), monopoly=True)[0]
    assert not check_dick_basu(cells(10, 90, 0, 0), monopoly=False)[0]


def test_loyalty_rate_criterion_is_strict():
    assert check_loyalty_rate(3.1)[0] and check_loyalty_rate(50)[0] and check_loyalty_rate(96.9)[0]
    for bad in (0.0, 3.0, 97.0, 100.0, float("nan")):
        assert not check_loyalty_rate(bad)[0], bad


def test_engaged_share_criterion_is_inclusive():
    assert check_engaged_share(5)[0] and check_engaged_share(80)[0]
    assert not check_engaged_share(4.9)[0] and not check_engaged_share(80.1)[0]
    assert not check_engaged_share(0.0)[0] and not check_engaged_share(98.0)[0]


# -- classes and windows ----------------------------------------------------------------------------
def test_every_shipped_scenario_has_an_expected_class_with_a_reason():
    assert set(EXPECTED) == set(SHIPPED)
    keys = {r.quantity for r in RANGES}
    for name, e in EXPECTED.items():
        assert e.default and set(e.default) <= set(CLASSES), name
        assert e.reason and "\n" not in e.reason, name
        assert set(e.per_quantity) <= keys, name
        for classes in e.per_quantity.values():
            assert classes and set(classes) <= set(CLASSES), name


def test_the_steady_window_ends_before_the_first_event_or_at_the_end():
    with_event = load_scenario("corner_pharmacy")  # the supermarket opens in week 104
    assert steady_window(with_event) == (52, 103)
    assert steady_window(with_event, 26) == (78, 103)
    without = load_scenario("public_service_monopoly", {"market.weeks": 100})
    assert steady_window(without) == (49, 100)
    assert steady_window(without, 500) == (1, 100)
    early = with_event.model_copy(update={"events": [with_event.events[0].model_copy(update={"week": 1})]})
    with pytest.raises(ValueError, match="no steady-state window"):
        steady_window(early)


# -- table and report -------------------------------------------------------------------------------
def fake_measurement(name: str, values: dict[str, float], monopoly: bool = False) -> ScenarioMeasurement:
    """A measurement of two seeds (value -/+ 0.001) of one focus firm ``shop``."""
    rows = [
        {"seed": seed, "firm": "shop", "quantity": q, "value": v + d}
        for q, v in values.items()
        for seed, d in ((1, -0.001), (2, 0.001))
    ]
    return ScenarioMeasurement(
        scenario=name,
        focus="shop",
        firms=["shop"],
        window=(52, 103),
        monopoly=monopoly,
        customers=100,
        seeds=(1, 2),
        engine="numba",
        values=pd.DataFrame(rows),
    )


PLAUSIBLE = {
    "nps": 20.0,
    "engaged_share": 30.0,
    "disengaged_share": 15.0,
    "turnover": 60.0,
    "problems_per_visit": 3.0,
    "complaint_share": 45.0,
    "staff_cost_share": 15.0,
    "rival_revenue_loss": 16.0,
    "loyalty_rate": 40.0,
    "true_loyal": 30.0,
    "spurious_loyal": 40.0,
    "latent_loyal": 10.0,
    "no_loyal": 20.0,
    "attachment_sd": 0.2,
}


def test_the_table_passes_a_plausible_store_and_marks_each_implausible_value():
    good = fake_measurement("corner_pharmacy", PLAUSIBLE)
    bad = fake_measurement(
        "discount_chain", {**PLAUSIBLE, "nps": -87.0, "turnover": 356.0, "attachment_sd": 0.01}
    )
    table = plausibility_table([good, bad])
    assert len(table) == 2 * (len(RANGES) + len(CRITERIA))
    assert table[table["scenario"] == "corner_pharmacy"]["passed"].all()
    failed = table[(table["scenario"] == "discount_chain") & ~table["passed"]]
    assert sorted(failed["quantity"]) == ["attachment_spread", "nps", "turnover"]
    row = table[(table["scenario"] == "discount_chain") & (table["quantity"] == "nps")].iloc[0]
    assert row["expected_class"] == "worst" and row["plausible"] == "-30 to +85"
    assert row["simulated"] == pytest.approx(-87.0) and not row["in_class"]
    assert "Satmetrix 2014" in row["source"]


def test_the_monopoly_rule_is_applied_to_monopolies_only():
    mix = {**PLAUSIBLE, "true_loyal": 10.0, "spurious_loyal": 90.0, "latent_loyal": 0.0, "no_loyal": 0.0}
    for monopoly in (True, False):
        table = plausibility_table([fake_measurement("public_service_monopoly", mix, monopoly)])
        assert table.set_index("quantity").loc["loyalty_mix", "passed"] == monopoly


def test_the_markdown_gives_ranges_sources_and_marks_what_is_outside():
    bad = fake_measurement("loyal_brand", {**PLAUSIBLE, "engaged_share": 98.0})
    text = plausibility_markdown([fake_measurement("corner_pharmacy", PLAUSIBLE), bad], quick=True)
    assert text.startswith(f"## {SECTION_TITLE}\n")
    assert "QUICK size" in text
    for r in RANGES:
        assert r.source in text and r.widest.text(r.unit) in text
    assert "**NO**" in text and "### loyal_brand" in text and "### corner_pharmacy" in text
    assert "engaged_share" in text.split("### Summary")[1].split("###")[0]  # listed as outside
    assert "sources.md#gallup" in text


def test_a_quantity_outside_its_class_in_several_scenarios_is_named_with_its_values():
    worst = ["discount_chain", "fear_culture", "public_service_monopoly"]  # class 20-35 % in all three
    assert all(EXPECTED[name].classes("disengaged_share") == ("worst",) for name in worst)
    low = {**PLAUSIBLE, "disengaged_share": 4.0}
    measured = [fake_measurement(name, low) for name in worst[:SYSTEMATIC_MISSES]]
    lines = class_misses_text(plausibility_table(measured))
    named = [line for line in lines if line.startswith("- staff actively disengaged")]
    assert len(named) == 1 and f"{SYSTEMATIC_MISSES} of {SYSTEMATIC_MISSES} scenarios" in named[0]
    assert "fear_culture 4.0 % (worst: 20-35 %)" in named[0]
    fewer = plausibility_table(measured[: SYSTEMATIC_MISSES - 1])
    assert not [line for line in class_misses_text(fewer) if "actively disengaged" in line]
    text = plausibility_markdown(measured)
    summary = text.split("### Summary")[1].split("\n### ")[0]
    assert "in its class" in summary and named[0] in summary


def test_the_section_is_replaced_between_markers_and_the_rest_kept(tmp_path):
    doc = "# Validation\n\nfindings...\n\n## Last finding\n\ntext\n"
    once = replace_section(doc, "## Plausibility\n\nv1\n")
    assert once.startswith(doc.rstrip("\n")) and SECTION_START in once and SECTION_END in once
    twice = replace_section(once, "## Plausibility\n\nv2\n")
    assert twice == once.replace("v1", "v2")
    assert extract_section(twice) == "## Plausibility\n\nv2\n"
    assert extract_section(doc) is None
    out = tmp_path / "validation.md"
    out.write_text(doc, encoding="utf-8")
    write_plausibility(out, [fake_measurement("corner_pharmacy", PLAUSIBLE)])
    write_plausibility(out, [fake_measurement("corner_pharmacy", PLAUSIBLE)])
    text = out.read_text(encoding="utf-8")
    assert text.startswith(doc.rstrip("\n")) and text.count(SECTION_START) == 1


def test_the_findings_report_keeps_the_plausibility_section(tmp_path):
    from loyaltysim.validation.report import write_report
    from loyaltysim.validation.result import Comparison, FindingResult

    out = tmp_path / "validation.md"
    out.write_text(replace_section("# old report\n", "## Plausibility\n\nkept\n"), encoding="utf-8")
    result = FindingResult("demo", "Demo", "source", "claim", [Comparison("q", "1", "1", "equal", True)])
    write_report([result], out, quick=True)
    text = out.read_text(encoding="utf-8")
    assert "# old report" not in text and "## Demo" in text
    assert extract_section(text) == "## Plausibility\n\nkept\n"


# -- measuring a run (small and quick) --------------------------------------------------------------
def test_measure_gives_every_quantity_for_every_open_firm_with_seed_spread():
    m = measure("pharmacy_vs_brand", customers=300, seeds=(1, 2), window=(20, 40))
    assert m.window == (20, 40) and m.focus == "pharmacy" and not m.monopoly
    assert sorted(m.firms) == ["brand", "pharmacy"]  # the supermarket opens only in week 104
    assert len(m.values) == 2 * 2 * len(QUANTITIES)
    for firm in m.firms:
        stats = m.summary(firm)
        assert list(stats.index) == list(QUANTITIES)
        finite = stats.dropna()
        assert ((finite["min"] <= finite["mean"] + 1e-9) & (finite["mean"] <= finite["max"] + 1e-9)).all()
    cells_total = m.summary().loc[list(CELLS), "mean"].sum()
    assert cells_total == pytest.approx(100.0, abs=1e-6)
    focus = measure_scenario("public_service_monopoly", customers=200, seeds=(1,), window=10)
    assert focus.attrs["monopoly"] and focus.attrs["window"] == (199, 208)
    no_rival = [q for q in QUANTITIES if q not in OPENING_QUANTITIES]  # nobody opens there
    assert list(focus["quantity"]) == no_rival and set(focus.attrs["firms"]["firm"]) == {"agency"}
    with pytest.raises(ValueError, match="not inside the run"):
        measure("corner_pharmacy", customers=50, seeds=(1,), window=(100, 300))


def test_the_rivals_effect_is_the_counterfactual_of_loyaltysim_run():
    """The fork just before the opening gives what ``loyaltysim run``'s effects table gives from two
    whole runs over the same window: the same numbers (common random numbers), at 400 customers."""
    from loyaltysim.counterfactual import event_effects

    m = measure("pharmacy_vs_brand", customers=400, seeds=(2,))
    lost = m.values[m.values["quantity"] == "rival_revenue_loss"].set_index("firm")["value"]
    overrides = {"market.customers": 400, "market.seed": 2}
    effects = event_effects("pharmacy_vs_brand", window_weeks=OPENING_WEEKS, overrides=overrides)
    share = effects[effects["metric"] == "revenue"].set_index("firm")["effect_share"]
    assert sorted(lost.index) == ["brand", "pharmacy"]  # the stores open before it, not the rival
    for firm in lost.index:
        assert lost[firm] == pytest.approx(-100.0 * share[firm], rel=1e-12)
    assert lost["pharmacy"] > lost["brand"]  # the merely retained go, the attached stay


def test_a_scenario_without_an_opening_has_the_rivals_range_not_applicable():
    assert opening_week(load_scenario("public_service_monopoly")) is None
    assert opening_week(load_scenario("corner_pharmacy")) == 104
    assert opening_week(load_scenario("turnaround")) is None  # its first event is the programme
    values = {k: v for k, v in PLAUSIBLE.items() if k != "rival_revenue_loss"}
    table = plausibility_table([fake_measurement("public_service_monopoly", values)])
    row = table.set_index("quantity").loc["rival_revenue_loss"]
    assert row["passed"] and not row["applicable"] and row["shown"] == "no rival opens"
    text = plausibility_markdown([fake_measurement("public_service_monopoly", values)])
    assert "| 7/7 |" in text.split("### Summary")[1]  # counted among neither held nor failed
    far = plausibility_table([fake_measurement("loyal_brand", {**PLAUSIBLE, "rival_revenue_loss": 60.0})])
    row = far.set_index("quantity").loc["rival_revenue_loss"]
    assert not row["passed"] and row["applicable"] and row["in_class"] is False


def test_the_attachment_spread_is_over_the_same_base_the_model_reports():
    from loyaltysim.measure import base_firms
    from loyaltysim.model import LoyaltyModel

    model = LoyaltyModel("pharmacy_vs_brand", rng=3, overrides={"market.customers": 400})
    model.run(30)
    base = base_firms(model.state, model.week, model.spec.market.base_window_weeks)
    last = model.firm_weekly().query("week == 30").set_index("firm")
    for f, key in enumerate(model.firm_keys):
        members = model.state.attachment[base == f, f].astype(np.float64)
        assert len(members) == last.loc[key, "customer_base"]
        if len(members):
            assert members.mean() == pytest.approx(last.loc[key, "attachment_mean"], rel=1e-6)
            assert attachment_sd(model.state.attachment, base, f) == pytest.approx(members.std())


def test_validate_plausibility_quick_writes_only_its_section(tmp_path):
    from loyaltysim.validation.cli import cmd_validate

    out = tmp_path / "validation.md"
    out.write_text("# Validation\n\nthe findings, untouched\n", encoding="utf-8")
    args = argparse.Namespace(quick=True, only=None, out=out, strict=True, plausibility=True, overrides=[])
    code = cmd_validate(args)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Validation\n\nthe findings, untouched\n")
    section = extract_section(text)
    assert section is not None and f"## {SECTION_TITLE}" in section and "QUICK size" in section
    for name in SHIPPED:
        assert f"### {name}" in section
    assert code == (1 if "**NO**" in section else 0)


# -- the real check (slow tier) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def measured():
    """Each shipped scenario measured once (10,000 customers, seeds 1-3), on first use."""
    cache: dict[str, ScenarioMeasurement] = {}

    def get(name: str) -> ScenarioMeasurement:
        if name not in cache:
            customers, seeds = FULL_SIZE
            cache[name] = measure(name, customers=customers, seeds=seeds)
        return cache[name]

    return get


#: Shipped values known to lie outside their range, with the measured value: strict xfail, so the
#: gap is reported and the test fails once a change brings the value inside.
KNOWN_OUTSIDE: dict[tuple[str, str], str] = {}  # (scenario, quantity) -> why, with the value


@pytest.mark.parametrize(
    ("scenario", "quantity"),
    [
        pytest.param(
            name,
            r.quantity,
            marks=[pytest.mark.xfail(reason=why, strict=True)]
            if (why := KNOWN_OUTSIDE.get((name, r.quantity)))
            else [],
        )
        for name in SHIPPED
        for r in RANGES
    ],
)
def test_shipped_scenario_inside_published_range(measured, scenario, quantity):
    rows = plausibility_table([measured(scenario)])
    row = rows[(rows["kind"] == "range") & (rows["quantity"] == quantity)].iloc[0]
    if not row["applicable"]:
        pytest.skip(f"{scenario}: {row['detail']} ({row['shown']})")
    assert row["passed"], (
        f"{scenario} ({row['firm']}): {row['label']} = {row['shown']} outside the plausible "
        f"{row['plausible']} (expected {row['expected_class']}: {row['expected']}; {row['source']})"
    )


@pytest.mark.parametrize("criterion", [c.key for c in CRITERIA])
@pytest.mark.parametrize("scenario", SHIPPED)
def test_shipped_scenario_meets_heterogeneity_criterion(measured, scenario, criterion):
    rows = plausibility_table([measured(scenario)])
    rows = rows[(rows["kind"] == "criterion") & (rows["quantity"] == criterion)]
    failed = [f"{r.firm}: {r.detail}" for r in rows.itertuples() if not r.passed]
    assert not failed, f"{scenario}: {criterion} ({rows['plausible'].iloc[0]}) fails - " + "; ".join(failed)


def test_a_score_that_rounds_to_zero_is_written_without_a_sign():
    from loyaltysim.validation.plausibility.report import _fmt

    assert [_fmt(v, "points") for v in (-0.3, 0.4, -0.6, 12.0)] == ["0", "0", "-1", "+12"]
