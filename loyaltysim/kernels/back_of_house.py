"""Phase 6 for a firm's back-of-house team (:mod:`loyaltysim.mechanisms.back_of_house`): every
member's engagement toward the target the culture supports, as a frontline employee's
(:func:`~loyaltysim.mechanisms.employees.engagement_target`, compiled). Both engines call it (the
team is firm-level state, like the managers')."""

from __future__ import annotations

from numba import njit

from loyaltysim.kernels.formulas import engagement_target, next_engagement


@njit(cache=True)
def step_team(engagement, disposition, situation, k):
    """Move each member's ``engagement`` (updated in place) toward
    ``engagement_target(*situation, disposition[r], k)``; returns the team's mean engagement after
    the week (0 for an empty team). ``situation`` is (recognition, trust, transparency, empowered,
    commitment, meaning, overload, pay); ``k`` the packed
    :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`."""
    recognition, trust, transparency, empowered, commitment, meaning, overload, pay = situation
    total = 0.0
    for r in range(len(engagement)):
        target = engagement_target(
            recognition, trust, transparency, empowered, commitment, meaning, overload, pay, disposition[r], k
        )
        engagement[r] = next_engagement(engagement[r], target, k)
        total += engagement[r]
    return total / len(engagement) if len(engagement) else 0.0
