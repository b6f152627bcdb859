"""Turnover costs: a quit leaves a vacancy for some weeks, a hire costs money and is slow at
first, and the quitter's customer relationships leave with them (Heskett et al. 1994).

* **Vacancy.** A frontline employee who quits leaves the post empty for ``vacancy_weeks`` weeks
  (Davis, Faberman & Haltiwanger 2013: posts take weeks to fill; default 2). An empty post
  serves nobody: a visit that falls to it is served by the next filled post (:func:`serving_posts`), so the
  others carry more of the load and the post's regulars meet someone they do not know. The
  store's capacity counts filled posts only (:func:`effective_frontline`). Supervisors' posts are
  filled at once (from within: a model convention), and a quit that would leave no frontline
  post filled is filled at once too (the store stays open).
* **Hiring cost.** Every hire costs ``hiring_cost_share`` of a year's pay (Boushey & Glynn 2012:
  about 16 % of annual pay for jobs paying under $30,000 a year), metric ``hiring_cost``.
* **Onboarding.** For ``onboarding_weeks`` weeks a hire serves ``onboarding_capacity`` of a full
  employee's visits (they also start at the hiring skill, :mod:`~loyaltysim.mechanisms.employees`).
* **Lost relationships.** Rapport is with a person (:mod:`~loyaltysim.mechanisms.relationships`):
  the quitter's regulars meet the colleague covering the post, then the new hire - strangers both.

No per-customer state and no random draw: everything here is per post and per firm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loyaltysim.codes import FRONTLINE
from loyaltysim.parameters import StrictModel, field_indices, param

if TYPE_CHECKING:
    from loyaltysim.state import StaffArrays


class TurnoverCoefficients(StrictModel):
    """Coefficients of the costs of staff turnover (``behaviour.*``)."""

    vacancy_weeks: int = param(
        2,
        "weeks",
        "Weeks a frontline post stays empty after its holder quits (0: filled at once, as before "
        "issue 17). While empty, its visits go to the next filled post.",
        source="Davis, Faberman & Haltiwanger 2013 (posts take weeks to fill); the value: model convention",
        ge=0,
        le=52,
    )
    hiring_cost_share: float = param(
        0.16,
        "share of a year's pay per hire",
        "Cost of a hire (recruiting, screening, paperwork, the manager's time), as a share of the "
        "post's yearly wage (52 x wage_per_week).",
        source="Boushey & Glynn 2012 (about 16 % of annual pay for jobs under $30,000 a year)",
        ge=0,
        le=5,
    )
    onboarding_weeks: int = param(
        4,
        "weeks",
        "Weeks after hiring during which a new frontline employee serves less than a full load.",
        source="model convention",
        ge=0,
        le=52,
    )
    onboarding_capacity: float = param(
        0.75,
        "share of a full employee",
        "Share of a full employee's capacity that a frontline hire serves while onboarding.",
        source="model convention",
        ge=0.05,
        le=1,
    )


(VACANCY_WEEKS, HIRING_COST_SHARE, ONBOARDING_WEEKS, ONBOARDING_CAPACITY) = field_indices(
    TurnoverCoefficients, "vacancy_weeks", "hiring_cost_share", "onboarding_weeks", "onboarding_capacity"
)

#: Weeks of pay in a year (hiring costs are quoted as a share of annual pay).
WEEKS_PER_YEAR = 52.0


def hiring_cost(hires: int, wage_per_week: float, k) -> float:
    """Dollars that ``hires`` hires cost: hiring_cost_share x a year's wage each."""
    return hires * k[HIRING_COST_SHARE] * WEEKS_PER_YEAR * wage_per_week


def vacate_posts(staff: StaffArrays, wait: int) -> tuple[int, np.ndarray]:
    """The week's quits (``staff.quitting``, decided by the staff step) and vacancies, in place:
    onboarding and vacancies count down a week; a frontline quitter's post stays empty ``wait``
    weeks (the person leaves it: no holder, no tenure), unless it was the last filled frontline
    post (then the lowest such quitter is replaced at once); supervisors' posts are filled at
    once. Returns (quits, the rows to fill with a hire this week, ascending): the quitters who do
    not leave an empty post and the posts whose vacancy ends. ``quitting`` is cleared.

    The specification; :func:`loyaltysim.kernels.staff.vacate_posts` is the compiled twin the
    numba engine calls (the same rows and state, tested)."""
    np.subtract(staff.onboarding, 1, out=staff.onboarding, where=staff.onboarding > 0)
    was_empty = staff.vacant > 0
    staff.quitting[was_empty] = False  # nobody holds an empty post
    quitters = np.flatnonzero(staff.quitting)
    staff.quitting[quitters] = False
    staff.vacant[was_empty] -= 1
    due = np.flatnonzero(was_empty & (staff.vacant == 0))
    leaving = quitters
    if wait > 0:  # frontline posts stay empty for a while; the last filled one never does
        front = quitters[staff.role[quitters] == FRONTLINE]
        still = np.count_nonzero(staff.filled[: staff.n_frontline]) - len(front)
        wait_rows = front[1:] if still <= 0 else front
        staff.vacant[wait_rows] = wait
        staff.person[wait_rows] = -1
        staff.tenure[wait_rows] = 0
        leaving = np.setdiff1d(quitters, wait_rows)
    return len(quitters), np.union1d(leaving, due).astype(np.int64)


def serving_posts(vacant: np.ndarray) -> np.ndarray:
    """For each frontline post (``vacant``: weeks each post stays empty, 0 = filled), the post
    whose holder serves its visits: itself when filled, else the next filled post (cyclically).
    Every post serves itself when none is filled (cannot happen: the last post is never left
    empty)."""
    posts = len(vacant)
    serving = np.arange(posts, dtype=np.int64)
    filled = np.flatnonzero(vacant == 0)
    if len(filled) == posts or len(filled) == 0:
        return serving
    empty = np.flatnonzero(vacant > 0)
    nxt = np.searchsorted(filled, empty)  # the first filled post after each empty one
    serving[empty] = filled[nxt % len(filled)]
    return serving


def effective_frontline(vacant: np.ndarray, onboarding: np.ndarray, k) -> float:
    """Frontline capacity in full employees: filled posts, a hire still onboarding (weeks of
    onboarding left) counting onboarding_capacity. Equals the number of posts when nobody is
    missing or new."""
    filled = vacant == 0
    learning = int(np.count_nonzero(filled & (onboarding > 0)))
    return float(np.count_nonzero(filled) - learning) + learning * k[ONBOARDING_CAPACITY]
