"""Avoidance: after a failure that was not put right, a customer stays away from the store for a
few purchase occasions, whatever their attachment.

TARP's complainants bought again far less after a problem left silent or unresolved than after
one fixed on the spot - more so for big problems (37 % against 95 % under $5, 9 % against 82 % over
$100). Attachment, which moves a little with every visit, cannot give that spread without weighing
so much in every choice that unattached customers defect far too often (docs/calibration.md,
"Starting from the set that keeps both"). Grégoire, Tripp & Legoux (2009) name the missing
mechanism: after a failed recovery customers feel a *desire for avoidance* - they keep away from
the firm - which, unlike the desire for revenge, does not fade quickly. The model keeps it short
and explicit: a grudge against one store that lowers its utility at the next purchase occasions.

State: ``grudge``, one byte per customer: the store in the high five bits (at most 32 firms), the
grudge's level 0-7 in the low three. A failure at store f with outcome o and a problem costing c
sets the grudge to f at level round(7 x share_o x ((1 - avoidance_size_share) + avoidance_size_share
x s(c))), where share_o is ``avoidance_silent``, ``avoidance_unresolved``, ``avoidance_escalated``
or ``avoidance_on_spot`` and s(c) = c^n / (c^n + h^n) the problem's size on the complaints'
curve (``problem_size_dollars`` h, ``problem_size_exponent`` n): a new grudge replaces the old one.
While the level is above 0 the store's utility is lower by avoidance_weight x level / 7; each
purchase occasion, wherever it is made, takes ceil(7 / ``avoidance_occasions``) levels off.
``avoidance_weight`` 0 (the default) turns the mechanism off: no choice changes. The shares'
defaults were set by hand against TARP's table with avoidance_weight 6 and problem_size_exponent 2
(docs/calibration.md, "Avoidance: handling moves the next purchase"); with them TARP holds 10 of 12,
but the seed story's rival takes more of the loyal brand, so the weight is left to the calibration.

Tallies: none (the grudges' effect shows in the complaint-handling finding's table).
"""

from __future__ import annotations

import math

from loyaltysim.codes import ESCALATED, ON_SPOT, SILENT, UNRESOLVED
from loyaltysim.parameters import StrictModel, field_indices, param

#: Bits of the level in the grudge byte; the store is in the bits above (codes.MAX_FIRMS = 32).
LEVEL_BITS = 3
#: The highest level: a full grudge.
FULL = (1 << LEVEL_BITS) - 1


def _share(default: float, description: str, source: str) -> float:
    return param(default, "share of a full grudge", description, source=source, ge=0, le=1)


class AvoidanceCoefficients(StrictModel):
    """Coefficients of avoidance after a failure (``behaviour.*``)."""

    avoidance_weight: float = param(
        0.0,
        "utility at a full grudge",
        "How much a full grudge lowers the store's utility at the customer's next purchase "
        "occasion (a grudge of level l: avoidance_weight x l / 7). 0 (the default) = no avoidance: "
        "a failure acts on later choices only through attachment and satisfaction. 6 with the "
        "shares below and problem_size_exponent 2 gives TARP's table but moves the seed story's "
        "rival numbers (docs/calibration.md, 'Avoidance'): a value for the calibration.",
        source="Grégoire, Tripp & Legoux 2009 (desire for avoidance); TARP (the size of the gap)",
        ge=0,
        le=20,
    )
    avoidance_silent: float = _share(
        1.0,
        "Grudge, as a share of a full one, left by a failure the customer did not complain about.",
        "TARP (did not complain: the fewest buy again)",
    )
    avoidance_unresolved: float = _share(
        0.8,
        "Grudge left by a complaint that was not resolved.",
        "Grégoire, Tripp & Legoux 2009 (failed recovery); TARP",
    )
    avoidance_escalated: float = _share(
        0.35,
        "Grudge left by a complaint resolved after hand-offs up the ladder (resolved, but not on the spot).",
        "TARP (resolved: 70 % / 54 % buy again, against 95 % / 82 % resolved quickly)",
    )
    avoidance_on_spot: float = _share(
        0.0,
        "Grudge left by a problem fixed on the spot (0: a quick fix leaves none).",
        "TARP (resolved quickly: most buy again)",
    )
    avoidance_size_share: float = _share(
        0.6,
        "Share of the grudge that grows with the problem's size on the complaints' curve "
        "(problem_size_dollars, problem_size_exponent); the rest is felt whatever the size. "
        "0 = size does not matter; 1 = a trivial problem leaves no grudge.",
        "TARP (fewer buy again after a problem over $100 in every handling)",
    )
    avoidance_occasions: float = param(
        1.0,
        "purchase occasions",
        "Purchase occasions over which a full grudge fades to nothing: each occasion takes "
        "ceil(7 / avoidance_occasions) of its 7 levels off (1 = the next occasion only).",
        source="model convention (Grégoire, Tripp & Legoux 2009: avoidance lasts, revenge fades)",
        ge=1,
        le=7,
    )


(
    AVOIDANCE_WEIGHT,
    AVOIDANCE_SILENT,
    AVOIDANCE_UNRESOLVED,
    AVOIDANCE_ESCALATED,
    AVOIDANCE_ON_SPOT,
    AVOIDANCE_SIZE_SHARE,
    AVOIDANCE_OCCASIONS,
) = field_indices(
    AvoidanceCoefficients,
    "avoidance_weight",
    "avoidance_silent",
    "avoidance_unresolved",
    "avoidance_escalated",
    "avoidance_on_spot",
    "avoidance_size_share",
    "avoidance_occasions",
)

#: Per-firm tallies this mechanism adds each week: none.
TALLIES: tuple[str, ...] = ()


def avoidance_utility(grudge: int, firm: int, k) -> float:
    """Utility the customer's ``grudge`` byte takes off ``firm``: avoidance_weight x level / 7 at
    the grudge's store, 0 elsewhere. ``k``: packed :class:`AvoidanceCoefficients`."""
    if (grudge >> LEVEL_BITS) != firm:
        return 0.0
    return k[AVOIDANCE_WEIGHT] * (grudge & FULL) * (1.0 / FULL)


def faded(grudge: int, k) -> int:
    """The grudge byte after a purchase occasion: ceil(7 / avoidance_occasions) levels off (the
    store kept, at level 0 once it is gone)."""
    step = math.ceil(FULL / k[AVOIDANCE_OCCASIONS])
    level = max(0, (grudge & FULL) - step)
    return ((grudge >> LEVEL_BITS) << LEVEL_BITS) | level


def grudge_after(firm: int, outcome: int, size: float, k) -> int:
    """The grudge byte a failure at ``firm`` with ``outcome`` leaves; ``size`` is the problem's
    size 0-1 (:func:`loyaltysim.mechanisms.complaints.problem_size`)."""
    if outcome == SILENT:
        share = k[AVOIDANCE_SILENT]
    elif outcome == UNRESOLVED:
        share = k[AVOIDANCE_UNRESOLVED]
    elif outcome == ESCALATED:
        share = k[AVOIDANCE_ESCALATED]
    elif outcome == ON_SPOT:
        share = k[AVOIDANCE_ON_SPOT]
    else:
        share = 0.0
    sized = 1.0 - k[AVOIDANCE_SIZE_SHARE] + k[AVOIDANCE_SIZE_SHARE] * size
    level = min(FULL, int(FULL * share * sized + 0.5))
    return (firm << LEVEL_BITS) | level
