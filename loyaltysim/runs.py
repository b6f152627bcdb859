"""What the outputs need from a finished run, whichever way it was made (CLI, Python, UI)."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from loyaltysim.metrics import DECISION_COLUMNS
from loyaltysim.schema import Scenario

__all__ = ["RunLike", "no_decisions", "run_decisions", "run_title"]


class RunLike(Protocol):
    """What the summaries need from a run (``loyaltysim.simulate.SimulationResult`` fits).

    A run may also carry ``decisions`` (its management policies' decisions, see
    :func:`run_decisions`); a run without them is read as one where nobody decided anything."""

    scenario: Scenario
    firm_weekly: pd.DataFrame
    events: list[tuple[int, str]]


def run_title(run: RunLike) -> str:
    """Display title of a run in comparisons: "scenario (focus firm label)"."""
    sc = run.scenario
    focus = sc.focus_firm
    return f"{sc.name} ({sc.firms[focus].label or focus})"


def run_decisions(run: RunLike) -> pd.DataFrame:
    """The run's management decisions (``run.decisions``: week, firm, change, why); the empty
    table with those columns when the run has none or does not carry them."""
    decisions = getattr(run, "decisions", None)
    return no_decisions() if decisions is None else decisions


def no_decisions() -> pd.DataFrame:
    """An empty decisions table: the columns week, firm, change, why and no rows."""
    return pd.DataFrame(columns=list(DECISION_COLUMNS)).astype({"week": "int64"})
