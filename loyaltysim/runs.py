"""What the outputs need from a finished run, whichever way it was made (CLI, Python, UI)."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from loyaltysim.schema import Scenario

__all__ = ["RunLike", "run_title"]


class RunLike(Protocol):
    """What the summaries need from a run (``loyaltysim.simulate.SimulationResult`` fits)."""

    scenario: Scenario
    firm_weekly: pd.DataFrame
    events: list[tuple[int, str]]


def run_title(run: RunLike) -> str:
    """Display title of a run in comparisons: "scenario (focus firm label)"."""
    sc = run.scenario
    focus = sc.focus_firm
    return f"{sc.name} ({sc.firms[focus].label or focus})"
