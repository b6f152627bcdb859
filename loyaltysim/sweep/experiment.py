"""Experiment files: what a sweep varies, how it samples, how often it repeats, what it keeps.

An experiment is a TOML file (data, never executed), validated like a scenario: unknown keys and
bad values are errors naming the file, the key path and what is allowed. Example::

    name = "empowerment_x_trust"
    scenario = "corner_pharmacy"        # shipped scenario name, or a path relative to this file
    replications = 3                    # seeds per point: seed, seed + 1, ... (same for every point)
    [set]                               # fixed overrides applied to every run
    "market.customers" = 1000
    [design]
    kind = "grid"                       # grid | lhs | sobol | morris
    [parameters."firms.pharmacy.culture.trust"]
    values = [0.2, 0.5, 0.8]
    [parameters."firms.pharmacy.culture.empowerment.frontline"]
    start = 0
    stop = 500
    steps = 6
    [outputs]
    metrics = ["loyalty_rate", "customer_base"]

Every parameter key is a dotted scenario key (as ``--set``); its values must lie within the range the
scenario schema allows for that key. Constraints between keys (shares adding up to 1, stores inside
the town) are checked when each run's scenario is built, so a point that breaks one fails as a run
and is reported, without stopping the others.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from loyaltysim.metrics import FIRM_METRICS, HEADLINE_METRICS
from loyaltysim.scenario import Scenario, ScenarioError, apply_override, load_scenario
from loyaltysim.scenario import describe_allowed as describe_scenario_key
from loyaltysim.scenario import schema_at as walk_scenario_schema
from loyaltysim.schema import StrictModel
from loyaltysim.shipped import find_toml

__all__ = [
    "Derived",
    "Design",
    "Experiment",
    "ExperimentError",
    "LoadedExperiment",
    "Outputs",
    "Parameter",
    "Window",
    "experiments_dir",
    "load_experiment",
]

Scalar = bool | int | float | str
DISTRIBUTIONS = ("uniform", "loguniform", "triangular", "normal")


class ExperimentError(ScenarioError):
    """An experiment could not be loaded or resumed; the message names the file, the key path and
    what is allowed. A :class:`ScenarioError`, so the CLI reports it the same way (exit 2)."""


class Parameter(StrictModel):
    """One varied scenario key: a list of ``values``, a ``start``/``stop``/``steps`` range, or a
    ``distribution`` to sample from (lhs, sobol and morris designs)."""

    values: list[Scalar] | None = Field(None, min_length=1, description="The values to try.")
    start: float | None = Field(None, description="First value of an evenly spaced range.")
    stop: float | None = Field(None, description="Last value of the range (included).")
    steps: int | None = Field(
        None,
        ge=2,
        le=10_000,
        description="Number of values in the range "
        "(grid designs); sampling designs draw uniformly from start to stop.",
    )
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] | None = Field(
        None, description="Distribution sampled by lhs, sobol and morris designs."
    )
    low: float | None = Field(None, description="Lower bound of the distribution.")
    high: float | None = Field(None, description="Upper bound of the distribution.")
    peak: float | None = Field(None, description="Mode of a triangular distribution.")
    mean: float | None = Field(None, description="Mean of a normal distribution (truncated to low..high).")
    sd: float | None = Field(None, gt=0, description="Standard deviation of a normal distribution.")

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        forms = [
            name
            for name, given in (
                ("values", self.values is not None),
                ("start/stop", self.start is not None or self.stop is not None),
                ("distribution", self.distribution is not None),
            )
            if given
        ]
        if len(forms) != 1:
            raise ValueError(
                "give exactly one of: values = [...]; start, stop (and steps for a "
                "grid); or distribution with its bounds"
                + (f" (found {' and '.join(forms)})" if forms else "")
            )
        if forms == ["start/stop"] and (self.start is None or self.stop is None):
            raise ValueError("a range needs both start and stop")
        if self.distribution is not None:
            self._check_distribution()
        elif any(v is not None for v in (self.low, self.high, self.peak, self.mean, self.sd)):
            raise ValueError("low, high, peak, mean and sd belong to a distribution")
        return self

    def _check_distribution(self) -> None:
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"a {self.distribution} distribution needs low < high")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform distribution needs low > 0")
        if self.distribution == "triangular" and not (
            self.peak is not None and self.low <= self.peak <= self.high
        ):
            raise ValueError("a triangular distribution needs low <= peak <= high")
        if self.distribution == "normal" and (self.mean is None or self.sd is None):
            raise ValueError(
                "a normal distribution needs mean and sd (and low, high: it is truncated to them)"
            )

    def extremes(self) -> list[Scalar]:
        """The values at the edges of what this parameter can take (checked against the schema)."""
        if self.values is not None:
            numbers = [v for v in self.values if isinstance(v, int | float) and not isinstance(v, bool)]
            others = [v for v in self.values if v not in numbers]
            return ([min(numbers), max(numbers)] if numbers else []) + others
        if self.distribution is not None:
            return [self.low, self.high]
        return [self.start, self.stop]


class Design(StrictModel):
    """How points are chosen: a full grid, a Latin hypercube, or a Sobol or Morris design
    (SALib)."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid",
        description="grid: every combination; lhs: Latin hypercube of `samples` points; "
        "sobol: Saltelli design with base size `samples` (a power of 2); morris: `samples` "
        "trajectories.",
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="lhs: points; sobol: base sample size N (a power of 2); morris: trajectories.",
    )
    second_order: bool = Field(
        False,
        description="sobol: also compute second-order indices (N x (2D + 2) points instead of N x (D + 2)).",
    )
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels (even).")
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed of the design sampler (not of the simulations)."
    )

    @model_validator(mode="after")
    def _samples_given(self) -> Design:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"a {self.kind} design needs samples = N")
        if self.kind == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise ValueError(
                f"a sobol design needs samples to be a power of 2 (got "
                f"{self.samples}; try {1 << max(1, self.samples.bit_length() - 1)})"
            )
        if self.kind == "morris" and self.levels % 2:
            raise ValueError(f"a morris design needs an even number of levels (got {self.levels})")
        return self


class Window(StrictModel):
    """A named span of weeks whose mean of each kept metric is recorded."""

    name: str = Field(..., pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Name of the window.")
    first: int = Field(..., ge=1, le=5200, description="First week (1 = the first week).")
    last: int = Field(..., ge=1, le=5200, description="Last week, included.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.last < self.first:
            raise ValueError(f"window {self.name!r}: last ({self.last}) is before first ({self.first})")
        return self


class Derived(StrictModel):
    """An output computed from the weekly series around an event."""

    name: str = Field(..., pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Output name.")
    kind: Literal["customers_lost", "kept_share"] = Field(
        ...,
        description="customers_lost: mean customer base over the 13 weeks before the event "
        "minus the customer base `weeks` weeks after it (customers); kept_share: after / before.",
    )
    weeks: int = Field(26, ge=1, le=5200, description="Weeks after the event.")
    event_week: int | None = Field(
        None, ge=2, le=5200, description="Week of the event (default: the first event that fires in the run)."
    )


class Outputs(StrictModel):
    """What each run keeps: summaries over windows, weekly series, derived outputs."""

    firms: list[str] = Field(
        ["focus"], min_length=1, description="Firm keys, 'focus' (the scenario's focus firm) or 'all'."
    )
    metrics: list[str] = Field(
        list(HEADLINE_METRICS), min_length=1, description="Metrics kept (names from loyaltysim.metrics)."
    )
    final_weeks: int = Field(
        13, ge=0, le=5200, description="Mean over the last this many weeks, as window 'final' (0: none)."
    )
    windows: list[Window] = Field([], description="More windows of weeks to average over.")
    weekly: bool = Field(False, description="Also keep the full weekly series of the metrics.")
    derived: list[Derived] = Field([], description="Derived outputs.")

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: list[str]) -> list[str]:
        for name in metrics:
            if name not in FIRM_METRICS:
                hint = difflib.get_close_matches(name, list(FIRM_METRICS), n=1)
                raise ValueError(
                    f"unknown metric {name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                    + f"; metrics are {', '.join(FIRM_METRICS)}"
                )
        return metrics

    @model_validator(mode="after")
    def _unique_names(self) -> Outputs:
        names = ["final", *(w.name for w in self.windows), *(d.name for d in self.derived)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"window and derived output names must be unique ('final' is "
                f"taken); repeated: {', '.join(dupes)}"
            )
        if self.final_weeks == 0 and not (self.windows or self.weekly or self.derived):
            raise ValueError(
                "nothing would be kept: set final_weeks > 0, windows, weekly = true or derived outputs"
            )
        return self


class Experiment(StrictModel):
    """A sweep: a base scenario, parameters to vary, a design, replications and outputs."""

    name: str = Field("", description="Experiment name (defaults to the file name).")
    description: str = Field("", description="What the experiment asks.")
    scenario: str = Field(
        ...,
        min_length=1,
        description="Base scenario: a shipped name or a path (relative to the experiment file).",
    )
    set: dict[str, Scalar] = Field({}, description="Fixed overrides applied to every run, as dotted keys.")
    seed: int | None = Field(
        None,
        ge=0,
        le=2**62,
        description="Seed of replication 0; "
        "replication r uses seed + r at every point (common random numbers)."
        " Default: the scenario's market.seed.",
    )
    replications: int = Field(1, ge=1, le=10_000, description="Runs (seeds) per point.")
    design: Design = Field(default_factory=Design)
    parameters: dict[str, Parameter] = Field(..., min_length=1, description="Scenario keys to vary.")
    outputs: Outputs = Field(default_factory=Outputs)

    @model_validator(mode="after")
    def _forms_fit_design(self) -> Experiment:
        for key, p in self.parameters.items():
            if self.design.kind == "grid" and p.distribution is not None:
                raise ValueError(
                    f"parameters.{key}: a grid design needs values or start/stop/"
                    "steps; distributions are for lhs, sobol and morris designs"
                )
            if self.design.kind == "grid" and p.start is not None and p.steps is None:
                raise ValueError(f"parameters.{key}: a range in a grid design needs steps")
            if self.design.kind != "grid" and p.steps is not None:
                raise ValueError(
                    f"parameters.{key}: steps belongs to grid designs; a "
                    f"{self.design.kind} design samples start..stop uniformly"
                )
        return self


class LoadedExperiment(BaseModel):
    """A validated experiment with its resolved base scenario and identity hashes."""

    model_config = {"arbitrary_types_allowed": True}

    experiment: Experiment
    path: Path | None
    base: Scenario  # the base scenario with the fixed overrides (and CLI --set) applied
    seed: int  # seed of replication 0
    focus_firm: str
    firms: list[str]  # firms whose outputs are kept
    text_sha256: str  # hash of the experiment file's text
    scenario_sha256: str  # hash of the resolved base scenario
    cli_set: dict[str, Scalar] = {}

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.experiment.name

    def identity(self) -> dict[str, Any]:
        """What must match for a results folder to be resumed."""
        return {
            "experiment_sha256": self.text_sha256,
            "scenario_sha256": self.scenario_sha256,
            "cli_set": self.cli_set,
        }


def experiments_dir() -> Path:
    """The folder of shipped experiments (``experiments/`` beside the package)."""
    here = Path(__file__).resolve().parents[1]
    repo = here.parent / "experiments"
    return repo if repo.is_dir() else here / "_experiments"


def _resolve(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    found = find_toml(text, experiments_dir())
    if found.path is not None:
        return found.path
    raise ExperimentError(
        f"experiment {text!r}: no such file or shipped experiment"
        + found.did_you_mean()
        + f". Shipped experiments: {', '.join(found.names) or 'none'}; or give a "
        "path to a .toml file.",
        file=text,
    )


def _model_at(loc: tuple) -> tuple[type[BaseModel] | None, str | None]:
    """The schema class holding the last key of ``loc`` (an experiment error location) and that
    key; (None, None) when the location is not inside a table of the schema."""
    model: Any = Experiment
    skip_key = False  # the previous part was a dict or list field: this part is a key or index
    for part in loc[:-1]:
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        info = model.model_fields.get(str(part))
        if info is None:
            return None, None
        annotation = info.annotation
        if typing.get_origin(annotation) in (dict, list):
            annotation, skip_key = typing.get_args(annotation)[-1], True
        models = [
            a
            for a in (annotation, *typing.get_args(annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        model = models[0] if models else None
    if isinstance(model, type) and issubclass(model, BaseModel) and loc:
        return model, str(loc[-1])
    return None, None


def _format_error(err: dict[str, Any], label: str) -> str:
    loc = tuple(err["loc"])
    path = ".".join(f'"{p}"' if isinstance(p, str) and "." in p else str(p) for p in loc)
    model, key = _model_at(loc) if loc else (Experiment, None)
    if err["type"] == "extra_forbidden" and model is not None:
        options = list(model.model_fields)
        hint = difflib.get_close_matches(str(key), options, n=1)
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        return (
            f"{label}: unknown key {path!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; allowed at {where}: {', '.join(options)}."
        )
    msg = err["msg"].removeprefix("Value error, ")
    described = ""
    if model is not None and key in model.model_fields:
        described = model.model_fields[key].description or ""
    if err["type"] == "missing":
        return f"{label}: {path} is required" + (f": {described}" if described else "") + "."
    if err["type"] == "value_error" or not loc:
        return f"{label}: {path + ': ' if path else ''}{msg}."
    return (
        f"{label}: {path} = {err.get('input')!r} is not allowed: {msg}"
        + (f" ({described.rstrip('.')})" if described else "")
        + "."
    )


def _validate(data: dict[str, Any], label: str) -> Experiment:
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        raise ExperimentError(
            " ".join(_format_error(e, label) for e in errors),
            file=label,
            key_path=".".join(str(p) for p in first["loc"]),
        ) from None


def _check_against_scenario(exp: Experiment, base: Scenario, label: str) -> None:
    """Each parameter key must be a scenario key, each extreme value within the key's range."""
    data = base.model_dump(mode="json")
    for key, param in exp.parameters.items():
        where = f"{label}: parameters.{key!r}"
        try:
            apply_override(copy.deepcopy(data), key, param.extremes()[0], label=where)
        except ScenarioError as exc:
            raise ExperimentError(str(exc), file=label, key_path=f"parameters.{key}") from None
        parts = key.split(".")
        section, field = _section_class(parts[:-1]), parts[-1]
        annotation, _ = walk_scenario_schema(parts)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            raise ExperimentError(
                f"{where}: {key} is a table, not a value; vary one of its keys: "
                f"{', '.join(annotation.model_fields)}.",
                file=label,
                key_path=f"parameters.{key}",
            )
        for value in param.extremes():
            try:
                section.__pydantic_validator__.validate_assignment(section.model_construct(), field, value)
            except ValidationError:
                raise ExperimentError(
                    f"{where}: value {value!r} is not allowed: {describe_scenario_key(parts)}.",
                    file=label,
                    key_path=f"parameters.{key}",
                ) from None
        if param.distribution is not None and annotation is bool:
            raise ExperimentError(
                f"{where}: a true/false key cannot follow a distribution; give values = [false, true].",
                file=label,
                key_path=f"parameters.{key}",
            )


def _section_class(parts: list[str]) -> type[BaseModel]:
    annotation, _ = walk_scenario_schema(parts) if parts else (Scenario, None)
    return annotation


def _firms(exp: Experiment, base: Scenario, label: str) -> list[str]:
    firms: list[str] = []
    for name in exp.outputs.firms:
        if name == "all":
            firms += base.firm_ids
        elif name == "focus":
            firms.append(base.focus_firm)
        elif name in base.firms:
            firms.append(name)
        else:
            hint = difflib.get_close_matches(name, base.firm_ids, n=1)
            raise ExperimentError(
                f"{label}: outputs.firms: unknown firm {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; allowed: 'focus', 'all' or {', '.join(base.firm_ids)}.",
                file=label,
                key_path="outputs.firms",
            )
    return list(dict.fromkeys(firms))


def _check_windows(exp: Experiment, base: Scenario, label: str) -> None:
    weeks = base.market.weeks
    varies_weeks = "market.weeks" in exp.parameters
    for i, window in enumerate(exp.outputs.windows):
        if window.first > weeks and not varies_weeks:
            raise ExperimentError(
                f"{label}: outputs.windows.{i} ({window.name!r}) starts in week "
                f"{window.first} but the runs last {weeks} weeks "
                "(market.weeks); allowed: first <= market.weeks.",
                file=label,
                key_path=f"outputs.windows.{i}.first",
            )
    if exp.outputs.final_weeks > weeks and not varies_weeks:
        raise ExperimentError(
            f"{label}: outputs.final_weeks = {exp.outputs.final_weeks} is longer "
            f"than the runs ({weeks} weeks); allowed: 0 to {weeks}.",
            file=label,
            key_path="outputs.final_weeks",
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of a scenario's canonical JSON (every value resolved)."""
    return _sha256(json.dumps(scenario.model_dump(mode="json"), sort_keys=True))


def load_experiment(
    source: str | os.PathLike[str], cli_set: dict[str, Scalar] | None = None, text: str | None = None
) -> LoadedExperiment:
    """Load and validate an experiment file (a path or a shipped experiment's name).

    ``cli_set`` holds extra fixed overrides (``--set`` on the command line), applied after the
    file's ``[set]``; ``text`` gives the TOML text directly (``source`` then only labels it).
    Raises :class:`ExperimentError` naming the file, the key path and what is allowed.
    """
    path: Path | None = None
    if text is None:
        path = _resolve(source)
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExperimentError(f"{label}: cannot read the file ({exc}).", file=label) from None
    else:
        label = os.fspath(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(
            f"{label}: not valid TOML: {exc}. Check quotes, brackets and "
            "'key = value' syntax at that line; dotted keys need quotes: "
            '[parameters."firms.pharmacy.culture.trust"].',
            file=label,
        ) from None
    exp = _validate(data, label)
    if not exp.name:
        exp = exp.model_copy(update={"name": Path(label).stem})
    cli_set = dict(cli_set or {})
    scenario_source: str | Path = exp.scenario
    if path is not None:  # a path relative to the experiment file wins over a shipped name
        beside = [path.parent / exp.scenario, path.parent / f"{exp.scenario}.toml"]
        scenario_source = next((p for p in beside if p.is_file()), exp.scenario)
    try:
        base = load_scenario(scenario_source, {**exp.set, **cli_set})
    except ScenarioError as exc:
        raise ExperimentError(
            f"{label}: scenario/set: {exc}", file=label, key_path=exc.key_path or "scenario"
        ) from None
    overlap = sorted(set(exp.parameters) & (set(exp.set) | set(cli_set)))
    if overlap:
        raise ExperimentError(
            f"{label}: {', '.join(overlap)} is both varied (parameters) and "
            "fixed (set or --set); allowed: one or the other.",
            file=label,
            key_path=f"parameters.{overlap[0]}",
        )
    _check_against_scenario(exp, base, label)
    firms = _firms(exp, base, label)
    _check_windows(exp, base, label)
    seed = base.market.seed if exp.seed is None else exp.seed
    if seed + exp.replications - 1 > 2**62:
        raise ExperimentError(
            f"{label}: seed + replications - 1 exceeds 2**62 (the largest market.seed).",
            file=label,
            key_path="seed",
        )
    return LoadedExperiment(
        experiment=exp,
        path=path,
        base=base,
        seed=seed,
        focus_firm=base.focus_firm,
        firms=firms,
        text_sha256=_sha256(text),
        scenario_sha256=scenario_hash(base),
        cli_set=cli_set,
    )


def is_whole(value: float) -> bool:
    """True for finite numbers without a fractional part."""
    return math.isfinite(value) and float(value).is_integer()
