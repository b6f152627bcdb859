"""State owned by the model: customers and staff as struct-of-arrays, firms as small records.

Customer state lives in NumPy arrays with one row per customer (docs/design.md section 2); ``Customer``
agents are views onto a row, never copies. Both engines share these arrays and their dtypes.

Dtypes are the narrowest that keep results right (bytes per customer matter at ten million):

* ``attachment`` and ``satisfaction`` are **float32**: they live in 0-1 and move by 1e-3..1e-1 a week;
  float32 resolves 6e-8 there, far below anything the model or its metrics distinguish. Every update
  is computed in float64 and rounded once when stored, identically in both engines, so the engines
  agree exactly; float64 would double the largest arrays (2 x 8 bytes x firms per customer).
* Counters and codes are small integers: firm codes ``int8`` (at most 32 firms, plus the outside
  option), weeks and visit counts ``int16``/``uint16`` (a run has at most 5,200 weeks).
* Money, probabilities and the per-firm and per-employee state stay float64 (they are few).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from loyaltysim.codes import (  # noqa: F401  (re-exported: the codes' old home)
    DETRACTOR,
    ESCALATED,
    FRONTLINE,
    NEVER,
    NO_PURCHASE,
    OK,
    ON_SPOT,
    PASSIVE,
    PROMOTER,
    SILENT,
    SUPERVISOR,
    UNRESOLVED,
)

if TYPE_CHECKING:
    from loyaltysim.agents import Manager
    from loyaltysim.schema import Firm

#: dtype of the emotional state arrays (see the module docstring).
FEELING = np.float32


@dataclass
class CustomerState:
    """Per-customer dynamic state; arrays of shape (n,) or (n, F) with F firms.

    ``last_firm`` and ``history`` use firm indices 0..F-1 and F for a purchase outside the town.
    """

    attachment: np.ndarray  # (n, F) float32, emotional attachment 0-1
    satisfaction: np.ndarray  # (n, F) float32, moving average of experience vs expectation
    aware: np.ndarray  # (n, F) bool, knows the firm exists
    visits: np.ndarray  # (n, F) uint16, purchases made there so far
    last_firm: np.ndarray  # (n,) int8, firm of the most recent purchase (NO_PURCHASE: none)
    last_purchase_week: np.ndarray  # (n,) int16 (NEVER: none)
    tenure: np.ndarray  # (n,) int16, consecutive purchases at last_firm
    history: np.ndarray  # (n, W) int8, last W purchases, oldest first (NO_PURCHASE: empty)
    story_firm: np.ndarray  # (n,) int8, firm of the story told last week (NO_PURCHASE: none)
    story_sign: np.ndarray  # (n,) int8, +1 promoter story, -1 detractor story
    rapport: np.ndarray  # (n,) float32, rapport 0-1 with the customer's usual employee
    rapport_person: (
        np.ndarray
    )  # (n,) int32, id of that employee (StaffArrays.person, unique across firms; -1 none)
    segment: np.ndarray  # (n,) int8, usage segment (population.SEGMENTS; mechanisms/usage.py)
    generation: np.ndarray  # (n,) uint8, newcomers the row has had (mechanisms/lapse.py; wraps)
    failure_memory: (
        np.ndarray
    )  # (n,) uint8, firm of the latest failure (high 5 bits), failures remembered there (low 3)
    referral_firm: np.ndarray  # (n,) int8, firm of a promoter's story not yet acted on (-1 none)
    grudge: np.ndarray  # (n,) uint8, store avoided (high 5 bits), level 0-7 (mechanisms/avoidance.py)

    @classmethod
    def initial(
        cls,
        n: int,
        n_firms: int,
        window: int,
        attachment: float,
        satisfaction: float,
        segment: np.ndarray | None = None,
    ) -> CustomerState:
        """State at week 0: nobody has bought anything yet. ``segment``: the usage segments drawn
        at creation (:func:`loyaltysim.population.make_population`; all regular if None); the
        state takes the array itself, not a copy."""
        return cls(
            attachment=np.full((n, n_firms), attachment, dtype=FEELING),
            satisfaction=np.full((n, n_firms), satisfaction, dtype=FEELING),
            aware=np.zeros((n, n_firms), dtype=bool),
            visits=np.zeros((n, n_firms), dtype=np.uint16),
            last_firm=np.full(n, NO_PURCHASE, dtype=np.int8),
            last_purchase_week=np.full(n, NEVER, dtype=np.int16),
            tenure=np.zeros(n, dtype=np.int16),
            history=np.full((n, window), NO_PURCHASE, dtype=np.int8),
            story_firm=np.full(n, NO_PURCHASE, dtype=np.int8),
            story_sign=np.zeros(n, dtype=np.int8),
            rapport=np.zeros(n, dtype=FEELING),
            rapport_person=np.full(n, -1, dtype=np.int32),
            segment=np.zeros(n, dtype=np.int8) if segment is None else segment.astype(np.int8, copy=False),
            generation=np.zeros(n, dtype=np.uint8),
            failure_memory=np.zeros(n, dtype=np.uint8),
            referral_firm=np.full(n, -1, dtype=np.int8),
            grudge=np.zeros(n, dtype=np.uint8),
        )

    def copy(self) -> CustomerState:
        """A deep copy: the next tick's state, written while this one is read."""
        return CustomerState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def arrays(self) -> CustomerArrays:
        """The same arrays as one named tuple, as the numba kernels take them (one argument)."""
        return CustomerArrays(*(getattr(self, f.name) for f in fields(self)))


class CustomerArrays(NamedTuple):
    """Every array of :class:`CustomerState`, in its order, as one argument of the numba kernels
    (checked below: a state array added to the dataclass but not here fails at import)."""

    attachment: np.ndarray
    satisfaction: np.ndarray
    aware: np.ndarray
    visits: np.ndarray
    last_firm: np.ndarray
    last_purchase_week: np.ndarray
    tenure: np.ndarray
    history: np.ndarray
    story_firm: np.ndarray
    story_sign: np.ndarray
    rapport: np.ndarray
    rapport_person: np.ndarray
    segment: np.ndarray
    generation: np.ndarray
    failure_memory: np.ndarray
    referral_firm: np.ndarray
    grudge: np.ndarray


if CustomerArrays._fields != tuple(f.name for f in fields(CustomerState)):
    raise TypeError("CustomerArrays must list CustomerState's fields, in order")


@dataclass
class TickScratch:
    """What happened to each customer this tick; reduced to per-firm and per-employee totals."""

    choice: np.ndarray  # (n,) int8: firm index, F = outside, NO_PURCHASE
    server: np.ndarray  # (n,) int32: frontline slot that served the customer, -1 none
    delighted: np.ndarray  # (n,) bool
    known: np.ndarray  # (n,) bool, served by an employee the customer already knew
    failure: np.ndarray  # (n,) bool
    outcome: np.ndarray  # (n,) int8: OK, ON_SPOT, ESCALATED, UNRESOLVED, SILENT
    handoffs: np.ndarray  # (n,) int8: hand-offs up the chain
    reached: np.ndarray  # (n,) int8: highest level involved (0 frontline, 1 supervisor, 2 manager)
    refund: np.ndarray  # (n,) float64, dollars paid to fix the problem
    problem_cost: np.ndarray  # (n,) float64, dollars to fix the problem after a failure
    spend: np.ndarray  # (n,) float64, dollars spent
    lapsed: np.ndarray  # (n,) bool, left the category after this week's purchase (a newcomer follows)
    new_customer: np.ndarray  # (n,) bool, first purchase ever at the firm
    referred: np.ndarray  # (n,) bool, that first purchase followed a promoter's story about the firm
    serve_cost: np.ndarray  # (n,) float64, dollars it cost the firm to serve the visit

    @classmethod
    def empty(cls, n: int) -> TickScratch:
        """Fresh scratch for a tick: nobody bought anything yet."""
        return cls(
            choice=np.full(n, NO_PURCHASE, dtype=np.int8),
            server=np.full(n, -1, dtype=np.int32),
            delighted=np.zeros(n, dtype=bool),
            known=np.zeros(n, dtype=bool),
            failure=np.zeros(n, dtype=bool),
            outcome=np.zeros(n, dtype=np.int8),
            handoffs=np.zeros(n, dtype=np.int8),
            reached=np.zeros(n, dtype=np.int8),
            refund=np.zeros(n),
            problem_cost=np.zeros(n),
            spend=np.zeros(n),
            lapsed=np.zeros(n, dtype=bool),
            new_customer=np.zeros(n, dtype=bool),
            referred=np.zeros(n, dtype=bool),
            serve_cost=np.zeros(n),
        )


@dataclass(frozen=True)
class WeekVisits:
    """What each customer did in the week just stepped, one row per customer id.

    The raw material of individual-level analyses: transaction exports (customer, week, dollars),
    complaint outcomes against later repurchase, recovery histories. Both engines fill it
    identically. The arrays belong to the engine and are overwritten by the next step: copy what
    you keep.
    """

    firm: np.ndarray  # (n,) int8: firm index, F = bought outside the town, -1 = no purchase
    spend: np.ndarray  # (n,) float32, dollars spent at a firm (0 outside or without purchase)
    outcome: np.ndarray  # (n,) int8: OK (no failure), ON_SPOT, ESCALATED, UNRESOLVED, SILENT
    problem_cost: np.ndarray  # (n,) float32, dollars to fix the problem after a failure, else 0


@dataclass
class StaffArrays:
    """One firm's employees as arrays, one row per post: frontline posts first, then supervisors.

    A post keeps its row when its holder quits and is replaced, so the counter-based draws keyed by
    (firm, role, slot) stay put. ``Employee`` agents are views onto a row.
    """

    n_frontline: int  # frontline posts (rows 0..n_frontline-1)
    role: np.ndarray  # (k,) int8: FRONTLINE or SUPERVISOR
    slot: np.ndarray  # (k,) int32: index within the role
    engagement: np.ndarray  # (k,) float64, 0-1
    skill: np.ndarray  # (k,) float64, 0-1
    tenure: np.ndarray  # (k,) int32, weeks in post
    quitting: np.ndarray  # (k,) bool, decided to quit this week
    disposition: np.ndarray  # (k,) float64, the holder's own shift of the engagement target
    person: np.ndarray  # (k,) int32, the holder's id, unique across firms (customers' rapport is with them)
    vacant: np.ndarray  # (k,) int16, weeks the post stays empty after a quit (0: filled; turnover)
    onboarding: np.ndarray  # (k,) int16, weeks of onboarding its holder has left (turnover)

    @classmethod
    def build(cls, frontline: int, supervisors: int) -> StaffArrays:
        """Empty posts: ``frontline`` frontline rows, then ``supervisors`` supervisor rows."""
        k = frontline + supervisors
        return cls(
            n_frontline=frontline,
            role=np.repeat(np.array([FRONTLINE, SUPERVISOR], dtype=np.int8), [frontline, supervisors]),
            slot=np.concatenate([np.arange(frontline), np.arange(supervisors)]).astype(np.int32),
            engagement=np.zeros(k),
            skill=np.zeros(k),
            tenure=np.zeros(k, dtype=np.int32),
            quitting=np.zeros(k, dtype=bool),
            disposition=np.zeros(k),
            person=np.full(k, -1, dtype=np.int32),
            vacant=np.zeros(k, dtype=np.int16),
            onboarding=np.zeros(k, dtype=np.int16),
        )

    @property
    def n_supervisors(self) -> int:
        """Number of supervisor posts."""
        return len(self.role) - self.n_frontline

    @property
    def filled(self) -> np.ndarray:
        """Rows whose post has a holder (not left empty by a quit)."""
        return self.vacant == 0

    def row(self, role: int, slot: int) -> int:
        """Row of post ``slot`` of ``role``."""
        return slot if role == FRONTLINE else self.n_frontline + slot

    def __len__(self) -> int:
        return len(self.role)


@dataclass
class FirmState:
    """A store during a run: its current parameters and the state that evolves."""

    index: int
    key: str
    params: Firm
    failure_rate: float
    backlog: float = 0.0
    recognition_given: float = 0.0
    staff: StaffArrays = field(default_factory=lambda: StaffArrays.build(0, 0))
    frontline: list = field(default_factory=list)  # Employee agents (views), slot order
    supervisors: list = field(default_factory=list)
    manager: Manager | None = None
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
    hires: int = 0  # people hired so far (the next person id)
    # The back of house (mechanisms/back_of_house.py): engagement and disposition per post, and
    # the supply shortfall 0-1 it leaves the frontline (set once a week, read by the encounter).
    back_engagement: np.ndarray = field(default_factory=lambda: np.zeros(0))
    back_disposition: np.ndarray = field(default_factory=lambda: np.zeros(0))
    supply_shortfall: float = 0.0
    quits: int = 0
    # Turnover and management policy (mechanisms.turnover, mechanisms.policy).
    serving: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # post serving each post
    hired: int = 0  # people hired this week
    decision: int = 0  # the policy's decision this week (bit flags, mechanisms.policy)
    review_money: np.ndarray = field(default_factory=lambda: np.zeros(4))  # since the last review
    last_review: tuple = ()  # (what the policy saw at its previous review, costs cut before)
    money: dict = field(default_factory=dict)  # this week's money (measure.week_money)

    @property
    def label(self) -> str:
        """Display name."""
        return self.params.label or self.key
