"""The mechanisms' formulas (:mod:`loyaltysim.mechanisms`), compiled by numba: same source, so the
engines cannot drift apart. Compiled lazily on first call and cached on disk; the per-customer ones
are inlined into the kernels' fused loops."""

from __future__ import annotations

import types

from numba import njit

from loyaltysim.mechanisms import (
    advocacy,
    attachment,
    avoidance,
    choice,
    complaints,
    economics,
    employees,
    encounter,
    failure_memory,
    lapse,
    relationships,
    usage,
    word_of_mouth,
)


def _calling(func, **compiled):
    """``func`` with the formulas it calls by name replaced by their compiled versions (numba can
    only call compiled functions; the source stays the one plain-Python formula)."""
    return types.FunctionType(
        func.__code__, {**func.__globals__, **compiled}, func.__name__, func.__defaults__, func.__closure__
    )


def _inline(func):
    return njit(cache=True, inline="always")(func)


logit_weight = _inline(choice.logit_weight)
logit_pick = _inline(_calling(choice.logit_pick, logit_weight=logit_weight))
convenience_utility = _inline(choice.convenience_utility)
emotional_utility = _inline(choice.emotional_utility)
advocacy_expected = _inline(advocacy.advocacy_expected)
advocacy_boundaries = _inline(advocacy.advocacy_boundaries)
advocacy_class = _inline(_calling(advocacy.advocacy_class, advocacy_boundaries=advocacy_boundaries))
complaint_probability = _inline(complaints.complaint_probability)
willing_to_resolve = _inline(complaints.willing_to_resolve)
outcome_value = _inline(complaints.outcome_value)
problem_size = _inline(complaints.problem_size)
problem_size_sting = _inline(complaints.problem_size_sting)
avoidance_utility = _inline(avoidance.avoidance_utility)
faded = _inline(avoidance.faded)
grudge_after = _inline(avoidance.grudge_after)
encounter_values = _inline(encounter.encounter_values)
failure_probability = _inline(encounter.failure_probability)
next_satisfaction = _inline(encounter.next_satisfaction)
perceived = _inline(encounter.perceived)
usual_slot = _inline(relationships.usual_slot)
server_slot = _inline(relationships.server_slot)
rapport_after = _inline(relationships.rapport_after)
rapport_value = _inline(relationships.rapport_value)
attachment_change = _inline(attachment.attachment_change)
remembered_failures = _inline(failure_memory.remembered_failures)
repeat_bonus = _inline(failure_memory.repeat_bonus)
raised_expectation = _inline(failure_memory.raised_expectation)
forgets = _inline(failure_memory.forgets)
memory_after = _inline(failure_memory.memory_after)
story_change = _inline(word_of_mouth.story_change)
usage_step = _inline(usage.usage_step)
segment_of = _inline(usage.segment_of)
lapse_probability = _inline(lapse.lapse_probability)
referral_utility = _inline(economics.referral_utility)
refers = _inline(economics.refers)
cost_to_serve = _inline(economics.cost_to_serve)
engagement_target = njit(cache=True)(employees.engagement_target)
next_engagement = njit(cache=True)(employees.next_engagement)
next_skill = njit(cache=True)(employees.next_skill)
quit_probability = njit(cache=True)(employees.quit_probability)
separation_probability = njit(cache=True)(
    _calling(employees.separation_probability, quit_probability=quit_probability)
)
