"""Which twin of the customer kernels a week runs - serial or parallel - chosen by timing them.

Every per-customer kernel comes as a serial and a parallel twin with bit-identical results
(:mod:`loyaltysim.kernels`), so the choice is about speed only. It depends on the town and on the
machine at the moment: on a quiet two-core machine the parallel twins make a 10,000-customer week
about a third faster, but when the other core is busy (a test run, a second simulation, the
browser) waking the second thread makes the same week about twice as slow. A fixed threshold is
wrong in one of the two cases, so mid-sized towns time both and keep the faster:

- fewer than :data:`TIME_FROM` customers, or one numba thread: always serial;
- at least :data:`PARALLEL_FROM` customers: always parallel (a week there is long enough that
  two threads win even on a loaded machine);
- in between: each twin runs once to load it (not timed), once to be timed, then the faster one
  runs, and every :data:`RECHECK_WEEKS` weeks the other one runs once more, so a change of load
  (the other core becoming busy or free) is noticed within about half a year of model time.
"""

from __future__ import annotations

import numba

from loyaltysim.kernels import CHUNK

#: Towns smaller than this always run the serial twins (a week is a few hundred microseconds).
TIME_FROM = 4 * CHUNK

#: Towns at least this big always run the parallel twins (when numba has more than one thread).
PARALLEL_FROM = 64 * CHUNK

#: Weeks between two re-timings of the slower twin in a mid-sized town.
RECHECK_WEEKS = 26

#: Smoothing of the timing of the twin in use (weight of the newest week).
SMOOTHING = 0.3


class TwinChooser:
    """Picks the twin for each week of one model and learns from the week's measured time."""

    def __init__(self, n_customers: int):
        self.n_customers = n_customers
        self.runs = {False: 0, True: 0}  # weeks run by each twin
        self.seconds: dict[bool, float | None] = {False: None, True: None}  # per week, smoothed
        self.since_check = 0  # weeks since the slower twin last ran
        self.checking = False  # this week's twin is the slower one, run to re-time it

    def pick(self) -> bool:
        """True to run this week's kernels with the parallel twins."""
        self.checking = False
        if self.n_customers < TIME_FROM or numba.get_num_threads() < 2:
            return False
        if self.n_customers >= PARALLEL_FROM:
            return True
        for twin in (False, True):
            if self.seconds[twin] is None:
                return twin  # load it, then time it
        parallel, serial = self.seconds[True], self.seconds[False]
        faster = parallel is not None and serial is not None and parallel < serial
        self.checking = self.since_check >= RECHECK_WEEKS
        return (not faster) if self.checking else faster

    def record(self, parallel: bool, seconds: float) -> None:
        """The week's kernels ran on the ``parallel`` twin (or not) and took ``seconds``."""
        self.runs[parallel] += 1
        if self.runs[parallel] == 1:
            return  # the first run loads the compiled twin from the cache: not its speed
        old = self.seconds[parallel]
        if old is None or self.checking:
            self.seconds[parallel] = seconds  # a re-check replaces the stale figure
            self.since_check = 0
        else:
            self.seconds[parallel] = old + SMOOTHING * (seconds - old)
            self.since_check += 1
