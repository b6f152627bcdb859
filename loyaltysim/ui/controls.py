"""Control specifications read from the scenario schema: one source of truth for every parameter.

For each parameter the UI shows, this module reads the pydantic field of the *scenario instance*
(so a subclassed or extended schema shows its own fields): its range (``ge``/``le``), unit
(``json_schema_extra["unit"]``), one-line meaning (``description``) and default. Which sections
and fields are shown is UI configuration (:data:`loyaltysim.ui.config.STORY_CONTROLS`); what they
mean is never written here.

Sliders move over a grid of values built from the schema range: an even grid for narrow ranges
(0-1 shares, hours, price ratios) and a 1-2-2.5-5 grid per decade for wide ones (dollar limits:
$0, $10, $20, $25, $50, $100 ... $1,000,000, 22 positions), always including the default. The
grid never depends on the current value: a slider position means the same value before and
after a change (see :func:`value_grid`). Exact values are typed into a number input instead.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from loyaltysim.schema import Scenario, field_range, field_unit
from loyaltysim.ui.config import STORY_CONTROLS

#: Ranges wider than this (in the field's unit) get a per-decade grid instead of an even one.
WIDE_RANGE = 100.0

#: Steps of an even grid over a narrow range (about; rounded to a 1-2-2.5-5 step).
EVEN_STEPS = 100

#: Mantissas of the per-decade grid.
DECADE_MANTISSAS: tuple[float, ...] = (1, 2, 2.5, 5)

#: A wide grid's smallest non-zero step is the range divided by this (10 for $0-$1,000,000).
WIDE_DECADES = 1e5

#: Longest label taken from a schema description; longer ones fall back to the field's name.
LABEL_CHARS = 56

_CLAUSE = re.compile(r"[:;(]|, |\. |\.$")

# Source markers such as "[A]" or "[A]-[E]" in schema descriptions refer to the seed articles;
# the UI's one-line explanations leave them out.
_SOURCES = re.compile(r"\s*\[[A-Z]\](?:\s*-\s*\[[A-Z]\]|\[[A-Z]\])*")


@dataclass(frozen=True)
class ControlSpec:
    """One control: a schema field of one firm, with everything the UI needs to show it.

    ``kind`` is ``"slider"`` (``values`` is the grid, ``value`` is on it), ``"switch"`` (a yes/no
    field) or ``"choice"`` (``values`` lists the allowed options).
    """

    key: str
    name: str
    label: str
    kind: Literal["slider", "switch", "choice"]
    value: Any
    values: tuple[Any, ...]
    low: float | None
    high: float | None
    unit: str
    description: str
    default: Any

    def format(self, value: Any | None = None) -> str:
        """The value as shown next to the control, with its unit where it reads naturally."""
        return format_value(self.value if value is None else value, self.unit)

    @property
    def typed(self) -> bool:
        """Whether the value is also typed as a number (wide ranges such as dollar limits, where
        a slider alone cannot hit $120 or 3 per 1,000)."""
        return self.kind == "slider" and self.high - self.low > WIDE_RANGE


@dataclass(frozen=True)
class ControlGroup:
    """Controls of one schema section (culture, empowerment, staffing or the store itself)."""

    title: str
    description: str
    controls: tuple[ControlSpec, ...]


def humanise(name: str) -> str:
    """``frontline_per_1000`` -> ``Frontline per 1000``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label_from(description: str | None, name: str) -> str:
    """A control's label: the first clause of its schema description (``Frontline employees'
    limit``, ``Price level``), or the humanised field name when there is none or it is long."""
    first = _CLAUSE.split(one_line(description), maxsplit=1)[0].strip()
    if not first or len(first) > LABEL_CHARS:
        return humanise(name)
    return first[:1].upper() + first[1:]


def one_line(text: str | None) -> str:
    """A schema description as one plain line, without the seed-article markers."""
    return _SOURCES.sub("", " ".join((text or "").split())).strip()


def format_value(value: Any, unit: str = "") -> str:
    """Short display of a parameter value: ``$100``, ``0.35``, ``1.05``, ``yes``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
        if unit.startswith("dollars"):
            return f"${number}"
        return number
    return str(value)


def _nice_step(span: float) -> float:
    raw = span / EVEN_STEPS
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1, 2, 2.5, 5, 10):
        if mantissa * power >= raw - 1e-12:
            return mantissa * power
    return 10 * power  # pragma: no cover - the loop always returns


def value_grid(low: float, high: float, integer: bool, keep: Sequence[float] = ()) -> tuple:
    """Slider positions over ``[low, high]``: even for narrow ranges, per decade for wide ones.

    ``keep`` values (the current and the default value) are always on the grid.
    """
    if high - low <= WIDE_RANGE:
        step = max(1.0, round(_nice_step(high - low))) if integer else _nice_step(high - low)
        count = math.floor((high - low) / step + 1e-9)
        inner = (round(low + i * step, 10) for i in range(1, count + 1))
        grid = {low, high} | {v for v in inner if low < v < high}
    else:
        grid = {low, high}
        start = max(low, 1.0, (high - low) / WIDE_DECADES)
        decade = 10.0 ** math.floor(math.log10(start))
        while decade <= high:
            grid |= {m * decade for m in DECADE_MANTISSAS if low <= m * decade <= high}
            decade *= 10
    grid |= {v for v in keep if v is not None and low <= v <= high}
    values = sorted(grid)
    if integer:
        values = sorted({round(v) for v in values})
    return tuple(values)


def _control(key: str, name: str, info: FieldInfo, value: Any) -> ControlSpec | None:
    """A control for one scalar field, or None for fields the UI cannot edit with a control."""
    annotation = info.annotation
    default = info.get_default(call_default_factory=True)
    unit, description = field_unit(info), one_line(info.description)
    low, high = field_range(info)
    common = dict(
        key=key,
        name=name,
        label=label_from(info.description, name),
        value=value,
        low=low,
        high=high,
        unit=unit,
        description=description,
        default=default,
    )
    if annotation is bool:
        return ControlSpec(kind="switch", values=(False, True), **common)
    if typing.get_origin(annotation) is Literal:
        return ControlSpec(kind="choice", values=typing.get_args(annotation), **common)
    if annotation in (int, float) and low is not None and high is not None:
        # Not the current value: the grid (and what a slider position means) stays the same
        # whatever the value, so a position sent by the browser cannot mean another value.
        grid = value_grid(float(low), float(high), annotation is int, keep=(default,))
        return ControlSpec(kind="slider", values=grid, **common)
    return None


def _section(firm: BaseModel, path: str) -> BaseModel:
    node = firm
    for part in filter(None, path.split(".")):
        node = getattr(node, part)
    return node


def control_groups(
    scenario: Scenario, firm: str, story: Sequence[tuple[str, str]] = STORY_CONTROLS
) -> list[ControlGroup]:
    """The controls of ``firm`` in ``scenario``: one group per schema section named in ``story``.

    Everything shown - label, range, grid, unit, explanation, default - is read from the schema
    fields of the scenario's own (possibly subclassed) section classes.
    """
    firm_obj = scenario.firms[firm]
    groups: dict[str, tuple[BaseModel, list[ControlSpec]]] = {}
    for path, wanted in story:
        section = _section(firm_obj, path)
        fields = type(section).model_fields
        names = list(fields) if wanted == "*" else [wanted]
        prefix = ".".join(filter(None, ("firms", firm, path)))
        _, controls = groups.setdefault(path, (section, []))
        for name in names:
            control = _control(f"{prefix}.{name}", name, fields[name], getattr(section, name))
            if control is not None:
                controls.append(control)
    result = []
    for path, (section, controls) in groups.items():
        title = humanise(path.rsplit(".", 1)[-1]) if path else "Store"
        doc = (type(section).__doc__ or "").strip().splitlines()
        result.append(
            ControlGroup(title=title, description=one_line(doc[0] if doc else ""), controls=tuple(controls))
        )
    return result


def override_label(scenario: Scenario, firm: str, key: str, value: Any) -> str:
    """A changed parameter as people read it: ``Frontline employees' limit: $100`` rather than
    ``firms.pharmacy.culture.empowerment.frontline = 100.0``."""
    for group in control_groups(scenario, firm):
        for control in group.controls:
            if control.key == key:
                return f"{control.label}: {control.format(value)}"
    parts = key.split(".")
    where = f" ({humanise(parts[-2])})" if len(parts) > 2 else ""
    return f"{humanise(parts[-1])}{where}: {format_value(value)}"
