"""Management policy: firms that react. At every review (``market.manager_review_weeks``, from
week 1 on) a firm's management looks at what it can observe over the weeks since its last review
- sales (purchases and revenue), profit, overload (visits per frontline employee against
capacity), the failures its managers heard (complaints, and silent failures staff report) - and,
under the policy the scenario declares for the firm (``firms.<id>.policy``), changes its staffing,
training or prices. Never from hidden state (customers' attachment, staff engagement).

* ``fixed`` (the default): nothing changes - the firm is the set of parameters the scenario gives,
  as before issue 17, so the shipped scenarios tell the stories they were written for.
* ``demand_staffing``: frontline staff follow demand - enough posts for the visits at
  ``policy_target_load`` of capacity - within the staff budget (``policy_staff_budget_share`` of
  revenue for wages and training).
* ``cost_cutting``: a fall in profit is answered by cutting costs first - training and a share of
  the frontline (never past ``policy_max_overload``); when sales still fall after costs were cut
  at an earlier review, prices are cut; and staff costs are held within the budget, so falling
  revenue means less money for staff. The seed's "self-perpetuating system of customer failures"
  [E]: under-staffing and under-training drive a firm to compete on price.
* ``customer_focused``: a fall in profit, or more failures heard than ``policy_failure_target``, is
  answered by investing in staff and service - more training, and more frontline staff when the
  store is overloaded (within the staff budget); prices are never cut [C][E].

Every decision is recorded (week, firm, what changed, why): ``model.decisions`` and the weekly
metrics ``decision`` (bit flags below), ``price_index``, ``training`` and ``staff``.
The decision is firm-level Python shared by both engines; it acts through the firm's parameters,
as an event does (:mod:`loyaltysim.events`).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from loyaltysim.parameters import StrictModel, field_indices, param

PolicyName = Literal["fixed", "demand_staffing", "cost_cutting", "customer_focused"]
POLICIES: tuple[str, ...] = ("fixed", "demand_staffing", "cost_cutting", "customer_focused")

#: Bit flags of the weekly ``decision`` metric.
STAFF_CUT, TRAINING_CUT, PRICE_CUT, STAFF_ADDED, TRAINING_ADDED = 1, 2, 4, 8, 16
FLAG_NAMES = {
    STAFF_CUT: "staff cut",
    TRAINING_CUT: "training cut",
    PRICE_CUT: "price cut",
    STAFF_ADDED: "staff added",
    TRAINING_ADDED: "training added",
}


class PolicyCoefficients(StrictModel):
    """Coefficients of management policies (``behaviour.*``); each firm's policy is
    ``firms.<id>.policy``."""

    policy_profit_tolerance: float = param(
        0.01,
        "share of revenue",
        "Profit counts as falling when it is lower than at the previous review by more than this "
        "share of the previous review's revenue (smaller moves are noise to a manager).",
        source="model convention",
        ge=0,
        le=1,
    )
    policy_sales_tolerance: float = param(
        0.02,
        "share",
        "Sales count as falling when purchases are lower than at the previous review by more than "
        "this share.",
        source="model convention",
        ge=0,
        le=1,
    )
    policy_staff_step: float = param(
        0.15,
        "share of frontline posts",
        "Share of the frontline posts cut or added by one decision (at least one post).",
        source="model convention",
        ge=0,
        le=1,
    )
    policy_training_step: float = param(
        0.1,
        "training 0-1",
        "Training effort cut or added by one decision.",
        source="model convention",
        ge=0,
        le=1,
    )
    policy_price_step: float = param(
        0.03,
        "share of the price",
        "Price cut by one decision: price_index x (1 - step) [E].",
        source="model convention ([E]: the price trap)",
        ge=0,
        le=1,
    )
    policy_price_floor: float = param(
        0.7,
        "ratio to market price",
        "Lowest price index a policy cuts to.",
        source="model convention",
        ge=0.2,
        le=5,
    )
    policy_target_load: float = param(
        0.9,
        "share of capacity",
        "Visits per frontline employee, as a share of capacity, that demand staffing and a "
        "customer-focused policy aim for.",
        source="model convention",
        ge=0.05,
        le=5,
    )
    policy_max_overload: float = param(
        2.0,
        "ratio",
        "A cost-cutting policy cuts no frontline post that would push the observed overload "
        "(visits / (frontline x capacity)) above this.",
        source="model convention",
        ge=0.1,
        le=100,
    )
    policy_staff_budget_share: float = param(
        0.2,
        "share of revenue",
        "Staff budget: wages and training may take at most this share of revenue; policies add "
        "no post beyond it, and a cost-cutting policy cuts posts to stay within it.",
        source="model convention",
        ge=0,
        le=10,
    )
    policy_failure_target: float = param(
        1.0,
        "heard failures per 100 visits",
        "Failures heard by managers (complaints, and silent failures staff report) per 100 "
        "visits above which a customer-focused policy invests in training and staff [B][C].",
        source="model convention ([B][C]: managers hear complaints)",
        ge=0,
        le=100,
    )


(
    PROFIT_TOLERANCE,
    SALES_TOLERANCE,
    STAFF_STEP,
    TRAINING_STEP,
    PRICE_STEP,
    PRICE_FLOOR,
    TARGET_LOAD,
    MAX_OVERLOAD,
    STAFF_BUDGET_SHARE,
    FAILURE_TARGET,
) = field_indices(
    PolicyCoefficients,
    "policy_profit_tolerance",
    "policy_sales_tolerance",
    "policy_staff_step",
    "policy_training_step",
    "policy_price_step",
    "policy_price_floor",
    "policy_target_load",
    "policy_max_overload",
    "policy_staff_budget_share",
    "policy_failure_target",
)


class Observed(NamedTuple):
    """What management sees over the weeks since its last review (weekly means) and its firm's
    current levers."""

    weeks: int  # weeks observed
    purchases: float  # purchases per week
    revenue: float  # dollars per week
    profit: float  # dollars per week
    heard: float  # failures heard by managers per week
    frontline: int  # frontline posts
    capacity: float  # visits per frontline employee per week
    cost_per_post: float  # wages and training per frontline post per week, supervisors included
    training: float  # training effort 0-1
    price_index: float


class Decision(NamedTuple):
    """What a review decides: new levers (unchanged when equal), bit flags and the reason."""

    frontline: int
    training: float
    price_index: float
    flags: int
    why: str


def _step_posts(frontline: int, k) -> int:
    return max(1, round(k[STAFF_STEP] * frontline))


def affordable_posts(now: Observed, k) -> int:
    """Frontline posts the staff budget pays for: budget share x revenue / cost per post."""
    if now.cost_per_post <= 0.0:
        return 1_000_000
    return max(1, math.floor(k[STAFF_BUDGET_SHARE] * now.revenue / now.cost_per_post))


def needed_posts(now: Observed, k) -> int:
    """Frontline posts that serve the week's purchases at policy_target_load of capacity."""
    return max(1, math.ceil(now.purchases / (now.capacity * k[TARGET_LOAD])))


def decide(policy: str, now: Observed, before: Observed | None, costs_cut_before: bool, k) -> Decision:
    """The review's decision under ``policy`` from what was observed ``now`` and at the previous
    review (``before``; None at the first review); ``costs_cut_before``: this firm's policy cut
    staff or training at an earlier review. ``k``: packed :class:`PolicyCoefficients`."""
    frontline, training, price = now.frontline, now.training, now.price_index
    flags, why = 0, ""
    if policy == "fixed":
        return Decision(frontline, training, price, 0, "")
    overload = now.purchases / max(1e-9, now.frontline * now.capacity)
    profit_fell = before is not None and before.profit - now.profit > k[PROFIT_TOLERANCE] * before.revenue
    sales_fell = before is not None and now.purchases < before.purchases * (1.0 - k[SALES_TOLERANCE])
    budget = affordable_posts(now, k)
    if policy == "demand_staffing":
        target = min(needed_posts(now, k), max(budget, 1))
        if target != frontline:
            flags |= STAFF_ADDED if target > frontline else STAFF_CUT
            need = needed_posts(now, k)
            why = f"demand of {now.purchases:.0f} visits a week needs {need} posts, the budget pays {budget}"
            frontline = target
    elif policy == "cost_cutting":
        if profit_fell and costs_cut_before and sales_fell and price > k[PRICE_FLOOR]:
            price = max(k[PRICE_FLOOR], price * (1.0 - k[PRICE_STEP]))
            flags |= PRICE_CUT
            why = "profit and sales still falling after cost cuts: compete on price"
        elif profit_fell:
            if training > 0.0:
                training = max(0.0, training - k[TRAINING_STEP])
                flags |= TRAINING_CUT
            cut = min(_step_posts(frontline, k), frontline - 1)
            while cut > 0 and now.purchases / ((frontline - cut) * now.capacity) > k[MAX_OVERLOAD]:
                cut -= 1
            if cut > 0:
                frontline -= cut
                flags |= STAFF_CUT
            why = "profit fell: cut costs (training, staff)"
        if frontline > budget:
            frontline = budget
            flags |= STAFF_CUT
            why = (why + "; " if why else "") + "staff costs over budget: fewer posts"
    elif policy == "customer_focused":
        failures = 100.0 * now.heard / max(1.0, now.purchases)
        if profit_fell or failures > k[FAILURE_TARGET]:
            if training < 1.0:
                training = min(1.0, training + k[TRAINING_STEP])
                flags |= TRAINING_ADDED
            why = "profit fell" if profit_fell else f"{failures:.1f} failures heard per 100 visits"
            why += ": invest in training"
        if overload > k[TARGET_LOAD] and frontline < budget:
            frontline = min(budget, frontline + _step_posts(frontline, k))
            flags |= STAFF_ADDED
            why = (why + "; " if why else "") + f"overloaded ({overload:.2f}): more staff"
    else:  # pragma: no cover - the schema allows only the names above
        raise ValueError(f"unknown policy {policy!r}")
    return Decision(frontline, training, price, flags, why)


def describe(flags: int) -> str:
    """The decision's bit flags in words."""
    return ", ".join(name for bit, name in FLAG_NAMES.items() if flags & bit) or "nothing"
