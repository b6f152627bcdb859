"""loyaltysim as an EMA Workbench model: how many of the corner pharmacy's customers stay when the
supermarket opens, as its culture varies (examples/ema_workbench.ipynb uses it).

The outcome comes from :func:`loyaltysim.replicate.run_outputs`, the code ``loyaltysim sweep``
uses for its outputs, so for the same point and seed EMA and a sweep give the same numbers
(``tests/test_examples.py`` checks it against a sweep). Each EMA replication is one seed, as a
sweep's replications are: seed, seed + 1, ...
"""

from __future__ import annotations

from typing import Any

from ema_workbench import ArrayOutcome, RealParameter, ReplicatorModel

from loyaltysim.replicate import run_outputs

#: The base scenario: the supermarket opens next to the pharmacy in week 104.
SCENARIO = "corner_pharmacy"

#: Small and short enough for a notebook; the opening is at week 104, the outcome 26 weeks later.
FIXED: dict[str, Any] = {"market.customers": 300, "market.weeks": 130}

#: EMA's uncertainty name -> the scenario key it sets, and its range.
UNCERTAINTIES: dict[str, tuple[str, float, float]] = {
    "trust": ("firms.pharmacy.culture.trust", 0.1, 0.9),
    "frontline_limit": ("firms.pharmacy.culture.empowerment.frontline", 0.0, 250.0),
    "empathy": ("firms.pharmacy.culture.empathy", 0.1, 0.9),
}

#: What each run keeps, as an experiment's [outputs] table: the customers kept after the opening.
OUTPUTS: dict[str, Any] = {
    "metrics": ["customer_base", "loyalty_rate"],
    "final_weeks": 13,
    "derived": [
        {"name": "kept_share", "kind": "kept_share", "weeks": 26},
        {"name": "customers_lost", "kind": "customers_lost", "weeks": 26},
    ],
}

#: EMA outcome names: the derived outputs and the final-window loyalty rate.
OUTCOMES = ("kept_share", "customers_lost", "loyalty_rate")


def overrides_for(**levels: float) -> dict[str, Any]:
    """Scenario overrides for EMA's uncertainty levels (names of :data:`UNCERTAINTIES`)."""
    return {**FIXED, **{UNCERTAINTIES[name][0]: value for name, value in levels.items()}}


def loyalty(seed: int, **levels: float) -> dict[str, float]:
    """One run of the pharmacy at ``levels`` with ``seed``: the outcomes EMA records."""
    table = run_outputs(SCENARIO, overrides_for(**levels), seed=seed, firms="focus", outputs=OUTPUTS)
    derived = table[table["window"] == "derived"].set_index("metric")["value"]
    final = table[table["window"] == "final"].set_index("metric")["value"]
    return {
        "kept_share": float(derived["kept_share"]),
        "customers_lost": float(derived["customers_lost"]),
        "loyalty_rate": float(final["loyalty_rate"]),
    }


def make_model(replications: int = 2, seed: int = 1) -> ReplicatorModel:
    """The EMA model: :data:`UNCERTAINTIES` in, :data:`OUTCOMES` out (one value per replication,
    replication r with seed ``seed + r``)."""
    model = ReplicatorModel("loyaltysim", function=loyalty)
    model.uncertainties = [RealParameter(name, low, high) for name, (_, low, high) in UNCERTAINTIES.items()]
    model.replications = [{"seed": seed + r} for r in range(replications)]
    model.outcomes = [ArrayOutcome(name) for name in OUTCOMES]
    return model
