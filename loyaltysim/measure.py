"""Compute one week's per-firm metrics from the model's arrays (definitions in metrics.py).

Measurement is a set of reductions over customers, so it is written with NumPy rather than per
agent; both engines share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from loyaltysim.rng import Stream
from loyaltysim.state import ESCALATED, ON_SPOT, SILENT, UNRESOLVED, CustomerState

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel


def advocacy_scores(attachment: np.ndarray, satisfaction: np.ndarray,
                    noise: np.ndarray) -> np.ndarray:
    """Answers 0-10 to "would you recommend us?": attachment weighs most (Dick & Basu; East et al.).

    score = round(5 + 5 x (0.6 attachment + 0.4 satisfaction) + noise), clipped to 0-10, where noise
    is standard normal (the same customer answers a little differently each week). An indifferent,
    merely satisfied customer answers about 6-7 (a passive or mild detractor); only the attached
    reach 9-10.
    """
    raw = 5.0 + 5.0 * (0.6 * attachment + 0.4 * satisfaction) + noise
    return np.clip(np.rint(raw), 0, 10)


def nps(scores: np.ndarray) -> tuple[float, float, int]:
    """(NPS, its standard error, n) of survey answers 0-10; NaN without answers.

    NPS = 100 x (share of 9-10 minus share of 0-6); the standard error is that of a difference of
    two proportions from one multinomial sample: 100 x sqrt((p + d - (p - d)^2) / n).
    """
    n = len(scores)
    if n == 0:
        return float("nan"), float("nan"), 0
    p = float(np.mean(scores >= 9))
    d = float(np.mean(scores <= 6))
    return 100.0 * (p - d), 100.0 * float(np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)), n


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def measure_week(model: LoyaltyModel, previous: CustomerState) -> list[dict[str, Any]]:
    """One row per firm of every metric in :data:`loyaltysim.metrics.FIRM_METRICS`."""
    spec, st, sc = model.spec, model.state, model.scratch
    market = spec.market
    week = model.week
    choice = sc.choice
    occasions = choice >= 0
    total_purchases = int(occasions.sum())
    recent = st.last_purchase_week >= week - market.base_window_weeks + 1
    base_firm = np.where(recent, st.last_firm, -1).astype(np.int16)
    model.base_history.append(base_firm)
    lag = market.base_window_weeks
    old_base = model.base_history[-(lag + 1)] if len(model.base_history) > lag else None
    if len(model.base_history) > lag + 1:
        model.base_history.pop(0)
    window = st.history.shape[1]
    draws = model.customer_draws
    rows = []
    for firm in model.firms:
        f = firm.index
        at_f = choice == f
        in_base = base_firm == f
        n_base = int(in_base.sum())
        came_from_f = occasions & (previous.last_firm == f)
        patronage = (st.history == f).sum(axis=1) / window
        high_a = st.attachment[:, f] >= market.attachment_threshold
        high_p = patronage >= market.patronage_threshold
        scores = advocacy_scores(st.attachment[:, f], st.satisfaction[:, f],
                                 draws.normal(Stream.ADVOCACY, f))
        p_survey = min(1.0, market.survey_size / n_base) if n_base else 0.0
        surveyed = in_base & (draws.uniform(Stream.SURVEY, f) < p_survey)
        score, score_se, score_n = nps(scores[surveyed])
        outcome = sc.outcome[at_f]
        complaints = int(((outcome >= ON_SPOT) & (outcome <= UNRESOLVED)).sum())
        on_spot = int((outcome == ON_SPOT).sum())
        escalated = int((outcome == ESCALATED).sum())
        complained = (outcome >= ON_SPOT) & (outcome <= UNRESOLVED)
        reached = sc.reached[at_f][complained]
        proc, staffing = firm.params.process, firm.params.staffing
        handling = (complaints * proc.handling_frontline
                    + int((reached == 1).sum() + bool(firm.supervisors) * (reached == 2).sum())
                    * proc.handling_supervisor
                    + int((reached == 2).sum()) * proc.handling_manager)
        staff = firm.frontline + firm.supervisors
        engagement = np.array([e.engagement for e in staff])
        revenue = float(sc.spend[at_f].sum())
        refunds = float(sc.refund[at_f].sum())
        trading = firm.params.open  # a closed store has not hired or trained anyone yet
        wages = len(staff) * staffing.wage_per_week * trading
        training = len(staff) * staffing.training_cost * firm.params.culture.training * trading
        backlog_cost = firm.backlog * proc.backlog_cost
        margin = revenue * firm.params.gross_margin
        retention_base = float("nan")
        if old_base is not None:
            retention_base = _ratio(float(((old_base == f) & in_base).sum()),
                                    float((old_base == f).sum()))
        lifetime = (min(520.0, lag / max(1.0 - retention_base, 1e-9))
                    if retention_base == retention_base else float("nan"))
        rows.append({
            "week": week,
            "firm": firm.key,
            "open": bool(firm.params.open),
            "customer_base": n_base,
            "purchases": int(at_f.sum()),
            "market_share": _ratio(float(at_f.sum()), total_purchases),
            "retention_purchase": _ratio(float((came_from_f & at_f).sum()),
                                         float(came_from_f.sum())),
            "retention_base": retention_base,
            "loyalty_rate": _ratio(float((in_base & high_a).sum()), n_base),
            "true_loyal": int((in_base & high_a & high_p).sum()),
            "spurious_loyal": int((in_base & ~high_a & high_p).sum()),
            "latent_loyal": int((in_base & high_a & ~high_p).sum()),
            "no_loyal": int((in_base & ~high_a & ~high_p).sum()),
            "attachment_mean": float(st.attachment[in_base, f].mean()) if n_base else np.nan,
            "satisfaction_mean": float(st.satisfaction[in_base, f].mean()) if n_base else np.nan,
            "nps": score,
            "nps_se": score_se,
            "nps_n": score_n,
            "promoters": int((in_base & (scores >= 9)).sum()),
            "detractors": int((in_base & (scores <= 6)).sum()),
            "failures": int(sc.failure[at_f].sum()),
            "complaints": complaints,
            "silent_failures": int((outcome == SILENT).sum()),
            "resolved_on_spot": on_spot,
            "resolved_escalated": escalated,
            "unresolved": int((outcome == UNRESOLVED).sum()),
            "escalations": int(sc.handoffs[at_f].sum()),
            "recovery_rate": _ratio(on_spot + escalated, complaints),
            "backlog": firm.backlog,
            "overload": firm.overload,
            "failure_rate": firm.failure_rate,
            "staff": len(staff),
            "engagement_mean": float(engagement.mean()),
            "skill_mean": float(np.mean([e.skill for e in staff])),
            "quits": firm.quits,
            "turnover": firm.quits / len(staff),
            "enps": 100.0 * (float(np.mean(engagement >= 0.85)) - float(np.mean(engagement < 0.65))),
            "revenue": revenue,
            "refunds": refunds,
            "wages": wages,
            "training_spend": training,
            "handling_cost": handling,
            "backlog_cost": backlog_cost,
            "profit": margin - refunds - wages - training - handling - backlog_cost,
            "clv": _ratio(margin, n_base) * lifetime if n_base else float("nan"),
        })
    return rows
