"""ECharts options for the comparison charts: plain dictionaries built from column frames.

Every chart shows all columns in one view - as lines in one plot where values compare directly
(retention, NPS, engagement, profit), or as one small stacked panel per column sharing the y axis
where a chart splits a total (the Dick & Basu cells, complaint outcomes). The x axis always spans
the longest run, so a chart does not rescale as the weeks go by. Fired events (the competitor
opening, a culture programme) are marked with a vertical line and a short horizontal label.
Once a column's event has fired, the customers, NPS and profit charts also draw, dashed in the
column's colour, the same run without that event (same seed; "A without the supermarket" in the
tooltip, explained under the chart by :func:`without_note`): it leaves the solid line at the week
before the event, where the two runs are still identical.

Readability on a projector: chart titles are HTML above the chart (they wrap instead of being
cut), text sizes and line widths come from a :class:`ChartStyle` (presentation mode is larger),
axis labels are kept inside the plot area (``containLabel``) and each y axis's unit sits above its
axis, left-aligned, where nothing can cut it. The browser draws these as SVG, so the browser test
can measure every label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loyaltysim.ui.config import COMPLAINT_OUTCOMES, LOYALTY_CELLS
from loyaltysim.ui.frames import ColumnFrame

Option = dict[str, Any]


@dataclass(frozen=True)
class ChartStyle:
    """Text sizes (px) and line widths of the charts."""

    text: int = 14
    line: float = 2.5
    band: float = 1.5
    present: bool = False

    @property
    def legend_top(self) -> int:
        return 0

    @property
    def plot_top(self) -> int:
        """Room above the plot: one legend row, then the y axis's unit."""
        return 2 * self.text + 24


#: The normal style and the presentation style (``loyaltysim ui --present``).
NORMAL = ChartStyle()
PRESENT = ChartStyle(text=18, line=4.5, band=2.5, present=True)


@dataclass(frozen=True)
class ChartColumn:
    """A column as the charts see it: its name (``A: Corner pharmacy``), line colour, latest
    frame, and a short name (``A``) for legends that list several lines per column."""

    name: str
    colour: str
    frame: ColumnFrame
    short: str = ""

    @property
    def tag(self) -> str:
        return self.short or self.name


def _points(frame: ColumnFrame, metric: str, scale: float = 1.0) -> list[list[Any]]:
    values = frame.series.get(metric, ())
    return [[week, None if v is None else v * scale] for week, v in enumerate(values, start=1)]


def without_points(frame: ColumnFrame, metric: str, scale: float = 1.0) -> list[list[Any]]:
    """The run without the column's event, from the week before it (where it meets the run
    itself) on; None before that, so only the part that differs is drawn."""
    values = frame.series.get(metric, ()) if frame.without_week is None else frame.without.get(metric, ())
    start = (frame.without_week or 1) - 1
    return [
        [week, None if v is None or week < start else v * scale] for week, v in enumerate(values, start=1)
    ]


def without_series(column: ChartColumn, metric: str, style: ChartStyle, scale: float = 1.0) -> list[Option]:
    """The dashed line of the column's run without its event (none before it or overlay off)."""
    frame = column.frame
    if not frame.without:
        return []
    name = f"{column.tag} {frame.without_label}"
    return [
        _line(
            name,
            column.colour,
            without_points(frame, metric, scale),
            style,
            dashed=True,
            id=f"without:{column.tag}",
            z=1,
            tooltip={"show": True},
        )
    ]


def week_ticks(weeks: int) -> int:
    """Tick spacing of the week axis: whole years (or half years) where they fit, so the last
    tick is the run's end and no label crowds another (``200`` over ``208``)."""
    for step in (13, 26, 52, 104):
        if weeks % step == 0 and weeks // step <= 5:
            return step
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500):
        if weeks / step <= 5:
            return step
    return max(1, weeks // 5)


def _x_axis(columns: Sequence[ChartColumn], style: ChartStyle, grid: int = 0, show: bool = True) -> Option:
    longest = max((c.frame.weeks for c in columns), default=52)
    step = week_ticks(longest)
    return {
        "type": "value",
        "min": 0,
        "max": longest,
        "interval": step,
        "gridIndex": grid,
        "name": "week" if show else "",
        "nameLocation": "middle",
        "nameGap": style.text + 10,
        "nameTextStyle": {"fontSize": style.text},
        # a last label off the tick grid would crowd the one before it
        "axisLabel": {"show": show, "fontSize": style.text, "showMaxLabel": longest % step == 0},
        "splitLine": {"show": False},
    }


def _y_axis(style: ChartStyle, unit: str = "", grid: int = 0, **more: Any) -> Option:
    """A value axis without a name (the chart's HTML title says what it counts, so nothing sits
    above the plot where event labels go); ``unit`` ("%", "$") is put on its labels."""
    labels: Option = {"fontSize": style.text}
    if unit == "$":
        labels["formatter"] = "${value}"
    elif unit:
        labels["formatter"] = "{value}" + unit
    return {"type": "value", "gridIndex": grid, "axisLabel": labels, **more}


def short_label(label: str, limit: int = 14) -> str:
    """An event's label shortened at a word boundary (``Supermarket with the same items`` ->
    ``Supermarket``), so it fits beside its marker line; the full text is under the chart."""
    if len(label) <= limit:
        return label
    words, out = label.split(), ""
    for word in words:
        if len(out) + len(word) + (1 if out else 0) > limit:
            break
        out = f"{out} {word}".strip()
    return out or label[:limit]


def _event_lines(frame: ColumnFrame, style: ChartStyle, labelled: bool = True) -> Option:
    """Dashed lines at the weeks events fired; ``labelled`` False draws them without their
    labels (another column's line at the same week already carries it)."""
    late = frame.weeks * 0.6
    return {
        "silent": True,
        "symbol": "none",
        "animation": False,
        "lineStyle": {"type": "dashed", "color": "#424242", "width": style.band},
        "label": {
            "show": labelled,
            "formatter": "{b}",
            "fontSize": style.text,
            "position": "end",
            "color": "#212121",
        },
        "data": [
            {
                "xAxis": week,
                "name": short_label(label),
                # keep the label inside the plot: left of late markers, right of early ones
                "label": {"align": "right" if week > late else "left"},
            }
            for week, label in frame.events
        ],
    }


def _grid(style: ChartStyle, **more: Any) -> Option:
    return {
        "left": 4,
        "right": 2 * style.text,
        "top": style.plot_top,
        "bottom": 2 * style.text + 14,
        "containLabel": True,
        **more,
    }


def _base(style: ChartStyle) -> Option:
    return {
        "animation": False,
        "textStyle": {"fontSize": style.text},
        "tooltip": {"trigger": "axis", "textStyle": {"fontSize": style.text}},
        "grid": _grid(style),
        # one scrollable legend row: long names never wrap onto the plot
        "legend": {
            "type": "scroll",
            "top": style.legend_top,
            "left": 0,
            "right": 0,
            "itemHeight": style.text - 2,
            "itemWidth": 2 * style.text,
            "itemGap": 12,
            "textStyle": {"fontSize": style.text},
            "pageTextStyle": {"fontSize": style.text},
        },
    }


def _line(
    name: str, colour: str, data: list, style: ChartStyle, dashed: bool = False, **extra: Any
) -> Option:
    return {
        "type": "line",
        "name": name,
        "data": data,
        "showSymbol": False,
        "connectNulls": False,
        "color": colour,
        "lineStyle": {"width": style.line, "type": "dashed" if dashed else "solid"},
        **extra,
    }


def _per_column_lines(
    columns: Sequence[ChartColumn],
    style: ChartStyle,
    y_name: str,
    lines: Sequence[tuple[str, str, float, bool]],
    y_axis: Option | None = None,
    without: bool = False,
) -> Option:
    """One plot, each column's lines in its colour; ``lines`` = (metric, suffix, scale, dashed);
    ``without``: the first metric also dashed for the run without the column's event."""
    option = _base(style)
    option["xAxis"] = _x_axis(columns, style)
    option["yAxis"] = _y_axis(style, y_name, **(y_axis or {}))
    series = []
    labelled: set[tuple[int, str]] = set()
    for column in columns:
        # the first column with an event labels it; the others only draw its line
        fresh = not set(column.frame.events) <= labelled
        labelled |= set(column.frame.events)
        for k, (metric, suffix, scale, dashed) in enumerate(lines):
            # one line per column: its full name; several: the short name keeps one legend row
            name = f"{column.tag}{suffix}" if len(lines) > 1 else f"{column.name}{suffix}"
            extra = {"markLine": _event_lines(column.frame, style, fresh)} if k == 0 else {}
            series.append(
                _line(
                    name, column.colour, _points(column.frame, metric, scale), style, dashed=dashed, **extra
                )
            )
        if without:
            metric, _, scale, _ = lines[0]
            series += without_series(column, metric, style, scale)
    option["series"] = series
    if without:  # the dashed lines are explained under the chart (:func:`without_note`): a
        # legend row has no room for them
        option["legend"]["data"] = [s["name"] for s in series if s not in without_all(series)]
    return option


def without_all(series: Sequence[Option]) -> list[Option]:
    """The dashed "without the event" series among ``series``."""
    return [s for s in series if s.get("id", "").startswith("without:")]


def without_note(columns: Sequence[ChartColumn]) -> str:
    """What the dashed lines are, in words, once some column draws one: "Dashed: the same run
    without the supermarket (A, B; same seed)"."""
    labels: dict[str, list[str]] = {}
    for column in columns:
        if column.frame.without:
            labels.setdefault(column.frame.without_label, []).append(column.tag)
    if not labels:
        return ""
    parts = [f"{label} ({', '.join(tags)})" for label, tags in labels.items()]
    return "Dashed: the same run " + "; ".join(parts) + ", same seed - the gap is the event's doing."


def _stacked_panels(
    columns: Sequence[ChartColumn],
    style: ChartStyle,
    y_name: str,
    cells: dict[str, tuple[str, str]],
    kind: str = "line",
) -> Option:
    """One small stacked panel per column, side by side, sharing the y scale.

    The stacking is computed here (running totals, drawn largest first with opaque fills or
    overlapping bars) rather than left to ECharts, whose stacking on a value x axis is not
    dependable; each point carries its own cell's value for the tooltip.
    """
    option = _base(style)
    n = max(len(columns), 1)
    width = 100.0 / n
    top = style.plot_top  # the column's name above its panel, where the legend would be
    # a gap of 8% between panels: one panel's last week label never meets the next one's 0
    option["grid"] = [
        _grid(style, left=f"{i * width + 0.5:.1f}%", right=None, width=f"{width - 8:.1f}%", top=top)
        for i in range(n)
    ]
    for grid in option["grid"]:
        del grid["right"]
    option["xAxis"] = [_x_axis(columns, style, grid=i) for i in range(n)]
    stacks = [_running_totals(column.frame, list(cells)) for column in columns]
    highest = max((max(stack[-1], default=0.0) for stack in stacks), default=0.0)
    option["yAxis"] = [
        _y_axis(style, y_name, grid=i, min=0, max=_ceil_nice(highest) or None) for i in range(n)
    ]
    option["title"] = [
        {
            "text": c.name,
            "left": f"{i * width + 0.5:.1f}%",
            "top": 4,
            "textStyle": {"fontSize": style.text, "color": c.colour, "fontWeight": "bold"},
        }
        for i, c in enumerate(columns)
    ]
    series = []
    for i, (column, stack) in enumerate(zip(columns, stacks, strict=True)):
        layers = list(enumerate(cells.items()))
        for k, (metric, (label, colour)) in reversed(layers):
            own = column.frame.series.get(metric, ())
            data = [
                [week, total, value]
                for week, (total, value) in enumerate(zip(stack[k], own, strict=True), start=1)
            ]
            entry: Option = {
                "type": kind,
                "name": label,
                "data": data,
                "xAxisIndex": i,
                "yAxisIndex": i,
                "color": colour,
                "showSymbol": False,
                "dimensions": ["week", "stacked", "value"],
                "encode": {"x": "week", "y": "stacked", "tooltip": ["value"]},
            }
            if kind == "line":
                entry["areaStyle"] = {"opacity": 1}
                entry["lineStyle"] = {"width": 0}
            else:
                entry["barGap"] = "-100%"
                entry["barMaxWidth"] = 6
            if k == 0:
                entry["markLine"] = _event_lines(column.frame, style)
            series.append(entry)
    option["series"] = series
    # The cells' legend is HTML above the chart (see :func:`html_legend`): four long labels do
    # not fit one legend row of a narrow chart.
    option["legend"] = {"show": False}
    return option


def html_legend(spec_id: str) -> tuple[tuple[str, str], ...]:
    """(label, colour) of the cells a stacked chart splits its total into, for an HTML legend
    (empty for charts whose legend is drawn by ECharts)."""
    cells = {"loyalty": LOYALTY_CELLS, "complaints": COMPLAINT_OUTCOMES}.get(spec_id, {})
    return tuple(cells.values())


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


def loyalty_mix(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Dick & Basu cells of the customer base, stacked, one panel per column."""
    return _stacked_panels(columns, style, "", LOYALTY_CELLS)


def retention_vs_loyalty(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Retention per purchase (solid) against the loyalty rate (dashed), per column, in %."""
    return _per_column_lines(
        columns,
        style,
        "%",
        [("retention_purchase", " retention", 100.0, False), ("loyalty_rate", " loyalty", 100.0, True)],
        {"min": 0, "max": 100},
    )


def customer_base(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Customers in each column's firm's base."""
    return _per_column_lines(
        columns, style, "", [("customer_base", "", 1.0, False)], {"min": 0}, without=True
    )


def nps(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Sampled NPS per column, with its 95% sampling band (± 1.96 standard errors) as dotted
    lines."""
    option = _per_column_lines(
        columns, style, "", [("nps", "", 1.0, False)], {"min": -100, "max": 100}, without=True
    )
    for column in columns:
        frame = column.frame
        bands: dict[str, list] = {"low": [], "high": []}
        for week, (mid, se) in enumerate(
            zip(frame.series.get("nps", ()), frame.series.get("nps_se", ()), strict=True), start=1
        ):
            missing = mid is None or se is None
            bands["low"].append([week, None if missing else round(mid - 1.96 * se, 3)])
            bands["high"].append([week, None if missing else round(mid + 1.96 * se, 3)])
        for side, data in bands.items():
            option["series"].append(
                {
                    "type": "line",
                    "name": f"{column.name} 95% {side}",
                    "data": data,
                    "silent": True,
                    "showSymbol": False,
                    "color": column.colour,
                    "tooltip": {"show": False},
                    "lineStyle": {"width": style.band, "type": "dotted", "opacity": 0.7},
                }
            )
    dashed = without_all(option["series"])
    option["legend"]["data"] = [
        s["name"] for s in option["series"] if "95%" not in s["name"] and s not in dashed
    ]
    return option


def employees(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Employee engagement (top, 0-1) and weekly turnover (bottom, %), per column."""
    option = _base(style)
    option["grid"] = [_grid(style, height="34%", bottom=None), _grid(style, top=None, height="22%")]
    for grid in option["grid"]:
        for key in [k for k, v in grid.items() if v is None]:
            del grid[key]
    option["xAxis"] = [_x_axis(columns, style, 0, show=False), _x_axis(columns, style, 1)]
    # few ticks: the panels are short, and labels one text-height apart would touch
    option["yAxis"] = [
        _y_axis(style, grid=0, min=0, max=1, splitNumber=2),
        _y_axis(style, "%", grid=1, min=0, splitNumber=1),
    ]
    series = []
    labelled: set[tuple[int, str]] = set()
    for column in columns:
        fresh = not set(column.frame.events) <= labelled
        labelled |= set(column.frame.events)
        # both lines under the column's name: one legend entry per column (the title says
        # which panel is which)
        series.append(
            _line(
                column.name,
                column.colour,
                _points(column.frame, "engagement_mean"),
                style,
                markLine=_event_lines(column.frame, style, fresh),
            )
        )
        series.append(
            _line(
                column.name,
                column.colour,
                _points(column.frame, "turnover", 100.0),
                style,
                dashed=True,
                xAxisIndex=1,
                yAxisIndex=1,
            )
        )
    option["series"] = series
    return option


def complaints(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Complaints per week by outcome (on the spot, escalated, unresolved), stacked per column."""
    return _stacked_panels(columns, style, "", COMPLAINT_OUTCOMES, kind="bar")


def profit(columns: Sequence[ChartColumn], style: ChartStyle = NORMAL) -> Option:
    """Weekly profit in dollars, per column."""
    return _per_column_lines(columns, style, "$", [("profit", "", 1.0, False)], without=True)


@dataclass(frozen=True)
class ChartSpec:
    """A comparison chart: its id (for tests and the explanation panel), its title (HTML above
    the chart, so it wraps instead of being cut), its builder, and whether it is a headline chart
    (shown on the first screen and in presentation mode)."""

    id: str
    title: str
    build: Callable[..., Option]
    headline: bool = False
    without: bool = False  # draws the dashed runs without the event


#: The comparison charts, in the order the page shows them: headline charts first.
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "loyalty",
        "Who are the customers? Truly loyal vs merely retained (customers)",
        loyalty_mix,
        headline=True,
    ),
    ChartSpec("base", "Customers kept", customer_base, headline=True, without=True),
    ChartSpec(
        "nps",
        "Net Promoter Score, -100 to 100 (dotted: 95% survey error)",
        nps,
        headline=True,
        without=True,
    ),
    ChartSpec("retention", "Retention (solid) is not loyalty (dashed), %", retention_vs_loyalty),
    ChartSpec("employees", "Employees: engagement 0-1 (top), % quitting per week (bottom)", employees),
    ChartSpec("complaints", "Complaints per week: fixed on the spot, escalated, unresolved", complaints),
    ChartSpec("profit", "Profit, $ per week", profit, without=True),
)

#: The charts shown first: the story's headline views.
HEADLINE_CHARTS: tuple[ChartSpec, ...] = tuple(spec for spec in CHARTS if spec.headline)
