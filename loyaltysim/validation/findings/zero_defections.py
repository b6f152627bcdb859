"""Zero defections (Reichheld & Sasser 1990): what cutting defections by five points is worth in
each shipped scenario, and what in the model makes long-standing customers worth more."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field

from loyaltysim.mechanisms.economics import costs_to_serve
from loyaltysim.scenario import ScenarioError, load_scenario, shipped_scenarios
from loyaltysim.schema import StrictModel
from loyaltysim.state import ESCALATED, ON_SPOT, UNRESOLVED
from loyaltysim.validation.customers import start_model
from loyaltysim.validation.experiment import LoadedValidation, ValidationExperimentError
from loyaltysim.validation.result import Closeness, Comparison, FindingResult, percent

TITLE = "Zero defections (Reichheld & Sasser)"
SOURCE = (
    "Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes to services. "
    "Harvard Business Review 68(5), 105-111."
)
CLAIM = (
    "Cutting customer defections by 5 percentage points raised profits (the net present "
    "value of a customer) by 25-85 % across the industries studied, because profit per "
    "customer rises with tenure: more purchases, lower cost to serve, referrals, price "
    "premiums."
)
#: The published range of the profit increase.
LOW, HIGH = 0.25, 0.85
#: Weeks per year.
YEAR = 52


class Params(StrictModel):
    """Knobs of the zero-defections finding (``[params]`` of its experiment file)."""

    scenarios: list[str] = Field(
        default_factory=lambda: list(shipped_scenarios()),
        description="Shipped scenarios (names) whose focus firm is "
        "measured; each is run as shipped with the file's [set].",
    )
    warmup_weeks: int = Field(
        26,
        ge=0,
        le=1000,
        description="Weeks left out after the "
        "start, or after the scenario's last timeline event (a competitor "
        "opening, a culture programme), before defection and profit are "
        "measured: the settled market is measured, not the shock.",
    )
    min_customer_years: float = Field(
        10.0,
        ge=0,
        le=1e9,
        description="Tenure years with fewer "
        "customer-years (customer-weeks / 52) than this, over all "
        "seeds, are too thin to use and are left out.",
    )
    lever: str = Field(
        "culture.relationship_building",
        description="The simulated lever: a "
        "key of the focus firm (under firms.<focus>.) raised to cut its "
        "defections; relationship-building slows the decay of attachment and "
        "costs nothing in the model, so the profit change is the customers'.",
    )
    lever_value: float = Field(
        1.0,
        description="Value of the lever in the counterfactual run; "
        "profit at five points fewer defections is interpolated linearly "
        "between the shipped run and this one.",
    )
    years: int = Field(
        4,
        ge=1,
        le=50,
        description="Years measured after the warm-up (the run "
        "is extended to last event + warm-up + these years).",
    )
    cut_points: float = Field(
        0.05,
        gt=0,
        le=0.5,
        description="Cut of the annual defection rate, in share points (Reichheld & Sasser: 5 points).",
    )
    discount_rate: float = Field(
        0.10, ge=0, le=1, description="Annual discount rate of the customer's net present value."
    )


def follow(scenario, seed: int, start: int) -> dict:
    """Run one scenario and follow its focus firm's customers week by week.

    A **customer of the firm** in a week is anyone who bought there at least once in the last
    ``market.base_window_weeks`` weeks (whether or not they also shop elsewhere); a customer
    **defects** in a year when they are a customer now and not one 52 weeks later. Returns the
    firm's weekly table, the annual retention counts (customers at each measured week, of whom
    still customers a year later) and, per tenure year (years since the customer's current spell
    began), the customer-weeks, the contribution they brought - spend x gross margin (``margin``)
    - refunds - complaint handling (the firm's handling cost of the week shared over its
    complainants) - the cost to serve their visits (``serve``, which falls with tenure) - and the
    promoter stories they told (``stories``; the referrals they bring are credited per story by
    :func:`measure`). Wages, training and the complaint backlog are the firm's fixed costs: they
    do not depend on how many customers stay; acquisition costs are paid once per new customer.
    """
    model = start_model(scenario, seed)
    f = model.firm_keys.index(model.spec.focus_firm)
    window = model.spec.market.base_window_weeks
    last_bought = np.full(model.n_customers, -(10**9), dtype=np.int64)
    joined = np.full(model.n_customers, -1, dtype=np.int64)
    weeks_in: dict[int, int] = {}
    money: dict[int, float] = {}
    margin: dict[int, float] = {}
    serve: dict[int, float] = {}
    bought: dict[int, int] = {}
    stories: dict[int, int] = {}
    customers: list[np.ndarray] = []
    while model.week < model.spec.market.weeks:
        model.step()
        week = model.week
        visits = model.week_visits()
        at_f = visits.firm == f
        last_bought[at_f] = week
        current = last_bought > week - window
        joined[current & (joined < 0)] = week
        joined[~current] = -1
        complained = at_f & (visits.outcome >= ON_SPOT) & (visits.outcome <= UNRESOLVED)
        resolved = at_f & ((visits.outcome == ON_SPOT) | (visits.outcome == ESCALATED))
        handling = model.focus_metrics["handling_cost"] / complained.sum() if complained.any() else 0.0
        if week <= start:
            continue
        sales = visits.spend.astype(np.float64) * model.firms[f].params.gross_margin * at_f
        serving = np.where(at_f, costs_to_serve(model.state.tenure, model.k.economics), 0.0)
        value = sales - np.where(resolved, visits.problem_cost, 0.0) - handling * complained - serving
        told = (model.state.story_firm == f) & (model.state.story_sign > 0)  # this week's promoters
        customers.append(current)
        year = (week - joined[current]) // YEAR + 1
        counts = np.bincount(year)
        totals = np.bincount(year, weights=value[current])
        sold = np.bincount(year, weights=sales[current])
        served = np.bincount(year, weights=serving[current])
        promoted = np.bincount(year, weights=told[current])
        purchases = np.bincount(year, weights=at_f[current])
        for y in np.flatnonzero(counts):
            weeks_in[int(y)] = weeks_in.get(int(y), 0) + int(counts[y])
            money[int(y)] = money.get(int(y), 0.0) + float(totals[y])
            margin[int(y)] = margin.get(int(y), 0.0) + float(sold[y])
            serve[int(y)] = serve.get(int(y), 0.0) + float(served[y])
            stories[int(y)] = stories.get(int(y), 0) + int(promoted[y])
            bought[int(y)] = bought.get(int(y), 0) + int(purchases[y])
    then = sum(int(c.sum()) for c in customers[:-YEAR])
    kept = sum(int((c & later).sum()) for c, later in zip(customers[:-YEAR], customers[YEAR:], strict=False))
    frame = model.firm_weekly()
    return {
        "weekly": frame[frame["firm"] == model.spec.focus_firm],
        "customers_then": then,
        "customers_kept": kept,
        "weeks_in": weeks_in,
        "money": money,
        "margin": margin,
        "serve": serve,
        "stories": stories,
        "bought": bought,
        "firm": model.spec.focus_firm,
    }


def customer_value(
    contribution: list[float], defection: float, discount: float, acquisition: float = 0.0
) -> float:
    """Net present value of a new customer (dollars): - ``acquisition`` dollars to win them
    (year 0), then ``contribution[y]`` dollars in tenure year y + 1 while the customer stays,
    surviving each year with probability 1 - ``defection``, discounted at ``discount`` a year;
    the last year's contribution continues for ever."""
    q = (1.0 - defection) / (1.0 + discount)
    value = sum(c * q**k for k, c in enumerate(contribution))
    last = len(contribution)
    return value - acquisition + (contribution[-1] * q**last / (1.0 - q) if q < 1.0 else math.inf)


def _defection_and_profit(runs: list[dict], start: int) -> tuple[float, float]:
    """Annual defection rate and annual profit ($, the model's metric) pooled over runs."""
    weekly = pd.concat([r["weekly"] for r in runs])
    defection = 1.0 - (
        sum(r["customers_kept"] for r in runs) / max(1, sum(r["customers_then"] for r in runs))
    )
    return defection, YEAR * float(weekly[weekly["week"] > start]["profit"].mean())


def lever_effect(base: tuple[float, float], pulled: tuple[float, float], cut: float) -> float:
    """Profit change ($ a year) at ``cut`` fewer annual defections, interpolated linearly between
    (defection, profit) of the shipped run ``base`` and of the run with the lever pulled; NaN
    when the lever does not cut defections by ``cut``."""
    (d0, p0), (d1, p1) = base, pulled
    if d0 - d1 < cut or d0 - cut < 0:
        return float("nan")
    return (p1 - p0) * cut / (d0 - d1)


def measure(name: str, loaded: LoadedValidation, p: Params) -> dict:
    """The figures of one scenario's focus firm, pooled over the seeds."""
    shipped = load_scenario(name, loaded.overrides())
    start = max((e.week for e in shipped.events), default=0) + p.warmup_weeks
    settings = {**loaded.overrides(), "market.weeks": start + YEAR * p.years}
    scenario = load_scenario(name, settings)
    lever = f"firms.{scenario.focus_firm}.{p.lever}"
    try:
        pulled = load_scenario(name, {**settings, lever: p.lever_value})
    except ScenarioError as exc:
        raise ValidationExperimentError(
            f"{loaded.path}: params.lever / params.lever_value: {lever} = {p.lever_value:g} is "
            f"not a valid setting of {name}: {exc}",
            file=str(loaded.path),
            key_path="params.lever",
        ) from None
    runs = [follow(scenario, s, start) for s in loaded.seeds]
    weekly = pd.concat([r["weekly"] for r in runs])
    defection, profit = _defection_and_profit(runs, start)
    lever_runs = [follow(pulled, s, start) for s in loaded.seeds]
    with_lever = _defection_and_profit(lever_runs, start)
    lever_gain = lever_effect((defection, profit), with_lever, p.cut_points)
    # Reichheld's layers: the acquisition cost of a new customer (paid for those not referred,
    # spread over all new customers) and the referrals customers bring, credited to the tellers
    # of promoter stories at the acquisition cost those stories saved the firm, per story.
    measured = weekly[weekly["week"] > start]
    new_customers = float(measured["new_customers"].sum())
    acquisition = float(measured["acquisition_cost"].sum()) / new_customers if new_customers else 0.0
    told = sum(sum(r["stories"].values()) for r in runs)
    per_story = float(measured["referral_value"].sum()) / told if told else 0.0
    years = sorted(set().union(*(r["weeks_in"] for r in runs)))
    per_year, layers = [], []
    for y in years:
        n = sum(r["weeks_in"].get(y, 0) for r in runs)
        if n < YEAR * p.min_customer_years:
            continue
        referrals = per_story * sum(r["stories"].get(y, 0) for r in runs)
        total = sum(r["money"].get(y, 0.0) for r in runs) + referrals
        per_year.append((y, n, YEAR * total / n))
        visits = sum(r["bought"].get(y, 0) for r in runs)
        layers.append(
            {
                "margin": YEAR * sum(r["margin"].get(y, 0.0) for r in runs) / n,
                "visits": YEAR * visits / n,
                "serve per visit": sum(r["serve"].get(y, 0.0) for r in runs) / max(1, visits),
                "referrals": YEAR * referrals / n,
            }
        )
    usable = [c for _, _, c in per_year]
    cut = min(p.cut_points, defection)
    before = customer_value(usable, defection, p.discount_rate, acquisition)
    after = customer_value(usable, defection - cut, p.discount_rate, acquisition)
    contribution = (
        YEAR * sum(sum(r["money"].values()) for r in runs) / (len(runs) * (weekly["week"].max() - start))
    )
    # Same inflow of new customers: the steady-state number of customers is inflow / defection.
    grown = defection / (defection - cut) - 1.0 if defection > cut else float("nan")
    return {
        "scenario": name,
        "firm": runs[0]["firm"],
        "measured from": start,
        "annual defection": defection,
        "defection after cut": defection - cut,
        "profit per customer by tenure year": per_year,
        "layers by tenure year": layers,
        "acquisition cost": acquisition,
        "referred share": float(measured["referred_customers"].sum()) / new_customers
        if new_customers
        else 0.0,
        "customer NPV": before,
        "customer NPV after cut": after,
        "NPV increase": after / before - 1.0 if before > 0 else float("nan"),
        "annual contribution": contribution,
        "annual profit": profit,
        "annual fixed costs": contribution - profit,
        "firm profit increase": (contribution * grown / profit if profit > 0 else float("nan")),
        "rises with tenure": bool(len(usable) > 1 and usable[-1] > usable[0]),
        "lever": f"{lever} = {p.lever_value:g}",
        "defection with lever": with_lever[0],
        "profit with lever": with_lever[1],
        "lever profit gain": lever_gain,
    }


def run(loaded: LoadedValidation) -> FindingResult:
    """Measure every listed scenario and compare the five-point figure with 25-85 %."""
    p: Params = loaded.params
    unknown = [s for s in p.scenarios if s not in shipped_scenarios()]
    if unknown:
        raise ValidationExperimentError(
            f"{loaded.path}: params.scenarios: {unknown} are not shipped scenarios; allowed: "
            f"{', '.join(shipped_scenarios())}.",
            file=str(loaded.path),
            key_path="params.scenarios",
        )
    rows = [measure(name, loaded, p) for name in p.scenarios]
    comparisons = []
    for r in rows:
        npv = r["NPV increase"]
        note = (
            ""
            if r["defection after cut"] > 1e-12 or r["annual defection"] >= p.cut_points
            else f" (defection only {percent(r['annual defection'], 1)}: cut to zero)"
        )
        comparisons.append(
            Comparison.within(
                f"{r['scenario']} ({r['firm']}): customer NPV gain from "
                f"{100 * p.cut_points:.0f} pts fewer defections",
                f"{percent(LOW)}-{percent(HIGH)}",
                f"{percent(npv)} (defection {percent(r['annual defection'], 1)} -> "
                f"{percent(r['defection after cut'], 1)}){note}",
                f"within {percent(LOW)}-{percent(HIGH)}, where defection is at least "
                f"{100 * p.cut_points:.0f} % a year (five points to cut)",
                Closeness(npv, (LOW + HIGH) / 2, (HIGH - LOW) / 2),
                # Reichheld & Sasser's firms lost 10-30 % a year; a store that loses fewer than
                # the cut has no cut to make, so their figure says nothing about it
                applicable=r["annual defection"] >= p.cut_points,
            )
        )
    rising = [r["scenario"] for r in rows if r["rises with tenure"]]
    comparisons.append(
        Comparison(
            "Profit per customer rises with tenure (last measured tenure year above the first)",
            "rises in every industry studied",
            f"{len(rising)} of {len(rows)} scenarios"
            + (
                f" (not: {', '.join(r['scenario'] for r in rows if not r['rises with tenure'])})"
                if len(rising) < len(rows)
                else ""
            ),
            "every scenario",
            len(rising) == len(rows),
        )
    )
    table = _table(rows)
    return FindingResult(
        key="zero_defections",
        title=TITLE,
        source=SOURCE,
        claim=CLAIM,
        comparisons=comparisons,
        figure=_figure(rows),
        table=table,
        discussion=_discussion(rows, p),
    )


def _table(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        tenure = {f"year {y} $/customer": c for y, _, c in r["profit per customer by tenure year"]}
        out.append(
            {
                "scenario": r["scenario"],
                "firm": r["firm"],
                "measured from week": r["measured from"],
                "annual defection": r["annual defection"],
                "NPV $": r["customer NPV"],
                "NPV after cut $": r["customer NPV after cut"],
                "acquisition $/new customer": r["acquisition cost"],
                "referred share of new": r["referred share"],
                "NPV increase": r["NPV increase"],
                "contribution $/yr": r["annual contribution"],
                "fixed costs $/yr": r["annual fixed costs"],
                "profit $/yr": r["annual profit"],
                "firm profit increase": r["firm profit increase"],
                "defection with lever": r["defection with lever"],
                "profit with lever $/yr": r["profit with lever"],
                "lever: profit gain at -5 pts $/yr": r["lever profit gain"],
                **tenure,
            }
        )
    return pd.DataFrame(out)


def _figure(rows: list[dict]) -> Figure:
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    for r in rows:
        years = [y for y, _, _ in r["profit per customer by tenure year"]]
        values = [c for _, _, c in r["profit per customer by tenure year"]]
        left.plot(years, values, marker="o", label=r["scenario"])
    left.set_xlabel("tenure year (years as the firm's customer)")
    left.set_ylabel("contribution per customer ($ / year)")
    left.set_title("Profit per customer by tenure", fontsize=10)
    left.legend(fontsize=7)
    left.grid(alpha=0.3)
    names = [r["scenario"] for r in rows]
    gains = [100 * r["NPV increase"] for r in rows]
    right.axhspan(100 * LOW, 100 * HIGH, color="C2", alpha=0.2, label="Reichheld & Sasser")
    right.bar(range(len(rows)), gains, color="C0")
    right.set_xticks(range(len(rows)), names, rotation=35, ha="right", fontsize=8)
    right.set_ylabel("customer NPV increase (%)")
    right.set_title("Gain from 5 points fewer defections", fontsize=10)
    right.legend(fontsize=8)
    right.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _discussion(rows: list[dict], p: Params) -> str:
    high = _named(rows, lambda d: d >= 0.4)
    low = _named(rows, lambda d: d < p.cut_points)
    lines = []
    for r in rows:
        years = r["profit per customer by tenure year"]
        first, last = years[0][2], years[-1][2]
        if r["annual profit"] <= 0:
            firm = f"not a percentage: the firm's annual profit is ${r['annual profit']:,.0f}"
        elif r["annual defection"] <= p.cut_points:
            firm = (
                "unbounded: defection is below the cut, so with the same inflow the number "
                "of customers would grow without limit"
            )
        else:
            firm = f"{percent(r['firm profit increase'])} of its annual profit"
        gain = r["lever profit gain"]
        if gain != gain:
            lever = (
                f"the lever ({r['lever']}) moves defection only to "
                f"{percent(r['defection with lever'], 1)}: no five-point cut to read"
            )
        else:
            base = r["annual profit"]
            share = (
                ""
                if not base
                else f", profit up {percent(gain / base)}"
                if base > 0
                else f", the loss {percent(gain / -base, 1)} smaller"
            )
            lever = (
                f"simulated with the lever ({r['lever']}: defection "
                f"{percent(r['defection with lever'], 1)}), five points fewer defections "
                f"change profit by ${gain:+,.0f} a year{share}"
            )
        lines.append(
            f"- `{r['scenario']}` ({r['firm']}): defection "
            f"{percent(r['annual defection'], 1)} a year; contribution per customer "
            f"${first:,.0f} in the first tenure year, ${last:,.0f} in year "
            f"{years[-1][0]} ({_layers(r)}); firm-level gain (accounting, same inflow) {firm}; {lever}."
        )
    return f"""
**How it is measured.** Each scenario is run as shipped (its timeline included) and extended, and
its focus firm is measured in the settled market: for {p.years} years from {p.warmup_weeks}
weeks after the start or after the last timeline event (a rival opening, a culture programme),
whichever is later - Reichheld & Sasser's defection rates are those of ongoing business, not of a
market being upset. A customer of the firm is anyone who bought there in the last 13 weeks
(`market.base_window_weeks`), whether or not they also shop elsewhere; the annual defection rate
is the share of the firm's customers of a week who are no longer its customers 52 weeks later,
pooled over the measured weeks. Profit in the model (`loyaltysim/metrics.py`) is revenue x
gross margin - refunds - wages - training - complaint handling - backlog cost - acquisition cost
- cost to serve. Per customer it is split into a **contribution** (spend x margin - refunds -
the week's handling cost shared over the week's complainants - the cost to serve the customer's
visits, which falls with their run of purchases at the firm) and **fixed costs** (wages,
training, the backlog, and the acquisition cost, which at the same inflow of new customers stays
the same): staff are sized to the town, not to the customer base, so they do not shrink with
lost customers - which is why a firm that loses most of its customers can run at a loss. Tenure
is the time since the customer's current spell as a customer began; the contribution of each
tenure year is per customer in that year of tenure, plus the **referrals** the customer brings:
each promoter story they tell is credited with the firm's referral value (the acquisition cost
its referred new customers saved it) divided by all promoter stories told about it.

**The Reichheld & Sasser figure** is computed their way: the net present value of a new
customer - the acquisition cost of a new customer (what the firm paid for those not referred,
spread over all its new customers), then their contributions, surviving each year with
probability one minus the defection rate and
discounted at {percent(p.discount_rate)} a year (the last measured year's contribution continues),
before and after cutting the defection rate by {100 * p.cut_points:.0f} points. The firm-level
figure (accounting) assumes the same inflow of new customers, so the steady-state number of
customers grows by d / (d - {p.cut_points:g}) while fixed costs stay. As a simulated check, each
scenario is also run with one lever of the focus firm pulled (`{p.lever}` = {p.lever_value:g}:
it slows the decay of attachment between visits and costs nothing in the model), and the
change of the model's own profit at five points fewer defections is interpolated linearly
between the two runs.

{chr(10).join(lines)}

**What produces rising profit per customer with tenure.** Two things. Who stays: heavy and super
users and the attached buy at the firm more often, and they are also the customers whose spells
last, so a cohort of long tenure is a cohort of frequent buyers (Reichheld & Sasser's "more
purchases"). And attachment: attached customers spend more per visit (basket x (1 + spend_lift x
attachment)), attachment grows with good visits over time, and attached customers forgive
failures, so they stay. Against it, attached
customers complain more (a complaint means they still care), which costs refunds and handling
time. Reichheld's other layers are in the model since issue 17 (`loyaltysim/mechanisms/economics.py`):
a new customer costs `behaviour.acquisition_cost` to win unless referred; a visit costs
`behaviour.serve_cost`, less for every consecutive earlier purchase (cost savings); and a
promoter's story about a store the listener never tried gives it a trial at their next purchase
(`behaviour.referral_pull`), a referred customer costing nothing to win (referrals). **What the
model still lacks**: no price premium from loyal customers (every customer pays the firm's
price); the referrals credited to a teller count only the acquisition cost they saved, not the
referred customers' own future profit; and the town is closed - no households move in - so after
the warm-up almost everyone has tried every store and referrals have few customers left to bring
(the referral layer is about $0 a customer-year; Reichheld's markets have a steady flow of new
prospects). The cost savings are small by choice of the defaults (a visit's cost to serve falls
from $0.50 to $0.25): the model's profit per customer rises with tenure mainly because the
customers who stay buy more often. Where the figure falls outside 25-85 %, the defection rate
decides it more than the tenure curve: Reichheld & Sasser's examples have defection rates of the
order of 10-20 % a year (a credit-card issuer cutting defections from 20 % to 10 % doubles the
average customer's life from five years to ten); a store losing 40 % or more of its customers a
year keeps few of them into the profitable years, so five points change little{high},
and a store losing less than five points has no five points to cut{low}: their figure says
nothing about it, and its comparison is shown but marked not applicable (neither held nor
failed, though a calibration still scores it by its numbers). Reichheld & Sasser studied firms
that lose customers; Jones & Sasser's hostages are what the model says about a store nobody can
leave.
"""


def _layers(r: dict) -> str:
    """Reichheld's layers of profit per customer, first to last measured tenure year."""
    first, last = r["layers by tenure year"][0], r["layers by tenure year"][-1]
    saved = (first["serve per visit"] - last["serve per visit"]) * last["visits"]
    return (
        f"acquisition ${r['acquisition cost']:,.0f} a new customer, "
        f"{percent(r['referred share'])} of them referred; base profit ${first['margin']:,.0f}, "
        f"revenue growth ${last['margin'] - first['margin']:+,.0f} ({first['visits']:.0f} -> "
        f"{last['visits']:.0f} purchases a year), cost savings ${saved:+,.0f} (cost to serve "
        f"${first['serve per visit']:.2f} -> ${last['serve per visit']:.2f} a visit), referrals "
        f"${first['referrals']:,.0f} -> ${last['referrals']:,.0f}"
    )


def _named(rows: list[dict], which) -> str:
    """ " (here: a, b)" for the scenarios whose annual defection satisfies ``which``, else ""."""
    names = [
        f"`{r['scenario']}` {percent(r['annual defection'], 1)}" for r in rows if which(r["annual defection"])
    ]
    return f" (here: {', '.join(names)})" if names else ""
