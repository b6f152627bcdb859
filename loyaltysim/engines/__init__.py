"""The two engines that advance customers (and staff) by one week.

* ``reference`` (:class:`~loyaltysim.engines.reference.ReferenceEngine`): per-agent Python, the
  ``step`` methods of :mod:`loyaltysim.agents` - the model's readable specification and the oracle
  of the tests.
* ``numba`` (:class:`~loyaltysim.engines.numba_engine.NumbaEngine`, the default): the same week for
  every customer at once in compiled kernels (:mod:`loyaltysim.kernels`).

Both implement :class:`Engine` over the model's shared arrays and give the same numbers (to float
tolerance) for the same scenario and seed; the engine-equivalence tests hold them to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyaltysim.engines.base import Engine, WeekTallies

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel

__all__ = ["ENGINES", "Engine", "WeekTallies", "make_engine"]

ENGINES: tuple[str, ...] = ("numba", "reference")


def make_engine(name: str, model: LoyaltyModel) -> Engine:
    """The engine called ``name`` ('numba' or 'reference'), bound to ``model``."""
    if name == "reference":
        from loyaltysim.engines.reference import ReferenceEngine

        return ReferenceEngine(model)
    if name == "numba":
        from loyaltysim.engines.numba_engine import NumbaEngine

        return NumbaEngine(model)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
