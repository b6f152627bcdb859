"""The week's per-firm tallies: the counts and sums over customers that both engines produce
(the reference engine with NumPy in :func:`loyaltysim.measure.count_customers`, the numba engine
inside its kernels) and :func:`loyaltysim.measure.firm_rows` turns into metrics. Each mechanism's
module names the tallies it adds (:mod:`loyaltysim.mechanisms`)."""

from __future__ import annotations

#: Per-firm tallies of one week, in column order of the (F, len(COUNTS)) tally array.
COUNTS: tuple[str, ...] = (
    "purchases",  # purchases at the firm this week
    "came_from",  # purchase occasions of customers whose previous purchase was there
    "came_back",  # ... of which made there again
    "delighted",  # visits whose emotional value reached the delight threshold
    "failures",
    "complaints",
    "silent",
    "on_spot",
    "escalated",
    "unresolved",
    "handoffs",  # hand-offs up the chain
    "reached_supervisor",  # complaints whose highest level was a supervisor
    "reached_manager",  # ... the manager
    "revenue",
    "refunds",  # dollars
    "base",  # customer base (see metrics.py)
    "true_loyal",
    "spurious_loyal",
    "latent_loyal",
    "no_loyal",
    "attachment_sum",
    "satisfaction_sum",  # over the customer base
    "promoters",
    "detractors",  # in the whole customer base
    "base_then",
    "base_kept",  # base of one window ago; of which still in the base
    "surveyed",
    "surveyed_promoters",
    "surveyed_detractors",
)
C = {name: k for k, name in enumerate(COUNTS)}
