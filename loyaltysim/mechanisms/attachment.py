"""Attachment: the emotional bond to a firm that makes a customer stay when a rival is more
convenient [A]. It moves toward each visit's emotional value - losses weigh more than gains
(negativity bias; Baumeister et al. 2001) and existing attachment shields it (forgiveness [A]) -
and decays toward nothing without contact, slower where the firm builds relationships between
visits [B]. Tallies (over the customer base): ``attachment_sum`` and the Dick & Basu cells.
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param


class AttachmentCoefficients(StrictModel):
    """Coefficients of attachment (``behaviour.*``)."""

    initial_attachment: float = param(
        0.2,
        "attachment 0-1",
        "Attachment of every customer to every firm at the start (or when a firm opens).",
        source="model convention",
        ge=0,
        le=1,
    )
    attachment_gain: float = param(
        0.06,
        "share per visit",
        "Share of the gap to the visit's "
        "emotional value closed when the visit is better than the "
        "current attachment.",
        source="[A]",
        ge=0,
        le=1,
    )
    negativity_bias: float = param(
        2.0,
        "multiplier",
        "Bad experiences move attachment this many times more than good ones.",
        source="Baumeister et al. 2001",
        ge=1,
        le=10,
    )
    forgiveness: float = param(
        0.5,
        "share 0-1",
        "How much existing attachment shields it from a "
        "bad experience: loss x (1 - forgiveness x attachment) [A]. 0 = the attached suffer a "
        "failure as much as anyone.",
        source="[A]; Tax, Brown & Chandrashekaran 1998",
        ge=0,
        le=1,
    )
    attachment_decay: float = param(
        0.01,
        "share per week",
        "Decay of attachment to a firm not visited this week, before relationship-building slows it [B].",
        source="[B]",
        ge=0,
        le=1,
    )
    incident_weight: float = param(
        1.0,
        "x attachment_gain",
        "A visit with a failure (silent, unresolved, fixed on the spot or escalated) that leaves "
        "the customer worse off is a critical incident: its loss of attachment is this many times "
        "a routine bad visit's. A failure that ends well (a good recovery) lifts attachment like "
        "any good visit. 1 = off: a failure visit moves it like any other.",
        source="Bitner, Booms & Tetreault 1990; Keaveney 1995 (critical incidents behind switching); "
        "losses only: de Matos, Henrique & Rossi 2007 (recovery moves satisfaction, not repurchase); "
        "value: model convention, off by default until the default calibration fits it (issue 18); at "
        "most 8, where with the default gain and negativity bias a failure's loss would overshoot its gap",
        ge=1,
        le=8,
    )


(INITIAL_ATTACHMENT, GAIN, NEGATIVITY, FORGIVENESS, DECAY, INCIDENT_WEIGHT) = field_indices(
    AttachmentCoefficients,
    "initial_attachment",
    "attachment_gain",
    "negativity_bias",
    "forgiveness",
    "attachment_decay",
    "incident_weight",
)


#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): summed attachment
#: over the customer base (its mean is a metric).
TALLIES = ("attachment_sum",)


def attachment_change(attachment: float, value: float, failed: bool, k) -> float:
    """Change of attachment after a visit of emotional ``value`` (0-1).

    Attachment moves toward the value: by ``attachment_gain`` of the gap when the visit is better,
    by ``negativity_bias`` times that when worse, shielded by existing attachment
    (x (1 - forgiveness x attachment)): attached customers forgive more [A]. A visit that
    ``failed`` (any outcome but OK) and leaves the customer worse off is a critical incident
    (Bitner, Booms & Tetreault 1990; Keaveney 1995): its loss is ``incident_weight`` times the
    routine one. A failure that ends better than the customer's attachment (a good recovery)
    lifts it like any good visit: recovery shows in satisfaction, not in coming back (de Matos,
    Henrique & Rossi 2007). ``k``: packed :class:`AttachmentCoefficients`.
    """
    gap = value - attachment
    if gap >= 0:
        return k[GAIN] * gap
    # The weight multiplies only a failure's loss (x * 1.0 == x: weight 1 changes no bit).
    gain = k[GAIN] * k[INCIDENT_WEIGHT] if failed else k[GAIN]
    return gain * k[NEGATIVITY] * (1.0 - k[FORGIVENESS] * attachment) * gap


def decay_rate(decay: float, relationship_building: float) -> float:
    """Weekly decay of attachment to a firm not visited: ``attachment_decay`` x (1 -
    relationship building) - regular contact between visits slows it [B]."""
    return decay * (1.0 - relationship_building)
