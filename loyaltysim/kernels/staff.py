"""Phase 6 for every post of a firm at once: the arithmetic of ``Employee.step``/``advance``."""

from __future__ import annotations

from numba import njit

from loyaltysim.codes import FRONTLINE
from loyaltysim.kernels.formulas import (
    engagement_target,
    next_engagement,
    next_skill,
    quit_probability,
)


@njit(cache=True)
def step_posts(
    role,
    slot,
    engagement,
    skill,
    tenure,
    quitting,
    quit_draws,
    limit_frontline,
    limit_supervisor,
    recognition,
    trust,
    transparency,
    commitment,
    training,
    delight_share,
    encounters,
    delights,
    overload,
    k,
):
    """Update every post in place: decide quitting from last week's engagement (``quit_draws``
    are the posts' uniform draws), then move engagement toward its target and build skill.

    Meaning for a frontline post is the share of its own customers delighted this week
    (``delights / encounters`` by slot); otherwise the firm's share ``delight_share``. ``k`` is
    the packed :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`.
    """
    for r in range(len(role)):
        limit = limit_frontline if role[r] == FRONTLINE else limit_supervisor
        meaning = delight_share
        if role[r] == FRONTLINE and encounters[slot[r]] > 0:
            meaning = delights[slot[r]] / encounters[slot[r]]
        target = engagement_target(recognition, trust, transparency, limit, commitment, meaning, overload, k)
        quitting[r] = quit_draws[r] < quit_probability(engagement[r], k)
        engagement[r] = next_engagement(engagement[r], target, k)
        skill[r] = next_skill(skill[r], training, k)
        tenure[r] += 1
