"""What every engine provides (:class:`Engine`) and returns each week (:class:`WeekTallies`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from loyaltysim.state import StaffArrays, WeekVisits


@dataclass
class WeekTallies:
    """What the customers did this week, reduced: per-firm tallies and per-slot encounters."""

    counts: np.ndarray  # (F, len(measure.COUNTS)) float64
    total_purchases: int  # purchase occasions this week, outside-town purchases included
    has_base_then: bool  # whether a base window has passed (retention_base is defined)
    encounters: list[np.ndarray]  # per firm: encounters per frontline slot (float64)
    delights: list[np.ndarray]  # per firm: delighted customers per frontline slot (float64)


class Engine(Protocol):
    """Advances the customers and staff of one model by one week."""

    name: str

    def customers_week(self) -> WeekTallies:
        """Phases 1-5 for every customer; the firms' ``visits``/``overload`` are set after the
        choice phase; returns the week's tallies."""

    def week_visits(self) -> WeekVisits:
        """Per customer: where they bought, what they spent, failure outcome and problem cost
        in the week just stepped."""

    def staff_week(self) -> None:
        """Phase 6: every employee's engagement, skill and decision to quit."""

    def vacate_posts(self, staff: StaffArrays, wait: int) -> tuple[int, np.ndarray]:
        """The week's quits and vacancies of one firm's posts, in place; (quits, rows to fill)
        (:func:`loyaltysim.mechanisms.turnover.vacate_posts`)."""

    def commit(self) -> None:
        """Make this week's customer state the current one."""
