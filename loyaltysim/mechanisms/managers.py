"""Managers: every week they work the complaint backlog; every review period they recognise staff
and fix the processes behind the complaints and frontline feedback they heard [B][C][D].

Recognition given follows the culture's recognition, scaled by leadership commitment [C].
Listening decides how much of the complaints (and, with transparency, of silent failures seen by
staff) reaches the manager; the fix closes part of the gap to the failure floor, saturating in
the evidence heard; without commitment, causes reopen and the failure rate drifts back [B][C].
"""

from __future__ import annotations

from loyaltysim.parameters import StrictModel, field_indices, param


class ManagerCoefficients(StrictModel):
    """Coefficients of managers' reviews (``behaviour.*``)."""

    fix_efficacy: float = param(
        0.3,
        "share per review",
        "Share of the gap to the failure floor "
        "closed per review by a fully listening, committed manager who "
        "heard complaints [B][C].",
        source="[B][C]",
        ge=0,
        le=1,
    )
    failure_drift: float = param(
        0.05,
        "share per review",
        "Share of the gap back to the base failure rate that reopens per review when nobody fixes causes.",
        source="[B]",
        ge=0,
        le=1,
    )
    backlog_clear_share: float = param(
        0.05,
        "share per week",
        "Share of the unresolved-complaint backlog cleared per week at full listening [D].",
        source="[D]",
        ge=0,
        le=1,
    )
    backlog_expiry: float = param(
        0.1,
        "share per week",
        "Share of the unresolved-complaint backlog that lapses each week whatever the firm does "
        "(the customer gives up or leaves): with it the backlog levels off at about inflow / "
        "(backlog_expiry + cleared share).",
        source="TARP (the value: model convention)",
        ge=0,
        le=1,
    )
    fix_evidence_half: float = param(
        1.0,
        "heard problems per 100 visits",
        "Evidence at which a "
        "review's fix reaches half its efficacy: fix x evidence / "
        "(evidence + fix_evidence_half).",
        source="[B]",
        ge=0.001,
        le=100,
    )
    recognition_base: float = param(
        0.5,
        "share 0-1",
        "Share of the culture's recognition that "
        "reaches staff without leadership commitment: given = "
        "recognition x (recognition_base + recognition_commitment x "
        "commitment) [C].",
        source="[C]",
        ge=0,
        le=1,
    )
    recognition_commitment: float = param(
        0.5,
        "share per unit commitment",
        "Share of the culture's recognition that commitment adds [C].",
        source="[C]",
        ge=0,
        le=1,
    )


(
    FIX_EFFICACY,
    FAILURE_DRIFT,
    BACKLOG_CLEAR,
    BACKLOG_EXPIRY,
    FIX_EVIDENCE_HALF,
    RECOGNITION_BASE,
    RECOGNITION_COMMITMENT,
) = field_indices(
    ManagerCoefficients,
    "fix_efficacy",
    "failure_drift",
    "backlog_clear_share",
    "backlog_expiry",
    "fix_evidence_half",
    "recognition_base",
    "recognition_commitment",
)


def recognition_given(recognition: float, commitment: float, k) -> float:
    """Recognition staff receive: the culture's recognition x (recognition_base +
    recognition_commitment x leadership commitment) [C]."""
    return recognition * (k[RECOGNITION_BASE] + k[RECOGNITION_COMMITMENT] * commitment)


def backlog_after_week(backlog: float, listening: float, overload: float, k) -> float:
    """The unresolved-complaint backlog after a week: a share backlog_clear_share x listening of
    it is worked off - less when the staff are overloaded (/ max(1, overload)) [D] - and a share
    backlog_expiry lapses, so the backlog levels off where listening and staffing can absorb its
    inflow."""
    cleared = k[BACKLOG_EXPIRY] + k[BACKLOG_CLEAR] * listening / max(1.0, overload)
    return backlog - backlog * min(1.0, cleared)


def reviewed_failure_rate(
    rate: float,
    floor: float,
    base_rate: float,
    listening: float,
    transparency: float,
    commitment: float,
    complaints: int,
    silent: int,
    visits: int,
    k,
) -> float:
    """The process failure rate after a review [B][C]: the manager hears ``listening`` x
    (complaints + transparency x silent failures), as problems per 100 visits (the evidence); the
    fix closes fix_efficacy x listening x commitment x evidence / (evidence + fix_evidence_half)
    of the gap to the floor, while (1 - commitment) x failure_drift of the gap back to the base
    rate reopens; the result stays within [floor, 1]."""
    heard = listening * (complaints + transparency * silent)
    evidence = 100.0 * heard / max(1, visits)
    fix = k[FIX_EFFICACY] * listening * commitment * evidence / (evidence + k[FIX_EVIDENCE_HALF])
    rate += -fix * (rate - floor) + k[FAILURE_DRIFT] * (base_rate - rate) * (1.0 - commitment)
    return min(1.0, max(floor, rate))
