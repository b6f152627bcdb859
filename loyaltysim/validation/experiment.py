"""Validation experiment files (``experiments/validation/*.toml``): which finding, which scenario,
which settings at full size and at ``--quick`` size, and the finding's own knobs.

Example::

    finding = "complaint_repurchase"     # the analysis to run (see loyaltysim.validation.registry)
    scenario = "loyal_brand"             # shipped scenario name, or a path relative to this file
    seed = 7
    replications = 2                     # seeds seed, seed + 1, ...
    [set]                                # overrides of every run (dotted scenario keys, as --set)
    "market.customers" = 20000
    [quick]                              # overrides on top of [set] for --quick and the CI tests
    "market.customers" = 3000
    [variants.monopoly]                  # optional named variants, each a table of overrides
    "market.outside_option" = false
    [params]                             # the finding's own settings, validated by the finding
    small_problem_dollars = 5.0

Like scenarios and sweep experiments, files are data (never executed) and errors name the file,
the key path and what is allowed.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from loyaltysim.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios
from loyaltysim.schema import StrictModel
from loyaltysim.shipped import find_toml

Scalar = bool | int | float | str


class ValidationExperimentError(ScenarioError):
    """A validation experiment could not be loaded (message names file, key path, allowed)."""


class ValidationExperiment(StrictModel):
    """One validation experiment file, as written."""

    finding: str = Field(description="Which analysis runs: a key of the validation registry.")
    scenario: str = Field(description="Shipped scenario name or path (relative to this file).")
    seed: int = Field(1, ge=0, le=2**62, description="Seed of the first replication.")
    replications: int = Field(1, ge=1, le=1000, description="Seeds seed, seed + 1, ...")
    set: dict[str, Scalar] = Field(
        default_factory=dict, description="Overrides applied to every run (dotted keys)."
    )
    quick: dict[str, Scalar] = Field(
        default_factory=dict, description="Overrides on top of [set] with --quick."
    )
    quick_replications: int | None = Field(
        None, ge=1, le=1000, description="Replications with --quick (default: the same as replications)."
    )
    variants: dict[str, dict[str, Scalar]] = Field(
        default_factory=dict, description="Named variants, each a table of overrides."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="The finding's own settings.")


def validation_dir() -> Path:
    """The folder of shipped validation experiments (``experiments/validation/``)."""
    from loyaltysim.sweep.experiment import experiments_dir

    return experiments_dir() / "validation"


class LoadedValidation(BaseModel):
    """A validation experiment checked against its scenario and its finding's parameters."""

    model_config = {"arbitrary_types_allowed": True}

    path: Path
    spec: ValidationExperiment
    params: Any  # the finding's pydantic Params instance
    quick: bool

    @property
    def key(self) -> str:
        """The finding key (also the file's stem for shipped files)."""
        return self.spec.finding

    @property
    def seeds(self) -> list[int]:
        """Seeds of the replications at this size."""
        n = self.spec.replications
        if self.quick and self.spec.quick_replications is not None:
            n = self.spec.quick_replications
        return [self.spec.seed + k for k in range(n)]

    def overrides(self, variant: str | None = None, **extra: Scalar) -> dict[str, Scalar]:
        """[set], then [quick] when quick, then the variant's table, then ``extra``."""
        out = dict(self.spec.set)
        if self.quick:
            out.update(self.spec.quick)
        if variant is not None:
            out.update(self.spec.variants[variant])
        out.update(extra)
        return out

    def scenario(self, variant: str | None = None, **extra: Scalar) -> Scenario:
        """The validated scenario of a variant (None: the base), with ``extra`` overrides."""
        return load_scenario(self._scenario_source(), self.overrides(variant, **extra))

    def _scenario_source(self) -> str:
        name = self.spec.scenario
        beside = self.path.parent / name
        return str(beside) if beside.is_file() else name

    def settings(self) -> dict[str, Any]:
        """What the report prints under "settings": scenario, overrides, variants, seeds."""
        return {
            "file": self.path.name,
            "scenario": self.spec.scenario,
            "size": "quick" if self.quick else "full",
            "overrides": self.overrides(),
            "variants": self.spec.variants,
            "seeds": self.seeds,
            "params": self.params.model_dump() if self.params is not None else {},
        }


def _fail(label: str, key: str, message: str) -> ValidationExperimentError:
    return ValidationExperimentError(f"{label}: {key}: {message}", file=label, key_path=key)


def resolve_validation(source: str | os.PathLike[str]) -> Path:
    """The file of a shipped validation experiment (by finding name) or a path."""
    text = os.fspath(source)
    found = find_toml(text, validation_dir())
    if found.path is not None:
        return found.path
    raise ValidationExperimentError(
        f"validation experiment {text!r}: no such file or shipped "
        "finding" + found.did_you_mean() + f". Shipped: {', '.join(found.names) or 'none'}.",
        file=text,
    )


def load_validation(source: str | os.PathLike[str], quick: bool = False) -> LoadedValidation:
    """Read and check a validation experiment: schema, finding name, the finding's params, and
    that the scenario loads with [set], [quick] and every variant (errors name this file)."""
    from loyaltysim.validation.registry import FINDINGS, finding_module

    path = resolve_validation(source)
    label = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationExperimentError(f"{label}: not valid TOML: {exc}", file=label) from None
    try:
        spec = ValidationExperiment.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(ValidationExperiment.model_fields)
            raise _fail(label, key, f"unknown key; allowed at the top level: {allowed}.") from None
        raise _fail(label, key, f"{err['msg']} (got {err.get('input')!r}).") from None
    if spec.finding not in FINDINGS:
        hint = difflib.get_close_matches(spec.finding, list(FINDINGS), n=1)
        raise _fail(
            label,
            "finding",
            f"{spec.finding!r} is not a finding"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; allowed: {', '.join(FINDINGS)}.",
        )
    finding = finding_module(spec.finding)
    try:
        params = finding.Params.model_validate(spec.params)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = "params." + ".".join(str(p) for p in err["loc"])
        allowed = "; ".join(
            f"{name}: {info.description}" for name, info in finding.Params.model_fields.items()
        )
        raise _fail(
            label,
            key,
            f"{err['msg']} (got {err.get('input')!r}). The parameters of {spec.finding!r} are - {allowed}",
        ) from None
    loaded = LoadedValidation(path=path, spec=spec, params=params, quick=quick)
    if spec.scenario not in shipped_scenarios() and not (path.parent / spec.scenario).is_file():
        names = ", ".join(shipped_scenarios())
        raise _fail(
            label,
            "scenario",
            f"{spec.scenario!r} is neither a shipped scenario ({names}) nor a file beside this one.",
        )
    for variant in (None, *spec.variants):
        table = "set" if variant is None else f"variants.{variant}"
        try:
            loaded.scenario(variant)
        except ScenarioError as exc:
            raise _fail(label, (exc.key_path and f"{table}.{exc.key_path}") or table, str(exc)) from None
    return loaded
