"""What a column shows each displayed week: its week, the town map and Mesa's headline plot."""

from __future__ import annotations

import solara
from mesa.visualization import make_plot_component
from solara.alias import rv
from solara.toestand import Ref

from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.frames import ColumnFrame
from loyaltysim.ui.session import Session

#: Model reporters of LoyaltyModel (the focus store) drawn by Mesa's plot component.
HEADLINE_MEASURES = {"focus_retention_purchase": "#1565c0", "focus_loyalty_rate": "#c62828"}


def _headline_style(ax) -> None:
    """Size and label Mesa's Matplotlib plot for a column (Mesa's step 0 is week 1)."""
    ax.figure.set_size_inches(4.6, 1.9)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share", fontsize=8)
    ax.set_title("Focus store: retention per purchase vs loyalty rate (Mesa plot, redrawn "
                 "every few weeks)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(["retention per purchase", "loyalty rate"], fontsize=7, loc="lower left")


#: Mesa's plot component over the model reporters. Matplotlib backend: the page needs no
#: JavaScript plotting library for it (Solara's Vega-Lite loader asks the internet for
#: ``vega@5``, which an offline classroom does not have).
HEADLINE_PLOT, _ = make_plot_component(HEADLINE_MEASURES, post_process=_headline_style,
                                       backend="matplotlib")


@solara.component
def TownMap(frame: ColumnFrame):
    """The rasterised town map with its legend."""
    with rv.Html(tag="div", class_="ls-map"):
        solara.Image(frame.map_png, width="100%")
    with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
        for entry in frame.legend:
            swatch = {"background": entry.colour if entry.open else "#fff",
                      "border": f"2px solid {entry.colour}"}
            with solara.Row(gap="4px", style={"align-items": "center"}):
                rv.Html(tag="span", class_="ls-swatch", style_=";".join(
                    f"{k}:{v}" for k, v in swatch.items()))
                state = f"{entry.customers:,} customers" if entry.open else "not open"
                solara.Text(f"{entry.label}: {state}", classes=["ls-help"])
    solara.Text(EXPLANATIONS["map"].shows, classes=["ls-help"])


@solara.component
def ColumnView(session: Session, index: int, name: str):
    """This week's state of a column: its week and town map."""
    frame = Ref(session.frames.fields[index]).value
    with solara.Column(gap="6px"):
        rv.Html(tag="div", class_="ls-column-week",
                attributes={"data-testid": f"week-{index}", "data-week": str(frame.week)},
                children=[f"{name} · week {frame.week} of {frame.weeks}"])
        solara.Text(f"Charted store: {frame.firm_label}", classes=["ls-help"])
        TownMap(frame)


@solara.component
def MesaHeadline(session: Session, index: int):
    """Mesa's plot of the column's model reporters, redrawn every few weeks (see
    :data:`loyaltysim.ui.session.HEADLINE_EVERY_WEEKS`)."""
    snapshot = Ref(session.headlines.fields[index]).value
    with rv.Html(tag="div", class_="ls-headline", attributes={"data-testid": f"mesa-{index}"}):
        HEADLINE_PLOT(snapshot)
