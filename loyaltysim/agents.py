"""The reference engine's agents: customers, employees and managers, one ``step`` each.

These methods are the model's specification, written to be read. Every decision in week t reads the
state as it was at the end of week t-1 (``model.state``, the employees' committed values) plus totals
already reduced this week (visits per firm), and writes only its own row of the next state
(``model.next_state``), so the result does not depend on the order agents are stepped in. Every
random number is a counter-based draw keyed by (seed, stream, week, agent id, sub) - see
:mod:`loyaltysim.rng` - so the numba engine can reproduce each one.

Seed articles are cited as in :mod:`loyaltysim.schema`: [A] 000 retention vs loyalty, [B] 001
customer focus, [C] 002 customer-focused leadership, [D] 003 customer-centric culture, [E] 004
culture of customer focus.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from loyaltysim import rng
from loyaltysim.codes import ESCALATED, NO_PURCHASE, OK, ON_SPOT, SILENT, UNRESOLVED
from loyaltysim.mechanisms import managers
from loyaltysim.mechanisms.attachment import attachment_change, decay_rate
from loyaltysim.mechanisms.avoidance import avoidance_utility, faded, grudge_after
from loyaltysim.mechanisms.back_of_house import stockout_chance, supplied_warmth
from loyaltysim.mechanisms.choice import emotional_utility, logit_pick
from loyaltysim.mechanisms.complaints import (
    LADDER,
    RECOVERY_ATTACHMENT_SHARE,
    RECOVERY_BONUS,
    SIZE_PENALTY,
    complaint_probability,
    outcome_value,
    problem_size,
    problem_size_sting,
    willing_to_resolve,
)
from loyaltysim.mechanisms.economics import NO_REFERRAL, cost_to_serve, referral_utility, refers
from loyaltysim.mechanisms.employees import (
    empowered_share,
    engagement_target,
    next_engagement,
    next_skill,
    pay_effects,
    separation_probability,
    staff_draw_id,
)
from loyaltysim.mechanisms.encounter import (
    DELIGHT,
    encounter_values,
    failure_probability,
    next_satisfaction,
    perceived,
)
from loyaltysim.mechanisms.failure_memory import (
    forgets,
    memory_after,
    raised_expectation,
    remembered_failures,
    repeat_bonus,
)
from loyaltysim.mechanisms.lapse import GENERATIONS, LAPSE_MEAN, lapse_probability
from loyaltysim.mechanisms.relationships import (
    rapport_after,
    rapport_value,
    server_slot,
    usual_slot,
)
from loyaltysim.mechanisms.usage import MIGRATION, segment_of, usage_step
from loyaltysim.mechanisms.word_of_mouth import DETRACTOR_REACH, STORY_EFFECT, TELL_PROMOTER, story_change
from loyaltysim.rng import Stream
from loyaltysim.state import CustomerState

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel
    from loyaltysim.state import FirmState, StaffArrays

__all__ = ["LADDER", "Customer", "Employee", "Manager", "staff_draw_id"]


#: State a newcomer does not take from ``CustomerState.initial``: the story the leaver told this
#: week (heard next week), and what :meth:`Customer._make_way` draws or counts itself.
NEWCOMER_KEEPS = ("story_firm", "story_sign", "segment", "generation", "aware")


def newcomer_fields() -> list[str]:
    """The ``CustomerState`` arrays a newcomer takes at their starting value (every one but
    :data:`NEWCOMER_KEEPS`: a state array added later is reset without a change here)."""
    return [f for f in CustomerState.__dataclass_fields__ if f not in NEWCOMER_KEEPS]


class Customer(mesa.Agent):
    """A household: a view onto row ``row`` of the model's customer arrays.

    Attributes are read from the arrays (``model.state``) on access, so the agent never drifts from
    the state the engines compute.
    """

    def __init__(self, model: LoyaltyModel, row: int):
        super().__init__(model)
        self.row = row

    # -- views -------------------------------------------------------------------------------
    @property
    def attachment(self) -> np.ndarray:
        """Emotional attachment to each firm, 0-1 (a view, firm order)."""
        return self.model.state.attachment[self.row]

    @property
    def satisfaction(self) -> np.ndarray:
        """Satisfaction with each firm, 0-1 (a view)."""
        return self.model.state.satisfaction[self.row]

    @property
    def last_firm(self) -> int:
        """Index of the firm of the latest purchase (F = outside town, -1 = none yet)."""
        return int(self.model.state.last_firm[self.row])

    @property
    def position(self) -> tuple[float, float]:
        """Home (x, y) in km."""
        pop = self.model.population
        return float(pop["x"][self.row]), float(pop["y"][self.row])

    @property
    def segment(self) -> str:
        """Usage segment: regular, heavy or super user [E]."""
        from loyaltysim.population import SEGMENTS

        return SEGMENTS[self.model.state.segment[self.row]]

    def trait(self, name: str) -> float:
        """One of the customer's fixed sensitivities (see ``Customers`` in the schema)."""
        return float(self.model.population[name][self.row])

    # -- phase 1: choice ------------------------------------------------------------------------
    def choose(self) -> None:
        """Decide whether to shop this week and where: multinomial logit over the open firms.

        utility = - distance x distance_weight - price premium x price_weight + deals x deal_weight
        - share of the day closed x hours_weight + selection x selection_weight
        + attachment x emotion_weight + the pull of complete satisfaction + habit (same firm as
        last time). Convenience and price retain; only attachment and delight make a customer stay
        when a rival matches them [A] (Jones & Sasser 1995). Writes ``scratch.choice[row]``: a
        firm index, F for outside, -1 none.
        """
        m, i = self.model, self.row
        pop, draws = m.population, m.customer_draws
        if draws.uniform(Stream.NEED)[i] >= m.segment_need[m.state.segment[i]]:
            return
        last = int(m.state.last_firm[i])
        habit = float(pop["habit"][i])
        options, utilities = [], []
        for f in m.open_firms:
            if m.state.aware[i, f]:
                u = m.convenience_utility(i, f)
                u += emotional_utility(
                    float(pop["emotion_weight"][i]),
                    float(m.state.attachment[i, f]),
                    float(m.state.satisfaction[i, f]),
                    m.k.choice,
                )
                u += habit * (last == f)
                # A pending referral gets the recommended store a trial (economics).
                u += referral_utility(int(m.state.referral_firm[i]) == f, m.k.economics)
                # A grudge after a failure not put right keeps them away a while (avoidance).
                u -= avoidance_utility(int(m.state.grudge[i]), f, m.k.avoidance)
                options.append(f)
                utilities.append(u)
        if m.spec.market.outside_option:
            options.append(m.n_firms)
            outside = m.spec.market.outside_utility + float(pop["outside_preference"][i])
            utilities.append(outside + habit * (last == m.n_firms))
        if options:
            pick = logit_pick(utilities, len(utilities), float(draws.uniform(Stream.CHOICE)[i]))
            m.scratch.choice[i] = options[pick]

    # -- phases 2-5: encounter, complaint, attachment, word of mouth ---------------------------
    def step(self) -> None:
        """Live through this week: the visit (if any), then stories heard and ads seen.

        Attachment is updated in float64 from last week's values (``before``) and stored once,
        clipped to 0-1, at the end.
        """
        m, i = self.model, self.row
        f = int(m.scratch.choice[i])
        before = m.state.attachment[i].astype(np.float64)
        after = before.copy()
        if f != NO_PURCHASE:
            self._record_purchase(f)
        if 0 <= f < m.n_firms:
            after[f] += self._visit(f, float(before[f]))
        self._forget(after, before, visited=f)
        self._listen(after, before)
        self._notice_ads()
        m.next_state.attachment[i] = np.clip(after, 0.0, 1.0)
        if f != NO_PURCHASE and self._lapses():
            self._make_way()

    def _record_purchase(self, f: int) -> None:
        """Update purchase history, tenure and recency (f = firm index or F for outside); a
        first purchase at a firm is a new customer, referred if it follows a promoter's story
        about the firm; the visit's cost to serve falls with tenure. Any purchase uses up a
        pending referral (economics)."""
        m, i = self.model, self.row
        nxt, sc = m.next_state, m.scratch
        nxt.tenure[i] = m.state.tenure[i] + 1 if m.state.last_firm[i] == f else 1
        nxt.last_firm[i] = f
        nxt.last_purchase_week[i] = m.week
        nxt.history[i, :-1] = m.state.history[i, 1:]
        nxt.history[i, -1] = f
        referred_to = int(m.state.referral_firm[i])
        nxt.referral_firm[i] = NO_REFERRAL
        nxt.grudge[i] = faded(int(m.state.grudge[i]), m.k.avoidance)  # an occasion has passed
        if f < m.n_firms:
            if nxt.visits[i, f] == 0:
                sc.new_customer[i] = True
                sc.referred[i] = referred_to == f
            nxt.visits[i, f] += 1
            sc.serve_cost[i] = cost_to_serve(int(nxt.tenure[i]), m.k.economics)

    def _visit(self, f: int, attached: float) -> float:
        """Encounter, failure, complaint and recovery; updates satisfaction and returns the change
        of attachment to ``f`` (whose value last week was ``attached``)."""
        m, i = self.model, self.row
        pop, draws, firm, k = m.population, m.customer_draws, m.firms[f], m.k
        # Encounter: served by a frontline employee of the firm - a returning customer often by
        # their usual one, with whom rapport grows; it is lost when that person quits [A].
        posts = len(firm.frontline)
        usual = usual_slot(i, f, posts)
        returning = int(m.state.last_firm[i]) == f
        slot = server_slot(float(draws.uniform(Stream.SERVER)[i]), returning, usual, posts, k.relationships)
        served = int(firm.serving[slot])  # an empty post's visit goes to a colleague (turnover)
        server = firm.frontline[served]
        m.scratch.server[i] = slot
        # The back of house supplies the frontline: its shortfall cools the encounter (delays)
        # and adds stock-outs to the failures [B] (Heskett et al. 1994).
        emotional, quality = encounter_values(
            server.engagement,
            server.skill,
            firm.params.culture.empathy,
            firm.overload,
            supplied_warmth(firm.supply_shortfall, k.back_of_house),
            k.encounter,
        )
        if slot == usual:
            person = int(firm.staff.person[served])
            rapport = float(m.state.rapport[i])
            known = int(m.state.rapport_person[i]) == person  # ids are unique across firms
            if known:
                emotional += rapport_value(rapport, k.relationships)
                m.scratch.known[i] = True
            m.next_state.rapport[i] = rapport_after(rapport, known, server.engagement, k.relationships)
            m.next_state.rapport_person[i] = person
        emotional = perceived(emotional, float(pop["perception"][i]))
        m.scratch.spend[i] = (
            m.segment_basket[m.state.segment[i]]
            * firm.params.price_index
            * (1.0 + m.spec.customers.spend_lift * attached)
        )
        if returning:
            self._migrate(attached)
        # Failure: process failure rate, raised by overload and low skill [B][E], plus stock-outs.
        outcome = OK
        p_fail = failure_probability(
            firm.failure_rate,
            firm.overload,
            server.skill,
            stockout_chance(firm.supply_shortfall, k.back_of_house),
            k.encounter,
        )
        u_fail = float(draws.uniform(Stream.FAILURE)[i])
        failed = u_fail < p_fail
        if failed:
            m.scratch.failure[i] = True
            outcome = self._complain_or_leave(f, firm, server, attached)
            size = problem_size(float(m.scratch.problem_cost[i]), k.complaints)
            m.next_state.grudge[i] = grudge_after(f, outcome, size, k.avoidance)
        m.scratch.outcome[i] = outcome
        # Failures remembered at this firm shrink the recovery bonus and raise expectations
        # (Maxham & Netemeyer 2002); this visit adds to or fades the memory.
        memory = int(m.state.failure_memory[i])
        remembered = remembered_failures(memory, f)
        forgot = not failed and remembered > 0 and forgets(u_fail, p_fail, k.failure_memory)
        m.next_state.failure_memory[i] = memory_after(memory, f, remembered, failed, forgot)
        bonus = repeat_bonus(k.complaints[RECOVERY_BONUS], remembered, k.failure_memory)
        handoffs = int(m.scratch.handoffs[i])
        # the paradox shows in satisfaction more than in loyalty (de Matos et al. 2007)
        lift = bonus * k.complaints[RECOVERY_ATTACHMENT_SHARE]
        emotional = outcome_value(emotional, outcome, handoffs, lift, k.complaints)
        quality = outcome_value(quality, outcome, handoffs, bonus, k.complaints)
        if outcome != OK and k.complaints[SIZE_PENALTY] > 0.0:
            sting = problem_size_sting(float(m.scratch.problem_cost[i]), outcome, k.complaints)
            emotional, quality = max(0.0, emotional - sting), max(0.0, quality - sting)
        delight = k.encounter[DELIGHT]
        m.scratch.delighted[i] = emotional >= delight
        # Stories for next week's word of mouth [E].
        if emotional >= delight:
            m.next_state.story_firm[i], m.next_state.story_sign[i] = f, 1
        elif outcome in (UNRESOLVED, SILENT):
            m.next_state.story_firm[i], m.next_state.story_sign[i] = f, -1
        expectation = raised_expectation(float(pop["expectation"][i]), remembered, k.failure_memory)
        m.next_state.satisfaction[i, f] = next_satisfaction(
            float(m.state.satisfaction[i, f]), quality, expectation, float(pop["perception"][i]), k.encounter
        )
        # Attachment moves toward the visit's emotional value; losses weigh more [A], and a failure
        # is a critical incident that may weigh more than a routine visit.
        return attachment_change(attached, emotional, outcome != OK, k.attachment)

    def _migrate(self, attached: float) -> None:
        """Usage migration at a repeat purchase (mechanisms/usage.py): past a threshold of
        attachment to the current store (last week's ``attached``), one segment up or down with
        chance ``usage_migration`` [E]. The draw is made only past a threshold."""
        m, i = self.model, self.row
        k = m.k.usage
        segment = int(m.state.segment[i])
        target = usage_step(segment, attached, k)
        if target != segment and m.customer_draws.uniform(Stream.USAGE)[i] < k[MIGRATION]:
            m.next_state.segment[i] = target

    def _lapses(self) -> bool:
        """After a purchase: does this person leave the category for good (FHL 2005)? Their
        dropout chance is the beta quantile of their own draw (stream LAPSE, tick = generation,
        sub 1); the decision one draw this week (stream LAPSE, sub 0)."""
        m, i = self.model, self.row
        if m.k.lapse[LAPSE_MEAN] <= 0.0:
            return False
        person = rng.uniform(m.seed, Stream.LAPSE, int(m.state.generation[i]), np.array([i]), 1)[0]
        p = lapse_probability(float(person), m.lapse_table)
        return bool(m.customer_draws.uniform(Stream.LAPSE)[i] < p)

    def _make_way(self) -> None:
        """A newcomer to the category takes this row (mechanisms/lapse.py): same home and traits,
        every state as at creation - except the story the leaver told this week, still heard
        next week - a fresh usage segment and awareness of each open firm with its known share
        (stream NEWCOMER), and the next generation."""
        m, i = self.model, self.row
        nxt, draws = m.next_state, m.customer_draws
        m.scratch.lapsed[i] = True
        fresh = CustomerState.initial(
            1,
            m.n_firms,
            nxt.history.shape[1],
            m.spec.behaviour.initial_attachment,
            m.spec.behaviour.initial_satisfaction,
        )
        for name in newcomer_fields():
            getattr(nxt, name)[i] = getattr(fresh, name)[0]
        nxt.generation[i] = (int(m.state.generation[i]) + 1) % GENERATIONS
        nxt.segment[i] = segment_of(float(draws.uniform(Stream.NEWCOMER, 0)[i]), m.k.usage)
        nxt.aware[i] = False
        for f in m.open_firms:
            nxt.aware[i, f] = draws.uniform(Stream.NEWCOMER, 1 + f)[i] < m.firms[f].params.known_share

    def _complain_or_leave(self, f: int, firm: FirmState, server, attached: float) -> int:
        """After a failure: complain (the attached still care) or drift away silently [B].

        A complaint climbs frontline -> supervisor -> manager. Each level fixes it on the spot if
        the cost is within its empowerment limit and it is willing (trust); each hand-off may lose
        the customer's patience [C][D]. Returns the outcome code; fills refund, hand-offs, reach.
        """
        m, i = self.model, self.row
        pop, draws = m.population, m.customer_draws
        proc, culture = firm.params.process, firm.params.culture
        cost = proc.cost_median * math.exp(proc.cost_sigma * float(draws.normal(Stream.COST)[i]))
        m.scratch.problem_cost[i] = cost
        p_complain = complaint_probability(
            float(pop["complaint_propensity"][i]), attached, culture.listening, m.k.complaints
        )
        if draws.uniform(Stream.COMPLAIN)[i] >= p_complain:
            return SILENT
        limits = culture.empowerment
        sup_slot = -1
        if firm.supervisors:
            sup_slot = min(
                int(draws.uniform(Stream.SUPERVISOR)[i] * len(firm.supervisors)), len(firm.supervisors) - 1
            )
        ladder = [(limits.frontline, server.engagement)]
        if sup_slot >= 0:
            ladder.append((limits.supervisor, firm.supervisors[sup_slot].engagement))
        assert firm.manager is not None  # every firm has one from the start
        ladder.append((limits.manager, firm.manager.commitment))
        patience = float(pop["patience"][i])
        handoffs = 0
        for level, (limit, engagement) in enumerate(ladder):
            if level > 0:
                handoffs += 1
                if draws.uniform(Stream.PATIENCE, level)[i] >= patience:
                    break  # gave up after being passed on
            m.scratch.reached[i] = level if level < len(ladder) - 1 else 2
            willing = draws.uniform(Stream.LADDER, level)[i] < willing_to_resolve(
                culture.trust, engagement, m.k.complaints
            )
            if cost <= limit and willing:
                m.scratch.handoffs[i] = handoffs
                m.scratch.refund[i] = cost
                return ON_SPOT if level == 0 else ESCALATED
        m.scratch.handoffs[i] = handoffs
        return UNRESOLVED

    def _forget(self, after: np.ndarray, before: np.ndarray, visited: int) -> None:
        """Attachment to firms not visited this week decays; relationship-building slows it [B]."""
        decay = self.model.spec.behaviour.attachment_decay
        for f, firm in enumerate(self.model.firms):
            if f != visited:
                after[f] -= decay_rate(decay, firm.params.culture.relationship_building) * before[f]

    def _listen(self, after: np.ndarray, before: np.ndarray) -> None:
        """Word of mouth as a pull: hear last week's stories of this customer's ties [E].

        A story about firm f makes the listener aware of f and moves its attachment up (promoter)
        or down (detractor); detractors' stories reach further, amplified by social media.
        """
        m, i = self.model, self.row
        net, draws, prev, wom = m.network, m.customer_draws, m.state, m.k.word_of_mouth
        for t, j in enumerate(net.ties(i)):
            f = int(prev.story_firm[j])
            if f < 0:
                continue
            promoter = prev.story_sign[j] > 0
            reach = wom[TELL_PROMOTER] if promoter else wom[DETRACTOR_REACH]
            if draws.uniform(Stream.WOM, t)[i] >= reach:
                continue
            m.next_state.aware[i, f] = True
            after[f] += story_change(before[f], promoter, wom[STORY_EFFECT])
            # A promoter's story about a store never tried is a referral (economics).
            if refers(promoter, int(m.next_state.visits[i, f])):
                m.next_state.referral_firm[i] = f

    def _notice_ads(self) -> None:
        """Unaware customers may hear of an open firm through its advertising."""
        m, i = self.model, self.row
        for f in m.open_firms:
            if not m.state.aware[i, f] and (
                m.customer_draws.uniform(Stream.AWARE_ADVERT, f)[i] < m.firms[f].params.advertising
            ):
                m.next_state.aware[i, f] = True


class Employee(mesa.Agent):
    """A frontline employee or supervisor of one firm: a view onto one post (row) of the firm's
    :class:`~loyaltysim.state.StaffArrays`. A replacement hire is a new agent in the same post."""

    def __init__(self, model: LoyaltyModel, firm: int, role: str, slot: int):
        super().__init__(model)
        self.firm, self.role, self.slot = firm, role, slot
        self._next: tuple[float, float] | None = None

    @property
    def _staff(self) -> StaffArrays:
        return self.model.firms[self.firm].staff

    @property
    def _row(self) -> int:
        staff = self._staff
        return self.slot if self.role == "frontline" else staff.n_frontline + self.slot

    @property
    def engagement(self) -> float:
        """Engagement 0-1 (as committed at the end of last week)."""
        return float(self._staff.engagement[self._row])

    @property
    def skill(self) -> float:
        """Skill 0-1."""
        return float(self._staff.skill[self._row])

    @property
    def disposition(self) -> float:
        """The holder's own shift of the engagement target (drawn at hire)."""
        return float(self._staff.disposition[self._row])

    @property
    def tenure(self) -> int:
        """Weeks in post."""
        return int(self._staff.tenure[self._row])

    @property
    def quitting(self) -> bool:
        """Decided this week to quit."""
        return bool(self._staff.quitting[self._row])

    @property
    def draw_id(self) -> int:
        """Stable id for counter-based draws: (firm, role, slot), unchanged by replacements."""
        return staff_draw_id(self.firm, int(self.role == "supervisor"), self.slot)

    def step(self) -> None:
        """Engagement moves toward what the culture supports
        (:func:`loyaltysim.mechanisms.employees.engagement_target`); training builds skill; low
        engagement makes people quit [A][C][D][E]. Meaning is the share of this employee's own
        customers delighted last week (the firm's share for supervisors and for frontline staff
        who served nobody)."""
        m = self.model
        firm = m.firms[self.firm]
        culture, k, proc = firm.params.culture, m.k.employees, firm.params.process
        empowered = empowered_share(
            getattr(culture.empowerment, self.role), proc.cost_median, proc.cost_sigma
        )
        pay, pay_quit = pay_effects(firm.params.staffing.wage_per_week, k)
        meaning = firm.delight_share
        if self.role == "frontline" and firm.encounters_by_slot[self.slot] > 0:
            meaning = firm.delights_by_slot[self.slot] / firm.encounters_by_slot[self.slot]
        target = engagement_target(
            firm.recognition_given,
            culture.trust,
            culture.transparency,
            empowered,
            culture.leadership_commitment,
            meaning,
            firm.overload,
            pay,
            self.disposition,
            k,
        )
        engagement = next_engagement(self.engagement, target, k)
        skill = next_skill(self.skill, culture.training, k)
        self._next = (engagement, skill)
        p_quit = separation_probability(self.engagement, pay_quit, culture.trust, k)
        u = m.employee_draw(Stream.QUIT, self.draw_id)
        self._staff.quitting[self._row] = u < p_quit

    def advance(self) -> None:
        """Commit the values computed in :meth:`step`."""
        if self._next is not None:
            staff, row = self._staff, self._row
            staff.engagement[row], staff.skill[row] = self._next
            staff.tenure[row] += 1
            self._next = None


class Manager(mesa.Agent):
    """The store manager: recognises staff, listens, fixes processes, works the backlog [B][C][D]."""

    def __init__(self, model: LoyaltyModel, firm: int):
        super().__init__(model)
        self.firm = firm

    @property
    def commitment(self) -> float:
        """Commitment to customer focus (the firm's leadership commitment), 0-1 [C]."""
        return self.model.firms[self.firm].params.culture.leadership_commitment

    def step(self) -> None:
        """Work the complaint backlog every week; every review period, recognise employees and cut
        the process failure rate behind the complaints and frontline feedback heard."""
        m = self.model
        firm = m.firms[self.firm]
        culture, proc, k = firm.params.culture, firm.params.process, m.k.managers
        firm.backlog = managers.backlog_after_week(firm.backlog, culture.listening, firm.overload, k)
        if m.week % m.spec.market.manager_review_weeks:
            return
        firm.recognition_given = managers.recognition_given(culture.recognition, self.commitment, k)
        firm.failure_rate = managers.reviewed_failure_rate(
            firm.failure_rate,
            proc.failure_floor,
            proc.base_failure_rate,
            culture.listening,
            culture.transparency,
            self.commitment,
            firm.review_complaints,
            firm.review_silent,
            firm.review_visits,
            k,
        )
        firm.review_visits = firm.review_complaints = firm.review_silent = 0
