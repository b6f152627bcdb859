"""The two engines that advance customers (and staff) by one week.

* ``reference`` (:class:`~loyaltysim.engines.reference.ReferenceEngine`): per-agent Python, the
  ``step`` methods of :mod:`loyaltysim.agents` - the model's readable specification and the oracle
  of the tests.
* ``numba`` (:class:`~loyaltysim.engines.numba_engine.NumbaEngine`, the default): the same week for
  every customer at once in compiled kernels (:mod:`loyaltysim.kernels`).

Both implement :class:`Engine` over the model's shared arrays and give the same numbers (to float
tolerance) for the same scenario and seed; the engine-equivalence tests hold them to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel
    from loyaltysim.state import WeekVisits

ENGINES: tuple[str, ...] = ("numba", "reference")


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

    def commit(self) -> None:
        """Make this week's customer state the current one."""


def make_engine(name: str, model: LoyaltyModel) -> Engine:
    """The engine called ``name`` ('numba' or 'reference'), bound to ``model``."""
    if name == "reference":
        from loyaltysim.engines.reference import ReferenceEngine

        return ReferenceEngine(model)
    if name == "numba":
        from loyaltysim.engines.numba_engine import NumbaEngine

        return NumbaEngine(model)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


def warm_up(scenario: str = "pharmacy_vs_brand") -> None:
    """Run a tiny town for two weeks with the default engine, so its kernels are compiled (first
    run on a machine, tens of seconds) or loaded from numba's disk cache (later runs) before an
    interactive user waits for the first week."""
    from loyaltysim.model import LoyaltyModel

    LoyaltyModel(scenario, overrides={"market.customers": 60}).run(2)
