"""One week's per-firm metrics (definitions in :mod:`loyaltysim.metrics`), in two steps.

1. **Counting** - per-firm tallies over customers (:data:`COUNTS`): a reduction over the population.
   :func:`count_customers` is the readable NumPy version used by the reference engine; the numba
   engine computes the same tallies inside its kernels (:mod:`loyaltysim.kernels.experience`).
2. **Rows** - :func:`firm_rows` turns the tallies plus the firms' own state (staff, backlog, costs)
   into one row per firm of every metric. Both engines share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from loyaltysim.codes import (
    DETRACTOR,
    ESCALATED,
    NO_PURCHASE,
    ON_SPOT,
    PROMOTER,
    SILENT,
    UNRESOLVED,
)
from loyaltysim.mechanisms import economics, employees, turnover
from loyaltysim.mechanisms.advocacy import advocacy_classes, survey_probability
from loyaltysim.mechanisms.failure_memory import COUNT_BITS, MOST_REMEMBERED
from loyaltysim.rng import Stream
from loyaltysim.tallies import COUNTS, C

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel
    from loyaltysim.rng import TickDraws
    from loyaltysim.state import CustomerState, FirmState, TickScratch

__all__ = [
    "COUNTS",
    "BaseRing",
    "C",
    "base_firms",
    "count_customers",
    "firm_rows",
    "nps",
    "survey_probability",
    "week_money",
]


def nps(promoters: float, detractors: float, n: float) -> tuple[float, float, int]:
    """(NPS, its standard error, n) from survey counts; NaN without answers.

    NPS = 100 x (share of 9-10 minus share of 0-6); the standard error is that of a difference of
    two proportions from one multinomial sample: 100 x sqrt((p + d - (p - d)^2) / n).
    """
    if n == 0:
        return float("nan"), float("nan"), 0
    p, d = promoters / n, detractors / n
    return 100.0 * (p - d), 100.0 * float(np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)), int(n)


def base_firms(state: CustomerState, week: int, window: int) -> np.ndarray:
    """Each customer's base firm (int8; -1 none, and customers whose last purchase was outside
    town are in no firm's base): the firm of the latest purchase within ``window`` weeks."""
    recent = state.last_purchase_week >= week - window + 1
    return np.where(recent, state.last_firm, NO_PURCHASE).astype(np.int8)


def count_customers(
    model: LoyaltyModel,
    state: CustomerState,
    previous: CustomerState,
    scratch: TickScratch,
    draws: TickDraws,
    old_base: np.ndarray | None,
    base_firm: np.ndarray,
) -> np.ndarray:
    """The week's per-firm tallies (rows: firms, columns: :data:`COUNTS`), with NumPy.

    ``state`` is the state after this week, ``previous`` the one before; ``old_base`` is the
    base-firm array of one base window ago (None in the first window).
    """
    market = model.spec.market
    k_advocacy = model.k.advocacy
    counts = np.zeros((model.n_firms, len(COUNTS)))
    choice = scratch.choice
    occasions = choice >= 0
    window = state.history.shape[1]
    for f in range(model.n_firms):
        row = counts[f]
        at_f = choice == f
        in_base = base_firm == f
        n_base = int(in_base.sum())
        came_from_f = occasions & (previous.last_firm == f)
        patronage = (state.history == f).sum(axis=1) / window
        # In float64, as the numba engine: NumPy would round a Python-float threshold to float32.
        high_a = state.attachment[:, f].astype(np.float64) >= market.attachment_threshold
        high_p = patronage >= market.patronage_threshold
        answer = advocacy_classes(
            state.attachment[:, f].astype(np.float64),
            state.satisfaction[:, f].astype(np.float64),
            draws.uniform(Stream.ADVOCACY, f),
            k_advocacy,
        )
        surveyed = in_base & (
            draws.uniform(Stream.SURVEY, f) < survey_probability(market.survey_size, n_base)
        )
        outcome = scratch.outcome[at_f]
        complained = (outcome >= ON_SPOT) & (outcome <= UNRESOLVED)
        reached = scratch.reached[at_f][complained]
        memory = previous.failure_memory
        remembered = ((memory >> COUNT_BITS) == f) & ((memory & MOST_REMEMBERED) > 0)
        values = {
            "purchases": at_f.sum(),
            "came_from": came_from_f.sum(),
            "came_back": (came_from_f & at_f).sum(),
            "delighted": scratch.delighted[at_f].sum(),
            "failures": scratch.failure[at_f].sum(),
            "repeat_failures": (scratch.failure & at_f & remembered).sum(),
            "served_by_known": scratch.known[at_f].sum(),
            "lapsed": scratch.lapsed[at_f].sum(),
            "complaints": complained.sum(),
            "silent": (outcome == SILENT).sum(),
            "on_spot": (outcome == ON_SPOT).sum(),
            "escalated": (outcome == ESCALATED).sum(),
            "unresolved": (outcome == UNRESOLVED).sum(),
            "handoffs": scratch.handoffs[at_f].sum(),
            "reached_supervisor": (reached == 1).sum(),
            "reached_manager": (reached == 2).sum(),
            "revenue": scratch.spend[at_f].sum(),
            "refunds": scratch.refund[at_f].sum(),
            "new_customers": scratch.new_customer[at_f].sum(),
            "referred_customers": scratch.referred[at_f].sum(),
            "serve_cost": scratch.serve_cost[at_f].sum(),
            "base": n_base,
            "true_loyal": (in_base & high_a & high_p).sum(),
            "spurious_loyal": (in_base & ~high_a & high_p).sum(),
            "latent_loyal": (in_base & high_a & ~high_p).sum(),
            "no_loyal": (in_base & ~high_a & ~high_p).sum(),
            "attachment_sum": state.attachment[in_base, f].sum(dtype=np.float64),
            "satisfaction_sum": state.satisfaction[in_base, f].sum(dtype=np.float64),
            "promoters": (in_base & (answer == PROMOTER)).sum(),
            "detractors": (in_base & (answer == DETRACTOR)).sum(),
            "base_then": 0 if old_base is None else (old_base == f).sum(),
            "base_kept": 0 if old_base is None else ((old_base == f) & in_base).sum(),
            "surveyed": surveyed.sum(),
            "surveyed_promoters": (surveyed & (answer == PROMOTER)).sum(),
            "surveyed_detractors": (surveyed & (answer == DETRACTOR)).sum(),
        }
        for name, value in values.items():
            row[C[name]] = value
    return counts


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def week_money(model: LoyaltyModel, firm: FirmState, counts: np.ndarray) -> dict[str, float]:
    """The firm's money this week (dollars): revenue, refunds, wages, training, complaint
    handling, backlog cost, hiring cost and profit, from its tallies (``counts``: its row of the
    week's tally array) and its staff, backlog and hires. Booked after phases 6-7 (managers), before
    a management policy's review acts on them (:mod:`loyaltysim.mechanisms.policy`); the rows
    report them."""
    c = dict(zip(COUNTS, counts.tolist(), strict=True))
    proc, staffing = firm.params.process, firm.params.staffing
    staff = firm.staff
    has_supervisors = staff.n_supervisors > 0
    handling = (
        int(c["complaints"]) * proc.handling_frontline
        + int(c["reached_supervisor"] + has_supervisors * c["reached_manager"]) * proc.handling_supervisor
        + int(c["reached_manager"]) * proc.handling_manager
    )
    trading = firm.params.open  # a closed store has not hired or trained anyone yet
    paid = int(np.count_nonzero(staff.filled))  # an empty post draws no wage
    wages = (paid + len(firm.back_engagement)) * staffing.wage_per_week * trading
    training = paid * staffing.training_cost * firm.params.culture.training * trading
    backlog_cost = firm.backlog * proc.backlog_cost
    hiring = turnover.hiring_cost(firm.hired, staffing.wage_per_week, model.k.turnover) * trading
    revenue, refunds = c["revenue"], c["refunds"]
    margin = revenue * firm.params.gross_margin
    new_customers, referred = int(c["new_customers"]), int(c["referred_customers"])
    acquisition = economics.acquisition_spend(new_customers, referred, model.k.economics)
    serving = c["serve_cost"]
    return {
        "revenue": revenue,
        "refunds": refunds,
        "wages": wages,
        "training_spend": training,
        "handling_cost": handling,
        "backlog_cost": backlog_cost,
        "hiring_cost": hiring,
        "acquisition_cost": acquisition,
        "serve_cost": serving,
        "profit": (
            margin - refunds - wages - training - handling - backlog_cost - hiring - acquisition - serving
        ),
    }


def firm_rows(
    model: LoyaltyModel, counts: np.ndarray, total_purchases: int, has_old_base: bool
) -> list[dict[str, Any]]:
    """One row per firm of every metric in :data:`loyaltysim.metrics.FIRM_METRICS`; the money
    columns are the week's :func:`week_money` (``firm.money``, booked before the policy review)."""
    lag = model.spec.market.base_window_weeks
    horizon = float(model.spec.market.clv_horizon_weeks)
    k_employees, k_economics = model.k.employees, model.k.economics
    rows = []
    for firm in model.firms:
        c = dict(zip(COUNTS, counts[firm.index].tolist(), strict=True))
        n_base = int(c["base"])
        complaints = int(c["complaints"])
        staff = firm.staff
        filled = staff.filled
        headcount = max(1, int(np.count_nonzero(filled)))
        engagement = staff.engagement[filled]
        engaged, disengaged = employees.engaged_shares(engagement, k_employees)
        money = firm.money
        margin = money["revenue"] * firm.params.gross_margin
        new_customers, referred = int(c["new_customers"]), int(c["referred_customers"])
        retention_base = _ratio(c["base_kept"], c["base_then"]) if has_old_base else float("nan")
        lifetime = (
            min(horizon, lag / max(1.0 - retention_base, 1e-9))
            if retention_base == retention_base
            else float("nan")
        )
        score, score_se, score_n = nps(c["surveyed_promoters"], c["surveyed_detractors"], c["surveyed"])
        on_spot, escalated = int(c["on_spot"]), int(c["escalated"])
        rows.append(
            {
                "week": model.week,
                "firm": firm.key,
                "open": bool(firm.params.open),
                "customer_base": n_base,
                "purchases": int(c["purchases"]),
                "market_share": _ratio(c["purchases"], total_purchases),
                "retention_purchase": _ratio(c["came_back"], c["came_from"]),
                "retention_base": retention_base,
                "loyalty_rate": _ratio(c["true_loyal"] + c["latent_loyal"], n_base),
                "true_loyal": int(c["true_loyal"]),
                "spurious_loyal": int(c["spurious_loyal"]),
                "latent_loyal": int(c["latent_loyal"]),
                "no_loyal": int(c["no_loyal"]),
                "attachment_mean": _ratio(c["attachment_sum"], n_base),
                "satisfaction_mean": _ratio(c["satisfaction_sum"], n_base),
                "nps": score,
                "nps_se": score_se,
                "nps_n": score_n,
                "promoters": int(c["promoters"]),
                "detractors": int(c["detractors"]),
                "failures": int(c["failures"]),
                "repeat_failures": int(c["repeat_failures"]),
                "complaints": complaints,
                "silent_failures": int(c["silent"]),
                "resolved_on_spot": on_spot,
                "resolved_escalated": escalated,
                "unresolved": int(c["unresolved"]),
                "escalations": int(c["handoffs"]),
                "recovery_rate": _ratio(on_spot + escalated, complaints),
                "relationship_share": _ratio(c["served_by_known"], c["purchases"]),
                "lapsed": int(c["lapsed"]),
                "backlog": firm.backlog,
                "overload": firm.overload,
                "failure_rate": firm.failure_rate,
                "supply_shortfall": firm.supply_shortfall,
                "staff": headcount,
                "vacancies": len(staff) - int(np.count_nonzero(filled)),
                "engagement_mean": float(engagement.sum()) / headcount,
                "skill_mean": float(staff.skill[filled].sum()) / headcount,
                "quits": firm.quits,
                "turnover": firm.quits / headcount,
                "hires": firm.hired,
                "enps": employees.enps(engagement, k_employees),
                "engaged_share": engaged,
                "disengaged_share": disengaged,
                **money,
                "new_customers": new_customers,
                "referred_customers": referred,
                "referral_value": economics.referral_value(referred, k_economics),
                "serve_cost_per_visit": _ratio(money["serve_cost"], c["purchases"]),
                "clv": _ratio(margin, n_base) * lifetime if n_base else float("nan"),
                "price_index": firm.params.price_index,
                "training": firm.params.culture.training,
                "decision": firm.decision,
            }
        )
    return rows


class BaseRing:
    """Each customer's base firm for the last ``lag + 1`` weeks: a ring of int8 rows (1 byte per
    customer and week), enough to tell who is still in a firm's base one window later."""

    def __init__(self, lag: int, n: int, first_week: int = 1):
        self.lag = lag
        self.first_week = first_week  # the first week stored (before 1 with a warm-up)
        self.rows = np.full((lag + 1, n), NO_PURCHASE, dtype=np.int8)

    def now(self, week: int) -> np.ndarray:
        """The row that holds week ``week``'s base firms (a view, to be written)."""
        return self.rows[week % (self.lag + 1)]

    def then(self, week: int) -> np.ndarray | None:
        """Base firms of week ``week - lag`` (None before a whole window has passed)."""
        return self.rows[(week - self.lag) % (self.lag + 1)] if week - self.lag >= self.first_week else None

    def store(self, week: int, base: np.ndarray) -> None:
        """Record week ``week``'s base firms."""
        self.now(week)[:] = base
