"""The heterogeneity criteria of issue 16 (:data:`CRITERIA`) and the class each shipped scenario is
expected to fall in (:data:`EXPECTED`: declared here, and only here)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from loyaltysim.validation.plausibility.quantities import CELLS, HIGH_PATRONAGE_CELLS
from loyaltysim.validation.plausibility.ranges import Class

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
