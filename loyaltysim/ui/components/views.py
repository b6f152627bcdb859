"""What a column shows each drawn week: the big monitors, the town map and Mesa's plot."""

from __future__ import annotations

import solara
from mesa.visualization import make_plot_component
from solara.alias import rv
from solara.toestand import Ref

from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.frames import ColumnFrame
from loyaltysim.ui.monitors import monitors
from loyaltysim.ui.session import Session

#: Model reporters of LoyaltyModel (the focus store) drawn by Mesa's plot component.
HEADLINE_MEASURES = {"focus_retention_purchase": "#1565c0", "focus_loyalty_rate": "#c62828"}


def _headline_style(ax) -> None:
    """Size and label Mesa's Matplotlib plot for a column (Mesa's step 0 is week 1)."""
    ax.figure.set_size_inches(6.4, 3.0)
    ax.set_ylim(0, 1)
    ax.set_xlabel("week", fontsize=12)
    ax.set_ylabel("share", fontsize=12)
    ax.set_title("Focus store: retention per purchase vs loyalty rate", fontsize=12)
    ax.tick_params(labelsize=11)
    ax.legend(["retention per purchase", "loyalty rate"], fontsize=11, loc="lower left")
    ax.figure.tight_layout()


#: Mesa's plot component over the model reporters. Matplotlib backend: the page needs no
#: JavaScript plotting library for it (Solara's Vega-Lite loader asks the internet for
#: ``vega@5``, which an offline classroom does not have).
HEADLINE_PLOT, _ = make_plot_component(HEADLINE_MEASURES, post_process=_headline_style, backend="matplotlib")


@solara.component
def Monitors(frame: ColumnFrame, index: int):
    """The column's big numbers this week."""
    with rv.Html(tag="div", class_="ls-monitors"):
        for monitor in monitors(frame):
            with rv.Html(
                tag="div", class_="ls-monitor", attributes={"data-testid": f"monitor-{index}-{monitor.id}"}
            ):
                rv.Html(tag="div", class_="ls-monitor-value", children=[monitor.value])
                rv.Html(tag="div", class_="ls-monitor-label", children=[monitor.label])


@solara.component
def MapLegend(frame: ColumnFrame):
    """Which colour is which store, and how many customers each has."""
    with rv.Html(tag="div", class_="ls-legend"):
        for entry in frame.legend:
            swatch = {
                "background": entry.colour if entry.open else "#fff",
                "border": f"2px solid {entry.colour}",
            }
            state = f"{entry.customers:,}" if entry.open else "not open"
            with rv.Html(tag="div", class_="ls-legend-entry"):
                rv.Html(
                    tag="span", class_="ls-swatch", style_=";".join(f"{k}:{v}" for k, v in swatch.items())
                )
                rv.Html(tag="span", children=[f"{entry.label}: {state}"])


@solara.component
def TownMap(frame: ColumnFrame, index: int):
    """The rasterised town map, large: the centrepiece of a column."""
    with rv.Html(
        tag="div",
        class_="ls-map",
        attributes={"data-testid": f"map-{index}", "title": EXPLANATIONS["map"].shows},
    ):
        solara.Image(frame.map_png)


@solara.component
def ColumnView(session: Session, index: int, name: str):
    """This week's state of a column: its week, monitors, map and legend."""
    frame = Ref(session.frames.fields[index]).value
    with rv.Html(tag="div", class_="ls-column-body"):
        TownMap(frame, index)
        with rv.Html(tag="div", class_="ls-column-side"):
            rv.Html(
                tag="div",
                class_="ls-column-week",
                attributes={"data-testid": f"week-{index}", "data-week": str(frame.week)},
                children=[f"{name} · week {frame.week} of {frame.weeks} · {frame.firm_label}"],
            )
            Monitors(frame, index)
            MapLegend(frame)


@solara.component
def MesaHeadline(session: Session, index: int, name: str):
    """Mesa's plot of the column's model reporters (redrawn whenever the clock stands still)."""
    snapshot = Ref(session.headlines.fields[index]).value
    with rv.Html(tag="div", class_="ls-headline", attributes={"data-testid": f"mesa-{index}"}):
        rv.Html(tag="div", class_="ls-chart-title", children=[f"{name}: Mesa's own plot"])
        HEADLINE_PLOT(snapshot)
