"""The published ranges of ``realism.md`` as data (:data:`RANGES`: typical, best and worst bands
and the source of each quantity) and the table of every quantity measured (:data:`QUANTITIES`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import pandas as pd

from loyaltysim.validation.plausibility.quantities import (
    CELLS,
    OPENING_WEEKS,
    _share_of,
    complaint_share,
    disengaged_share,
    engaged_share,
    loyalty_rate,
    nps_base,
    problems_per_visit,
    staff_cost_share,
    yearly_turnover,
)

Class = Literal["typical", "best", "worst"]
CLASSES: tuple[Class, ...] = ("typical", "best", "worst")


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
