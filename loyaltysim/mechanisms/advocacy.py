"""Advocacy: each base customer's answer to "would you recommend us?" and the weekly NPS survey.

The expected answer 0-10 is advocacy_base + advocacy_scale x (advocacy_attachment x attachment +
advocacy_satisfaction x satisfaction): attachment weighs most (Dick & Basu 1994; East et al.), so
an indifferent, merely satisfied customer answers about 7 (passive) and only the attached reach
9-10. The week's answer is that plus standard normal noise, rounded; only its class (detractor
0-6, passive 7-8, promoter 9-10; Reichheld 2003) is drawn, with one uniform number. A random
sample of each firm's base is surveyed (``market.survey_size``).
Tallies: ``promoters``, ``detractors``, ``satisfaction_sum``, ``surveyed``,
``surveyed_promoters``, ``surveyed_detractors``.
"""

from __future__ import annotations

import math

import numpy as np

from loyaltysim.codes import DETRACTOR, PASSIVE, PROMOTER
from loyaltysim.parameters import StrictModel, field_indices, param


class AdvocacyCoefficients(StrictModel):
    """Coefficients of the answer to "would you recommend us?" (``behaviour.*``)."""

    advocacy_base: float = param(
        6.0,
        "answer 0-10",
        "Expected answer of a customer with no attachment and no satisfaction.",
        source="model convention",
        ge=0,
        le=10,
    )
    advocacy_scale: float = param(
        4.0,
        "answer 0-10",
        "Answer points added at full attachment and satisfaction (base + scale = 10).",
        source="model convention",
        ge=0,
        le=10,
    )
    advocacy_attachment: float = param(
        0.6,
        "share 0-1",
        "Weight of attachment in the expected answer (the rest: advocacy_satisfaction).",
        source="Dick & Basu 1994; East et al. 2005",
        ge=0,
        le=1,
    )
    advocacy_satisfaction: float = param(
        0.4,
        "share 0-1",
        "Weight of satisfaction in the expected answer.",
        source="East et al. 2005",
        ge=0,
        le=1,
    )


(ADVOCACY_BASE, ADVOCACY_SCALE, ADVOCACY_ATTACHMENT, ADVOCACY_SATISFACTION) = field_indices(
    AdvocacyCoefficients, "advocacy_base", "advocacy_scale", "advocacy_attachment", "advocacy_satisfaction"
)

#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): summed satisfaction
#: over the base; promoters and detractors in the whole base; surveyed customers and their
#: promoters and detractors.
TALLIES = (
    "satisfaction_sum",
    "promoters",
    "detractors",
    "surveyed",
    "surveyed_promoters",
    "surveyed_detractors",
)

#: The standard normal CDF tabulated from ``CDF_FROM`` in steps of 1 / ``CDF_STEPS_PER_UNIT``
#: (-8 to 8, 1,025 points, exact ``math.erfc`` values) for :func:`advocacy_boundaries`.
CDF_FROM, CDF_STEPS_PER_UNIT, CDF_LAST = -8.0, 64.0, 1024
NORMAL_CDF = np.array(
    [0.5 * math.erfc(-(CDF_FROM + k / CDF_STEPS_PER_UNIT) / math.sqrt(2.0)) for k in range(CDF_LAST + 1)]
)
#: Table steps between the class boundaries 6.5 and 8.5 of the NPS (:func:`advocacy_boundaries`).
ADVOCACY_STEPS = int(2 * CDF_STEPS_PER_UNIT)


def advocacy_expected(attachment, satisfaction, k):
    """The expected answer 0-10 to "would you recommend us?" (see the module docstring); floats
    or NumPy arrays. ``k``: packed :class:`AdvocacyCoefficients`."""
    return k[ADVOCACY_BASE] + k[ADVOCACY_SCALE] * (
        k[ADVOCACY_ATTACHMENT] * attachment + k[ADVOCACY_SATISFACTION] * satisfaction
    )


def advocacy_boundaries(expected: float) -> tuple[float, float]:
    """(CDF(6.5 - expected), CDF(8.5 - expected)): the chance that the answer round(expected + z)
    is 0-6, and that it is 0-8, z standard normal, by linear interpolation in
    :data:`NORMAL_CDF` (absolute error under 1e-5; the same bits in both engines,
    :func:`advocacy_boundaries_array` is its NumPy twin).

    The two points are exactly 2 apart, so both are read at one table position and one
    interpolation fraction, ``ADVOCACY_STEPS`` entries apart. The clamp keeps both reads inside
    the table.
    """
    pos = min(max((6.5 - expected - CDF_FROM) * CDF_STEPS_PER_UNIT, 0.0), CDF_LAST - ADVOCACY_STEPS - 1.0)
    k = int(pos)
    frac = pos - k
    detractor = NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])
    k += ADVOCACY_STEPS
    return detractor, NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])


def advocacy_boundaries_array(expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`advocacy_boundaries` for an array, bit for bit."""
    pos = np.clip((6.5 - expected - CDF_FROM) * CDF_STEPS_PER_UNIT, 0.0, CDF_LAST - ADVOCACY_STEPS - 1.0)
    k = pos.astype(np.int64)
    frac = pos - k
    detractor = NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])
    k += ADVOCACY_STEPS
    return detractor, NORMAL_CDF[k] + frac * (NORMAL_CDF[k + 1] - NORMAL_CDF[k])


def advocacy_class(expected: float, u: float) -> int:
    """DETRACTOR, PASSIVE or PROMOTER: the class of the answer round(expected + z), z standard
    normal (the same customer answers a little differently each week), drawn with ONE uniform
    ``u`` by inverting the normal CDF: the answer is 0-6 when z <= 6.5 - expected, that is
    u <= CDF(6.5 - expected), and 9-10 when u > CDF(8.5 - expected) (:func:`advocacy_boundaries`).
    """
    # PASSIVE + 1 for a promoter, - 1 for a detractor (the classes are 0, 1, 2), without a branch
    # on ``u``: whether a weekly answer crosses a boundary is a coin flip a CPU cannot predict.
    up_to_six, up_to_eight = advocacy_boundaries(expected)
    return PASSIVE + int(u > up_to_eight) - int(u <= up_to_six)


def advocacy_classes(attachment: np.ndarray, satisfaction: np.ndarray, u: np.ndarray, k) -> np.ndarray:
    """:func:`advocacy_class` of every customer (int8), from float64 attachment and satisfaction
    toward one firm and one uniform draw each - bit for bit as the numba engine."""
    up_to_six, up_to_eight = advocacy_boundaries_array(advocacy_expected(attachment, satisfaction, k))
    classes = np.full(len(u), PASSIVE, dtype=np.int8)
    classes[u > up_to_eight] = PROMOTER
    classes[u <= up_to_six] = DETRACTOR
    return classes


def survey_probability(survey_size: int, base: int) -> float:
    """Chance that a member of a customer base of ``base`` is surveyed this week."""
    return min(1.0, survey_size / base) if base else 0.0
