"""The comparison charts: every column's store in one view per chart (ECharts drawn as SVG in
the browser, updated with only their new points; see :mod:`.livechart`)."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.charts import (
    CHARTS,
    NORMAL,
    PRESENT,
    ChartColumn,
    ChartSpec,
    ChartStyle,
    html_legend,
    without_note,
)
from loyaltysim.ui.components.livechart import LiveChart
from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.session import Session


def chart_columns(session: Session) -> list[ChartColumn]:
    """The columns as the charts see them, from the latest configuration and frames."""
    configs, frames = session.configs.value, session.frames.value
    return [
        ChartColumn(f"{config.name}: {frame.firm_label}", config.colour, frame, short=config.name)
        for config, frame in zip(configs, frames, strict=False)
    ]


def event_notes(columns: list[ChartColumn]) -> str:
    """The events marked on the charts, in full (the markers carry a short label)."""
    seen: dict[tuple[int, str], list[str]] = {}
    for column in columns:
        for event in column.frame.events:
            seen.setdefault(event, []).append(column.name.split(":")[0])
    return "; ".join(
        f"week {week}: {label} ({', '.join(names)})" for (week, label), names in sorted(seen.items())
    )


@solara.component
def Chart(spec: ChartSpec, columns: list[ChartColumn], style: ChartStyle = NORMAL):
    """One chart card: its title, the figure, the events marked and what to look for."""
    option = spec.build(columns, style)
    weeks = ",".join(str(c.frame.week) for c in columns)
    with rv.Html(tag="div", class_="ls-chart", attributes={"data-testid": f"card-{spec.id}"}):
        rv.Html(tag="div", class_="ls-chart-title", children=[spec.title])
        cells = html_legend(spec.id)
        if cells:
            with rv.Html(tag="div", class_="ls-legend"):
                for label, colour in cells:
                    with rv.Html(tag="div", class_="ls-legend-entry"):
                        rv.Html(tag="span", class_="ls-swatch", style_=f"background:{colour}")
                        rv.Html(tag="span", children=[label])
        LiveChart(
            option,
            attributes={"class": "ls-chart-box", "data-testid": f"chart-{spec.id}", "data-weeks": weeks},
        )
        notes = event_notes(columns)
        if notes:
            rv.Html(tag="div", class_="ls-help", children=[notes])
        dashed = without_note(columns) if spec.without else ""
        if dashed:
            rv.Html(
                tag="div",
                class_="ls-help",
                attributes={"data-testid": f"without-{spec.id}"},
                children=[dashed],
            )
        rv.Html(tag="div", class_="ls-help ls-look-for", children=[EXPLANATIONS[spec.id].look_for])


@solara.component
def ComparisonCharts(session: Session, headline: bool):
    """The headline charts (``headline``) or the others, side by side as space allows."""
    columns = chart_columns(session)
    style = PRESENT if session.status.value.present else NORMAL
    specs = [spec for spec in CHARTS if spec.headline == headline]
    if style.present and not headline:
        specs = []  # presentation mode: the headline charts only
    with rv.Html(tag="div", class_="ls-charts" + (" ls-headline-charts" if headline else "")):
        for spec in specs:
            Chart(spec, columns, style).key(spec.id)
