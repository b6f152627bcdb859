"""Plausibility: do the shipped scenarios' outputs lie inside the ranges real stores show?

The ranges of the project's ``realism.md`` (published benchmarks and studies, docs/sources.md) are
data here (:mod:`.ranges`): :data:`RANGES`, one row per quantity with its typical, best and worst
ranges and the source. Each row carries the function that computes the simulated value from a
run's weekly per-firm table (:mod:`.quantities`). A scenario is checked against the *widest
plausible* range of every quantity - from the lowest to the highest bound of its typical, best
and worst ranges (the gaps between those published ranges are not implausible values; a store can
have an NPS of +50) - and against the heterogeneity criteria of issue 16 (:data:`CRITERIA`). The
class each shipped scenario is expected to fall in (typical, best or worst store) is declared
once, in :data:`EXPECTED` (both in :mod:`.criteria`); it is shown beside the value, and whether
the value is also inside its class's range is reported, but only the widest range decides.

Measurement (:mod:`.measure`: :func:`measure`, :func:`measure_scenario`): the shipped scenario
runs with the given customers, seeds and engine; over a steady-state window - by default the 52
weeks before the first event, or the last 52 weeks of a scenario without events - the quantities
are computed for every firm open throughout the window; the attachment spread is read from the
customers' state at the window's last week (the run stops there). Each quantity is averaged over
seeds, with the lowest and highest seed's value beside it.

``loyaltysim validate --plausibility [--quick]`` writes the section "Plausibility against
published ranges" of ``docs/validation.md`` (:mod:`.report`: :func:`write_plausibility`); the
rest of the file is left as it is. ``tests/test_plausibility.py`` checks every shipped scenario
(slow tier).
"""

from __future__ import annotations

from loyaltysim.validation.plausibility.criteria import (
    CRITERIA,
    EXPECTED,
    Check,
    Criterion,
    Expectation,
    check_attachment_sd,
    check_dick_basu,
    check_engaged_share,
    check_loyalty_rate,
)
from loyaltysim.validation.plausibility.measure import (
    FULL_SIZE,
    QUICK_SIZE,
    ScenarioMeasurement,
    measure,
    measure_scenario,
    opening_week,
    rival_revenue_loss,
    run_plausibility,
    steady_window,
)
from loyaltysim.validation.plausibility.quantities import (
    CELLS,
    HIGH_PATRONAGE_CELLS,
    OPENING_WEEKS,
    attachment_sd,
    cell_share,
    complaint_share,
    disengaged_share,
    engaged_share,
    loyalty_rate,
    nps_base,
    problems_per_visit,
    staff_cost_share,
    yearly_turnover,
)
from loyaltysim.validation.plausibility.ranges import (
    CHECKED_ELSEWHERE,
    CLASSES,
    OPENING_QUANTITIES,
    QUANTITIES,
    RANGE_BY_KEY,
    RANGES,
    WEEKLY_QUANTITIES,
    Band,
    Class,
    PublishedRange,
)
from loyaltysim.validation.plausibility.report import (
    SECTION_TITLE,
    SYSTEMATIC_MISSES,
    class_misses_text,
    plausibility_markdown,
    plausibility_table,
    write_plausibility,
)

__all__ = [
    "CELLS",
    "CHECKED_ELSEWHERE",
    "CLASSES",
    "CRITERIA",
    "EXPECTED",
    "FULL_SIZE",
    "HIGH_PATRONAGE_CELLS",
    "OPENING_QUANTITIES",
    "OPENING_WEEKS",
    "QUANTITIES",
    "QUICK_SIZE",
    "RANGES",
    "RANGE_BY_KEY",
    "SECTION_TITLE",
    "SYSTEMATIC_MISSES",
    "WEEKLY_QUANTITIES",
    "Band",
    "Check",
    "Class",
    "Criterion",
    "Expectation",
    "PublishedRange",
    "ScenarioMeasurement",
    "attachment_sd",
    "cell_share",
    "check_attachment_sd",
    "check_dick_basu",
    "check_engaged_share",
    "check_loyalty_rate",
    "class_misses_text",
    "complaint_share",
    "disengaged_share",
    "engaged_share",
    "loyalty_rate",
    "measure",
    "measure_scenario",
    "nps_base",
    "opening_week",
    "plausibility_markdown",
    "plausibility_table",
    "problems_per_visit",
    "rival_revenue_loss",
    "run_plausibility",
    "staff_cost_share",
    "steady_window",
    "write_plausibility",
    "yearly_turnover",
]
