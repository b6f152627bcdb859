"""What one validation finding reports: published against simulated figures, with a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from matplotlib.figure import Figure

Verdict = Literal["reproduced", "partly reproduced", "not reproduced"]


@dataclass(frozen=True)
class Closeness:
    """A criterion "the simulated figure lies within ``tolerance`` of the published one", as
    numbers in one unit (a range [low, high] is its midpoint +- half its width). A calibration
    grades a miss by how far it is, ((simulated - published) / tolerance)²
    (:mod:`loyaltysim.calibration.loss`), instead of reading the numbers back from the words."""

    simulated: float
    published: float
    tolerance: float

    @property
    def holds(self) -> bool:
        """Whether the simulated figure is within the tolerance (False when it is not a number)."""
        return bool(abs(self.simulated - self.published) <= self.tolerance)


@dataclass(frozen=True)
class Margin:
    """A one-sided criterion as numbers: the simulated figure must lie above ``line`` (``above``)
    or below it, and ``scale`` is the miss that counts as one unit of loss (a convention of the
    finding, stated beside it). A calibration grades a failed comparison by its shortfall,
    (shortfall / scale)² and at least 1 (:mod:`loyaltysim.calibration.loss`), so that a search
    sees a near miss as nearer than a far one; without a margin every miss costs the same."""

    simulated: float
    line: float
    scale: float
    above: bool = True

    @property
    def shortfall(self) -> float:
        """How far the simulated figure lies on the wrong side of the line: 0 on the right side or
        on the line, NaN when it is not a number."""
        gap = self.line - self.simulated if self.above else self.simulated - self.line
        return max(0.0, gap) if math.isfinite(gap) else math.nan


@dataclass(frozen=True)
class Comparison:
    """One published figure set against the model's figure, and whether the model matches it.

    ``criterion`` says in words what "matches" means (``"within 10 points"``, ``"ordering
    holds"``); ``reproduced`` is that criterion evaluated on the numbers, never set by hand.
    ``closeness`` is the criterion as numbers when it is one of closeness (see :meth:`within`);
    ``margin`` when it is one-sided ("at least 3x", "CI above 0"): a comparison that holds never
    falls short of its margin's line (checked on construction).
    ``applicable`` is False where the published finding's premise does not hold in the simulated
    setting (e.g. a five-point cut in defection for a store that loses under five points a year):
    the row is shown with its numbers but neither holds nor fails in the verdict. A calibration
    still scores it by its numbers, so that a trial cannot escape a comparison by removing its
    premise.
    The condition is the finding's, stated in ``criterion``, and evaluated on the numbers.
    """

    quantity: str
    published: str
    simulated: str
    criterion: str
    reproduced: bool
    closeness: Closeness | None = None
    applicable: bool = True
    margin: Margin | None = None

    def __post_init__(self) -> None:
        if self.reproduced and self.margin is not None and self.margin.shortfall > 0:
            raise ValueError(
                f"{self.quantity!r}: holds by its criterion ({self.criterion}) but falls "
                f"{self.margin.shortfall:g} short of its margin's line {self.margin.line:g}: the margin "
                "does not state the criterion"
            )

    @classmethod
    def within(
        cls,
        quantity: str,
        published: str,
        simulated: str,
        criterion: str,
        closeness: Closeness,
        *,
        enough: bool = True,
        applicable: bool = True,
    ) -> Comparison:
        """A comparison that holds when ``closeness`` holds (and there is ``enough`` data to
        judge, e.g. events in a cell); ``applicable`` as in the class."""
        held = enough and closeness.holds
        return cls(quantity, published, simulated, criterion, held, closeness, applicable)


@dataclass
class FindingResult:
    """The outcome of one finding: comparisons, a detail table, a figure and the settings used.

    ``discussion`` explains the mechanism behind the simulated figures and, where a comparison is
    not reproduced, what the model lacks; the report prints it verbatim.
    """

    key: str
    title: str
    source: str
    claim: str
    comparisons: list[Comparison]
    figure: Figure | None = None
    table: pd.DataFrame | None = None
    discussion: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def comparison(self, prefix: str) -> Comparison:
        """The one comparison whose quantity starts with ``prefix`` (KeyError naming the
        quantities there are when none or several do)."""
        found = [c for c in self.comparisons if c.quantity.startswith(prefix)]
        if len(found) != 1:
            raise KeyError(
                f"{len(found)} comparisons of {self.key!r} start with {prefix!r}; "
                f"quantities: {[c.quantity for c in self.comparisons]}"
            )
        return found[0]

    @property
    def judged(self) -> list[Comparison]:
        """The comparisons that apply to the simulated setting (see :class:`Comparison`)."""
        return [c for c in self.comparisons if c.applicable]

    def tally(self) -> tuple[int, int, int]:
        """(comparisons that hold, comparisons that apply, comparisons that do not apply)."""
        judged = self.judged
        return sum(c.reproduced for c in judged), len(judged), len(self.comparisons) - len(judged)

    @property
    def held_text(self) -> str:
        """Comparisons held of those that apply, with those that do not: ``7/7 (1 not applicable)``."""
        held, judged, skipped = self.tally()
        return f"{held}/{judged}" + (f" ({skipped} not applicable)" if skipped else "")

    @property
    def verdict(self) -> Verdict:
        """'reproduced' when every comparison that applies holds, 'not reproduced' when none does."""
        held = [c.reproduced for c in self.judged]
        if held and all(held):
            return "reproduced"
        return "partly reproduced" if any(held) else "not reproduced"

    def failed(self) -> list[Comparison]:
        """The comparisons that apply and that the model does not reproduce."""
        return [c for c in self.judged if not c.reproduced]


def percent(share: float, digits: int = 0) -> str:
    """A share 0-1 written as a percentage (``0.372 -> '37 %'``)."""
    return f"{100.0 * share:.{digits}f} %"
