"""What ``load_results`` and ``analyze`` need from a sweep's ``manifest.json``, checked up front.

A manifest edited by hand, cut short or written by another program must give one clear message
naming the file and the key path, not a ``KeyError`` deep inside the analysis. Only the keys that
are read are required; other keys are kept as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from loyaltysim.sweep.experiment import ExperimentError

__all__ = ["check_manifest"]

Scalar = bool | int | float | str


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Problem(_Part):
    num_vars: int
    names: list[str]
    bounds: list[list[float]]


class _Design(_Part):
    kind: Literal["grid", "lhs", "sobol", "morris"]
    keys: list[str]
    points: list[dict[str, Scalar]]
    matrix: list[list[float]]
    problem: _Problem | None = None
    second_order: bool | None = None
    levels: int | None = None
    seed: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _Design:
        if len(self.matrix) != len(self.points):
            raise ValueError(f"'matrix' has {len(self.matrix)} rows for {len(self.points)} points")
        for number, point in enumerate(self.points):
            if set(point) != set(self.keys):
                raise ValueError(f"point {number} sets {sorted(point)}, not the design's keys {self.keys}")
        if self.kind in ("sobol", "morris"):
            problem = self.problem
            if problem is None:
                raise ValueError(f"a {self.kind} design needs its 'problem' (names and bounds)")
            if not (problem.names == self.keys and problem.num_vars == len(self.keys) == len(problem.bounds)):
                raise ValueError("'problem' does not describe the design's keys")
            if any(len(row) != len(self.keys) for row in self.matrix):
                raise ValueError("a row of 'matrix' does not have one value per key")
        if self.kind == "sobol" and self.second_order is None:
            raise ValueError("a sobol design needs 'second_order'")
        if self.kind == "morris" and self.levels is None:
            raise ValueError("a morris design needs 'levels'")
        return self


class _ExperimentPart(_Part):
    name: str
    description: str | None = None
    replications: int
    seed: int


class _ScenarioPart(_Part):
    name: str
    focus: str


class _Counts(_Part):
    done: int
    failed: int
    pending: int


class _Run(_Part):
    run_id: str
    point: int
    replication: int
    run_hash: str
    status: Literal["done", "failed", "pending"]


class _Manifest(_Part):
    design: _Design
    experiment: _ExperimentPart
    scenario: _ScenarioPart
    counts: _Counts
    runs: list[_Run]

    @model_validator(mode="after")
    def _runs_in_design(self) -> _Manifest:
        points = len(self.design.points)
        for number, run in enumerate(self.runs):
            if not 0 <= run.point < points:
                raise ValueError(f"runs.{number} is of point {run.point}; the design has {points} points")
        return self


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def check_manifest(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """Return ``manifest`` if it has every key the analysis reads; otherwise raise
    :class:`ExperimentError` naming the file, the first problems' key paths and how to repair."""
    try:
        _Manifest.model_validate(manifest)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg'][:1].lower()}{e['msg'][1:]}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ExperimentError(
            f"{path}: incomplete or altered manifest: {problems}{more}. Rerun the "
            "'loyaltysim sweep' command that wrote this folder (add --force if it refuses): it "
            "rewrites the manifest and redoes no intact run.",
            file=str(path),
            key_path=_where(first["loc"]),
        ) from None
    return manifest
