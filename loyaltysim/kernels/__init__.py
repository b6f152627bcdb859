"""numba kernels of the fast engine: each steps every customer at once over struct-of-arrays state.

Modules: :mod:`.rng` (the counter-based draws of :mod:`loyaltysim.rng`, bit for bit),
:mod:`.choice` (phase 1), :mod:`.experience` (phases 2-5: encounter, complaint and recovery,
attachment, word of mouth, advertising, plus the per-firm counters the metrics need),
:mod:`.survey` (the sampled NPS survey) and :mod:`.network` (the social-network generator).

Every kernel is ``@njit(cache=True)``. The per-customer ones process fixed chunks of customers
(one compiled chunk function) and come as twins: ``parallel=True`` over chunks for large towns, and
serial for small ones, where waking the thread pool costs more than the work (and much more when
the other cores are busy). Reductions add chunk partials in chunk order, so results do not depend
on the twin or the number of threads (``numba.set_num_threads``).
"""

#: Customers per chunk of a parallel kernel. Partial sums are kept per chunk and added in chunk
#: order, so this - not the thread count - fixes the order of floating-point additions.
CHUNK = 1024

#: Towns at least this big use the parallel twins (when numba has more than one thread). Below it
#: the serial twins run: on a quiet machine two threads gain about 15 % at 10,000-20,000 customers,
#: but when the other core is busy (a test run, a second simulation, the browser) waking the
#: OpenMP threads made a week twice as slow at 20,000 customers - small towns are where the UI and
#: the tests run, so they stay serial.
PARALLEL_FROM = 64 * CHUNK
