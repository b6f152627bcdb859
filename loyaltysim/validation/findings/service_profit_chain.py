"""Finding: the service-profit chain (Heskett et al. 1994; Harter, Schmidt & Hayes 2002).

Many stores, each alone in its own small town with the outside option as its competition, differ
in culture (trust, empowerment, training, recognition, staffing, ...) and in situation (how strong
the competition is, how spread out the town is, prices, hours, process quality), drawn from a seeded
Latin hypercube. Across the stores, unit-level employee engagement is correlated with customer
loyalty and with employee turnover, and the lowest-turnover fifth of stores is compared with the
highest-turnover fifth on sales and profit.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import ScenarioError, schema_at
from loyaltysim.schema import StrictModel
from loyaltysim.validation.experiment import LoadedValidation, ValidationExperimentError
from loyaltysim.validation.result import Closeness, Comparison, FindingResult, Margin
from loyaltysim.validation.unit_stats import (
    Estimate,
    correlation,
    fifths,
    latin_hypercube,
    ratio_of_means,
)

TITLE = "Service-profit chain: engagement, loyalty, turnover and profit across stores"
SOURCE = (
    "Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E. & Schlesinger, L. A. "
    "(1994). Putting the service-profit chain to work. Harvard Business Review 72(2), "
    "164-174. Harter, J. K., Schmidt, F. L. & Hayes, T. L. (2002). Business-unit-level "
    "relationship between employee satisfaction, employee engagement, and business "
    "outcomes: a meta-analysis. Journal of Applied Psychology 87(2), 268-279."
)
CLAIM = (
    "Across business units, employee engagement correlates with customer loyalty (Harter et "
    "al.: corrected r about 0.33) and negatively with employee turnover (about -0.30). At "
    "Taco Bell the 20 % of stores with the lowest staff turnover had double the sales and "
    "55 % higher profits of the 20 % with the highest turnover (Heskett et al.)."
)

PUBLISHED_R_LOYALTY = 0.33
PUBLISHED_R_TURNOVER = -0.30
#: Park & Shaw 2013: meta-analytic correlation of unit turnover rates with performance (110 samples).
META_R_TURNOVER_PERFORMANCE = -0.15
PUBLISHED_SALES_RATIO = 2.0
PUBLISHED_PROFIT_RATIO = 1.55
#: Scales of a miss for a calibration (:class:`~loyaltysim.validation.result.Margin`; conventions):
#: a confidence bound 0.1 of a correlation, or 0.1 of a ratio, on the wrong side of its line.
R_SCALE = 0.1
RATIO_SCALE = 0.1

Range = tuple[float, float]


def _default_culture() -> dict[str, Range]:
    firm = "firms.store."
    shares = (
        "trust",
        "training",
        "recognition",
        "transparency",
        "empathy",
        "listening",
        "leadership_commitment",
    )
    out: dict[str, Range] = {f"{firm}culture.{name}": (0.0, 1.0) for name in shares}
    out[f"{firm}culture.relationship_building"] = (0.0, 0.6)
    out[f"{firm}culture.empowerment.frontline"] = (0.0, 300.0)
    out[f"{firm}staffing.frontline_per_1000"] = (2.0, 6.0)
    return out


def _default_situation() -> dict[str, Range]:
    return {
        "market.outside_utility": (-3.0, 0.0),
        "market.town_km": (2.0, 6.0),
        "firms.store.price_index": (0.9, 1.15),
        "firms.store.deals": (0.0, 0.6),
        "firms.store.selection": (0.3, 0.9),
        "firms.store.hours_per_day": (10.0, 24.0),
        "firms.store.process.base_failure_rate": (0.02, 0.1),
    }


class Params(StrictModel):
    """Settings of the service-profit chain finding (``[params]`` of its experiment file).

    The number of stores is the experiment's ``replications`` (one store per seed)."""

    burn_in_weeks: int = Field(
        52,
        ge=0,
        le=1000,
        description="Weeks run before the measurement window (the rest of market.weeks) starts.",
    )
    design_seed: int = Field(
        2024, ge=0, description="Seed of the Latin hypercube of store settings and of the bootstrap."
    )
    culture: dict[str, Range] = Field(
        default_factory=_default_culture,
        description="Culture and staffing settings varied across stores: dotted scenario key -> [low, high].",
    )
    situation: dict[str, Range] = Field(
        default_factory=_default_situation,
        description="Non-"
        "culture settings varied across stores (competition, "
        "location, offer): dotted scenario key -> [low, high].",
    )
    loyalty_metric: Literal["loyalty_rate", "retention_base"] = Field(
        "loyalty_rate",
        description="Unit-level customer loyalty: 'loyalty_rate' (share of the "
        "customer base emotionally attached) or 'retention_base'.",
    )
    band_factor: float = Field(
        2.0,
        gt=1,
        le=10,
        description="The model's r must lie within [published / band_factor, published x band_factor].",
    )
    culture_only_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Size of a second panel "
        "that varies culture alone (situation as in the scenario), "
        "as a share of the stores; below 10 stores it is skipped.",
    )
    bootstrap_resamples: int = Field(
        2000, ge=100, le=100_000, description="Bootstrap resamples for the confidence intervals."
    )

    @field_validator("culture", "situation")
    @classmethod
    def _ranges(cls, ranges: dict[str, Range]) -> dict[str, Range]:
        for key, (low, high) in ranges.items():
            annotation, _ = schema_at(key.split("."))
            if annotation is not float:
                raise ValueError(
                    f"{key!r} is not a real-valued scenario parameter (a dotted "
                    "key such as 'firms.store.culture.trust')"
                )
            if low > high:
                raise ValueError(f"{key!r}: low {low:g} is above high {high:g}")
        return ranges


def store_panel(
    loaded: LoadedValidation, varied: dict[str, Range], seeds: list[int], design_seed: int
) -> pd.DataFrame:
    """Run one store per seed at its Latin-hypercube settings over ``varied`` (the rest as in the
    experiment's scenario); one row per store with the settings and, over the measurement window,
    mean engagement, loyalty, turnover (quits per employee per year), sales and profit (dollars
    per year), and ``turnover_chance_var``: the variance that chance alone gives the store's
    measured turnover - quits as Poisson events at its own rate (variance = their count), scaled
    as turnover is."""
    prm: Params = loaded.params
    points = latin_hypercube(varied, len(seeds), design_seed)
    rows = []
    for seed, point in zip(seeds, points, strict=True):
        spec = loaded.scenario(**point)
        window = spec.market.weeks - prm.burn_in_weeks
        if window < 4:
            raise ValueError(
                f"{loaded.path}: market.weeks ({spec.market.weeks}) must exceed "
                f"params.burn_in_weeks ({prm.burn_in_weeks}) by at least 4 weeks"
            )
        model = LoyaltyModel(spec, rng=seed)
        model.run()
        weekly = model.firm_weekly()
        w = weekly[(weekly["firm"] == spec.focus_firm) & (weekly["week"] > prm.burn_in_weeks)]
        per_year = 52.0 / len(w)
        quits, staff = w["quits"].sum(), w["staff"].mean()
        rows.append(
            {
                "seed": seed,
                **point,
                "engagement": w["engagement_mean"].mean(),
                "loyalty": w[prm.loyalty_metric].mean(),
                "turnover": quits / staff * per_year,
                "turnover_chance_var": quits * (per_year / staff) ** 2,
                "sales": w["revenue"].sum() * per_year,
                "profit": w["profit"].sum() * per_year,
                "market_share": w["market_share"].mean(),
            }
        )
    return pd.DataFrame(rows)


def fifth_table(panel: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean unit figures in each fifth of stores ranked by ``by`` (1 = lowest)."""
    group = fifths(panel[by].to_numpy()) + 1
    cols = ["turnover", "engagement", "loyalty", "sales", "profit"]
    table = panel.groupby(group)[cols].mean()
    table.insert(0, "stores", panel.groupby(group).size())
    table.insert(0, "fifth", table.index)
    table.insert(0, "stores ranked by", by)
    return table.reset_index(drop=True)


def explained_share(panel: pd.DataFrame, keys: list[str], outcome: str) -> float:
    """R-squared 0-1 of a least-squares linear fit of ``outcome`` on the store settings ``keys``:
    how much of the spread of the outcome across stores those settings account for."""
    y = panel[outcome].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(panel)), *(panel[k].to_numpy(dtype=float) for k in keys)])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    total = ((y - y.mean()) ** 2).sum()
    return float(1.0 - (residual**2).sum() / total) if total > 0 else 0.0


def check_ranges(loaded: LoadedValidation) -> None:
    """Check that the scenario accepts both ends of every varied range (an unknown firm or a
    value outside the parameter's own range is an error naming the file and the key path)."""
    prm: Params = loaded.params
    for table, ranges in (("culture", prm.culture), ("situation", prm.situation)):
        for key, ends in ranges.items():
            for value in ends:
                try:
                    loaded.scenario(**{key: value})
                except ScenarioError as exc:
                    where = f"params.{table}.{key}"
                    raise ValidationExperimentError(
                        f"{loaded.path}: {where}: {exc}", file=str(loaded.path), key_path=where
                    ) from None


def panel_statistics(panel: pd.DataFrame, prm: Params, base_turnover: float) -> dict:
    """The finding's numbers for one panel of stores: correlations of engagement with loyalty,
    turnover, sales and profit, the lowest- / highest-turnover fifth ratios, the share of the
    spread of sales and profit that the culture and the situation settings account for, and the
    share of stores turning over at most 1.5 x the base rate of quits unrelated to work; the share
    of the spread of turnover across stores that chance alone gives, and the correlation of
    turnover with sales with the sales' coefficient of variation (for Park & Shaw's benchmark)."""
    n_boot, seed = prm.bootstrap_resamples, prm.design_seed
    group = fifths(panel["turnover"].to_numpy())
    low, high = panel[group == 0], panel[group == 4]
    numbers: dict = {
        "stores": len(panel),
        "r_engagement_loyalty": correlation(panel["engagement"], panel["loyalty"], n_boot, seed),
        "r_engagement_turnover": correlation(panel["engagement"], panel["turnover"], n_boot, seed + 1),
        "sales_ratio": ratio_of_means(low["sales"], high["sales"], n_boot, seed + 2),
        "profit_ratio": ratio_of_means(low["profit"], high["profit"], n_boot, seed + 3),
        "r_engagement_sales": correlation(panel["engagement"], panel["sales"], n_boot, seed + 4),
        "r_engagement_profit": correlation(panel["engagement"], panel["profit"], n_boot, seed + 5),
        "base_turnover": base_turnover,
        "share_at_base": float((panel["turnover"] <= 1.5 * base_turnover).mean()),
        "turnover_low": float(low["turnover"].mean()),
        "turnover_high": float(high["turnover"].mean()),
        "turnover_chance_share": chance_share(panel["turnover"], panel["turnover_chance_var"]),
        "r_turnover_sales": correlation(panel["turnover"], panel["sales"], n_boot, seed + 6),
        "sales_cv": float(panel["sales"].std(ddof=1) / panel["sales"].mean()),
    }
    for outcome in ("sales", "profit"):
        for part, keys in (("culture", prm.culture), ("situation", prm.situation)):
            keys = [k for k in keys if k in panel and panel[k].nunique() > 1]
            numbers[f"{outcome}_r2_{part}"] = explained_share(panel, keys, outcome)
    return numbers


def chance_share(turnover: pd.Series, chance_var: pd.Series) -> float:
    """Share 0-1 of the variance of ``turnover`` across stores that the stores' chance variances
    (``chance_var``, one per store) account for on average: near 1, stores differ in measured
    turnover mostly by luck, not by their rates."""
    spread = float(turnover.var(ddof=1))
    return min(1.0, float(chance_var.mean()) / spread) if spread > 0 else 1.0


def expected_fifth_ratio(r: float, cv: float) -> float:
    """Expected mean of y in the fifth of units lowest in x over its mean in the highest fifth,
    for a bivariate normal (x, y) with correlation ``r`` and y's coefficient of variation ``cv``:
    a fifth's mean of x lies phi(z_0.8) / 0.2 (about 1.4) standard deviations from the middle."""
    edge = NormalDist().inv_cdf(0.8)
    shift = NormalDist().pdf(edge) / 0.2 * abs(r) * cv
    return (1.0 + shift) / (1.0 - shift) if shift < 1.0 else float("inf")


def run(loaded: LoadedValidation) -> FindingResult:
    """Simulate the stores, correlate, contrast the turnover fifths; compare with the papers.
    A second, smaller panel varies culture alone (situation as in the scenario) to show how much
    of the picture the differences in situation account for."""
    prm: Params = loaded.params
    check_ranges(loaded)
    seeds = loaded.seeds
    panel = store_panel(loaded, {**prm.culture, **prm.situation}, seeds, prm.design_seed)
    base_turnover = loaded.scenario().behaviour.base_turnover * 52.0
    numbers = panel_statistics(panel, prm, base_turnover)
    behaviour = loaded.scenario().behaviour
    numbers.update(vacancy_weeks=behaviour.vacancy_weeks, hiring_cost_share=behaviour.hiring_cost_share)
    tables = [fifth_table(panel, "turnover"), fifth_table(panel, "engagement")]
    alone = None
    n_alone = round(prm.culture_only_share * len(seeds))
    if n_alone >= 10:
        culture_panel = store_panel(loaded, prm.culture, seeds[:n_alone], prm.design_seed + 1)
        alone = panel_statistics(culture_panel, prm, base_turnover)
        tables.append(
            fifth_table(culture_panel, "turnover").assign(
                **{"stores ranked by": "turnover (culture varied alone)"}
            )
        )
    estimates = {k: (v.__dict__ if isinstance(v, Estimate) else v) for k, v in numbers.items()}
    if alone is not None:
        estimates["culture_only"] = {
            k: (v.__dict__ if isinstance(v, Estimate) else v) for k, v in alone.items()
        }
    return FindingResult(
        key="service_profit_chain",
        title=TITLE,
        source=SOURCE,
        claim=CLAIM,
        comparisons=_comparisons(prm, numbers),
        figure=_figure(panel, prm, numbers["r_engagement_loyalty"], numbers["r_engagement_turnover"]),
        table=pd.concat(tables, ignore_index=True),
        discussion=_discussion(prm, numbers, alone),
        settings={"stores": len(panel), "varied": {**prm.culture, **prm.situation}, "estimates": estimates},
    )


def _band(published: float, factor: float) -> tuple[float, float]:
    ends = sorted((published / factor, published * factor))
    return ends[0], ends[1]


def _comparisons(prm: Params, n: dict) -> list[Comparison]:
    r_loyal, r_turn = n["r_engagement_loyalty"], n["r_engagement_turnover"]
    sales, profit = n["sales_ratio"], n["profit_ratio"]
    f = prm.band_factor
    lo_l, hi_l = _band(PUBLISHED_R_LOYALTY, f)
    lo_t, hi_t = _band(PUBLISHED_R_TURNOVER, f)
    metric = prm.loyalty_metric.replace("_", " ")
    return [
        Comparison(
            f"r(engagement, customer loyalty) across {n['stores']} stores: sign",
            f"r = {PUBLISHED_R_LOYALTY:.2f} (corrected)",
            f"r = {r_loyal.text()}",
            "positive: 95 % CI above 0",
            bool(r_loyal.low > 0),
            margin=Margin(r_loyal.low, 0.0, R_SCALE),
        ),
        Comparison.within(
            f"r(engagement, customer loyalty): size (loyalty = {metric})",
            f"r = {PUBLISHED_R_LOYALTY:.2f}",
            f"r = {r_loyal.value:.2f}",
            f"within {lo_l:.2f} to {hi_l:.2f} (published / {f:g} to x {f:g})",
            Closeness(r_loyal.value, (lo_l + hi_l) / 2, (hi_l - lo_l) / 2),
        ),
        Comparison(
            "r(engagement, employee turnover): sign",
            f"r = {PUBLISHED_R_TURNOVER:.2f}",
            f"r = {r_turn.text()}",
            "negative: 95 % CI below 0",
            bool(r_turn.high < 0),
            margin=Margin(r_turn.high, 0.0, R_SCALE, above=False),
        ),
        Comparison.within(
            "r(engagement, employee turnover): size",
            f"r = {PUBLISHED_R_TURNOVER:.2f}",
            f"r = {r_turn.value:.2f}",
            f"within {lo_t:.2f} to {hi_t:.2f} (published / {f:g} to x {f:g})",
            Closeness(r_turn.value, (lo_t + hi_t) / 2, (hi_t - lo_t) / 2),
        ),
        Comparison(
            "sales: lowest- / highest-turnover fifth of stores",
            f"{PUBLISHED_SALES_RATIO:.2f} x (Taco Bell)",
            f"{sales.text()} x",
            "clearly higher: 95 % CI of the ratio above 1",
            bool(np.isfinite(sales.low) and sales.low > 1.0),
            margin=Margin(sales.low, 1.0, RATIO_SCALE),
        ),
        Comparison(
            "profit: lowest- / highest-turnover fifth of stores",
            f"{PUBLISHED_PROFIT_RATIO:.2f} x (Taco Bell)",
            f"{profit.text()} x"
            if np.isfinite(profit.value)
            else "not a ratio: the highest-turnover fifth makes a loss on average",
            "clearly higher: 95 % CI of the ratio above 1 (or the highest-turnover fifth makes a loss)",
            bool((np.isfinite(profit.low) and profit.low > 1.0) or not np.isfinite(profit.value)),
        ),
    ]


def _figure(panel: pd.DataFrame, prm: Params, r_loyal: Estimate, r_turn: Estimate) -> Figure:
    fig = Figure(figsize=(13, 4))
    a, b, c = fig.subplots(1, 3)
    a.scatter(panel["engagement"], panel["loyalty"], s=10, alpha=0.6)
    a.set(
        xlabel="mean employee engagement",
        ylabel=prm.loyalty_metric.replace("_", " "),
        title=f"Engagement and loyalty: r = {r_loyal.value:.2f} (published 0.33)",
    )
    b.scatter(panel["engagement"], panel["turnover"], s=10, alpha=0.6, color="tab:red")
    b.set(
        xlabel="mean employee engagement",
        ylabel="quits per employee per year",
        title=f"Engagement and turnover: r = {r_turn.value:.2f} (published -0.30)",
    )
    group = fifths(panel["turnover"].to_numpy())
    means = panel.groupby(group)[["sales", "profit"]].mean()
    x = np.arange(1, 6)
    top = means.loc[4]
    c.bar(x - 0.2, means["sales"] / top["sales"], width=0.4, label="sales")
    if top["profit"] > 0:
        c.bar(x + 0.2, means["profit"] / top["profit"], width=0.4, label="profit")
    c.axhline(PUBLISHED_SALES_RATIO, color="tab:blue", ls=":", label="Taco Bell sales, lowest fifth")
    c.axhline(PUBLISHED_PROFIT_RATIO, color="tab:orange", ls=":", label="Taco Bell profit, lowest fifth")
    c.axhline(1.0, color="black", lw=0.8)
    c.set(
        xticks=x,
        xticklabels=["1\nlowest", "2", "3", "4", "5\nhighest"],
        xlabel="turnover fifth of stores",
        ylabel="relative to highest-turnover fifth",
        title="Sales and profit by turnover fifth",
    )
    c.legend(fontsize=7)
    for ax in (a, b, c):
        ax.title.set_fontsize(10)
    fig.tight_layout()
    return fig


def _discussion(prm: Params, n: dict, alone: dict | None) -> str:
    r_loyal, r_turn = n["r_engagement_loyalty"], n["r_engagement_turnover"]
    sales, profit = n["sales_ratio"], n["profit_ratio"]
    parts = [
        f"""
**Set-up.** {n["stores"]} stores, each alone in a small town of its own with the outside option
(shopping elsewhere) as competition. A seeded Latin hypercube sets each store's culture and
staffing ({", ".join(k.rsplit(".", 1)[-1] for k in prm.culture)}) and - because real business units
also differ in where they are and whom they compete with - its situation
({", ".join(k.rsplit(".", 1)[-1] for k in prm.situation)}). Unit figures are means over the
reported weeks{_after_burn_in(prm.burn_in_weeks)} (each run starts after the market warm-up,
`market.warmup_weeks`, so the store has settled): engagement = mean staff engagement; loyalty =
`{prm.loyalty_metric}`; turnover = quits per employee per year; sales = revenue and profit =
the model's profit, both in dollars per year. Confidence intervals: 95 % percentile bootstrap
over stores.

**Correlations.** The chain runs through the model's mechanisms: engagement moves toward what the
culture supports (recognition, trust, transparency, empowerment, leadership, meaning from
delighted customers, minus overload); engaged staff give warmer encounters, warm encounters build
customers' attachment (loyalty) and delight, and delight feeds back into engagement. Engagement
and loyalty correlate at r = {r_loyal.text()} against Harter et al.'s 0.33; engagement and turnover
at r = {r_turn.text()} against -0.30. The model's correlations are not near 1 because stores also
differ in what engagement does not drive (empathy and skill shape the encounter too; competition,
location and offer decide who the customers are), and because turnover responds to engagement only
below a threshold (below). Harter et al.'s figures are corrected for measurement error and range
restriction; the model measures engagement and loyalty without survey error, so its r is the
counterpart of their corrected r.
"""
    ]
    held = np.isfinite(sales.low) and sales.low > 1.0 and (not np.isfinite(profit.value) or profit.low > 1.0)
    ratios = (
        f"the lowest-turnover fifth of stores has {sales.value:.2f} x the sales and "
        f"{profit.value:.2f} x the profit of the highest-turnover fifth"
        if np.isfinite(profit.value)
        else f"the lowest-turnover fifth of stores has {sales.value:.2f} x the sales of the "
        "highest-turnover fifth, which makes a loss on average"
    )
    share = n["share_at_base"]
    if held:
        parts.append(f"""
**Turnover and results.** In the model {ratios} (Taco Bell: 2 x and 1.55 x).
""")
    else:
        parts.append(f"""
**Turnover and results: not reproduced.** In the model {ratios} (Taco Bell: 2 x and 1.55 x), not
clearly more. Three things explain it. (1) *Turnover is a threshold response.*
Employees quit for work reasons only when engagement falls below `behaviour.quit_threshold`; above
it they leave at the base rate of {n["base_turnover"]:.2f} a year (`behaviour.base_turnover`: the
ordinary churn of retail jobs, whatever the store).
{share:.0%} of the stores turn over at most 1.5 x that base rate, so ranking stores by turnover
mostly ranks them by chance; only the worst-run stores stand out (employees now differ in
disposition and pay enters quitting, so some staff quit in every store, which blurs the ranking
further). (2) *Turnover costs money more than customers.* A quit leaves its post empty for
`behaviour.vacancy_weeks` = {n["vacancy_weeks"]} weeks (its visits go to busier colleagues), a hire
costs `behaviour.hiring_cost_share` = {n["hiring_cost_share"]:.0%} of a year's pay and serves less
while onboarding, and the quitter's regulars lose their rapport (`behaviour.rapport_gain`). The
money shows - the profit contrast holds - but the lowest- and highest-turnover fifths turn over
{n["turnover_low"]:.2f} and {n["turnover_high"]:.2f} of their staff a year, so a frontline post
stands empty about {n["turnover_low"] * n["vacancy_weeks"] / 52:.1%} and
{n["turnover_high"] * n["vacancy_weeks"] / 52:.1%} of the weeks: too little lost service to add up
to a clear difference in sales, which follow the store's situation (below).
(3) *The relation research measures would not show it clearly either.* Over 110 samples, Park &
Shaw's (2013) meta-analysis puts the correlation of units' turnover rates with their performance at
{META_R_TURNOVER_PERFORMANCE:.2f}. A relation of that strength, with this panel's spread of sales
(coefficient of variation {n["sales_cv"]:.2f}), would leave the lowest-turnover fifth selling about
{expected_fifth_ratio(META_R_TURNOVER_PERFORMANCE, n["sales_cv"]):.2f} x what the highest-turnover
fifth sells - not twice, and hard to tell from 1 in {n["stores"]} stores: Taco Bell's 2 x is one
chain's contrast. In the model turnover correlates with sales at r = {n["r_turnover_sales"].text()},
{_against_meta(n["r_turnover_sales"])}. And the stores' measured turnover is mostly chance:
{n["turnover_chance_share"]:.0%} of its spread across the stores is what quits as chance events at
each store's own rate would give (a store of a dozen staff sees a handful of quits a year), so the
fifths are ranked more by luck than by rate: what the model lacks is stores whose staff quit at
lastingly different rates.
""")
    parts.append(f"""
**Engagement, sales and profit.** Across the stores engagement correlates with sales at
r = {n["r_engagement_sales"].text()} and with profit at r = {n["r_engagement_profit"].text()}. A
linear fit on the store settings accounts for {n["sales_r2_situation"]:.0%} of the spread of sales
with the situation settings (competition, location, offer) and {n["sales_r2_culture"]:.0%} with
the culture settings; for profit {n["profit_r2_situation"]:.0%} and {n["profit_r2_culture"]:.0%}.
{_sales_driver(n)}
""")
    if alone is not None:
        parts.append(_culture_alone(alone, n))
    if r_loyal.value > PUBLISHED_R_LOYALTY * prm.band_factor or (
        r_turn.value < PUBLISHED_R_TURNOVER * prm.band_factor
    ):
        parts.append("""
**Stronger than published.** A correlation beyond twice the published one means the simulated
stores differ in little besides culture: in the model engagement is the common cause of loyalty
and turnover, with no survey error and few other sources of difference between units.
""")
    return "\n\n".join(p.strip() for p in parts)


def _against_meta(r: Estimate) -> str:
    """How the model's r(turnover, sales) stands against Park & Shaw's meta-analytic value."""
    meta = META_R_TURNOVER_PERFORMANCE
    if r.low <= meta <= r.high:
        return "consistent with that value"
    return "weaker than that" if r.low > meta else "stronger than that"


def _after_burn_in(weeks: int) -> str:
    return f" after a {weeks}-week burn-in" if weeks else ""


def _sales_driver(n: dict) -> str:
    """One sentence on what the simulated spread of sales mostly follows."""
    how = (
        "culture moves sales through attachment, which adds `customers.emotion_weight` x "
        "attachment to the store's utility against the outside option and raises spend by "
        "`customers.spend_lift` x attachment"
    )
    if n["sales_r2_situation"] > n["sales_r2_culture"]:
        return (
            "Sales follow the store's situation (how convenient and cheap it is against the "
            f"outside option) more than its culture; {how}."
        )
    return f"Sales follow the store's culture more than its situation: {how}."


def _culture_alone(a: dict, n: dict) -> str:
    """Paragraph on the panel that varies culture alone, set against the main panel ``n``."""
    profit = a["profit_ratio"]
    profit_text = (
        f"{profit.text()} x the profit"
        if np.isfinite(profit.value)
        else "the profit of a loss-making highest-turnover fifth"
    )
    stronger = abs(a["r_engagement_loyalty"].value) > abs(n["r_engagement_loyalty"].value) and abs(
        a["r_engagement_turnover"].value
    ) > abs(n["r_engagement_turnover"].value)
    clear = a["sales_ratio"].low > 1.0 and (not np.isfinite(profit.value) or profit.low > 1.0)
    verdict = (
        "Without differences in situation the correlations are stronger"
        if stronger
        else "The correlations are not consistently stronger without differences in situation"
    )
    verdict += (
        "; and the lowest-turnover fifth is then clearly ahead, so in the main panel the "
        "differences in situation hide the turnover contrast."
        if clear
        else "; and even then the lowest-turnover fifth is not clearly ahead: the turnover "
        "contrast is small because of how the model makes staff quit, not because of "
        f"the differences in situation ({a['share_at_base']:.0%} of these stores turn "
        "over within 1.5 x the base rate)."
    )
    return f"""
**Culture varied alone.** A second panel of {a["stores"]} stores varies only the culture and
staffing settings, every store in the scenario's own situation. There engagement correlates with
loyalty at r = {a["r_engagement_loyalty"].text()}, with turnover at
r = {a["r_engagement_turnover"].text()} and with sales at r = {a["r_engagement_sales"].text()};
the lowest-turnover fifth has {a["sales_ratio"].text()} x the sales and {profit_text} of the
highest-turnover fifth. {verdict}
"""
