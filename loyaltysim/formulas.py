"""The model's formulas as small pure functions of floats: one source for both engines.

The reference engine (:mod:`loyaltysim.agents`) calls them as plain Python; the numba engine
compiles the very same functions (``numba.njit(func)`` in :mod:`loyaltysim.kernels.formulas`), so a
formula is written once. Keep them numba-compatible: floats and ints in, floats out, ``min``/``max``
and ``math`` only. Seed articles are cited as in :mod:`loyaltysim.schema` ([A]..[E]).
"""

from __future__ import annotations

import math

import numpy as np

from loyaltysim.state import ESCALATED, ON_SPOT, PASSIVE, SILENT, UNRESOLVED

#: The standard normal CDF tabulated from ``CDF_FROM`` in steps of 1 / ``CDF_STEPS_PER_UNIT``
#: (-8 to 8, 1,025 points, exact ``math.erfc`` values) for :func:`advocacy_boundaries`.
CDF_FROM, CDF_STEPS_PER_UNIT, CDF_LAST = -8.0, 64.0, 1024
NORMAL_CDF = np.array([0.5 * math.erfc(-(CDF_FROM + k / CDF_STEPS_PER_UNIT) / math.sqrt(2.0))
                       for k in range(CDF_LAST + 1)])
#: Table steps between the advocacy class boundaries 6.5 and 8.5 (:func:`advocacy_boundaries`).
ADVOCACY_STEPS = int(2 * CDF_STEPS_PER_UNIT)

#: :func:`logit_weight` splits -x into k steps of ln 2 / ``EXP_STEPS`` and a remainder; 2**(-k /
#: EXP_STEPS) is ``EXP2_WHOLE[k >> EXP_SHIFT] * EXP2_STEP[k & (EXP_STEPS - 1)]`` (an exact power of
#: two times one of 256 tabulated fractions). Below ``EXP_FLOOR`` the weight is 0.
EXP_SHIFT, EXP_FLOOR = 8, -64.0
EXP_STEPS = 1 << EXP_SHIFT
EXP_STEP = math.log(2.0) / EXP_STEPS
EXP2_STEP = np.array([2.0 ** (-j / EXP_STEPS) for j in range(EXP_STEPS)])
EXP2_WHOLE = np.array([2.0 ** -j for j in range(int(-EXP_FLOOR / math.log(2.0)) + 2)])


def logit_weight(x: float) -> float:
    """exp(``x``) for ``x`` <= 0 to a relative 3e-12, and 0 below ``EXP_FLOOR`` (-64): the weight
    of an option ``x`` utility units below the best one in :func:`logit_pick`.

    Written out - a table of 2**(-j/256), an exact power of two and a cubic on the remainder
    (|r| <= ln 2 / 256, evaluated as two short chains) - rather than ``math.exp``: in a compiled
    kernel the library call cost as much as the rest of the choice (it spills every register),
    and plain float arithmetic gives the same bits in Python and numba. Picks are those of the
    exact exponential except when the draw falls within ~1e-12 of a boundary between options.
    The floor never changes a pick: a weight below exp(-64) (1.6e-28) is far under the smallest
    uniform draw (2**-54) times the total, which is at least 1.
    """
    if x < EXP_FLOOR:
        return 0.0
    k = int(-x * (1.0 / EXP_STEP))  # whole steps of ln 2 / 256 in -x, rounded down
    r = x + k * EXP_STEP  # -EXP_STEP < r <= 0, up to rounding
    poly = (1.0 + r) + (r * r) * (0.5 + r * (1.0 / 6.0))
    return EXP2_WHOLE[k >> EXP_SHIFT] * EXP2_STEP[k & (EXP_STEPS - 1)] * poly


def logit_pick(utilities, m: int, u: float) -> int:
    """Index of the option chosen under multinomial logit among the first ``m`` of
    ``utilities``, given a uniform draw ``u`` in (0, 1).

    Option k is chosen with probability exp(V_k) / sum exp(V) - the same law as adding standard
    Gumbel noise to every utility and taking the best, but drawn with one uniform number by
    inverting the cumulative probabilities (four times fewer random draws and logarithms).
    Common random numbers still hold: a customer's draw is the same in every scenario.
    The first ``m`` entries of ``utilities`` (a list or array) are overwritten with the
    unnormalised weights exp(V - max V).

    An option of utility -inf (not all of them) gets weight 0 and is never the pick, except as
    the fallback ``m - 1``: so the pick among options kept in fixed places, the impossible ones
    at -inf, capped at the last possible place, is the pick among the possible ones alone.
    """
    top = utilities[0]
    for k in range(1, m):
        top = max(top, utilities[k])
    total = 0.0
    for k in range(m):
        utilities[k] = logit_weight(utilities[k] - top)
        total += utilities[k]
    # The first k whose cumulative weight exceeds u x total (m - 1 if none): as the cumulative
    # weights never decrease, that is how many of the first m - 1 stay at or under it - counted
    # without a branch on u, which a CPU cannot predict.
    threshold = u * total
    cumulative = 0.0
    pick = 0
    for k in range(m - 1):
        cumulative += utilities[k]
        pick += cumulative <= threshold
    return pick


def advocacy_expected(attachment: float, satisfaction: float) -> float:
    """The expected answer 0-10 to "would you recommend us?": 5 + 5 x (0.6 attachment + 0.4
    satisfaction). Attachment weighs most (Dick & Basu; East et al.): an indifferent, merely
    satisfied customer answers about 7 (passive), only the attached reach 9-10."""
    return 5.0 + 5.0 * (0.6 * attachment + 0.4 * satisfaction)


def advocacy_boundaries(expected: float) -> tuple[float, float]:
    """(CDF(6.5 - expected), CDF(8.5 - expected)): the chance that the answer round(expected + z)
    is 0-6, and that it is 0-8, z standard normal, by linear interpolation in
    :data:`NORMAL_CDF` (absolute error under 1e-5; the same bits in both engines,
    :func:`loyaltysim.measure.advocacy_boundaries_array` is its NumPy twin).

    The two points are exactly 2 apart, so both are read at one table position and one
    interpolation fraction, ``ADVOCACY_STEPS`` entries apart. ``expected`` lies in 5-10, so the
    clamp that keeps both reads inside the table never binds.
    """
    pos = min(max((6.5 - expected - CDF_FROM) * CDF_STEPS_PER_UNIT, 0.0),
              CDF_LAST - ADVOCACY_STEPS - 1.0)
    k = int(pos)
    frac = pos - k
    detractor = NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])
    k += ADVOCACY_STEPS
    return detractor, NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])


def advocacy_class(expected: float, u: float) -> int:
    """DETRACTOR, PASSIVE or PROMOTER: the class of the answer round(expected + z), z standard
    normal (the same customer answers a little differently each week), drawn with ONE uniform
    ``u`` by inverting the normal CDF: the answer is 0-6 when z <= 6.5 - expected, that is
    u <= CDF(6.5 - expected), and 9-10 when u > CDF(8.5 - expected) (:func:`advocacy_boundaries`).

    Only the class is drawn - the promoter and detractor counts need nothing else - so a base
    customer costs one uniform and two table reads a week, not a Box-Muller normal.
    """
    # PASSIVE + 1 for a promoter, - 1 for a detractor (the classes are 0, 1, 2), without a branch
    # on ``u``: whether a weekly answer crosses a boundary is a coin flip a CPU cannot predict.
    up_to_six, up_to_eight = advocacy_boundaries(expected)
    return PASSIVE + int(u > up_to_eight) - int(u <= up_to_six)


def willing_to_resolve(trust: float, engagement: float) -> float:
    """Probability that a staff member who may fix a problem does so rather than passing it on.

    In a culture of fear staff treat complaining customers as suspects [D]; disengaged staff do not
    bother [A]. ``0.2 + 0.8 * trust`` scaled by ``0.5 + 0.5 * engagement`` (both 0-1).
    """
    return (0.2 + 0.8 * trust) * (0.5 + 0.5 * engagement)


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


def outcome_value(value: float, outcome: int, handoffs: int, recovery_bonus: float,
                  handoff_penalty: float, unresolved_value: float,
                  silent_failure_value: float) -> float:
    """The value (0-1) a visit leaves after its failure handling.

    Fixed on the spot: the recovery paradox lifts it above an ordinary visit; fixed after
    escalation: the lift minus a penalty per hand-off [C]; unresolved or silent: a fixed low value.
    """
    if outcome == ON_SPOT:
        return min(1.0, value + recovery_bonus)
    if outcome == ESCALATED:
        return min(1.0, max(0.0, value + recovery_bonus - handoff_penalty * handoffs))
    if outcome == UNRESOLVED:
        return unresolved_value
    if outcome == SILENT:
        return silent_failure_value
    return value


def problem_size_sting(cost: float, penalty: float, half_dollars: float) -> float:
    """Extra loss (experience 0-1) a failure leaves because of its size, whatever its handling.

    ``penalty x cost / (cost + half_dollars)``: nothing for a trivial problem, half of ``penalty``
    for a problem costing ``half_dollars``, approaching ``penalty`` for huge ones. Bigger problems
    hurt more even when fixed (TARP: fewer customers buy again after a problem over $100 than after
    one under $5, in every complaint outcome). ``penalty`` 0 (the default) turns it off.
    """
    return penalty * cost / (cost + half_dollars)


def attachment_change(attachment: float, value: float, gain: float, negativity_bias: float,
                      forgiveness: float) -> float:
    """Change of attachment after a visit of emotional ``value`` (0-1).

    Attachment moves toward the value: by ``attachment_gain`` of the gap when the visit is better,
    by ``negativity_bias`` times that when worse, shielded by existing attachment
    (x (1 - forgiveness x attachment)): attached customers forgive more [A].
    """
    gap = value - attachment
    if gap >= 0:
        return gain * gap
    return gain * negativity_bias * (1.0 - forgiveness * attachment) * gap


def quit_probability(engagement: float, quit_threshold: float, base_turnover: float,
                     quit_rate: float) -> float:
    """Weekly chance that an employee quits: the base turnover plus ``quit_rate`` times the
    shortfall of engagement below ``quit_threshold`` (as a share of the threshold) [A][E]."""
    shortfall = max(0.0, quit_threshold - engagement) / max(quit_threshold, 1e-9)
    return base_turnover + quit_rate * shortfall


def engagement_target(recognition: float, trust: float, transparency: float, limit: float,
                      commitment: float, meaning: float, overload: float) -> float:
    """The engagement 0-1 an employee's situation supports [A][C][D][E].

    0.25 + 0.2 recognition received + 0.15 trust + 0.1 transparency + 0.1 empowerment (own limit
    in dollars / $100, capped at 1) + 0.15 leadership commitment + 0.25 meaning (share of own
    customers delighted) - 0.15 fear (1 - trust) - 0.35 overload above capacity; clipped to 0-1.
    """
    crowding = max(0.0, overload - 1.0)
    target = (0.25 + 0.2 * recognition + 0.15 * trust + 0.1 * transparency
              + 0.1 * min(1.0, limit / 100.0) + 0.15 * commitment + 0.25 * meaning
              - 0.15 * (1.0 - trust) - 0.35 * crowding)
    return min(1.0, max(0.0, target))


def next_engagement(engagement: float, target: float, rate: float) -> float:
    """Engagement after a week: it moves a share ``rate`` of the way to its target."""
    return engagement + rate * (target - engagement)


def next_skill(skill: float, rate: float, training: float) -> float:
    """Skill after a week: grows toward 1 at ``rate`` x (training + 0.1) - some is learnt on the
    job even without a programme [E]."""
    return skill + rate * (training + 0.1) * (1.0 - skill)
