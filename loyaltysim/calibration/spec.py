"""Targets files (``loyaltysim calibrate TARGETS.toml``): what a calibration varies and what it fits.

A targets file is TOML data, never executed, validated like a scenario: an unknown key, a bad
value or a range outside the schema's is an error naming the file, the key path and what is
allowed (:class:`CalibrationError`, a :class:`~loyaltysim.scenario.ScenarioError`). Example::

    scenario = "corner_pharmacy"          # base scenario of every target that names none
    seed = 1                              # the sampler's seed
    trials = 200
    replications = 2                      # seeds market.seed, market.seed + 1, ... in every trial
    [set]                                 # fixed overrides of every run (not calibrated)
    "market.customers" = 2000
    [parameters."behaviour.attachment_gain"]
    low = 0.01
    high = 0.5
    log = true
    [targets.pharmacy_nps]
    kind = "metric"                       # metric | contrast | finding | csv
    metric = "nps"
    weeks = [40, 52]
    observed = 20.0
    sd = 5.0

Every key is documented in ``docs/calibration.md``; :mod:`loyaltysim.calibration.plan` turns a
loaded file into the plan the workers evaluate.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import math
import os
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from loyaltysim.metrics import FIRM_METRICS
from loyaltysim.parameters import StrictModel, field_range
from loyaltysim.scenario import Scenario, ScenarioError, dotted_items, load_scenario, schema_at
from loyaltysim.scenario_errors import shown

__all__ = [
    "CSV_ALIASES",
    "CalibrationError",
    "ContrastTarget",
    "CsvTarget",
    "FindingTarget",
    "FreeParameter",
    "LoadedTargets",
    "MetricTarget",
    "TargetsFile",
    "load_targets",
]

Scalar = bool | int | float | str

#: Column names of a store's weekly figures that are not metric names, and the metric they mean.
CSV_ALIASES: dict[str, str] = {"retention": "retention_base"}

#: Keys a calibration may not vary: they choose the run, not the model's behaviour.
FIXED_KEYS = ("market.seed", "market.engine", "market.weeks", "market.warmup_weeks", "market.customers")


class CalibrationError(ScenarioError):
    """A targets file could not be loaded, or a calibration folder not resumed; the message names
    the file, the key path and what is allowed (exit code 2 on the command line)."""


class FreeParameter(StrictModel):
    """One calibrated scenario key and the range searched."""

    low: float = Field(description="Lowest value tried (inside the schema's range for the key).")
    high: float = Field(description="Highest value tried (above low, inside the schema's range).")
    log: bool = Field(False, description="Sample on a log scale (low must then be above 0).")


class _Value(StrictModel):
    """What a scalar target is compared with: ``observed`` with ``sd`` or ``tolerance``, or ``range``."""

    observed: float | None = Field(None, description="The observed value.")
    sd: float | None = Field(
        None,
        gt=0,
        description="Uncertainty of the observed value (standard deviation); with range: the scale.",
    )
    tolerance: float | None = Field(None, gt=0, description="Zero loss within observed +- tolerance.")
    range: list[float] | Literal["plausible"] | None = Field(
        None, description="[low, high]: zero loss inside; 'plausible': the published range of the quantity."
    )
    weight: float = Field(1.0, gt=0, le=1e6, description="Multiplies this target's loss.")
    label: str = Field("", description="How the report names the target (default: its key).")


class _Run(_Value):
    scenario: str | None = Field(None, description="Base scenario (name or path); default: the file's.")
    firm: str | None = Field(None, description="Firm measured (default: the scenario's focus firm).")
    across: Literal["mean", "min", "max"] = Field(
        "mean",
        description="How the replications' values make the trial's: their mean, or the lowest or "
        "highest (min against a range's low end asks it of every replication).",
    )


class MetricTarget(_Run):
    """A metric of a run over a window of weeks (over the replications: see ``across``)."""

    kind: Literal["metric"]
    metric: str | None = Field(None, description="A per-firm weekly metric (loyaltysim.metrics).")
    quantity: str | None = Field(
        None, description="A quantity of the plausibility check (nps, turnover, ...: its unit, %)."
    )
    stat: Literal["mean", "sum", "last", "min", "max"] = Field(
        "mean", description="How the metric's weekly values in the window are summed up."
    )
    weeks: list[int] | Literal["steady"] = Field(
        description="[first, last] week (inclusive) or 'steady' (52 weeks before the first event)."
    )
    versus: str | None = Field(
        None,
        description="Another firm of the same run: the target is the firm's value minus this "
        "firm's (the pharmacy's purchase retention minus the brand's, say).",
    )


class ContrastTarget(_Run):
    """The effect of an event: the run against the same run without that week's events."""

    kind: Literal["contrast"]
    metric: Literal["revenue", "profit", "purchases", "customer_base"] = Field(
        "revenue", description="Metric of loyaltysim.counterfactual.EFFECT_METRICS."
    )
    event_week: int | None = Field(None, ge=1, description="The event's week (default: the only one).")
    window_weeks: int = Field(26, ge=1, le=5200, description="Weeks from the event that are counted.")
    measure: Literal["effect", "effect_share"] = Field(
        "effect_share", description="effect = with - without; effect_share = effect / |without|."
    )


class FindingTarget(StrictModel):
    """The comparisons of a validation finding (published against simulated, the finding's criterion)."""

    kind: Literal["finding"]
    finding: str = Field(description="Shipped finding key or a validation experiment file.")
    comparisons: list[str] = Field(
        default_factory=list, description="Quantity prefixes of the comparisons judged (default: all)."
    )
    quick: bool = Field(True, description="Use the experiment's [quick] size.")
    set: dict[str, Scalar] = Field(
        default_factory=dict, description="Overrides of the finding's runs (before the free parameters)."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Overrides of the finding's [params].")
    miss: float = Field(4.0, gt=0, le=1e6, description="Loss of a failed comparison that has no numbers.")
    weight: float = Field(1.0, gt=0, le=1e6, description="Multiplies this target's loss.")
    label: str = Field("", description="How the report names the target (default: its key).")


class CsvTarget(StrictModel):
    """A store's own weekly figures: one row per week, one column per figure."""

    kind: Literal["csv"]
    file: str = Field(description="CSV file (relative to the targets file).")
    scenario: str | None = Field(None, description="Base scenario (name or path); default: the file's.")
    firm: str | None = Field(None, description="The store (default: the scenario's focus firm).")
    week_column: str = Field("week", description="Column holding the run week (1 = first week).")
    columns: dict[str, str] = Field(
        default_factory=dict, description="CSV column -> metric (default: columns named like metrics)."
    )
    sd: dict[str, float] = Field(description="Uncertainty (sd) of each column's weekly values.")
    weight: float = Field(1.0, gt=0, le=1e6, description="Multiplies this target's loss.")
    label: str = Field("", description="How the report names the target (default: its key).")


Target = Annotated[MetricTarget | ContrastTarget | FindingTarget | CsvTarget, Field(discriminator="kind")]
KINDS = ("metric", "contrast", "finding", "csv")


class TargetsFile(StrictModel):
    """A targets file, as written."""

    description: str = Field("", description="What the calibration is for.")
    scenario: str | None = Field(None, description="Default base scenario (name or path).")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="Seed of the sampler (--seed overrides it).")
    trials: int = Field(100, ge=1, le=1_000_000, description="Trials (--trials overrides it).")
    replications: int = Field(1, ge=1, le=1000, description="Runs per scenario per trial.")
    batch_size: int = Field(8, ge=1, le=10_000, description="Trials asked of the sampler at a time.")
    sampler: Literal["tpe", "random"] = Field("tpe", description="Optuna sampler.")
    startup_trials: int = Field(10, ge=0, le=100_000, description="TPE: random trials before modelling.")
    profile_points: int = Field(
        7, ge=0, le=100, description="Points of each parameter's slice through the best fit (0: none)."
    )
    set: dict[str, Scalar] = Field(default_factory=dict, description="Fixed overrides of every run.")
    start: str | None = Field(
        None,
        description="A scenario fragment (TOML path, relative to this file) whose values of the free "
        "parameters are tried right after the base scenario's (trial 1): start the search from a "
        "known good point, e.g. an earlier calibration's best.toml.",
    )
    parameters: dict[str, FreeParameter] = Field(min_length=1, max_length=200, description="Free parameters.")
    targets: dict[str, Target] = Field(min_length=1, max_length=10_000, description="What is fitted.")


# -- errors -------------------------------------------------------------------------------------
def _fail(label: str, key: str, message: str) -> CalibrationError:
    return CalibrationError(f"{label}: {key}: {message}", file=label, key_path=key)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the targets file at ``loc`` (a dict's key and a union's tag are skipped)."""
    model: Any = TargetsFile
    i = 0
    while i < len(loc):
        fields: dict[str, Any] = getattr(model, "model_fields", {})
        info = fields.get(str(loc[i]))
        if info is None:
            return None
        annotation = info.annotation
        i += 1
        if typing.get_origin(annotation) is dict:
            value = typing.get_args(annotation)[-1]
            i += 1  # the entry's key
            if typing.get_origin(value) is Annotated:  # the targets' union: the next part is the kind
                kinds = {
                    m.model_fields["kind"].annotation.__args__[0]: m
                    for m in typing.get_args(value)[0].__args__
                }
                if i >= len(loc):
                    return None
                model = kinds.get(loc[i])
                i += 1
                continue
            annotation = value
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return model if i >= len(loc) else None
    return model if isinstance(model, type) else None


def _key_path(loc: tuple[Any, ...]) -> str:
    """``loc`` as a dotted key path, without the union's tag (``targets.nps.metric``)."""
    parts = [str(p) for p in loc]
    if len(parts) >= 3 and parts[0] == "targets" and parts[2] in KINDS:
        del parts[2]
    return ".".join(parts)


def _pydantic_message(label: str, exc: ValidationError) -> CalibrationError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    key = _key_path(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        options = list(parent.model_fields) if parent is not None else []
        hint = difflib.get_close_matches(str(loc[-1]), options, n=1)
        where = _key_path(loc[:-1]) or "the top level"
        return _fail(
            label,
            key,
            "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "") + f"; allowed at {where}: "
            f"{', '.join(options)}.",
        )
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        got = err.get("ctx", {}).get("tag", "nothing")
        return _fail(
            label, f"{key}.kind", f"kind = {shown(got)} is not allowed: one of {', '.join(map(repr, KINDS))}."
        )
    field = _model_at(loc[:-1])
    info = field.model_fields.get(str(loc[-1])) if field is not None else None
    meaning = f" ({info.description.rstrip('.')})" if info is not None and info.description else ""
    if err["type"] == "missing":
        return _fail(label, key, f"is required{meaning}.")
    return _fail(label, key, f"{shown(err.get('input'))} is not allowed: {err['msg']}{meaning}.")


# -- loading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadedTargets:
    """A checked targets file: the file, its parsed content, each target's base scenario (loaded
    with ``[set]``), the CSV tables read, and the hash of everything it reads (its identity)."""

    path: Path
    spec: TargetsFile
    scenarios: dict[str, Scenario]  # target name -> base scenario with [set] (csv and run targets)
    tables: dict[str, list[dict[str, float]]]  # csv target name -> rows {week, metric: value}
    integers: frozenset[str]  # free parameters the schema holds as whole numbers
    sha256: str
    start: dict[str, float | int] | None = None  # the free parameters' values of ``start``

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def name(self) -> str:
        return self.path.stem


def _scenario_source(text: str, here: Path) -> str:
    beside = here / text
    if beside.is_file() or (here / f"{text}.toml").is_file():
        return str(beside if beside.is_file() else here / f"{text}.toml")
    return text


def _check_parameter(label: str, key: str, p: FreeParameter) -> bool:
    """Check one free parameter against the schema; return whether it is a whole number."""
    where = f"parameters.{key}"
    annotation, info = schema_at(key.split("."))
    if info is None or annotation in (None, bool, str) or annotation not in (int, float):
        if info is None or annotation is None:
            top = ", ".join(Scenario.model_fields)
            raise _fail(
                label,
                where,
                f"{shown(key)} is not a scenario key; give a dotted key such as "
                f"'behaviour.attachment_gain' or 'firms.<firm>.culture.trust' (sections: {top}).",
            )
        raise _fail(label, where, f"{key} is not a number, so it cannot be calibrated.")
    if key in FIXED_KEYS:
        raise _fail(
            label,
            where,
            f"{key} chooses the run, not the model's behaviour; set it in [set] instead. "
            f"Not calibrated: {', '.join(FIXED_KEYS)}.",
        )
    lo, hi = field_range(info)
    allowed = (
        f"from {lo:g} to {hi:g}"
        if lo is not None and hi is not None
        else (f"at least {lo:g}" if lo is not None else "any number")
    )
    for end, value in (("low", p.low), ("high", p.high)):
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _fail(
                label,
                f"{where}.{end}",
                f"{end} = {shown(value)} is outside what the schema allows for {key}: {allowed}.",
            )
    if not p.low < p.high:
        raise _fail(label, where, f"low ({p.low:g}) must be below high ({p.high:g}).")
    if p.log and p.low <= 0:
        raise _fail(label, f"{where}.low", f"a log scale needs low above 0, not {p.low:g}.")
    if annotation is int and (p.low != int(p.low) or p.high != int(p.high)):
        raise _fail(label, where, f"{key} is a whole number: give whole-number low and high.")
    return annotation is int


def _value_spec(label: str, name: str, t: MetricTarget | ContrastTarget) -> None:
    where = f"targets.{name}"
    given = [k for k in ("observed", "range") if getattr(t, k) is not None]
    if given == ["observed"]:
        if (t.sd is None) == (t.tolerance is None):
            raise _fail(label, where, "with observed, give exactly one of sd (its uncertainty) or tolerance.")
        return
    if given == ["range"]:
        if t.tolerance is not None:
            raise _fail(label, f"{where}.tolerance", "a range target takes no tolerance (sd sets its scale).")
        if t.range == "plausible":
            from loyaltysim.validation.plausibility import RANGE_BY_KEY

            quantity = getattr(t, "quantity", None)
            if quantity not in RANGE_BY_KEY:
                raise _fail(
                    label,
                    f"{where}.range",
                    "'plausible' takes the published range of a quantity: give quantity = one of "
                    f"{', '.join(RANGE_BY_KEY)}, or range = [low, high].",
                )
            return
        assert isinstance(t.range, list)
        if len(t.range) != 2 or not all(math.isfinite(v) for v in t.range) or not t.range[0] < t.range[1]:
            raise _fail(
                label, f"{where}.range", f"{shown(t.range)} is not allowed: give [low, high] with low < high."
            )
        return
    raise _fail(
        label,
        where,
        "give observed with sd or tolerance, or range = [low, high]"
        + (" (not both)." if len(given) == 2 else "."),
    )


def _scenario_of(label: str, name: str, loaded: TargetsFile, given: str | None, here: Path) -> Scenario:
    text = given or loaded.scenario
    key = f"targets.{name}.scenario" if given else "scenario"
    if text is None:
        raise _fail(label, f"targets.{name}.scenario", "no scenario: give one here or at the top level.")
    try:
        return load_scenario(_scenario_source(text, here), loaded.set)
    except ScenarioError as exc:
        raise _fail(label, key if exc.key_path is None else f"set.{exc.key_path}", str(exc)) from None


def _firm(label: str, name: str, spec: Scenario, firm: str | None) -> str:
    if firm is None:
        return spec.focus_firm
    if firm not in spec.firms:
        raise _fail(
            label,
            f"targets.{name}.firm",
            f"{shown(firm)} is not a firm of {spec.name}: {', '.join(spec.firm_ids)}.",
        )
    return firm


def _check_metric(label: str, name: str, t: MetricTarget, spec: Scenario) -> None:
    from loyaltysim.validation.plausibility import WEEKLY_QUANTITIES

    where = f"targets.{name}"
    if (t.metric is None) == (t.quantity is None):
        raise _fail(
            label,
            where,
            "give exactly one of metric (a weekly metric) or quantity (a plausibility quantity).",
        )
    if t.metric is not None and t.metric not in FIRM_METRICS:
        hint = difflib.get_close_matches(t.metric, list(FIRM_METRICS), n=1)
        raise _fail(
            label,
            f"{where}.metric",
            f"{shown(t.metric)} is not a metric"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; allowed: {', '.join(FIRM_METRICS)}.",
        )
    if t.quantity is not None and t.quantity not in WEEKLY_QUANTITIES:
        raise _fail(
            label,
            f"{where}.quantity",
            f"{shown(t.quantity)} is not allowed: one of {', '.join(WEEKLY_QUANTITIES)}.",
        )
    if t.versus is not None:
        firm = t.firm or spec.focus_firm
        others = [f for f in spec.firm_ids if f != firm]
        if t.versus not in others:
            raise _fail(
                label,
                f"{where}.versus",
                f"{shown(t.versus)} is not allowed: another firm of {spec.name} than {firm!r} "
                f"({', '.join(others) or 'there is none'}).",
            )
        if t.range == "plausible":
            raise _fail(
                label,
                f"{where}.range",
                "'plausible' is the published range of one store's quantity, not of a difference "
                "between two stores (versus): give [low, high], or observed with sd or tolerance.",
            )
    if isinstance(t.weeks, list):
        weeks = spec.market.weeks
        if len(t.weeks) != 2 or not 1 <= t.weeks[0] <= t.weeks[1] <= weeks:
            raise _fail(
                label,
                f"{where}.weeks",
                f"{shown(t.weeks)} is not allowed: give [first, last] with 1 <= first <= last <= {weeks} "
                f"(the run's weeks), or 'steady'.",
            )
    else:
        from loyaltysim.validation.plausibility import steady_window

        try:
            steady_window(spec)
        except ValueError as exc:
            raise _fail(label, f"{where}.weeks", f"'steady': {exc}.") from None


def _check_contrast(label: str, name: str, t: ContrastTarget, spec: Scenario) -> None:
    from loyaltysim.counterfactual import event_weeks

    weeks = event_weeks(spec)
    if t.event_week is None:
        if len(weeks) != 1:
            raise _fail(
                label,
                f"targets.{name}.event_week",
                f"{spec.name} has events in weeks {weeks or 'none'}: give the event's week.",
            )
    elif t.event_week not in weeks:
        raise _fail(
            label,
            f"targets.{name}.event_week",
            f"{t.event_week} is not allowed: {spec.name} has events in weeks "
            f"{', '.join(map(str, weeks)) or 'none'}.",
        )


def _check_finding(
    label: str, name: str, t: FindingTarget, here: Path, spec: TargetsFile, integers: frozenset[str]
) -> None:
    from loyaltysim.validation.experiment import load_validation
    from loyaltysim.validation.registry import FINDINGS

    source = t.finding
    beside = here / source
    if not beside.is_file() and source not in FINDINGS:
        hint = difflib.get_close_matches(source, list(FINDINGS), n=1)
        raise _fail(
            label,
            f"targets.{name}.finding",
            f"{shown(source)} is neither a finding"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f" ({', '.join(FINDINGS)}) nor a file beside the targets file.",
        )
    try:
        loaded = load_validation(beside if beside.is_file() else source, quick=t.quick)
        typing.cast(Any, loaded).scenario(**t.set)
        module_params = type(loaded.params)
        module_params.model_validate({**loaded.spec.params, **t.params})
    except ScenarioError as exc:
        raise _fail(label, f"targets.{name}.set", str(exc)) from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        raise _fail(
            label, f"targets.{name}.params.{key}", f"{err['msg']} (got {shown(err.get('input'))})."
        ) from None
    for key, p in spec.parameters.items():  # the free parameters at both ends, on the finding's runs
        for end in ("low", "high"):
            value = getattr(p, end)
            try:
                overrides = {**t.set, key: int(value) if key in integers else value}
                typing.cast(Any, loaded).scenario(**overrides)
            except ScenarioError as exc:
                raise _fail(
                    label, f"parameters.{key}.{end}", f"with the runs of targets.{name}: {exc}"
                ) from None


def read_csv_target(
    label: str, name: str, t: CsvTarget, here: Path, spec: Scenario
) -> list[dict[str, float]]:
    """The rows of a CSV target: ``{"week": w, metric: value, ...}`` with the metrics it maps to."""
    where = f"targets.{name}"
    path = here / t.file
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            raw = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(label, f"{where}.file", f"cannot read {path} as a CSV file ({exc}).") from None
    if t.week_column not in header:
        raise _fail(
            label,
            f"{where}.week_column",
            f"{path} has no column {t.week_column!r}; its columns: {', '.join(header)}.",
        )
    columns = dict(t.columns)
    if not columns:
        for column in header:
            if column == t.week_column:
                continue
            metric = CSV_ALIASES.get(column, column)
            if metric not in FIRM_METRICS:
                raise _fail(
                    label,
                    f"{where}.columns",
                    f"{path}: column {column!r} is not a metric; name the columns like metrics "
                    f"({', '.join(CSV_ALIASES)} or {', '.join(FIRM_METRICS)}) or map them in columns.",
                )
            columns[column] = metric
    for column, metric in columns.items():
        if column not in header:
            raise _fail(
                label,
                f"{where}.columns.{column}",
                f"{path} has no column {column!r}; its columns: {', '.join(header)}.",
            )
        if metric not in FIRM_METRICS:
            raise _fail(
                label,
                f"{where}.columns.{column}",
                f"{shown(metric)} is not a metric; allowed: {', '.join(FIRM_METRICS)}.",
            )
        if column not in t.sd:
            raise _fail(
                label, f"{where}.sd", f"no sd for column {column!r}: give sd.{column} (its uncertainty)."
            )
    for column, value in t.sd.items():
        if column not in columns:
            raise _fail(
                label, f"{where}.sd.{column}", f"{column!r} is not a column used; used: {', '.join(columns)}."
            )
        if not (math.isfinite(value) and value > 0):
            raise _fail(label, f"{where}.sd.{column}", f"{shown(value)} is not allowed: a number above 0.")
    rows: list[dict[str, float]] = []
    seen: set[int] = set()
    for line, row in enumerate(raw, start=2):
        text = (row.get(t.week_column) or "").strip()
        try:
            week = int(text)
        except ValueError:
            raise _fail(
                label, f"{where}.file", f"{path} line {line}: week {shown(text)} is not a whole number."
            ) from None
        if not 1 <= week <= spec.market.weeks or week in seen:
            raise _fail(
                label,
                f"{where}.file",
                f"{path} line {line}: week {week} is not allowed: each week once, from 1 to "
                f"{spec.market.weeks} (the run's weeks; week 1 = the run's first week).",
            )
        seen.add(week)
        values: dict[str, float] = {"week": float(week)}
        for column, metric in columns.items():
            cell = (row.get(column) or "").strip()
            if not cell:
                continue  # a week without that figure
            try:
                value = float(cell)
            except ValueError:
                raise _fail(
                    label,
                    f"{where}.file",
                    f"{path} line {line}, column {column!r}: {shown(cell)} is not a number.",
                ) from None
            if not math.isfinite(value):
                raise _fail(
                    label,
                    f"{where}.file",
                    f"{path} line {line}, column {column!r}: {cell} is not a finite number.",
                )
            values[metric] = value
        rows.append(values)
    if not rows:
        raise _fail(label, f"{where}.file", f"{path} has no rows.")
    return rows


def _fingerprint(paths: list[Path], scenarios: dict[str, Scenario]) -> str:
    """The identity of a calibration's inputs: the files it reads (targets, CSVs, finding
    experiments) and every base scenario as loaded (a changed shipped scenario or schema default
    changes it too)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for name, spec in sorted(scenarios.items()):
        digest.update(name.encode())
        digest.update(spec.model_dump_json().encode())
    return digest.hexdigest()


def load_targets(source: str | os.PathLike[str]) -> LoadedTargets:
    """Read and check a targets file: its schema, every free parameter against the scenario
    schema, every target against its scenario (firm, weeks, event, finding, CSV), and that each
    base scenario loads with ``[set]`` and each free parameter at both ends of its range."""
    path = Path(source)
    label = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise CalibrationError(
            f"{label}: cannot read the targets file ({exc.strerror}).", file=label
        ) from None
    except UnicodeDecodeError:
        raise CalibrationError(
            f"{label}: not a UTF-8 text file; targets files are TOML.", file=label
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"{label}: not valid TOML: {exc}.", file=label) from None
    try:
        spec = TargetsFile.model_validate(data, strict=True)
    except ValidationError as exc:
        raise _pydantic_message(label, exc) from None
    here = path.parent
    integers = frozenset(key for key, p in spec.parameters.items() if _check_parameter(label, key, p))
    scenarios: dict[str, Scenario] = {}
    tables: dict[str, list[dict[str, float]]] = {}
    files = [path]
    for name, t in spec.targets.items():
        if isinstance(t, FindingTarget):
            _check_finding(label, name, t, here, spec, integers)
            from loyaltysim.validation.experiment import resolve_validation

            files.append(resolve_validation(here / t.finding if (here / t.finding).is_file() else t.finding))
            continue
        base = _scenario_of(label, name, spec, t.scenario, here)
        _firm(label, name, base, t.firm)
        if isinstance(t, MetricTarget):
            _value_spec(label, name, t)
            _check_metric(label, name, t, base)
        elif isinstance(t, ContrastTarget):
            _value_spec(label, name, t)
            _check_contrast(label, name, t, base)
        else:
            tables[name] = read_csv_target(label, name, t, here, base)
            files.append(here / t.file)
        scenarios[name] = base
    _check_ends(label, spec, scenarios, integers)
    start = None
    if spec.start is not None:
        start_path = here / spec.start
        start = read_start(label, start_path, spec, integers)
        files.append(start_path)
    return LoadedTargets(path, spec, scenarios, tables, integers, _fingerprint(files, scenarios), start)


def read_start(label: str, path: Path, spec: TargetsFile, integers: frozenset[str]) -> dict[str, float | int]:
    """The values of the free parameters in the scenario fragment ``path`` (the ``start`` key):
    every key it sets must be a free parameter, inside its range; a free parameter it does not
    set is left to the sampler's first guesses (the base scenario's value is trial 0's)."""
    try:
        values = dict(dotted_items(tomllib.loads(path.read_text(encoding="utf-8"))))
    except OSError as exc:
        raise _fail(label, "start", f"cannot read {path} ({exc.strerror}).") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(label, "start", f"{path} is not a valid TOML scenario fragment: {exc}.") from None
    values.pop("extends", None)
    values.pop("name", None)
    out: dict[str, float | int] = {}
    for key, value in values.items():
        p = spec.parameters.get(key)
        if p is None:
            allowed = ", ".join(spec.parameters)
            raise _fail(label, "start", f"{path} sets {key}, which is not a free parameter ({allowed}).")
        if not isinstance(value, int | float) or isinstance(value, bool) or not p.low <= value <= p.high:
            raise _fail(
                label, "start", f"{path}: {key} = {value!r} is outside its range [{p.low:g}, {p.high:g}]."
            )
        out[key] = int(value) if key in integers else float(value)
    if not out:
        raise _fail(label, "start", f"{path} sets none of the free parameters.")
    return out


def _check_ends(
    label: str, spec: TargetsFile, scenarios: dict[str, Scenario], integers: frozenset[str]
) -> None:
    """Each base scenario must load with every free parameter at its low and at its high end (a
    firm key names a firm of that scenario; a share stays a share)."""
    seen: set[str] = set()
    for name, base in scenarios.items():
        if base.name in seen:
            continue
        seen.add(base.name)
        for key, p in spec.parameters.items():
            for end in ("low", "high"):
                try:
                    value = getattr(p, end)
                    load_scenario(base, {key: int(value) if key in integers else value})
                except ScenarioError as exc:
                    raise _fail(
                        label, f"parameters.{key}.{end}", f"with the scenario of targets.{name}: {exc}"
                    ) from None
