"""The service encounter: a customer is served by a frontline employee; the visit's emotional value
and functional quality, the chance of a service failure, and satisfaction against expectation.

Warmth - being looked in the eye, recognised, appreciated [A] - comes from the employee's
engagement and the firm's empathy [D]; quality from skill; both are cut by overload above capacity
[E] and by delays when the back of house leaves the frontline short. Failures come from the firm's
process failure rate, raised by overload and low skill [B][E], plus stock-outs
(:mod:`loyaltysim.mechanisms.back_of_house`).
Satisfaction is a moving average of quality against the customer's expectation (Oliver 1980,
expectation-disconfirmation; docs/sources.md). Tallies: ``delighted``, ``failures``, ``revenue``.
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param


def _share(default: float, unit: str, description: str, source: str) -> float:
    return param(default, unit, description, source=source, ge=0, le=1)


class EncounterCoefficients(StrictModel):
    """Coefficients of the service encounter (``behaviour.*``)."""

    initial_satisfaction: float = _share(
        0.5, "satisfaction 0-1", "Satisfaction with every firm at the start.", "model convention"
    )
    delight_threshold: float = _share(
        0.75,
        "experience 0-1",
        "Emotional value at or above which a visit delights (gives employees meaning, makes stories).",
        "[A][E]",
    )
    satisfaction_rate: float = _share(
        0.2,
        "share per visit",
        "Weight of the latest visit in the satisfaction moving average.",
        "model convention",
    )
    overload_failure: float = param(
        1.5,
        "multiplier per unit overload",
        "Extra failure rate per unit of overload above capacity [E].",
        source="[E]",
        ge=0,
        le=20,
    )
    warmth_base: float = _share(
        0.4,
        "warmth per unit engagement",
        "Warmth an engaged employee "
        "shows even where the firm asks for no empathy: warmth = "
        "engagement x (warmth_base + warmth_empathy x empathy).",
        "[A][D]",
    )
    warmth_empathy: float = _share(
        0.5,
        "warmth per unit engagement and empathy",
        "Warmth the firm's empathy adds per unit of the employee's engagement.",
        "[A][D]",
    )
    warmth_crowding: float = param(
        0.5,
        "per unit overload",
        "Crowding cools warmth: warmth / (1 + warmth_crowding x overload above capacity).",
        source="[E]",
        ge=0,
        le=10,
    )
    emotion_warmth: float = _share(
        0.55,
        "share 0-1",
        "Weight of warmth in a visit's emotional "
        "value (the rest is emotion_quality x quality): how one is "
        "treated weighs more than what one gets.",
        "[A]",
    )
    emotion_quality: float = _share(
        0.25, "share 0-1", "Weight of functional quality in a visit's emotional value.", "[A]"
    )
    failure_skill_offset: float = param(
        1.5,
        "multiplier",
        "Skill lowers failures: process rate "
        "x (failure_skill_offset - skill); the default 1.5 makes "
        "a novice (skill 0) fail 3x as often as an expert.",
        source="[B][E]",
        ge=1,
        le=10,
    )
    pace_warmth: float = _share(
        0.3,
        "share of warmth at full capacity",
        "Warmth lost to time pressure below capacity too: warmth x (1 - pace_warmth x "
        "min(overload, 1)) - busy staff have less time for each customer.",
        "Sutton & Rafaeli 1988",
    )
    pace_failure: float = param(
        0.5,
        "multiplier at full capacity",
        "Extra failures (waiting, rushed service) as the store fills up to capacity: the process "
        "rate x (1 + pace_failure x min(overload, 1) + overload_failure x overload above capacity).",
        source="Taylor 1994 (waiting for service); model convention for the value",
        ge=0,
        le=20,
    )
    satisfaction_neutral: float = _share(
        0.5,
        "satisfaction 0-1",
        "Satisfaction a visit aims at "
        "when quality exactly meets expectation: target = "
        "satisfaction_neutral + quality - expectation.",
        "Oliver 1980",
    )
    perception_satisfaction: float = _share(
        0.0,
        "share 0-1",
        "Share of the customer's perception trait (customers.perception: how they perceive a "
        "visit's emotional value) that also colours how they judge its quality against their "
        "expectation: target = satisfaction_neutral + quality + perception_satisfaction x "
        "perception - expectation. 0 = satisfaction judges quality as it is, so customers of one "
        "store differ in satisfaction only through their expectations, which say nothing about "
        "their attachment; 1 = the easy to please are also the easily satisfied, and satisfaction "
        "and attachment go together within a store (r 0.08-0.29 at 0, 0.56-0.68 at 0.5, 0.74-0.78 "
        "at 1 in pharmacy_vs_brand). Measured on the findings (--quick): Jones & Sasser's top-box "
        "ratio 1.92x at 0, 2.03x at 0.5, 2.05x at 1; but at 1 the recovery paradox's third "
        "comparison fails (a quick fix's standardised effect on satisfaction 0.07 against 0.04 on "
        "repurchase: satisfaction now differs more between people), at 0.5 it holds (0.09 against "
        "0.03). Off by default, for the calibration to weigh (it moves NPS and every golden).",
        "Oliver 1980 (disconfirmation of perceived performance); Zeithaml, Berry & Parasuraman "
        "1993 (the customer's own zone of tolerance)",
    )


(
    INITIAL_SATISFACTION,
    DELIGHT,
    SATISFACTION_RATE,
    OVERLOAD_FAILURE,
    WARMTH_BASE,
    WARMTH_EMPATHY,
    WARMTH_CROWDING,
    EMOTION_WARMTH,
    EMOTION_QUALITY,
    FAILURE_SKILL_OFFSET,
    PACE_WARMTH,
    PACE_FAILURE,
    SATISFACTION_NEUTRAL,
    PERCEPTION_SATISFACTION,
) = field_indices(
    EncounterCoefficients,
    "initial_satisfaction",
    "delight_threshold",
    "satisfaction_rate",
    "overload_failure",
    "warmth_base",
    "warmth_empathy",
    "warmth_crowding",
    "emotion_warmth",
    "emotion_quality",
    "failure_skill_offset",
    "pace_warmth",
    "pace_failure",
    "satisfaction_neutral",
    "perception_satisfaction",
)


#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): visits whose
#: emotional value reached the delight threshold; service failures; dollars spent.
TALLIES = ("delighted", "failures", "revenue")


def encounter_values(
    engagement: float, skill: float, empathy: float, overload: float, supplied: float, k
) -> tuple[float, float]:
    """Emotional value and functional quality (both 0-1) of a visit without failure.

    warmth = engagement x (warmth_base + warmth_empathy x empathy) x (1 - pace_warmth x busy) /
    (1 + warmth_crowding x crowding) x supplied; quality = skill / (1 + crowding), busy =
    min(overload, 1), crowding = overload above capacity, ``supplied`` the share of warmth left
    after the back of house's delays (:func:`loyaltysim.mechanisms.back_of_house.supplied_warmth`,
    1 when nothing is short); emotional value = emotion_warmth x warmth + emotion_quality x
    quality. ``k``: packed :class:`EncounterCoefficients`.
    """
    crowding = max(0.0, overload - 1.0)
    busy = min(overload, 1.0)
    warmth = (
        engagement
        * (k[WARMTH_BASE] + k[WARMTH_EMPATHY] * empathy)
        * (1.0 - k[PACE_WARMTH] * busy)
        / (1.0 + k[WARMTH_CROWDING] * crowding)
        * supplied
    )
    quality = skill / (1.0 + crowding)
    return k[EMOTION_WARMTH] * warmth + k[EMOTION_QUALITY] * quality, quality


def failure_probability(base_rate: float, overload: float, skill: float, stockout: float, k) -> float:
    """Chance of a failure in one visit: the process rate x (1 + pace_failure x min(overload, 1)
    + overload_failure x overload above capacity) x (failure_skill_offset - skill), plus the
    stock-outs of an ill-supplied frontline (``stockout``,
    :func:`loyaltysim.mechanisms.back_of_house.stockout_chance`), capped at 1 [B][E]."""
    crowding = max(0.0, overload - 1.0)
    busy = min(overload, 1.0)
    pressure = 1.0 + k[PACE_FAILURE] * busy + k[OVERLOAD_FAILURE] * crowding
    return min(1.0, base_rate * pressure * (k[FAILURE_SKILL_OFFSET] - skill) + stockout)


def perceived(value: float, perception: float) -> float:
    """A visit's emotional value as this customer perceives it: shifted by the customer's
    ``perception`` trait (some are easy to please, some hard), kept within 0-1."""
    return min(max(value + perception, 0.0), 1.0)


def next_satisfaction(satisfaction: float, quality: float, expectation: float, perception: float, k) -> float:
    """Satisfaction after a visit of ``quality``: a share ``satisfaction_rate`` of the way to
    satisfaction_neutral + quality + perception_satisfaction x ``perception`` - expectation
    (clipped to 0-1): the quality as this customer perceives it, against what they expected."""
    perceived_quality = quality + k[PERCEPTION_SATISFACTION] * perception
    target = min(max(k[SATISFACTION_NEUTRAL] + perceived_quality - expectation, 0.0), 1.0)
    return satisfaction + k[SATISFACTION_RATE] * (target - satisfaction)
