"""Relationships with staff: who serves a customer, and the rapport regulars build with them.

A returning customer is served by "their" employee - the holder of their usual post at the firm -
on a share ``usual_server_share`` of visits; first-time and switching customers meet whoever is
free. Each visit with the same person builds rapport, faster with an engaged employee; rapport
adds warmth to the visit (being recognised by name [A]). A relationship is with a person, not a
post: when that employee quits, the next visit meets a stranger and rapport starts again from
nothing (Gutek et al. 1999, service relationships vs encounters; Bendapudi & Berry 1997). A
customer keeps one relationship at a time (the latest). Tallies: ``served_by_known``.
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param


class RelationshipCoefficients(StrictModel):
    """Coefficients of relationships between customers and frontline staff (``behaviour.*``)."""

    usual_server_share: float = param(
        0.5,
        "share of visits",
        "Share of a returning customer's visits served by the holder of their usual post (the "
        "rest, and every first visit, by whoever is free).",
        source="Gutek et al. 1999 (relationships vs encounters); model convention for the value",
        ge=0,
        le=1,
    )
    rapport_gain: float = param(
        0.2,
        "share per visit per unit engagement",
        "Share of the gap to full rapport closed by a visit with one's own employee, times the "
        "employee's engagement (the disengaged build no relationship).",
        source="Gutek et al. 1999; Bendapudi & Berry 1997",
        ge=0,
        le=1,
    )
    rapport_warmth: float = param(
        0.2,
        "experience 0-1 per unit rapport",
        "Emotional value that full rapport adds to a visit with one's own employee (being "
        "recognised, 'looked in the eye' [A]).",
        source="[A]; Gremler & Gwinner 2000 (rapport in service encounters)",
        ge=0,
        le=1,
    )


(USUAL_SERVER_SHARE, RAPPORT_GAIN, RAPPORT_WARMTH) = field_indices(
    RelationshipCoefficients, "usual_server_share", "rapport_gain", "rapport_warmth"
)

#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): visits served by an
#: employee the customer already knew (a relationship carried on).
TALLIES = ("served_by_known",)

#: Multipliers of the hash that spreads customers' usual posts over a firm's posts (Knuth's
#: multiplicative hash; the firm's term makes neighbouring firms differ).
POST_HASH, FIRM_HASH = 2654435761, 40503


def usual_slot(customer: int, firm: int, posts: int) -> int:
    """The frontline post whose holder is customer ``customer``'s usual employee at ``firm``: a
    32-bit hash of (customer, firm) scaled to ``posts`` by a multiplication, not a division (the
    kernel does this for every visit). Exact in int64 for customers below 2**31."""
    h = (customer * POST_HASH + firm * FIRM_HASH) & 0xFFFFFFFF
    return (h * posts) >> 32


def server_slot(u: float, returning: bool, usual: int, posts: int, k) -> int:
    """The frontline post that serves a visit, from one uniform draw ``u``: the usual post when
    the customer is returning and ``u < usual_server_share``; otherwise ``u``'s position in the
    rest of the unit interval picks a post uniformly (every post, the usual one included).
    ``k``: packed :class:`RelationshipCoefficients`."""
    if not returning:
        return min(int(u * posts), posts - 1)
    share = k[USUAL_SERVER_SHARE]
    if u < share:
        return usual
    # A product by a loop-invariant reciprocal (the kernel hoists it), not a division per visit.
    return min(int((u - share) * (1.0 / (1.0 - share)) * posts), posts - 1)


def rapport_after(rapport: float, known: bool, engagement: float, k) -> float:
    """Rapport after a visit with one's own employee: it grows from its value if the customer
    knew this person (``known``), from zero with a stranger; by rapport_gain x engagement of the
    gap to 1."""
    start = rapport if known else 0.0
    return start + k[RAPPORT_GAIN] * engagement * (1.0 - start)


def rapport_value(rapport: float, k) -> float:
    """Emotional value (0-1) that rapport adds to a visit with someone the customer knows."""
    return k[RAPPORT_WARMTH] * rapport
