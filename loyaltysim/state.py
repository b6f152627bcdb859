"""State owned by the model: customers as struct-of-arrays, firms as small records.

Customer state lives in NumPy arrays with one row per customer (DESIGN.md section 5): ``Customer``
agents are views onto a row, never copies. Each tick reads the arrays as they were at the end of the
previous tick and writes a fresh copy (:meth:`CustomerState.copy`), committed when the tick ends, so
no customer ever sees another's half-updated state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from loyaltysim.schema import Firm

#: ``last_firm``/``choice`` code: no purchase (yet / this week).
NO_PURCHASE = -1

#: Week of "never purchased".
NEVER = -(10**6)

#: Outcome codes of one visit (``TickScratch.outcome``).
OK, ON_SPOT, ESCALATED, UNRESOLVED, SILENT = 0, 1, 2, 3, 4


@dataclass
class CustomerState:
    """Per-customer dynamic state; arrays of shape (n,) or (n, F) with F firms.

    ``last_firm`` and ``history`` use firm indices 0..F-1 and F for a purchase outside the town.
    """

    attachment: np.ndarray  # (n, F) float64, emotional attachment 0-1
    satisfaction: np.ndarray  # (n, F) float64, moving average of experience vs expectation
    aware: np.ndarray  # (n, F) bool, knows the firm exists
    visits: np.ndarray  # (n, F) int32, purchases made there so far
    last_firm: np.ndarray  # (n,) int16, firm of the most recent purchase (NO_PURCHASE: none)
    last_purchase_week: np.ndarray  # (n,) int32
    tenure: np.ndarray  # (n,) int32, consecutive purchases at last_firm
    history: np.ndarray  # (n, W) int16, last W purchases, oldest first (NO_PURCHASE: empty)
    story_firm: np.ndarray  # (n,) int16, firm of the story told this week (NO_PURCHASE: none)
    story_sign: np.ndarray  # (n,) int8, +1 promoter story, -1 detractor story

    @classmethod
    def initial(cls, n: int, n_firms: int, window: int, attachment: float,
                satisfaction: float) -> CustomerState:
        """State at week 0: nobody has bought anything yet."""
        return cls(
            attachment=np.full((n, n_firms), attachment),
            satisfaction=np.full((n, n_firms), satisfaction),
            aware=np.zeros((n, n_firms), dtype=bool),
            visits=np.zeros((n, n_firms), dtype=np.int32),
            last_firm=np.full(n, NO_PURCHASE, dtype=np.int16),
            last_purchase_week=np.full(n, NEVER, dtype=np.int32),
            tenure=np.zeros(n, dtype=np.int32),
            history=np.full((n, window), NO_PURCHASE, dtype=np.int16),
            story_firm=np.full(n, NO_PURCHASE, dtype=np.int16),
            story_sign=np.zeros(n, dtype=np.int8),
        )

    def copy(self) -> CustomerState:
        """A deep copy: the next tick's state, written while this one is read."""
        return CustomerState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


@dataclass
class TickScratch:
    """What happened to each customer this tick; reduced to per-firm and per-employee totals."""

    choice: np.ndarray  # (n,) int16: firm index, F = outside, NO_PURCHASE
    server: np.ndarray  # (n,) int32: frontline slot that served the customer, -1 none
    delighted: np.ndarray  # (n,) bool
    failure: np.ndarray  # (n,) bool
    outcome: np.ndarray  # (n,) int8: OK, ON_SPOT, ESCALATED, UNRESOLVED, SILENT
    handoffs: np.ndarray  # (n,) int8: hand-offs up the chain
    reached: np.ndarray  # (n,) int8: highest level involved (0 frontline, 1 supervisor, 2 manager)
    refund: np.ndarray  # (n,) float64, dollars paid to fix the problem
    spend: np.ndarray  # (n,) float64, dollars spent

    @classmethod
    def empty(cls, n: int) -> TickScratch:
        """Fresh scratch for a tick: nobody bought anything yet."""
        return cls(
            choice=np.full(n, NO_PURCHASE, dtype=np.int16),
            server=np.full(n, -1, dtype=np.int32),
            delighted=np.zeros(n, dtype=bool),
            failure=np.zeros(n, dtype=bool),
            outcome=np.zeros(n, dtype=np.int8),
            handoffs=np.zeros(n, dtype=np.int8),
            reached=np.zeros(n, dtype=np.int8),
            refund=np.zeros(n),
            spend=np.zeros(n),
        )


@dataclass
class FirmState:
    """A store during a run: its current parameters and the state that evolves."""

    index: int
    key: str
    params: Firm
    failure_rate: float
    backlog: float = 0.0
    recognition_given: float = 0.0
    frontline: list = field(default_factory=list)  # Employee agents, slot order
    supervisors: list = field(default_factory=list)
    manager: object | None = None
    # Reductions of the current tick, read by employees and managers.
    visits: int = 0
    overload: float = 0.0
    delight_share: float = 0.0
    encounters_by_slot: np.ndarray = field(default_factory=lambda: np.zeros(0))
    delights_by_slot: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Accumulated since the manager's last review.
    review_visits: int = 0
    review_complaints: int = 0
    review_silent: int = 0
    quits: int = 0

    @property
    def label(self) -> str:
        """Display name."""
        return self.params.label or self.key
