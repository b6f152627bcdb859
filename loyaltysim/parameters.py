"""How loyaltysim declares a parameter: unit, default, allowed range, meaning and source, once.

Every scenario parameter - a market setting, a culture lever, a mechanism's coefficient - is a
pydantic field made by :func:`param` (or :func:`dist` for a per-customer trait, :func:`share` for a
0-1 culture lever) inside a :class:`StrictModel` section. The schema (:mod:`loyaltysim.schema`)
assembles the sections; the command line, error messages, ``docs/parameters.md`` and the browser UI
all read the declarations, so nothing else lists them (as Covasim's ``parameters.py`` does).

Sources are cited as in ``docs/sources.md``: [A]-[E] are the five seed articles, published work by
author and year.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo


def param(default: Any, unit: str, description: str, *, source: str = "", **constraints: Any) -> Any:
    """Declare a scenario parameter with its unit, default, range, one-line meaning and source.

    The unit and the source are stored in the JSON schema (``json_schema_extra``) so that the CLI,
    the error messages, the parameter reference and the UI can show them next to the value.
    """
    extra: dict[str, Any] = {"unit": unit}
    if source:
        extra["source"] = source
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def share(default: float, description: str, *, source: str = "") -> Any:
    """A culture lever on a 0-1 scale."""
    return param(default, "share 0-1", description, source=source, ge=0, le=1)


class StrictModel(BaseModel):
    """Base for every schema section: unknown keys are errors, assignments are validated.

    A table given in part keeps the field's own defaults for the keys it leaves out: setting only
    ``customers.habit.mean`` keeps the default spread of habit, not the bare class default.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _fill_from_field_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        filled = dict(data)
        for name, info in cls.model_fields.items():
            given = filled.get(name)
            if isinstance(given, dict):
                default = info.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):
                    filled[name] = {**default.model_dump(), **given}
        return filled


class Distribution(StrictModel):
    """A per-customer trait drawn once at creation: normal(mean, sd), clipped to the trait's range."""

    mean: float = param(1.0, "trait unit", "Population mean of the trait.", ge=-100, le=100)
    sd: float = param(0.0, "trait unit", "Population standard deviation (0 = everyone alike).", ge=0, le=100)


def dist(
    mean: float, sd: float, unit: str, description: str, low: float = 0.0, high: float | None = None
) -> Any:
    """Declare a per-customer trait: its default distribution, unit, meaning and clip range.

    Draws are clipped to ``[low, high]`` (``high=None``: no upper bound) so that a wide spread
    cannot produce negative weights or probabilities above 1.
    """
    return Field(
        default_factory=lambda: Distribution(mean=mean, sd=sd),
        description=description,
        json_schema_extra={"unit": unit, "clip": [low, high]},
    )


def field_range(info: FieldInfo) -> tuple[float | None, float | None]:
    """The (``ge``, ``le``) bounds of a schema field, None where the schema sets none."""
    low = high = None
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "le", None) is not None:
            high = meta.le
    return low, high


def _extra(info: FieldInfo, key: str) -> str:
    extra = info.json_schema_extra
    return str(extra.get(key, "")) if isinstance(extra, dict) else ""


def field_unit(info: FieldInfo) -> str:
    """The unit a schema field stores in its ``json_schema_extra`` ('' if none)."""
    return _extra(info, "unit")


def field_source(info: FieldInfo) -> str:
    """The source a schema field cites in its ``json_schema_extra`` ('' if none)."""
    return _extra(info, "source")


def field_indices(section: type[BaseModel], *names: str) -> tuple[int, ...]:
    """Positions of ``names`` in a coefficient section's packed tuple (its field order).

    A mechanism declares its index constants with this right under its coefficient class,
    naming every field in order; a field added, removed or moved without the constants following
    fails at import instead of shifting every later index silently.
    """
    fields = tuple(section.model_fields)
    if names != fields:
        raise TypeError(f"{section.__name__}: index constants name {names}, the fields are {fields}")
    return tuple(range(len(fields)))


def pack(values: BaseModel, section: type[BaseModel]) -> tuple[float, ...]:
    """The fields of coefficient class ``section`` read from ``values`` (an instance of it, or
    of a schema section that mixes it in, such as ``Behaviour``), as floats in field order (see
    :func:`field_indices`)."""
    return tuple(float(getattr(values, name)) for name in section.model_fields)
