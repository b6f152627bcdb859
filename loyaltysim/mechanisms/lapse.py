"""Customer lapse: some customers leave the category for good - the "death" of buy-till-you-die.

As in BG/NBD (Fader, Hardie & Lee 2005, "FHL 2005"): after each purchase - at a store of the town
or outside it - a customer drops out for good with probability p, and p differs between customers,
beta(a, b) distributed. Here the beta is given by its mean ``lapse_mean`` and its first shape
``lapse_shape`` (a; b = a x (1 - mean) / mean). Each person's p is the beta quantile of their own
uniform draw (stream ``LAPSE``, tick = the row's generation, sub 1: a pure function of the person,
no stored trait), read from a 1,025-point table of the quantile with linear interpolation
(:func:`lapse_probability`; the table is built once per (mean, shape) in
:func:`loyaltysim.population.lapse_quantiles`, so both engines read the same numbers). The
decision is one draw after a purchase (stream ``LAPSE``, tick = the week, sub 0) - no draw in a
week without one.

The market stays stationary: a lapsed customer's row is taken at the end of that week by a
newcomer to the category - a household moving into the same home (same position and the same
fixed traits: the town's households keep their kind) with fresh state: attachment and satisfaction
at their starting values, no purchase history, visits, rapport or relationships, awareness of each
open firm drawn with its ``known_share`` as at creation, and a usage segment drawn from the
segment shares (stream ``NEWCOMER``, tick = the week, sub 0 segment, 1 + f awareness of firm f).
The row's ``generation`` (uint8) counts its newcomers: (row, generation) identifies a person, so a
cohort can follow the people present at the start and tell newcomers apart
(:mod:`loyaltysim.transactions`). Customers who never lapse keep every draw they had before.

``lapse_mean`` 0 switches lapse off exactly (no draw is made). The default mean is a model
convention: about 5 % of households a year leave a town's market at about 27 purchases a year;
the shape is CDNOW's a (FHL 2005, a = 0.793: most customers unlikely to lapse, a few very likely).
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param

#: Points of the quantile table of the dropout distribution (:func:`lapse_probability`).
QUANTILE_POINTS = 1025


class LapseCoefficients(StrictModel):
    """Coefficients of customers leaving the category for good (``behaviour.*``)."""

    lapse_mean: float = param(
        0.002,
        "probability per purchase",
        "Mean chance that a customer leaves the category for good after a purchase (beta across "
        "customers, as BG/NBD's dropout); the row is taken by a newcomer. 0 = nobody lapses.",
        source="FHL 2005 (dropout after each purchase); model convention for the value (about 5 % "
        "of households a year)",
        ge=0,
        le=1,
    )
    lapse_shape: float = param(
        0.8,
        "beta shape a",
        "First shape (a) of the beta distribution of the dropout chance across customers; "
        "b = a x (1 - lapse_mean) / lapse_mean. Below 1: most customers are unlikely to lapse, a "
        "few very likely.",
        source="FHL 2005 (CDNOW: a = 0.793)",
        ge=0.05,
        le=100,
    )


(LAPSE_MEAN, LAPSE_SHAPE) = field_indices(LapseCoefficients, "lapse_mean", "lapse_shape")

#: Per-firm tallies this mechanism adds each week: customers who left the category after a
#: purchase at the firm (metric ``lapsed``).
TALLIES = ("lapsed",)

#: Generations a row counts before its counter wraps (uint8): far beyond any run's turnover of a
#: row at sane lapse rates; a wrap only reuses an old person's dropout draw.
GENERATIONS = 256


def lapse_probability(v: float, table) -> float:
    """A person's chance of lapsing after a purchase: the beta quantile of their uniform ``v``,
    linear between the points of ``table`` (the quantile at 0, 1/1024, ..., 1)."""
    x = v * (len(table) - 1)
    j = min(int(x), len(table) - 2)
    return table[j] + (x - j) * (table[j + 1] - table[j])
