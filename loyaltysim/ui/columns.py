"""The state of a scenario column, and the frozen snapshots the page renders.

:class:`ColumnRun` is the live, mutable column a :class:`~loyaltysim.ui.session.Session` owns;
:class:`ColumnConfig` and :class:`SessionStatus` are immutable snapshots published to the page, so
components render while the models go on running in another thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario
from loyaltysim.ui.frames import ColumnFrame, SeriesReader


@dataclass(frozen=True)
class ColumnConfig:
    """What a column's controls show: its scenario, the overrides applied, any error."""

    index: int
    uid: int
    name: str
    colour: str
    source: str
    scenario: Scenario
    base: Scenario
    overrides: Mapping[str, Any]
    firm: str
    error: str | None = None
    shock_note: str = ""
    without_note: str = ""


@dataclass(frozen=True)
class SessionStatus:
    """The clock and the session-wide settings, as the toolbar shows them."""

    week: int
    weeks: int
    playing: bool
    speed: float
    seed: int
    customers: int | None
    catching_up: bool
    shock_week: int | None
    shock_available: bool
    error: str | None = None
    present: bool = False
    drawn_every: int = 1
    max_customers: int = 0
    counterfactual: bool = True


class ColumnRun:
    """One column: a scenario source, the user's overrides and the model running them."""

    _uids = itertools.count()

    def __init__(self, index: int, source_label: str):
        self.index = index
        self.uid = next(self._uids)
        self.source_label = source_label
        self.overrides: dict[str, Any] = {}
        self.firm: str = ""
        self.error: str | None = None
        self.base: Scenario | None = None
        self.scenario: Scenario | None = None
        self.model: LoyaltyModel | None = None
        self.frame: ColumnFrame | None = None
        #: The same scenario without the events of ``shadow_week`` (same seed), stepped in
        #: lockstep with ``model`` from that week on: the charts' "without the supermarket" line.
        self.shadow: LoyaltyModel | None = None
        self.shadow_week: int | None = None
        self.shadow_reader: SeriesReader | None = None  # reads the shadow's chart series

    @property
    def week(self) -> int:
        """Weeks this column's model has run."""
        return self.model.week if self.model is not None else 0

    @property
    def shadow_behind(self) -> bool:
        """Whether the shadow run is behind the column (built after its event week)."""
        return self.shadow is not None and self.shadow.week < self.week

    @property
    def weeks(self) -> int:
        """Length of this column's run (its scenario's ``market.weeks``)."""
        return self.scenario.market.weeks if self.scenario is not None else 0
