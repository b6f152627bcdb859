"""Internal customers: the back of house - stock room, kitchen, logistics - serves the frontline,
and how well it does shows at the counter.

A customer-facing employee is served by the rest of the organisation [B]; internal service
quality is the first link of the service-profit chain (Heskett et al. 1994). Each firm has a
back-of-house team of ``staffing.back_of_house_per_frontline`` people per frontline employee
(at least one when the ratio is above 0). Their engagement moves toward the target the firm's
culture supports, as a frontline employee's does (phase 6: the same
:func:`~loyaltysim.mechanisms.employees.engagement_target`, with the frontline's empowerment, the
firm's share of delighted visits as meaning, and each person's own disposition, drawn once per
post); they do not quit (their turnover is not modelled).

Once a week, after the staff step, the team sets the firm's **supply shortfall** (0 = the
frontline has what it needs, 1 = nothing arrives):

    coverage  = min(1, back_of_house_per_frontline / back_of_house_need)
    shortfall = 1 - coverage x min(1, mean engagement / supply_engagement)

and next week every visit there reads it: stock-outs add stockout_failure x shortfall to the
chance of a failure (most out-of-stocks arise in the store's own ordering and shelf replenishment:
Gruen, Corsten & Bharadwaj 2002), and delays cool the encounter - warmth x (1 - delay_warmth x
shortfall). Firm-level and computed once a week: no per-customer state, no draw per visit.
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param


class BackOfHouseCoefficients(StrictModel):
    """Coefficients of the back of house, the frontline's internal suppliers (``behaviour.*``)."""

    back_of_house_need: float = param(
        0.25,
        "back-of-house staff per frontline employee",
        "Back-of-house head count per frontline employee that keeps the frontline fully "
        "supplied; a staffing plan with fewer leaves a shortfall in proportion.",
        source="model convention",
        ge=0.01,
        le=10,
    )
    supply_engagement: float = param(
        0.7,
        "engagement 0-1",
        "Mean back-of-house engagement at or above which the frontline is fully supplied (the "
        "default is Gallup's 'engaged' line, behaviour.engaged_threshold); below it supply falls "
        "in proportion: a disengaged back of house serves its internal customers badly.",
        source="[B]; Heskett et al. 1994; Gallup",
        ge=0.01,
        le=1,
    )
    stockout_failure: float = param(
        0.03,
        "probability per visit",
        "Chance of a failure (an item out of stock, an order not ready) that a total supply "
        "shortfall adds to every visit: p_fail + stockout_failure x shortfall.",
        source="Gruen, Corsten & Bharadwaj 2002 (out-of-stocks arise mostly in the store); [B]; "
        "model convention",
        ge=0,
        le=1,
    )
    delay_warmth: float = param(
        0.2,
        "share of warmth",
        "Share of an encounter's warmth lost at a total supply shortfall (the employee chases "
        "stock, the customer waits): warmth x (1 - delay_warmth x shortfall).",
        source="Heskett et al. 1994 (internal service quality); [B]; model convention",
        ge=0,
        le=1,
    )


(BACK_OF_HOUSE_NEED, SUPPLY_ENGAGEMENT, STOCKOUT_FAILURE, DELAY_WARMTH) = field_indices(
    BackOfHouseCoefficients, "back_of_house_need", "supply_engagement", "stockout_failure", "delay_warmth"
)


def team_size(per_frontline: float, frontline: int) -> int:
    """Back-of-house head count of a firm: per_frontline x frontline, rounded, and at least one
    when per_frontline is above 0 (so a small store's plan is not rounded away)."""
    if per_frontline <= 0.0:
        return 0
    return max(1, round(per_frontline * frontline))


def supply_shortfall(per_frontline: float, mean_engagement: float, k) -> float:
    """The firm's supply shortfall 0-1 (module docstring): 1 - coverage x min(1, mean
    engagement / supply_engagement), coverage = min(1, per_frontline / back_of_house_need).
    ``k``: packed :class:`BackOfHouseCoefficients`."""
    coverage = min(1.0, per_frontline / k[BACK_OF_HOUSE_NEED])
    return 1.0 - coverage * min(1.0, mean_engagement / k[SUPPLY_ENGAGEMENT])


def stockout_chance(shortfall: float, k) -> float:
    """Failure probability that the shortfall adds to every visit."""
    return k[STOCKOUT_FAILURE] * shortfall


def supplied_warmth(shortfall: float, k) -> float:
    """Share of the encounter's warmth left after delays (1 with nothing short)."""
    return 1.0 - k[DELAY_WARMTH] * shortfall
