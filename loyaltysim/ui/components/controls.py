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
from loyaltysim.ui.controls import ControlSpec, control_groups

OnValue = Callable[[str, Any], None]


def nearest_index(values: tuple, value: Any) -> int:
    """Position of ``value`` on a slider grid (the nearest grid value)."""
    return min(range(len(values)), key=lambda i: abs(float(values[i]) - float(value)))


@solara.component
def ParamControl(spec: ControlSpec, changed: bool, on_value: OnValue):
    """One parameter: name, value with unit, the control, and the schema's explanation."""
    test_id = f"control-{spec.key}"
    with rv.Html(tag="div", class_="ls-control" + (" ls-changed" if changed else ""),
                 attributes={"data-testid": test_id, "data-value": str(spec.value)}):
        with solara.Row(justify="space-between", style={"align-items": "baseline"}, gap="6px"):
            solara.Text(spec.label, classes=["ls-control-label"])
            solara.Text(f"{spec.format()} · {spec.unit}", classes=["ls-control-value"])
        if spec.kind == "slider":
            def on_index(index: Any, values: tuple = spec.values) -> None:
                on_value(spec.key, values[int(index)])

            rv.Slider(v_model=nearest_index(spec.values, spec.value), min=0,
                      max=len(spec.values) - 1, step=1, dense=True, hide_details=True,
                      on_v_model=on_index, class_="ls-slider",
                      attributes={"data-testid": f"slider-{spec.key}",
                                  "aria-label": spec.label})
        elif spec.kind == "switch":
            rv.Switch(v_model=bool(spec.value), dense=True, hide_details=True,
                      label=spec.format(), on_v_model=lambda v: on_value(spec.key, bool(v)))
        else:
            solara.Select(label=spec.label, values=list(spec.values), value=spec.value,
                          on_value=lambda v: on_value(spec.key, v), dense=True)
        low_high = "" if spec.low is None else f" Range {spec.format(spec.low)} to " \
                                                f"{spec.format(spec.high)}."
        solara.Text(f"{spec.description}{low_high}", classes=["ls-help"])


@solara.component
def ControlPanel(scenario: Scenario, firm: str, overrides: Mapping[str, Any],
                 on_value: OnValue):
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
