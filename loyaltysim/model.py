"""LoyaltyModel: the Mesa model that wires scenario, population, network, firms and agents.

One ``step()`` is one week, in the phases of docs/design.md section 3 (the same numbers in the
README, the mechanisms and the kernels):

0. events scheduled for this week change parameters (:mod:`loyaltysim.events`);
1. choice - every customer picks a firm (or none) from last week's state
   (:mod:`loyaltysim.mechanisms.choice`); the store totals of that choice (visits, overload)
   are reduced;
2. encounter - every buyer is served (:mod:`~loyaltysim.mechanisms.encounter`);
3. complaint and recovery after a failure (:mod:`~loyaltysim.mechanisms.complaints`);
4. attachment and satisfaction move (:mod:`~loyaltysim.mechanisms.attachment`);
5. word of mouth - everyone hears last week's stories (:mod:`~loyaltysim.mechanisms.word_of_mouth`);
6. employees update engagement and skill, some quit and are replaced
   (:mod:`~loyaltysim.mechanisms.employees`);
7. managers work the backlog and, every review period, recognise staff and fix processes
   (:mod:`~loyaltysim.mechanisms.managers`);
8. measure - the new state is committed and the week's metrics are collected
   (:mod:`~loyaltysim.mechanisms.advocacy` adds the NPS answers).

Phases 2-5 are one fused loop per customer in the numba engine and ``Customer.step`` in the
reference engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.experimental.scenarios import Scenario as MesaScenario

from loyaltysim import rng
from loyaltysim.agents import Customer, Employee, Manager
from loyaltysim.engines import WeekTallies, make_engine
from loyaltysim.events import apply_events, change_parameters
from loyaltysim.measure import BaseRing, C, firm_rows, week_money
from loyaltysim.mechanisms import employees, managers, policy, turnover
from loyaltysim.mechanisms.choice import convenience_utility
from loyaltysim.mechanisms.coefficients import Coefficients
from loyaltysim.metrics import DECISION_COLUMNS, FIRM_WEEKLY_COLUMNS, HEADLINE_METRICS
from loyaltysim.model_args import SCENARIO_SEED, ScenarioSeed, resolve_model_args
from loyaltysim.network import build_network
from loyaltysim.population import lapse_quantiles, make_population, segment_table
from loyaltysim.rng import Stream, TickDraws
from loyaltysim.scenario import Scenario
from loyaltysim.staff import Hiring, resize_staff, staff_back_of_house, staff_counts, step_back_of_house
from loyaltysim.state import FRONTLINE, CustomerState, FirmState, TickScratch, WeekVisits

#: Default scenario when a model is created without one (so ``mesa.batch_run`` can build it).
DEFAULT_SCENARIO = "pharmacy_vs_brand"

#: With the numba engine, ``Customer`` agents are created at start-up up to this many customers;
#: above it, on demand (:meth:`LoyaltyModel.materialize_customers`) - a Mesa agent costs about
#: 700 bytes, more than the whole array state of a customer.
CUSTOMER_AGENTS_UP_TO = 10_000

__all__ = ["DEFAULT_SCENARIO", "LoyaltyModel", "staff_counts"]


def _focus_reporter(name: str):
    """Model reporter: this week's value of a headline metric for the scenario's focus firm."""
    return lambda model: model.focus_metrics.get(name)


def accelerated(spec: Scenario) -> Scenario:
    """``spec`` with the customers' bonds running ``market.warmup_acceleration`` times faster:
    attachment_gain, attachment_decay and network.story_effect multiplied (each capped at 1).
    The ratio of gain to decay - where attachment settles for a given pattern of visits and
    stories - is unchanged; only the time to get there shrinks (accelerated spin-up, Thornton &
    Rosenbloom 2005). The weeks after the fast ones, at the model's own rates, settle the rest."""
    a = spec.market.warmup_acceleration
    beh, net = spec.behaviour, spec.network
    return spec.model_copy(
        update={
            "behaviour": beh.model_copy(
                update={
                    "attachment_gain": min(1.0, beh.attachment_gain * a),
                    "attachment_decay": min(1.0, beh.attachment_decay * a),
                }
            ),
            "network": net.model_copy(update={"story_effect": min(1.0, net.story_effect * a)}),
        }
    )


class LoyaltyModel(mesa.Model):
    """Customers, employees and managers of competing stores under culture parameters.

    Args:
        spec: a shipped scenario name, a path to a TOML file, or a :class:`Scenario`
            (default :data:`DEFAULT_SCENARIO`). Named ``spec`` because ``scenario`` is Mesa's.
        rng: the seed of every random stream. Left out: the scenario's ``market.seed``, so a
            scenario file reproduces its numbers; ``None``: a fresh seed, as in Mesa (so
            ``mesa.batch_run(..., iterations=3)`` gives three different runs); an int: that
            seed. The seed used is ``model.seed``.
        engine: 'numba' (compiled, the default) or 'reference' (per-agent Python); defaults to
            the scenario's ``market.engine``. Both give the same numbers.
        overrides: dotted-key overrides, e.g. ``{"firms.pharmacy.culture.trust": 0.8}``.
        scenario: the old name of ``spec`` (still accepted), or Mesa's own
            :class:`mesa.experimental.scenarios.Scenario` - what Mesa's SolaraViz passes on
            Reset: its ``rng`` seeds the run (when ``rng`` is left out), a ``spec``/``engine``
            entry picks the scenario/engine and its other entries are overrides.
        **params: more overrides as keyword arguments, with ``__`` for ``.``
            (``firms__pharmacy__culture__trust=0.8``), so Mesa tools such as SolaraViz's model
            parameters can drive the model.

    ``model.spec`` is the validated loyaltysim scenario (``model.scenario`` is Mesa's own).
    The DataCollector holds the tidy per-firm table (``firm_weekly()``) and, as model reporters,
    the headline metrics of the focus firm (``focus_<metric>``), which ``mesa.batch_run`` collects.
    Customer state is in ``model.state`` (arrays); ``Customer`` agents are views onto its rows
    (with the numba engine, created up to :data:`CUSTOMER_AGENTS_UP_TO` customers or on demand).
    Staff are arrays per firm (``firm.staff``) with ``Employee`` agents as views onto posts.
    """

    def __init__(
        self,
        spec: str | os.PathLike[str] | Scenario | None = None,
        *,
        rng: int | ScenarioSeed | None = SCENARIO_SEED,
        engine: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        scenario: str | os.PathLike[str] | Scenario | MesaScenario | None = None,
        **params: Any,
    ):
        args = resolve_model_args(spec, scenario, rng, engine, overrides, params, DEFAULT_SCENARIO)
        spec, seed = args.spec, args.seed
        super().__init__(**args.mesa_init)
        self.spec = spec
        self.seed = seed
        market = spec.market
        # Warm-up weeks are numbered up to 0, so the reported run starts at week 1.
        self.week = -market.warmup_weeks
        self._start_week = self.week  # staff in post then are experienced, later hires are not
        self.n_customers = market.customers
        self.n_firms = len(spec.firms)
        self.firm_keys = spec.firm_ids
        self.population = make_population(market, spec.customers, seed)
        self.network = build_network(
            self.population["x"],
            self.population["y"],
            market.town_km,
            spec.network.ties_per_customer,
            spec.network.far_tie_share,
            seed,
        )
        self.segment_need = segment_table(spec.customers, "purchases_per_week")
        self.segment_basket = segment_table(spec.customers, "basket_dollars")
        beh = spec.behaviour
        self.k = Coefficients.of(spec)  # the mechanisms' coefficients, repacked every week
        self.state = CustomerState.initial(
            self.n_customers,
            self.n_firms,
            market.patronage_window,
            beh.initial_attachment,
            beh.initial_satisfaction,
            segment=self.population.pop("segment"),  # from here on state (mechanisms/usage.py)
        )
        self.next_state = self.state
        self.scratch = TickScratch.empty(0)
        self.customer_ids = np.arange(self.n_customers, dtype=np.int64)
        self.customer_draws = TickDraws(seed, 0, self.customer_ids)
        self.base_ring = BaseRing(market.base_window_weeks, self.n_customers, self.week + 1)
        self._customers_materialized = False
        self._distance: np.ndarray | None = None
        self.firms: list[FirmState] = []
        for f, key in enumerate(self.firm_keys):
            firm_params = spec.firms[key]
            firm = FirmState(
                index=f, key=key, params=firm_params, failure_rate=firm_params.process.base_failure_rate
            )
            firm.recognition_given = managers.recognition_given(
                firm_params.culture.recognition, firm_params.culture.leadership_commitment, self.k.managers
            )
            firm.manager = Manager(self, f)
            self.firms.append(firm)
            self.staff_firm(firm)
            if firm_params.open:
                self.introduce_firm(f, tick=0)
        self.refresh_firms()
        self.engine = make_engine(market.engine, self)
        if self.n_customers <= CUSTOMER_AGENTS_UP_TO:
            self.materialize_customers()
        self.fired_events: list[tuple[int, str]] = []
        #: Management policies' decisions: (week, firm key, what changed, why) - mechanisms.policy.
        self.decisions: list[tuple[int, str, str, str]] = []
        self.focus_metrics: dict[str, Any] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={f"focus_{name}": _focus_reporter(name) for name in HEADLINE_METRICS},
            tables={"firm_weekly": list(FIRM_WEEKLY_COLUMNS)},
        )
        self.running = True
        self.warm_up_market()

    def warm_up_market(self) -> None:
        """Run the ``market.warmup_weeks`` unreported weeks (numbered up to 0), so that week 1
        is a market in steady state: attachment, satisfaction, histories, staff engagement and
        turnover have settled instead of starting cold. The first ``market.warmup_fast_weeks``
        run the customers' bonds faster (:func:`accelerated`): a brand's share of its town settles
        over about five years at the model's own rates. Nothing is recorded, and Mesa's clock
        (``steps``, ``time``) does not move: the class's own ``step`` is called, not Mesa's wrapper,
        so ``batch_run`` and ``max_steps`` count reported weeks."""
        reported = self.spec
        fast_until = self.week + min(reported.market.warmup_fast_weeks, reported.market.warmup_weeks)
        if self.week < fast_until and reported.market.warmup_acceleration != 1.0:
            # Accelerated spin-up: the customers' bonds move ``warmup_acceleration`` times faster,
            # then the rest of the warm-up runs at the model's own rates. Both engines read the
            # coefficients from ``self.spec`` every week, so swapping it is all it takes.
            self.spec = accelerated(reported)
            while self.week < fast_until:
                type(self).step(self)
            self.spec = reported
        while self.week < 0:
            type(self).step(self)

    # -- set-up and events (public: :mod:`loyaltysim.events` and the UI call them) -------------
    def staff_firm(self, firm: FirmState) -> None:
        """Hire or let go employees so head counts match the firm's staffing parameters.

        Staff present at the start are experienced (``behaviour.initial_skill``); later hires
        start at the hiring level. Surplus posts are cut from the highest slots; their agents are
        removed.
        """
        k = self.k.employees
        frontline, supervisors = staff_counts(firm.params, self.n_customers)
        at_start = self.week == self._start_week
        training = firm.params.culture.training
        skill = k[employees.INITIAL_SKILL] if at_start else employees.hire_skill(training, k)
        onboarding = 0 if at_start else int(self.k.turnover[turnover.ONBOARDING_WEEKS])
        hire = Hiring(self.seed, self.week, firm, k, onboarding)
        firm.staff = resize_staff(
            firm.staff, frontline, supervisors, k[employees.HIRE_ENGAGEMENT], skill, hire
        )
        if at_start:
            firm.hired = 0  # the staff in post at the start cost no hiring
        firm.serving = turnover.serving_posts(firm.staff.vacant[:frontline])
        staff_back_of_house(firm, frontline, self.seed, k, self.k.back_of_house)
        for role, team, target in (
            ("frontline", firm.frontline, frontline),
            ("supervisor", firm.supervisors, supervisors),
        ):
            while len(team) > target:
                team.pop().remove()
            while len(team) < target:
                team.append(Employee(self, firm.index, role, len(team)))
        firm.encounters_by_slot = np.zeros(frontline)
        firm.delights_by_slot = np.zeros(frontline)

    def materialize_customers(self) -> None:
        """Create the ``Customer`` agents (views onto rows of ``state``) if not yet there."""
        if not self._customers_materialized:
            for row in range(self.n_customers):
                Customer(self, row)
            self._customers_materialized = True

    def introduce_firm(self, f: int, tick: int) -> None:
        """A firm opens: a share ``known_share`` of customers learn of it at once."""
        known = self.firms[f].params.known_share
        u = rng.uniform(self.seed, Stream.AWARE_OPEN, tick, self.customer_ids, f)
        newly = u < known
        self.state.aware[:, f] |= newly
        self.state.attachment[newly & (self.state.visits[:, f] == 0), f] = (
            self.spec.behaviour.initial_attachment
        )

    def refresh_firms(self) -> None:
        """Refresh what depends on firm positions and opening (after set-up and events)."""
        self._distance = None
        self.open_firms = [fs.index for fs in self.firms if fs.params.open]

    @property
    def distance(self) -> np.ndarray:
        """(n, F) float64 distances in km from every home to every firm (computed on first use;
        the numba engine computes them on the fly instead)."""
        if self._distance is None:
            x = self.population["x"].astype(np.float64)
            y = self.population["y"].astype(np.float64)
            columns = []
            for fs in self.firms:
                dx, dy = x - fs.params.x_km, y - fs.params.y_km
                columns.append(np.sqrt(dx * dx + dy * dy))
            self._distance = np.stack(columns, axis=1)
        return self._distance

    def convenience_utility(self, i: int, f: int) -> float:
        """Utility of firm ``f`` for customer ``i`` from convenience, price, deals and selection
        (no emotion, habit or noise): what retains customers who are not attached [A]."""
        pop, p = self.population, self.firms[f].params
        return convenience_utility(
            float(self.distance[i, f]),
            float(pop["distance_weight"][i]),
            float(pop["price_weight"][i]),
            p.price_index - 1.0,
            float(pop["deal_weight"][i]),
            p.deals,
            float(pop["hours_weight"][i]),
            1.0 - p.hours_per_day / 24.0,
            float(pop["selection_weight"][i]),
            p.selection,
            self.k.choice,
        )

    @property
    def lapse_table(self) -> np.ndarray:
        """The quantile table of this week's dropout distribution (:mod:`loyaltysim.mechanisms.lapse`)."""
        return lapse_quantiles(*self.k.lapse)

    def employee_draw(self, stream: int, draw_id: int) -> float:
        """One counter-based uniform draw for an employee this week."""
        return float(rng.uniform(self.seed, stream, self.week, np.array([draw_id]))[0])

    # -- one week ----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week (see the module docstring for the phases)."""
        self.week += 1
        week = self.week
        for firm in self.firms:
            firm.hired, firm.decision = 0, 0
        apply_events(self, week)
        self.k = Coefficients.of(self.spec)
        tallies = self.engine.customers_week()
        self._absorb(tallies)
        self.engine.staff_week()
        self._replace_quitters()
        for firm in self.firms:  # the back of house, firm-level in both engines
            step_back_of_house(firm, self.k.employees, self.k.back_of_house)
        self.agents_by_type[Manager].do("step")
        self._review_policies(tallies)
        self.engine.commit()
        self.next_state = self.state
        if week < 1:
            return  # a warm-up week: not reported
        for record in firm_rows(self, tallies.counts, tallies.total_purchases, tallies.has_base_then):
            self.datacollector.add_table_row("firm_weekly", record)
            if record["firm"] == self.spec.focus_firm:
                self.focus_metrics = record
        self.datacollector.collect(self)
        if week >= self.spec.market.weeks:
            self.running = False

    def week_visits(self) -> WeekVisits:
        """What each customer did in the week just stepped (:class:`~loyaltysim.state.WeekVisits`:
        firm, dollars spent, failure outcome, dollars the problem cost), indexed by customer id.

        For individual-level analyses (transaction exports, complaint outcomes against later
        repurchase). The arrays are overwritten by the next :meth:`step`; copy what you keep.
        """
        return self.engine.week_visits()

    def set_visits(self, per_firm: np.ndarray) -> None:
        """Store this week's purchases per firm (index F: outside) and the overload they cause."""
        for firm in self.firms:
            firm.visits = int(per_firm[firm.index])
            staff, nf = firm.staff, firm.staff.n_frontline
            # Empty posts serve nobody; hires still onboarding serve part of a load (turnover).
            serving = turnover.effective_frontline(staff.vacant[:nf], staff.onboarding[:nf], self.k.turnover)
            firm.overload = firm.visits / (serving * firm.params.staffing.capacity)

    def _absorb(self, tallies: WeekTallies) -> None:
        """Per-employee encounters and delights, per-firm totals for managers."""
        for firm in self.firms:
            c = tallies.counts[firm.index]
            firm.encounters_by_slot = tallies.encounters[firm.index]
            firm.delights_by_slot = tallies.delights[firm.index]
            if firm.staff.vacant.any():  # an empty post's visits were served by its colleague
                for counts in (firm.encounters_by_slot, firm.delights_by_slot):
                    empty = np.flatnonzero(firm.serving != np.arange(len(firm.serving)))
                    np.add.at(counts, firm.serving[empty], counts[empty])
                    counts[empty] = 0.0
            purchases = int(c[C["purchases"]])
            firm.delight_share = c[C["delighted"]] / purchases if purchases else 0.0
            firm.review_visits += purchases
            firm.review_complaints += int(c[C["complaints"]])
            firm.review_silent += int(c[C["silent"]])
            firm.backlog += c[C["unresolved"]]

    def _replace_quitters(self) -> None:
        """Employees who quit are replaced, in the same post, by an untrained hire [E] - a
        frontline post after ``behaviour.vacancy_weeks`` weeks empty (:mod:`~loyaltysim.mechanisms.
        turnover`); each hire costs money and onboards. Onboarding and vacancies count down."""
        k, kt = self.k.employees, self.k.turnover
        wait = int(kt[turnover.VACANCY_WEEKS])
        onboarding = int(kt[turnover.ONBOARDING_WEEKS])
        for firm in self.firms:
            staff = firm.staff
            firm.quits, hired = self.engine.vacate_posts(staff, wait)
            if len(hired):
                staff.engagement[hired] = k[employees.HIRE_ENGAGEMENT]
                staff.skill[hired] = employees.hire_skill(firm.params.culture.training, k)
                staff.tenure[hired] = 0
                Hiring(self.seed, self.week, firm, k, onboarding).fill(staff, hired)
            for row in hired:
                role, slot = int(staff.role[row]), int(staff.slot[row])
                team = firm.frontline if role == FRONTLINE else firm.supervisors
                team[slot].remove()
                team[slot] = Employee(
                    self, firm.index, "frontline" if role == FRONTLINE else "supervisor", slot
                )
            if firm.quits or len(hired):  # who serves an empty post changes only then
                firm.serving = turnover.serving_posts(staff.vacant[: staff.n_frontline])

    def _review_policies(self, tallies: WeekTallies) -> None:
        """Book each firm's money for the week and, at a review from week 1 on, let its
        management policy react to what it observed (:mod:`loyaltysim.mechanisms.policy`); its
        changes act through the firm's parameters, as an event's do."""
        review = self.week % self.spec.market.manager_review_weeks == 0
        for firm in self.firms:
            firm.money = week_money(self, firm, tallies.counts[firm.index])
            c = tallies.counts[firm.index]
            culture = firm.params.culture
            heard = culture.listening * (c[C["complaints"]] + culture.transparency * c[C["silent"]])
            firm.review_money += (
                c[C["purchases"]],
                firm.money["revenue"],
                firm.money["profit"],
                heard,
            )
            if not review:
                continue
            if self.week >= 1 and firm.params.policy != "fixed" and firm.params.open:
                self._decide(firm)  # policies act from week 1 (the warm-up settles the market)
            firm.review_money[:] = 0.0

    def _decide(self, firm: FirmState) -> None:
        """One firm's policy review: observe, decide, change its parameters, record why."""
        p = firm.params
        weeks = self.spec.market.manager_review_weeks
        purchases, revenue, profit, heard = (float(v) / weeks for v in firm.review_money)
        frontline = firm.staff.n_frontline
        per_post = (p.staffing.wage_per_week + p.staffing.training_cost * p.culture.training) * (
            1.0 + p.staffing.supervisors_per_frontline
        )
        now = policy.Observed(
            weeks,
            purchases,
            revenue,
            profit,
            heard,
            frontline,
            p.staffing.capacity,
            per_post,
            p.culture.training,
            p.price_index,
        )
        before, cut_before = firm.last_review or (None, False)
        d = policy.decide(p.policy, now, before, cut_before, self.k.policy)
        firm.last_review = (now, cut_before or bool(d.flags & (policy.STAFF_CUT | policy.TRAINING_CUT)))
        if not d.flags:
            return
        prefix = f"firms.{firm.key}."
        changes: dict[str, float] = {}
        if d.frontline != frontline:
            changes[prefix + "staffing.frontline_per_1000"] = d.frontline * 1000.0 / self.n_customers
        if d.training != p.culture.training:
            changes[prefix + "culture.training"] = d.training
        if d.price_index != p.price_index:
            changes[prefix + "price_index"] = d.price_index
        change_parameters(self, changes, label=f"policy {p.policy!r} of {firm.key!r}")
        firm.decision = d.flags
        what = policy.describe(d.flags)
        detail = (
            f"frontline {frontline}->{d.frontline}, training {p.culture.training:.2f}->{d.training:.2f}, "
            f"price {p.price_index:.3f}->{d.price_index:.3f}"
        )
        self.decisions.append((self.week, firm.key, f"{what} ({detail})", d.why))

    def decisions_frame(self) -> pd.DataFrame:
        """The management policies' decisions: week, firm, what changed, why (one row per
        decision, in the order made; no rows, same columns, when no firm decided anything)."""
        return pd.DataFrame(self.decisions, columns=list(DECISION_COLUMNS)).astype({"week": "int64"})

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
        return pd.DataFrame(
            {
                "customer": np.repeat(np.arange(n), nf),
                "firm": np.tile(self.firm_keys, n),
                "attachment": st.attachment.reshape(-1),
                "satisfaction": st.satisfaction.reshape(-1),
                "aware": st.aware.reshape(-1),
                "visits": st.visits.reshape(-1),
                "last_firm": np.repeat(st.last_firm, nf),
            }
        )


def warm_up(scenario: str = "pharmacy_vs_brand") -> None:
    """Run a tiny town for two weeks with the default engine, so its kernels are compiled (first
    run on a machine, tens of seconds) or loaded from numba's disk cache (later runs) before an
    interactive user waits for the first week."""
    LoyaltyModel(scenario, overrides={"market.customers": 60}).run(2)
