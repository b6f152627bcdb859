"""The comparison charts: every column's store in one view per chart (ECharts, drawn in the
browser on a canvas)."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.charts import CHARTS, ChartColumn, ChartSpec
from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.session import Session


def chart_columns(session: Session) -> list[ChartColumn]:
    """The columns as the charts see them, from the latest configuration and frames."""
    configs, frames = session.configs.value, session.frames.value
    return [ChartColumn(f"{config.name}: {frame.firm_label}", config.colour, frame)
            for config, frame in zip(configs, frames, strict=False)]


@solara.component
def Chart(spec: ChartSpec, columns: list[ChartColumn]):
    """One chart card: the figure and a line on what to look for."""
    option = spec.build(columns)
    weeks = ",".join(str(c.frame.week) for c in columns)
    with rv.Card(outlined=True, class_="ls-chart"), rv.CardText():
        solara.FigureEcharts(option=option, responsive=True, attributes={
            "style": f"height: {spec.height}px; width: 100%;",
            "data-testid": f"chart-{spec.id}", "data-weeks": weeks})
        solara.Text(EXPLANATIONS[spec.id].look_for, classes=["ls-help"])


@solara.component
def ComparisonCharts(session: Session):
    """All comparison charts, two per row on wide screens."""
    columns = chart_columns(session)
    with solara.ColumnsResponsive(default=12, large=6):
        for spec in CHARTS:
            Chart(spec, columns).key(spec.id)
