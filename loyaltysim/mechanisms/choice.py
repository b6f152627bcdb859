"""Choice: whether a customer shops this week and where - multinomial logit over the open firms
they know and an outside option [A].

utility = convenience (distance, price, deals, hours, selection) + emotion weight x attachment
+ the pull of complete satisfaction + habit (same firm as last time). Convenience and price
retain; only the attachment and delight terms keep a customer when a rival matches them (the
corner pharmacy, [A]; Jones & Sasser 1995: the merely satisfied defect, the completely satisfied
stay). The logit is drawn with one uniform
number by inverting the cumulative probabilities (the same law as Gumbel noise on every utility;
docs/design.md). Per-customer weights are traits of ``customers`` (:mod:`loyaltysim.schema`).
Tallies: ``purchases``, ``came_from``, ``came_back``.
"""

from __future__ import annotations

import math

import numpy as np

from loyaltysim.parameters import StrictModel, field_indices, param


class ChoiceCoefficients(StrictModel):
    """Coefficients of the choice utility (``behaviour.*``)."""

    price_scale: float = param(
        10.0,
        "utility per unit price premium per unit price_weight",
        "Converts a price premium (price index - 1) into utility: with the "
        "default 10, price_weight is the utility lost per 10 % dearer [A].",
        source="[A]",
        ge=0,
        le=100,
    )

    loyalty_resistance: float = param(
        6.0,
        "utility per unit attachment above resistance_from",
        "Extra pull of attachment above resistance_from: truly loyal customers resist a rival's "
        "better offer (counter-persuasion) far more than the merely satisfied. utility += "
        "loyalty_resistance x max(0, attachment - resistance_from).",
        source="Dick & Basu 1994; Oliver 1999",
        ge=0,
        le=100,
    )
    resistance_from: float = param(
        0.5,
        "attachment 0-1",
        "Attachment above which loyalty resists rivals (the same default as "
        "market.attachment_threshold, the line between Dick & Basu's high and low attitude; set "
        "apart from it).",
        source="Dick & Basu 1994",
        ge=0,
        le=1,
    )
    delight_loyalty: float = param(
        1.0,
        "utility per unit satisfaction above delight_from",
        "Extra pull of a firm the customer is completely satisfied with: utility += "
        "delight_loyalty x max(0, satisfaction - delight_from). Where rivals are at hand only "
        "the completely satisfied are bound; the merely satisfied feel free to switch (Xerox: "
        "completely satisfied customers six times as likely to buy again). The default is mild: "
        "20 lifts the satisfaction_defection finding's top-box ratio from 1.9x to 2.2x but lets the "
        "loyal brand's repurchase per occasion overtake the corner pharmacy's (the retention-is-"
        "not-loyalty case) - a value for the calibration to settle.",
        source="Jones & Sasser 1995 (the shape); model convention",
        ge=0,
        le=100,
    )
    delight_from: float = param(
        0.8,
        "satisfaction 0-1",
        "Satisfaction above which it binds the customer (0.8: the top box of a five-box scale, "
        "'completely satisfied').",
        source="Jones & Sasser 1995",
        ge=0,
        le=1,
    )


(PRICE_SCALE, LOYALTY_RESISTANCE, RESISTANCE_FROM, DELIGHT_LOYALTY, DELIGHT_FROM) = field_indices(
    ChoiceCoefficients,
    "price_scale",
    "loyalty_resistance",
    "resistance_from",
    "delight_loyalty",
    "delight_from",
)


#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): purchases at the
#: firm; purchase occasions of customers whose previous purchase was there; of which made there
#: again.
TALLIES = ("purchases", "came_from", "came_back")


def emotional_utility(emotion_weight: float, attachment: float, satisfaction: float, k) -> float:
    """Utility of attachment to a firm and of being completely satisfied with it: emotion weight
    x attachment, plus loyalty_resistance x the attachment above resistance_from (true loyalty
    resists rivals' offers; Dick & Basu 1994), plus delight_loyalty x the satisfaction above
    delight_from (only the completely satisfied are bound; Jones & Sasser 1995). ``k`` is the
    packed :class:`ChoiceCoefficients`."""
    return (
        emotion_weight * attachment
        + k[LOYALTY_RESISTANCE] * max(0.0, attachment - k[RESISTANCE_FROM])
        + k[DELIGHT_LOYALTY] * max(0.0, satisfaction - k[DELIGHT_FROM])
    )


def convenience_utility(
    distance, distance_w, price_w, price_premium, deal_w, deals, hours_w, closed, selection_w, selection, k
):
    """Utility of a firm from convenience, price, deals, hours and selection - what retains
    customers who are not attached [A]: - distance weight x distance (km) - price weight x
    ``price_scale`` x price premium (price index - 1) + deal weight x deals - hours weight x share
    of the day closed + selection weight x selection. Works on floats and on NumPy arrays alike.
    ``k`` is the packed :class:`ChoiceCoefficients`."""
    return (
        -distance_w * distance
        - price_w * k[PRICE_SCALE] * price_premium
        + deal_w * deals
        - hours_w * closed
        + selection_w * selection
    )


#: :func:`logit_weight` splits -x into k steps of ln 2 / ``EXP_STEPS`` and a remainder; 2**(-k /
#: EXP_STEPS) is ``EXP2_WHOLE[k >> EXP_SHIFT] * EXP2_STEP[k & (EXP_STEPS - 1)]`` (an exact power of
#: two times one of 256 tabulated fractions). Below ``EXP_FLOOR`` the weight is 0.
EXP_SHIFT, EXP_FLOOR = 8, -64.0
EXP_STEPS = 1 << EXP_SHIFT
EXP_STEP = math.log(2.0) / EXP_STEPS
EXP2_STEP = np.array([2.0 ** (-j / EXP_STEPS) for j in range(EXP_STEPS)])
EXP2_WHOLE = np.array([2.0**-j for j in range(int(-EXP_FLOOR / math.log(2.0)) + 2)])


def logit_weight(x: float) -> float:
    """exp(``x``) for ``x`` <= 0 to a relative 3e-12, and 0 below ``EXP_FLOOR`` (-64): the weight
    of an option ``x`` utility units below the best one in :func:`logit_pick`.

    Written out - a table of 2**(-j/256), an exact power of two and a cubic on the remainder
    (|r| <= ln 2 / 256) - rather than ``math.exp``, so that plain float arithmetic gives the same
    bits in Python and numba (benchmarks/RESULTS.md says what it saves). Picks are those of the
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
