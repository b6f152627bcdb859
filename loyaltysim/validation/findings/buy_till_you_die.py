"""Buy-till-you-die: fit BG/NBD to a CDNOW-like cohort of the model and compare with CDNOW.

The model's purchases are exported as transactions (:mod:`loyaltysim.transactions`), cut to the
cohort whose first purchase at the focus store falls in the first weeks (as CDNOW's cohort first
bought in Q1 1997), summarised as (frequency, recency, T) over a 39-week calibration period and
fitted with BG/NBD (:mod:`loyaltysim.btyd`). The same fitter is first run on the CDNOW summary
shipped with loyaltysim (``loyaltysim/data/cdnow``, the sample ``lifetimes`` distributes) to
check it reproduces the published parameters.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field

from loyaltysim import btyd
from loyaltysim.model import LoyaltyModel
from loyaltysim.schema import StrictModel
from loyaltysim.transactions import START_DATE, collect_transactions
from loyaltysim.validation.experiment import LoadedValidation
from loyaltysim.validation.result import Closeness, Comparison, FindingResult, percent

TITLE = "Buy-till-you-die: BG/NBD against CDNOW"
SOURCE = (
    'Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy '
    "way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284 "
    "(CDNOW sample of 2,357 customers; data shipped in loyaltysim/data/cdnow, as `lifetimes` "
    "distributes it)."
)
CLAIM = (
    "A cohort of 2,357 first-time CDNOW buyers (Q1 1997), observed for 39 calibration weeks, "
    "buys repeatedly but rarely and gradually falls silent: BG/NBD fits r = 0.243, alpha = "
    "4.414 (purchase rate while active gamma-distributed, mean r/alpha = 0.055 a week), "
    "a = 0.793, b = 2.426 (chance of dropping out after each purchase beta-distributed, mean "
    "a/(a+b) = 0.246); 60 % of the cohort make no repeat purchase in the 39 weeks."
)

CDNOW_SIZE = 2357


class Params(StrictModel):
    """Settings of the buy-till-you-die finding (``[params]`` of its experiment file)."""

    cohort_weeks: int = Field(
        12,
        ge=1,
        le=52,
        description="The cohort: customers whose first "
        "purchase at the focus store falls in weeks 1..cohort_weeks "
        "(CDNOW: first purchase in Q1 1997, 12 weeks).",
    )
    calibration_weeks: int = Field(
        39,
        ge=13,
        le=260,
        description="Weeks of the calibration period the BG/NBD model is fitted on (CDNOW: 39).",
    )
    holdout_weeks: int = Field(
        39,
        ge=1,
        le=260,
        description="Weeks after calibration whose repeat purchases BG/NBD forecasts (CDNOW: 39).",
    )
    interval_z: float = Field(
        1.96,
        gt=0,
        le=5,
        description="z of the confidence intervals of "
        "CDNOW's parameters a simulated parameter must fall in (1.96: 95 %).",
    )
    relative_tolerance: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Largest relative gap "
        "between simulated and CDNOW mean purchase rate r/alpha "
        "and mean dropout a/(a+b).",
    )
    zero_repeat_points: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Largest gap (share 0-1) "
        "between simulated and CDNOW share of the cohort with no "
        "repeat purchase in calibration.",
    )
    forecast_tolerance: float = Field(
        0.15,
        gt=0,
        le=1,
        description="Largest relative error of BG/NBD's forecast of the holdout repeat purchases.",
    )
    fitter_tolerance: float = Field(
        0.01,
        gt=0,
        le=0.5,
        description="Largest relative gap "
        "between this fitter's CDNOW parameters and the published "
        "ones (a check of the fitter).",
    )


def _cohort_transactions(loaded: LoadedValidation, seed: int, p: Params) -> pd.DataFrame:
    """The focus store's transactions of one replication, cut to the cohort. A customer is a
    person - a row and its generation: one who left the category (``behaviour.lapse_mean``) is not
    merged with the newcomer who took their row (a newcomer whose first purchase here falls in the
    cohort's weeks is a first-time buyer like any other); ids are prefixed with the seed so that
    replications can be pooled."""
    model = LoyaltyModel(loaded.scenario(), rng=seed)
    tx = collect_transactions(model, weeks=p.calibration_weeks + p.holdout_weeks)
    tx = tx[tx["firm"] == model.spec.focus_firm]
    person = tx["customer_id"].astype(np.int64) * 256 + tx["generation"].astype(np.int64)
    tx = tx.assign(customer_id=seed * 10**12 + person)
    first = tx.groupby("customer_id")["week"].min()
    return tx[tx["customer_id"].isin(first.index[first <= p.cohort_weeks])]


def _weekly_repeats(tx: pd.DataFrame, start: pd.Timestamp, weeks: int) -> np.ndarray:
    """Cumulative repeat purchase days of a cohort by week since ``start``, per customer."""
    days = tx[["customer_id", "date"]].drop_duplicates()
    first = days.groupby("customer_id")["date"].transform("min")
    repeats = days.loc[days["date"] > first, "date"]
    week = ((repeats - start).dt.days // 7).to_numpy()
    counts = np.bincount(week[week < weeks], minlength=weeks)
    return np.cumsum(counts) / days["customer_id"].nunique()


def _expected_cumulative(fit: btyd.BGNBDFit, births: np.ndarray, weeks: int) -> np.ndarray:
    """BG/NBD's expected cumulative repeat purchases per customer by week, for customers first
    buying at ``births`` (weeks since the start, fractional)."""
    ends = np.arange(1, weeks + 1, dtype=float)
    age = np.clip(ends[:, None] - births[None, :], 0.0, None)
    return fit.expected_repeats(age).mean(axis=1)


def _row(
    source: str, fit: btyd.BGNBDFit, summary: pd.DataFrame, holdout: float | None, forecast: float | None
) -> dict:
    return {
        "data": source,
        "customers": fit.n,
        **{k: v for k, v in fit.params.items()},
        **{f"se_{k}": v for k, v in fit.se.items()},
        "r/alpha": fit.mean_rate,
        "a/(a+b)": fit.mean_dropout,
        "mean repeats": summary["frequency"].mean(),
        "no repeat": float((summary["frequency"] == 0).mean()),
        "holdout actual": holdout,
        "holdout forecast": forecast,
    }


def run(loaded: LoadedValidation) -> FindingResult:
    """Fit BG/NBD to CDNOW (fitter check) and to the model's cohort; compare."""
    p: Params = loaded.params
    published = btyd.CDNOW_PUBLISHED
    # 1. The fitter on CDNOW's shipped summary, and CDNOW's holdout from its transactions.
    cdnow = btyd.cdnow_summary()
    cdnow_fit = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    cdnow_tx = btyd.cdnow_transactions()
    cdnow_sum = btyd.summarise(cdnow_tx, btyd.CDNOW_CALIBRATION_END)
    cdnow_hold = btyd.holdout_counts(cdnow_tx, btyd.CDNOW_CALIBRATION_END, btyd.CDNOW_END)
    cdnow_hold = float(cdnow_hold.reindex(cdnow_sum.index, fill_value=0).sum())
    cdnow_forecast = float(
        cdnow_fit.conditional_expected(
            39.0, cdnow_sum["frequency"], cdnow_sum["recency"], cdnow_sum["T"]
        ).sum()
    )
    # 2. The model's cohort, pooled over replications.
    start = pd.Timestamp(START_DATE)
    cal_end = START_DATE + dt.timedelta(days=7 * p.calibration_weeks - 1)
    end = START_DATE + dt.timedelta(days=7 * (p.calibration_weeks + p.holdout_weeks) - 1)
    rows = [_row("CDNOW, refitted here", cdnow_fit, cdnow, cdnow_hold, cdnow_forecast)]
    pooled, per_seed = [], []
    for seed in loaded.seeds:
        tx = _cohort_transactions(loaded, seed, p)
        summary = btyd.summarise(tx, cal_end)
        fit = btyd.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
        per_seed.append((seed, fit, summary, tx))
        pooled.append(tx)
    tx = pd.concat(pooled, ignore_index=True)
    summary = btyd.summarise(tx, cal_end)
    fit = btyd.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    hold = float(btyd.holdout_counts(tx, cal_end, end).reindex(summary.index, fill_value=0).sum())
    forecast = float(
        fit.conditional_expected(
            float(p.holdout_weeks), summary["frequency"], summary["recency"], summary["T"]
        ).sum()
    )
    rows.append(_row(f"model, {len(loaded.seeds)} replication(s) pooled", fit, summary, hold, forecast))
    if len(per_seed) > 1:
        for seed, f, s, _ in per_seed:
            rows.append(_row(f"model, seed {seed}", f, s, None, None))
    table = pd.DataFrame(rows)

    comparisons = _comparisons(
        p, published, cdnow_fit, cdnow, cdnow_hold, cdnow_forecast, fit, summary, hold, forecast
    )
    figure = _figure(p, cdnow_tx, cdnow_fit, cdnow_sum, tx, fit, summary, start)
    return FindingResult(
        key="buy_till_you_die",
        title=TITLE,
        source=SOURCE,
        claim=CLAIM,
        comparisons=comparisons,
        figure=figure,
        table=table,
        discussion=_discussion(loaded, fit, cdnow_fit, cdnow_tx, comparisons),
        settings={"cohort customers (pooled)": fit.n, "CDNOW customers": CDNOW_SIZE},
    )


def _comparisons(
    p: Params,
    published: dict[str, float],
    cdnow_fit: btyd.BGNBDFit,
    cdnow: pd.DataFrame,
    cdnow_hold: float,
    cdnow_forecast: float,
    fit: btyd.BGNBDFit,
    summary: pd.DataFrame,
    hold: float,
    forecast: float,
) -> list[Comparison]:
    gaps = {k: abs(cdnow_fit.params[k] / v - 1) for k, v in published.items()}
    out = [
        Comparison.within(
            "Fitter check: BG/NBD refitted to the shipped CDNOW summary",
            ", ".join(f"{k} = {v:g}" for k, v in published.items()),
            ", ".join(f"{k} = {cdnow_fit.params[k]:.3f}" for k in published),
            f"every parameter within {percent(p.fitter_tolerance)} of the published value",
            Closeness(max(gaps.values()), 0.0, p.fitter_tolerance),  # the largest relative gap
        )
    ]
    for name in btyd.PARAMS:
        low, high = cdnow_fit.interval(name, p.interval_z)
        value = fit.params[name]
        out.append(
            Comparison.within(
                f"BG/NBD {name} of the model's cohort",
                f"{published[name]:g} (95 % CI {low:.3g}-{high:.3g})",
                f"{value:.3f} (se {fit.se[name]:.3f})",
                f"inside CDNOW's {p.interval_z:g}-se confidence interval",
                # the Wald interval is CDNOW's estimate +- z se
                Closeness(value, cdnow_fit.params[name], p.interval_z * cdnow_fit.se[name]),
            )
        )
    for label, ours, theirs, unit in (
        ("Mean purchase rate while active, r/alpha", fit.mean_rate, cdnow_fit.mean_rate, " a week"),
        ("Mean dropout chance after a purchase, a/(a+b)", fit.mean_dropout, cdnow_fit.mean_dropout, ""),
    ):
        out.append(
            Comparison.within(
                label,
                f"{theirs:.3f}{unit}",
                f"{ours:.3f}{unit}",
                f"within {percent(p.relative_tolerance)} of CDNOW",
                Closeness(ours / theirs, 1.0, p.relative_tolerance),  # as a ratio to CDNOW's
            )
        )
    zero_cdnow = float((cdnow["frequency"] == 0).mean())
    zero_model = float((summary["frequency"] == 0).mean())
    out.append(
        Comparison.within(
            "Share of the cohort with no repeat purchase in calibration",
            percent(zero_cdnow, 1),
            percent(zero_model, 1),
            f"within {100 * p.zero_repeat_points:.0f} points",
            Closeness(100 * zero_model, 100 * zero_cdnow, 100 * p.zero_repeat_points),
        )
    )
    error = forecast / hold - 1 if hold else float("inf")
    out.append(
        Comparison.within(
            "BG/NBD forecast of holdout repeat purchases (error vs actual)",
            f"CDNOW: {cdnow_forecast:.0f} forecast vs {cdnow_hold:.0f} actual "
            f"({100 * (cdnow_forecast / cdnow_hold - 1):+.0f} %)",
            f"{forecast:.0f} forecast vs {hold:.0f} actual ({100 * error:+.0f} %)",
            f"model's forecast within {percent(p.forecast_tolerance)} of its actual",
            Closeness(error, 0.0, p.forecast_tolerance),
        )
    )
    return out


def _figure(
    p: Params,
    cdnow_tx: pd.DataFrame,
    cdnow_fit: btyd.BGNBDFit,
    cdnow_sum: pd.DataFrame,
    tx: pd.DataFrame,
    fit: btyd.BGNBDFit,
    summary: pd.DataFrame,
    start: pd.Timestamp,
) -> Figure:
    fig = Figure(figsize=(13, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    bins = np.arange(8)
    width = 0.4
    for offset, s, label, colour in (
        (-width / 2, cdnow_sum, "CDNOW", "tab:grey"),
        (width / 2, summary, "model", "tab:blue"),
    ):
        share = np.bincount(np.minimum(s["frequency"].to_numpy(), 7), minlength=8) / len(s)
        ax1.bar(bins + offset, share, width, label=label, color=colour)
    ax1.set_xticks(bins, [*map(str, range(7)), "7+"])
    ax1.set_xlabel(f"repeat purchases in the {p.calibration_weeks}-week calibration")
    ax1.set_ylabel("share of the cohort")
    ax1.set_title("Repeat purchases per customer")
    ax1.legend()

    weeks = p.calibration_weeks + p.holdout_weeks
    x = np.arange(1, weeks + 1)
    cdnow_start = pd.Timestamp("1997-01-01")
    for data, f, s0, label, colour in (
        (cdnow_tx, cdnow_fit, cdnow_start, "CDNOW", "tab:grey"),
        (tx, fit, start, "model", "tab:blue"),
    ):
        births = (data.groupby("customer_id")["date"].min() - s0).dt.days.to_numpy() / 7.0
        ax2.plot(x, _weekly_repeats(data, s0, weeks), color=colour, label=f"{label}, actual")
        ax2.plot(
            x, _expected_cumulative(f, births, weeks), color=colour, linestyle="--", label=f"{label}, BG/NBD"
        )
    ax2.axvline(p.calibration_weeks, color="k", linewidth=0.8, linestyle=":")
    ax2.set_xlabel("week")
    ax2.set_ylabel("cumulative repeat purchases per customer")
    ax2.set_title("Calibration | holdout")
    ax2.legend(fontsize=8)

    names = list(btyd.PARAMS)
    pos = np.arange(len(names))
    ratio = np.array([fit.params[k] / cdnow_fit.params[k] for k in names])
    err = np.array([1.96 * fit.se[k] / cdnow_fit.params[k] for k in names])
    band = np.array([1.96 * cdnow_fit.se[k] / cdnow_fit.params[k] for k in names])
    ax3.bar(pos, 2 * band, bottom=1 - band, color="tab:grey", alpha=0.35, width=0.6, label="CDNOW 95 % CI")
    ax3.errorbar(pos, ratio, yerr=err, fmt="o", color="tab:blue", capsize=4, label="model (95 % CI)")
    ax3.axhline(1.0, color="tab:grey")
    ax3.set_xticks(pos, names)
    ax3.set_ylabel("parameter / CDNOW's")
    ax3.set_title("BG/NBD parameters relative to CDNOW")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _holdout_error(comparisons: list[Comparison]) -> float:
    """The BG/NBD holdout forecast's relative error, from its comparison."""
    forecast = next(c for c in comparisons if c.quantity.startswith("BG/NBD forecast"))
    return forecast.closeness.simulated if forecast.closeness is not None else float("nan")


def _tuned(loaded: LoadedValidation) -> str:
    """The tuned scenario values, as a markdown list fragment."""
    spec = loaded.scenario()
    seg = spec.customers.segments
    parts = [
        f"`market.outside_utility` = {spec.market.outside_utility:g}",
        f"`customers.habit` = {spec.customers.habit.mean:g} +- {spec.customers.habit.sd:g}",
        "segments (share, purchase occasions a week) "
        + ", ".join(
            f"{name} ({s.share:g}, {s.purchases_per_week:g})"
            for name, s in (("regular", seg.regular), ("heavy", seg.heavy), ("super", seg.super))
        ),
    ]
    return "; ".join(parts)


def _quick_repeat_share(tx: pd.DataFrame) -> float:
    """Share of repeat purchase days that come less than 7 days after the previous one."""
    days = tx[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    gaps = days.groupby("customer_id")["date"].diff().dropna().dt.days
    return float((gaps < 7).mean()) if len(gaps) else 0.0


def _discussion(
    loaded: LoadedValidation,
    fit: btyd.BGNBDFit,
    cdnow_fit: btyd.BGNBDFit,
    cdnow_tx: pd.DataFrame,
    comparisons: list[Comparison],
) -> str:
    spec = loaded.scenario()
    missed = [c.quantity for c in comparisons if not c.reproduced]
    text = f"""
**How the cohort is made.** The scenario `{loaded.spec.scenario}` has one music store and an
outside option that takes most music purchases. Every week each customer has a purchase
occasion with the chance of their usage segment and picks the store or the outside option by
logit (convenience, attachment, habit). The cohort is every customer whose first purchase at the
store falls in weeks 1-12 ({fit.n} customers pooled over {len(loaded.seeds)} replication(s);
CDNOW: {CDNOW_SIZE}); its transactions are exported with `loyaltysim.transactions`, summarised
as (frequency, recency, T) over the 39-week calibration exactly as the CDNOW file is, and
fitted with the same BG/NBD maximum-likelihood fitter that reproduces the published CDNOW fit.

**What was fitted**, all set in the scenario file: {_tuned(loaded)}. Everything else is the
model's default. The segments' shares come from the first tuning (Nelder-Mead on seeds 1 and 2,
before customers differed in `outside_preference`); the outside option's utility, habit and the
purchase rates were refitted on 2026-12-06 by `loyaltysim calibrate
experiments/calibration/music_retailer.toml` (120 trials, loss: every comparison below but the
fitter check, graded by its closeness; docs/calibration.md, "Refitting the music retailer"). The
refit ran this experiment's own seeds (11-18), so the verdicts here are in-sample; at seeds 21-28
all nine comparisons hold too, at seeds 31-38 eight (alpha 5.36 against CDNOW's upper bound
5.15). The criteria were written before any tuning and not changed after it.

**What the parameters mean in the model.** BG/NBD sees a customer who buys at rate
r/alpha = {fit.mean_rate:.3f} a week (CDNOW {cdnow_fit.mean_rate:.3f}) and "dies" after a
purchase with chance a/(a+b) = {fit.mean_dropout:.3f} (CDNOW {cdnow_fit.mean_dropout:.3f}).
The model's "dropout" has two sources. Since issue 17 customers die as in BG/NBD: after each
purchase (here or elsewhere) a customer leaves the category for good with a beta-distributed
chance (`behaviour.lapse_mean` = {spec.behaviour.lapse_mean:g}, `lapse_shape` =
{spec.behaviour.lapse_shape:g}; a newcomer takes the row, and the cohort counts people, not rows:
(row, generation)). And a customer whose occasion went to the outside option tends to stay there:
habit ({spec.customers.habit.mean:g} +- {spec.customers.habit.sd:g} on the utility scale) holds
them and the unvisited store's attachment decays. The strong habit makes that switch nearly
absorbing, which BG/NBD reads as death too. It is a behaviour coefficient set by a validation
scenario (issue 18 wants none), and the refit still needs it: with the default habit (0.8 +- 0.2)
the best of 80 trials over the other four values keeps 6 of the 8 model comparisons, with a and
b five to ten times below CDNOW's (the three best: a 0.08-0.09, b 0.23-0.24) - dropout then comes
from customers' lasting preferences for the outside option and differs far more between customers
than CDNOW's.
Rate heterogeneity comes from three usage segments (a discrete mixture, not a gamma
distribution) and from distance to the store.

**What the model's buy-till-you-die structure lacks.** (1) Death is only partly permanent.
Lapse (issue 17) is death as BG/NBD means it, but at the default rate it is a small part of the
dropout BG/NBD sees here; most of it is still an occasion that goes to the outside option, after
which habit and the decaying attachment keep the customer there - but not for good: they can come
back, which BG/NBD does not allow. (In this scenario's untuned first version - the store taking
about half of the occasions, the default habit 0.8 +- 0.2 - BG/NBD saw a dropout of only about
0.04 per purchase.) Returns from the outside option add holdout purchases that BG/NBD does not
forecast; with the refitted values its forecast is {100 * (_holdout_error(comparisons)):+.0f} % off
(CDNOW's own: -12 %).
(2) At most one purchase a week (a weekly purchase occasion, not a Poisson process): in CDNOW
{100 * _quick_repeat_share(cdnow_tx):.0f} % of repeat purchases come less than 7 days after the
previous one; in the model none can. (3) Purchase rates come from three usage segments, a discrete
mixture standing in for BG/NBD's gamma distribution: matching CDNOW's r (the spread of rates)
takes a very skewed mix - 85 % of households with a music occasion about once in three years, 2 %
every three weeks. (4) Dropout is tied to the purchase occasion through the choice model
(every occasion is a chance to switch away, and heavy buyers have more), while BG/NBD draws rate
and dropout independently.
"""
    if missed:
        text += (
            "\n**Not reproduced:** " + "; ".join(missed) + ". The criteria are not "
            "loosened to make them hold.\n"
        )
    if any(c.quantity.startswith("BG/NBD ") and not c.reproduced for c in comparisons[1:5]):
        text += """
**A BG/NBD parameter is outside CDNOW's interval.** The refit of 2026-12-06 brought all four
inside at these seeds; the model or the scenario has changed since. Rerun the refit
(`loyaltysim calibrate experiments/calibration/music_retailer.toml`) before reading the cohort's
parameters as the model's. (The last time this happened, customers had just been made to differ in
`customers.outside_preference`, which the first tuning never saw.)
"""
    text += """
The experiment runs without a market warm-up (`market.warmup_weeks` = 0): the cohort is made of
first purchases at a store that opens in week 1.
"""
    return text
