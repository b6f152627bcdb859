"""Complaints and service recovery: after a failure a customer complains (the attached still care)
or leaves silently [B]; a complaint climbs the empowerment ladder frontline -> supervisor ->
manager, each level fixing it on the spot if the cost is within its limit and it is willing, and
each hand-off may cost the customer's patience [C][D]. The visit's value after its handling:
the recovery paradox for a quick fix (smaller after failures the customer remembers,
:mod:`loyaltysim.mechanisms.failure_memory`), a penalty per hand-off, low values for unresolved and
silent failures; bigger problems hurt more (TARP; docs/sources.md).

Tallies: ``complaints``, ``silent``, ``on_spot``, ``escalated``, ``unresolved``, ``handoffs``,
``reached_supervisor``, ``reached_manager``, ``refunds``.
"""

from __future__ import annotations

from loyaltysim.codes import ESCALATED, ON_SPOT, SILENT, UNRESOLVED
from loyaltysim.parameters import StrictModel, field_indices, param

#: Roles in the complaint ladder, bottom to top [C].
LADDER = ("frontline", "supervisor", "manager")


def _value(default: float, description: str, source: str, unit: str = "experience 0-1") -> float:
    return param(default, unit, description, source=source, ge=0, le=1)


class ComplaintCoefficients(StrictModel):
    """Coefficients of complaining and service recovery (``behaviour.*``)."""

    recovery_bonus: float = _value(
        0.3,
        "Emotional lift of a problem fixed on the spot (service recovery paradox).",
        "McCollough & Bharadwaj 1992; [C]",
    )
    recovery_attachment_share: float = _value(
        1.0,
        "Share of the recovery bonus that reaches the visit's emotional value (and so attachment "
        "and repurchase); its quality (and so satisfaction) gets all of it. 1 = the lift moves "
        "both alike; below 1 a quick fix raises satisfaction more than loyalty - the meta-"
        "analysis finds the paradox in satisfaction but not in repurchase intention.",
        "de Matos, Henrique & Rossi 2007",
        unit="share 0-1",
    )
    handoff_penalty: float = _value(
        0.15, "Emotional cost of each hand-off up the chain: customers hate repeating their story [C].", "[C]"
    )
    silent_failure_value: float = _value(
        0.1, "Emotional value of a failure the customer did not complain about [B].", "[B]; TARP"
    )
    unresolved_value: float = _value(0.0, "Emotional value of a complaint that was not resolved.", "TARP")
    problem_size_penalty: float = _value(
        0.0,
        "Bigger problems hurt more: a failure's emotional "
        "value and quality drop by this x cost / (cost + "
        "problem_size_dollars), whatever its handling (0 = size "
        "does not matter).",
        "TARP",
    )
    problem_size_dollars: float = param(
        100.0,
        "dollars",
        "Problem cost at which the size penalty is half of problem_size_penalty.",
        source="TARP",
        ge=0.01,
        le=1_000_000,
    )
    problem_size_exponent: float = param(
        1.0,
        "exponent",
        "How sharply a problem's size sets in around problem_size_dollars: the size (which scales "
        "the size penalty and the grudge, mechanisms/avoidance.py) is cost^n / (cost^n + "
        "problem_size_dollars^n). 1 = a gentle curve that small problems feel too; above 1 "
        "problems well under problem_size_dollars stay inside the customer's zone of tolerance "
        "and barely count, while big ones count nearly in full (2: a $5 problem 0.3 %, $200 80 %; "
        "the value the avoidance probe used).",
        source="Zeithaml, Berry & Parasuraman 1993; TARP",
        ge=0.25,
        le=6.0,
    )
    problem_size_resolved_share: float = _value(
        1.0,
        "Share of the size penalty a resolved problem (fixed on the spot or after escalation, "
        "and refunded) still leaves; a silent or unresolved problem leaves all of it. 1 = size "
        "hurts whatever the handling; below 1 the refund makes good most of what a big problem "
        "cost, so handling matters more for big problems than for small ones (TARP).",
        "TARP; Tax, Brown & Chandrashekaran 1998",
        unit="share 0-1",
    )
    complain_base: float = _value(
        0.65,
        "Share of a customer's complaint propensity left at zero "
        "attachment: p(complain) = propensity x (complain_base + "
        "complain_attachment x attachment); the unattached leave "
        "silently [B].",
        "[B]; TARP",
        unit="share 0-1",
    )
    complain_attachment: float = _value(
        0.35,
        "Share of the complaint propensity that grows with attachment (see complain_base).",
        "[B]",
        unit="share 0-1",
    )
    complain_listening: float = _value(
        0.4,
        "Share of complaints that depend on the firm listening: p(complain) is multiplied by "
        "1 - complain_listening x (1 - listening). Where complaining is easy and heard, more "
        "customers complain instead of leaving silently.",
        "TARP (complaint accessibility); Fornell & Wernerfelt 1987",
        unit="share 0-1",
    )
    resolve_base: float = _value(
        0.2,
        "Willingness to fix a problem in a culture of pure fear: "
        "p(resolve) = (resolve_base + resolve_trust x trust) x "
        "(resolve_engagement_base + resolve_engagement x engagement) "
        "[D].",
        "[D]",
        unit="probability",
    )
    resolve_trust: float = _value(
        0.8,
        "Willingness to fix that trust adds (see resolve_base): "
        "in a fear culture staff treat complainers as suspects [D].",
        "[D]",
        unit="probability per unit trust",
    )
    resolve_engagement_base: float = _value(
        0.5,
        "Share of willingness kept by a wholly disengaged employee (see resolve_base) [A].",
        "[A]",
        unit="share 0-1",
    )
    resolve_engagement: float = _value(
        0.5,
        "Share of willingness that grows with the employee's engagement (see resolve_base) [A].",
        "[A]",
        unit="share per unit engagement",
    )


(
    RECOVERY_BONUS,
    RECOVERY_ATTACHMENT_SHARE,
    HANDOFF_PENALTY,
    SILENT_VALUE,
    UNRESOLVED_VALUE,
    SIZE_PENALTY,
    SIZE_DOLLARS,
    SIZE_EXPONENT,
    SIZE_RESOLVED_SHARE,
    COMPLAIN_BASE,
    COMPLAIN_ATTACHMENT,
    COMPLAIN_LISTENING,
    RESOLVE_BASE,
    RESOLVE_TRUST,
    RESOLVE_ENGAGEMENT_BASE,
    RESOLVE_ENGAGEMENT,
) = field_indices(
    ComplaintCoefficients,
    "recovery_bonus",
    "recovery_attachment_share",
    "handoff_penalty",
    "silent_failure_value",
    "unresolved_value",
    "problem_size_penalty",
    "problem_size_dollars",
    "problem_size_exponent",
    "problem_size_resolved_share",
    "complain_base",
    "complain_attachment",
    "complain_listening",
    "resolve_base",
    "resolve_trust",
    "resolve_engagement_base",
    "resolve_engagement",
)


#: Per-firm tallies this mechanism adds each week (:mod:`loyaltysim.tallies`): failures complained
#: about, left silent, fixed on the spot, fixed after escalation, left unresolved; hand-offs up the
#: chain; complaints whose highest level was a supervisor, the manager; dollars refunded.
TALLIES = (
    "complaints",
    "silent",
    "on_spot",
    "escalated",
    "unresolved",
    "handoffs",
    "reached_supervisor",
    "reached_manager",
    "refunds",
)


def complaint_probability(propensity: float, attachment: float, listening: float, k) -> float:
    """Chance that a customer complains after a failure: the customer's propensity x
    (complain_base + complain_attachment x attachment) x (1 - complain_listening x (1 -
    listening)) - the attached still care, the unattached drift away silently [B], and customers
    speak up where the firm listens (TARP). ``k``: packed :class:`ComplaintCoefficients`."""
    heard = 1.0 - k[COMPLAIN_LISTENING] * (1.0 - listening)
    return propensity * (k[COMPLAIN_BASE] + k[COMPLAIN_ATTACHMENT] * attachment) * heard


def willing_to_resolve(trust: float, engagement: float, k) -> float:
    """Probability that a staff member who may fix a problem does so rather than passing it on:
    (resolve_base + resolve_trust x trust) x (resolve_engagement_base + resolve_engagement x
    engagement). In a culture of fear staff treat complaining customers as suspects [D];
    disengaged staff do not bother [A]."""
    return (k[RESOLVE_BASE] + k[RESOLVE_TRUST] * trust) * (
        k[RESOLVE_ENGAGEMENT_BASE] + k[RESOLVE_ENGAGEMENT] * engagement
    )


def outcome_value(value: float, outcome: int, handoffs: int, bonus: float, k) -> float:
    """The value (0-1) a visit leaves after its failure handling.

    Fixed on the spot: the recovery paradox lifts it above an ordinary visit by ``bonus`` (the
    ``recovery_bonus``, shrunk by earlier failures the customer remembers:
    :func:`loyaltysim.mechanisms.failure_memory.repeat_bonus`); fixed after escalation: the lift
    minus a penalty per hand-off [C]; unresolved or silent: a fixed low value.
    """
    if outcome == ON_SPOT:
        return min(1.0, value + bonus)
    if outcome == ESCALATED:
        return min(1.0, max(0.0, value + bonus - k[HANDOFF_PENALTY] * handoffs))
    if outcome == UNRESOLVED:
        return k[UNRESOLVED_VALUE]
    if outcome == SILENT:
        return k[SILENT_VALUE]
    return value


def problem_size(cost: float, k) -> float:
    """How big a problem costing ``cost`` dollars is, 0-1: cost^n / (cost^n + half_dollars^n)
    (``problem_size_dollars``, ``problem_size_exponent`` in ``k``, packed
    :class:`ComplaintCoefficients`) - a half at ``problem_size_dollars``, the step between small and
    big the sharper the larger n (problems inside the customer's zone of tolerance barely register;
    Zeithaml, Berry & Parasuraman 1993)."""
    half, n = k[SIZE_DOLLARS], k[SIZE_EXPONENT]
    if n == 1.0:
        return cost / (cost + half)
    scaled = (cost / half) ** n
    return scaled / (scaled + 1.0)


def problem_size_sting(cost: float, outcome: int, k) -> float:
    """Extra loss (experience 0-1) a failure with ``outcome`` leaves because of its size:
    ``problem_size_penalty`` x :func:`problem_size` - nothing for a trivial problem, half the
    penalty for one costing ``problem_size_dollars``, nearly all of it for huge ones. A resolved
    problem (on the spot or escalated: refunded) keeps ``problem_size_resolved_share`` of it
    (distributive justice: the refund makes good the loss; Tax, Brown & Chandrashekaran 1998).
    Bigger problems hurt more even when fixed (TARP: fewer customers buy again after a problem
    over $100 than after one under $5, in every complaint outcome), and handling matters more for
    them. ``penalty`` 0 (the default) turns it off.
    """
    # The curve of problem_size, multiplied out as first built (the same bits as before it existed).
    penalty, half, n = k[SIZE_PENALTY], k[SIZE_DOLLARS], k[SIZE_EXPONENT]
    if n == 1.0:
        sting = penalty * cost / (cost + half)
    else:
        scaled = (cost / half) ** n
        sting = penalty * scaled / (scaled + 1.0)
    sting = min(sting, penalty)  # a huge cost can round one step above the penalty
    if outcome in (ON_SPOT, ESCALATED):
        sting *= k[SIZE_RESOLVED_SHARE]  # x 1 (the default) keeps the bits
    return sting
