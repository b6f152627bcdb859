"""Employees: engagement moves toward what the culture supports, skill grows with training, low
engagement makes people quit, and quitters are replaced by less skilled hires [A][C][D][E].

The engagement an employee's situation supports rises with recognition received, trust,
transparency, empowerment (the share of the firm's problems their own limit lets them fix),
pay against the going wage, leadership commitment and meaning (the share of their own customers
delighted) and falls with fear (1 - trust) and overload (Gallup Q12 drivers; Harter, Schmidt &
Hayes 2002); each employee's disposition shifts it. Quitting rises as engagement falls below a
threshold, and falls with pay (Harter et al. 2002: engagement and turnover correlate about
-0.3); staff are also let go, more where fear rules (JOLTS layoffs and discharges; Batt & Colvin
2011), and the metrics count both as separations. Metrics: ``engagement_mean``, ``skill_mean``,
``quits``, ``turnover``, ``enps``.
"""

from __future__ import annotations

import math

import numpy as np

from loyaltysim.parameters import StrictModel, field_indices, param


def _weight(default: float, description: str, source: str = "[A][C][D][E]") -> float:
    return param(default, "engagement 0-1 per unit", description, source=source, ge=0, le=2)


class EmployeeCoefficients(StrictModel):
    """Coefficients of employee engagement, skill and quitting (``behaviour.*``)."""

    engagement_rate: float = param(
        0.15,
        "share per week",
        "Speed at which employee engagement moves toward what the culture supports.",
        source="model convention",
        ge=0,
        le=1,
    )
    skill_rate: float = param(
        0.05,
        "share per week",
        "Share of the skill gap closed per week at full training.",
        source="[E]",
        ge=0,
        le=1,
    )
    hire_engagement: float = param(
        0.6,
        "engagement 0-1",
        "Engagement of a new hire.",
        source="Gallup: new hires start engaged",
        ge=0,
        le=1,
    )
    hire_skill: float = param(0.15, "skill 0-1", "Skill of an untrained new hire.", source="[E]", ge=0, le=1)
    quit_threshold: float = param(
        0.4,
        "engagement 0-1",
        "Below this engagement employees start to quit.",
        source="Harter et al. 2002",
        ge=0,
        le=1,
    )
    quit_rate: float = param(
        0.03,
        "probability per week",
        "Extra weekly quit chance at zero engagement (falls linearly to 0 at the threshold). "
        "With the default base rate a wholly disengaged employee quits about five times as "
        "often as an engaged one (13 times before): many of the actively disengaged stay "
        "('quit and stay'; 0.06 until 2026-12-06, when they left within a quarter and the "
        "actively disengaged were 3-7 % of staff everywhere, against Gallup's 13-17 %).",
        source="Harter et al. 2002; Griffeth, Hom & Gaertner 2000 (job attitudes predict quitting "
        "modestly: r about -0.2); the value: model convention",
        ge=0,
        le=1,
    )
    base_turnover: float = param(
        0.007,
        "probability per week",
        "Quits of staff who are not disengaged: for reasons outside work and for other jobs, "
        "the ordinary churn of retail jobs (3 % a month, about 36 % a year, at the going wage). "
        "0.005 until 2026-12-06 (26 % a year, below JOLTS' retail quit rate).",
        source="BLS JOLTS: retail trade quits about 3-3.5 % of employment a month",
        ge=0,
        le=1,
    )
    dismissal_rate: float = param(
        0.0,
        "probability per week at full fear",
        "Weekly chance that an employee is let go (dismissed or laid off) at full fear (trust 0), "
        "falling in proportion to the culture's trust: dismissal_rate x (1 - trust); a culture of "
        "fear punishes and fires [D]. Separations (metrics quits, turnover) are quits plus "
        "dismissals, as turnover benchmarks count them. 0.005 would let go about 1.1 % of staff a "
        "month at trust 0.5, JOLTS' retail layoffs and discharges, but it takes the discount "
        "chain's truly loyal customers from 5.1 % to 3.8 % of its base (under issue 16's 5 %): "
        "off by default, a coefficient for the calibration to weigh (docs/validation.md).",
        source="BLS JOLTS: retail trade layoffs and discharges about 1-1.3 % of employment a month; "
        "Batt & Colvin 2011 (high-involvement practices go with lower quit and dismissal rates, "
        "short-term performance pressure with higher ones); [D]",
        ge=0,
        le=0.1,
    )
    engagement_base: float = _weight(
        0.47,
        "Engagement target before any culture lever: target "
        "= engagement_base + the weighted levers below, clipped "
        "to 0-1.",
    )
    engagement_recognition: float = _weight(0.12, "Weight of recognition received [C].", "[C]")
    engagement_trust: float = _weight(0.1, "Weight of trust [D].", "[D]")
    engagement_transparency: float = _weight(0.08, "Weight of transparency (open books) [A][D].", "[A][D]")
    engagement_empowerment: float = _weight(
        0.04,
        "Weight of empowerment: the share of the firm's problems (its log-normal problem costs) "
        "that the employee's own limit lets them fix on the spot [C].",
        "[C]",
    )
    disposition_sd: float = param(
        0.25,
        "engagement 0-1",
        "Spread of employees' dispositions: each hire's engagement target is shifted by a "
        "normal draw with this standard deviation, so engagement is a distribution, not a camp.",
        source="Staw, Bell & Clausen 1986; Judge, Heller & Mount 2002 (dispositional job attitudes)",
        ge=0,
        le=1,
    )
    reference_wage_per_week: float = param(
        500.0,
        "dollars per employee per week",
        "The going wage for the job in town; a firm's wage_per_week is compared with it.",
        source="BLS OEWS: retail salespersons' median pay about $15-16 an hour",
        ge=1,
        le=100_000,
    )
    engagement_wage: float = _weight(
        0.1,
        "Engagement per unit of relative pay (wage / reference wage - 1, within -1..1): a fair "
        "wage is part of being valued.",
        "Akerlof & Yellen 1990 (fair wage-effort); Cascio 2006 (Costco vs Sam's Club)",
    )
    wage_quit_elasticity: float = param(
        1.5,
        "elasticity",
        "Quitting falls with relative pay: quit chance x (wage / reference wage) ^ -elasticity.",
        source="Manning 2003 (separation elasticities about 1-2); Cascio 2006",
        ge=0,
        le=10,
    )
    engagement_commitment: float = _weight(0.05, "Weight of leadership commitment [C].", "[C]")
    engagement_meaning: float = _weight(
        0.05, "Weight of meaning: the share of one's own customers delighted [A][E].", "[A][E]"
    )
    engagement_fear: float = _weight(0.1, "Engagement lost per unit of fear (1 - trust) [D].", "[D]")
    engagement_crowding: float = _weight(
        0.35, "Engagement lost per unit of overload above capacity [E].", "[E]"
    )
    skill_on_the_job: float = param(
        0.1,
        "training units",
        "Learning on the job without a "
        "training programme: skill grows at skill_rate x (training "
        "+ skill_on_the_job) [E].",
        source="[E]",
        ge=0,
        le=1,
    )
    hire_training_skill: float = param(
        0.3,
        "skill per unit training",
        "Skill a training programme adds to a new hire (onboarding) [C][E].",
        source="[C][E]",
        ge=0,
        le=1,
    )
    initial_skill: float = param(
        0.5,
        "skill 0-1",
        "Skill of the staff in post when the run starts (experienced, unlike later hires).",
        source="model convention",
        ge=0,
        le=1,
    )
    enps_promoter: float = param(
        0.85,
        "engagement 0-1",
        "Engagement at or above which an employee counts as a promoter in the eNPS.",
        source="model convention (eNPS: Reichheld 2003)",
        ge=0,
        le=1,
    )
    enps_detractor: float = param(
        0.65,
        "engagement 0-1",
        "Engagement below which an employee counts as a detractor in the eNPS.",
        source="model convention (eNPS: Reichheld 2003)",
        ge=0,
        le=1,
    )
    engaged_threshold: float = param(
        0.7,
        "engagement 0-1",
        "Engagement at or above which an employee counts as engaged in Gallup's sense "
        "(metric engaged_share).",
        source="Gallup Q12 (engaged / not engaged / actively disengaged); model convention for the cut-off",
        ge=0,
        le=1,
    )
    disengaged_threshold: float = param(
        0.3,
        "engagement 0-1",
        "Engagement below which an employee counts as actively disengaged in Gallup's sense "
        "(metric disengaged_share).",
        source="Gallup Q12 (engaged / not engaged / actively disengaged); model convention for the cut-off",
        ge=0,
        le=1,
    )


(
    ENGAGEMENT_RATE,
    SKILL_RATE,
    HIRE_ENGAGEMENT,
    HIRE_SKILL,
    QUIT_THRESHOLD,
    QUIT_RATE,
    BASE_TURNOVER,
    DISMISSAL_RATE,
    ENGAGEMENT_BASE,
    ENGAGEMENT_RECOGNITION,
    ENGAGEMENT_TRUST,
    ENGAGEMENT_TRANSPARENCY,
    ENGAGEMENT_EMPOWERMENT,
    DISPOSITION_SD,
    REFERENCE_WAGE,
    ENGAGEMENT_WAGE,
    WAGE_QUIT_ELASTICITY,
    ENGAGEMENT_COMMITMENT,
    ENGAGEMENT_MEANING,
    ENGAGEMENT_FEAR,
    ENGAGEMENT_CROWDING,
    SKILL_ON_THE_JOB,
    HIRE_TRAINING_SKILL,
    INITIAL_SKILL,
    ENPS_PROMOTER,
    ENPS_DETRACTOR,
    ENGAGED_THRESHOLD,
    DISENGAGED_THRESHOLD,
) = field_indices(
    EmployeeCoefficients,
    "engagement_rate",
    "skill_rate",
    "hire_engagement",
    "hire_skill",
    "quit_threshold",
    "quit_rate",
    "base_turnover",
    "dismissal_rate",
    "engagement_base",
    "engagement_recognition",
    "engagement_trust",
    "engagement_transparency",
    "engagement_empowerment",
    "disposition_sd",
    "reference_wage_per_week",
    "engagement_wage",
    "wage_quit_elasticity",
    "engagement_commitment",
    "engagement_meaning",
    "engagement_fear",
    "engagement_crowding",
    "skill_on_the_job",
    "hire_training_skill",
    "initial_skill",
    "enps_promoter",
    "enps_detractor",
    "engaged_threshold",
    "disengaged_threshold",
)


def engagement_target(
    recognition: float,
    trust: float,
    transparency: float,
    empowered: float,
    commitment: float,
    meaning: float,
    overload: float,
    pay: float,
    disposition: float,
    k,
) -> float:
    """The engagement 0-1 an employee's situation supports [A][C][D][E]: engagement_base +
    weights x (recognition received, trust, transparency, ``empowered`` - the share of problems
    the employee's own limit covers, :func:`empowered_share` -, leadership commitment, meaning)
    + ``pay`` (:func:`pay_effects`) + the employee's own ``disposition`` - engagement_fear x
    (1 - trust) - engagement_crowding x overload above capacity; clipped to 0-1. ``k``: packed
    :class:`EmployeeCoefficients`."""
    crowding = max(0.0, overload - 1.0)
    target = (
        k[ENGAGEMENT_BASE]
        + k[ENGAGEMENT_RECOGNITION] * recognition
        + k[ENGAGEMENT_TRUST] * trust
        + k[ENGAGEMENT_TRANSPARENCY] * transparency
        + k[ENGAGEMENT_EMPOWERMENT] * empowered
        + k[ENGAGEMENT_COMMITMENT] * commitment
        + k[ENGAGEMENT_MEANING] * meaning
        + pay
        + disposition
        - k[ENGAGEMENT_FEAR] * (1.0 - trust)
        - k[ENGAGEMENT_CROWDING] * crowding
    )
    return min(1.0, max(0.0, target))


def empowered_share(limit: float, cost_median: float, cost_sigma: float) -> float:
    """Share of the firm's problems that a limit of ``limit`` dollars covers: P(cost <= limit)
    for the firm's log-normal problem costs (median ``cost_median``, log-sd ``cost_sigma``).
    A limit acts against the size of the problems staff actually face [C]."""
    if limit <= 0.0:
        return 0.0
    if cost_median <= 0.0:
        return 1.0
    if cost_sigma <= 0.0:
        return 1.0 if limit >= cost_median else 0.0
    ratio = limit / cost_median
    if ratio <= 0.0:  # a positive limit too small to tell from 0 next to the median
        return 0.0
    return 0.5 * math.erfc(-math.log(ratio) / (cost_sigma * math.sqrt(2.0)))


def pay_effects(wage: float, k) -> tuple[float, float]:
    """(engagement term, quit multiplier) of paying ``wage`` a week: engagement_wage x (wage /
    reference wage - 1, within -1..1), and (wage / reference wage) ^ -wage_quit_elasticity (a
    wage under 5 % of the reference counts as 5 %)."""
    relative = wage / k[REFERENCE_WAGE]
    term = k[ENGAGEMENT_WAGE] * min(1.0, max(-1.0, relative - 1.0))
    return term, max(relative, 0.05) ** -k[WAGE_QUIT_ELASTICITY]


def next_engagement(engagement: float, target: float, k) -> float:
    """Engagement after a week: it moves a share ``engagement_rate`` of the way to its target."""
    return engagement + k[ENGAGEMENT_RATE] * (target - engagement)


def next_skill(skill: float, training: float, k) -> float:
    """Skill after a week: grows toward 1 at ``skill_rate`` x (training + skill_on_the_job) -
    some is learnt on the job even without a programme [E]."""
    return skill + k[SKILL_RATE] * (training + k[SKILL_ON_THE_JOB]) * (1.0 - skill)


def quit_probability(engagement: float, pay_quit: float, k) -> float:
    """Weekly chance that an employee quits: (the base turnover plus ``quit_rate`` times the
    shortfall of engagement below ``quit_threshold``, as a share of the threshold) x
    ``pay_quit`` (:func:`pay_effects`), at most 1 [A][E]."""
    threshold = k[QUIT_THRESHOLD]
    shortfall = max(0.0, threshold - engagement) / max(threshold, 1e-9)
    return min(1.0, (k[BASE_TURNOVER] + k[QUIT_RATE] * shortfall) * pay_quit)


def separation_probability(engagement: float, pay_quit: float, trust: float, k) -> float:
    """Weekly chance that an employee leaves: they quit (:func:`quit_probability`) or are let go,
    ``dismissal_rate`` x (1 - trust) - fear fires people [D] (Batt & Colvin 2011) - at most 1.
    One draw decides both, so a dismissal rate of 0 leaves the quits exactly as they were."""
    return min(1.0, quit_probability(engagement, pay_quit, k) + k[DISMISSAL_RATE] * (1.0 - trust))


def hire_skill(training: float, k) -> float:
    """Skill 0-1 of a new hire: the hiring level, plus what the training programme adds."""
    return min(1.0, k[HIRE_SKILL] + k[HIRE_TRAINING_SKILL] * training)


def enps(engagement: np.ndarray, k) -> float:
    """Employee NPS: 100 x (share at or above ``enps_promoter`` - share below
    ``enps_detractor``)."""
    headcount = len(engagement)
    return 100.0 * (
        np.count_nonzero(engagement >= k[ENPS_PROMOTER]) / headcount
        - np.count_nonzero(engagement < k[ENPS_DETRACTOR]) / headcount
    )


def engaged_shares(engagement: np.ndarray, k) -> tuple[float, float]:
    """(share engaged, share actively disengaged) in Gallup's sense: engagement at or above
    ``engaged_threshold``, below ``disengaged_threshold``."""
    headcount = len(engagement)
    return (
        np.count_nonzero(engagement >= k[ENGAGED_THRESHOLD]) / headcount,
        np.count_nonzero(engagement < k[DISENGAGED_THRESHOLD]) / headcount,
    )


def staff_draw_id(firm, supervisor, slot):
    """Id of a post in the counter-based draws: (firm, role, slot) packed in one integer
    (ints, or NumPy int64 arrays of roles and slots)."""
    return (firm << 24) | (supervisor << 23) | slot
