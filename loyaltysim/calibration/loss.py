"""The loss of a trial: a sum of squared standardised errors over the targets.

* A target with ``observed`` and ``sd``: ((simulated - observed) / sd)².
* A range target (``range = [low, high]``, or ``observed`` +- ``tolerance``): 0 inside the range;
  outside, (distance to the nearer end / scale)², the scale being ``sd`` if given, else half the
  range's width (the tolerance).
* A CSV target: the first rule for every week and column of the CSV (each column's ``sd``).
* A finding target: 0 for each comparison that holds by the finding's own criterion; a failed one
  costs (|simulated - published| / T)² (at least 1) when its criterion is one of closeness, "within
  T" (the finding gives the numbers, :class:`~loyaltysim.validation.result.Closeness`; a range is
  its midpoint +- half its width); (shortfall / S)² (at least 1) when it is one-sided, "at least
  L" or "CI above 0" (:class:`~loyaltysim.validation.result.Margin`, S the finding's scale of a
  miss); else ``miss`` (default 4, a two-sd miss). Grading gives a search a slope toward the
  line; a flat miss costs the same however near the trial came.
* A simulated value that is not a number (no customers to measure, say) costs :data:`NAN_LOSS`.

Each target's part is multiplied by its ``weight`` (default 1). With independent normal errors
the loss is -2 x log-likelihood up to a constant, so a difference of 3.84 between two trials is
the 95 % threshold of a one-parameter likelihood-ratio test (used by
:mod:`loyaltysim.calibration.identify`).
"""

from __future__ import annotations

import math
from typing import Any

from loyaltysim.calibration.spec import (
    ContrastTarget,
    CsvTarget,
    FindingTarget,
    LoadedTargets,
    MetricTarget,
)

__all__ = ["LOSS_RULE", "NAN_LOSS", "bounds", "scalar_loss", "target_loss", "trial_loss"]

#: The version of these rules, kept in a calibration's manifest: a study scored by other rules is
#: not resumed (its stored losses would mix two rules). 2: one-sided comparisons graded.
LOSS_RULE = 2

#: Loss of a simulated value that is not a number (a five-sd miss).
NAN_LOSS = 25.0


def bounds(target: MetricTarget | ContrastTarget) -> tuple[float, float, float]:
    """(low, high, scale) of a scalar target: low == high for an observed value with an sd."""
    if target.range is not None:
        if target.range == "plausible":
            from loyaltysim.validation.plausibility import RANGE_BY_KEY

            band = RANGE_BY_KEY[str(getattr(target, "quantity", ""))].widest
            low, high = float(band.low), float(band.high)
        else:
            low, high = float(target.range[0]), float(target.range[1])
        return low, high, target.sd if target.sd is not None else (high - low) / 2.0
    assert target.observed is not None
    if target.tolerance is not None:
        return target.observed - target.tolerance, target.observed + target.tolerance, target.tolerance
    assert target.sd is not None
    return target.observed, target.observed, target.sd


def scalar_loss(value: float, low: float, high: float, scale: float) -> float:
    """0 inside [low, high]; else (distance to the nearer end / scale)²; NaN -> NAN_LOSS."""
    if value is None or not math.isfinite(value):
        return NAN_LOSS
    distance = low - value if value < low else value - high if value > high else 0.0
    return (distance / scale) ** 2


def comparison_loss(record: dict[str, Any], miss: float) -> float:
    """A finding's comparison: 0 when it holds, else graded or ``miss`` (see the module)."""
    if record["held"]:
        return 0.0
    pub, sim, tol = record["published_value"], record["simulated_value"], record["tolerance"]
    if all(math.isfinite(v) for v in (pub, sim, tol)) and tol > 0:
        return max(1.0, ((sim - pub) / tol) ** 2)
    # Records stored before margins existed have no shortfall: they keep the flat miss.
    short, scale = record.get("shortfall", math.nan), record.get("scale", math.nan)
    if math.isfinite(short) and math.isfinite(scale) and scale > 0:
        return max(1.0, (short / scale) ** 2)
    return miss


def target_loss(loaded: LoadedTargets, name: str, value: Any) -> float:
    """The loss of target ``name`` at simulated ``value`` (weighted)."""
    target = loaded.spec.targets[name]
    if isinstance(target, FindingTarget):
        if not isinstance(value, list):
            return target.weight * NAN_LOSS
        return target.weight * sum(comparison_loss(r, target.miss) for r in value)
    if isinstance(target, CsvTarget):
        total = 0.0
        rows = loaded.tables[name]
        sd = {metric: target.sd[column] for column, metric in csv_columns(loaded, name).items()}
        for metric, scale in sd.items():
            simulated = value.get(metric) if isinstance(value, dict) else None
            for i, row in enumerate(rows):
                if metric not in row:
                    continue
                sim = simulated[i] if simulated is not None else float("nan")
                total += scalar_loss(sim, row[metric], row[metric], scale)
        return target.weight * total
    low, high, scale = bounds(target)
    return target.weight * scalar_loss(value, low, high, scale)


def csv_columns(loaded: LoadedTargets, name: str) -> dict[str, str]:
    """CSV column -> metric of a CSV target (its ``columns``, or the columns named like metrics)."""
    from loyaltysim.calibration.spec import CSV_ALIASES

    target = loaded.spec.targets[name]
    assert isinstance(target, CsvTarget)
    if target.columns:
        return dict(target.columns)
    return {column: CSV_ALIASES.get(column, column) for column in target.sd}


def trial_loss(loaded: LoadedTargets, values: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """The trial's loss and each target's part."""
    parts = {name: target_loss(loaded, name, values.get(name)) for name in loaded.spec.targets}
    return float(sum(parts.values())), parts
