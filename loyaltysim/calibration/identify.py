"""How well the targets pin each free parameter down.

Two measures, each on the scale the parameter was sampled on (log for a log-scale parameter):

* **slice through the best fit** (a 1-D profile with the other parameters held at the best fit):
  after the trials, each parameter in turn is set to ``profile_points`` evenly spaced values across
  its range (7 by default) and the loss measured. The share of those points whose loss is within
  :data:`DELTA` (3.84) of the best is the **flat share**: 3.84 is the 95 % threshold of a
  one-parameter likelihood-ratio test, since the loss is -2 log-likelihood for normal errors.
* **near-best spread**: the trials whose loss is within :data:`DELTA` of the best (at least the
  best 10 % and at least 3 trials), and the share of the range their values span. An adaptive
  sampler crowds its trials near the best in every direction, so a narrow spread alone does not
  prove a parameter is pinned down; a wide one shows it is not.

A parameter is **identified** when at most :data:`IDENTIFIED` (half) of its slice is flat and its
near-best values span at most half its range. A slice holds the others fixed, so a parameter that
the targets only fix together with another (a trade-off between two) can pass the slice; the
near-best spread is what shows such a ridge. Without slices (``profile_points = 0``) only the
spread decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DELTA", "IDENTIFIED", "Identification", "identification", "near_best"]

#: Loss above the best within which a value counts as fitting as well (chi-square, 1 dof, 95 %).
DELTA = 3.84
#: Largest flat share of the slice, and largest near-best span, of an identified parameter.
IDENTIFIED = 0.5


@dataclass(frozen=True)
class Identification:
    """One parameter: the near-best trials' values and span, the slice's flat share, the verdict."""

    key: str
    best: float
    near_low: float
    near_high: float
    span: float  # share of the searched range (0-1) the near-best trials cover
    near_count: int
    slice: list[tuple[float, float]]  # (value, loss) through the best fit
    flat: float  # share of slice points within DELTA of the best loss (NaN: no slice)
    identified: bool


def _scaled(values: np.ndarray, low: float, high: float, log: bool) -> np.ndarray:
    if log:
        return (np.log(values) - math.log(low)) / (math.log(high) - math.log(low))
    return (values - low) / (high - low)


def near_best(trials: pd.DataFrame) -> pd.DataFrame:
    """The near-best complete trials (see the module)."""
    done = trials[trials["state"] == "complete"].sort_values(["loss", "number"])
    if done.empty:
        return done
    best = float(done["loss"].iloc[0])
    within = done[done["loss"] <= best + DELTA]
    floor = max(3, math.ceil(0.1 * len(done)))
    return within if len(within) >= floor else done.head(floor)


def identification(
    trials: pd.DataFrame,
    parameters: dict[str, tuple[float, float, bool]],
    slices: dict[str, list[tuple[float, float]]] | None = None,
) -> list[Identification]:
    """Per free parameter (key -> (low, high, log)): its :class:`Identification`, from the
    trials table (columns ``number``, ``state``, ``loss`` and ``param.<key>``) and the slices
    through the best fit (key -> (value, loss) points)."""
    near = near_best(trials)
    out = []
    for key, (low, high, log) in parameters.items():
        column = f"param.{key}"
        points = sorted((slices or {}).get(key, []))
        if near.empty:
            out.append(
                Identification(key, math.nan, math.nan, math.nan, math.nan, 0, points, math.nan, False)
            )
            continue
        best_loss = float(near["loss"].iloc[0])
        values = near[column].to_numpy(dtype=float)
        scaled = _scaled(values, low, high, log)
        span = float(scaled.max() - scaled.min()) if len(scaled) > 1 else 0.0
        flat = float(np.mean([loss <= best_loss + DELTA for _, loss in points])) if points else math.nan
        narrow = span <= IDENTIFIED and len(near) >= 3
        identified = narrow and (not points or flat <= IDENTIFIED)
        out.append(
            Identification(
                key,
                float(near.iloc[0][column]),
                float(values.min()),
                float(values.max()),
                span,
                len(near),
                points,
                flat,
                identified,
            )
        )
    return out
