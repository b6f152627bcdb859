"""Design generation: the parameter points of an experiment, in a fixed order.

A grid is the cartesian product of every parameter's values (the first parameter varies slowest).
Latin hypercube, Sobol (Saltelli) and Morris designs come from SALib, seeded by ``design.seed``, in
the order SALib returns them, which is the order its analysers expect. Values of integer scenario
keys are rounded; ``values = [...]`` lists in a sampling design are picked with equal probability.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from loyaltysim.scenario import schema_at as walk_scenario_schema
from loyaltysim.sweep.experiment import Experiment, Parameter, Scalar

__all__ = ["Design", "make_design", "salib_problem"]

_SALIB_DIST = {"uniform": "unif", "loguniform": "logunif", "triangular": "triang", "normal": "truncnorm"}


@dataclass(frozen=True)
class Design:
    """The points of an experiment: ``points[i]`` maps each parameter key to its value.

    ``matrix`` holds the sampler's numeric inputs (one row per point, one column per parameter) for
    SALib's analysers; for a grid it holds the values themselves where they are numbers.
    """

    kind: str
    keys: list[str]
    points: list[dict[str, Scalar]]
    matrix: np.ndarray

    def __len__(self) -> int:
        return len(self.points)


def salib_problem(exp: Experiment) -> dict[str, Any]:
    """SALib problem definition (names, bounds, dists) of a sampling design's parameters."""
    names, bounds, dists = [], [], []
    for key, p in exp.parameters.items():
        names.append(key)
        if p.values is not None:
            bounds.append([0.0, float(len(p.values))])
            dists.append("unif")
        elif p.distribution is None:
            bounds.append([float(p.start), float(p.stop)])
            dists.append("unif")
        else:
            dists.append(_SALIB_DIST[p.distribution])
            if p.distribution == "triangular":
                width = p.high - p.low
                bounds.append([p.low, p.high, (p.peak - p.low) / width if width else 0.5])
            elif p.distribution == "normal":
                bounds.append([p.low, p.high, p.mean, p.sd])
            else:
                bounds.append([p.low, p.high])
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def _is_int_key(key: str) -> bool:
    annotation, _ = walk_scenario_schema(key.split("."))
    return annotation is int


def _grid_values(key: str, p: Parameter) -> list[Scalar]:
    if p.values is not None:
        values = list(p.values)
    else:
        # 12 significant digits: 0.3, not 0.30000000000000004
        values = [float(f"{v:.12g}") for v in np.linspace(p.start, p.stop, p.steps)]
    return [_cast(key, v) for v in values]


def _cast(key: str, value: Scalar) -> Scalar:
    """Round values of integer scenario keys; keep whole floats as written otherwise."""
    if isinstance(value, float) and _is_int_key(key):
        return round(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _sample(exp: Experiment) -> np.ndarray:
    from SALib.sample import latin, morris, sobol

    problem = salib_problem(exp)
    d = exp.design
    if d.kind == "lhs":
        return latin.sample(problem, d.samples, seed=d.seed)
    if d.kind == "sobol":
        return sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=d.seed)
    return morris.sample(problem, d.samples, num_levels=d.levels, seed=d.seed)


def make_design(exp: Experiment) -> Design:
    """The points of ``exp`` (deterministic: the same experiment gives the same points)."""
    keys = list(exp.parameters)
    if exp.design.kind == "grid":
        axes = [_grid_values(k, exp.parameters[k]) for k in keys]
        points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]
        matrix = np.array(
            [
                [v if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in combo]
                for combo in itertools.product(*axes)
            ],
            dtype=float,
        )
        return Design("grid", keys, points, matrix.reshape(len(points), len(keys)))
    matrix = _sample(exp)
    points = []
    for row in matrix:
        point: dict[str, Scalar] = {}
        for key, x in zip(keys, row, strict=True):
            p = exp.parameters[key]
            if p.values is not None:
                point[key] = p.values[min(int(x), len(p.values) - 1)]
            else:
                point[key] = _cast(key, float(x))
        points.append(point)
    return Design(exp.design.kind, keys, points, np.asarray(matrix, dtype=float))
