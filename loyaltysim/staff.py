"""Staff as arrays: hiring to the staffing plan, the weekly step of all posts at once, replacements.

The per-agent :meth:`loyaltysim.agents.Employee.step` is the specification; :func:`step_staff` is the
same arithmetic for a whole firm at once, compiled (the numba engine uses it: at a million customers a firm
has thousands of employees, and stepping them one Python object at a time would cost more than
stepping the customers). The engine-equivalence tests hold the two to the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loyaltysim import rng
from loyaltysim.codes import FRONTLINE, MAX_FIRMS, SUPERVISOR
from loyaltysim.kernels.back_of_house import step_team
from loyaltysim.kernels.rng import uniform_ids
from loyaltysim.kernels.staff import Posts, Situation, step_posts
from loyaltysim.mechanisms.back_of_house import supply_shortfall, team_size
from loyaltysim.mechanisms.employees import (
    DISPOSITION_SD,
    HIRE_ENGAGEMENT,
    empowered_share,
    pay_effects,
    staff_draw_id,
)
from loyaltysim.rng import Stream
from loyaltysim.state import StaffArrays

if TYPE_CHECKING:
    from loyaltysim.schema import Firm
    from loyaltysim.state import FirmState


def staff_counts(firm: Firm, customers: int) -> tuple[int, int]:
    """(frontline, supervisors) head counts for a firm in a town of ``customers`` households."""
    frontline = max(1, round(firm.staffing.frontline_per_1000 * customers / 1000.0))
    supervisors = round(firm.staffing.supervisors_per_frontline * frontline)
    return frontline, supervisors


def resize_staff(
    old: StaffArrays, frontline: int, supervisors: int, engagement: float, skill: float, hire: Hiring
) -> StaffArrays:
    """Posts for a new staffing plan: existing posts keep their holders (lowest slots first),
    extra posts are filled by hires with ``engagement``, ``skill`` and the disposition
    ``hire`` draws for them; surplus posts (highest slots) are cut."""
    new = StaffArrays.build(frontline, supervisors)
    new.engagement[:] = engagement
    new.skill[:] = skill
    kept = np.zeros(len(new), dtype=bool)
    for role, count in ((FRONTLINE, frontline), (SUPERVISOR, supervisors)):
        old_rows = np.flatnonzero(old.role == role)[:count]
        new_rows = np.flatnonzero(new.role == role)[: len(old_rows)]
        for name in ("engagement", "skill", "tenure", "disposition", "person", "vacant", "onboarding"):
            getattr(new, name)[new_rows] = getattr(old, name)[old_rows]
        kept[new_rows] = True
    hire.fill(new, np.flatnonzero(~kept))
    return new


#: The tick of the DISPOSITION stream: a constant, so a person's disposition does not depend on
#: the week they were hired.
HIRING_TICK = 0


class Hiring:
    """Who firm ``firm`` hires in week ``week``: each new holder of a post gets the firm's next
    person id (customers' rapport is with a person, not a post) and that person's disposition
    (normal, ``disposition_sd``; stream DISPOSITION keyed by the person id alone) and
    ``onboarding`` weeks of onboarding (:mod:`loyaltysim.mechanisms.turnover`); the firm counts
    the week's hires (``firm.hired``: each costs money)."""

    def __init__(self, seed: int, week: int, firm: FirmState, k: tuple[float, ...], onboarding: int = 0):
        self.seed, self.week, self.firm, self.k = seed, week, firm, k
        self.onboarding = onboarding

    def fill(self, staff: StaffArrays, rows: np.ndarray) -> None:
        """Mark ``rows`` of ``staff`` as filled by new hires this week."""
        if not len(rows):
            return
        # Ids unique across firms (the firm in the low bits), so a customer's rapport names one
        # person of one firm. The disposition is keyed by the person alone, not the week: the
        # firm's k-th hire is the same person in every run of a seed (common random numbers
        # when a lever changes who quits when).
        people = (self.firm.hires + np.arange(len(rows), dtype=np.int64)) * MAX_FIRMS + self.firm.index
        self.firm.hires += len(rows)
        z = rng.normal(self.seed, Stream.DISPOSITION, HIRING_TICK, people)
        staff.disposition[rows] = self.k[DISPOSITION_SD] * z
        staff.person[rows] = people
        staff.vacant[rows] = 0
        staff.onboarding[rows] = self.onboarding
        self.firm.hired += len(rows)


def staff_draw_ids(firm: int, staff: StaffArrays) -> np.ndarray:
    """Ids of a firm's posts in the counter-based draws
    (:func:`loyaltysim.mechanisms.employees.staff_draw_id`)."""
    return staff_draw_id(firm, staff.role.astype(np.int64), staff.slot).astype(np.int64)


def step_staff(
    firm: FirmState, k: tuple[float, ...], seed: int, week: int, quit_key: int | None = None
) -> None:
    """One week for every post of ``firm``: engagement toward its target, skill from training,
    and the decision to quit (``staff.quitting``) - ``Employee.step`` and ``Employee.advance``
    for all posts at once (:func:`loyaltysim.kernels.staff.step_posts`); ``k`` is the packed
    :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`. ``quit_key`` is
    ``rng.stream_key(seed, Stream.QUIT, week)`` when the caller has it already (the same for every
    firm of the week)."""
    staff, culture = firm.staff, firm.params.culture
    if len(staff) == 0:
        return
    if quit_key is None:
        quit_key = rng.stream_key(seed, Stream.QUIT, week)
    draws = uniform_ids(np.uint64(quit_key), staff_draw_ids(firm.index, staff))  # = rng.uniform
    posts = Posts(
        staff.role, staff.slot, staff.engagement, staff.skill, staff.tenure, staff.quitting, staff.disposition
    )
    proc = firm.params.process
    pay, pay_quit = pay_effects(firm.params.staffing.wage_per_week, k)
    at = Situation(
        empowered_share(culture.empowerment.frontline, proc.cost_median, proc.cost_sigma),
        empowered_share(culture.empowerment.supervisor, proc.cost_median, proc.cost_sigma),
        float(firm.recognition_given),
        float(culture.trust),
        float(culture.transparency),
        float(culture.leadership_commitment),
        float(culture.training),
        float(firm.delight_share),
        firm.encounters_by_slot,
        firm.delights_by_slot,
        float(firm.overload),
        pay,
        pay_quit,
    )
    step_posts(posts, draws, at, k)


def staff_back_of_house(
    firm: FirmState, frontline: int, seed: int, k: tuple[float, ...], k_supply: tuple[float, ...]
) -> None:
    """Size firm ``firm``'s back-of-house team to its staffing plan for ``frontline`` frontline
    posts (:func:`loyaltysim.mechanisms.back_of_house.team_size`) and set the supply shortfall
    the plan and the team leave at once: members in the lowest posts stay, new posts start at
    ``hire_engagement``. Post r's disposition is drawn once (normal x ``disposition_sd``; stream
    BACK_OF_HOUSE, keyed by r x 32 + the firm's index), so a resized team keeps its people; the
    back of house's turnover is not modelled. ``k``: packed
    :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`; ``k_supply``: packed
    :class:`~loyaltysim.mechanisms.back_of_house.BackOfHouseCoefficients`."""
    per_frontline = firm.params.staffing.back_of_house_per_frontline
    size = team_size(per_frontline, frontline)
    kept = firm.back_engagement[:size]
    firm.back_engagement = np.concatenate([kept, np.full(size - len(kept), k[HIRE_ENGAGEMENT])])
    posts = np.arange(size, dtype=np.int64) * MAX_FIRMS + firm.index
    firm.back_disposition = k[DISPOSITION_SD] * rng.normal(seed, Stream.BACK_OF_HOUSE, HIRING_TICK, posts)
    mean = float(firm.back_engagement.mean()) if size else 0.0
    firm.supply_shortfall = supply_shortfall(per_frontline, mean, k_supply)


def step_back_of_house(firm: FirmState, k: tuple[float, ...], k_supply: tuple[float, ...]) -> None:
    """One week of firm ``firm``'s back of house, after the frontline's step: each member's
    engagement moves toward the target the culture supports (the frontline's empowerment, the
    firm's share of delighted visits as meaning; :func:`loyaltysim.kernels.back_of_house.step_team`),
    and the team's mean sets the supply shortfall the frontline meets next week
    (:func:`loyaltysim.mechanisms.back_of_house.supply_shortfall`). ``k``: packed
    :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`; ``k_supply``: packed
    :class:`~loyaltysim.mechanisms.back_of_house.BackOfHouseCoefficients`."""
    culture, proc = firm.params.culture, firm.params.process
    pay, _ = pay_effects(firm.params.staffing.wage_per_week, k)
    situation = (
        float(firm.recognition_given),
        float(culture.trust),
        float(culture.transparency),
        empowered_share(culture.empowerment.frontline, proc.cost_median, proc.cost_sigma),
        float(culture.leadership_commitment),
        float(firm.delight_share),
        float(firm.overload),
        pay,
    )
    mean = step_team(firm.back_engagement, firm.back_disposition, situation, k)
    firm.supply_shortfall = supply_shortfall(firm.params.staffing.back_of_house_per_frontline, mean, k_supply)
