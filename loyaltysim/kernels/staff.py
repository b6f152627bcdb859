"""Phase 6 for every post of a firm at once: the arithmetic of ``Employee.step``/``advance``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from loyaltysim.codes import FRONTLINE
from loyaltysim.kernels.formulas import (
    engagement_target,
    next_engagement,
    next_skill,
    separation_probability,
)


class Posts(NamedTuple):
    """A firm's posts (:class:`~loyaltysim.state.StaffArrays`' arrays), updated in place."""

    role: np.ndarray
    slot: np.ndarray
    engagement: np.ndarray
    skill: np.ndarray
    tenure: np.ndarray
    quitting: np.ndarray
    disposition: np.ndarray


class Situation(NamedTuple):
    """What the firm offers its staff this week: the culture and what the week brought."""

    empowered_frontline: float  # share of problems within the frontline's limit
    empowered_supervisor: float
    recognition: float  # recognition given (the manager's last review)
    trust: float
    transparency: float
    commitment: float
    training: float
    delight_share: float  # the firm's share of delighted visits
    encounters: np.ndarray  # visits per frontline slot this week
    delights: np.ndarray  # delighted visits per frontline slot
    overload: float
    pay: float  # engagement term of the wage (employees.pay_effects)
    pay_quit: float  # quit multiplier of the wage


@njit(cache=True)
def step_posts(posts, quit_draws, at, k):
    """Update every post in place: decide quitting from last week's engagement (``quit_draws``
    are the posts' uniform draws), then move engagement toward its target and build skill, in
    the firm's situation ``at`` (:class:`Situation`).

    Meaning for a frontline post is the share of its own customers delighted this week
    (``delights / encounters`` by slot); otherwise the firm's share ``delight_share``. ``k`` is
    the packed :class:`~loyaltysim.mechanisms.employees.EmployeeCoefficients`.
    """
    role, slot, engagement, skill, tenure, quitting, disposition = posts
    encounters, delights = at.encounters, at.delights
    for r in range(len(role)):
        empowered = at.empowered_frontline if role[r] == FRONTLINE else at.empowered_supervisor
        meaning = at.delight_share
        if role[r] == FRONTLINE and encounters[slot[r]] > 0:
            meaning = delights[slot[r]] / encounters[slot[r]]
        target = engagement_target(
            at.recognition,
            at.trust,
            at.transparency,
            empowered,
            at.commitment,
            meaning,
            at.overload,
            at.pay,
            disposition[r],
            k,
        )
        quitting[r] = quit_draws[r] < separation_probability(engagement[r], at.pay_quit, at.trust, k)
        engagement[r] = next_engagement(engagement[r], target, k)
        skill[r] = next_skill(skill[r], at.training, k)
        tenure[r] += 1


@njit(cache=True)
def vacate_posts(onboarding, vacant, quitting, person, tenure, role, n_frontline, wait, hired):
    """:func:`loyaltysim.mechanisms.turnover.vacate_posts` on a firm's post arrays, in two
    passes and without temporary index arrays (at a million customers the NumPy version's small
    calls cost about a millisecond a week): returns (quits, number of rows written to ``hired``,
    a (posts,) int64 buffer, ascending)."""
    posts = len(vacant)
    due = np.zeros(posts, dtype=np.bool_)
    filled, front_quits = 0, 0
    for r in range(posts):
        if onboarding[r] > 0:
            onboarding[r] -= 1
        if vacant[r] > 0:
            quitting[r] = False  # nobody holds an empty post
            vacant[r] -= 1
            due[r] = vacant[r] == 0
        if r < n_frontline and vacant[r] == 0:
            filled += 1
        if quitting[r] and role[r] == FRONTLINE:
            front_quits += 1
    last_one = filled - front_quits <= 0  # every filled frontline post quit: one is refilled
    quits, n_hired = 0, 0
    for r in range(posts):
        if quitting[r]:
            quits += 1
            quitting[r] = False
            waits = wait > 0 and role[r] == FRONTLINE
            if waits and last_one:
                waits, last_one = False, False  # the lowest frontline quitter, at once
            if waits:
                vacant[r] = wait
                person[r] = -1
                tenure[r] = 0
                continue
        elif not due[r]:
            continue
        hired[n_hired] = r
        n_hired += 1
    return quits, n_hired
