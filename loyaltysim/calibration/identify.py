"""How well the targets pin each free parameter down.

Two measures from the trials alone (no extra runs), each on the scale the parameter was sampled on
(log for a log-scale parameter), as a share of the searched range:

* **near-best spread**: the trials whose loss is within :data:`DELTA` (3.84) of the best - the 95 %
  threshold of a one-parameter likelihood-ratio test, since the loss is -2 log-likelihood for
  normal errors (at least the best 10 %, and at least 3 trials) - and the range of values they
  span;
* **profile**: the best loss found in each of :data:`BINS` equal slices of the range (a 1-D
  profile, coarse because it re-uses the trials); the plot in the report shows it.

A parameter is **identified** when its near-best values span at most :data:`IDENTIFIED` (half) of
its range; otherwise the report says plainly that the targets do not identify it: values across
most of its range fit as well as the best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BINS", "DELTA", "IDENTIFIED", "Identification", "identification"]

#: Loss above the best within which a trial counts as near-best (chi-square, 1 dof, 95 %).
DELTA = 3.84
#: Largest near-best span, as a share of the range, of an identified parameter.
IDENTIFIED = 0.5
#: Slices of the profile.
BINS = 10


@dataclass(frozen=True)
class Identification:
    """One parameter: the near-best trials' span (share of the range) and values, the profile."""

    key: str
    best: float
    near_low: float
    near_high: float
    span: float  # share of the searched range (0-1) the near-best trials cover
    near_count: int
    profile: list[float]  # best loss per slice (NaN: no trial there)
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
    trials: pd.DataFrame, parameters: dict[str, tuple[float, float, bool]]
) -> list[Identification]:
    """Per free parameter (key -> (low, high, log)): its :class:`Identification`, from the
    trials table (columns ``number``, ``state``, ``loss`` and ``param.<key>``)."""
    done = trials[trials["state"] == "complete"]
    near = near_best(trials)
    out = []
    for key, (low, high, log) in parameters.items():
        column = f"param.{key}"
        if near.empty:
            out.append(Identification(key, math.nan, math.nan, math.nan, math.nan, 0, [], False))
            continue
        values = near[column].to_numpy(dtype=float)
        scaled = _scaled(values, low, high, log)
        span = float(scaled.max() - scaled.min()) if len(scaled) > 1 else 0.0
        every = _scaled(done[column].to_numpy(dtype=float), low, high, log)
        slots = np.clip((every * BINS).astype(int), 0, BINS - 1)
        losses = done["loss"].to_numpy(dtype=float)
        profile = [float(losses[slots == b].min()) if np.any(slots == b) else math.nan for b in range(BINS)]
        best = float(near.iloc[0][column])
        out.append(
            Identification(
                key,
                best,
                float(values.min()),
                float(values.max()),
                span,
                len(near),
                profile,
                span <= IDENTIFIED and len(near) >= 3,
            )
        )
    return out
