"""The UI's controls come from the scenario schema: ranges, units and explanations included."""

from __future__ import annotations

import dataclasses

import ipyvuetify as v
import pytest
import solara
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field

from loyaltysim.scenario import load_scenario, shipped_scenarios
from loyaltysim.schema import Culture, Empowerment, Firm, Scenario, param
from loyaltysim.ui.components.controls import ControlPanel, NumberControl, SliderControl, nearest_index
from loyaltysim.ui.controls import (
    control_groups,
    field_range,
    field_unit,
    one_line,
    value_grid,
)


def _scalar_fields(model_cls) -> list[str]:
    return [name for name, info in model_cls.model_fields.items() if info.annotation in (int, float, bool)]


def _controls(scenario, firm):
    return {c.key: c for g in control_groups(scenario, firm) for c in g.controls}


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_culture_and_empowerment_field_has_a_control_read_from_the_schema(name):
    scenario = load_scenario(name)
    firm = scenario.focus_firm
    controls = _controls(scenario, firm)
    for section, cls in (("culture", Culture), ("culture.empowerment", Empowerment)):
        for field in _scalar_fields(cls):
            key = f"firms.{firm}.{section}.{field}"
            assert key in controls, key
            info = cls.model_fields[field]
            control = controls[key]
            assert (control.low, control.high) == field_range(info)
            assert control.unit == field_unit(info)
            assert control.description == one_line(info.description)
            assert control.default == info.get_default(call_default_factory=True)
            node = scenario.firms[firm]
            for part in (*section.split("."), field):
                node = getattr(node, part)
            assert control.value == node
            assert control.default in control.values
            assert control.values[0] == control.low and control.values[-1] == control.high
            assert control.label and "_" not in control.label


def test_story_includes_staffing_price_and_hours_with_schema_units():
    scenario = load_scenario("corner_pharmacy")
    controls = _controls(scenario, "pharmacy")
    for key, cls, field in (
        ("firms.pharmacy.staffing.frontline_per_1000", Firm, None),
        ("firms.pharmacy.price_index", Firm, "price_index"),
        ("firms.pharmacy.hours_per_day", Firm, "hours_per_day"),
    ):
        assert key in controls
        if field:
            assert controls[key].unit == field_unit(cls.model_fields[field])
    assert controls["firms.pharmacy.culture.empowerment.frontline"].unit == "dollars"
    assert controls["firms.pharmacy.culture.empowerment.frontline"].format(100) == "$100"
    # Source markers of the seed articles are left out of the one-line explanations.
    assert all("[" not in c.description for c in controls.values())


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0, 50),
    span=st.floats(0.5, 2_000_000),
    integer=st.booleans(),
    keep=st.lists(st.floats(0, 2_000_050), max_size=3),
)
def test_value_grid_is_sorted_bounded_and_keeps_requested_values(low, span, integer, keep):
    if integer:
        low, span = float(round(low)), float(max(1, round(span)))
        keep = [float(round(k)) for k in keep]
    high = low + span
    grid = value_grid(low, high, integer, keep)
    assert list(grid) == sorted(set(grid))
    assert grid[0] == pytest.approx(low) and grid[-1] == pytest.approx(high)
    assert all(low - 1e-9 <= g <= high + 1e-9 for g in grid)
    for k in keep:
        if low <= k <= high:
            assert any(abs(g - k) < 1e-9 for g in grid)
    assert len(grid) <= 200  # a usable slider


def test_wide_dollar_ranges_get_round_values_a_teacher_asks_for():
    grid = value_grid(0, 1_000_000, integer=False)
    for wanted in (0, 10, 50, 100, 250, 500, 1000):
        assert wanted in grid


def _find_texts(rc) -> list[str]:
    return [
        w.children[0]
        for w in rc.find(v.Html, tag="span").widgets
        if w.children and isinstance(w.children[0], str)
    ]


def test_control_panel_renders_schema_labels_units_and_explanations():
    scenario = load_scenario("corner_pharmacy")
    calls = []
    _, rc = solara.render(
        ControlPanel(scenario, "pharmacy", {}, on_value=lambda k, val: calls.append((k, val))),
        handle_error=False,
    )
    expected = _controls(scenario, "pharmacy")
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == sum(c.kind == "slider" for c in expected.values())
    texts = " | ".join(_find_texts(rc))
    for control in expected.values():
        assert control.label in texts
        assert control.description in texts
        assert f"{control.format()} · {control.unit}" in texts
    frontline = rc.find(
        v.Slider,
        attributes={
            "data-testid": "slider-firms.pharmacy.culture.empowerment.frontline",
            "aria-label": "Frontline employees' limit",
        },
    ).widget
    spec = expected["firms.pharmacy.culture.empowerment.frontline"]
    assert frontline.v_model == spec.values.index(0)
    target = spec.values.index(100)
    frontline.fire_event("change", target)
    assert calls == [("firms.pharmacy.culture.empowerment.frontline", 100)]
    rc.close()


class BraveCulture(Culture):
    """A culture with one more lever (a schema extension the UI has never heard of)."""

    psychological_safety: float = param(
        0.4, "share 0-1", "Staff can admit mistakes without fear [D].", ge=0, le=1
    )
    huddles_per_week: int = param(2, "meetings per week", "Short team meetings.", ge=0, le=14)


class BraveFirm(Firm):
    culture: BraveCulture = Field(default_factory=BraveCulture)


class BraveScenario(Scenario):
    firms: dict[str, BraveFirm] = Field(..., min_length=1, max_length=32)


def test_a_new_schema_field_appears_in_the_controls_without_ui_changes():
    data = load_scenario("corner_pharmacy").model_dump(mode="json")
    data["firms"]["pharmacy"]["culture"]["psychological_safety"] = 0.65
    scenario = BraveScenario.model_validate(data)
    calls = []
    _, rc = solara.render(
        ControlPanel(scenario, "pharmacy", {}, on_value=lambda k, val: calls.append((k, val))),
        handle_error=False,
    )
    key = "firms.pharmacy.culture.psychological_safety"
    slider = rc.find(
        v.Slider,
        attributes={"data-testid": f"slider-{key}", "aria-label": "Staff can admit mistakes without fear"},
    ).widget
    spec = _controls(scenario, "pharmacy")[key]
    assert spec.unit == "share 0-1" and (spec.low, spec.high) == (0, 1)
    assert spec.description == "Staff can admit mistakes without fear."
    assert spec.values[slider.v_model] == pytest.approx(0.65)
    texts = " | ".join(_find_texts(rc))
    assert "Staff can admit mistakes without fear." in texts
    assert "Short team meetings" in texts and "meetings per week" in texts
    slider.fire_event("change", nearest_index(spec.values, 0.9))
    assert calls == [(key, pytest.approx(0.9))]
    huddles = _controls(scenario, "pharmacy")["firms.pharmacy.culture.huddles_per_week"]
    assert huddles.values == tuple(range(0, 15))
    rc.close()


FRONTLINE = "firms.pharmacy.culture.empowerment.frontline"


class ReRunningColumn:
    """One control of the pharmacy's frontline limit (at $0), rendered as a re-running column
    renders it: :meth:`publish` re-renders it several times with a new spec of the same value
    in force; :meth:`in_force` puts a new value in force; ``calls`` records its commits."""

    def __init__(self, control) -> None:
        self.spec = _controls(load_scenario("corner_pharmacy"), "pharmacy")[FRONTLINE]
        assert self.spec.value == 0
        self.shown = solara.reactive(self.spec)
        self.renders = solara.reactive(0)
        self.calls: list = []

        @solara.component
        def Panel():
            _ = self.renders.value
            control(self.shown.value, lambda k, val: self.calls.append((k, val)))

        _, self.rc = solara.render(Panel(), handle_error=False)

    def widget(self, cls):
        return self.rc.find(cls).widget

    def publish(self, times: int = 3) -> None:
        for _ in range(times):
            self.renders.value += 1
            self.shown.value = dataclasses.replace(self.spec)  # a new object, the same value

    def in_force(self, value: float) -> None:
        self.shown.value = dataclasses.replace(self.spec, value=value)


def test_a_typed_amount_survives_re_renders_until_a_new_value_is_in_force():
    """While a column re-runs, the panel re-renders several times a second; the field bound to the
    value in force put it back under the person's fingers, and Enter then changed nothing (found
    in the browser test on a loaded CI machine: $120 typed, $100 kept)."""
    column = ReRunningColumn(NumberControl)
    column.widget(v.TextField).v_model = "120"  # the person types; the browser syncs the text
    column.publish()
    assert column.widget(v.TextField).v_model == "120"
    column.widget(v.TextField).fire_event("change", "120")
    assert column.calls == [(FRONTLINE, 120)]
    column.in_force(120.0)  # the change is in force
    assert column.widget(v.TextField).v_model == "120"
    column.in_force(50.0)  # set elsewhere (the slider)
    assert column.widget(v.TextField).v_model == "50"
    column.rc.close()


def test_an_entry_commits_once_by_whichever_event_comes_first():
    """Vuetify's "change" carries the typed text; Enter's key-up and leaving the field read the
    text the browser synced. Each alone once lost an entry on a loaded CI machine, so all three
    commit and an entry commits once: the same value for the same value in force is not sent
    again. The synced text may be the only one (no "change": Vuetify fires it on Enter only if
    the text differs from the one it noted on focus), or "change" the only one."""
    column = ReRunningColumn(NumberControl)
    field = column.widget(v.TextField)
    field.v_model = "120"
    field.fire_event("keyup.enter", {})  # no "change" this time
    field.fire_event("change", "120")
    field.fire_event("focusout", {})
    assert column.calls == [(FRONTLINE, 120)]
    column.publish()  # re-runs; 120 not in force yet
    field.fire_event("keyup.enter", {})
    assert column.calls == [(FRONTLINE, 120)]
    column.in_force(120.0)
    field.fire_event("change", "75")  # "change" only: the synced text still reads 120
    field.fire_event("keyup.enter", {})
    field.v_model = ""  # cleared: nothing changes
    field.fire_event("focusout", {})
    column.in_force(75.0)
    field.v_model = "120"  # back to a value sent before, now against 75 in force
    field.fire_event("focusout", {})
    assert column.calls == [(FRONTLINE, 120), (FRONTLINE, 75), (FRONTLINE, 120)]
    column.rc.close()


def test_a_slider_moved_by_hand_stays_where_it_was_left_through_re_renders():
    column = ReRunningColumn(SliderControl)
    values = column.spec.values
    assert column.widget(v.Slider).v_model == values.index(0)
    column.widget(v.Slider).v_model = values.index(100)  # dragged; synced before the release
    column.publish()
    assert column.widget(v.Slider).v_model == values.index(100)
    assert column.calls == []  # only the release commits
    column.widget(v.Slider).fire_event("change", values.index(100))
    assert column.calls == [(FRONTLINE, 100)]
    column.in_force(250.0)  # set elsewhere (typed)
    assert column.widget(v.Slider).v_model == values.index(250)
    column.rc.close()
