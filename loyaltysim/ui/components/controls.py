"""Parameter controls generated from the scenario schema (see :mod:`loyaltysim.ui.controls`).

No parameter is named here: the panel shows whatever :func:`control_groups` reads from the
scenario's schema classes, with each field's range, unit and one-line explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import solara
from solara.alias import rv

from loyaltysim.scenario import Scenario
from loyaltysim.ui.controls import ControlSpec, control_groups, format_value

OnValue = Callable[[str, Any], None]


def nearest_index(values: tuple, value: Any) -> int:
    """Position of ``value`` on a slider grid (the nearest grid value)."""
    return min(range(len(values)), key=lambda i: abs(float(values[i]) - float(value)))


def use_held(in_force: Any) -> tuple[Any, Callable[[Any], None]]:
    """A control's own copy of what it shows (a typed text, a thumb's position): what the person
    left there, replaced only when a new value is in force. Reacton sets every prop again on each
    render, and while a column re-runs the panel re-renders several times a second, so a control
    bound to the value in force was set back under the person's fingers (a typed amount lost
    before Enter, a dragged thumb jumping back)."""
    held, set_held = solara.use_state(in_force)
    solara.use_effect(lambda: set_held(in_force), [in_force])
    return held, set_held


@solara.component
def SliderControl(spec: ControlSpec, on_value: OnValue):
    """A slider over the spec's grid that commits on release (or a key press), not while it
    moves.

    It commits on Vuetify's ``change`` event only. Vuetify re-emits a server-set ``v_model`` as
    user input, so a slider that committed on ``v_model`` changes would send a stale value back
    after a newer one (the revert of issue 19: $100 set with the keyboard came back as $150 while
    the column was still re-running the drag's values); ``v_model`` changes only move the thumb.
    """

    def on_change(index: Any, values: tuple = spec.values) -> None:
        on_value(spec.key, values[int(index)])

    position, set_position = use_held(nearest_index(spec.values, spec.value))  # follows the thumb
    slider = rv.Slider(
        v_model=position,
        on_v_model=set_position,
        min=0,
        max=len(spec.values) - 1,
        step=1,
        dense=True,
        hide_details=True,
        class_="ls-slider",
        attributes={"data-testid": f"slider-{spec.key}", "aria-label": spec.label},
    )
    rv.use_event(slider, "change", lambda _widget, _event, index: on_change(index))
    return slider


@solara.component
def NumberControl(spec: ControlSpec, on_value: OnValue):
    """The exact value, typed (committed on Enter or leaving the field); the schema range is in
    its label and a value outside it is refused with the schema's message."""
    unit = "$" if spec.unit.startswith("dollars") else ""
    label = f"{unit}{spec.format(spec.low).lstrip('$')} to {unit}{spec.format(spec.high).lstrip('$')}"

    sent = solara.use_ref((spec.value, spec.value))  # (in force, committed) of the last commit

    def commit(text: Any) -> None:
        try:
            value = float(text)
        except (TypeError, ValueError):
            return  # the browser's number field lets only numbers through; blank: no change
        value = int(value) if value.is_integer() else value
        if value == spec.value or sent.current == (spec.value, value):
            return  # in force already, or sent by another of the three events of one entry
        sent.current = (spec.value, value)
        on_value(spec.key, value)

    shown = format_value(spec.value).replace(",", "").lstrip("$")
    typed, set_typed = use_held(shown)
    with rv.Html(tag="div", class_="ls-number", attributes={"data-testid": f"number-{spec.key}"}):
        # One commit per entry, none per keystroke, by whichever event comes first: Vuetify's
        # "change" (Enter or leaving, carrying the typed text), Enter's key-up or leaving the
        # field (reading the text the browser synced, as Solara's own inputs do). On loaded CI
        # machines each path alone once lost an entry: "change" fires on Enter only if the text
        # differs from the one Vuetify noted on focus, and a re-rendered field can note the typed
        # text itself; the synced text once read stale.
        field = rv.TextField(
            label=label,
            v_model=typed,
            on_v_model=set_typed,
            type="number",
            dense=True,
            hide_details=True,
            prefix=unit,
            attributes={"min": spec.low, "max": spec.high},
        )
        rv.use_event(field, "change", lambda _widget, _event, text: commit(text))
        rv.use_event(field, "keyup.enter", lambda widget, _event, _data: commit(widget.v_model))
        rv.use_event(field, "focusout", lambda widget, _event, _data: commit(widget.v_model))


@solara.component
def ParamControl(spec: ControlSpec, changed: bool, on_value: OnValue):
    """One parameter: label, value with unit, the control(s), and the schema's explanation."""
    test_id = f"control-{spec.key}"
    with rv.Html(
        tag="div",
        class_="ls-control" + (" ls-changed" if changed else ""),
        attributes={"data-testid": test_id, "data-value": str(spec.value)},
    ):
        with solara.Row(justify="space-between", style={"align-items": "baseline"}, gap="6px"):
            solara.Text(spec.label, classes=["ls-control-label"])
            solara.Text(f"{spec.format()} · {spec.unit}", classes=["ls-control-value"])
        if spec.kind == "slider":
            SliderControl(spec, on_value)
            if spec.typed:
                NumberControl(spec, on_value)
        elif spec.kind == "switch":
            rv.Switch(
                v_model=bool(spec.value),
                dense=True,
                hide_details=True,
                label=spec.format(),
                on_v_model=lambda v: on_value(spec.key, bool(v)),
            )
        else:
            solara.Select(
                label=spec.label,
                values=list(spec.values),
                value=spec.value,
                on_value=lambda v: on_value(spec.key, v),
                dense=True,
            )
        low_high = "" if spec.low is None else f" Range {spec.format(spec.low)} to {spec.format(spec.high)}."
        solara.Text(f"{spec.description}{low_high}", classes=["ls-help"])


@solara.component
def ControlPanel(scenario: Scenario, firm: str, overrides: Mapping[str, Any], on_value: OnValue):
    """Every story control of ``firm``, grouped by schema section; changed ones are marked."""
    groups = solara.use_memo(lambda: control_groups(scenario, firm), [scenario, firm])
    with solara.Column(gap="4px"):
        for group in groups:
            with rv.Html(tag="div", class_="ls-group"):
                solara.Text(group.title, classes=["ls-group-title"])
                solara.Text(group.description, classes=["ls-help"])
                with rv.Html(tag="div", class_="ls-group-controls"):
                    for spec in group.controls:
                        ParamControl(spec, spec.key in overrides, on_value).key(spec.key)
