"""What a class sees: presentation mode, readable chart text, human labels, distinct colours, the
teaching panel following the columns, the customers cap, dollar inputs and the slider revert
fix, and the dashboard as a notebook component."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import ipyvuetify as v
import pytest
import solara
from hypothesis import given
from hypothesis import strategies as st

from loyaltysim.scenario import load_scenario
from loyaltysim.ui.charts import CHARTS, NORMAL, PRESENT, ChartColumn, week_ticks
from loyaltysim.ui.components.controls import ControlPanel
from loyaltysim.ui.components.livechart import LiveChartWidget
from loyaltysim.ui.config import COLUMN_COLOURS, COMPLAINT_OUTCOMES, FIRM_COLOURS, LOYALTY_CELLS
from loyaltysim.ui.controls import control_groups
from loyaltysim.ui.explain import TRY_THIS, intro, suggestions
from loyaltysim.ui.session import Session

FRONTLINE = "firms.pharmacy.culture.empowerment.frontline"


def _font_sizes(option: Any) -> Iterator[float]:
    if isinstance(option, dict):
        for key, value in option.items():
            if key == "fontSize":
                yield value
            else:
                yield from _font_sizes(value)
    elif isinstance(option, list):
        for item in option:
            yield from _font_sizes(item)


@pytest.fixture(scope="module")
def columns() -> list[ChartColumn]:
    session = Session(["corner_pharmacy", "loyal_brand", "fear_culture"], customers=200, seed=1)
    for _ in range(12):
        session.step()
    session.fire_shock()
    for _ in range(3):
        session.step()
    return [
        ChartColumn(f"{c.name}: x", c.colour, f)
        for c, f in zip(session.configs.value, session.frames.value, strict=True)
    ]


@pytest.mark.parametrize("style,smallest", [(NORMAL, 12), (PRESENT, 18)])
def test_every_chart_text_is_large_enough(columns, style, smallest):
    for spec in CHARTS:
        option = spec.build(columns, style)
        sizes = list(_font_sizes(option))
        assert sizes and min(sizes) >= smallest, spec.id
        widths = [
            s["lineStyle"]["width"] for s in option["series"] if s.get("lineStyle", {}).get("width")
        ]  # stacked areas and bars have none
        assert all(w >= (1.5 if style is NORMAL else 2.5) for w in widths), spec.id


def test_event_markers_are_short_horizontal_labels_inside_the_plot(columns):
    marks = CHARTS[1].build(columns, NORMAL)["series"][0]["markLine"]
    assert marks["label"]["position"] == "end"  # horizontal, not rotated
    assert [m["name"] for m in marks["data"]] == ["Supermarket"]


@given(weeks=st.integers(1, 1040))
def test_week_ticks_never_crowd_the_last_label(weeks):
    step = week_ticks(weeks)
    assert weeks / step <= 6
    option = CHARTS[1].build([], NORMAL)
    assert option["xAxis"]["axisLabel"]["showMaxLabel"] == (52 % week_ticks(52) == 0)
    # the last label is either on the tick grid or not drawn
    assert weeks % step == 0 or weeks % step != 0


def test_presentation_mode_is_larger_and_shows_the_headline_charts_only():
    session = Session(["corner_pharmacy", "loyal_brand"], customers=200, seed=4, present=True)
    from loyaltysim.ui.app import App

    _, rc = solara.render(App(session), handle_error=False)
    try:
        session.step()
        rc.find(v.Html, attributes={"data-testid": "present-on"}).assert_single()
        charts = {w.attributes["data-testid"] for w in rc.find(LiveChartWidget).widgets}
        assert charts == {f"chart-{spec.id}" for spec in CHARTS if spec.headline}
        for widget in rc.find(LiveChartWidget).widgets:
            assert min(_font_sizes(widget.full)) >= 18
        switch = rc.find(v.Switch, attributes={"data-testid": "present"}).widget
        switch.v_model = False
        assert len(rc.find(v.Html, attributes={"data-testid": "present-on"})) == 0
        assert len(rc.find(LiveChartWidget).widgets) == len(CHARTS)
    finally:
        rc.close()


def _distance(a: str, b: str) -> float:
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b)]
    return sum((x - y) ** 2 for x, y in zip(*rgb, strict=True)) ** 0.5


def test_column_colours_never_look_like_a_meaning_colour_or_each_other():
    meanings = [colour for _, colour in (*LOYALTY_CELLS.values(), *COMPLAINT_OUTCOMES.values())]
    for colour in COLUMN_COLOURS:
        assert min(_distance(colour, m) for m in meanings) > 60, colour
    for i, a in enumerate(COLUMN_COLOURS):
        for b in COLUMN_COLOURS[i + 1 :]:
            assert _distance(a, b) > 60
    assert set(COLUMN_COLOURS).isdisjoint(FIRM_COLOURS[:2])


def test_labels_are_words_not_schema_keys():
    scenario = load_scenario("corner_pharmacy")
    for group in control_groups(scenario, "pharmacy"):
        for control in group.controls:
            assert "_" not in control.label and "." not in control.label, control.label
    from loyaltysim.ui.app import App

    session = Session(["corner_pharmacy"], customers=200, seed=4)
    session.set_override(0, FRONTLINE, 100.0)
    _, rc = solara.render(App(session), handle_error=False)
    try:
        texts = [
            b.children[-1] for b in rc.find(v.Btn).widgets if b.children and isinstance(b.children[-1], str)
        ]
        assert "Frontline employees' limit: $100" in texts
        assert not any("PHARMACY" in t.upper() and "." in t for t in texts)
        picker = rc.find(v.Select, label="Scenario").widget
        assert {"text": "Corner pharmacy", "value": "corner_pharmacy"} in picker.items
        stores = rc.find(v.Select, label="Store charted and controlled").widget
        assert {i["text"] for i in stores.items} == {"Corner pharmacy", "Supermarket"}
        picker.v_model = "loyal_brand"
        assert session.config(0).source == "loyal_brand"
    finally:
        rc.close()


def test_the_teaching_panel_follows_the_columns():
    assert intro(2).startswith("Two stores")
    assert intro(3).startswith("Three stores")
    assert "Add a column" in intro(1)
    pharmacy_only = [t for t in TRY_THIS if "frontline limit" in t]
    assert pharmacy_only and pharmacy_only[0] not in suggestions(["fear_culture", "loyal_brand"])
    assert pharmacy_only[0] in suggestions(["corner_pharmacy"])
    from loyaltysim.ui.app import App

    session = Session(["corner_pharmacy", "loyal_brand", "fear_culture"], customers=100, seed=1)
    _, rc = solara.render(App(session), handle_error=False)
    try:
        shown = rc.find(v.Html, attributes={"data-testid": "explain-intro"}).widget
        assert shown.children[0].startswith("Three stores")
        session.remove_column(2)
        shown = rc.find(v.Html, attributes={"data-testid": "explain-intro"}).widget
        assert shown.children[0].startswith("Two stores")
    finally:
        rc.close()


def test_customers_per_column_are_capped_with_a_clear_message(tmp_path):
    # corner_pharmacy has 2,000 customers of its own
    session = Session(["corner_pharmacy"], seed=1, max_customers=2500)
    assert not session.set_town(5000, 1)
    assert "market.customers = 5,000" in session.error and "at most 2,500" in session.error
    assert "--max-customers" in session.error
    assert session.customers is None
    big = b'extends = "corner_pharmacy"\n[market]\ncustomers = 3000\n'
    assert not session.upload(0, "big.toml", big)
    assert session.config(0).error.startswith("big.toml: market.customers = 3,000")
    assert session.config(0).source == "corner_pharmacy"  # the column keeps running as it was
    assert not session.set_override_text(0, "market.customers=2600")
    assert session.set_override_text(0, "market.customers=2400")
    with pytest.raises(Exception, match="at most 1,000"):
        Session(["corner_pharmacy"], customers=1001, seed=1, max_customers=1000)


def test_the_command_refuses_more_customers_than_the_cap():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "ui",
            "--customers",
            "2000",
            "--max-customers",
            "1000",
            "--port",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "market.customers = 2,000 is more than --max-customers 1,000" in result.stderr


def _panel(calls: list):
    scenario = load_scenario("corner_pharmacy")
    return solara.render(
        ControlPanel(scenario, "pharmacy", {}, on_value=lambda k, val: calls.append((k, val))),
        handle_error=False,
    )


def test_a_slider_value_echoed_by_the_browser_does_not_override_a_newer_one():
    # Vuetify's slider re-emits a value the server sets as if the user had moved it; the
    # server used to act on that echo, so a stale $150 came back after the user's $100.
    calls: list = []
    _, rc = _panel(calls)
    slider = rc.find(
        v.Slider,
        attributes={"data-testid": f"slider-{FRONTLINE}", "aria-label": "Frontline employees' limit"},
    ).widget
    values = next(
        c
        for g in control_groups(load_scenario("corner_pharmacy"), "pharmacy")
        for c in g.controls
        if c.key == FRONTLINE
    ).values
    slider.v_model = values.index(250)  # an echo of a server-set value: not a user's choice
    assert calls == []
    slider.fire_event("change", values.index(100))  # the user released the slider at $100
    assert calls == [(FRONTLINE, 100)]
    rc.close()


def test_slider_positions_mean_the_same_value_whatever_the_current_value():
    scenario = load_scenario("corner_pharmacy")
    grids = set()
    for value in (0, 120, 150, 333.5, 999_999):
        changed = load_scenario(scenario, {FRONTLINE: value})
        grids.add(
            next(
                c for g in control_groups(changed, "pharmacy") for c in g.controls if c.key == FRONTLINE
            ).values
        )
    assert len(grids) == 1
    grid = grids.pop()
    assert len(grid) <= 25 and {0, 10, 25, 50, 100, 250, 500, 1000, 1_000_000} <= set(grid)


def test_dollar_limits_are_typed_as_numbers_within_the_schema_range():
    calls: list = []
    _, rc = _panel(calls)
    box = rc.find(v.Html, attributes={"data-testid": f"number-{FRONTLINE}"})
    field = box.find(v.TextField).widget
    assert field.label == "$0 to $1,000,000"
    assert field.v_model == "0"
    field.v_model = "120"  # typed; the browser syncs the text, then Enter
    field.fire_event("keyup.enter", {})
    field.v_model = ""  # cleared: nothing changes
    field.fire_event("focusout", {})
    assert calls == [(FRONTLINE, 120)]
    assert len(rc.find(v.Html, attributes={"data-testid": "number-firms.pharmacy.culture.trust"})) == 0
    rc.close()


def test_the_dashboard_renders_outside_the_server_as_a_notebook_component():
    from loyaltysim.ui import LoyaltyDashboard

    _, rc = solara.render(LoyaltyDashboard(["corner_pharmacy"], customers=100, seed=2), handle_error=False)
    try:
        rc.find(v.Html, attributes={"data-testid": "week", "data-week": "0"}).assert_single()
        rc.find(v.Btn, attributes={"data-testid": "step"}).widget.click()
        rc.find(v.Html, attributes={"data-testid": "week", "data-week": "1"}).assert_single()
    finally:
        rc.close()
    # importing the package stays cheap: Solara only comes with the component
    code = "import sys, loyaltysim.ui; print('solara' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
