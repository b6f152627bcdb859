"""Usage migration: customers move between regular, heavy and super use as attachment grows or fades.

"Great customer focus turns regular users into heavy users, and heavy users into super users" [E].
A customer's usage segment (regular, heavy, super: a weekly purchase chance and a basket each,
``customers.segments``) is drawn at creation (:mod:`loyaltysim.population`) and is then state
(``CustomerState.segment``). It is reviewed at every *repeat* purchase at a store - a purchase at
the store of the customer's previous purchase, their current store - against last week's
attachment to it, with hysteresis: a regular user moves up to heavy at attachment
``heavy_from`` or more, a heavy user up to super at ``super_from``; a heavy user falls back to
regular below ``heavy_from - usage_fallback``, a super user to heavy below
``super_from - usage_fallback``. Between the two thresholds of a step nobody moves, so the drawn
mix persists where attachment is middling. A customer past a threshold moves one step with chance
``usage_migration`` at that purchase (a draw on stream ``USAGE``, made only then), so usage
changes over months, not at once. Purchase chance and basket follow the segment (phases 1-2).

Coefficient values are model conventions (the direction is [E]; spend and purchases growing with
the relationship: Reichheld & Sasser 1990), chosen mild: only the most attached move up, only the
nearly detached move down, slowly. Stronger settings (0.75 / 0.9 / 0.6 / 0.05) lifted the loyal
brand's purchase retention above the corner pharmacy's before the supermarket opens, against the
seed's story [A] (``tests/test_credible_model.py``). Tallies: none (the segment mix is read from the
state, ``CustomerState.segment``).
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param

#: Segment codes, in the order of ``customers.segments`` (``population.SEGMENTS``).
REGULAR, HEAVY, SUPER = 0, 1, 2


class UsageCoefficients(StrictModel):
    """Coefficients of usage migration between segments (``behaviour.*``)."""

    heavy_from: float = param(
        0.85,
        "attachment 0-1",
        "Attachment to one's current store at or above which a regular user becomes a heavy user "
        "(reviewed at each repeat purchase there).",
        source="[E] (great customer focus turns regular users into heavy users); model convention "
        "for the value",
        ge=0,
        le=1,
    )
    super_from: float = param(
        0.95,
        "attachment 0-1",
        "Attachment to one's current store at or above which a heavy user becomes a super user.",
        source="[E] (and heavy users into super users); model convention for the value",
        ge=0,
        le=1,
    )
    usage_fallback: float = param(
        0.75,
        "attachment 0-1",
        "Hysteresis: a heavy (super) user falls back one segment when attachment to the current "
        "store drops below heavy_from (super_from) minus this gap; between the two nobody moves.",
        source="model convention",
        ge=0,
        le=1,
    )
    usage_migration: float = param(
        0.02,
        "probability per repeat purchase",
        "Chance that a repeat purchase moves a customer whose attachment is past a threshold one "
        "segment up or down (0: segments never change after creation, as before issue 17).",
        source="[E]; Reichheld & Sasser 1990 (customers buy more as the relationship lasts); "
        "model convention for the value",
        ge=0,
        le=1,
    )


(HEAVY_FROM, SUPER_FROM, FALLBACK, MIGRATION) = field_indices(
    UsageCoefficients, "heavy_from", "super_from", "usage_fallback", "usage_migration"
)
#: Positions of the segments' cumulative shares in :func:`coefficients`' tuple (after the fields).
CUT_REGULAR, CUT_HEAVY = 4, 5

#: Per-firm tallies this mechanism adds (none: the segment mix is read from the state).
TALLIES: tuple[str, ...] = ()


def coefficients(behaviour, regular_share: float, heavy_share: float) -> tuple[float, ...]:
    """The packed :class:`UsageCoefficients` of ``behaviour``, then the cumulative segment
    shares (regular, regular + heavy) a newcomer's segment is drawn with (:func:`segment_of`)."""
    fields = tuple(float(getattr(behaviour, name)) for name in UsageCoefficients.model_fields)
    return (*fields, float(regular_share), float(regular_share) + float(heavy_share))


def segment_of(u: float, k) -> int:
    """The segment a uniform draw ``u`` falls in, by the cumulative shares in ``k`` (the same
    result as ``population.make_population``'s ``searchsorted`` of the shares)."""
    if u < k[CUT_REGULAR]:
        return REGULAR
    if u < k[CUT_HEAVY]:
        return HEAVY
    return SUPER


def usage_step(segment: int, attached: float, k) -> int:
    """The segment a customer in ``segment`` with attachment ``attached`` to their current store
    is drawn toward: one step up past the upper threshold, one down below the lower one (hysteresis,
    see the module docstring), else ``segment`` itself."""
    if segment == REGULAR:
        return HEAVY if attached >= k[HEAVY_FROM] else REGULAR
    if segment == HEAVY:
        if attached >= k[SUPER_FROM]:
            return SUPER
        return REGULAR if attached < k[HEAVY_FROM] - k[FALLBACK] else HEAVY
    return HEAVY if attached < k[SUPER_FROM] - k[FALLBACK] else SUPER
