"""The formulas of :mod:`loyaltysim.formulas`, compiled by numba: same source, so the engines
cannot drift apart. Compiled lazily on first call and cached on disk."""

from __future__ import annotations

import types

from numba import njit

from loyaltysim import formulas as _f


def _calling(func, **compiled):
    """``func`` with the formulas it calls by name replaced by their compiled versions (numba can
    only call compiled functions; the source stays the one plain-Python formula)."""
    return types.FunctionType(func.__code__, {**func.__globals__, **compiled}, func.__name__,
                              func.__defaults__, func.__closure__)


logit_weight = njit(cache=True, inline="always")(_f.logit_weight)
logit_pick = njit(cache=True, inline="always")(_calling(_f.logit_pick, logit_weight=logit_weight))
advocacy_expected = njit(cache=True, inline="always")(_f.advocacy_expected)
advocacy_boundaries = njit(cache=True, inline="always")(_f.advocacy_boundaries)
advocacy_class = njit(cache=True, inline="always")(_calling(
    _f.advocacy_class, advocacy_boundaries=advocacy_boundaries))
willing_to_resolve = njit(cache=True, inline="always")(_f.willing_to_resolve)
encounter_values = njit(cache=True, inline="always")(_f.encounter_values)
failure_probability = njit(cache=True, inline="always")(_f.failure_probability)
outcome_value = njit(cache=True, inline="always")(_f.outcome_value)
problem_size_sting = njit(cache=True, inline="always")(_f.problem_size_sting)
attachment_change = njit(cache=True, inline="always")(_f.attachment_change)
engagement_target = njit(cache=True)(_f.engagement_target)
next_engagement = njit(cache=True)(_f.next_engagement)
next_skill = njit(cache=True)(_f.next_skill)
quit_probability = njit(cache=True)(_f.quit_probability)
