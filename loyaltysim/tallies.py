"""The week's per-firm tallies: the counts and sums over customers that both engines produce
(the reference engine with NumPy in :func:`loyaltysim.measure.count_customers`, the numba engine
inside its kernels) and :func:`loyaltysim.measure.firm_rows` turns into metrics.

Each mechanism declares the tallies it adds (``TALLIES`` in its module); the customer base and its
Dick & Basu cells (:data:`BASE_TALLIES`) belong to the measurement itself. :data:`COUNTS` is their
concatenation, the column order of the (F, len(COUNTS)) tally array.
"""

from __future__ import annotations

from loyaltysim.mechanisms import (
    advocacy,
    attachment,
    choice,
    complaints,
    economics,
    encounter,
    failure_memory,
    lapse,
    relationships,
    usage,
)

#: The customer base now and one base window ago (and how much of it is still in the base), and
#: its split into Dick & Basu's cells (attachment x patronage; see :mod:`loyaltysim.metrics`).
BASE_TALLIES = ("base", "base_then", "base_kept", "true_loyal", "spurious_loyal", "latent_loyal", "no_loyal")

COUNTS: tuple[str, ...] = (
    *choice.TALLIES,
    *encounter.TALLIES,
    *relationships.TALLIES,
    *complaints.TALLIES,
    *failure_memory.TALLIES,
    *attachment.TALLIES,
    *advocacy.TALLIES,
    *usage.TALLIES,
    *lapse.TALLIES,
    *economics.TALLIES,
    *BASE_TALLIES,
)
C = {name: k for k, name in enumerate(COUNTS)}

if len(C) != len(COUNTS):
    raise TypeError("two mechanisms declare the same tally")
