"""Measuring the shipped scenarios: each runs once per seed, and every quantity of every store open
throughout the steady-state window is computed (:func:`measure`; :func:`run_plausibility` for
all of them)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from loyaltysim.counterfactual import event_weeks, fork_without_events, opened_firms
from loyaltysim.measure import base_firms
from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario
from loyaltysim.shipped import shipped_scenarios
from loyaltysim.validation.plausibility.quantities import OPENING_WEEKS, attachment_sd
from loyaltysim.validation.plausibility.ranges import QUANTITIES, WEEKLY_QUANTITIES

# 10,000 customers: a store of a 3,000-household town has 5-20 posts, so its staff shares move in
# steps of 5-20 % and one seed's window can hold no engaged employee by chance.
#: (customers, seeds) of the check at full size and at ``--quick`` size.
FULL_SIZE: tuple[int, tuple[int, ...]] = (10000, (1, 2, 3))
QUICK_SIZE: tuple[int, tuple[int, ...]] = (500, (1,))


# -- running the scenarios --------------------------------------------------------------------
def steady_window(spec: Scenario, weeks: int = 52) -> tuple[int, int]:
    """The steady-state window (first and last week, inclusive): the ``weeks`` weeks before the
    scenario's first event, or its last ``weeks`` weeks if it has no events (clipped to week 1)."""
    if weeks < 1:
        raise ValueError(f"a window needs at least one week, not {weeks}")
    first_event = min((e.week for e in spec.events), default=None)
    end = spec.market.weeks if first_event is None else min(first_event - 1, spec.market.weeks)
    if end < 1:
        raise ValueError(f"{spec.name}: an event in week 1 leaves no steady-state window before it")
    return max(1, end - weeks + 1), end


@dataclass
class ScenarioMeasurement:
    """One scenario's measured quantities: ``values`` has a row per seed, firm and quantity
    (columns ``seed``, ``firm``, ``quantity``, ``value``; quantities in :data:`QUANTITIES`' units).
    ``firms`` are the firms open throughout the window; ``monopoly``: only one of them and no
    outside option."""

    scenario: str
    focus: str
    firms: list[str]
    window: tuple[int, int]
    monopoly: bool
    customers: int
    seeds: tuple[int, ...]
    engine: str
    values: pd.DataFrame

    def summary(self, firm: str | None = None) -> pd.DataFrame:
        """Per quantity of ``firm`` (default the focus firm): mean over seeds, min and max."""
        firm = self.focus if firm is None else firm
        rows = self.values[self.values["firm"] == firm]
        stats = rows.groupby("quantity", sort=False)["value"].agg(["mean", "min", "max"])
        return stats.reindex([q for q in QUANTITIES if q in stats.index])

    def means(self, firm: str | None = None) -> dict[str, float]:
        """Quantity -> mean over seeds, for ``firm`` (default the focus firm)."""
        return self.summary(firm)["mean"].to_dict()

    def focus_table(self) -> pd.DataFrame:
        """The focus firm: one row per quantity (label, unit, mean, min, max)."""
        return self._table(self.focus)

    def firms_table(self) -> pd.DataFrame:
        """Every open firm: one row per firm and quantity."""
        return pd.concat([self._table(f) for f in self.firms], ignore_index=True)

    def _table(self, firm: str) -> pd.DataFrame:
        stats = self.summary(firm).reset_index()
        stats.insert(0, "firm", firm)
        stats.insert(2, "label", [QUANTITIES[q][0] for q in stats["quantity"]])
        stats.insert(3, "unit", [QUANTITIES[q][1] for q in stats["quantity"]])
        return stats


def opening_week(spec: Scenario) -> int | None:
    """The week of the scenario's first event if that event opens a store (a rival's opening),
    else None."""
    weeks = event_weeks(spec)
    return weeks[0] if weeks and opened_firms(spec, weeks[0]) else None


def rival_revenue_loss(model: LoyaltyModel, week: int, weeks: int = OPENING_WEEKS) -> dict[str, float]:
    """Revenue each store loses to the rival that opens in ``week``, % of its revenue in the same
    run without the opening, over ``weeks`` weeks from ``week`` (cut at the run's end): per store
    key, 100 x (1 - with / without); NaN where a store sold nothing without it. ``model`` has run
    to ``week - 1`` and is stepped on; the run without the opening is a fork of it (common random
    numbers make the two identical up to the opening:
    :func:`loyaltysim.counterfactual.fork_without_events`)."""
    without = fork_without_events(model, week)
    span = min(weeks, model.spec.market.weeks - model.week)
    model.run(span)
    without.run(span)
    revenue = [
        m.firm_weekly().query("week >= @week").groupby("firm")["revenue"].sum() for m in (model, without)
    ]
    return {
        firm: 100.0 * (1.0 - revenue[0][firm] / sold) if sold > 0 else float("nan")
        for firm, sold in revenue[1].items()
    }


def _seed_values(
    scenario: str | os.PathLike[str] | Scenario,
    seed: int,
    customers: int,
    engine: str,
    window: int | tuple[int, int],
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Scenario, tuple[int, int], list[str], list[dict[str, object]]]:
    settings = {**(overrides or {}), "market.customers": customers}
    model = LoyaltyModel(scenario, rng=seed, engine=engine, overrides=settings)
    spec = model.spec
    first, last = window if isinstance(window, tuple) else steady_window(spec, window)
    if not 1 <= first <= last <= spec.market.weeks:
        raise ValueError(f"window {first}-{last} is not inside the run's weeks 1-{spec.market.weeks}")
    model.run(last)
    weekly = model.firm_weekly()
    weekly = weekly[(weekly["week"] >= first) & (weekly["week"] <= last)]
    base = base_firms(model.state, model.week, spec.market.base_window_weeks)
    rows: list[dict[str, object]] = []
    open_firms = []
    for f, key in enumerate(model.firm_keys):
        w = weekly[weekly["firm"] == key]
        if not len(w) or not w["open"].astype(bool).all():
            continue
        open_firms.append(key)
        for quantity, (_, _, compute) in WEEKLY_QUANTITIES.items():
            rows.append({"seed": seed, "firm": key, "quantity": quantity, "value": compute(w)})
        sd = attachment_sd(model.state.attachment, base, f)
        rows.append({"seed": seed, "firm": key, "quantity": "attachment_sd", "value": sd})
    opening = opening_week(spec)
    if opening is not None and last < opening <= spec.market.weeks:
        model.run(opening - 1 - model.week)
        lost = rival_revenue_loss(model, opening)
        rows += [
            {"seed": seed, "firm": k, "quantity": "rival_revenue_loss", "value": lost[k]} for k in open_firms
        ]
    return spec, (first, last), open_firms, rows


def measure(
    scenario: str | os.PathLike[str] | Scenario,
    customers: int = FULL_SIZE[0],
    seeds: Sequence[int] = FULL_SIZE[1],
    engine: str = "numba",
    window: int | tuple[int, int] = 52,
    overrides: Mapping[str, Any] | None = None,
) -> ScenarioMeasurement:
    """Run ``scenario`` (shipped name, path or Scenario) once per seed with ``customers``
    customers and measure every quantity over the steady-state window: ``window`` weeks before
    the first event (or the last ``window`` weeks), or explicit (first, last) weeks.
    ``overrides``: dotted scenario keys set for every run (e.g. a candidate calibration)."""
    if not seeds:
        raise ValueError("measure needs at least one seed")
    rows: list[dict[str, object]] = []
    spec: Scenario | None = None
    span: tuple[int, int] = (0, 0)
    firms: list[str] | None = None
    for seed in seeds:
        spec, span, open_firms, seed_rows = _seed_values(scenario, seed, customers, engine, window, overrides)
        firms = open_firms if firms is None else [f for f in firms if f in open_firms]
        rows += seed_rows
    assert spec is not None and firms is not None
    values = pd.DataFrame(rows, columns=["seed", "firm", "quantity", "value"])
    values = values[values["firm"].isin(firms)].reset_index(drop=True)
    return ScenarioMeasurement(
        scenario=spec.name or str(scenario),
        focus=spec.focus_firm,
        firms=firms,
        window=span,
        monopoly=len(firms) == 1 and not spec.market.outside_option,
        customers=customers,
        seeds=tuple(seeds),
        engine=engine,
        values=values,
    )


def measure_scenario(
    scenario: str | os.PathLike[str] | Scenario,
    customers: int = FULL_SIZE[0],
    seeds: Sequence[int] = FULL_SIZE[1],
    engine: str = "numba",
    window: int | tuple[int, int] = 52,
) -> pd.DataFrame:
    """The focus firm's quantities (one row each: mean over seeds, min, max) of ``scenario``
    over its steady-state window (see :func:`measure`). ``.attrs["firms"]`` holds the same
    table for every open firm; ``.attrs`` also give the scenario, window and monopoly flag."""
    m = measure(scenario, customers=customers, seeds=seeds, engine=engine, window=window)
    table = m.focus_table()
    table.attrs.update(
        scenario=m.scenario, focus=m.focus, window=m.window, monopoly=m.monopoly, firms=m.firms_table()
    )
    return table


def run_plausibility(
    quick: bool = False,
    scenarios: Iterable[str] | None = None,
    engine: str = "numba",
    on_done: Callable[[ScenarioMeasurement], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[ScenarioMeasurement]:
    """Measure the shipped scenarios (default: all of them, by name) at full or ``quick`` size,
    with ``overrides`` set in every run (see :func:`measure`)."""
    customers, seeds = QUICK_SIZE if quick else FULL_SIZE
    names = list(scenarios) if scenarios is not None else list(shipped_scenarios())
    out = []
    for name in names:
        m = measure(name, customers=customers, seeds=seeds, engine=engine, overrides=overrides)
        if on_done is not None:
            on_done(m)
        out.append(m)
    return out
