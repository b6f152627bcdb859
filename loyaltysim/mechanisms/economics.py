"""The economics of loyal customers: what winning, keeping and serving a customer costs, and what
referrals bring (Reichheld & Sasser 1990; Reichheld 1996).

Reichheld's profit per customer by year of tenure stacks an **acquisition cost** (year 0), a base
profit, revenue growth, **cost savings**, **referrals** and a price premium. The model already has
revenue growth (attached customers buy more, ``customers.spend_lift``) and, through the choice,
who stays; this module adds the rest that a store can show:

* **Acquisition cost** - every customer's first purchase at a firm (``visits`` was 0) is a *new
  customer*; one won without a referral costs the firm ``acquisition_cost`` dollars (advertising,
  introductory offers and setting up the relationship, spread over the customers won).
* **Referrals that bring customers** - a promoter's story about a firm the listener has never
  bought at (word of mouth, :mod:`loyaltysim.mechanisms.word_of_mouth`) leaves a *pending
  referral* to that firm (``CustomerState.referral_firm``, one byte). At the listener's next
  purchase occasion the referred firm's utility gains ``referral_pull`` (a recommendation gets an
  untried store a trial; East, Hammond & Lomax 2008); whatever the customer then buys, the
  referral is used up. A first purchase at the referred firm counts as a *referred customer*: it
  costs no acquisition spend (Reichheld 1996: referred customers come without it), and what it
  saves is the referral's value.
* **Cost to serve falling with tenure** - every visit costs the firm ``serve_cost`` dollars at a
  customer's first (or first after switching) purchase, less ``serve_learning`` of it for every
  consecutive earlier purchase there, down to ``serve_floor`` of it: regulars know the store and
  need less help ("loyal customers are easier to serve", [A]; Reichheld & Sasser 1990).

**Forgiveness**, the last of Reichheld's and seed [A]'s benefits of loyalty, is a coefficient of
attachment (``behaviour.forgiveness``, :mod:`loyaltysim.mechanisms.attachment`): attachment
dampens a failure's sting. The price premium is not modelled (prices are the firm's, the same for
every customer).

No random draws: a referral, a new customer and the cost of a visit follow from the state.
Tallies: ``new_customers``, ``referred_customers``, ``serve_cost``.
"""

from __future__ import annotations

import numpy as np

from loyaltysim.parameters import StrictModel, field_indices, param


class EconomicsCoefficients(StrictModel):
    """Coefficients of the economics of loyal customers (``behaviour.*``)."""

    acquisition_cost: float = param(
        50.0,
        "dollars per new customer",
        "What the firm spends to win a new customer (first purchase there) who was not referred: "
        "advertising, introductory offers, setting up the relationship. A referred customer costs "
        "nothing to win.",
        source="Reichheld & Sasser 1990; Reichheld 1996; model convention (the value)",
        ge=0,
        le=100_000,
    )
    referral_pull: float = param(
        1.0,
        "utility",
        "Utility a pending referral adds to the referred firm at the customer's next purchase "
        "occasion: a promoter's story gets a store the listener never bought at a trial. 0 = "
        "stories still make customers aware and attached, but a recommendation brings no trial.",
        source="East, Hammond & Lomax 2008; Reichheld 1996; model convention (the value)",
        ge=0,
        le=20,
    )
    serve_cost: float = param(
        0.5,
        "dollars per visit",
        "Cost to serve a visit by a customer at their first purchase at the firm (or the first "
        "after buying elsewhere): help, questions, handling beyond wages and the cost of goods.",
        source="[A]; Reichheld & Sasser 1990; model convention (the value)",
        ge=0,
        le=10_000,
    )
    serve_learning: float = param(
        0.05,
        "share of serve_cost per purchase",
        "Share of serve_cost saved for every consecutive earlier purchase at the firm (tenure): "
        "loyal customers are easier to serve.",
        source="[A]; Reichheld & Sasser 1990; model convention (the value)",
        ge=0,
        le=1,
    )
    serve_floor: float = param(
        0.5,
        "share of serve_cost",
        "Share of serve_cost that serving even the longest-standing customer still costs.",
        source="model convention",
        ge=0,
        le=1,
    )


(ACQUISITION_COST, REFERRAL_PULL, SERVE_COST, SERVE_LEARNING, SERVE_FLOOR) = field_indices(
    EconomicsCoefficients,
    "acquisition_cost",
    "referral_pull",
    "serve_cost",
    "serve_learning",
    "serve_floor",
)

#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): first purchases at
#: the firm; of which after a promoter's story about it (referred); dollars spent serving visits.
TALLIES = ("new_customers", "referred_customers", "serve_cost")

#: ``CustomerState.referral_firm`` when no referral is pending.
NO_REFERRAL = -1


def referral_utility(referred: bool, k) -> float:
    """Utility a pending referral adds to a firm in the choice: ``referral_pull`` for the referred
    firm, 0 for every other. ``k``: packed :class:`EconomicsCoefficients`."""
    return k[REFERRAL_PULL] if referred else 0.0


def refers(promoter: bool, visits_there: int) -> bool:
    """Whether a story that reached a listener leaves a pending referral to its firm: a
    promoter's story about a firm the listener has never bought at."""
    return promoter and visits_there == 0


def cost_to_serve(tenure: int, k) -> float:
    """Dollars it costs the firm to serve a visit by a customer with ``tenure`` consecutive
    purchases there, this one included (1 at a first visit): serve_cost x max(1 -
    serve_learning x (tenure - 1), serve_floor)."""
    return k[SERVE_COST] * max(1.0 - k[SERVE_LEARNING] * (tenure - 1), k[SERVE_FLOOR])


def acquisition_spend(new_customers: float, referred_customers: float, k) -> float:
    """Dollars spent this week winning new customers: those not referred x acquisition_cost."""
    return (new_customers - referred_customers) * k[ACQUISITION_COST]


def referral_value(referred_customers: float, k) -> float:
    """Dollars referrals saved this week: the acquisition cost of the referred new customers."""
    return referred_customers * k[ACQUISITION_COST]


def costs_to_serve(tenure: np.ndarray, k) -> np.ndarray:
    """:func:`cost_to_serve` of many visits at once (dollars, float64), for analyses."""
    return k[SERVE_COST] * np.maximum(
        1.0 - k[SERVE_LEARNING] * (tenure.astype(np.float64) - 1), k[SERVE_FLOOR]
    )
