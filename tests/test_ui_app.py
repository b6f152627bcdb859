"""The whole page rendered without a browser (solara.render): buttons, counters, charts, errors."""

from __future__ import annotations

import json
import time

import ipyvuetify as v
import pytest
import solara

from loyaltysim.scenario import ScenarioError, scenario_from_toml
from loyaltysim.ui.app import App
from loyaltysim.ui.charts import CHARTS
from loyaltysim.ui.components.charts import Chart
from loyaltysim.ui.components.livechart import LiveChartWidget
from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.session import Session


@pytest.fixture
def page():
    session = Session(["corner_pharmacy", "loyal_brand"], customers=200, seed=4)
    _, rc = solara.render(App(session), handle_error=False)
    yield session, rc
    rc.close()


def _by_testid(rc, cls, testid, **more):
    return rc.find(cls, attributes={"data-testid": testid, **more})


def _wait_single(finder_factory, timeout: float = 20.0) -> None:
    """The page is also updated by the session's background worker: wait for it."""
    deadline = time.monotonic() + timeout
    while len(finder_factory()) != 1:
        assert time.monotonic() < deadline, "the page never showed the expected state"
        time.sleep(0.05)


def _charts(rc) -> dict[str, LiveChartWidget]:
    return {w.attributes["data-testid"]: w for w in rc.find(LiveChartWidget).widgets}


def test_step_advances_the_week_counters_and_the_charts(page):
    _, rc = page
    _by_testid(rc, v.Html, "week", **{"data-week": "0"}).assert_single()
    before = {k: json.dumps(w.full) for k, w in _charts(rc).items()}
    assert set(before) == {f"chart-{spec.id}" for spec in CHARTS}
    step = _by_testid(rc, v.Btn, "step").widget
    for _ in range(3):
        step.click()
    _by_testid(rc, v.Html, "week", **{"data-week": "3"}).assert_single()
    for index in range(2):
        _by_testid(rc, v.Html, f"week-{index}", **{"data-week": "3"}).assert_single()
    after = _charts(rc)
    for key, widget in after.items():
        assert widget.attributes["data-weeks"] == "3,3"
        assert json.dumps(widget.full) != before[key], key
    retention = after["chart-retention"].full
    lines = [s for s in retention["series"] if s.get("name", "").endswith("retention")]
    assert len(lines) == 2 and all(len(s["data"]) == 3 for s in lines)


def test_every_chart_option_is_plain_json(page):
    _, rc = page
    for _ in range(2):
        _by_testid(rc, v.Btn, "step").widget.click()
    for widget in _charts(rc).values():
        json.dumps(widget.full, allow_nan=False)


def test_shock_button_fires_once_and_says_when(page):
    _, rc = page
    _by_testid(rc, v.Btn, "step").widget.click()
    shock = _by_testid(rc, v.Btn, "shock").widget
    assert not shock.disabled
    shock.click()
    assert _by_testid(rc, v.Btn, "shock").widget.disabled
    note = _by_testid(rc, v.Html, "shock-note").widget
    assert "week 2" in note.children[0]
    _by_testid(rc, v.Btn, "step").widget.click()
    retention = _charts(rc)["chart-retention"].full
    marks = [s["markLine"]["data"] for s in retention["series"] if "markLine" in s]
    assert marks and all(m and m[0]["xAxis"] == 2 for m in marks)


def test_moving_a_slider_restarts_that_column(page):
    session, rc = page
    step = _by_testid(rc, v.Btn, "step").widget
    for _ in range(2):
        step.click()
    key = "firms.pharmacy.culture.empowerment.frontline"
    slider = rc.find(
        v.Slider, attributes={"data-testid": f"slider-{key}", "aria-label": "Frontline employees' limit"}
    ).widget
    slider.fire_event("change", slider.v_model + 5)  # released or key pressed in the browser
    value = session.config(0).overrides[key]
    assert value > 0
    _by_testid(rc, v.Html, f"control-{key}", **{"data-value": str(value)}).assert_single()
    assert session.column_week(0) in (0, 1, 2)  # restarted; the worker re-runs it
    session.catch_up()
    _wait_single(lambda: _by_testid(rc, v.Html, "week-0", **{"data-week": "2"}))


def test_a_bad_upload_shows_the_error_in_the_page_and_the_app_keeps_working(page):
    session, rc = page
    bad = b'extends = "corner_pharmacy"\n[firms.pharmacy.culture]\ntrsut = 0.9\n'
    with pytest.raises(ScenarioError) as expected:
        scenario_from_toml(bad.decode(), label="mine.toml")
    session.upload(0, "mine.toml", bad)
    alert = _by_testid(rc, v.Alert, "error-0").widget
    assert alert.children == [str(expected.value)]
    _by_testid(rc, v.Btn, "step").widget.click()
    _by_testid(rc, v.Html, "week-0", **{"data-week": "1"}).assert_single()
    session.upload(0, "good.toml", b'extends = "corner_pharmacy"\nname = "good"\n')
    assert len(rc.find(v.Alert, attributes={"data-testid": "error-0"})) == 0


def test_explanation_panel_covers_every_chart_the_map_and_the_mesa_plot(page):
    _, rc = page
    for key in [spec.id for spec in CHARTS] + ["map", "mesa"]:
        assert key in EXPLANATIONS
        _by_testid(rc, v.Html, f"explain-{key}").assert_single()


def test_chart_component_marks_its_weeks():
    session = Session(["corner_pharmacy"], customers=100, seed=1)
    session.step()
    from loyaltysim.ui.charts import ChartColumn

    columns = [ChartColumn("A", "#000000", session.frames.value[0])]
    _, rc = solara.render(Chart(CHARTS[0], columns), handle_error=False)
    widget = rc.find(LiveChartWidget).widget
    assert widget.attributes["data-testid"] == f"chart-{CHARTS[0].id}"
    assert widget.attributes["data-weeks"] == "1"
    rc.close()


def test_choosing_another_store_charts_it(page):
    session, rc = page
    for _ in range(2):
        _by_testid(rc, v.Btn, "step").widget.click()
    session.choose_firm(1, "supermarket")
    assert "B: Supermarket" in [s.get("name") for s in _charts(rc)["chart-base"].full["series"]]
    assert session.frames.value[1].firm == "supermarket"
    _wait_single(
        lambda: rc.find(
            v.Html,
            attributes={"data-testid": "week-1", "data-week": "2"},
            children=["B · week 2 of 208 · Supermarket"],
        )
    )


def test_removing_a_column_keeps_the_page_working(page):
    session, rc = page
    remove = [
        rc.find(v.Btn, attributes={"data-testid": f"remove-{i}", "title": "Remove this column"}).widget
        for i in (0, 1)
    ]
    remove[0].click()
    assert [c.source for c in session.configs.value] == ["loyal_brand"]
    _by_testid(rc, v.Btn, "step").widget.click()
    _by_testid(rc, v.Html, "week-0", **{"data-week": "1"}).assert_single()
    assert len(rc.find(v.Html, attributes={"data-testid": "week-1", "data-week": "1"})) == 0
    assert _charts(rc)["chart-retention"].attributes["data-weeks"] == "1"
