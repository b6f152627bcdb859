"""Follow service failures customer by customer: what happened, and whether the customer came back.

Shared by the complaint findings (:mod:`~loyaltysim.validation.findings.complaint_repurchase`,
:mod:`~loyaltysim.validation.findings.recovery_paradox`). A run is stepped week by week; after each
week :meth:`LoyaltyModel.week_visits` says who bought where and how each failure was handled, and
the customer arrays give satisfaction and attachment before (end of last week) and after (end of
this week) the visit. Every failure becomes one *event*; a sample of visits without failure becomes
*control* events, for comparisons with customers who had no failure.

"Buys again" is defined on purchase occasions (weeks in which the customer buys anywhere, in the
town or outside it): an event counts as bought again when one of the customer's next
``occasions`` purchase occasions is at the same firm. Events whose occasions are not all seen
before the run ends are dropped (censored), so late events do not bias the shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario
from loyaltysim.state import OK

#: Columns of :func:`track_failures`' frame.
EVENT_COLUMNS = (
    "seed",
    "week",
    "customer",
    "firm",
    "outcome",
    "problem_cost",
    "nth_failure",
    "sat_before",
    "sat_after",
    "att_before",
    "att_after",
    "bought_again",
    "occasions_seen",
)


@dataclass(frozen=True)
class Tracking:
    """What to follow in a run (weeks and shares, see :func:`track_failures`)."""

    weeks: int  # weeks to run
    burn_in: int = 0  # events before this week are not kept (counts of failures still are)
    occasions: int = 1  # purchase occasions after the event that may count as "bought again"
    control_share: float = 0.0  # share of visits without failure kept as control events


class _Pending:
    """Per customer, the events still waiting for purchase occasions: at most ``occasions`` (a
    new event starts at a purchase occasion, and each occasion brings every open event closer)."""

    def __init__(self, n: int, slots: int):
        self.event = np.full((n, slots), -1, dtype=np.int64)
        self.left = np.zeros((n, slots), dtype=np.int32)

    def add(self, rows: np.ndarray, events: np.ndarray, occasions: int) -> None:
        """Open ``events`` for customers ``rows``, each in a free slot."""
        slot = np.argmax(self.event[rows] < 0, axis=1)
        if not (self.event[rows, slot] < 0).all():
            raise RuntimeError("failure tracking: more open events than purchase occasions")
        self.event[rows, slot] = events
        self.left[rows, slot] = occasions


def track_failures(scenario: Scenario, seed: int, tracking: Tracking) -> pd.DataFrame:
    """Run ``scenario`` with ``seed`` (on the scenario's engine, numba by default) and return
    one row per failure (and control visit) with the columns of :data:`EVENT_COLUMNS`.

    ``outcome`` is the visit's code (``loyaltysim.state``: OK for controls, ON_SPOT, ESCALATED,
    UNRESOLVED, SILENT); ``problem_cost`` in dollars; ``nth_failure`` counts the customer's
    failures at that firm since week 1, this one included (0 for controls); satisfaction and
    attachment toward the firm at the end of the week before and of the week of the visit (0-1);
    ``bought_again`` as in the module docstring; ``occasions_seen`` how many of the next
    occasions were observed (events with fewer than ``tracking.occasions`` are dropped).
    """
    model = LoyaltyModel(scenario, rng=seed)
    n, n_firms = model.n_customers, model.n_firms
    draws = np.random.default_rng([seed, 20261124])  # which ok visits become controls
    failures = np.zeros((n, n_firms), dtype=np.int32)
    pending = _Pending(n, tracking.occasions)
    chunks: list[dict[str, np.ndarray]] = []
    outcome_of: list[np.ndarray] = []  # per chunk: bought_again (int8: -1 open, 0, 1)
    seen_of: list[np.ndarray] = []
    offsets: list[int] = []
    total = 0
    for _ in range(tracking.weeks):
        sat_before = model.state.satisfaction.copy()
        att_before = model.state.attachment.copy()
        model.step()
        week = model.week
        visits = model.week_visits()
        firm = visits.firm.astype(np.int64)
        bought = firm >= 0
        _close(pending, bought, firm, chunks, outcome_of, seen_of, offsets)
        at_firm = (firm >= 0) & (firm < n_firms)
        failed = at_firm & (visits.outcome != OK)
        rows = np.flatnonzero(failed)
        failures[rows, firm[rows]] += 1
        if week <= tracking.burn_in:
            continue
        keep = failed.copy()
        if tracking.control_share > 0:
            keep |= at_firm & (visits.outcome == OK) & (draws.random(n) < tracking.control_share)
        rows = np.flatnonzero(keep)
        if not len(rows):
            continue
        f = firm[rows]
        outcome = visits.outcome[rows].astype(np.int8)
        chunks.append(
            {
                "seed": np.full(len(rows), seed, dtype=np.int64),
                "week": np.full(len(rows), week, dtype=np.int32),
                "customer": rows.astype(np.int64),
                "firm": f.astype(np.int8),
                "outcome": outcome,
                "problem_cost": visits.problem_cost[rows].astype(np.float64),
                "nth_failure": np.where(outcome != OK, failures[rows, f], 0).astype(np.int32),
                "sat_before": sat_before[rows, f].astype(np.float64),
                "sat_after": model.state.satisfaction[rows, f].astype(np.float64),
                "att_before": att_before[rows, f].astype(np.float64),
                "att_after": model.state.attachment[rows, f].astype(np.float64),
            }
        )
        outcome_of.append(np.full(len(rows), -1, dtype=np.int8))
        seen_of.append(np.zeros(len(rows), dtype=np.int32))
        offsets.append(total)
        pending.add(rows, total + np.arange(len(rows)), tracking.occasions)
        total += len(rows)
    if not chunks:
        return pd.DataFrame({c: [] for c in EVENT_COLUMNS})
    frame = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
    again = np.concatenate(outcome_of)
    frame["bought_again"] = again == 1
    frame["occasions_seen"] = np.concatenate(seen_of)
    done = (again == 1) | (frame["occasions_seen"].to_numpy() >= tracking.occasions)
    return frame.loc[done, list(EVENT_COLUMNS)].reset_index(drop=True)


def _close(
    pending: _Pending,
    bought: np.ndarray,
    firm: np.ndarray,
    chunks: list,
    outcome_of: list,
    seen_of: list,
    offsets: list,
) -> None:
    """This week's purchase occasions settle the customers' open events."""
    starts = np.asarray(offsets)
    for k in range(pending.event.shape[1]):
        rows = np.flatnonzero(bought & (pending.event[:, k] >= 0))
        if not len(rows):
            continue
        events = pending.event[rows, k]
        which = np.searchsorted(starts, events, side="right") - 1
        same = np.zeros(len(rows), dtype=bool)
        for c in np.unique(which):
            mine = which == c
            local = events[mine] - starts[c]
            same[mine] = firm[rows[mine]] == chunks[c]["firm"][local]
            seen_of[c][local] += 1
            outcome_of[c][local] = same[mine]
        pending.left[rows, k] -= 1
        finished = same | (pending.left[rows, k] <= 0)
        pending.event[rows[finished], k] = -1


def share_bought_again(events: pd.DataFrame) -> float:
    """Share of events followed by a purchase at the same firm (NaN when there are none)."""
    return float(events["bought_again"].mean()) if len(events) else float("nan")
