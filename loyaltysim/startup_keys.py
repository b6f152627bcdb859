"""Parameters an event cannot change: they are used once, when the model is built.

The length of the run, the population (how many customers, their homes, segments and traits),
the social network, the engine, the seed and the length of each customer's purchase history are
drawn or sized when :class:`~loyaltysim.model.LoyaltyModel` starts. An event that set one of them
would be silently ignored, so scenario loading refuses it
(:func:`loyaltysim.scenario.load_scenario`) and says why. Everything else - firms, culture,
staffing, behaviour, word of mouth, thresholds, the outside option, a segment's purchase rate and
basket - is read every week and may change at any week.
"""

from __future__ import annotations

#: Exact keys fixed at the start, with the reason given in the error.
FIXED_KEYS: dict[str, str] = {
    "market.weeks": "the length of the run is fixed when it starts",
    "market.customers": "the population is drawn once, when the model is built",
    "market.seed": "every random stream is keyed by the seed chosen when the model is built",
    "market.engine": "the engine is chosen when the model is built",
    "market.town_km": "homes and the social network are placed once, when the model is built",
    "market.patronage_window": "each customer's purchase history has this length from the start",
    "market.base_window_weeks": "the record of past customer bases is sized at the start",
    "network.ties_per_customer": "the social network is built once, when the model is built",
    "network.far_tie_share": "the social network is built once, when the model is built",
}

#: Keys under ``customers`` that an event may change (read every week); the rest are drawn once.
WEEKLY_CUSTOMER_KEYS = ("spend_lift", "purchases_per_week", "basket_dollars")


def reason_fixed_at_start(key: str) -> str | None:
    """Why an event may not set the dotted ``key``, or None when it may.

    ``customers.*`` is drawn once (segment shares, traits), except the spend lift and each
    segment's purchases per week and basket, which the model reads every week.
    """
    if key in FIXED_KEYS:
        return FIXED_KEYS[key]
    if key.split(".")[0] == "events":
        return "the timeline is fixed when the model is built; an event cannot move another"
    parts = key.split(".")
    if parts[0] == "customers" and parts[-1] not in WEEKLY_CUSTOMER_KEYS:
        return "customers' segments and traits are drawn once, when the model is built"
    return None
