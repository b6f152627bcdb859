"""The model's outputs, named and defined in one place.

Every per-firm, per-week metric the model reports is listed in :data:`FIRM_METRICS` with its unit and
definition; the DataFrames, plots, reports and README all take names and meanings from here.

Definitions that survive different purchase rates (docs/design.md section 4):

* A firm's **customer base** in week t: customers whose most recent purchase, made within the last
  ``market.base_window_weeks`` weeks, was at that firm. Each customer is in at most one base.
* **Patronage** of customer i at firm f: share of i's last ``market.patronage_window`` purchases made
  at f. "High" is at or above ``market.patronage_threshold``.
* **Attachment** "high" is at or above ``market.attachment_threshold``.
* The **Dick & Basu** cells split the customer base by attachment x patronage, so they sum to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One output column: its unit and what it means."""

    unit: str
    definition: str


FIRM_METRICS: dict[str, Metric] = {
    "open": Metric("yes/no", "Whether the firm traded this week."),
    "customer_base": Metric(
        "customers", "Customers whose most recent purchase (within the base window) was at the firm."
    ),
    "purchases": Metric("purchases per week", "Purchases made at the firm this week."),
    "market_share": Metric(
        "share 0-1",
        "The firm's purchases / all purchases this week (outside-town purchases included in the total).",
    ),
    "retention_purchase": Metric(
        "share 0-1",
        "Of this week's purchase occasions by customers "
        "whose previous purchase was at the firm, the share made at the "
        "firm again (per-occasion retention).",
    ),
    "retention_base": Metric(
        "share 0-1",
        "Share of the firm's customer base of one base window "
        "ago (13 weeks by default) still in its base now.",
    ),
    "loyalty_rate": Metric("share 0-1", "Share of the customer base with high attachment."),
    "true_loyal": Metric("customers", "Dick & Basu true loyalty: high attachment, high patronage."),
    "spurious_loyal": Metric(
        "customers",
        "Spurious loyalty (merely retained): low attachment, high patronage - the corner pharmacy.",
    ),
    "latent_loyal": Metric("customers", "Latent loyalty: high attachment, low patronage."),
    "no_loyal": Metric("customers", "No loyalty: low attachment, low patronage."),
    "attachment_mean": Metric(
        "attachment 0-1", "Mean emotional attachment to the firm across its customer base."
    ),
    "satisfaction_mean": Metric(
        "satisfaction 0-1", "Mean satisfaction with the firm across its customer base."
    ),
    "nps": Metric(
        "points -100..100",
        "Net Promoter Score from this week's survey sample of the "
        "customer base: % promoters (9-10) - % detractors (0-6).",
    ),
    "nps_se": Metric("points", "Standard error of the sampled NPS."),
    "nps_n": Metric("respondents", "Survey sample size this week."),
    "promoters": Metric(
        "customers",
        "Promoters (would recommend 9-10) in the whole customer base (not surveyed: the model's truth).",
    ),
    "detractors": Metric("customers", "Detractors (0-6) in the whole customer base."),
    "failures": Metric(
        "failures per week", "Service failures (delay, out of stock, defect, wrong order) this week."
    ),
    "repeat_failures": Metric(
        "failures per week",
        "Failures of customers who still remembered an earlier failure at the firm (a smaller "
        "recovery bonus, higher expectations: Maxham & Netemeyer 2002).",
    ),
    "complaints": Metric("complaints per week", "Failures the customer complained about."),
    "silent_failures": Metric(
        "failures per week",
        "Failures the customer did not complain about: the silent dissatisfied who drift away.",
    ),
    "resolved_on_spot": Metric(
        "complaints per week", "Complaints fixed by the frontline employee within its empowerment limit."
    ),
    "resolved_escalated": Metric(
        "complaints per week", "Complaints fixed by a supervisor or the manager after hand-offs."
    ),
    "unresolved": Metric(
        "complaints per week", "Complaints nobody fixed (limit too low, distrust, or the customer gave up)."
    ),
    "escalations": Metric(
        "hand-offs per week", "Hand-offs up the chain (frontline -> supervisor -> manager)."
    ),
    "recovery_rate": Metric("share 0-1", "Resolved complaints / complaints this week."),
    "relationship_share": Metric(
        "share 0-1",
        "Visits served by an employee the customer already knew (a relationship carried on).",
    ),
    "lapsed": Metric(
        "customers per week",
        "Customers who left the category for good after a purchase at the firm this week (a "
        "newcomer takes their place in the town).",
    ),
    "backlog": Metric("complaints", "Unresolved complaints still open, carried week to week."),
    "overload": Metric("ratio", "Visits / (frontline staff x capacity); above 1 the store is overloaded."),
    "failure_rate": Metric("probability per visit", "The process failure rate (before overload and skill)."),
    "supply_shortfall": Metric(
        "share 0-1",
        "How badly the back of house supplies the frontline (0 = fully, 1 = not at all), from its "
        "head count and engagement: stock-outs and delays at next week's visits.",
    ),
    "staff": Metric("employees", "Frontline employees and supervisors in post (empty posts not counted)."),
    "vacancies": Metric(
        "posts",
        "Frontline posts left empty by a quit, not yet filled (behaviour.vacancy_weeks); their visits "
        "go to the next filled post.",
    ),
    "engagement_mean": Metric("engagement 0-1", "Mean employee engagement."),
    "skill_mean": Metric("skill 0-1", "Mean employee skill."),
    "quits": Metric(
        "employees per week",
        "Employees who left this week - quit or let go (behaviour.dismissal_rate): separations, "
        "as turnover benchmarks count them; replaced by untrained hires.",
    ),
    "turnover": Metric("share per week", "Separations (quits and dismissals) / staff."),
    "hires": Metric("employees per week", "People hired this week (replacements and new posts)."),
    "enps": Metric(
        "points -100..100",
        "Employee NPS: % with engagement >= 0.85 - % with "
        "engagement < 0.65 (engagement x 10 read as a 0-10 answer).",
    ),
    "engaged_share": Metric(
        "share 0-1",
        "Employees engaged in Gallup's sense: engagement >= behaviour.engaged_threshold.",
    ),
    "disengaged_share": Metric(
        "share 0-1",
        "Employees actively disengaged in Gallup's sense: engagement < behaviour.disengaged_threshold.",
    ),
    "revenue": Metric("dollars per week", "Sales: baskets x price index x spend lift."),
    "refunds": Metric("dollars per week", "Cost of fixing resolved problems."),
    "wages": Metric(
        "dollars per week",
        "Staff wages (frontline and supervisors in post, and the back of house; an empty post draws none).",
    ),
    "training_spend": Metric("dollars per week", "Training programme cost."),
    "handling_cost": Metric("dollars per week", "Staff time spent on complaints."),
    "backlog_cost": Metric("dollars per week", "Cost of carrying the complaint backlog."),
    "new_customers": Metric(
        "customers per week", "First purchases ever at the firm this week (customers won)."
    ),
    "referred_customers": Metric(
        "customers per week",
        "New customers whose first purchase followed a promoter's story about the firm (referred: "
        "their next purchase after the story).",
    ),
    "acquisition_cost": Metric(
        "dollars per week",
        "Cost of winning the new customers who were not referred: (new - referred) x "
        "behaviour.acquisition_cost.",
    ),
    "referral_value": Metric(
        "dollars per week",
        "Acquisition cost saved by referrals: referred customers x behaviour.acquisition_cost.",
    ),
    "serve_cost": Metric(
        "dollars per week",
        "Cost to serve the week's visits; a visit costs less the longer the customer's run of "
        "purchases at the firm (behaviour.serve_cost, serve_learning, serve_floor).",
    ),
    "serve_cost_per_visit": Metric(
        "dollars per purchase", "serve_cost / purchases: falls as the firm's customers stay."
    ),
    "hiring_cost": Metric(
        "dollars per week",
        "Cost of this week's hires: hires x behaviour.hiring_cost_share x a year's wage.",
    ),
    "profit": Metric(
        "dollars per week",
        "Revenue x gross margin - refunds - wages - training - handling - backlog cost - hiring "
        "cost - acquisition cost - cost to serve.",
    ),
    "clv": Metric(
        "dollars",
        "Customer lifetime value: weekly gross margin per base customer x "
        "expected lifetime in weeks, 13 / (1 - retention_base), capped at "
        "market.clv_horizon_weeks (520).",
    ),
    "price_index": Metric("ratio to market price", "The firm's price level this week (a policy may cut it)."),
    "training": Metric("share 0-1", "The firm's training effort this week (a policy may change it)."),
    "decision": Metric(
        "bit flags",
        "What the firm's management policy decided at this week's review (firms.<id>.policy): "
        "1 staff cut, 2 training cut, 4 price cut, 8 staff added, 16 training added, summed; 0 "
        "nothing. The reasons are in model.decisions.",
    ),
}

#: Index columns of the tidy per-firm weekly table.
INDEX_COLUMNS: tuple[str, ...] = ("week", "firm")

#: Columns of the tidy table, in order.
FIRM_WEEKLY_COLUMNS: tuple[str, ...] = (*INDEX_COLUMNS, *FIRM_METRICS)

#: Columns of the management policies' decisions (``LoyaltyModel.decisions_frame()``,
#: ``SimulationResult.decisions``, ``decisions.csv``): review week, firm, what changed, why.
DECISION_COLUMNS: tuple[str, ...] = ("week", "firm", "change", "why")

#: Headline metrics shown in summaries and compared across scenarios.
HEADLINE_METRICS: tuple[str, ...] = (
    "customer_base",
    "market_share",
    "retention_purchase",
    "retention_base",
    "loyalty_rate",
    "true_loyal",
    "spurious_loyal",
    "nps",
    "recovery_rate",
    "engagement_mean",
    "turnover",
    "profit",
)
