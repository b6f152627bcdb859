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

from loyaltysim.rng import Stream
from loyaltysim.state import ESCALATED, NO_PURCHASE, OK, ON_SPOT, SILENT, UNRESOLVED

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel
    from loyaltysim.state import FirmState

#: Roles in the complaint ladder, bottom to top [C].
LADDER = ("frontline", "supervisor", "manager")


def willing_to_resolve(trust: float, engagement: float) -> float:
    """Probability that a staff member who may fix a problem does so rather than passing it on.

    In a culture of fear staff treat complaining customers as suspects [D]; disengaged staff do not
    bother [A]. ``0.2 + 0.8 * trust`` scaled by ``0.5 + 0.5 * engagement`` (both 0-1).
    """
    return (0.2 + 0.8 * trust) * (0.5 + 0.5 * engagement)


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

        return SEGMENTS[self.model.population["segment"][self.row]]

    def trait(self, name: str) -> float:
        """One of the customer's fixed sensitivities (see ``Customers`` in the schema)."""
        return float(self.model.population[name][self.row])

    # -- phase 1: choice ------------------------------------------------------------------------
    def choose(self) -> None:
        """Decide whether to shop this week and where: multinomial logit over the open firms.

        utility = - distance x distance_weight - price premium x price_weight + deals x deal_weight
        - share of the day closed x hours_weight + selection x selection_weight
        + attachment x emotion_weight + habit (same firm as last time) + Gumbel noise.
        Convenience and price retain; only the attachment term makes a customer stay when a rival
        matches them [A]. Writes ``scratch.choice[row]``: a firm index, F for outside, -1 none.
        """
        m, i = self.model, self.row
        pop, draws = m.population, m.customer_draws
        if draws.uniform(Stream.NEED)[i] >= pop["need_rate"][i]:
            return
        last = m.state.last_firm[i]
        best, best_u = NO_PURCHASE, -math.inf
        for f in m.open_firms:
            if not m.state.aware[i, f]:
                continue
            u = m.convenience_utility(i, f)
            u += pop["emotion_weight"][i] * m.state.attachment[i, f]
            u += pop["habit"][i] * (last == f)
            u += draws.gumbel(Stream.CHOICE, f)[i]
            if u > best_u:
                best, best_u = f, u
        if m.spec.market.outside_option:
            outside = m.n_firms
            u = m.spec.market.outside_utility + pop["habit"][i] * (last == outside)
            u += draws.gumbel(Stream.CHOICE, outside)[i]
            if u > best_u:
                best = outside
        m.scratch.choice[i] = best

    # -- phase 2: experience, complaint, attachment, word of mouth -----------------------------
    def step(self) -> None:
        """Live through this week: the visit (if any), then stories heard and ads seen."""
        m, i = self.model, self.row
        f = int(m.scratch.choice[i])
        nxt = m.next_state
        if f != NO_PURCHASE:
            self._record_purchase(f)
        if 0 <= f < m.n_firms:
            self._visit(f)
        self._forget(visited=f)
        self._listen()
        self._notice_ads()
        nxt.attachment[i] = np.clip(nxt.attachment[i], 0.0, 1.0)

    def _record_purchase(self, f: int) -> None:
        """Update purchase history, tenure and recency (f = firm index or F for outside)."""
        m, i = self.model, self.row
        nxt = m.next_state
        nxt.tenure[i] = m.state.tenure[i] + 1 if m.state.last_firm[i] == f else 1
        nxt.last_firm[i] = f
        nxt.last_purchase_week[i] = m.week
        nxt.history[i, :-1] = m.state.history[i, 1:]
        nxt.history[i, -1] = f

    def _visit(self, f: int) -> None:
        """Encounter, failure, complaint and recovery, then attachment and satisfaction."""
        m, i = self.model, self.row
        pop, draws, firm = m.population, m.customer_draws, m.firms[f]
        beh = m.spec.behaviour
        # Encounter: served by a frontline employee of the firm [A].
        slot = min(int(draws.uniform(Stream.SERVER)[i] * len(firm.frontline)),
                   len(firm.frontline) - 1)
        server = firm.frontline[slot]
        m.scratch.server[i] = slot
        attached = m.state.attachment[i, f]
        emotional, quality = encounter_values(server.engagement, server.skill,
                                              firm.params.culture.empathy, firm.overload)
        m.next_state.visits[i, f] += 1
        m.scratch.spend[i] = (pop["basket"][i] * firm.params.price_index
                              * (1.0 + m.spec.customers.spend_lift * attached))
        # Failure: process failure rate, raised by overload and low skill [B][E].
        outcome = OK
        p_fail = failure_probability(firm.failure_rate, firm.overload, server.skill,
                                     beh.overload_failure)
        if draws.uniform(Stream.FAILURE)[i] < p_fail:
            m.scratch.failure[i] = True
            outcome = self._complain_or_leave(f, firm, server, attached)
        m.scratch.outcome[i] = outcome
        emotional = outcome_value(emotional, outcome, m.scratch.handoffs[i], beh)
        quality = outcome_value(quality, outcome, m.scratch.handoffs[i], beh)
        m.scratch.delighted[i] = emotional >= beh.delight_threshold
        # Stories for next week's word of mouth [E].
        if emotional >= beh.delight_threshold:
            m.next_state.story_firm[i], m.next_state.story_sign[i] = f, 1
        elif outcome in (UNRESOLVED, SILENT):
            m.next_state.story_firm[i], m.next_state.story_sign[i] = f, -1
        # Attachment moves toward the visit's emotional value; losses weigh more [A].
        m.next_state.attachment[i, f] += attachment_change(attached, emotional, beh)
        target = min(max(0.5 + quality - pop["expectation"][i], 0.0), 1.0)
        s = m.state.satisfaction[i, f]
        m.next_state.satisfaction[i, f] = s + beh.satisfaction_rate * (target - s)

    def _complain_or_leave(self, f: int, firm: FirmState, server, attached: float) -> int:
        """After a failure: complain (the attached still care) or drift away silently [B].

        A complaint climbs frontline -> supervisor -> manager. Each level fixes it on the spot if
        the cost is within its empowerment limit and it is willing (trust); each hand-off may lose
        the customer's patience [C][D]. Returns the outcome code; fills refund, hand-offs, reach.
        """
        m, i = self.model, self.row
        pop, draws = m.population, m.customer_draws
        proc, culture = firm.params.process, firm.params.culture
        cost = proc.cost_median * math.exp(proc.cost_sigma * draws.normal(Stream.COST)[i])
        p_complain = pop["complaint_propensity"][i] * (0.25 + 0.75 * attached)
        if draws.uniform(Stream.COMPLAIN)[i] >= p_complain:
            return SILENT
        limits = culture.empowerment
        sup_slot = -1
        if firm.supervisors:
            sup_slot = min(int(draws.uniform(Stream.SUPERVISOR)[i] * len(firm.supervisors)),
                           len(firm.supervisors) - 1)
        ladder = [(limits.frontline, server.engagement)]
        if sup_slot >= 0:
            ladder.append((limits.supervisor, firm.supervisors[sup_slot].engagement))
        ladder.append((limits.manager, firm.manager.commitment))
        handoffs = 0
        for level, (limit, engagement) in enumerate(ladder):
            if level > 0:
                handoffs += 1
                if draws.uniform(Stream.PATIENCE, level)[i] >= pop["patience"][i]:
                    break  # gave up after being passed on
            m.scratch.reached[i] = level if level < len(ladder) - 1 else 2
            willing = draws.uniform(Stream.LADDER, level)[i] < willing_to_resolve(
                culture.trust, engagement)
            if cost <= limit and willing:
                m.scratch.handoffs[i] = handoffs
                m.scratch.refund[i] = cost
                return ON_SPOT if level == 0 else ESCALATED
        m.scratch.handoffs[i] = handoffs
        return UNRESOLVED

    def _forget(self, visited: int) -> None:
        """Attachment to firms not visited this week decays; relationship-building slows it [B]."""
        m, i = self.model, self.row
        decay = m.spec.behaviour.attachment_decay
        for f, firm in enumerate(m.firms):
            if f != visited:
                rate = decay * (1.0 - firm.params.culture.relationship_building)
                m.next_state.attachment[i, f] -= rate * m.state.attachment[i, f]

    def _listen(self) -> None:
        """Word of mouth as a pull: hear last week's stories of this customer's ties [E].

        A story about firm f makes the listener aware of f and moves its attachment up (promoter)
        or down (detractor); detractors' stories reach further, amplified by social media.
        """
        m, i = self.model, self.row
        net, draws, prev = m.network, m.customer_draws, m.state
        wom = m.spec.network
        for k, j in enumerate(net.ties(i)):
            f = prev.story_firm[j]
            if f < 0:
                continue
            promoter = prev.story_sign[j] > 0
            reach = wom.tell_promoter if promoter else min(1.0, wom.tell_detractor
                                                           * wom.social_media)
            if draws.uniform(Stream.WOM, k)[i] >= reach:
                continue
            m.next_state.aware[i, f] = True
            a = prev.attachment[i, f]
            m.next_state.attachment[i, f] += (wom.story_effect * (1.0 - a) if promoter
                                              else -wom.story_effect * a)

    def _notice_ads(self) -> None:
        """Unaware customers may hear of an open firm through its advertising."""
        m, i = self.model, self.row
        for f in m.open_firms:
            if not m.state.aware[i, f] and (m.customer_draws.uniform(Stream.AWARE_ADVERT, f)[i]
                                            < m.firms[f].params.advertising):
                m.next_state.aware[i, f] = True


def encounter_values(engagement: float, skill: float, empathy: float,
                     overload: float) -> tuple[float, float]:
    """Emotional value and functional quality (both 0-1) of a visit without failure.

    Warmth - being looked in the eye, recognised, appreciated [A] - comes from the employee's
    engagement and the firm's empathy [D]; quality from skill, cut by overload [E].
    Emotional value = 0.7 warmth + 0.3 quality; quality = skill / (1 + overload above capacity).
    """
    crowding = max(0.0, overload - 1.0)
    warmth = engagement * (0.3 + 0.7 * empathy) / (1.0 + 0.5 * crowding)
    quality = skill / (1.0 + crowding)
    return 0.7 * warmth + 0.3 * quality, quality


def failure_probability(base_rate: float, overload: float, skill: float,
                        overload_failure: float) -> float:
    """Chance of a failure in one visit: the process rate x (1 + overload_failure x overload
    above capacity) x (1.5 - skill), capped at 1 [B][E]."""
    crowding = max(0.0, overload - 1.0)
    return min(1.0, base_rate * (1.0 + overload_failure * crowding) * (1.5 - skill))


def outcome_value(value: float, outcome: int, handoffs: int, beh) -> float:
    """The value (0-1) a visit leaves after its failure handling.

    Fixed on the spot: the recovery paradox lifts it above an ordinary visit; fixed after
    escalation: the lift minus a penalty per hand-off [C]; unresolved or silent: a fixed low value.
    """
    if outcome == ON_SPOT:
        return min(1.0, value + beh.recovery_bonus)
    if outcome == ESCALATED:
        return min(1.0, max(0.0, value + beh.recovery_bonus - beh.handoff_penalty * handoffs))
    if outcome == UNRESOLVED:
        return beh.unresolved_value
    if outcome == SILENT:
        return beh.silent_failure_value
    return value


def attachment_change(attachment: float, value: float, beh) -> float:
    """Change of attachment after a visit of emotional ``value`` (0-1).

    Attachment moves toward the value: by ``attachment_gain`` of the gap when the visit is better,
    by ``negativity_bias`` times that when worse, shielded by existing attachment
    (x (1 - forgiveness x attachment)): attached customers forgive more [A].
    """
    gap = value - attachment
    if gap >= 0:
        return beh.attachment_gain * gap
    return beh.attachment_gain * beh.negativity_bias * (1.0 - beh.forgiveness * attachment) * gap


class Employee(mesa.Agent):
    """A frontline employee or supervisor of one firm, in a fixed slot (replacements reuse it)."""

    def __init__(self, model: LoyaltyModel, firm: int, role: str, slot: int, engagement: float,
                 skill: float):
        super().__init__(model)
        self.firm, self.role, self.slot = firm, role, slot
        self.engagement, self.skill, self.tenure = engagement, skill, 0
        self.quitting = False
        self._next: tuple[float, float] | None = None

    @property
    def draw_id(self) -> int:
        """Stable id for counter-based draws: (firm, role, slot), unchanged by replacements."""
        return (self.firm << 24) | ((self.role == "supervisor") << 23) | self.slot

    def step(self) -> None:
        """Engagement moves toward what the culture supports; training builds skill; low
        engagement makes people quit [A][C][D][E].

        Target engagement = 0.25 + 0.2 recognition received + 0.15 trust + 0.1 transparency
        + 0.1 empowerment (own limit / $100, capped at 1) + 0.15 leadership commitment
        + 0.25 meaning (share of own customers delighted) - 0.15 fear (1 - trust)
        - 0.35 overload above capacity; clipped to 0-1.
        """
        m = self.model
        firm = m.firms[self.firm]
        culture, beh = firm.params.culture, m.spec.behaviour
        limit = getattr(culture.empowerment, self.role)
        meaning = firm.delight_share
        if self.role == "frontline" and firm.encounters_by_slot[self.slot] > 0:
            meaning = firm.delights_by_slot[self.slot] / firm.encounters_by_slot[self.slot]
        crowding = max(0.0, firm.overload - 1.0)
        target = (0.25 + 0.2 * firm.recognition_given + 0.15 * culture.trust
                  + 0.1 * culture.transparency + 0.1 * min(1.0, limit / 100.0)
                  + 0.15 * culture.leadership_commitment + 0.25 * meaning
                  - 0.15 * (1.0 - culture.trust) - 0.35 * crowding)
        target = min(1.0, max(0.0, target))
        engagement = self.engagement + beh.engagement_rate * (target - self.engagement)
        skill = self.skill + beh.skill_rate * (culture.training + 0.1) * (1.0 - self.skill)
        self._next = (engagement, skill)
        shortfall = max(0.0, beh.quit_threshold - self.engagement) / max(beh.quit_threshold, 1e-9)
        p_quit = beh.base_turnover + beh.quit_rate * shortfall
        u = m.employee_draw(Stream.QUIT, self.draw_id)
        self.quitting = u < p_quit

    def advance(self) -> None:
        """Commit the values computed in :meth:`step`."""
        if self._next is not None:
            self.engagement, self.skill = self._next
            self.tenure += 1
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
        culture, beh, proc = firm.params.culture, m.spec.behaviour, firm.params.process
        firm.backlog -= firm.backlog * beh.backlog_clear_share * culture.listening
        if m.week % m.spec.market.manager_review_weeks:
            return
        firm.recognition_given = culture.recognition * (0.5 + 0.5 * self.commitment)
        heard = culture.listening * (firm.review_complaints
                                     + culture.transparency * firm.review_silent)
        evidence = 100.0 * heard / max(1, firm.review_visits)  # heard problems per 100 visits
        fix = beh.fix_efficacy * culture.listening * self.commitment * evidence / (evidence + 1.0)
        rate = firm.failure_rate
        rate += -fix * (rate - proc.failure_floor) + beh.failure_drift * (
            proc.base_failure_rate - rate) * (1.0 - self.commitment)
        firm.failure_rate = min(1.0, max(proc.failure_floor, rate))
        firm.review_visits = firm.review_complaints = firm.review_silent = 0
