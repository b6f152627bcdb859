"""The scenario schema's numeric parameters with their ranges: shared by the property-based tests."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from loyaltysim.schema import Scenario


def _numeric_leaves(model: type[BaseModel], prefix: str = ""):
    """(key template, type, low, high) of every int/float parameter; firms as ``<id>``."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) is dict:
            yield from _numeric_leaves(typing.get_args(annotation)[-1], f"{prefix}{name}.<id>.")
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _numeric_leaves(annotation, f"{prefix}{name}.")
        elif annotation in (int, float):
            lo = next(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)
            hi = next(m.le for m in info.metadata if getattr(m, "le", None) is not None)
            yield f"{prefix}{name}", annotation, lo, hi


ALL_NUMERIC = [
    leaf
    for leaf in _numeric_leaves(Scenario)
    # cross-field rules: shares add up to 1; firms lie inside the town
    if not leaf[0].endswith((".share", "x_km", "y_km", "town_km"))
]
# Tables whose defaults come from the enclosing field (a segment's share, a trait's sd), not from
# their own class: overriding one key of them must keep the others (tested separately below).
FACTORY_DEFAULTED = tuple(
    f"customers.{name}."
    for name, info in Scenario.model_fields["customers"].annotation.model_fields.items()
    if info.default_factory is not None
)
NUMERIC = [leaf for leaf in ALL_NUMERIC if not leaf[0].startswith(FACTORY_DEFAULTED)]
