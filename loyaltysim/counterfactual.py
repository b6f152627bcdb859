"""What an event did: the run against the same run without it.

A rival's opening, a training programme or a price cut is measured against the counterfactual -
the same scenario, same seed, without that week's events. Common random numbers make the two runs
meet the same customers and the same luck, so before the event they are identical, value for
value, and afterwards every difference is the event's doing, not chance or the market's own
drift ("customers and revenue lost because the supermarket opened").

    >>> from loyaltysim.counterfactual import event_effects
    >>> effects = event_effects("pharmacy_vs_brand", window_weeks=26)
    >>> effects.query("firm == 'pharmacy' and metric == 'revenue'")  # doctest: +SKIP

Each event week costs one more run of the scenario.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario, load_scenario

__all__ = ["EFFECT_METRICS", "event_effects", "run_weekly", "without_events_of_week"]

#: How each metric is summed up over the window after an event: revenue, profit and purchases are
#: added up over the window; the customer base is read at the window's last week.
EFFECT_METRICS: dict[str, str] = {
    "revenue": "sum",
    "profit": "sum",
    "purchases": "sum",
    "customer_base": "last",
}


def without_events_of_week(spec: Scenario, week: int) -> Scenario:
    """``spec`` without the events of ``week`` (the other events kept)."""
    return spec.model_copy(update={"events": [e for e in spec.events if e.week != week]})


def run_weekly(spec: Scenario) -> pd.DataFrame:
    """``firm_weekly`` of one run of ``spec`` to its end."""
    model = LoyaltyModel(spec)
    model.run()
    return model.firm_weekly()


def _summary(weekly: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    window = weekly[(weekly["week"] >= first) & (weekly["week"] <= last)]
    parts = {}
    for metric, how in EFFECT_METRICS.items():
        grouped = window.groupby("firm", sort=True)[metric]
        parts[metric] = grouped.sum() if how == "sum" else grouped.last()
    return pd.DataFrame(parts)


def event_effects(
    scenario: str | os.PathLike[str] | Scenario,
    *,
    window_weeks: int = 26,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The effect of each event week of ``scenario`` on every firm, against the same run without
    that week's events: one row per (event week, firm, metric of :data:`EFFECT_METRICS`) with the
    factual and counterfactual values over ``window_weeks`` weeks from the event's week (cut at
    the run's end), their difference (``effect`` = factual - counterfactual) and the difference as
    a share of the counterfactual (``effect_share``; NaN where the counterfactual is 0).

    A scenario without events gives an empty table with the same columns.
    """
    if window_weeks < 1:
        raise ValueError(f"window_weeks = {window_weeks}: the window is at least one week")
    spec = load_scenario(scenario, dict(overrides or {}))
    columns = ["event_week", "event", "firm", "metric", "factual", "counterfactual", "effect", "effect_share"]
    weeks = sorted({e.week for e in spec.events if e.week <= spec.market.weeks})
    if not weeks:
        return pd.DataFrame(columns=columns)
    factual = run_weekly(spec)
    rows = []
    for week in weeks:
        label = "; ".join(e.label or ", ".join(e.set) for e in spec.events if e.week == week)
        counterfactual = run_weekly(without_events_of_week(spec, week))
        last = min(week + window_weeks - 1, spec.market.weeks)
        seen, unseen = _summary(factual, week, last), _summary(counterfactual, week, last)
        for firm in seen.index:
            for metric in EFFECT_METRICS:
                fact, counter = float(seen.at[firm, metric]), float(unseen.at[firm, metric])
                share = (fact - counter) / counter if counter else float("nan")
                rows.append([week, label, firm, metric, fact, counter, fact - counter, share])
    return pd.DataFrame(rows, columns=columns).astype({"event_week": np.int64})
