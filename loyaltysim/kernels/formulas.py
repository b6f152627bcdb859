"""The formulas of :mod:`loyaltysim.formulas`, compiled by numba: same source, so the engines
cannot drift apart. Compiled lazily on first call and cached on disk."""

from __future__ import annotations

from numba import njit

from loyaltysim import formulas as _f

logit_pick = njit(cache=True)(_f.logit_pick)
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
