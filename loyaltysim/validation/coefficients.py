"""The model's one set of behaviour coefficients, and the experiment keys that depart from it.

Every finding and every shipped scenario is meant to run with the schema's default behaviour
coefficients (:mod:`loyaltysim.schema`, listed in ``docs/parameters.md``): the ``behaviour``
section and the customer traits under ``customers``. An experiment may set only the setting of a
study (which stores exist, the market's size, the problem sizes asked about, the population).
:func:`coefficient_rows` lists the set as a run uses it; :func:`coefficient_settings` finds the
keys of that set an experiment file, a scenario file beside it or a shipped scenario sets anyway.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loyaltysim.scenario import dotted_items

#: The scenario whose loaded coefficients the report lists (it sets none of its own).
DEFAULT_SCENARIO = "corner_pharmacy"

#: Why an experiment file sets coefficients, keyed by (file, table); printed beside its keys.
NOTES: dict[tuple[str, str], str] = {
    ("scenarios/bass_town.toml", "behaviour"): (
        "Bass's own assumption: every adopter tells (every visit is a promoter's story), so the "
        "model is set to the process whose curve it is compared with. With the default threshold "
        "a new store's customers tell more as rapport with its staff forms (promoter stories in "
        "2 % of triers' weeks at first, 6.6 % after 24 weeks), and even with the stories' reach "
        "rescaled to Bass's q the curve starts too slowly (3.0 points off, peak week 7.5 against "
        "6.2; the measurement in the scenario file). And a closed population (Bass's fixed market "
        "potential): with the default lapse, over the 20 years of Bass's pace lapsed triers stop "
        "telling and newcomers must learn anew, and the curve falls 7.8 points behind F(t) (1.3 "
        "without lapse)."
    ),
    ("scenarios/music_retailer.toml", "customers"): (
        "Habit fitted (loyaltysim calibrate, experiments/calibration/music_retailer.toml) with the "
        "outside option and the segments' purchase rates so that the cohort's BG/NBD parameters "
        "come near CDNOW's; with the default habit the best fit keeps 6 of 8 comparisons "
        "(music_retailer_default_habit.toml): a switch to the outside option must stick, as BG/NBD's death."
    ),
}


@dataclass(frozen=True)
class CoefficientRow:
    """One coefficient of the set: dotted key, value a run uses, unit and meaning (from the schema)."""

    key: str
    value: str
    default: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class CoefficientSetting:
    """A coefficient key a file sets: the file (relative to the experiments folder, or
    ``scenarios/<name>.toml`` for a shipped scenario, ``shipped`` then true), the table it is in
    (``set``, ``quick``, ``variants.<name>``, a scenario's ``behaviour``/``customers`` or
    ``events[<i>].set``), the value set and the schema's default."""

    file: str
    table: str
    key: str
    value: Any
    default: Any
    shipped: bool = False


def is_coefficient(key: str) -> bool:
    """Whether dotted ``key`` is a coefficient of the one set: under ``behaviour.``, or a customer
    trait under ``customers.`` (the segments are the population, a setting of the study)."""
    return key.startswith("behaviour.") or (
        key.startswith("customers.") and not key.startswith("customers.segments.")
    )


def _value_at(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def coefficient_rows(
    scenario: str = DEFAULT_SCENARIO, overrides: Mapping[str, Any] | None = None
) -> list[CoefficientRow]:
    """Every coefficient of the schema's ``behaviour`` section and every customer trait, in
    schema order, with the value in the loaded ``scenario`` (with ``overrides`` set) and the unit
    and meaning that ``docs/parameters.md`` gives (:func:`loyaltysim.paramdoc.leaf_rows`)."""
    from loyaltysim.paramdoc import _toml_value, leaf_rows
    from loyaltysim.scenario import load_scenario

    loaded = load_scenario(scenario, dict(overrides or {}))
    return [
        CoefficientRow(
            row.key, _toml_value(_value_at(loaded, row.key)), row.default, row.unit, row.description
        )
        for row in leaf_rows()
        if row.section in ("behaviour", "customers") and is_coefficient(row.key)
    ]


def _default(key: str) -> Any:
    from loyaltysim.schema import Behaviour, Customers

    try:
        return _value_at({"behaviour": Behaviour(), "customers": Customers()}, key)
    except (AttributeError, KeyError):
        return None


def _scenario_settings(path: Path, label: str, shipped: bool = False) -> list[CoefficientSetting]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = [
        CoefficientSetting(label, key.split(".")[0], key, value, _default(key), shipped)
        for key, value in dotted_items({k: v for k, v in data.items() if k in ("behaviour", "customers")})
        if is_coefficient(key)
    ]
    for i, event in enumerate(data.get("events", [])):
        found += [
            CoefficientSetting(label, f"events[{i}].set", key, value, _default(key), shipped)
            for key, value in dotted_items(event.get("set", {}))
            if is_coefficient(key)
        ]
    return found


def coefficient_settings(folder: Path | None = None, shipped: bool = True) -> list[CoefficientSetting]:
    """The coefficient keys (:func:`is_coefficient`) set by each experiment file ``folder/*.toml``
    (default ``experiments/validation/``) in ``[set]``, ``[quick]`` or a variant, and by each
    scenario file beside it that it uses (its ``[behaviour]``, ``[customers]`` and events); with
    ``shipped``, also by every shipped scenario file (``scenarios/*.toml``, bases included)."""
    from loyaltysim.shipped import scenarios_dir
    from loyaltysim.validation.experiment import validation_dir

    folder = Path(folder) if folder is not None else validation_dir()
    found: list[CoefficientSetting] = []
    seen: set[Path] = set()
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        tables = [("set", data.get("set", {})), ("quick", data.get("quick", {}))]
        tables += [(f"variants.{name}", table) for name, table in data.get("variants", {}).items()]
        for table, overrides in tables:
            found += [
                CoefficientSetting(path.name, table, key, value, _default(key))
                for key, value in dotted_items(overrides)
                if is_coefficient(key)
            ]
        beside = path.parent / str(data.get("scenario", ""))
        if data.get("scenario") and beside.is_file() and beside.resolve() not in seen:
            seen.add(beside.resolve())
            found += _scenario_settings(beside, Path(os.path.relpath(beside, folder)).as_posix())
    if shipped:
        for path in sorted(scenarios_dir().glob("*.toml")):
            found += _scenario_settings(path, f"scenarios/{path.name}", shipped=True)
    return found
