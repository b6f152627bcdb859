"""Phases 2-5 and the customer tallies, for every customer at once.

For each customer: record the purchase; if it was at a firm, the encounter, a possible failure,
complaint and recovery up the ladder, satisfaction and attachment (the arithmetic of
:meth:`loyaltysim.agents.Customer.step`, operation for operation); attachment decay; word of
mouth pulled from last week's stories of the customer's ties; advertising (done here before word
of mouth, in the loop over every customer: a firm is known after both either way). Then the
customer's contribution to the week's per-firm tallies (:data:`loyaltysim.measure.COUNTS`).

State is updated in place: a customer writes only its own row and reads other customers' rows only
for their stories, which are double-buffered (``story_*_prev`` read, ``story_*_next`` written).
Tallies are kept per chunk of customers and added in chunk order by the caller, so the result does
not depend on the number of threads.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from loyaltysim.codes import (
    DETRACTOR,
    ESCALATED,
    NEVER,
    NO_PURCHASE,
    OK,
    ON_SPOT,
    PROMOTER,
    SILENT,
    UNRESOLVED,
)
from loyaltysim.kernels import CHUNK, non_negative, twins
from loyaltysim.kernels.formulas import (
    advocacy_class,
    advocacy_expected,
    attachment_change,
    complaint_probability,
    cost_to_serve,
    encounter_values,
    faded,
    failure_probability,
    forgets,
    grudge_after,
    lapse_probability,
    memory_after,
    next_satisfaction,
    outcome_value,
    perceived,
    problem_size,
    problem_size_sting,
    raised_expectation,
    rapport_after,
    rapport_value,
    refers,
    remembered_failures,
    repeat_bonus,
    segment_of,
    server_slot,
    story_change,
    usage_step,
    usual_slot,
    willing_to_resolve,
)
from loyaltysim.kernels.rng import normal, uniform, uniform_below, uniform_threshold
from loyaltysim.mechanisms.attachment import INITIAL_ATTACHMENT
from loyaltysim.mechanisms.complaints import RECOVERY_ATTACHMENT_SHARE, RECOVERY_BONUS, SIZE_PENALTY
from loyaltysim.mechanisms.encounter import DELIGHT, INITIAL_SATISFACTION
from loyaltysim.mechanisms.lapse import GENERATIONS, LAPSE_MEAN
from loyaltysim.mechanisms.usage import MIGRATION
from loyaltysim.mechanisms.word_of_mouth import DETRACTOR_REACH, STORY_EFFECT, TELL_PROMOTER
from loyaltysim.state import CustomerArrays
from loyaltysim.tallies import C

# Columns of the tally array (module-level ints: numba compiles them in as constants).
T_ATTACHMENT_SUM = C["attachment_sum"]
T_BASE = C["base"]
T_BASE_KEPT = C["base_kept"]
T_BASE_THEN = C["base_then"]
T_CAME_BACK = C["came_back"]
T_CAME_FROM = C["came_from"]
T_COMPLAINTS = C["complaints"]
T_DELIGHTED = C["delighted"]
T_DETRACTORS = C["detractors"]
T_ESCALATED = C["escalated"]
T_LAPSED = C["lapsed"]
T_FAILURES = C["failures"]
T_HANDOFFS = C["handoffs"]
T_LATENT_LOYAL = C["latent_loyal"]
T_NEW_CUSTOMERS = C["new_customers"]
T_NO_LOYAL = C["no_loyal"]
T_ON_SPOT = C["on_spot"]
T_PROMOTERS = C["promoters"]
T_PURCHASES = C["purchases"]
T_REACHED_MANAGER = C["reached_manager"]
T_REACHED_SUPERVISOR = C["reached_supervisor"]
T_REFERRED_CUSTOMERS = C["referred_customers"]
T_REFUNDS = C["refunds"]
T_REPEAT_FAILURES = C["repeat_failures"]
T_REVENUE = C["revenue"]
T_SATISFACTION_SUM = C["satisfaction_sum"]
T_SERVED_BY_KNOWN = C["served_by_known"]
T_SERVE_COST = C["serve_cost"]
T_SILENT = C["silent"]
T_SPURIOUS_LOYAL = C["spurious_loyal"]
T_SURVEYED = C["surveyed"]
T_SURVEYED_DETRACTORS = C["surveyed_detractors"]
T_SURVEYED_PROMOTERS = C["surveyed_promoters"]
T_TRUE_LOYAL = C["true_loyal"]
T_UNRESOLVED = C["unresolved"]


class People(NamedTuple):
    """Per-customer traits the week reads (drawn once), the segments' tables and the dropout's."""

    basket_by_segment: np.ndarray  # dollars per purchase at price index 1 (by st.segment)
    expectation: np.ndarray
    propensity: np.ndarray  # complaint propensity
    patience: np.ndarray
    perception: np.ndarray  # shift of a visit's emotional value as this customer perceives it
    lapse_table: np.ndarray  # quantiles of the dropout chance (population.lapse_quantiles)


class Firms(NamedTuple):
    """The firms this week: the parameter matrix (columns below) and the staff who serve."""

    table: np.ndarray  # (F, N_FIRM_PARAMS) float64
    n_front: np.ndarray  # (F,) frontline posts
    front_engagement: np.ndarray  # (F, max posts)
    front_skill: np.ndarray
    front_person: np.ndarray  # (F, max posts) id of each frontline post's holder (StaffArrays.person)
    n_sup: np.ndarray  # (F,) supervisor posts
    sup_engagement: np.ndarray


class Coefficients(NamedTuple):
    """The mechanisms' packed coefficient tuples (loyaltysim.mechanisms.coefficients) and the
    market's (SPEND_LIFT, ATTACHMENT_THRESHOLD, PATRONAGE_THRESHOLD)."""

    encounter: tuple
    relationships: tuple
    complaints: tuple
    attachment: tuple
    word_of_mouth: tuple
    advocacy: tuple
    usage: tuple
    lapse: tuple
    market: tuple
    failure_memory: tuple
    economics: tuple
    avoidance: tuple


class Keys(NamedTuple):
    """The week's stream keys: ``fixed`` in the order of ``K_*``, then one per tie, firm."""

    fixed: np.ndarray
    wom: np.ndarray
    advert: np.ndarray
    advocacy: np.ndarray
    survey: np.ndarray
    newcomer: np.ndarray  # a newcomer's awareness of each firm (stream NEWCOMER, sub 1 + firm)
    person: np.ndarray  # a person's dropout draw by generation (stream LAPSE, sub 1, tick 0-255)


class Base(NamedTuple):
    """The customer-base window: its length, this week's base firms (written) and those of one
    window ago (``has_then`` False in the first window)."""

    window: int
    now: np.ndarray
    then: np.ndarray
    has_then: bool


class Survey(NamedTuple):
    """Survey candidates (see :func:`survey`)."""

    guess: np.ndarray
    candidates: np.ndarray
    n_candidates: np.ndarray


class Buffers(NamedTuple):
    """The engine's per-customer buffers: last week's story bits (read) and what the week writes."""

    told: np.ndarray
    told_next: np.ndarray
    story_firm: np.ndarray  # next week's stories
    story_sign: np.ndarray
    score: np.ndarray
    outcome: np.ndarray
    spend: np.ndarray
    cost: np.ndarray
    tallies: np.ndarray


# Columns of the per-firm parameter matrix.
(
    EMPATHY,
    OVERLOAD,
    FAILURE_RATE,
    PRICE_INDEX,
    COST_MEDIAN,
    COST_SIGMA,
    TRUST,
    LIMIT_FRONTLINE,
    LIMIT_SUPERVISOR,
    LIMIT_MANAGER,
    COMMITMENT,
    DECAY,
    ADVERTISING,
    OPEN,
    LISTENING,
    KNOWN_SHARE,
    STOCKOUT,
    SUPPLIED_WARMTH,
) = range(18)
N_FIRM_PARAMS = 18

# Entries of the ``market`` tuple (the mechanisms' coefficients come as their own packed tuples,
# see loyaltysim.mechanisms.coefficients).
SPEND_LIFT, ATTACHMENT_THRESHOLD, PATRONAGE_THRESHOLD = range(3)

# Entries of the fixed stream-key vector (multi-sub streams: first sub's position).
(K_SERVER, K_FAILURE, K_COST_A, K_COST_B, K_COMPLAIN, K_SUPERVISOR, K_LADDER, K_PATIENCE) = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    9,
)
K_USAGE, K_LAPSE, K_NEWCOMER = 12, 13, 14  # usage migration, lapse decision, newcomer's segment
N_KEYS = 15  # LADDER and PATIENCE take subs 0..2


@njit(cache=True, inline="always")
def _complain_or_leave(
    i,
    f,
    attached,
    server_engagement,
    cost_draw,
    complain_draw,
    firm,
    propensity,
    patience,
    n_sup,
    sup_engagement,
    keys,
    k_cpl,
):
    """Outcome after a failure: (outcome code, hand-offs, highest level reached, refund $,
    cost of the problem $)."""
    cost = firm[f, COST_MEDIAN] * np.exp(firm[f, COST_SIGMA] * cost_draw)
    p_complain = complaint_probability(propensity, attached, firm[f, LISTENING], k_cpl)
    if complain_draw >= p_complain:
        return SILENT, 0, 0, 0.0, cost
    levels = 2
    sup_engaged = 0.0
    if n_sup > 0:
        sup_slot = min(int(uniform(keys[K_SUPERVISOR], i) * n_sup), n_sup - 1)
        sup_engaged = sup_engagement[f, sup_slot]
        levels = 3
    handoffs = 0
    reached = 0
    for level in range(levels):
        if level == 0:
            limit, engagement = firm[f, LIMIT_FRONTLINE], server_engagement
        elif level == levels - 1:
            limit, engagement = firm[f, LIMIT_MANAGER], firm[f, COMMITMENT]
        else:
            limit, engagement = firm[f, LIMIT_SUPERVISOR], sup_engaged
        if level > 0:
            handoffs += 1
            if uniform(keys[K_PATIENCE + level], i) >= patience:
                break
        reached = level if level < levels - 1 else 2
        willing = uniform(keys[K_LADDER + level], i) < willing_to_resolve(firm[f, TRUST], engagement, k_cpl)
        if cost <= limit and willing:
            return (ON_SPOT if level == 0 else ESCALATED), handoffs, reached, cost, cost
    return UNRESOLVED, handoffs, reached, 0.0, cost


@njit(cache=True, inline="always")
def _newcomer(i, st, firm, key_fixed, key_newcomer, k_use, initial_attachment, k_enc):
    """Row ``i`` taken by a newcomer: every state at its start value but the stories told this
    week, a fresh segment, awareness of each open firm with its known share, the next generation."""
    st.generation[i] = np.uint8((np.int64(st.generation[i]) + 1) % GENERATIONS)
    st.segment[i] = segment_of(uniform(key_fixed[K_NEWCOMER], i), k_use)
    for g in range(st.attachment.shape[1]):
        st.attachment[i, g] = initial_attachment
        st.satisfaction[i, g] = k_enc[INITIAL_SATISFACTION]
        st.visits[i, g] = 0
        st.aware[i, g] = firm[g, OPEN] != 0.0 and uniform(key_newcomer[g], i) < firm[g, KNOWN_SHARE]
    st.last_firm[i] = NO_PURCHASE
    st.last_purchase_week[i] = NEVER
    st.tenure[i] = 0
    for w in range(st.history.shape[1]):
        st.history[i, w] = NO_PURCHASE
    st.rapport[i] = 0.0
    st.rapport_person[i] = -1
    st.failure_memory[i] = 0
    st.referral_firm[i] = -1
    st.grudge[i] = 0


_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_ONES = np.uint64(0x0101010101010101)


@njit(cache=True, inline="always")
def _bytes_equal_to(word, value):
    """How many of the 8 bytes of ``word`` equal ``value`` (0-127): the bytes of ``word ^ value``
    that are zero, found without a loop (a byte's high bit is set below exactly when it is 0) and
    summed into the top byte by one multiplication."""
    x = word ^ (np.uint64(value) * _ONES)
    zero = ~(((x & _LOW7) + _LOW7) | x | _LOW7)
    return np.int64(((zero >> np.uint64(7)) * _ONES) >> np.uint64(56))


class Posts(NamedTuple):
    """What a visit without failure is worth at each frontline post this week, and its chance of
    a failure: functions of the post's holder and the firm alone, so worked out once a week per
    post (:func:`_post_table`) instead of once per visit (the same formulas, the same bits)."""

    emotional: np.ndarray  # (F, max posts) encounter_values' emotional value
    quality: np.ndarray  # (F, max posts) encounter_values' functional quality
    p_fail: np.ndarray  # (F, max posts) failure_probability


@njit(cache=True)
def _post_table(firm, n_front, front_engagement, front_skill, k_enc):
    """:class:`Posts` of every frontline post (see there); posts beyond a firm's ``n_front`` 0."""
    emotional = np.zeros(front_engagement.shape)
    quality = np.zeros(front_engagement.shape)
    p_fail = np.zeros(front_engagement.shape)
    for f in range(firm.shape[0]):
        for slot in range(n_front[f]):
            skill = front_skill[f, slot]
            emotional[f, slot], quality[f, slot] = encounter_values(
                front_engagement[f, slot],
                skill,
                firm[f, EMPATHY],
                firm[f, OVERLOAD],
                firm[f, SUPPLIED_WARMTH],
                k_enc,
            )
            p_fail[f, slot] = failure_probability(
                firm[f, FAILURE_RATE], firm[f, OVERLOAD], skill, firm[f, STOCKOUT], k_enc
            )
    return Posts(emotional, quality, p_fail)


_DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DE_BRUIJN_POSITION = np.zeros(64, dtype=np.int64)  # the bit whose mask ends at each product
for _bit in range(64):
    _mask = (1 << (_bit + 1)) - 1  # word ^ (word - 1) for a lowest set bit _bit
    _DE_BRUIJN_POSITION[((_mask * int(_DE_BRUIJN)) % 2**64) >> 58] = _bit
del _bit, _mask


@njit(cache=True, inline="always")
def _lowest_bit(word):
    """Position of the lowest set bit of ``word`` (uint64, not 0): a de Bruijn multiplication
    and a table lookup, no loop."""
    product = (word ^ (word - np.uint64(1))) * _DE_BRUIJN  # (mod 2**64)
    return _DE_BRUIJN_POSITION[non_negative(np.int64(product >> np.uint64(58)))]


@njit(cache=True)
def _live_chunk(
    c,
    week,
    choice,
    indices,
    people,
    st,
    firms,
    k,
    keys,
    base,
    survey,
    out,
    posts,
    slot_encounters,
    slot_delights,
    firm_dims,
    window_dims,
    tie_dims,
):
    """Customers of chunk ``c`` (see :func:`live_week`)."""
    basket_by_segment, expectation, propensity, patience_w, perception, lapse_table = people
    segment, generation = st.segment, st.generation
    attachment, satisfaction, aware, visits = st.attachment, st.satisfaction, st.aware, st.visits
    last_firm, last_purchase_week, tenure = st.last_firm, st.last_purchase_week, st.tenure
    history, story_firm_prev, story_sign_prev = st.history, st.story_firm, st.story_sign
    rapport, rapport_person, failure_memory = st.rapport, st.rapport_person, st.failure_memory
    referral_firm, grudge = st.referral_firm, st.grudge
    firm, n_front, front_engagement, _, front_person, n_sup, sup_engagement = firms
    post_emotional, post_quality, post_p_fail = posts
    k_enc, k_rel, k_cpl, k_att, k_wom, k_adv, k_use, k_lapse, market, k_mem, k_eco, k_avoid = k
    key_fixed, key_wom, key_advert, key_advocacy, key_survey, key_newcomer, key_person = keys
    base_window, base_now, base_then, has_base_then = base
    survey_guess, candidates, n_candidates = survey
    told_prev, told_next, story_firm_next, story_sign_next = (
        out.told,
        out.told_next,
        out.story_firm,
        out.story_sign,
    )
    score, outcome_out, spend_out, cost_out, tallies = (
        out.score,
        out.outcome,
        out.spend,
        out.cost,
        out.tallies,
    )
    n = len(choice)
    n_firms = len(firm_dims)  # compile-time constants (see live_week)
    window = len(window_dims)
    # With the default window of 8 a customer's purchase history is one little-endian 64-bit word
    # (oldest purchase in the low byte): shifted in one step, counted without a loop.
    packed = window == 8
    words = history.view(np.uint64) if packed else np.empty((0, 1), dtype=np.uint64)
    n_ties = len(tie_dims)
    # Sums of dollars, attachment and satisfaction go to ``tally``; counts to the integer
    # ``counts`` (added to ``tally`` at the end): an integer add is a third of the float one's
    # latency, and one customer's add waits for the last customer's (7 % off this kernel).
    tally = tallies[c]
    tally[:, :] = 0.0
    counts = np.zeros(tally.shape, dtype=np.int64)
    encounters, delights = slot_encounters, slot_delights  # this chunk's stripe's (F, slots)
    first, last = c * CHUNK, min(n, (c + 1) * CHUNK)
    for b in range(first >> 3, (last + 7) >> 3):  # CHUNK is a multiple of 8: bytes are the chunk's
        told_next[b] = 0
    # The week in three loops with short bodies, so the CPU works on several customers at once
    # (a single loop's body was too long for it to start the next customer before finishing
    # one): the buyers, as a list; each buyer's purchase and visit, whose change of attachment
    # goes to ``change``; then every customer's attachment (visit, decay, word of mouth).
    buyers = np.empty(last - first, dtype=np.int64)
    n_buyers = 0
    for i in range(first, last):
        i = non_negative(i)
        outcome_out[i] = OK
        spend_out[i] = 0.0
        cost_out[i] = 0.0
        story_firm_next[i] = -1
        story_sign_next[i] = 0
        buyers[n_buyers] = i
        n_buyers += choice[i] >= 0
    change = np.zeros(last - first)
    gone = np.zeros(last - first, dtype=np.bool_)  # lapsed after this week's purchase
    lapse_on = k_lapse[LAPSE_MEAN] > 0.0
    lapse_top = uniform_threshold(lapse_table[-1])  # the table rises: its last point is its top
    # The probabilities tested by many draws below, as integer thresholds (uniform_threshold).
    reach_promoter = uniform_threshold(k_wom[TELL_PROMOTER])
    reach_detractor = uniform_threshold(k_wom[DETRACTOR_REACH])
    advert_reach = np.empty(n_firms, dtype=np.uint64)
    survey_reach = np.empty(n_firms, dtype=np.uint64)
    for g in range(n_firms):
        open_firm = firm[g, OPEN] != 0.0
        advert_reach[g] = uniform_threshold(firm[g, ADVERTISING] if open_firm else 0.0)
        survey_reach[g] = uniform_threshold(survey_guess[g])
    for b in range(n_buyers):
        i = non_negative(buyers[b])
        f = non_negative(np.int64(choice[i]))
        previous = np.int64(last_firm[i])
        if 0 <= previous < n_firms:
            counts[previous, T_CAME_FROM] += 1
            if f == previous:
                counts[previous, T_CAME_BACK] += 1
        tenure[i] = tenure[i] + 1 if previous == f else 1
        last_firm[i] = f
        last_purchase_week[i] = week
        if packed:  # the oldest byte out, this purchase in as the newest
            words[i, 0] = (words[i, 0] >> np.uint64(8)) | (np.uint64(f) << np.uint64(56))
        else:
            for w in range(window - 1):
                history[i, w] = history[i, w + 1]
            history[i, window - 1] = f
        referred_to = np.int64(referral_firm[i])  # any purchase uses up a pending referral
        referral_firm[i] = -1
        grudge[i] = np.uint8(faded(np.int64(grudge[i]), k_avoid))  # an occasion has passed
        if f < n_firms:
            if visits[i, f] == 0:  # a new customer; referred if a promoter's story led here
                counts[f, T_NEW_CUSTOMERS] += 1
                if referred_to == f:
                    counts[f, T_REFERRED_CUSTOMERS] += 1
            visits[i, f] += 1
            counts[f, T_PURCHASES] += 1
            tally[f, T_SERVE_COST] += cost_to_serve(np.int64(tenure[i]), k_eco)
            # Encounter: a returning customer often meets their usual employee (rapport).
            nf = n_front[f]
            usual = usual_slot(i, f, nf)
            slot = non_negative(server_slot(uniform(key_fixed[K_SERVER], i), previous == f, usual, nf, k_rel))
            encounters[f, slot] += 1
            engagement = front_engagement[f, slot]
            emotional, quality = post_emotional[f, slot], post_quality[f, slot]
            if slot == usual:
                person = np.int64(front_person[f, slot])
                r = np.float64(rapport[i])
                known = np.int64(rapport_person[i]) == person  # ids are unique across firms
                if known:
                    emotional += rapport_value(r, k_rel)
                    counts[f, T_SERVED_BY_KNOWN] += 1
                rapport[i] = rapport_after(r, known, engagement, k_rel)
                rapport_person[i] = person
            emotional = perceived(emotional, np.float64(perception[i]))
            attached = np.float64(attachment[i, f])
            spend = (
                basket_by_segment[non_negative(np.int64(segment[i]))]
                * firm[f, PRICE_INDEX]
                * (1.0 + market[SPEND_LIFT] * attached)
            )
            tally[f, T_REVENUE] += spend
            spend_out[i] = spend
            if previous == f:  # usage migration at a repeat purchase (mechanisms/usage.py)
                seg = np.int64(segment[i])
                target = usage_step(seg, attached, k_use)
                if target != seg and uniform(key_fixed[K_USAGE], i) < k_use[MIGRATION]:
                    segment[i] = target
            # Failure, complaint, recovery.
            outcome, handoffs, reached, refund, problem_cost = OK, 0, 0, 0.0, 0.0
            p_fail = post_p_fail[f, slot]
            u_fail = uniform(key_fixed[K_FAILURE], i)
            failed = u_fail < p_fail
            memory = np.int64(failure_memory[i])
            remembered = remembered_failures(memory, f)
            if failed:
                counts[f, T_FAILURES] += 1
                counts[f, T_REPEAT_FAILURES] += remembered > 0
                outcome, handoffs, reached, refund, problem_cost = _complain_or_leave(
                    i,
                    f,
                    attached,
                    engagement,
                    normal(key_fixed[K_COST_A], key_fixed[K_COST_B], i),
                    uniform(key_fixed[K_COMPLAIN], i),
                    firm,
                    np.float64(propensity[i]),
                    np.float64(patience_w[i]),
                    n_sup[f],
                    sup_engagement,
                    key_fixed,
                    k_cpl,
                )
                outcome_out[i] = outcome
                cost_out[i] = problem_cost
                grudge[i] = np.uint8(grudge_after(f, outcome, problem_size(problem_cost, k_cpl), k_avoid))
                if outcome == SILENT:
                    counts[f, T_SILENT] += 1
                else:
                    counts[f, T_COMPLAINTS] += 1
                    counts[f, T_HANDOFFS] += handoffs
                    if reached == 1:
                        counts[f, T_REACHED_SUPERVISOR] += 1
                    elif reached == 2:
                        counts[f, T_REACHED_MANAGER] += 1
                    if outcome == ON_SPOT:
                        counts[f, T_ON_SPOT] += 1
                    elif outcome == ESCALATED:
                        counts[f, T_ESCALATED] += 1
                    else:
                        counts[f, T_UNRESOLVED] += 1
                tally[f, T_REFUNDS] += refund
            # Failures remembered here (Maxham & Netemeyer 2002): a smaller recovery bonus, higher
            # expectations; this visit adds to or fades the memory.
            forgot = not failed and remembered > 0 and forgets(u_fail, p_fail, k_mem)
            failure_memory[i] = np.uint8(memory_after(memory, f, remembered, failed, forgot))
            bonus = repeat_bonus(k_cpl[RECOVERY_BONUS], remembered, k_mem)
            lift = bonus * k_cpl[RECOVERY_ATTACHMENT_SHARE]  # (de Matos et al. 2007)
            emotional = outcome_value(emotional, outcome, handoffs, lift, k_cpl)
            quality = outcome_value(quality, outcome, handoffs, bonus, k_cpl)
            if outcome != OK and k_cpl[SIZE_PENALTY] > 0.0:
                sting = problem_size_sting(problem_cost, outcome, k_cpl)
                emotional, quality = max(0.0, emotional - sting), max(0.0, quality - sting)
            if emotional >= k_enc[DELIGHT]:
                delights[f, slot] += 1
                counts[f, T_DELIGHTED] += 1
                story_firm_next[i] = f
                story_sign_next[i] = 1
                told_next[i >> 3] |= np.uint8(1 << (i & 7))
            elif outcome in (UNRESOLVED, SILENT):
                story_firm_next[i] = f
                story_sign_next[i] = -1
                told_next[i >> 3] |= np.uint8(1 << (i & 7))
            satisfaction[i, f] = next_satisfaction(
                np.float64(satisfaction[i, f]),
                quality,
                raised_expectation(np.float64(expectation[i]), remembered, k_mem),
                np.float64(perception[i]),
                k_enc,
            )
            change[i - first] = attachment_change(attached, emotional, outcome != OK, k_att)
        # Lapse after any purchase (mechanisms/lapse.py). A draw at or above the table's top
        # (its largest chance) cannot lapse whatever the person's own chance: only the few below
        # it need that chance (the same decisions, one hash fewer for nearly every buyer).
        if lapse_on and uniform_below(key_fixed[K_LAPSE], i, lapse_top):
            p_lapse = lapse_probability(uniform(key_person[generation[i]], i), lapse_table)
            if uniform(key_fixed[K_LAPSE], i) < p_lapse:
                gone[i - first] = True
                if f < n_firms:
                    counts[f, T_LAPSED] += 1
    # Every customer's attachment: the visited firm gains the visit's change, the others decay
    # (after = before + one or the other; x + -y is x - y: the same bits as one at a time), then
    # advertising. Word of mouth comes after, in a loop of its own over the customers who heard a
    # story (about a third): their ``before`` and unclamped ``after`` are kept for it. The ties'
    # told bits are gathered here without a branch; walking them inside this loop, for some
    # customers and not others, cost more than all the rest of the loop (the CPU cannot guess
    # who heard a story).
    hearers = np.empty(last - first, dtype=np.int64)
    heard_ties = np.empty(last - first, dtype=np.int64)  # bit t: tie t told a story last week
    kept_before = np.empty((last - first + 1, n_firms))
    kept_after = np.empty((last - first + 1, n_firms))
    n_hearers = 0
    for i in range(first, last):
        i = non_negative(i)
        f = np.int64(choice[i])
        visit = change[i - first]
        heard = 0
        for t in range(n_ties):
            j = non_negative(np.int64(indices[i * n_ties + t]))
            heard |= ((np.int64(told_prev[j >> 3]) >> (j & 7)) & 1) << t
        for g in range(n_firms):
            before = np.float64(attachment[i, g])
            after = before + (visit if g == f else -(firm[g, DECAY] * before))
            kept_before[n_hearers, g] = before  # overwritten by the next customer unless heard
            kept_after[n_hearers, g] = after
            attachment[i, g] = min(max(after, 0.0), 1.0)
        # Advertising reaches customers who do not know an open firm yet (before or after word
        # of mouth: a firm is known after both either way, and draws have no side effects).
        for g in range(n_firms):
            if not aware[i, g] and uniform_below(key_advert[g], i, advert_reach[g]):
                aware[i, g] = True  # (a closed firm's reach is 0)
        hearers[n_hearers] = i
        heard_ties[n_hearers] = heard
        n_hearers += heard != 0
    # Word of mouth: last week's stories of the hearers' ties, in tie order (the set bits of
    # ``heard``, lowest first), added to the kept ``after`` and clamped as above.
    for k in range(n_hearers):
        i = non_negative(hearers[k])
        heard = np.uint64(heard_ties[k])
        referral = np.int64(referral_firm[i])
        while heard:
            t = _lowest_bit(heard)
            heard &= heard - np.uint64(1)
            j = non_negative(np.int64(indices[i * n_ties + t]))
            h = np.int64(story_firm_prev[j])
            if h < 0:
                continue
            promoter = story_sign_prev[j] > 0
            if not uniform_below(key_wom[t], i, reach_promoter if promoter else reach_detractor):
                continue
            aware[i, h] = True
            kept_after[k, h] += story_change(kept_before[k, h], promoter, k_wom[STORY_EFFECT])
            if refers(promoter, np.int64(visits[i, h])):  # a referral to a store never tried
                referral = h
        referral_firm[i] = referral
        for g in range(n_firms):
            attachment[i, g] = min(max(kept_after[k, g], 0.0), 1.0)
    for i in range(first, last):
        if gone[i - first]:  # a newcomer takes the row (Customer._make_way), after word of mouth
            i = non_negative(i)
            _newcomer(i, st, firm, key_fixed, key_newcomer, k_use, k_att[INITIAL_ATTACHMENT], k_enc)
    # High patronage for each possible count of the base firm among the last purchases: the
    # same comparison as the reference (share = count / window), without a division per customer.
    high_patronage = np.empty(window + 1, dtype=np.bool_)
    for held in range(window + 1):
        high_patronage[held] = held / window >= market[PATRONAGE_THRESHOLD]
    # Tallies of the state after the week, and the survey candidates: a last, short loop over the
    # chunk (still in cache), split off for the same reason as the loops above.
    found = 0
    for i in range(first, last):
        i = non_negative(i)
        base = np.int64(last_firm[i]) if last_purchase_week[i] >= week - base_window + 1 else -1
        base_now[i] = base
        score[i] = -1
        if has_base_then:
            then = np.int64(base_then[i])
            if 0 <= then < n_firms:
                counts[then, T_BASE_THEN] += 1
                if base == then:
                    counts[then, T_BASE_KEPT] += 1
        if 0 <= base < n_firms:
            counts[base, T_BASE] += 1
            a = np.float64(attachment[i, base])
            s = np.float64(satisfaction[i, base])
            if packed:
                held = _bytes_equal_to(words[i, 0], base)
            else:
                held = 0
                for w in range(window):
                    if history[i, w] == base:
                        held += 1
            high_p = high_patronage[held]
            high_a = a >= market[ATTACHMENT_THRESHOLD]
            if high_a and high_p:
                counts[base, T_TRUE_LOYAL] += 1
            elif high_p:
                counts[base, T_SPURIOUS_LOYAL] += 1
            elif high_a:
                counts[base, T_LATENT_LOYAL] += 1
            else:
                counts[base, T_NO_LOYAL] += 1
            tally[base, T_ATTACHMENT_SUM] += a
            tally[base, T_SATISFACTION_SUM] += s
            answer = advocacy_class(advocacy_expected(a, s, k_adv), uniform(key_advocacy[base], i))
            score[i] = answer
            counts[base, T_PROMOTERS] += answer == PROMOTER  # no branch (see
            counts[base, T_DETRACTORS] += answer == DETRACTOR  # advocacy_class)
            # Survey candidates: the customers :func:`survey` would ask if the survey rate were
            # ``survey_guess`` (an upper bound on it, from last week's base): it then checks only
            # them against the real rate, instead of drawing for the whole base again.
            if uniform_below(key_survey[base], i, survey_reach[base]):  # never for a 0 guess
                if found < candidates.shape[1]:
                    candidates[c, found] = i
                found += 1
    n_candidates[c] = found  # more than the row holds: survey scans the whole chunk
    for g in range(n_firms):  # exact: each column is either a sum (counts 0) or a count (tally 0)
        for k in range(tally.shape[1]):
            tally[g, k] += counts[g, k]


# The coefficient tuples come one by one: numba's parallel loops cannot take a tuple of tuples as
# an argument (arrays and flat tuples are fine); the chunk gets them grouped again.
def _live_week_all(
    week,
    choice,
    indices,
    people,
    st,
    firms,
    k_enc,
    k_rel,
    k_cpl,
    k_att,
    k_wom,
    k_adv,
    k_use,
    k_lapse,
    market,
    k_mem,
    k_eco,
    k_avoid,
    keys,
    base,
    survey,
    out,
    slot_encounters,
    slot_delights,
    firm_dims,
    window_dims,
    tie_dims,
):
    n_chunks = (len(choice) + CHUNK - 1) // CHUNK
    stripes = slot_encounters.shape[0]
    for stripe in prange(stripes):  # a run of whole chunks each, one thread each
        k = Coefficients(
            k_enc, k_rel, k_cpl, k_att, k_wom, k_adv, k_use, k_lapse, market, k_mem, k_eco, k_avoid
        )
        # Each stripe works out its own table (a few hundred posts): numba's parallel loop could
        # not take a named tuple made before it.
        posts = _post_table(firms.table, firms.n_front, firms.front_engagement, firms.front_skill, k_enc)
        for c in range(stripe * n_chunks // stripes, (stripe + 1) * n_chunks // stripes):
            _live_chunk(
                c,
                week,
                choice,
                indices,
                people,
                st,
                firms,
                k,
                keys,
                base,
                survey,
                out,
                posts,
                slot_encounters[stripe],
                slot_delights[stripe],
                firm_dims,
                window_dims,
                tie_dims,
            )


_live_week_parallel, _live_week_serial = twins(_live_week_all)


def live_week(
    week: int,
    choice: np.ndarray,
    indices: np.ndarray,
    people: People,
    st: CustomerArrays,
    firms: Firms,
    k: Coefficients,
    keys: Keys,
    base: Base,
    survey: Survey,
    out: Buffers,
    slot_encounters: np.ndarray,
    slot_delights: np.ndarray,
    parallel: bool = True,
) -> None:
    """Advance every customer through the week and tally it (see the module docstring).

    Arguments come in named groups (:class:`People`, the model's
    :class:`~loyaltysim.state.CustomerArrays`, :class:`Firms`, :class:`Coefficients`,
    :class:`Keys`, :class:`Base`, :class:`Survey`, :class:`Buffers`): numba takes a named tuple of
    arrays as one argument, so a new array or coefficient is a field, not a new position.

    ``out.told`` holds one bit per customer (:func:`pack_stories` of ``st.story_firm``); the
    bits of this week's stories are written to ``out.told_next``. Adds each visit to
    ``slot_encounters[stripe, firm, frontline slot]`` and each delighted one to ``slot_delights``
    (int32, zeroed by the caller). The parallel twin runs one stripe (a run of whole chunks) per
    layer of these arrays, each on one thread, so no two threads add to the same counter; the
    serial twin uses layer 0. Integer counts: their sum over stripes is exact, so neither the
    number of stripes nor of threads changes anything. Writes ``out.score`` (advocacy class toward
    the customer's base firm, -1 none), ``base.now`` (base firm, -1 none), ``out.outcome`` (visit
    outcome code, OK when no failure or no visit), ``out.spend`` and ``out.cost`` (dollars spent
    at a firm and cost of the problem after a failure, 0 otherwise; float32) per customer, and
    ``out.tallies`` (chunks, F, len(COUNTS)) float64, zeroed here. Lists, per chunk, the base
    customers whose survey number (stream ``keys.survey[base]``) is under ``survey.guess[base]``
    in ``survey.candidates`` (chunks, K) int32 and their count in ``survey.n_candidates`` (see
    :func:`survey`).

    Every customer has the same number of ties (:func:`loyaltysim.network.build_network`): the
    ties of customer ``i`` are ``indices[i * ties:(i + 1) * ties]``. The twins are compiled once
    per number of firms, patronage window and ties per customer: they receive tuples of those
    lengths, which numba types by their length, so all three are compile-time constants and the
    loops over firms, purchase history and ties are unrolled (a fifth less time a week).
    """
    n = len(choice)
    ties = len(indices) // n if n else 0
    (_live_week_parallel if parallel else _live_week_serial)(
        week,
        choice,
        indices,
        people,
        st,
        firms,
        *k,
        keys,
        base,
        survey,
        out,
        slot_encounters,
        slot_delights,
        (0,) * firms.table.shape[0],
        (0,) * st.history.shape[1],
        (0,) * ties,
    )


@njit(cache=True)
def pack_stories(story_firm: np.ndarray, told: np.ndarray) -> None:
    """Set bit ``i`` of ``told`` (uint8, little-endian bits) when customer ``i`` tells a story
    (``story_firm[i] >= 0``), else clear it. :func:`live_week` writes the bits of the stories it
    creates itself (``told_next``); this is for the state a model starts from."""
    told[:] = 0
    for i in range(len(story_firm)):
        if story_firm[i] >= 0:
            told[i >> 3] |= np.uint8(1 << (i & 7))


@njit(cache=True)
def _survey_chunk(c, base_now, score, p_survey, key_survey, tallies, candidates, n_candidates, scan_all):
    """Customers of chunk ``c`` (see :func:`survey`)."""
    listed = not scan_all and n_candidates[c] <= candidates.shape[1]
    first = c * CHUNK
    n_asked = n_candidates[c] if listed else min(len(base_now), first + CHUNK) - first
    reach = np.empty(len(p_survey), dtype=np.uint64)
    for f in range(len(p_survey)):
        reach[f] = uniform_threshold(p_survey[f])
    for k in range(n_asked):
        i = np.int64(candidates[c, k]) if listed else first + k
        f = np.int64(base_now[i])
        if f < 0 or f >= len(p_survey) or score[i] < 0:
            continue
        if uniform_below(key_survey[f], i, reach[f]):
            tallies[c, f, T_SURVEYED] += 1.0
            if score[i] == PROMOTER:
                tallies[c, f, T_SURVEYED_PROMOTERS] += 1.0
            elif score[i] == DETRACTOR:
                tallies[c, f, T_SURVEYED_DETRACTORS] += 1.0


def _survey_all(base_now, score, p_survey, key_survey, tallies, candidates, n_candidates, scan_all):
    n_chunks = (len(base_now) + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        _survey_chunk(c, base_now, score, p_survey, key_survey, tallies, candidates, n_candidates, scan_all)


_survey_parallel, _survey_serial = twins(_survey_all)


def survey(*args, parallel: bool = True) -> None:
    """The week's NPS survey: each member of a firm's base is asked with probability
    ``p_survey[f]``; adds surveyed, promoter and detractor counts to ``tallies`` (chunks, F, K).

    :func:`live_week` already drew every base customer's survey number and listed, per chunk, the
    ones under ``survey_guess`` (``candidates``, ``n_candidates``). When the real rate is no
    higher (``scan_all`` False) only they can be asked, so only they are checked - the same
    customers as a scan of the whole base finds; a chunk with more candidates than its row holds,
    or ``scan_all``, is scanned whole.
    """
    (_survey_parallel if parallel else _survey_serial)(*args)
