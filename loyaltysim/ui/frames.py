"""One displayed week of a column: the numbers its charts and map show, frozen.

A :class:`ColumnFrame` is built right after the model steps and never changes afterwards, so the
browser components render from it while the model goes on to the next week in another thread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from loyaltysim.ui.config import COMPLAINT_OUTCOMES, LOYALTY_CELLS
from loyaltysim.ui.townmap import LegendEntry, render_town

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel

#: Metrics of the charted firm that the comparison charts use (names from loyaltysim.metrics).
CHART_METRICS: tuple[str, ...] = (
    *LOYALTY_CELLS,
    *COMPLAINT_OUTCOMES,
    "customer_base",
    "retention_purchase",
    "retention_base",
    "loyalty_rate",
    "nps",
    "nps_se",
    "engagement_mean",
    "turnover",
    "profit",
    "complaints",
    "escalations",
    "market_share",
)


class FrozenCollector:
    """Stands in for a model's ``DataCollector`` in Mesa's plot components: the model-level
    table as it was when the frame was built."""

    def __init__(self, model_vars: pd.DataFrame):
        self._model_vars = model_vars

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The model reporters, one row per collected week (what Mesa's plots read)."""
        return self._model_vars


@dataclass(frozen=True, eq=False)
class ModelSnapshot:
    """What Mesa's ``make_plot_component`` reads from a model (``datacollector``), frozen."""

    datacollector: FrozenCollector


@dataclass(frozen=True, eq=False)
class ColumnFrame:
    """A column at the end of one displayed week.

    ``series`` holds, for the charted firm, each metric of :data:`CHART_METRICS` for weeks
    ``1..week`` (None where undefined, e.g. retention before anyone came back). ``events`` lists
    the (week, label) of timeline events fired so far. ``without`` holds the same series of the
    same run without the events of ``without_week`` (same seed; empty before that week or with
    the overlay off), ``without_label`` says which ("without the supermarket").
    """

    week: int
    weeks: int
    firm: str
    firm_label: str
    series: Mapping[str, tuple[float | None, ...]]
    events: tuple[tuple[int, str], ...]
    map_png: bytes
    legend: tuple[LegendEntry, ...]
    snapshot: ModelSnapshot
    without: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    without_week: int | None = None
    without_label: str = ""

    def latest(self, metric: str) -> float | None:
        """The metric's value in the frame's week (None before week 1 or where undefined)."""
        values = self.series.get(metric, ())
        return values[-1] if values else None


def _clean(values: pd.Series) -> tuple[float | None, ...]:
    """Floats rounded to 6 significant digits; NaN and infinities become None (JSON null)."""
    out = []
    for value in values.to_numpy(dtype=float):
        out.append(None if not math.isfinite(value) else float(f"{value:.6g}"))
    return tuple(out)


def firm_series(model: LoyaltyModel, firm: str) -> dict[str, tuple[float | None, ...]]:
    """Weekly values of :data:`CHART_METRICS` for ``firm`` (index 0 = week 1)."""
    table = model.firm_weekly()
    if table.empty:
        return {metric: () for metric in CHART_METRICS}
    rows = table[table["firm"] == firm].sort_values("week")
    return {metric: _clean(rows[metric]) for metric in CHART_METRICS}


def _clean_value(value: Any) -> float | None:
    """One value as :func:`_clean` gives it."""
    number = math.nan if value is None else float(value)
    return None if not math.isfinite(number) else float(f"{number:.6g}")


class SeriesReader:
    """:func:`firm_series` of one model and firm, read incrementally: each call converts only the
    rows the model's ``firm_weekly`` table gained since the last (what the run without the event
    costs a drawn week stays small however long the run)."""

    def __init__(self, model: LoyaltyModel, firm: str):
        self.model, self.firm = model, firm
        self._rows = 0
        self._values: dict[str, list[float | None]] = {metric: [] for metric in CHART_METRICS}

    def series(self) -> dict[str, tuple[float | None, ...]]:
        """Weekly values of :data:`CHART_METRICS` for the firm (index 0 = week 1)."""
        table = self.model.datacollector.tables["firm_weekly"]
        firms = table["firm"]
        for row in range(self._rows, len(firms)):
            if firms[row] == self.firm:
                for metric, values in self._values.items():
                    values.append(_clean_value(table[metric][row]))
        self._rows = len(firms)
        return {metric: tuple(values) for metric, values in self._values.items()}


def build_frame(
    model: LoyaltyModel,
    firm: str,
    firm_colours: Mapping[str, str],
    shadow: SeriesReader | None = None,
    shadow_week: int | None = None,
    shadow_label: str = "",
) -> ColumnFrame:
    """Freeze what a column shows after ``model``'s latest week (charts, map, events), with the
    series that ``shadow`` reads (from the run without the events of ``shadow_week``) once that
    week is run."""
    png, legend = render_town(model, firm_colours)
    without = {}
    if shadow is not None and shadow_week is not None and shadow.model.week >= shadow_week:
        without = shadow.series()
    params = model.spec.firms[firm]
    model_vars = model.datacollector.get_model_vars_dataframe().copy()
    return ColumnFrame(
        week=model.week,
        weeks=model.spec.market.weeks,
        firm=firm,
        firm_label=params.label or firm,
        series=firm_series(model, firm),
        events=tuple((int(week), str(label)) for week, label in model.fired_events),
        map_png=png,
        legend=legend,
        snapshot=ModelSnapshot(FrozenCollector(model_vars)),
        without=without,
        without_week=shadow_week if without else None,
        without_label=shadow_label if without else "",
    )
