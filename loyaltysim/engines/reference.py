"""The reference engine: every customer and employee is a Mesa agent stepped in Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loyaltysim.agents import Customer, Employee
from loyaltysim.engines.base import WeekTallies
from loyaltysim.measure import base_firms, count_customers
from loyaltysim.mechanisms import turnover
from loyaltysim.rng import TickDraws
from loyaltysim.state import StaffArrays, TickScratch, WeekVisits

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel


class ReferenceEngine:
    """Per-agent stepping (``AgentSet.do``) over the model's arrays; double-buffered state."""

    name = "reference"

    def __init__(self, model: LoyaltyModel):
        self.model = model
        model.materialize_customers()

    def customers_week(self) -> WeekTallies:
        """Choice, then experience, as ``Customer.choose`` and ``Customer.step`` per agent."""
        m = self.model
        m.customer_draws = TickDraws(m.seed, m.week, m.customer_ids)
        m.scratch = TickScratch.empty(m.n_customers)
        m.next_state = m.state.copy()
        m.next_state.story_firm[:] = -1
        m.next_state.story_sign[:] = 0
        customers = m.agents_by_type[Customer]
        customers.do("choose")
        choice = m.scratch.choice
        m.set_visits(np.bincount(choice[choice >= 0], minlength=m.n_firms + 1))
        customers.do("step")
        base_now = base_firms(m.next_state, m.week, m.spec.market.base_window_weeks)
        base_then = m.base_ring.then(m.week)
        m.base_ring.store(m.week, base_now)
        counts = count_customers(m, m.next_state, m.state, m.scratch, m.customer_draws, base_then, base_now)
        sc = m.scratch
        encounters, delights = [], []
        for firm in m.firms:
            mine = sc.choice == firm.index
            n = firm.staff.n_frontline
            encounters.append(np.bincount(sc.server[mine], minlength=n).astype(float))
            delights.append(np.bincount(sc.server[mine], weights=sc.delighted[mine], minlength=n))
        return WeekTallies(counts, int((choice >= 0).sum()), base_then is not None, encounters, delights)

    def week_visits(self) -> WeekVisits:
        """The per-customer record of the week just lived, from the tick's scratch."""
        sc = self.model.scratch
        return WeekVisits(
            sc.choice, sc.spend.astype(np.float32), sc.outcome, sc.problem_cost.astype(np.float32)
        )

    def staff_week(self) -> None:
        """``Employee.step`` then ``Employee.advance`` for every employee."""
        employees = self.model.agents_by_type.get(Employee)
        if employees is not None:
            employees.do("step")
            employees.do("advance")

    def vacate_posts(self, staff: StaffArrays, wait: int) -> tuple[int, np.ndarray]:
        """The specification, :func:`loyaltysim.mechanisms.turnover.vacate_posts`."""
        return turnover.vacate_posts(staff, wait)

    def commit(self) -> None:
        """Swap in the state written this week."""
        self.model.state = self.model.next_state
