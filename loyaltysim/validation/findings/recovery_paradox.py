"""Finding 3: the service recovery paradox.

Customers are followed through their failures at a firm (:mod:`loyaltysim.validation.failures`).
Three checks: (1) after a *first* failure fixed on the spot, satisfaction ends above its level
before the failure; (2) after a *second* failure, also fixed on the spot, it does not end above the
level before the first (Maxham & Netemeyer 2002); (3) against matched customers who had no failure
(same firm, same week range, same band of satisfaction and attachment before the visit), the
standardised effect of a quick recovery is much larger on satisfaction than on repurchase (de Matos,
Henrique & Rossi 2007: significant for satisfaction, not for repurchase intentions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field

from loyaltysim.schema import StrictModel
from loyaltysim.state import OK, ON_SPOT
from loyaltysim.validation.experiment import LoadedValidation
from loyaltysim.validation.failures import Tracking, track_failures
from loyaltysim.validation.result import Comparison, FindingResult, Margin

TITLE = "Service recovery paradox"
SOURCE = (
    "M. A. McCollough & S. G. Bharadwaj (1992), AMA Winter Educators' Conference; J. G. "
    "Maxham III & R. G. Netemeyer (2002), *Journal of Marketing* 66(4): 57-71; C. A. de "
    "Matos, J. L. Henrique & C. A. V. Rossi (2007), *Journal of Service Research* 10(1): "
    "60-77."
)
CLAIM = (
    "After a first failure recovered quickly and well, satisfaction ends above its "
    "pre-failure level; after a second failure it does not; the effect shows in satisfaction "
    "much more than in repurchase (meta-analysis: significant for satisfaction, not for "
    "repurchase intentions)."
)
#: Scales of a miss for a calibration (:class:`~loyaltysim.validation.result.Margin`; conventions):
#: one unit of a t statistic, and 0.05 of a standardised mean difference.
T_SCALE = 1.0
D_SCALE = 0.05


class Params(StrictModel):
    """Knobs of the recovery-paradox finding (``[params]`` of its experiment file)."""

    burn_in_weeks: int = Field(
        26,
        ge=0,
        le=5000,
        description="Failures in these first weeks "
        "are counted (for first/second) but not analysed: satisfaction "
        "settles first.",
    )
    occasions: int = Field(
        1,
        ge=1,
        le=52,
        description="'Buys again' = at least one of the "
        "next this-many purchase occasions is at the firm of the visit.",
    )
    control_share: float = Field(
        0.05, gt=0, le=1, description="Share of visits without failure kept as matched controls."
    )
    strata: int = Field(
        5,
        ge=1,
        le=50,
        description="Matching: bands of satisfaction and of "
        "attachment before the visit (strata = firm x band x band).",
    )
    t_threshold: float = Field(
        2.0, gt=0, description="A mean difference counts as 'above' when its t statistic exceeds this."
    )
    effect_ratio: float = Field(
        2.0,
        ge=1,
        description="'Much more in satisfaction': the "
        "standardised satisfaction effect is at least this many times "
        "the standardised repurchase effect.",
    )
    contrast_variant: str | None = Field(
        None,
        description="Variant of the experiment file run "
        "for contrast (effect sizes shown in the discussion, "
        "not judged); null: none.",
    )


def _t(diff: np.ndarray) -> tuple[float, float]:
    """Mean of ``diff`` and its t statistic against 0 (NaN with fewer than 2 values)."""
    if len(diff) < 2:
        return float("nan"), float("nan")
    sd = float(np.std(diff, ddof=1))
    mean = float(np.mean(diff))
    return mean, (mean / (sd / np.sqrt(len(diff))) if sd > 0 else float("inf") * np.sign(mean))


def paradox_sequences(events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """First failures fixed on the spot, and second failures fixed on the spot after a first one
    fixed on the spot (same customer, firm and seed), with the satisfaction before the first.

    Returns {'first': events, 'second': events with column ``sat_before_first``}.
    """
    fails = events[events["outcome"] != OK]
    first = fails[(fails["nth_failure"] == 1) & (fails["outcome"] == ON_SPOT)]
    second = fails[(fails["nth_failure"] == 2) & (fails["outcome"] == ON_SPOT)]
    keys = ["seed", "customer", "firm"]
    second = second.merge(
        first[[*keys, "sat_before"]].rename(columns={"sat_before": "sat_before_first"}), on=keys, how="inner"
    )
    return {"first": first, "second": second}


def matched_effects(events: pd.DataFrame, strata: int) -> dict[str, float]:
    """Effect of a quick recovery (ON_SPOT failure) against visits without failure, matched on
    firm and bands of satisfaction and attachment before the visit.

    Per stratum with both groups: difference of means of satisfaction after the visit and of
    the share who bought again, averaged with the treated counts as weights, then divided by the
    pooled standard deviation of the measure (a standardised mean difference, Cohen's d).
    """
    data = events[events["outcome"].isin([OK, ON_SPOT])].copy()
    data["treated"] = data["outcome"] == ON_SPOT
    edges = np.linspace(0, 1, strata + 1)[1:-1]
    data["s_band"] = np.digitize(data["sat_before"], edges)
    data["a_band"] = np.digitize(data["att_before"], edges)
    data["again"] = data["bought_again"].astype(float)
    out = {}
    for measure in ("sat_after", "again"):
        g = data.groupby(["firm", "s_band", "a_band", "treated"])[measure].agg(["mean", "size"])
        g = g.unstack("treated").dropna()
        if g.empty:
            out[measure] = float("nan")
            continue
        weights = g[("size", True)]
        diff = float(np.average(g[("mean", True)] - g[("mean", False)], weights=weights))
        sd = float(data[measure].std(ddof=1))
        out[measure] = diff / sd if sd > 0 else float("nan")
        out[f"{measure}_raw"] = diff
    out["treated"] = int(data["treated"].sum())
    out["controls"] = int((~data["treated"]).sum())
    return out


def run(loaded: LoadedValidation) -> FindingResult:
    """Follow every failure and a sample of ordinary visits; test the three parts of the claim."""
    p: Params = loaded.params
    scenario = loaded.scenario()
    weeks = scenario.market.weeks
    if p.burn_in_weeks >= weeks:
        raise ValueError(
            f"{loaded.path}: params.burn_in_weeks ({p.burn_in_weeks}) must be below market.weeks ({weeks})"
        )
    tracking = Tracking(
        weeks=weeks, burn_in=p.burn_in_weeks, occasions=p.occasions, control_share=p.control_share
    )
    events = pd.concat([track_failures(scenario, seed, tracking) for seed in loaded.seeds], ignore_index=True)
    seq = paradox_sequences(events)
    first, second = seq["first"], seq["second"]
    m1, t1 = _t((first["sat_after"] - first["sat_before"]).to_numpy())
    m2, t2 = _t((second["sat_after"] - second["sat_before_first"]).to_numpy())
    m2b, t2b = _t((second["sat_after"] - second["sat_before"]).to_numpy())
    fx = matched_effects(events, p.strata)
    ok = events[events["outcome"] == OK]
    drift = float((ok["sat_after"] - ok["sat_before"]).mean())
    d_sat, d_rep = fx["sat_after"], fx["again"]
    comparisons = [
        Comparison(
            quantity="satisfaction after a first failure fixed on the spot, minus before",
            published="above the pre-failure level (paradox holds after one failure)",
            simulated=f"{m1:+.3f} (t = {t1:.1f}, n = {len(first)}; visits without failure: {drift:+.3f})",
            criterion=f"mean difference > 0 with t > {p.t_threshold:g}",
            reproduced=bool(t1 > p.t_threshold),
            margin=Margin(t1, p.t_threshold, T_SCALE),
        ),
        Comparison(
            quantity="satisfaction after a second failure fixed on the spot, minus before the first",
            published="not above the pre-failure level (paradox gone after two failures)",
            simulated=f"{m2:+.3f} (t = {t2:.1f}, n = {len(second)})",
            criterion=f"not significantly above: t <= {p.t_threshold:g}",
            reproduced=bool(len(second) >= 2 and t2 <= p.t_threshold),
            margin=Margin(t2, p.t_threshold, T_SCALE, above=False) if len(second) >= 2 else None,
        ),
        Comparison(
            quantity="effect of a quick recovery vs matched customers without failure: "
            "satisfaction vs repurchase (standardised mean differences)",
            published="satisfaction effect significant; repurchase effect not (de Matos et al. 2007)",
            simulated=f"d = {d_sat:+.2f} on satisfaction, {d_rep:+.2f} on buying again "
            f"({fx['treated']} recoveries, {fx['controls']} controls)",
            criterion=f"d(satisfaction) > 0 and >= {p.effect_ratio:g} x |d(repurchase)|",
            reproduced=bool(d_sat > 0 and d_sat >= p.effect_ratio * abs(d_rep)),
            margin=Margin(d_sat - p.effect_ratio * abs(d_rep), 0.0, D_SCALE),
        ),
    ]
    table = pd.DataFrame(
        [
            {
                "group": "first failure fixed on the spot",
                "n": len(first),
                "sat before": first["sat_before"].mean(),
                "sat after": first["sat_after"].mean(),
                "bought again": first["bought_again"].mean(),
            },
            {
                "group": "second failure fixed on the spot (after a first fixed on the spot)",
                "n": len(second),
                "sat before": second["sat_before"].mean(),
                "sat after": second["sat_after"].mean(),
                "bought again": second["bought_again"].mean(),
                "sat before the first": second["sat_before_first"].mean(),
            },
            {
                "group": "visits without failure (controls)",
                "n": int((events["outcome"] == OK).sum()),
                "sat before": events.loc[events["outcome"] == OK, "sat_before"].mean(),
                "sat after": events.loc[events["outcome"] == OK, "sat_after"].mean(),
                "bought again": events.loc[events["outcome"] == OK, "bought_again"].mean(),
            },
        ]
    )
    contrast = None
    if p.contrast_variant:
        if p.contrast_variant not in loaded.spec.variants:
            raise ValueError(
                f"{loaded.path}: params.contrast_variant: no variant "
                f"{p.contrast_variant!r}; variants: {', '.join(loaded.spec.variants)}"
            )
        other = pd.concat(
            [track_failures(loaded.scenario(p.contrast_variant), seed, tracking) for seed in loaded.seeds],
            ignore_index=True,
        )
        first_other = paradox_sequences(other)["first"]
        contrast = {
            **matched_effects(other, p.strata),
            "first_lift": _t((first_other["sat_after"] - first_other["sat_before"]).to_numpy())[0],
        }
    result = FindingResult(
        key="recovery_paradox",
        title=TITLE,
        source=SOURCE,
        claim=CLAIM,
        comparisons=comparisons,
        figure=_figure(first, second, events, d_sat, d_rep),
        table=table,
        discussion=_discussion(m2b, t2b, fx, scenario.behaviour.attachment_gain)
        + _contrast_text(p.contrast_variant, contrast),
    )
    return result


def _figure(
    first: pd.DataFrame, second: pd.DataFrame, events: pd.DataFrame, d_sat: float, d_rep: float
) -> Figure:
    fig = Figure(figsize=(9.5, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    levels = [second["sat_before_first"].mean(), second["sat_before"].mean(), second["sat_after"].mean()]
    left.plot(
        [0, 1],
        [first["sat_before"].mean(), first["sat_after"].mean()],
        "o-",
        color="C0",
        label=f"first failure fixed on the spot (n={len(first)})",
    )
    left.plot(
        [0, 2, 3], levels, "s--", color="C1", label=f"second failure fixed on the spot (n={len(second)})"
    )
    ok = events[events["outcome"] == OK]
    left.axhline(ok["sat_after"].mean(), color="0.5", lw=1, label="visits without failure")
    left.set_xticks([0, 1, 2, 3], ["before\n1st", "after\n1st", "before\n2nd", "after\n2nd"])
    left.set_ylabel("satisfaction with the firm (0-1)")
    left.legend(fontsize=7)
    left.set_title("Satisfaction around recovered failures", fontsize=9)
    right.bar([0, 1], [d_sat, d_rep], color=["C0", "C2"])
    right.set_xticks([0, 1], ["satisfaction", "buys again"])
    right.axhline(0, color="k", lw=0.8)
    right.set_ylabel("effect vs matched customers (d)")
    right.set_title("Quick recovery: effect size", fontsize=9)
    return fig


def _discussion(m2b: float, t2b: float, fx: dict[str, float], gain: float) -> str:
    return "\n".join(
        [
            "*Measure.* Failures are counted per customer and firm from week 1; those after the "
            "burn-in are analysed. 'Fixed on the spot' is the frontline fixing the problem within "
            "their empowerment limit (the quick, good recovery of the studies). Satisfaction is the "
            "customer's satisfaction with the firm at the end of the week before the visit and at "
            "the end of the week of the visit. Controls are visits without failure, matched on firm "
            "and on bands of satisfaction and attachment before the visit; effect sizes are "
            "standardised mean differences (Cohen's d) of satisfaction after the visit and of "
            "buying again at the next purchase occasion.",
            "",
            "*Mechanism.* A fix on the spot adds `recovery_bonus` to the visit's quality and "
            "emotional value, so satisfaction (a moving average of quality against expectation) "
            "jumps above an ordinary visit's: the paradox after one failure is built into the "
            "model. Repurchase is driven by attachment, which moves only `attachment_gain` "
            f"({100 * gain:.0f} %) of the way toward a visit's value, and by convenience and "
            "habit, which a recovery does not change: so the recovery moves satisfaction far "
            "more than the next choice "
            f"(raw differences: {fx.get('sat_after_raw', float('nan')):+.3f} satisfaction, "
            f"{100 * fx.get('again_raw', float('nan')):+.1f} points of buying again).",
            "",
            "*A memory of failures.* Each customer remembers the failures at the firm of their "
            "latest failure (`loyaltysim/mechanisms/failure_memory.py`): every one remembered "
            "shrinks the recovery bonus of the next (`behaviour.repeat_recovery_cut`) and raises "
            "the expectation the visit is judged against (`behaviour.repeat_expectation`), so a "
            "second failure fixed on the spot lifts satisfaction less than the first "
            f"(satisfaction after the second minus just before it: {m2b:+.3f}, t = {t2b:.1f}) and "
            "satisfaction after two recovered failures no longer ends above the level before the "
            "first - Maxham & Netemeyer's result.",
        ]
    )


def _contrast_text(variant: str | None, fx: dict[str, float] | None) -> str:
    if fx is None:
        return ""
    return (
        f"\n\n*Contrast: variant `{variant}`* (the coefficients calibrated to TARP's "
        "complaint-repurchase table, finding 1): a first failure fixed on the spot moves "
        f"satisfaction by {fx['first_lift']:+.3f}; against matched customers d = "
        f"{fx['sat_after']:+.2f} on satisfaction and {fx['again']:+.2f} on buying again. There "
        "the problem-size penalty (off in the base run) is taken off a quality that the "
        "recovery bonus has already lifted to the top of the 0-1 scale, so a quick fix of a "
        "costly problem leaves a visit worse than an ordinary one and the satisfaction lift "
        "vanishes on average (the literature does find the paradox weaker for severe failures, "
        "but not gone). With the present mechanisms, one set of coefficients does not give "
        "both TARP's repurchase table and the satisfaction paradox."
    )
