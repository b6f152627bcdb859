"""A memory of failures: a customer remembers recent failures at a store, and a second failure is
not forgiven like the first.

Maxham & Netemeyer (2002) followed complaining customers through two failures: after a first
failure recovered well, satisfaction ended above its level before (the recovery paradox); after a
second, even a good recovery no longer lifted it - the customer had learnt to expect problems.
The model gives each customer one memory at a time (the latest, as with rapport): the firm of
their latest failure and how many failures there they still remember (0-7). With m failures
remembered at the firm of a visit:

* the recovery bonus of a problem fixed there shrinks: recovery_bonus x max(0, 1 -
  repeat_recovery_cut x m) - a second failure fixed on the spot lifts less than the first;
* expectations rise: the satisfaction target of every visit there uses the customer's expectation
  + repeat_expectation x m.

A failure there adds one to m (a failure elsewhere replaces the memory: that firm, m = 1); each
failure-free visit there forgets one with chance ``failure_memory_fade``. That chance reuses the
visit's failure draw u (stream ``FAILURE``): without a failure u is uniform on [p_fail, 1), so
u >= 1 - fade x (1 - p_fail) has probability ``fade`` exactly and needs no draw of its own.

State: ``failure_memory``, one byte per customer: the firm in the high five bits (at most 32
firms), the count in the low three. Tallies: ``repeat_failures``.
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param

#: Bits of the count in the memory byte; the firm is in the bits above (codes.MAX_FIRMS = 32).
COUNT_BITS = 3
#: Most failures remembered.
MOST_REMEMBERED = (1 << COUNT_BITS) - 1


class FailureMemoryCoefficients(StrictModel):
    """Coefficients of the memory of failures (``behaviour.*``)."""

    repeat_recovery_cut: float = param(
        0.5,
        "share of the recovery bonus per remembered failure",
        "How much each earlier failure the customer remembers at the firm shrinks the recovery "
        "bonus of a new one: recovery_bonus x max(0, 1 - repeat_recovery_cut x remembered); with "
        "0.5 a second failure fixed on the spot lifts half as much as the first, a third not at "
        "all (0 = no memory: every recovery lifts as the first).",
        source="Maxham & Netemeyer 2002 (the direction); model convention",
        ge=0,
        le=1,
    )
    repeat_expectation: float = param(
        0.05,
        "expectation 0-1 per remembered failure",
        "Rise of the customer's expectation at a firm per failure remembered there: the "
        "satisfaction target of a visit uses expectation + repeat_expectation x remembered "
        "(a customer let down before expects less to go right and judges harder).",
        source="Maxham & Netemeyer 2002 (the direction); model convention",
        ge=0,
        le=1,
    )
    failure_memory_fade: float = param(
        0.1,
        "probability per failure-free visit",
        "Chance that a failure-free visit at the remembered firm makes the customer forget one "
        "remembered failure there (0.1: about ten good visits per failure).",
        source="model convention",
        ge=0,
        le=1,
    )


(REPEAT_RECOVERY_CUT, REPEAT_EXPECTATION, FAILURE_MEMORY_FADE) = field_indices(
    FailureMemoryCoefficients, "repeat_recovery_cut", "repeat_expectation", "failure_memory_fade"
)

#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): failures of
#: customers who remembered an earlier failure at the same firm.
TALLIES = ("repeat_failures",)


def remembered_failures(memory: int, firm: int) -> int:
    """Failures the customer remembers at ``firm`` (0 when the memory is of another firm)."""
    return memory & MOST_REMEMBERED if (memory >> COUNT_BITS) == firm else 0


def repeat_bonus(bonus: float, remembered: int, k) -> float:
    """The recovery bonus after ``remembered`` earlier failures at the firm: bonus x max(0, 1 -
    repeat_recovery_cut x remembered) (Maxham & Netemeyer 2002). ``bonus`` exactly when
    nothing is remembered. ``k``: packed :class:`FailureMemoryCoefficients`."""
    return bonus * max(0.0, 1.0 - k[REPEAT_RECOVERY_CUT] * remembered)


def raised_expectation(expectation: float, remembered: int, k) -> float:
    """The customer's expectation at a firm where they remember ``remembered`` failures."""
    return expectation + k[REPEAT_EXPECTATION] * remembered


def forgets(u: float, p_fail: float, k) -> bool:
    """Whether a failure-free visit forgets one remembered failure, from the visit's failure
    draw ``u`` (>= ``p_fail``, so uniform on [p_fail, 1)): the top share ``failure_memory_fade``
    of that range."""
    return u >= 1.0 - k[FAILURE_MEMORY_FADE] * (1.0 - p_fail)


def memory_after(memory: int, firm: int, remembered: int, failed: bool, forgot: bool) -> int:
    """The memory byte after a visit to ``firm`` (``remembered``: its count there before): a
    failure adds one (up to 7) - a failure at another firm replaces the memory -, a forgetting
    visit takes one off, any other visit leaves it as it was."""
    if failed:
        return (firm << COUNT_BITS) | min(MOST_REMEMBERED, remembered + 1)
    if forgot and remembered > 0:
        return (firm << COUNT_BITS) | (remembered - 1)
    return memory
