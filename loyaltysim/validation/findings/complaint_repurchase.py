"""Finding 1: complaint handling and repurchase (TARP, in Barlow & Møller, *A Complaint Is a Gift*).

Every failure in the run is followed to the customer's next purchase occasion(s)
(:mod:`loyaltysim.validation.failures`) and sorted by handling - did not complain (SILENT), complained
and not resolved (UNRESOLVED), resolved after escalation (ESCALATED: "resolved"), resolved on the spot
within the frontline's empowerment limit (ON_SPOT: "resolved quickly") - and by the problem's cost
(under ``small_problem_dollars``, over ``large_problem_dollars``). The share who buy again in each
cell is set against TARP's table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from loyaltysim.schema import StrictModel
from loyaltysim.state import ESCALATED, ON_SPOT, SILENT, UNRESOLVED
from loyaltysim.validation.experiment import LoadedValidation
from loyaltysim.validation.failures import Tracking, track_failures
from loyaltysim.validation.result import Closeness, Comparison, FindingResult, Margin, percent

TITLE = "Complaint handling and repurchase (TARP)"
SOURCE = (
    "TARP studies for the U.S. Office of Consumer Affairs, reported in J. Barlow & C. Møller, "
    "*A Complaint Is a Gift* (Berrett-Koehler, 1996; 2nd ed. 2008)."
)
CLAIM = (
    "Share of customers with a problem who buy again - problem under $5 / over $100: did not "
    "complain 37 % / 9 %; complained, not resolved 46 % / 19 %; complained, resolved 70 % / "
    "54 %; complained, resolved quickly 95 % / 82 %."
)

#: Handling rows of TARP's table: (outcome code, label), worst to best.
ROWS = (
    (SILENT, "did not complain"),
    (UNRESOLVED, "complained, not resolved"),
    (ESCALATED, "complained, resolved"),
    (ON_SPOT, "complained, resolved quickly"),
)
#: Published shares who buy again: band -> shares in the order of ROWS.
PUBLISHED = {"small": (0.37, 0.46, 0.70, 0.95), "large": (0.09, 0.19, 0.54, 0.82)}
#: Scale of a miss of the orderings for a calibration (:class:`~loyaltysim.validation.result.Margin`;
#: a convention): five points of repurchase on the wrong side.
SHARE_SCALE = 0.05


class Params(StrictModel):
    """Knobs of the complaint-repurchase finding (``[params]`` of its experiment file)."""

    small_problem_dollars: float = Field(
        5.0, gt=0, description="Upper bound of the 'small problem' band, dollars (TARP: under $5)."
    )
    large_problem_dollars: float = Field(
        100.0, gt=0, description="Lower bound of the 'large problem' band, dollars (TARP: over $100)."
    )
    burn_in_weeks: int = Field(
        30,
        ge=0,
        le=5000,
        description="Failures in these first weeks are not counted (attachment settles first).",
    )
    occasions: int = Field(
        1,
        ge=1,
        le=52,
        description="'Buys again' = at least one of the "
        "customer's next this-many purchase occasions (weeks with a purchase "
        "anywhere, outside the town included) is at the firm of the failure.",
    )
    tolerance_points: float = Field(
        10.0,
        gt=0,
        le=100,
        description="A cell is reproduced when "
        "simulated and published shares differ by at most this many "
        "percentage points.",
    )
    min_events: int = Field(
        30,
        ge=1,
        description="A cell with fewer followed failures than this "
        "is too thin to judge and counts as not reproduced.",
    )
    contrast_variant: str | None = Field(
        None,
        description="Variant of the "
        "experiment file run for contrast (shown in the table "
        "and figure, not judged); empty or null: none.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        if self.small_problem_dollars >= self.large_problem_dollars:
            raise ValueError("small_problem_dollars must be below large_problem_dollars")
        return self


def repurchase_table(events: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Share who bought again per (band, handling) cell with the number of failures followed.

    ``events``: rows of :func:`~loyaltysim.validation.failures.track_failures`. Returns columns
    band ('small'/'large'), handling (label), outcome (code), share (0-1, NaN if empty), events.
    """
    bands = {
        "small": events["problem_cost"] < params.small_problem_dollars,
        "large": events["problem_cost"] > params.large_problem_dollars,
    }
    rows = []
    for band, in_band in bands.items():
        for k, (code, label) in enumerate(ROWS):
            cell = events.loc[in_band & (events["outcome"] == code), "bought_again"]
            rows.append(
                {
                    "band": band,
                    "handling": label,
                    "outcome": code,
                    "published": PUBLISHED[band][k],
                    "share": float(cell.mean()) if len(cell) else float("nan"),
                    "events": len(cell),
                }
            )
    return pd.DataFrame(rows)


def _follow(loaded: LoadedValidation, variant: str | None, tracking: Tracking) -> pd.DataFrame:
    scenario = loaded.scenario(variant)
    return pd.concat([track_failures(scenario, seed, tracking) for seed in loaded.seeds], ignore_index=True)


def _band_label(band: str, params: Params) -> str:
    return (
        f"under ${params.small_problem_dollars:g}"
        if band == "small"
        else f"over ${params.large_problem_dollars:g}"
    )


def comparisons(table: pd.DataFrame, params: Params) -> list[Comparison]:
    """Per-cell, ordering, size and gap comparisons computed from ``repurchase_table``'s rows."""
    out = []
    tol = params.tolerance_points
    for row in table.itertuples():
        out.append(
            Comparison.within(
                f"buy again, problem {_band_label(row.band, params)}: {row.handling}",
                percent(row.published),
                f"{percent(row.share)} (n={row.events})" if row.events else "no events",
                f"within {tol:g} points (n >= {params.min_events})",
                Closeness(row.share, row.published, tol / 100.0),  # NaN share: no events
                enough=row.events >= params.min_events,
            )
        )
    share = {band: table.loc[table["band"] == band, "share"].to_numpy() for band in PUBLISHED}
    for band in PUBLISHED:
        pub = " < ".join(percent(v) for v in PUBLISHED[band])
        sim = " < ".join(percent(v) for v in share[band])
        out.append(
            Comparison(
                quantity=f"ordering of handling, problem {_band_label(band, params)}",
                published=pub,
                simulated=sim.replace(" < ", ", "),
                criterion="did not complain < not resolved < resolved < resolved quickly",
                reproduced=bool(np.all(np.diff(share[band]) > 0)),
                margin=Margin(float(np.min(np.diff(share[band]))), 0.0, SHARE_SCALE),
            )
        )
    pairs = ", ".join(f"{percent(lg)} < {percent(sm)}" for sm, lg in zip(*PUBLISHED.values(), strict=True))
    sim_pairs = ", ".join(
        f"{percent(lg)} vs {percent(sm)}" for sm, lg in zip(share["small"], share["large"], strict=True)
    )
    out.append(
        Comparison(
            quantity="bigger problems lose more customers (large vs small, each handling row)",
            published=pairs,
            simulated=sim_pairs,
            criterion="over-$100 share below under-$5 share in all 4 rows",
            reproduced=bool(np.all(share["large"] < share["small"])),
            margin=Margin(float(np.max(share["large"] - share["small"])), 0.0, SHARE_SCALE, above=False),
        )
    )
    spread = {band: 100.0 * (share[band][-1] - share[band][0]) for band in share}
    pub_spread = {band: 100.0 * (PUBLISHED[band][-1] - PUBLISHED[band][0]) for band in PUBLISHED}
    out.append(
        Comparison(
            quantity="handling matters more for big problems: resolved quickly minus did not complain",
            published=f"{pub_spread['large']:.0f} points (over $100) vs {pub_spread['small']:.0f} (under $5)",
            simulated=f"{spread['large']:.0f} points vs {spread['small']:.0f}",
            criterion="gap larger for large problems",
            reproduced=bool(spread["large"] > spread["small"]),
            margin=Margin(spread["large"] - spread["small"], 0.0, 100.0 * SHARE_SCALE),
        )
    )
    return out


def _figure(table: pd.DataFrame, contrast: pd.DataFrame | None, params: Params) -> Figure:
    fig = Figure(figsize=(9.5, 3.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    x = np.arange(len(ROWS))
    for ax, band in zip(axes, PUBLISHED, strict=True):
        mine = table[table["band"] == band]
        ax.bar(x - 0.2, 100 * np.array(PUBLISHED[band]), 0.4, label="published (TARP)", color="0.7")
        ax.bar(x + 0.2, 100 * mine["share"], 0.4, label="simulated", color="C0")
        lo, hi = (
            100 * np.array(PUBLISHED[band]) - params.tolerance_points,
            100 * np.array(PUBLISHED[band]) + params.tolerance_points,
        )
        ax.vlines(x - 0.2, lo, hi, color="k", lw=1, label=f"±{params.tolerance_points:g} points")
        if contrast is not None:
            other = contrast[contrast["band"] == band]
            ax.plot(
                x + 0.2,
                100 * other["share"],
                "x",
                color="C3",
                ms=8,
                label=f"simulated ({params.contrast_variant})",
            )
        ax.set_xticks(x, ["silent", "not\nresolved", "resolved", "resolved\nquickly"])
        ax.set_title(f"problem {_band_label(band, params)}")
        ax.set_ylim(0, 105)
    axes[0].set_ylabel("buy again (%)")
    axes[1].legend(fontsize=7, loc="upper left")
    fig.suptitle("Share who buy again after a problem, by complaint handling", fontsize=10)
    return fig


def run(loaded: LoadedValidation) -> FindingResult:
    """Follow every failure of the experiment's scenario (and of a contrast variant, if one is
    named) and compare the share who buy again with TARP's table."""
    p: Params = loaded.params
    weeks = loaded.scenario().market.weeks
    if p.burn_in_weeks >= weeks:
        raise ValueError(
            f"{loaded.path}: params.burn_in_weeks ({p.burn_in_weeks}) must be below market.weeks ({weeks})"
        )
    tracking = Tracking(weeks=weeks, burn_in=p.burn_in_weeks, occasions=p.occasions, control_share=0.02)
    events = _follow(loaded, None, tracking)
    table = repurchase_table(events, p)
    ok_share = float(events.loc[events["outcome"] == 0, "bought_again"].mean())
    contrast = None
    if p.contrast_variant:
        if p.contrast_variant not in loaded.spec.variants:
            raise ValueError(
                f"{loaded.path}: params.contrast_variant: no variant "
                f"{p.contrast_variant!r}; variants: {', '.join(loaded.spec.variants)}"
            )
        contrast = repurchase_table(_follow(loaded, p.contrast_variant, tracking), p)
    shown = table.drop(columns="outcome").assign(band=lambda t: t["band"].map(lambda b: _band_label(b, p)))
    if contrast is not None:
        shown[f"share ({p.contrast_variant})"] = contrast["share"].to_numpy()
        shown[f"events ({p.contrast_variant})"] = contrast["events"].to_numpy()
    comparisons_ = comparisons(table, p)
    result = FindingResult(
        key="complaint_repurchase",
        title=TITLE,
        source=SOURCE,
        claim=CLAIM,
        comparisons=comparisons_,
        figure=_figure(table, contrast, p),
        table=shown,
        discussion=_discussion(
            p, ok_share, contrast, comparisons_, float(table["share"].max() - table["share"].min())
        ),
    )
    result.settings = {
        "failures followed": len(events[events["outcome"] != 0]),
        "buy again after a visit without failure": percent(ok_share),
    }
    return result


#: Below this spread of the eight cells (TARP's: 86 points) the table is flat: what holds, holds by luck.
FLAT_SPREAD = 0.2


def _discussion(
    p: Params,
    ok_share: float,
    contrast: pd.DataFrame | None,
    judged: list[Comparison] | None = None,
    spread: float = 1.0,
) -> str:
    again = (
        "the next purchase occasion"
        if p.occasions == 1
        else f"one of the next {p.occasions} purchase occasions"
    )
    text = [
        f"*Measure.* Every failure after week {p.burn_in_weeks} is followed to the customer's "
        f"next purchases: the customer *buys again* when {again} (a week in which they buy "
        "anywhere, outside the town included) is at the firm that failed; failures whose "
        "occasions fall after the run ends are dropped. 'Resolved quickly' is a fix on the spot "
        "by the frontline employee within their empowerment limit, 'resolved' a fix after one "
        "or more hand-offs, 'not resolved' a complaint that ran out of ladder or of the "
        "customer's patience, 'did not complain' a silent failure. Customers who had a visit "
        f"without failure bought again {percent(ok_share)} of the time.",
        "",
        "*Mechanism.* A failure's handling sets the visit's emotional value (silent and "
        "unresolved: fixed low values; on the spot: the visit's warmth plus the recovery "
        "bonus; escalated: the same minus a penalty per hand-off); attachment moves toward it "
        "(losses weigh `negativity_bias` times more), and attachment is the term of the choice "
        "that brings a customer back. Customers who complain are the more attached ones (a "
        "complaint means they still care), which adds to the gap between silent and complaining "
        "customers. Problem size works through `behaviour.problem_size_penalty` (added for this "
        "finding; default 0 = off): a failure's value drops by penalty x cost / (cost + "
        "`problem_size_dollars`), whatever the handling. Without it a silent customer's "
        "reaction would not depend on the problem's size at all; only the chance of a fix "
        "would (empowerment limits).",
        "",
        "*Coefficients.* The model's defaults, as every finding and scenario uses (section 'One "
        "set of behaviour coefficients'); the experiment sets only the setting of TARP's survey: "
        "the supermarket open from the start, an outside option worth choosing "
        "(`outside_utility` 2) and a frontline allowed to fix big problems on the spot. Until "
        "issue 18 the experiment fitted its own coefficients by hand (`attachment_gain` 0.4, "
        "`emotion_weight` 10, no forgiveness, ...), which reproduced most cells but was not the "
        "model anyone else ran.",
    ]
    if contrast is not None:
        cells = ", ".join(percent(s) if s == s else "no events" for s in contrast["share"])
        text += [
            "",
            f"*Uncalibrated model* (variant `{p.contrast_variant}`: the model's default "
            f"behaviour coefficients): buy-again shares {cells} (same cell order as the "
            "table): the ordering is weak and the gaps are a few points, not TARP's tens "
            "of points; with default coefficients one failure barely moves attachment.",
        ]
    missed = [c.quantity for c in judged or [] if not c.reproduced]
    if missed:
        text += [
            "",
            "**Not reproduced:** " + "; ".join(missed) + ". With the default coefficients one "
            "failure barely moves the next choice: a visit moves attachment by "
            "`attachment_gain` (0.06) of its gap, so customers come back at about the rate of "
            "customers without a failure whatever the handling, and the cells are nearly flat. "
            "TARP's gaps of tens of points need a failure to swing the next choice a lot. The "
            "default calibration (docs/calibration.md, 'The default calibration') searched the "
            "attachment and complaint-handling coefficients together with the other findings "
            "and the published ranges: the fits that bring most cells within 10 points learn "
            "about six times faster and weigh attachment about twice as much in the choice, and "
            "then the recovery paradox and the zero-defections comparisons fail. A set found "
            "by hand with three failure-and-recovery coefficients that are neutral by default "
            "(a problem's size made good by a refund, a steeper size curve, a recovery that "
            "lifts satisfaction more than loyalty) kept this table whole and the recovery "
            "paradox too when it was found (9 of this table's 12 with today's staffing and "
            "quitting; docs/calibration.md, 'Size, refunds and the paradox's two sides'; "
            "`docs/calibration/size_two_cores/tarp_and_paradox.toml`), but its fast, heavy "
            "attachment breaks Dick & Basu and zero defections: it is not the default. Also "
            "missing on the defaults: a failure weighs as much as a routine visit, not as a "
            "critical incident that weighs more (Bitner, Booms & Tetreault 1990; Keaveney "
            "1995; `behaviour.incident_weight`, off until a calibration fits it); and TARP "
            "asked complainants whether they *would* buy again (an intention), while the model "
            "can only follow what they did next. A grudge after a failure not put right "
            "(`loyaltysim/mechanisms/avoidance.py`; Grégoire, Tripp & Legoux 2009), off by "
            "default, gives 10 of the 12 when switched on (`behaviour.avoidance_weight` 6, "
            "`problem_size_exponent` 2) without changing another finding's verdict, but the seed "
            "story's rival then takes more of the loyal brand; docs/calibration.md, 'Avoidance: "
            "handling moves the next purchase'. Calibrated against the story's lines at each of "
            "the five seeds its tests use, every coefficient set that holds 6 or more of the 12 "
            "makes the brand lose 9.7-11.8 % of its revenue to the supermarket at its worst seed, "
            "where the story asks under 10 % at each, and the one under 10 % lets the brand "
            "out-retain the pharmacy (docs/calibration.md, 'Avoidance against the seed story: "
            "every seed'). The criteria are not loosened.",
        ]
        held = [c.quantity for c in judged or [] if c.reproduced]
        if held and spread < FLAT_SPREAD:
            text[-1] += (
                f" What holds ({'; '.join(held)}) holds by the table's flatness, not by the "
                f"mechanism: the cells lie within {100 * spread:.0f} points of each other, so a "
                "published share near that level is met and a gap of a few points falls either way "
                "with the seed."
            )
    return "\n".join(text)
