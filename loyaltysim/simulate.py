"""Run a scenario to the end and return its tidy results: the entry point of the CLI and UI."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from loyaltysim.model import LoyaltyModel
from loyaltysim.runs import no_decisions
from loyaltysim.scenario import Scenario, load_scenario


@dataclass
class SimulationResult:
    """What one run produced.

    Attributes:
        scenario: the validated scenario as given (overrides applied, events not yet applied):
            written out and run again, it reproduces this run exactly.
        firm_weekly: tidy weekly table, one row per firm per week (week, firm, every metric).
        events: ``(week, label)`` of each event that fired.
        decisions: what the firms' management policies (``firms.<id>.policy``) decided and why,
            one row per decision, in the order made: ``week`` (the review week), ``firm`` (key),
            ``change`` (what changed, with frontline posts, training and price index before ->
            after) and ``why`` (what the policy observed); the same table as
            :meth:`loyaltysim.model.LoyaltyModel.decisions_frame`. It has these four columns and
            no rows when no firm decided anything (every firm ``fixed``, the default).
            ``loyaltysim run`` and ``compare`` write it as ``decisions.csv``.
    """

    # the validated scenario as given (overrides applied, events not yet applied): written out
    # and run again, it reproduces this run exactly (the model's ``spec`` after the run is the
    # state after the events, which would start the next run with them already in force)
    scenario: Scenario
    firm_weekly: pd.DataFrame  # tidy: week, firm, every FIRM_METRICS column
    events: list[tuple[int, str]]  # (week, label) of events that fired
    decisions: pd.DataFrame = field(default_factory=no_decisions)  # see the docstring

    def event_effects(self, window_weeks: int = 26) -> pd.DataFrame:
        """Each event week's effect on every firm against the same run without that week's
        events (same seed): :func:`loyaltysim.counterfactual.event_effects`, measured against this
        run (one more run per event week). ``effect`` < 0: lost because of the event."""
        from loyaltysim.counterfactual import event_effects

        return event_effects(self.scenario, window_weeks=window_weeks, factual=self.firm_weekly)

    def counterfactual_weekly(self, week: int) -> pd.DataFrame:
        """``firm_weekly`` of the same run without the events of ``week`` (same seed): what
        would have happened without them, e.g. to plot as a dashed line."""
        from loyaltysim.counterfactual import counterfactual_weekly

        return counterfactual_weekly(self.scenario, week)


def simulate(
    scenario: str | os.PathLike[str] | Scenario,
    *,
    overrides: Mapping[str, Any] | None = None,
    weeks: int | None = None,
    customers: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_week: Callable[[LoyaltyModel], None] | None = None,
) -> SimulationResult:
    """Load ``scenario`` (name, path or Scenario), apply overrides, run it to the end.

    ``weeks``, ``customers``, ``seed`` and ``engine`` ('numba' or 'reference') are shortcuts for
    the ``market.*`` overrides.
    ``progress(done_weeks, total_weeks)`` is called after every week, and before it
    ``on_week(model)`` (e.g. :meth:`loyaltysim.transactions.TransactionRecorder.record`, which
    reads the week's per-customer record).
    """
    extra = dict(overrides or {})
    for key, value in (("weeks", weeks), ("customers", customers), ("seed", seed), ("engine", engine)):
        if value is not None:
            extra[f"market.{key}"] = value
    spec = load_scenario(scenario, extra)
    model = LoyaltyModel(spec)
    if on_week is None:
        model.run(progress=progress)
    else:

        def week_done(done: int, total: int) -> None:
            on_week(model)
            if progress is not None:
                progress(done, total)

        model.run(progress=week_done)
    return SimulationResult(
        scenario=spec,
        firm_weekly=model.firm_weekly(),
        events=list(model.fired_events),
        decisions=model.decisions_frame(),
    )
