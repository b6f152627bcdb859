"""Turn one run's weekly per-firm table into the outputs an experiment keeps.

The result is a long, tidy table with columns :data:`OUTPUT_COLUMNS`:

* ``window = "final"``: mean of each metric over the last ``outputs.final_weeks`` weeks;
* ``window = <name>``: mean over an ``[[outputs.windows]]`` span of weeks;
* ``window = "derived"``: derived outputs (``metric`` is the output's name);
* ``window = "weekly"``: the full weekly series (``week`` set), when ``outputs.weekly = true``.

``week`` is -1 on every row that is not a weekly value. Units are those of
:data:`loyaltysim.metrics.FIRM_METRICS` (derived outputs: customers, or a share 0-1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from loyaltysim.report import first_event, kept_share
from loyaltysim.sweep.experiment import Outputs

__all__ = ["OUTPUT_COLUMNS", "compute_outputs"]

OUTPUT_COLUMNS = ("firm", "window", "week", "metric", "value")


def _rows(firm: str, window: str, means: pd.Series) -> list[tuple]:
    return [(firm, window, -1, metric, float(value)) for metric, value in means.items()]


def _window_means(frame: pd.DataFrame, metrics: Sequence[str], first: int, last: int) -> pd.Series:
    span = frame.loc[(frame["week"] >= first) & (frame["week"] <= last), list(metrics)]
    return span.astype(float).mean() if len(span) else pd.Series(math.nan, index=list(metrics))


def _derived(
    firm_weekly: pd.DataFrame, firm: str, events: Sequence[tuple[int, str]], spec, last_week: int
) -> float:
    week = spec.event_week
    if week is None:
        event = first_event(events, last_week)
        if event is None:
            return math.nan
        week = event[0]
    if week > last_week:
        return math.nan
    kept, _, before, after = kept_share(firm_weekly, firm, week, spec.weeks)
    if spec.kind == "kept_share":
        return kept
    return before - after


def compute_outputs(
    firm_weekly: pd.DataFrame, events: Sequence[tuple[int, str]], firms: Sequence[str], outputs: Outputs
) -> pd.DataFrame:
    """The kept outputs of one run (see the module docstring), for ``firms`` in order."""
    metrics = list(outputs.metrics)
    last_week = int(firm_weekly["week"].max())
    rows: list[tuple] = []
    weekly_parts = []
    for firm in firms:
        frame = firm_weekly[firm_weekly["firm"] == firm].sort_values("week")
        if outputs.final_weeks:
            first = max(1, last_week - outputs.final_weeks + 1)
            rows += _rows(firm, "final", _window_means(frame, metrics, first, last_week))
        for window in outputs.windows:
            rows += _rows(firm, window.name, _window_means(frame, metrics, window.first, window.last))
        for spec in outputs.derived:
            rows.append(
                (firm, "derived", -1, spec.name, _derived(firm_weekly, firm, events, spec, last_week))
            )
        if outputs.weekly:
            long = frame.melt(id_vars=["week"], value_vars=metrics, var_name="metric", value_name="value")
            long.insert(0, "firm", firm)
            long.insert(1, "window", "weekly")
            weekly_parts.append(long)
    table = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
    if weekly_parts:
        table = pd.concat([table, *weekly_parts], ignore_index=True)
    table["week"] = table["week"].astype(np.int64)
    table["value"] = table["value"].astype(np.float64)
    return table[list(OUTPUT_COLUMNS)]
