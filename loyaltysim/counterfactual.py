"""What an event did: the run against the same run without it.

A rival's opening, a training programme or a price cut is measured against the counterfactual -
the same scenario, same seed, without that week's events. Common random numbers make the two runs
meet the same customers and the same luck, so before the event they are identical, value for
value, and afterwards every difference is the event's doing, not chance or the market's own
drift ("customers and revenue lost because the supermarket opened").

    >>> from loyaltysim.counterfactual import counterfactual_weekly, event_effects
    >>> effects = event_effects("pharmacy_vs_brand", window_weeks=26)
    >>> effects.query("firm == 'pharmacy' and metric == 'revenue'")  # doctest: +SKIP
    >>> without = counterfactual_weekly("pharmacy_vs_brand", 104)  # firm_weekly, no supermarket

Each event week costs one more run of the scenario. :func:`measure_events` returns the effects
and the counterfactual runs together (for plots); :func:`fork_without_events` copies a running
model just before an event's week and drops that week's events, which continues exactly as the
run without them would (the browser UI's "without the supermarket" line).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario, load_scenario

__all__ = [
    "EFFECT_COLUMNS",
    "EFFECT_METRICS",
    "EventEffects",
    "counterfactual_weekly",
    "event_effects",
    "event_label",
    "event_noun",
    "event_weeks",
    "fork_without_events",
    "measure_events",
    "opened_firms",
    "run_weekly",
    "without_events_of_week",
    "without_label",
]

#: How each metric is summed up over the window after an event: revenue, profit and purchases are
#: added up over the window; the customer base is read at the window's last week.
EFFECT_METRICS: dict[str, str] = {
    "revenue": "sum",
    "profit": "sum",
    "purchases": "sum",
    "customer_base": "last",
}

#: Columns of the effects table (:func:`event_effects`), in order.
EFFECT_COLUMNS: list[str] = [
    "event_week",
    "event",
    "firm",
    "metric",
    "first_week",
    "last_week",
    "factual",
    "counterfactual",
    "effect",
    "effect_share",
]

Scenarioish = str | os.PathLike[str] | Scenario


def without_events_of_week(spec: Scenario, week: int) -> Scenario:
    """``spec`` without the events of ``week`` (the other events kept)."""
    return spec.model_copy(update={"events": [e for e in spec.events if e.week != week]})


def run_weekly(spec: Scenario) -> pd.DataFrame:
    """``firm_weekly`` of one run of ``spec`` to its end."""
    model = LoyaltyModel(spec)
    model.run()
    return model.firm_weekly()


def event_weeks(spec: Scenario) -> list[int]:
    """The weeks in which some event of ``spec`` fires within the run, in order."""
    return sorted({e.week for e in spec.events if e.week <= spec.market.weeks})


def event_label(spec: Scenario, week: int) -> str:
    """The labels of the events of ``week`` (their keys where unlabelled), joined with "; "."""
    return "; ".join(e.label or ", ".join(e.set) for e in spec.events if e.week == week)


def opened_firms(spec: Scenario, week: int) -> list[str]:
    """The firms that the events of ``week`` open (``firms.<key>.open = true``)."""
    keys = []
    for event in spec.events:
        if event.week != week:
            continue
        for key, value in event.set.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "firms" and parts[2] == "open" and value is True:
                keys.append(parts[1])
    return keys


def _lower_first(text: str) -> str:
    """``Supermarket`` -> ``supermarket``; acronyms (``IKEA``) are kept."""
    if len(text) > 1 and text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def event_noun(spec: Scenario, week: int) -> str:
    """What the events of ``week`` are, for prose: "the supermarket" when they open firms
    (labels from the scenario), else their label in quotes."""
    firms = [key for key in opened_firms(spec, week) if key in spec.firms]
    if firms:
        return " and ".join(f"the {_lower_first(spec.firms[key].label or key)}" for key in firms)
    return f"“{event_label(spec, week)}”"


def without_label(spec: Scenario, week: int) -> str:
    """The plain label of the counterfactual of ``week``: "without the supermarket"."""
    return f"without {event_noun(spec, week)}"


def fork_without_events(model: LoyaltyModel, week: int) -> LoyaltyModel:
    """A copy of ``model``, which has run to ``week - 1``, without the events of ``week``.

    Stepped on, the copy is the counterfactual run, value for value: the run of the same scenario
    and seed without that week's events is identical to ``model`` until ``week - 1`` (common
    random numbers), so copying the state there is the same as running it from week 0. The
    original is not touched.
    """
    if model.week != week - 1:
        raise ValueError(f"fork the model just before week {week}: it is at week {model.week}")
    shadow = copy.deepcopy(model)
    shadow.spec = without_events_of_week(shadow.spec, week)
    return shadow


def counterfactual_weekly(
    scenario: Scenarioish, week: int, *, overrides: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``firm_weekly`` of ``scenario`` (with ``overrides``) run without the events of ``week``:
    what would have happened without them, same seed (for plots against the run itself)."""
    spec = load_scenario(scenario, dict(overrides or {}))
    return run_weekly(without_events_of_week(spec, week))


@dataclass(frozen=True)
class EventEffects:
    """The effects of a run's events and the runs they were measured against.

    ``table`` is the tidy effects table (:data:`EFFECT_COLUMNS`, see :func:`event_effects`),
    ``factual`` the run's ``firm_weekly``, ``counterfactual`` maps each event week to the
    ``firm_weekly`` of the same run without that week's events, ``window_weeks`` the window.
    """

    scenario: Scenario
    window_weeks: int
    table: pd.DataFrame
    factual: pd.DataFrame
    counterfactual: dict[int, pd.DataFrame] = field(default_factory=dict)

    @property
    def weeks(self) -> list[int]:
        """The event weeks measured, in order."""
        return sorted(self.counterfactual)

    def label(self, week: int) -> str:
        """The label of the events of ``week``."""
        return event_label(self.scenario, week)


def _summary(weekly: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    window = weekly[(weekly["week"] >= first) & (weekly["week"] <= last)]
    parts = {}
    for metric, how in EFFECT_METRICS.items():
        grouped = window.groupby("firm", sort=True)[metric]
        parts[metric] = grouped.sum() if how == "sum" else grouped.last()
    return pd.DataFrame(parts)


def measure_events(
    scenario: Scenarioish,
    *,
    window_weeks: int = 26,
    overrides: Mapping[str, Any] | None = None,
    factual: pd.DataFrame | None = None,
    run: Callable[[Scenario], pd.DataFrame] = run_weekly,
) -> EventEffects:
    """Run ``scenario`` without each of its event weeks and measure the effects (see
    :func:`event_effects`); keep the counterfactual runs for plotting.

    ``factual``: the ``firm_weekly`` of a run of exactly this scenario, if one was made already
    (saves a run); ``run(spec) -> firm_weekly`` runs a scenario (e.g. with a progress bar).
    """
    if window_weeks < 1:
        raise ValueError(f"window_weeks = {window_weeks}: the window is at least one week")
    spec = load_scenario(scenario, dict(overrides or {}))
    weeks = event_weeks(spec)
    if not weeks:
        empty = pd.DataFrame(columns=EFFECT_COLUMNS)
        return EventEffects(spec, window_weeks, empty, factual if factual is not None else pd.DataFrame())
    if factual is None:
        factual = run(spec)
    rows = []
    counterfactuals: dict[int, pd.DataFrame] = {}
    for week in weeks:
        label = event_label(spec, week)
        counterfactual = counterfactuals[week] = run(without_events_of_week(spec, week))
        last = min(week + window_weeks - 1, spec.market.weeks)
        seen, unseen = _summary(factual, week, last), _summary(counterfactual, week, last)
        for firm in seen.index:
            for metric in EFFECT_METRICS:
                fact, counter = float(seen.at[firm, metric]), float(unseen.at[firm, metric])
                share = (fact - counter) / abs(counter) if counter else float("nan")
                rows.append([week, label, firm, metric, week, last, fact, counter, fact - counter, share])
    table = pd.DataFrame(rows, columns=EFFECT_COLUMNS).astype(
        {"event_week": np.int64, "first_week": np.int64, "last_week": np.int64}
    )
    return EventEffects(spec, window_weeks, table, factual, counterfactuals)


def event_effects(
    scenario: Scenarioish,
    *,
    window_weeks: int = 26,
    overrides: Mapping[str, Any] | None = None,
    factual: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The effect of each event week of ``scenario`` on every firm, against the same run without
    that week's events: one row per (event week, firm, metric of :data:`EFFECT_METRICS`) with the
    factual and counterfactual values over ``window_weeks`` weeks from the event's week
    (``first_week``..``last_week``, cut at the run's end), their difference (``effect`` = factual
    - counterfactual: negative = lost because of the event) and the difference as a share of the
    absolute counterfactual (``effect_share``: negative = less than without the event, also for a
    loss; NaN where the counterfactual is 0).

    ``factual``: the ``firm_weekly`` of a run of exactly this scenario, if one was made already.
    A scenario without events gives an empty table with the same columns.
    """
    return measure_events(scenario, window_weeks=window_weeks, overrides=overrides, factual=factual).table
