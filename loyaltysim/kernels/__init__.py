"""numba kernels of the fast engine: each steps every customer at once over struct-of-arrays state.

Modules: :mod:`.rng` (the counter-based draws of :mod:`loyaltysim.rng`, bit for bit),
:mod:`.choice` (phase 1), :mod:`.experience` (phases 2-5: encounter, complaint and recovery,
attachment, word of mouth, advertising, the per-firm counters the metrics need and the sampled NPS
survey), :mod:`.staff` (phase 6 for all posts), :mod:`.back_of_house` (phase 6 for a firm's back-of-house
team), :mod:`.formulas` (the model's formulas compiled),
:mod:`.network` (the social-network generator) and :mod:`.cache` (drops cached kernels whose
sources changed).

Every kernel is ``@njit(cache=True)``. The per-customer ones process fixed chunks of customers
(one compiled chunk function) and come as twins made by :func:`twins` from one loop written with
``prange``: ``parallel=True`` over chunks, and serial for small towns, where waking the thread
pool can cost more than the work (much more when the other cores are busy);
:mod:`loyaltysim.engines.twins` picks one per week. Reductions add chunk partials
in chunk order, so results do not depend on the twin or the number of threads
(``numba.set_num_threads``).
"""

#: Customers per chunk of a parallel kernel. Partial sums are kept per chunk and added in chunk
#: order, so this - not the thread count - fixes the order of floating-point additions.
CHUNK = 1024

import inspect  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable  # noqa: E402

from numba import njit  # noqa: E402

from loyaltysim.kernels.cache import drop_stale_kernels  # noqa: E402

drop_stale_kernels()  # before any kernel module loads its compiled code (see kernels.cache)


@njit(cache=True, inline="always")
def non_negative(i: int) -> int:
    """``i`` (an int64 the caller knows is not negative) with its sign bit cleared.

    numba compiles an array access with a signed index as "if negative, add the length"; an
    index whose sign bit is visibly clear lets LLVM drop that code (three instructions an access:
    a quarter of the experience kernel's instructions, benchmarks/RESULTS.md)."""
    return i & 0x7FFFFFFFFFFFFFFF


def without_dims(kernel) -> inspect.Signature:
    """The signature of a compiled twin without its trailing compile-time-constant tuples
    (parameters named ``*_dims``): what its Python wrapper binds its arguments to, by name."""
    params = inspect.signature(kernel.py_func).parameters.values()
    return inspect.Signature([p for p in params if not p.name.endswith("_dims")])


def twins(loop: Callable) -> tuple[Callable, Callable]:
    """The parallel and the serial twin of one kernel, compiled from the same Python function
    ``loop`` written with ``prange`` (which a kernel compiled without ``parallel`` runs as
    ``range``): one body, so the twins cannot drift apart. Each twin compiles a copy of ``loop``
    under its own name (``<loop>_parallel``, ``<loop>_serial``), because numba's on-disk cache is
    keyed by the function's qualified name and signature, not by the ``parallel`` flag: two
    dispatchers of one function would load each other's machine code."""

    def copy(suffix: str) -> Callable:
        f = types.FunctionType(
            loop.__code__, loop.__globals__, loop.__name__ + suffix, loop.__defaults__, loop.__closure__
        )
        f.__qualname__ = loop.__qualname__ + suffix
        f.__module__ = loop.__module__
        f.__doc__ = loop.__doc__
        return f

    return njit(cache=True, parallel=True)(copy("_parallel")), njit(cache=True)(copy("_serial"))
