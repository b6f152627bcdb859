"""ECharts options for the comparison charts: plain dictionaries built from column frames.

Every chart shows all columns in one view - as lines in one plot where values compare directly
(retention, NPS, engagement, profit), or as one small stacked panel per column sharing the y axis
where a chart splits a total (the Dick & Basu cells, complaint outcomes). The x axis always spans
the longest run, so a chart does not rescale as the weeks go by. Fired events (the competitor
opening, a culture programme) are marked with a vertical line.

The browser draws these on a canvas; building one is a few milliseconds of Python whatever the
number of customers, since frames hold weekly firm totals only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loyaltysim.ui.config import COMPLAINT_OUTCOMES, LOYALTY_CELLS
from loyaltysim.ui.frames import ColumnFrame

Option = dict[str, Any]


@dataclass(frozen=True)
class ChartColumn:
    """A column as the charts see it: its short name, line colour and latest frame."""

    name: str
    colour: str
    frame: ColumnFrame


def _points(frame: ColumnFrame, metric: str, scale: float = 1.0) -> list[list[Any]]:
    values = frame.series.get(metric, ())
    return [[week, None if v is None else v * scale] for week, v in enumerate(values, start=1)]


def _x_axis(columns: Sequence[ChartColumn], grid: int = 0, show: bool = True) -> Option:
    longest = max((c.frame.weeks for c in columns), default=52)
    return {"type": "value", "min": 0, "max": longest, "gridIndex": grid, "name": "week",
            "nameLocation": "middle", "nameGap": 22, "axisLabel": {"show": show},
            "splitLine": {"show": False}}


def _event_lines(frame: ColumnFrame) -> Option:
    return {"silent": True, "symbol": "none", "animation": False,
            "lineStyle": {"type": "dotted", "color": "#616161"},
            "label": {"formatter": "{b}", "fontSize": 9, "position": "insideEndTop",
                      "color": "#616161"},
            "data": [{"xAxis": week, "name": _short(label)} for week, label in frame.events]}


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _base(title: str, legend: bool = True) -> Option:
    option: Option = {
        "animation": False,
        "title": {"text": title, "left": 0, "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 16, "top": 78, "bottom": 36},
    }
    if legend:
        option["legend"] = {"top": 22, "left": 0, "right": 0, "itemHeight": 8, "itemGap": 8,
                            "textStyle": {"fontSize": 11}}
    return option


def _line(name: str, colour: str, data: list, dashed: bool = False, **extra: Any) -> Option:
    return {"type": "line", "name": name, "data": data, "showSymbol": False, "connectNulls": False,
            "color": colour, "lineStyle": {"width": 2, "type": "dashed" if dashed else "solid"},
            **extra}


def _per_column_lines(columns: Sequence[ChartColumn], title: str, y_name: str,
                      lines: Sequence[tuple[str, str, float, bool]],
                      y_axis: Option | None = None) -> Option:
    """One plot, each column's lines in its colour; ``lines`` = (metric, suffix, scale, dashed)."""
    option = _base(title)
    option["xAxis"] = _x_axis(columns)
    option["yAxis"] = {"type": "value", "name": y_name, "nameGap": 6,
                       "nameTextStyle": {"align": "right", "fontSize": 10}, **(y_axis or {})}
    series = []
    for column in columns:
        for k, (metric, suffix, scale, dashed) in enumerate(lines):
            name = f"{column.name}{suffix}"
            extra = {"markLine": _event_lines(column.frame)} if k == 0 else {}
            series.append(_line(name, column.colour, _points(column.frame, metric, scale),
                                dashed=dashed, **extra))
    option["series"] = series
    return option


def _stacked_panels(columns: Sequence[ChartColumn], title: str, y_name: str,
                    cells: dict[str, tuple[str, str]], kind: str = "line") -> Option:
    """One small stacked panel per column, side by side, sharing the y scale.

    The stacking is computed here (running totals, drawn largest first with opaque fills or
    overlapping bars) rather than left to ECharts, whose stacking on a value x axis is not
    dependable; each point carries its own cell's value for the tooltip.
    """
    option = _base(title)
    n = max(len(columns), 1)
    width = 100.0 / n
    option["grid"] = [{"left": f"{i * width + 7:.1f}%", "width": f"{width - 10:.1f}%", "top": 92,
                       "bottom": 36} for i in range(n)]
    option["xAxis"] = [_x_axis(columns, grid=i) for i in range(n)]
    stacks = [_running_totals(column.frame, list(cells)) for column in columns]
    top = max((max(stack[-1], default=0.0) for stack in stacks), default=0.0)
    option["yAxis"] = [{"type": "value", "gridIndex": i, "min": 0, "max": _ceil_nice(top) or None,
                        "name": y_name if i == 0 else "", "nameGap": 6,
                        "nameTextStyle": {"align": "right", "fontSize": 10}}
                       for i in range(n)]
    option["title"] = [option["title"]] + [
        {"text": c.name, "left": f"{i * width + 7:.1f}%", "top": 62,
         "textStyle": {"fontSize": 11, "color": c.colour}} for i, c in enumerate(columns)]
    series = []
    for i, (column, stack) in enumerate(zip(columns, stacks, strict=True)):
        layers = list(enumerate(cells.items()))
        for k, (metric, (label, colour)) in reversed(layers):
            own = column.frame.series.get(metric, ())
            data = [[week, total, value] for week, (total, value)
                    in enumerate(zip(stack[k], own, strict=True), start=1)]
            entry: Option = {"type": kind, "name": label, "data": data, "xAxisIndex": i,
                             "yAxisIndex": i, "color": colour, "showSymbol": False,
                             "dimensions": ["week", "stacked", "value"],
                             "encode": {"x": "week", "y": "stacked", "tooltip": ["value"]}}
            if kind == "line":
                entry["areaStyle"] = {"opacity": 1}
                entry["lineStyle"] = {"width": 0}
            else:
                entry["barGap"] = "-100%"
                entry["barMaxWidth"] = 6
            if k == 0:
                entry["markLine"] = _event_lines(column.frame)
            series.append(entry)
    option["series"] = series
    option["legend"]["data"] = [label for label, _ in cells.values()]
    return option


def _running_totals(frame: ColumnFrame, metrics: list[str]) -> list[list[float]]:
    """Per week, the sum of ``metrics[0..k]`` for each k (missing values count as 0)."""
    weeks = len(frame.series.get(metrics[0], ()))
    totals, running = [], [0.0] * weeks
    for metric in metrics:
        values = frame.series.get(metric, ())
        running = [r + (values[w] or 0.0) for w, r in enumerate(running)]
        totals.append(running)
    return totals


def _ceil_nice(value: float) -> float:
    if value <= 0:
        return 0.0
    power = 10 ** (len(str(int(value))) - 1)
    for mantissa in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if mantissa * power >= value:
            return mantissa * power
    return 10.0 * power  # pragma: no cover


def loyalty_mix(columns: Sequence[ChartColumn]) -> Option:
    """Dick & Basu cells of the customer base, stacked, one panel per column."""
    return _stacked_panels(columns, "Who are the customers? (Dick & Basu)", "customers",
                           LOYALTY_CELLS)


def retention_vs_loyalty(columns: Sequence[ChartColumn]) -> Option:
    """Retention per purchase (solid) against the loyalty rate (dashed), per column, in %."""
    return _per_column_lines(columns, "Retention (solid) is not loyalty (dashed)", "%",
                             [("retention_purchase", " retention", 100.0, False),
                              ("loyalty_rate", " loyalty", 100.0, True)],
                             {"min": 0, "max": 100})


def customer_base(columns: Sequence[ChartColumn]) -> Option:
    """Customers in each column's firm's base."""
    return _per_column_lines(columns, "Customers kept (customer base)", "customers",
                             [("customer_base", "", 1.0, False)], {"min": 0})


def nps(columns: Sequence[ChartColumn]) -> Option:
    """Sampled NPS per column, with its 95% sampling band (± 1.96 standard errors) as dotted
    lines."""
    option = _per_column_lines(columns, "NPS from a survey sample (dotted: 95% sampling error)",
                               "points", [("nps", "", 1.0, False)], {"min": -100, "max": 100})
    for column in columns:
        frame = column.frame
        bands: dict[str, list] = {"low": [], "high": []}
        for week, (mid, se) in enumerate(zip(frame.series.get("nps", ()),
                                             frame.series.get("nps_se", ()), strict=True),
                                         start=1):
            missing = mid is None or se is None
            bands["low"].append([week, None if missing else mid - 1.96 * se])
            bands["high"].append([week, None if missing else mid + 1.96 * se])
        for side, data in bands.items():
            option["series"].append({"type": "line", "name": f"{column.name} 95% {side}",
                                     "data": data, "silent": True, "showSymbol": False,
                                     "color": column.colour, "tooltip": {"show": False},
                                     "lineStyle": {"width": 1, "type": "dotted",
                                                   "opacity": 0.7}})
    option["legend"]["data"] = [s["name"] for s in option["series"]
                                if "95%" not in s["name"]]
    return option


def employees(columns: Sequence[ChartColumn]) -> Option:
    """Employee engagement (top, 0-1) and weekly turnover (bottom, %), per column."""
    option = _base("Employees: engagement (top) and turnover (bottom)")
    option["grid"] = [{"left": 56, "right": 16, "top": 78, "height": "34%"},
                      {"left": 56, "right": 16, "bottom": 36, "height": "22%"}]
    option["xAxis"] = [_x_axis(columns, 0, show=False), _x_axis(columns, 1)]
    option["xAxis"][0]["name"] = ""
    axis_name = {"nameGap": 6, "nameTextStyle": {"align": "right", "fontSize": 10}}
    option["yAxis"] = [{"type": "value", "gridIndex": 0, "min": 0, "max": 1,
                        "name": "engagement", **axis_name},
                       {"type": "value", "gridIndex": 1, "min": 0, "name": "% quitting",
                        **axis_name}]
    series = []
    for column in columns:
        series.append(_line(f"{column.name} engagement", column.colour,
                            _points(column.frame, "engagement_mean"),
                            markLine=_event_lines(column.frame)))
        series.append(_line(f"{column.name} turnover", column.colour,
                            _points(column.frame, "turnover", 100.0), dashed=True,
                            xAxisIndex=1, yAxisIndex=1))
    option["series"] = series
    return option


def complaints(columns: Sequence[ChartColumn]) -> Option:
    """Complaints per week by outcome (on the spot, escalated, unresolved), stacked per column."""
    return _stacked_panels(columns, "Complaints per week: fixed on the spot, escalated, unresolved",
                           "per week", COMPLAINT_OUTCOMES, kind="bar")


def profit(columns: Sequence[ChartColumn]) -> Option:
    """Weekly profit in dollars, per column."""
    return _per_column_lines(columns, "Profit ($ per week)", "$", [("profit", "", 1.0, False)])


@dataclass(frozen=True)
class ChartSpec:
    """A comparison chart: its id (for tests and the explanation panel) and its builder."""

    id: str
    build: Callable[[Sequence[ChartColumn]], Option]
    height: int = 280


#: The comparison charts, in the order the page shows them.
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("loyalty", loyalty_mix, height=320),
    ChartSpec("retention", retention_vs_loyalty),
    ChartSpec("base", customer_base),
    ChartSpec("nps", nps),
    ChartSpec("employees", employees, height=340),
    ChartSpec("complaints", complaints, height=320),
    ChartSpec("profit", profit),
)
