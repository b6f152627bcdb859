"""The UI's "without the supermarket" line (issue 19): each column's run without its competitor's
opening, forked from the live model just before the event and stepped in lockstep, equals a
separate run of the same scenario without the event, value for value; the overlay turns off
(no shadow run at all) and on again (rebuilt from week 0)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from loyaltysim.counterfactual import run_weekly, without_events_of_week, without_label
from loyaltysim.scenario import load_scenario
from loyaltysim.ui.charts import CHARTS, ChartColumn, customer_base, profit, without_note
from loyaltysim.ui.frames import CHART_METRICS
from loyaltysim.ui.session import Session

CUSTOMERS = 250
SEED = 4
WEEKS = 20
EVENT = 9
SHORT = {"market.weeks": WEEKS, "events.0.week": EVENT}


def short_session(**kwargs) -> Session:
    session = Session(["pharmacy_vs_brand"], customers=CUSTOMERS, seed=SEED, **kwargs)
    for key, value in SHORT.items():
        assert session.set_override(0, key, value)
    return session


def reference_without(week: int, scenario=None) -> pd.DataFrame:
    """A separate run of the column's scenario without the events of ``week``."""
    spec = scenario or load_scenario(
        "pharmacy_vs_brand", {**SHORT, "market.customers": CUSTOMERS, "market.seed": SEED}
    )
    return run_weekly(without_events_of_week(spec, week))


def clean(values) -> tuple:
    return tuple(None if not math.isfinite(v) else float(f"{v:.6g}") for v in values)


def assert_shadow_is(session: Session, reference: pd.DataFrame) -> None:
    """The shadow model's table and the frame's dashed series equal ``reference`` (to the
    column's week) exactly."""
    column = session.columns[0]
    reference = reference[reference["week"] <= column.week].reset_index(drop=True)
    pd.testing.assert_frame_equal(column.shadow.firm_weekly(), reference, check_exact=True)
    frame = session.frames.value[0]
    rows = reference[reference["firm"] == frame.firm].sort_values("week")
    for metric in CHART_METRICS:
        assert frame.without[metric] == clean(rows[metric].to_numpy(dtype=float)), metric


def play(session: Session, weeks: int) -> None:
    for _ in range(weeks):
        session.step()


def test_no_shadow_runs_before_the_event():
    session = short_session()
    play(session, EVENT - 1)
    assert session.columns[0].shadow is None
    assert session.frames.value[0].without == {}


def test_the_shadow_series_equals_a_separate_run_without_the_event():
    session = short_session()
    play(session, WEEKS)
    column = session.columns[0]
    assert column.shadow_week == EVENT and column.shadow.week == WEEKS
    assert_shadow_is(session, reference_without(EVENT))
    frame = session.frames.value[0]
    # identical until the week before the event, different after it (the event did something)
    live = frame.series["customer_base"]
    assert frame.without["customer_base"][: EVENT - 1] == live[: EVENT - 1]
    assert frame.without["customer_base"][EVENT:] != live[EVENT:]
    spec = column.scenario
    assert frame.without_label == without_label(spec, EVENT)
    assert frame.without_label == f"without the {spec.firms['supermarket'].label.lower()}"


def test_the_shock_is_left_out_of_the_shadow():
    session = short_session()
    play(session, 3)
    session.fire_shock()
    play(session, 8)
    column = session.columns[0]
    assert column.shadow_week == 4
    assert_shadow_is(session, reference_without(4, column.scenario))


def test_a_column_changed_after_the_event_forks_its_shadow_again_while_catching_up():
    session = short_session()
    play(session, 14)
    assert session.set_override(0, "firms.pharmacy.culture.trust", 0.9)
    assert session.columns[0].shadow is None
    session.catch_up()
    spec = load_scenario(
        "pharmacy_vs_brand",
        {**SHORT, "market.customers": CUSTOMERS, "market.seed": SEED, "firms.pharmacy.culture.trust": 0.9},
    )
    reference = reference_without(EVENT, spec)
    assert_shadow_is(session, reference)


def dashed_names(option: dict) -> list[str]:
    return [s["name"] for s in option["series"] if "without" in s["name"]]


def test_the_overlay_turns_off_and_on():
    session = short_session(counterfactual=False)
    play(session, 12)
    column = session.columns[0]
    # off: the copy made before the event stands still there and nothing is drawn
    assert column.shadow.week == EVENT - 1 and session.frames.value[0].without == {}
    assert dashed_names(customer_base(chart_now(session))) == []
    assert not session.status.value.counterfactual and session.config(0).without_note == ""

    session.set_counterfactual(True)  # on: it catches up with the column
    assert session.status.value.counterfactual
    session.catch_up()
    assert column.shadow.week == 12
    assert_shadow_is(session, reference_without(EVENT))
    play(session, 3)  # then in lockstep
    assert column.shadow.week == 15
    for build in (customer_base, profit):
        option = build(chart_now(session))
        label = session.frames.value[0].without_label
        assert dashed_names(option) == [f"A {label}"]
        (dashed,) = [s for s in option["series"] if s["name"] == f"A {label}"]
        assert dashed["lineStyle"]["type"] == "dashed"
        # drawn from the week before the event, where it meets the solid line
        assert [point[1] is None for point in dashed["data"][: EVENT - 2]] == [True] * (EVENT - 2)
        assert dashed["data"][EVENT - 2][1] is not None
        # explained under the chart, not in its one-row legend
        assert dashed["name"] not in option["legend"]["data"]
    assert without_note(chart_now(session)).startswith(f"Dashed: the same run {label} (A)")
    assert "without the" in session.config(0).without_note

    session.set_counterfactual(False)
    play(session, 2)
    assert column.shadow.week == 15  # stands still
    assert all(dashed_names(spec.build(chart_now(session))) == [] for spec in CHARTS)


def test_a_column_past_its_event_without_a_copy_reruns_it_from_week_0():
    """The fallback (after the run without the event failed): rebuilt and caught up, exact."""
    session = short_session()
    play(session, 12)
    session.set_counterfactual(False)
    session.columns[0].shadow = None
    session.set_counterfactual(True)
    assert session.columns[0].shadow.week == 0
    session.catch_up()
    assert_shadow_is(session, reference_without(EVENT))


def chart_now(session: Session) -> list[ChartColumn]:
    return [ChartColumn("A: Corner pharmacy", "#1565c0", session.frames.value[0], "A")]


@pytest.mark.parametrize("scenario", ["public_service_monopoly"])
def test_a_scenario_without_events_has_no_shadow(scenario):
    session = Session([scenario], customers=100, seed=SEED)
    assert session.set_override(0, "market.weeks", 6)
    play(session, 6)
    assert session.columns[0].shadow is None and session.config(0).without_note == ""


def test_loyaltysim_ui_no_counterfactual_starts_with_the_overlay_off():
    from loyaltysim.cli import build_parser
    from loyaltysim.ui.config import CONFIG_ENV, UIConfig

    assert build_parser().parse_args(["ui", "--no-counterfactual"]).no_counterfactual
    assert not build_parser().parse_args(["ui"]).no_counterfactual
    config = UIConfig(scenarios=("pharmacy_vs_brand",), customers=100, counterfactual=False)
    assert UIConfig.from_env({CONFIG_ENV: config.to_env()}) == config
    assert UIConfig.from_env({}).counterfactual
    session = Session.from_config(config)
    assert not session.status.value.counterfactual
