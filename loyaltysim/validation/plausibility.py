"""Plausibility: do the shipped scenarios' outputs lie inside the ranges real stores show?

The ranges of the project's ``realism.md`` (published benchmarks and studies, docs/sources.md) are
data here: :data:`RANGES`, one row per quantity with its typical, best and worst ranges and the
source. Each row carries the function that computes the simulated value from a run's weekly
per-firm table. A scenario is checked against the *widest plausible* range of every quantity -
from the lowest to the highest bound of its typical, best and worst ranges (the gaps between
those published ranges are not implausible values; a store can have an NPS of +50) - and
against the heterogeneity criteria of issue 16 (:data:`CRITERIA`). The class each shipped
scenario is expected to fall in (typical, best or worst store) is declared once, in
:data:`EXPECTED`; it is shown beside the value, and whether the value is also inside its class's
range is reported, but only the widest range decides.

Measurement (:func:`measure`, :func:`measure_scenario`): the shipped scenario runs with the given
customers, seeds and engine; over a steady-state window - by default the 52 weeks before the
first event, or the last 52 weeks of a scenario without events - the quantities are computed
for every firm open throughout the window; the attachment spread is read from the customers'
state at the window's last week (the run stops there). Each quantity is averaged over seeds, with
the lowest and highest seed's value beside it.

``loyaltysim validate --plausibility [--quick]`` writes the section "Plausibility against
published ranges" of ``docs/validation.md`` (:func:`write_plausibility`); the rest of the file is
left as it is. ``tests/test_plausibility.py`` checks every shipped scenario (slow tier).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from loyaltysim.counterfactual import event_weeks, fork_without_events, opened_firms
from loyaltysim.measure import base_firms
from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import Scenario
from loyaltysim.shipped import shipped_scenarios
from loyaltysim.validation.report import markdown_table, overrides_statement, replace_section

__all__ = [
    "CELLS",
    "CRITERIA",
    "EXPECTED",
    "FULL_SIZE",
    "QUICK_SIZE",
    "RANGES",
    "SECTION_TITLE",
    "Band",
    "Criterion",
    "Expectation",
    "PublishedRange",
    "ScenarioMeasurement",
    "attachment_sd",
    "cell_share",
    "check_attachment_sd",
    "check_dick_basu",
    "check_engaged_share",
    "check_loyalty_rate",
    "complaint_share",
    "disengaged_share",
    "engaged_share",
    "measure",
    "measure_scenario",
    "nps_base",
    "opening_week",
    "plausibility_markdown",
    "plausibility_table",
    "problems_per_visit",
    "rival_revenue_loss",
    "run_plausibility",
    "staff_cost_share",
    "steady_window",
    "write_plausibility",
    "yearly_turnover",
]

Class = Literal["typical", "best", "worst"]
CLASSES: tuple[Class, ...] = ("typical", "best", "worst")

#: The heading of the section this module writes in ``docs/validation.md``.
SECTION_TITLE = "Plausibility against published ranges"

# 10,000 customers: a store of a 3,000-household town has 5-20 posts, so its staff shares move in
# steps of 5-20 % and one seed's window can hold no engaged employee by chance.
#: (customers, seeds) of the check at full size and at ``--quick`` size.
FULL_SIZE: tuple[int, tuple[int, ...]] = (10000, (1, 2, 3))
QUICK_SIZE: tuple[int, tuple[int, ...]] = (500, (1,))


# -- metric functions: one firm's weekly rows over the window -> a number ------------------------
def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


def nps_base(weekly: pd.DataFrame) -> float:
    """NPS of the whole customer base (not the sampled survey), points: 100 x (promoters -
    detractors) / customer base, summed over the window's weeks."""
    return 100.0 * _ratio(
        weekly["promoters"].sum() - weekly["detractors"].sum(), weekly["customer_base"].sum()
    )


def engaged_share(weekly: pd.DataFrame) -> float:
    """Share of staff engaged in Gallup's sense, %: the weekly ``engaged_share``, averaged."""
    return 100.0 * _mean(weekly["engaged_share"])


def disengaged_share(weekly: pd.DataFrame) -> float:
    """Share of staff actively disengaged, %: the weekly ``disengaged_share``, averaged."""
    return 100.0 * _mean(weekly["disengaged_share"])


def yearly_turnover(weekly: pd.DataFrame) -> float:
    """Employee turnover per year, %: mean weekly ``turnover`` (quits / staff) x 52."""
    return 100.0 * 52.0 * _mean(weekly["turnover"])


def problems_per_visit(weekly: pd.DataFrame) -> float:
    """Service problems per visit, %: failures / purchases over the window."""
    return 100.0 * _ratio(weekly["failures"].sum(), weekly["purchases"].sum())


def complaint_share(weekly: pd.DataFrame) -> float:
    """Share of customers with a problem who complain to the store, %: complaints / (complaints +
    silent failures) over the window."""
    complaints = weekly["complaints"].sum()
    return 100.0 * _ratio(complaints, complaints + weekly["silent_failures"].sum())


def staff_cost_share(weekly: pd.DataFrame) -> float:
    """Staff cost as a share of sales, %: wages / revenue over the window (payroll, the way
    retailers report it; training, hiring and complaint handling are not in it)."""
    return 100.0 * _ratio(weekly["wages"].sum(), weekly["revenue"].sum())


def loyalty_rate(weekly: pd.DataFrame) -> float:
    """Loyalty rate (share of the base with high attachment), %: the weekly ``loyalty_rate``,
    averaged over the weeks with a base."""
    return 100.0 * _mean(weekly["loyalty_rate"])


#: The Dick & Basu cells, in the order true, spurious, latent, none; the first two are the
#: high-patronage cells.
CELLS: tuple[str, ...] = ("true_loyal", "spurious_loyal", "latent_loyal", "no_loyal")
HIGH_PATRONAGE_CELLS: tuple[str, ...] = CELLS[:2]


def cell_share(weekly: pd.DataFrame, cell: str) -> float:
    """Share of the customer base in Dick & Basu cell ``cell`` (one of :data:`CELLS`), %: the
    cell's customers / the customer base, summed over the window's weeks."""
    if cell not in CELLS:
        raise KeyError(f"unknown Dick & Basu cell {cell!r}; cells are {', '.join(CELLS)}")
    return 100.0 * _ratio(weekly[cell].sum(), weekly["customer_base"].sum())


def _share_of(cell: str, weekly: pd.DataFrame) -> float:
    return cell_share(weekly, cell)


def attachment_sd(attachment: np.ndarray, base_firm: np.ndarray, f: int) -> float:
    """Standard deviation of firm ``f``'s attachment over the customers in its base
    (``attachment``: customers x firms; ``base_firm``: each customer's base firm, -1 none);
    NaN with fewer than two customers in the base."""
    values = np.asarray(attachment)[np.asarray(base_firm) == f, f].astype(np.float64)
    return float(values.std()) if len(values) >= 2 else float("nan")


#: Weeks from a rival's opening over which the other stores' revenue is set against the same run
#: without the opening: the first year, as the published effects are of yearly revenue after entry
#: (``loyaltysim run``'s effects table shows 26 weeks by default; the loss grows after them).
OPENING_WEEKS = 52


# -- the published ranges ---------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """A closed range ``low``..``high`` in a quantity's unit."""

    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and not math.isnan(value) and self.low <= value <= self.high

    def text(self, unit: str) -> str:
        """The range as text, e.g. ``+10 to +45 points`` or ``20-40 %``."""
        if unit == "points":
            return f"{self.low:+.0f} to {self.high:+.0f}"
        if self.low == 0:
            return f"under {self.high:g} {unit}"
        return f"{self.low:g}-{self.high:g} {unit}"


def _hull(bands: Iterable[Band | None]) -> Band | None:
    present = [b for b in bands if b is not None]
    if not present:
        return None
    return Band(min(b.low for b in present), max(b.high for b in present))


@dataclass(frozen=True)
class PublishedRange:
    """One row of ``realism.md``: a quantity, its unit, its typical / best / worst ranges (None
    where none is published), the source, and the function computing it from one firm's weekly
    rows over the steady-state window (None for the rival's opening, measured after the window)."""

    quantity: str  # the key in measurements and tables
    label: str
    unit: str
    typical: Band | None
    best: Band | None
    worst: Band | None
    source: str
    anchor: str  # docs/sources.md anchor(s), comma-separated
    # None: not read from the steady-state window's weekly rows but measured where a rival opens
    # (:func:`rival_revenue_loss`); a scenario without an opening has no value for it.
    compute: Callable[[pd.DataFrame], float] | None = field(repr=False, compare=False)

    @property
    def widest(self) -> Band:
        """The widest plausible range: from the lowest to the highest published bound."""
        hull = _hull((self.typical, self.best, self.worst))
        assert hull is not None, self.quantity
        return hull

    def band(self, cls: Class) -> Band | None:
        """The published range of class ``cls`` (None where none is published)."""
        return getattr(self, cls)

    def expected(self, classes: Sequence[Class]) -> Band | None:
        """The range of the given classes together (None if none of them is published)."""
        return _hull(self.band(c) for c in classes)


RANGES: tuple[PublishedRange, ...] = (
    PublishedRange(
        "nps",
        "NPS (promoters 9-10 minus detractors 0-6, whole base)",
        "points",
        typical=Band(10, 45),
        best=Band(55, 85),
        worst=Band(-30, 5),
        source="Satmetrix 2014 US benchmarks (Costco +82, Wegmans +61, Walgreens +42); XM Institute "
        "2021 US study (grocery average +33, lowest industry average about 0)",
        anchor="satmetrix-2014,xm-institute-2021",
        compute=nps_base,
    ),
    PublishedRange(
        "engaged_share",
        "staff engaged (Gallup's sense)",
        "%",
        typical=Band(20, 40),
        best=Band(60, 75),
        worst=Band(5, 20),
        source="Gallup State of the Workplace / State of the Global Workplace: US about 31-35 %, "
        "world about 21-23 %, best-practice award winners about 70 %",
        anchor="gallup",
        compute=engaged_share,
    ),
    PublishedRange(
        "disengaged_share",
        "staff actively disengaged",
        "%",
        typical=Band(10, 20),
        best=Band(0, 5),
        worst=Band(20, 35),
        source="Gallup (US about 13-17 %)",
        anchor="gallup",
        compute=disengaged_share,
    ),
    PublishedRange(
        "turnover",
        "employee turnover per year",
        "%",
        typical=Band(50, 80),
        best=Band(10, 35),
        worst=Band(100, 150),
        source="NRF (US retail about 60 % a year); BLS JOLTS retail separations about 4-5 % a month; "
        "convenience stores over 100 %",
        anchor="retail-turnover",
        compute=yearly_turnover,
    ),
    PublishedRange(
        "problems_per_visit",
        "service problems per visit",
        "%",
        typical=Band(1, 5),
        best=Band(0, 1),
        worst=Band(5, 12),
        source="Customer Rage surveys: a third to two thirds of households report a problem in a "
        "year of buying; a weekly shopper makes about 50 visits a year",
        anchor="customer-rage",
        compute=problems_per_visit,
    ),
    PublishedRange(
        "complaint_share",
        "customers with a problem who complain to the store",
        "%",
        typical=Band(30, 60),
        best=None,
        worst=None,
        source="TARP / Goodman (Barlow & Møller 1996): about half complain to the frontline; a few "
        "per cent escalate to head office",
        anchor="tarp",
        compute=complaint_share,
    ),
    # Not a row of realism.md: a store's payroll against its sales, so that a scenario's staffing
    # is one a store could pay for. The worst stores' upper bound is the most labour-intensive
    # format in the sources, full-service restaurants.
    PublishedRange(
        "staff_cost_share",
        "staff cost (wages) as a share of sales",
        "%",
        typical=Band(8, 20),
        best=None,
        worst=Band(20, 35),
        source="FMI Annual Financial Review (US supermarkets: store labour a median 9.4 % of sales, "
        "13.5 % in stores selling $100,000-200,000 a week, benefits about 3.4 % more); US retail "
        "trade payroll 15-18 % of sales; retail consultants: 12 % good, up to 25-30 % in "
        "struggling stores; restaurants 25-35 %",
        anchor="retail-payroll",
        compute=staff_cost_share,
    ),
    # "About 16 %" read as 10-25 % for a typical store; "less" for the best, "more" for the worst,
    # and "an ordinary store does not lose most of its revenue to it" (realism.md) as the ceiling.
    PublishedRange(
        "rival_revenue_loss",
        f"revenue lost in the first year after a big rival opens ({OPENING_WEEKS} weeks, against "
        "the same run without it)",
        "%",
        typical=Band(10, 25),
        best=Band(0, 16),
        worst=Band(16, 50),
        source="Arcidiacono, Ellickson, Mela & Singleton 2017 (incumbent supermarkets within a mile "
        "of a new supercenter lose about 16 % of their revenue, less farther away); Basker & Noel "
        "2007 (incumbents barely cut prices)",
        anchor="arcidiacono-et-al-2017,basker-noel-2007",
        compute=None,
    ),
)
RANGE_BY_KEY: dict[str, PublishedRange] = {r.quantity: r for r in RANGES}

#: Rows of ``realism.md`` that are not a steady-state output of one run: where they are checked.
CHECKED_ELSEWHERE: tuple[tuple[str, str], ...] = (
    (
        "repurchase after a problem (TARP's table)",
        "the `complaint_repurchase` finding above (TARP / Goodman; Barlow & Møller 1996)",
    ),
    (
        "engagement -> customer loyalty across units (r about 0.3)",
        "the `service_profit_chain` finding above (Harter et al. 2002)",
    ),
)


# -- quantities measured besides the published ranges ---------------------------------------------
#: Quantity key -> (label, unit, function of the weekly rows), for the criteria and tables.
EXTRA_QUANTITIES: dict[str, tuple[str, str, Callable[[pd.DataFrame], float]]] = {
    "loyalty_rate": ("loyalty rate (high attachment)", "%", loyalty_rate),
    **{
        cell: (f"Dick & Basu {cell.removesuffix('_loyal')} loyalty", "% of base", partial(_share_of, cell))
        for cell in CELLS
    },
}

#: Every quantity computed from the weekly rows: key -> (label, unit, function).
WEEKLY_QUANTITIES: dict[str, tuple[str, str, Callable[[pd.DataFrame], float]]] = {
    **{r.quantity: (r.label, r.unit, r.compute) for r in RANGES if r.compute is not None},
    **EXTRA_QUANTITIES,
}

#: Quantities measured where a rival opens, after the steady-state window: key -> (label, unit).
OPENING_QUANTITIES: dict[str, tuple[str, str]] = {
    r.quantity: (r.label, r.unit) for r in RANGES if r.compute is None
}

#: Label and unit of the attachment spread (read from the customers' state).
ATTACHMENT_SD = ("attachment sd across the base", "attachment 0-1")

#: Every quantity, in table order: key -> (label, unit).
QUANTITIES: dict[str, tuple[str, str]] = {
    **{k: (label, unit) for k, (label, unit, _) in WEEKLY_QUANTITIES.items()},
    **OPENING_QUANTITIES,
    "attachment_sd": ATTACHMENT_SD,
}


# -- heterogeneity criteria (issue 16) ------------------------------------------------------------
Check = tuple[bool, str]


def _missing(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_attachment_sd(sd: float, minimum: float = 0.1) -> Check:
    """Attachment differs across a store's customers: standard deviation at least ``minimum``."""
    if _missing(sd):
        return False, "no customer base to measure"
    return sd >= minimum, f"sd {sd:.3f} {'>=' if sd >= minimum else '<'} {minimum:g}"


def check_dick_basu(shares: Mapping[str, float], monopoly: bool = False) -> Check:
    """The loyalty mix: at least 3 of the 4 Dick & Basu cells hold 5 % or more of the base and
    none more than 80 %; where customers have no alternative (``monopoly``: one open firm and no
    outside option, so patronage is always high) the two high-patronage cells (true and
    spurious) each hold 5 % or more. ``shares`` are in % of the base."""
    values = {c: shares.get(c, float("nan")) for c in CELLS}
    if any(_missing(v) for v in values.values()):
        return False, "no customer base to measure"
    text = ", ".join(f"{c.removesuffix('_loyal')} {v:.1f} %" for c, v in values.items())
    if monopoly:
        ok = all(values[c] >= 5.0 for c in HIGH_PATRONAGE_CELLS)
        return ok, f"{text} (no alternative: true and spurious each >= 5 %)"
    present = sum(v >= 5.0 for v in values.values())
    largest = max(values.values())
    ok = present >= 3 and largest <= 80.0
    return ok, f"{text} ({present} cells >= 5 %, largest {largest:.1f} %)"


def check_loyalty_rate(rate: float) -> Check:
    """The loyalty rate (%) lies strictly between 3 % and 97 %."""
    if _missing(rate):
        return False, "no customer base to measure"
    ok = 3.0 < rate < 97.0
    return ok, f"{rate:.1f} % {'inside' if ok else 'outside'} (3 %, 97 %)"


def check_engaged_share(share: float) -> Check:
    """The share of engaged staff (%) lies between 5 % and 80 %."""
    if _missing(share):
        return False, "no staff to measure"
    ok = 5.0 <= share <= 80.0
    return ok, f"{share:.1f} % {'inside' if ok else 'outside'} [5 %, 80 %]"


@dataclass(frozen=True)
class Criterion:
    """One heterogeneity criterion: applied to the focus firm or to every open store.
    ``quantity``: the one quantity it reads (None: several); ``monopoly_rule``: the rule where
    customers have no alternative, if different."""

    key: str
    label: str
    scope: Literal["focus", "every store"]
    rule: str
    source: str
    check: Callable[[Mapping[str, float], bool], Check] = field(repr=False, compare=False)
    quantity: str | None = None
    monopoly_rule: str | None = None

    def rule_for(self, monopoly: bool) -> str:
        """The rule that applies (the monopoly rule in a monopoly)."""
        return self.monopoly_rule if monopoly and self.monopoly_rule else self.rule


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "attachment_spread",
        "customers differ: attachment sd",
        "focus",
        ">= 0.1",
        "issue 16 (heterogeneity)",
        lambda v, _m: check_attachment_sd(v["attachment_sd"]),
        quantity="attachment_sd",
    ),
    Criterion(
        "loyalty_mix",
        "Dick & Basu cells present",
        "focus",
        ">= 3 of 4 cells >= 5 % of the base, none > 80 %",
        "Dick & Basu 1994; Ngobo 2017; Sharp 2010; issue 16",
        lambda v, m: check_dick_basu(v, monopoly=m),
        monopoly_rule="no alternative: true and spurious each >= 5 %",
    ),
    Criterion(
        "loyalty_rate",
        "loyalty rate",
        "every store",
        "strictly between 3 % and 97 %",
        "issue 16 (no all-or-nothing loyalty)",
        lambda v, _m: check_loyalty_rate(v["loyalty_rate"]),
        quantity="loyalty_rate",
    ),
    Criterion(
        "engaged_share",
        "engaged staff",
        "every store",
        "5-80 %",
        "Gallup; issue 16 (employees differ)",
        lambda v, _m: check_engaged_share(v["engaged_share"]),
        quantity="engaged_share",
    ),
)


# -- the class each shipped scenario is expected to fall in: declared here, and only here ---------
@dataclass(frozen=True)
class Expectation:
    """The class a scenario's focus store should fall in (``default``, with per-quantity
    exceptions in ``per_quantity``) and why, in one line."""

    default: tuple[Class, ...]
    reason: str
    per_quantity: Mapping[str, tuple[Class, ...]] = field(default_factory=dict)

    def classes(self, quantity: str) -> tuple[Class, ...]:
        return tuple(self.per_quantity.get(quantity, self.default))


EXPECTED: dict[str, Expectation] = {
    "corner_pharmacy": Expectation(
        ("typical", "worst"),
        "close, 24 h and cheap but mediocre service and little empowerment [A]: retained, not loyal",
        {"problems_per_visit": ("typical",)},
    ),
    "discount_chain": Expectation(
        ("worst",),
        "under-trained, under-staffed, low wages [E]: the failures-burnout-turnover cycle",
        # Under-staffed on low wages: a lean wage bill is its story, not a struggling store's.
        {"problems_per_visit": ("typical", "worst"), "staff_cost_share": ("typical",)},
    ),
    "fear_culture": Expectation(
        ("worst",),
        "the loyal brand under a culture of fear [D]: complainers are suspects, recovery fails",
        {"problems_per_visit": ("best", "typical")},
    ),
    "loyal_brand": Expectation(
        ("best",),
        "Nordstrom/Zappos-like: trusted, trained, empowered, well-staffed employees [B]-[E]",
    ),
    "pharmacy_vs_brand": Expectation(
        ("typical", "worst"),
        "its focus is the corner pharmacy [A], with the loyal brand across town",
        {"problems_per_visit": ("typical",)},
    ),
    "public_service_monopoly": Expectation(
        ("worst",),
        "no alternative, low culture values, 12 % base failure rate [D]",
    ),
    "turnaround": Expectation(
        ("worst",),
        "the window ends before the week-104 turnaround: the discount chain as it was [E]",
        {"problems_per_visit": ("typical", "worst"), "staff_cost_share": ("typical",)},
    ),
}


def _class_text(classes: Sequence[Class]) -> str:
    return "-to-".join(classes) if classes else "-"


# -- running the scenarios --------------------------------------------------------------------
def steady_window(spec: Scenario, weeks: int = 52) -> tuple[int, int]:
    """The steady-state window (first and last week, inclusive): the ``weeks`` weeks before the
    scenario's first event, or its last ``weeks`` weeks if it has no events (clipped to week 1)."""
    if weeks < 1:
        raise ValueError(f"a window needs at least one week, not {weeks}")
    first_event = min((e.week for e in spec.events), default=None)
    end = spec.market.weeks if first_event is None else min(first_event - 1, spec.market.weeks)
    if end < 1:
        raise ValueError(f"{spec.name}: an event in week 1 leaves no steady-state window before it")
    return max(1, end - weeks + 1), end


@dataclass
class ScenarioMeasurement:
    """One scenario's measured quantities: ``values`` has a row per seed, firm and quantity
    (columns ``seed``, ``firm``, ``quantity``, ``value``; quantities in :data:`QUANTITIES`' units).
    ``firms`` are the firms open throughout the window; ``monopoly``: only one of them and no
    outside option."""

    scenario: str
    focus: str
    firms: list[str]
    window: tuple[int, int]
    monopoly: bool
    customers: int
    seeds: tuple[int, ...]
    engine: str
    values: pd.DataFrame

    def summary(self, firm: str | None = None) -> pd.DataFrame:
        """Per quantity of ``firm`` (default the focus firm): mean over seeds, min and max."""
        firm = self.focus if firm is None else firm
        rows = self.values[self.values["firm"] == firm]
        stats = rows.groupby("quantity", sort=False)["value"].agg(["mean", "min", "max"])
        return stats.reindex([q for q in QUANTITIES if q in stats.index])

    def means(self, firm: str | None = None) -> dict[str, float]:
        """Quantity -> mean over seeds, for ``firm`` (default the focus firm)."""
        return self.summary(firm)["mean"].to_dict()

    def focus_table(self) -> pd.DataFrame:
        """The focus firm: one row per quantity (label, unit, mean, min, max)."""
        return self._table(self.focus)

    def firms_table(self) -> pd.DataFrame:
        """Every open firm: one row per firm and quantity."""
        return pd.concat([self._table(f) for f in self.firms], ignore_index=True)

    def _table(self, firm: str) -> pd.DataFrame:
        stats = self.summary(firm).reset_index()
        stats.insert(0, "firm", firm)
        stats.insert(2, "label", [QUANTITIES[q][0] for q in stats["quantity"]])
        stats.insert(3, "unit", [QUANTITIES[q][1] for q in stats["quantity"]])
        return stats


def opening_week(spec: Scenario) -> int | None:
    """The week of the scenario's first event if that event opens a store (a rival's opening),
    else None."""
    weeks = event_weeks(spec)
    return weeks[0] if weeks and opened_firms(spec, weeks[0]) else None


def rival_revenue_loss(model: LoyaltyModel, week: int, weeks: int = OPENING_WEEKS) -> dict[str, float]:
    """Revenue each store loses to the rival that opens in ``week``, % of its revenue in the same
    run without the opening, over ``weeks`` weeks from ``week`` (cut at the run's end): per store
    key, 100 x (1 - with / without); NaN where a store sold nothing without it. ``model`` has run
    to ``week - 1`` and is stepped on; the run without the opening is a fork of it (common random
    numbers make the two identical up to the opening:
    :func:`loyaltysim.counterfactual.fork_without_events`)."""
    without = fork_without_events(model, week)
    span = min(weeks, model.spec.market.weeks - model.week)
    model.run(span)
    without.run(span)
    revenue = [
        m.firm_weekly().query("week >= @week").groupby("firm")["revenue"].sum() for m in (model, without)
    ]
    return {
        firm: 100.0 * (1.0 - revenue[0][firm] / sold) if sold > 0 else float("nan")
        for firm, sold in revenue[1].items()
    }


def _seed_values(
    scenario: str | os.PathLike[str] | Scenario,
    seed: int,
    customers: int,
    engine: str,
    window: int | tuple[int, int],
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Scenario, tuple[int, int], list[str], list[dict[str, object]]]:
    settings = {**(overrides or {}), "market.customers": customers}
    model = LoyaltyModel(scenario, rng=seed, engine=engine, overrides=settings)
    spec = model.spec
    first, last = window if isinstance(window, tuple) else steady_window(spec, window)
    if not 1 <= first <= last <= spec.market.weeks:
        raise ValueError(f"window {first}-{last} is not inside the run's weeks 1-{spec.market.weeks}")
    model.run(last)
    weekly = model.firm_weekly()
    weekly = weekly[(weekly["week"] >= first) & (weekly["week"] <= last)]
    base = base_firms(model.state, model.week, spec.market.base_window_weeks)
    rows: list[dict[str, object]] = []
    open_firms = []
    for f, key in enumerate(model.firm_keys):
        w = weekly[weekly["firm"] == key]
        if not len(w) or not w["open"].astype(bool).all():
            continue
        open_firms.append(key)
        for quantity, (_, _, compute) in WEEKLY_QUANTITIES.items():
            rows.append({"seed": seed, "firm": key, "quantity": quantity, "value": compute(w)})
        sd = attachment_sd(model.state.attachment, base, f)
        rows.append({"seed": seed, "firm": key, "quantity": "attachment_sd", "value": sd})
    opening = opening_week(spec)
    if opening is not None and last < opening <= spec.market.weeks:
        model.run(opening - 1 - model.week)
        lost = rival_revenue_loss(model, opening)
        rows += [
            {"seed": seed, "firm": k, "quantity": "rival_revenue_loss", "value": lost[k]} for k in open_firms
        ]
    return spec, (first, last), open_firms, rows


def measure(
    scenario: str | os.PathLike[str] | Scenario,
    customers: int = FULL_SIZE[0],
    seeds: Sequence[int] = FULL_SIZE[1],
    engine: str = "numba",
    window: int | tuple[int, int] = 52,
    overrides: Mapping[str, Any] | None = None,
) -> ScenarioMeasurement:
    """Run ``scenario`` (shipped name, path or Scenario) once per seed with ``customers``
    customers and measure every quantity over the steady-state window: ``window`` weeks before
    the first event (or the last ``window`` weeks), or explicit (first, last) weeks.
    ``overrides``: dotted scenario keys set for every run (e.g. a candidate calibration)."""
    if not seeds:
        raise ValueError("measure needs at least one seed")
    rows: list[dict[str, object]] = []
    spec: Scenario | None = None
    span: tuple[int, int] = (0, 0)
    firms: list[str] | None = None
    for seed in seeds:
        spec, span, open_firms, seed_rows = _seed_values(scenario, seed, customers, engine, window, overrides)
        firms = open_firms if firms is None else [f for f in firms if f in open_firms]
        rows += seed_rows
    assert spec is not None and firms is not None
    values = pd.DataFrame(rows, columns=["seed", "firm", "quantity", "value"])
    values = values[values["firm"].isin(firms)].reset_index(drop=True)
    return ScenarioMeasurement(
        scenario=spec.name or str(scenario),
        focus=spec.focus_firm,
        firms=firms,
        window=span,
        monopoly=len(firms) == 1 and not spec.market.outside_option,
        customers=customers,
        seeds=tuple(seeds),
        engine=engine,
        values=values,
    )


def measure_scenario(
    scenario: str | os.PathLike[str] | Scenario,
    customers: int = FULL_SIZE[0],
    seeds: Sequence[int] = FULL_SIZE[1],
    engine: str = "numba",
    window: int | tuple[int, int] = 52,
) -> pd.DataFrame:
    """The focus firm's quantities (one row each: mean over seeds, min, max) of ``scenario``
    over its steady-state window (see :func:`measure`). ``.attrs["firms"]`` holds the same
    table for every open firm; ``.attrs`` also give the scenario, window and monopoly flag."""
    m = measure(scenario, customers=customers, seeds=seeds, engine=engine, window=window)
    table = m.focus_table()
    table.attrs.update(
        scenario=m.scenario, focus=m.focus, window=m.window, monopoly=m.monopoly, firms=m.firms_table()
    )
    return table


def run_plausibility(
    quick: bool = False,
    scenarios: Iterable[str] | None = None,
    engine: str = "numba",
    on_done: Callable[[ScenarioMeasurement], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[ScenarioMeasurement]:
    """Measure the shipped scenarios (default: all of them, by name) at full or ``quick`` size,
    with ``overrides`` set in every run (see :func:`measure`)."""
    customers, seeds = QUICK_SIZE if quick else FULL_SIZE
    names = list(scenarios) if scenarios is not None else list(shipped_scenarios())
    out = []
    for name in names:
        m = measure(name, customers=customers, seeds=seeds, engine=engine, overrides=overrides)
        if on_done is not None:
            on_done(m)
        out.append(m)
    return out


# -- the table ------------------------------------------------------------------------------------
def _fmt(value: float, unit: str) -> str:
    if _missing(value):
        return "n/a"
    if unit == "points":
        return f"{value:+.0f}" if round(value) else "0"  # not "-0" for -0.3
    if unit.startswith("attachment"):
        return f"{value:.3f}"
    return f"{value:.1f} %" if abs(value) < 10 else f"{value:.0f} %"


def _spread(mean: float, low: float, high: float, unit: str) -> str:
    if _missing(low) or _fmt(low, unit) == _fmt(high, unit):
        return _fmt(mean, unit)
    return f"{_fmt(mean, unit)} ({_fmt(low, unit)} to {_fmt(high, unit)})"


def _range_row(m: ScenarioMeasurement, r: PublishedRange, stats: pd.DataFrame) -> dict[str, object]:
    """The table row of range ``r`` for the focus firm of ``m`` (``stats``: its summary). A range
    measured at a rival's opening is not applicable where none opens: it passes, shown as such."""
    expectation = EXPECTED.get(m.scenario)
    classes = expectation.classes(r.quantity) if expectation else ()
    expected = r.expected(classes) if classes else None
    applicable = r.quantity in stats.index
    nan = float("nan")
    mean, low, high = (stats.loc[r.quantity, k] for k in ("mean", "min", "max")) if applicable else (nan,) * 3
    inside = mean in r.widest
    return {
        "scenario": m.scenario,
        "firm": m.focus,
        "kind": "range",
        "quantity": r.quantity,
        "label": r.label,
        "expected_class": _class_text(classes),
        "expected": expected.text(r.unit) if expected else "-",
        "plausible": r.widest.text(r.unit),
        "simulated": mean,
        "seed_min": low,
        "seed_max": high,
        "shown": _spread(mean, low, high, r.unit) if applicable else "no rival opens",
        "passed": inside or not applicable,
        "in_class": (mean in expected) if expected and applicable else None,
        "detail": ("" if inside else "outside the plausible range") if applicable else "not applicable",
        "applicable": applicable,
        "source": r.source,
    }


def plausibility_table(measurements: Iterable[ScenarioMeasurement]) -> pd.DataFrame:
    """Published range against simulated value, one row per scenario and check: the published
    ranges for the focus firm (``kind`` "range"), then the heterogeneity criteria (``kind``
    "criterion": focus firm, or every open store). ``passed`` decides; ``in_class`` says whether
    a range's value is also inside the range of its expected class (information only)."""
    rows = []
    for m in measurements:
        stats = m.summary()
        rows += [_range_row(m, r, stats) for r in RANGES]
        for c in CRITERIA:
            firms = [m.focus] if c.scope == "focus" else [m.focus] + [f for f in m.firms if f != m.focus]
            for firm in firms:
                passed, detail = c.check(m.means(firm), m.monopoly)
                nan = float("nan")
                mean, low, high = (
                    (m.summary(firm).loc[c.quantity, k] for k in ("mean", "min", "max"))
                    if c.quantity
                    else (nan, nan, nan)
                )
                unit = QUANTITIES[c.quantity][1] if c.quantity else ""
                rows.append(
                    {
                        "scenario": m.scenario,
                        "firm": firm,
                        "kind": "criterion",
                        "quantity": c.key,
                        "label": c.label,
                        "expected_class": "-",
                        "expected": "-",
                        "plausible": c.rule_for(m.monopoly),
                        "simulated": mean,
                        "seed_min": low,
                        "seed_max": high,
                        "shown": _spread(mean, low, high, unit) if c.quantity else detail,
                        "passed": passed,
                        "in_class": None,
                        "detail": detail,
                        "applicable": True,
                        "source": c.source,
                    }
                )
    return pd.DataFrame(rows)


def _in_class_count(rows: pd.DataFrame) -> str:
    """ "k/n": of the ranges with an expected class, how many values lie inside that class."""
    judged = [bool(v) for v in rows["in_class"] if v is not None]
    return f"{sum(judged)}/{len(judged)}" if judged else "-"


#: A quantity outside its expected class in at least this many scenarios is a pattern, not chance.
SYSTEMATIC_MISSES = 3


def class_misses_text(table: pd.DataFrame) -> list[str]:
    """Markdown lines naming the quantities that fall outside their expected class in
    ``SYSTEMATIC_MISSES`` or more scenarios, with the simulated values against the classes.
    Inside the widest range they pass; a pattern of class misses is what the model does not
    yet tell apart (information for calibration, not a failure)."""
    ranges = table[(table["kind"] == "range") & table["in_class"].notna()]
    lines = []
    for quantity, rows in ranges.groupby("quantity", sort=False):
        missed = rows[~rows["in_class"].astype(bool)]
        if len(missed) < SYSTEMATIC_MISSES:
            continue
        unit = QUANTITIES[str(quantity)][1]
        values = ", ".join(
            f"{r.scenario} {_fmt(r.simulated, unit)} ({r.expected_class}: {r.expected})"
            for r in missed.itertuples(index=False)
        )
        lines.append(f"- {rows['label'].iloc[0]}: {len(missed)} of {len(rows)} scenarios - {values}.")
    if not lines:
        return []
    head = (
        f"Outside their expected class in {SYSTEMATIC_MISSES} or more scenarios (inside the "
        "widest range, so they pass; a pattern the default coefficients do not yet produce, for "
        "the calibration to weigh):"
    )
    return [head, "", *lines, ""]


def _mark(passed: bool) -> str:
    return "yes" if passed else "**NO**"


def plausibility_markdown(
    measurements: Sequence[ScenarioMeasurement], quick: bool = False, version: str | None = None
) -> str:
    """The "Plausibility against published ranges" section of ``docs/validation.md``: the
    published ranges with their sources, the classes expected, a summary per scenario and, per
    scenario, each value against its range (anything outside marked **NO**)."""
    table = plausibility_table(measurements)
    first = measurements[0] if measurements else None
    size = (
        f"{first.customers:,} customers, seeds {', '.join(map(str, first.seeds))}, {first.engine} engine"
        if first
        else "no runs"
    )
    how = "`loyaltysim validate --plausibility" + (" --quick`" if quick else "`")
    lines = [
        f"## {SECTION_TITLE}",
        "",
        f"Written by {how}{f' (loyaltysim {version})' if version else ''}; {size}"
        + (" - QUICK size, indicative only" if quick else "")
        + ". Every shipped scenario runs to the end of its steady-state window (the 52 weeks before "
        "its first event, or its last 52 weeks); each quantity of its focus store is the mean over "
        "seeds, with the lowest and highest seed in brackets. A value passes when it lies inside the "
        "**widest plausible range** - from the lowest to the highest published bound of the typical, "
        "best and worst stores; the class the scenario is expected to fall in is shown beside it "
        "(`loyaltysim/validation/plausibility.py`, `EXPECTED`), with whether the value is inside that "
        "class's range (information only). Where a rival opens (the scenario's first event opens "
        f"a store), each store's revenue over the {OPENING_WEEKS} weeks from the opening is set "
        "against the same run without it (the run forked just before the opening: common random "
        "numbers). The heterogeneity criteria are issue 16's. Sources: "
        "[docs/sources.md](sources.md).",
        "",
        "### Published ranges",
        "",
    ]
    ranges = pd.DataFrame(
        [
            {
                "quantity": f"{r.label} ({r.unit})",
                "typical": r.typical.text(r.unit) if r.typical else "-",
                "best": r.best.text(r.unit) if r.best else "-",
                "worst": r.worst.text(r.unit) if r.worst else "-",
                "checked (widest)": r.widest.text(r.unit),
                "source": f"{r.source} ({', '.join(f'[{a}](sources.md#{a})' for a in r.anchor.split(','))})",
            }
            for r in RANGES
        ]
    )
    lines += [markdown_table(ranges), ""]
    criteria = pd.DataFrame(
        [
            {
                "criterion": c.label,
                "applies to": c.scope,
                "rule": c.rule + (f" ({c.monopoly_rule})" if c.monopoly_rule else ""),
                "source": c.source,
            }
            for c in CRITERIA
        ]
    )
    lines += ["Heterogeneity criteria:", "", markdown_table(criteria), ""]
    lines += ["Checked elsewhere:", ""]
    lines += [f"- {what}: {where}." for what, where in CHECKED_ELSEWHERE]
    lines += ["", "### Summary", ""]
    summary = []
    for m in measurements:
        rows = table[table["scenario"] == m.scenario]
        applicable = rows[(rows["kind"] == "range") & rows["applicable"].astype(bool)]
        bad_ranges = rows[(rows["kind"] == "range") & ~rows["passed"].astype(bool)]
        bad_criteria = rows[(rows["kind"] == "criterion") & ~rows["passed"].astype(bool)]
        expectation = EXPECTED.get(m.scenario)
        summary.append(
            {
                "scenario (focus)": f"{m.scenario} ({m.focus})",
                "class": _class_text(expectation.default) if expectation else "not declared",
                "window": f"weeks {m.window[0]}-{m.window[1]}",
                "ranges held": f"{len(applicable) - len(bad_ranges)}/{len(applicable)}",
                "outside": ", ".join(bad_ranges["quantity"]) or "-",
                "in its class": _in_class_count(applicable),
                "criteria failed": ", ".join(
                    f"{q} ({f})" if f != m.focus else q
                    for q, f in zip(bad_criteria["quantity"], bad_criteria["firm"], strict=True)
                )
                or "-",
            }
        )
    lines += [markdown_table(pd.DataFrame(summary)), ""]
    lines += class_misses_text(table)
    for m in measurements:
        expectation = EXPECTED.get(m.scenario)
        reason = expectation.reason if expectation else "no class declared in `EXPECTED`"
        rows = table[table["scenario"] == m.scenario]
        lines += [
            f"### {m.scenario}",
            "",
            f"Focus store `{m.focus}`; open stores: {', '.join(f'`{f}`' for f in m.firms)}; window weeks "
            f"{m.window[0]}-{m.window[1]}{'; monopoly (no alternative)' if m.monopoly else ''}. "
            f"Expected class: {_class_text(expectation.default) if expectation else '-'} - {reason}.",
            "",
        ]
        detail = pd.DataFrame(
            [
                {
                    "quantity": row.label if row.firm == m.focus else f"{row.label} (`{row.firm}`)",
                    "class": row.expected_class,
                    "class range": row.expected,
                    "checked range": row.plausible,
                    "simulated": row.shown,
                    "in class": "-" if row.in_class is None else ("yes" if row.in_class else "no"),
                    "inside": _mark(bool(row.passed)) if row.applicable else "-",
                }
                for row in rows.itertuples(index=False)
            ]
        )
        lines += [markdown_table(detail), ""]
        other = m.firms_table()
        other = other[other["firm"] != m.focus]
        if len(other):
            shown = pd.DataFrame(
                {
                    "store": other["firm"],
                    "quantity": other["label"],
                    "simulated": [
                        _spread(a, b, c, u)
                        for a, b, c, u in zip(
                            other["mean"], other["min"], other["max"], other["unit"], strict=True
                        )
                    ],
                }
            )
            lines += [
                "<details><summary>The other open stores</summary>",
                "",
                markdown_table(shown),
                "",
                "</details>",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def write_plausibility(
    out: str | os.PathLike[str],
    measurements: Sequence[ScenarioMeasurement],
    quick: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Put the plausibility section into ``out`` (between its markers, or appended), leaving the
    rest of the file as it is; create ``out`` if missing. ``overrides``: the keys every run set
    (``validate --set``), stated under the section's heading."""
    from loyaltysim import __version__

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    section = plausibility_markdown(measurements, quick=quick, version=__version__)
    if overrides:
        heading, rest = section.split("\n", 1)
        section = f"{heading}\n\n{overrides_statement(overrides)}\n{rest}"
    out.write_text(replace_section(old, section), encoding="utf-8")
    return out
