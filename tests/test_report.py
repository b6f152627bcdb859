"""Unit tests of the summaries, the reading and the report writer, on hand-made weekly tables.

The tables are built so that every expected number is known in closed form; no simulation runs.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from loyaltysim import plots
from loyaltysim.metrics import FIRM_METRICS, FIRM_WEEKLY_COLUMNS
from loyaltysim.report import (
    comparison_rows,
    first_event,
    format_value,
    kept_share,
    reading,
    summarise_firm,
    write_report,
)
from loyaltysim.scenario import Scenario, load_scenario

WEEKS = 80
EVENT = 40


@dataclass
class FakeRun:
    """A run-shaped object: what report functions accept (duck-typed like SimulationResult)."""

    scenario: Scenario
    firm_weekly: pd.DataFrame
    events: list[tuple[int, str]] = field(default_factory=list)


def weekly_table(
    firms: dict[str, float],
    weeks: int = WEEKS,
    event: int | None = EVENT,
    drop_to: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Every metric = 0.5, except: customer_base = base (times drop_to[firm] from ``event`` on),
    profit = 100 * week, nps = 10, nps_se = 5, true_loyal = base / 4, spurious_loyal = base / 2."""
    rows = []
    for firm, base in firms.items():
        for week in range(1, weeks + 1):
            row = dict.fromkeys(FIRM_METRICS, 0.5)
            b = base * ((drop_to or {}).get(firm, 1.0) if event and week >= event else 1.0)
            row.update(
                week=week,
                firm=firm,
                customer_base=b,
                profit=100.0 * week,
                nps=10.0,
                nps_se=5.0,
                true_loyal=b / 4,
                spurious_loyal=b / 2,
            )
            rows.append(row)
    return pd.DataFrame(rows, columns=list(FIRM_WEEKLY_COLUMNS))


@pytest.fixture(scope="module")
def pharmacy() -> Scenario:
    return load_scenario("corner_pharmacy")


@pytest.fixture(scope="module")
def brand() -> Scenario:
    return load_scenario("loyal_brand")


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("retention_base", 0.8125, "81.2%"),
        ("profit", -1234.4, "-$1,234"),
        ("profit", 98765.6, "$98,766"),
        ("customer_base", 1234.56, "1,234.6"),
        ("engagement_mean", 0.51234, "0.512"),
        ("nps", -12.345, "-12.3"),
        ("nps", math.nan, "n/a"),
    ],
)
def test_format_value_follows_the_metric_unit(metric, value, text):
    assert format_value(metric, value) == text


def test_first_event_skips_setup_weeks_and_events_after_the_run():
    assert first_event([(0, "setup"), (1, "also setup"), (90, "late"), (40, "b"), (30, "a")], weeks=80) == (
        30,
        "a",
    )
    assert first_event([(0, "setup"), (100, "after the end")], weeks=80) is None


def test_kept_share_divides_base_after_by_mean_base_before():
    df = weekly_table({"pharmacy": 1000.0}, drop_to={"pharmacy": 0.3})
    kept, weeks, before, after = kept_share(df, "pharmacy", EVENT)
    assert (weeks, before, after) == (26, 1000.0, 300.0)
    assert kept == pytest.approx(0.3)
    # Near the end of a run the horizon shrinks to the weeks left.
    assert kept_share(df, "pharmacy", 70)[1] == WEEKS - 70 + 1


def test_summarise_firm_averages_last_quarter_and_event_windows(pharmacy):
    df = weekly_table({"pharmacy": 1000.0, "supermarket": 10.0}, drop_to={"pharmacy": 0.5})
    s = summarise_firm(FakeRun(pharmacy, df, [(EVENT, "opens")]), "pharmacy")
    assert s.label == "Corner pharmacy"
    assert s.last["profit"] == pytest.approx(100 * np.mean(range(WEEKS - 12, WEEKS + 1)))
    assert s.event == (EVENT, "opens")
    assert s.before["customer_base"] == 1000.0
    assert s.after["customer_base"] == 500.0
    assert s.before["profit"] == pytest.approx(100 * np.mean(range(EVENT - 13, EVENT)))


def test_summarise_firm_without_event_has_no_before_after(pharmacy):
    df = weekly_table({"pharmacy": 1000.0, "supermarket": 10.0}, event=None)
    s = summarise_firm(FakeRun(pharmacy, df, []), "pharmacy")
    assert s.event is None and s.before is None and s.after is None


def two_runs(pharmacy: Scenario, brand: Scenario) -> list[FakeRun]:
    return [
        FakeRun(
            pharmacy,
            weekly_table({"pharmacy": 1000.0, "supermarket": 5.0}, drop_to={"pharmacy": 0.25}),
            [(EVENT, "Rival opens")],
        ),
        FakeRun(
            brand,
            weekly_table({"brand": 800.0, "supermarket": 5.0}, drop_to={"brand": 0.9}),
            [(EVENT, "Rival opens")],
        ),
    ]


def test_comparison_rows_put_each_focus_firm_side_by_side(pharmacy, brand):
    rows = {row.label: row for row in comparison_rows(two_runs(pharmacy, brand))}
    assert rows["customer_base (last 13 wk)"].values == [250.0, 720.0]
    kept = rows["customer base kept 26 wk after first event"]
    assert kept.formatted() == ["25.0%", "90.0%"]


def test_reading_states_kept_shares_computed_from_the_data(pharmacy, brand):
    text = " ".join(reading(two_runs(pharmacy, brand)))
    assert "“Rival opens” (week 40)" in text
    assert "Corner pharmacy (corner_pharmacy) kept 25.0% of its customer base" in text
    assert "Loyal brand (loyal_brand) kept 90.0% of its customer base" in text
    assert "1,000 → 250 customers" in text
    # Equal NPS (10 ± 5 every week) cannot separate the two.
    assert "does not separate them" in text


def test_write_report_embeds_pngs_and_writes_markdown_beside_them(pharmacy, brand, tmp_path):
    runs = two_runs(pharmacy, brand)
    html_path, md_path = write_report(runs, tmp_path)
    html = html_path.read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) == 2  # compare_loyalty, compare_dashboard
    assert all(base64.b64decode(img)[:4] == b"\x89PNG" for img in images)
    assert "90.0%" in html and "25.0%" in html
    assert "<td>40</td><td>corner_pharmacy</td><td>Rival opens</td>" in html
    md = md_path.read_text()
    for name in re.findall(r"\]\(([^)]+\.png)\)", md):
        assert (tmp_path / name).stat().st_size > 10_000
    assert pharmacy.description in md


def test_report_escapes_html_in_scenario_text(pharmacy, brand, tmp_path):
    hostile = pharmacy.model_copy(update={"description": "<script>alert(1)</script> & co"})
    runs = [FakeRun(hostile, two_runs(pharmacy, brand)[0].firm_weekly), two_runs(pharmacy, brand)[1]]
    html = write_report(runs, tmp_path, images={})[0].read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_long_event_labels_of_one_week_leave_the_panels_their_size():
    """Two events of the same week with long labels (compare corner_pharmacy with turnaround, both
    moved to week 4) were joined into one label taller than the panel, and the layout shrank the
    panels to nothing (a matplotlib warning; the PNG had empty axes)."""
    import warnings

    fig, axes = plots._new_figure(1, 2, row_height=4.2)
    for ax in axes[0]:
        ax.plot([1, 12], [0, 50])
    long = "The discount chain launches a culture programme: training, empowerment, recognition, staffing"
    events = [(4, "Supermarket with the same items opens nearby"), (4, long)]
    plots.mark_events(axes[0], events, label_axes=axes[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the collapse is reported as a UserWarning
        png = plots.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    for ax in axes[0]:
        assert ax.get_position().height > 0.5  # of the figure's height: laid out, not collapsed
        (text,) = ax.texts
        assert len(text.get_text()) <= plots.EVENT_LABEL_CHARS + 1 and text.get_text().endswith("…")
        assert text.get_text().startswith(" Supermarket")  # the start of the label is kept


def test_smoothed_nps_standard_error_shrinks_with_the_window():
    nps = pd.Series([10.0, 20.0, 30.0, 40.0, np.nan])
    se = pd.Series([4.0] * 5)
    mean, err = plots.smoothed_nps(nps, se, weeks=4)
    assert mean.iloc[3] == pytest.approx(25.0)
    assert err.iloc[0] == pytest.approx(4.0)
    assert err.iloc[3] == pytest.approx(2.0)  # sqrt(4 * 16) / 4
    assert err.iloc[4] == pytest.approx(math.sqrt(3 * 16) / 3)  # the missing week is skipped


def test_reading_says_when_no_event_fired(pharmacy, brand):
    runs = [FakeRun(run.scenario, run.firm_weekly, []) for run in two_runs(pharmacy, brand)]
    text = " ".join(reading(runs))
    assert "No timed event fired" in text
    assert "kept" not in text


def measured(spec: Scenario, factual: pd.DataFrame, counterfactual: pd.DataFrame):
    """Effects measured on hand-made tables: the 'run without the event' is ``counterfactual``."""
    from loyaltysim.counterfactual import measure_events

    return measure_events(spec, window_weeks=26, factual=factual, run=lambda _spec: counterfactual)


def test_the_report_says_what_the_event_cost_each_store_against_the_run_without_it(tmp_path):
    timed = {"market.weeks": WEEKS, "events.0.week": EVENT}
    pharmacy, brand = load_scenario("corner_pharmacy", timed), load_scenario("loyal_brand", timed)
    runs = [
        FakeRun(pharmacy, weekly_table({"pharmacy": 1000.0, "supermarket": 5.0}, drop_to={"pharmacy": 0.25})),
        FakeRun(brand, weekly_table({"brand": 800.0, "supermarket": 5.0}, drop_to={"brand": 0.9})),
    ]
    without = [
        weekly_table({"pharmacy": 1000.0, "supermarket": 0.0}, event=None),
        weekly_table({"brand": 800.0, "supermarket": 0.0}, event=None),
    ]
    effects = [measured(run.scenario, run.firm_weekly, cf) for run, cf in zip(runs, without, strict=True)]
    html_path, md_path = write_report(runs, tmp_path, images={}, effects=effects)
    md, html = md_path.read_text(), html_path.read_text()
    label = pharmacy.firms["supermarket"].label
    title = f"What the {label[0].lower()}{label[1:]} cost each store"
    assert f"## {title}" in md and f"<h2>{title}</h2>" in html
    assert "against the same run without the event (same seed)" in md
    # customers in week 40 + 26 - 1: 250 with the event, 1,000 without; 720 and 800 for the brand
    assert "| 250 | 1,000 | -750 (-75.0%) |" in md
    assert "| 720 | 800 | -80 (-10.0%) |" in md
    assert "750 fewer customers in week 65 (-75.0%)" in md
    assert "](event_effects.png)" in md and (tmp_path / "event_effects.png").stat().st_size > 10_000
    assert 'id="event_effects"' in html


def test_without_measured_effects_the_report_has_no_such_section(pharmacy, brand, tmp_path):
    md = write_report(two_runs(pharmacy, brand), tmp_path, images={}, effects=[None, None])[1].read_text()
    assert "cost each store" not in md and not (tmp_path / "event_effects.png").exists()
