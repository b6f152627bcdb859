"""LoyaltyModel: the Mesa model that wires scenario, population, network, firms and agents.

One ``step()`` is one week, in the phases of DESIGN.md section 3:

0. events scheduled for this week change parameters (:mod:`loyaltysim.events`);
1. choice - every customer picks a firm (or none) from last week's state;
2. the store totals of that choice (visits, overload) are reduced;
3. experience - every customer is served, may suffer a failure, complain and be recovered, updates
   attachment and satisfaction, and hears last week's stories;
4. employees update engagement and skill, some quit and are replaced by untrained hires;
5. managers work the backlog and, every review period, recognise staff and fix processes;
6. the new state is committed and the week's metrics are collected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from loyaltysim import rng
from loyaltysim.agents import Customer, Employee, Manager
from loyaltysim.events import apply_events
from loyaltysim.measure import measure_week
from loyaltysim.metrics import FIRM_WEEKLY_COLUMNS, HEADLINE_METRICS
from loyaltysim.network import build_network
from loyaltysim.population import make_population
from loyaltysim.rng import Stream, TickDraws
from loyaltysim.scenario import Scenario, load_scenario
from loyaltysim.schema import Firm
from loyaltysim.state import CustomerState, FirmState, TickScratch

#: Default scenario when a model is created without one (so ``mesa.batch_run`` can build it).
DEFAULT_SCENARIO = "pharmacy_vs_brand"


def staff_counts(firm: Firm, customers: int) -> tuple[int, int]:
    """(frontline, supervisors) head counts for a firm in a town of ``customers`` households."""
    frontline = max(1, round(firm.staffing.frontline_per_1000 * customers / 1000.0))
    supervisors = round(firm.staffing.supervisors_per_frontline * frontline)
    return frontline, supervisors


def _focus_reporter(name: str):
    """Model reporter: this week's value of a headline metric for the scenario's focus firm."""
    return lambda model: model.focus_metrics.get(name)


class LoyaltyModel(mesa.Model):
    """Customers, employees and managers of competing stores under culture parameters.

    Args:
        scenario: a shipped scenario name, a path to a TOML file, or a :class:`Scenario`.
        rng: seed of every random stream (an int); defaults to the scenario's ``market.seed``.
        overrides: dotted-key overrides, e.g. ``{"firms.pharmacy.culture.trust": 0.8}``.
        **params: more overrides as keyword arguments, with ``__`` for ``.``
            (``firms__pharmacy__culture__trust=0.8``), so Mesa tools such as ``batch_run`` can
            drive the model.

    ``model.spec`` is the validated loyaltysim scenario (``model.scenario`` is Mesa's own).
    The DataCollector holds the tidy per-firm table (``firm_weekly()``) and, as model reporters,
    the headline metrics of the focus firm (``focus_<metric>``), which ``mesa.batch_run`` collects.
    Customer state is in ``model.state`` (arrays); ``Customer`` agents are views onto its rows.
    """

    def __init__(self, scenario: str | os.PathLike[str] | Scenario = DEFAULT_SCENARIO, *,
                 rng: int | None = None, overrides: Mapping[str, Any] | None = None,
                 **params: Any):
        spec = load_scenario(scenario, {**(overrides or {}), **params})
        seed = spec.market.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.spec = spec
        self.seed = seed
        self.week = 0
        market = spec.market
        self.n_customers = market.customers
        self.n_firms = len(spec.firms)
        self.firm_keys = spec.firm_ids
        self.population = make_population(market, spec.customers, seed)
        self.network = build_network(self.population["x"], self.population["y"], market.town_km,
                                     spec.network.ties_per_customer, spec.network.far_tie_share,
                                     seed)
        beh = spec.behaviour
        self.state = CustomerState.initial(self.n_customers, self.n_firms,
                                           market.patronage_window, beh.initial_attachment,
                                           beh.initial_satisfaction)
        self.next_state = self.state
        self.scratch = TickScratch.empty(self.n_customers)
        self._customer_ids = np.arange(self.n_customers, dtype=np.int64)
        self.customer_draws = TickDraws(seed, 0, self._customer_ids)
        self.base_history: list[np.ndarray] = []
        self.firms: list[FirmState] = []
        for f, key in enumerate(self.firm_keys):
            params = spec.firms[key]
            firm = FirmState(index=f, key=key, params=params,
                             failure_rate=params.process.base_failure_rate)
            firm.recognition_given = params.culture.recognition * (
                0.5 + 0.5 * params.culture.leadership_commitment)
            firm.manager = Manager(self, f)
            self.firms.append(firm)
            self._staff(firm)
            if params.open:
                self._introduce(f, tick=0)
        self._update_distances()
        for row in range(self.n_customers):
            Customer(self, row)
        self.fired_events: list[tuple[int, str]] = []
        self.focus_metrics: dict[str, Any] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={f"focus_{name}": _focus_reporter(name) for name in HEADLINE_METRICS},
            tables={"firm_weekly": list(FIRM_WEEKLY_COLUMNS)})
        self.running = True

    # -- set-up helpers ----------------------------------------------------------------------
    def _staff(self, firm: FirmState) -> None:
        """Hire or let go employees so head counts match the firm's staffing parameters."""
        beh = self.spec.behaviour
        frontline, supervisors = staff_counts(firm.params, self.n_customers)
        hire_skill = min(1.0, beh.hire_skill + 0.3 * firm.params.culture.training)
        for role, team, target in (("frontline", firm.frontline, frontline),
                                   ("supervisor", firm.supervisors, supervisors)):
            while len(team) > target:
                team.pop().remove()
            while len(team) < target:
                # Staff present at the start are experienced; later hires start untrained.
                skill = 0.5 if self.week == 0 else hire_skill
                team.append(Employee(self, firm.index, role, len(team), beh.hire_engagement,
                                     skill))
        firm.encounters_by_slot = np.zeros(len(firm.frontline))
        firm.delights_by_slot = np.zeros(len(firm.frontline))

    def _introduce(self, f: int, tick: int) -> None:
        """A firm opens: a share ``known_share`` of customers learn of it at once."""
        known = self.firms[f].params.known_share
        u = rng.uniform(self.seed, Stream.AWARE_OPEN, tick, self._customer_ids, f)
        newly = u < known
        self.state.aware[:, f] |= newly
        self.state.attachment[newly & (self.state.visits[:, f] == 0), f] = (
            self.spec.behaviour.initial_attachment)

    def _update_distances(self) -> None:
        """Distances (km) from every home to every firm; convenience terms that do not change
        within a week are cached per firm."""
        x, y = self.population["x"], self.population["y"]
        self.distance = np.stack([np.hypot(x - fs.params.x_km, y - fs.params.y_km)
                                  for fs in self.firms], axis=1)
        self.open_firms = [fs.index for fs in self.firms if fs.params.open]

    def convenience_utility(self, i: int, f: int) -> float:
        """Utility of firm ``f`` for customer ``i`` from convenience, price, deals and selection
        (no emotion, habit or noise): what retains customers who are not attached [A]."""
        pop, p = self.population, self.firms[f].params
        return (-pop["distance_weight"][i] * self.distance[i, f]
                - pop["price_weight"][i] * 10.0 * (p.price_index - 1.0)
                + pop["deal_weight"][i] * p.deals
                - pop["hours_weight"][i] * (1.0 - p.hours_per_day / 24.0)
                + pop["selection_weight"][i] * p.selection)

    def employee_draw(self, stream: int, draw_id: int) -> float:
        """One counter-based uniform draw for an employee this week."""
        return float(rng.uniform(self.seed, stream, self.week, np.array([draw_id]))[0])

    # -- one week ----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week (see the module docstring for the phases)."""
        self.week += 1
        week = self.week
        apply_events(self, week)
        self.customer_draws = TickDraws(self.seed, week, self._customer_ids)
        self.scratch = TickScratch.empty(self.n_customers)
        self.next_state = self.state.copy()
        self.next_state.story_firm[:] = -1
        self.next_state.story_sign[:] = 0
        customers = self.agents_by_type[Customer]
        customers.do("choose")
        self._reduce_choices()
        customers.do("step")
        self._reduce_encounters()
        employees = self.agents_by_type.get(Employee)
        if employees is not None:
            employees.do("step")
            employees.do("advance")
            self._replace_quitters()
        self.agents_by_type[Manager].do("step")
        previous = self.state
        self.state = self.next_state
        row = measure_week(self, previous)
        for record in row:
            self.datacollector.add_table_row("firm_weekly", record)
            if record["firm"] == self.spec.focus_firm:
                self.focus_metrics = record
        self.datacollector.collect(self)
        if week >= self.spec.market.weeks:
            self.running = False

    def _reduce_choices(self) -> None:
        """Visits and overload per firm: a reduction over this week's choices."""
        choice = self.scratch.choice
        counts = np.bincount(choice[choice >= 0], minlength=self.n_firms + 1)
        for firm in self.firms:
            firm.visits = int(counts[firm.index])
            capacity = len(firm.frontline) * firm.params.staffing.capacity
            firm.overload = firm.visits / capacity

    def _reduce_encounters(self) -> None:
        """Per-employee encounters and delights, per-firm totals for managers."""
        sc = self.scratch
        for firm in self.firms:
            mine = sc.choice == firm.index
            slots = sc.server[mine]
            n = len(firm.frontline)
            firm.encounters_by_slot = np.bincount(slots, minlength=n).astype(float)
            firm.delights_by_slot = np.bincount(slots, weights=sc.delighted[mine],
                                                minlength=n)
            firm.delight_share = float(sc.delighted[mine].mean()) if mine.any() else 0.0
            firm.review_visits += int(mine.sum())
            firm.review_complaints += int(((sc.outcome[mine] >= 1)
                                           & (sc.outcome[mine] <= 3)).sum())
            firm.review_silent += int((sc.outcome[mine] == 4).sum())
            firm.backlog += float((sc.outcome[mine] == 3).sum())

    def _replace_quitters(self) -> None:
        """Employees who quit are replaced, in the same slot, by an untrained hire [E]."""
        beh = self.spec.behaviour
        for firm in self.firms:
            firm.quits = 0
            for team in (firm.frontline, firm.supervisors):
                for slot, emp in enumerate(team):
                    if emp.quitting:
                        firm.quits += 1
                        emp.remove()
                        skill = min(1.0, beh.hire_skill + 0.3 * firm.params.culture.training)
                        team[slot] = Employee(self, firm.index, emp.role, slot,
                                              beh.hire_engagement, skill)

    # -- results -----------------------------------------------------------------------------
    def run(self, weeks: int | None = None, progress=None) -> None:
        """Run ``weeks`` more weeks (default: to the scenario's end); ``progress(done, total)``
        is called after each week."""
        total = self.spec.market.weeks - self.week if weeks is None else weeks
        for done in range(1, total + 1):
            self.step()
            if progress is not None:
                progress(done, total)

    def firm_weekly(self) -> pd.DataFrame:
        """Tidy per-firm, per-week metrics (columns: week, firm, then every FIRM_METRICS name)."""
        return self.datacollector.get_table_dataframe("firm_weekly")

    def customers_frame(self) -> pd.DataFrame:
        """Per-customer final state: one row per customer and firm (for tests and exports)."""
        st, n, nf = self.state, self.n_customers, self.n_firms
        return pd.DataFrame({
            "customer": np.repeat(np.arange(n), nf),
            "firm": np.tile(self.firm_keys, n),
            "attachment": st.attachment.reshape(-1),
            "satisfaction": st.satisfaction.reshape(-1),
            "aware": st.aware.reshape(-1),
            "visits": st.visits.reshape(-1),
            "last_firm": np.repeat(st.last_firm, nf),
        })
