"""The formulas of :mod:`loyaltysim.formulas`, compiled by numba: scalar versions for kernels and
element-wise ufuncs for arrays. Same source, so the engines cannot drift apart."""

from __future__ import annotations

from numba import njit, vectorize

from loyaltysim import formulas as _f

willing_to_resolve = njit(cache=True, inline="always")(_f.willing_to_resolve)
encounter_values = njit(cache=True, inline="always")(_f.encounter_values)
failure_probability = njit(cache=True, inline="always")(_f.failure_probability)
outcome_value = njit(cache=True, inline="always")(_f.outcome_value)
attachment_change = njit(cache=True, inline="always")(_f.attachment_change)

#: Element-wise over arrays of employees (float64).
engagement_target = vectorize(["float64(float64, float64, float64, float64, float64, float64, "
                               "float64)"], cache=True)(_f.engagement_target)
next_engagement = vectorize(["float64(float64, float64, float64)"],
                            cache=True)(_f.next_engagement)
next_skill = vectorize(["float64(float64, float64, float64)"], cache=True)(_f.next_skill)
quit_probability = vectorize(["float64(float64, float64, float64, float64)"],
                             cache=True)(_f.quit_probability)
