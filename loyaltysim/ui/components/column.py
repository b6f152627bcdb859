"""A scenario column: what runs in it (setup) and what it shows this week (view).

The setup re-renders only when the column's configuration changes (a control, a new scenario);
the view re-renders every displayed week.
"""

from __future__ import annotations

import solara
from mesa.visualization import make_plot_component
from solara.alias import rv
from solara.toestand import Ref

from loyaltysim.ui.components.controls import ControlPanel
from loyaltysim.ui.components.upload import ScenarioUpload
from loyaltysim.ui.explain import EXPLANATIONS
from loyaltysim.ui.frames import ColumnFrame
from loyaltysim.ui.session import HEADLINE_EVERY_WEEKS, ColumnConfig, Session

#: Model reporters of LoyaltyModel (the focus store) drawn by Mesa's plot component.
HEADLINE_MEASURES = {"focus_retention_purchase": "#1565c0", "focus_loyalty_rate": "#c62828"}


def _headline_style(ax) -> None:
    """Size and label Mesa's Matplotlib plot for a column (Mesa's step 0 is week 1)."""
    ax.figure.set_size_inches(4.6, 1.9)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share", fontsize=8)
    ax.set_title("Focus store: retention per purchase vs loyalty rate (Mesa plot, every "
                 f"{HEADLINE_EVERY_WEEKS} weeks)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(["retention per purchase", "loyalty rate"], fontsize=7, loc="lower left")


#: Mesa's plot component over the model reporters. Matplotlib backend: the page needs no
#: JavaScript plotting library for it (Solara's Vega-Lite loader asks the internet for
#: ``vega@5``, which an offline classroom does not have).
HEADLINE_PLOT, _ = make_plot_component(HEADLINE_MEASURES, post_process=_headline_style,
                                       backend="matplotlib")


@solara.component
def OverrideChips(session: Session, config: ColumnConfig):
    """The overrides in force in a column; clicking one goes back to the scenario's value."""
    if not config.overrides:
        solara.Text("No changes: the scenario as shipped.", classes=["ls-help"])
        return
    with solara.Row(gap="4px", style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text("Changed (click to undo):", classes=["ls-help"])
        for key, value in config.overrides.items():
            solara.Button(f"{key.removeprefix('firms.')} = {value}", icon_name="mdi-close",
                          small=True, outlined=True, color="deep-orange", classes=["ls-chip"],
                          on_click=lambda key=key: session.remove_override(config.index, key))
        solara.Button("Undo all", text=True, small=True,
                      on_click=lambda: session.clear_overrides(config.index))


@solara.component
def CustomOverride(session: Session, index: int):
    """Any schema key, typed as on the command line: ``firms.pharmacy.staffing.capacity=120``."""
    text, set_text = solara.use_state("")

    def apply(value: str | None) -> None:
        entry = (value or "").strip()
        set_text(entry)
        if entry and session.set_override_text(index, entry):
            set_text("")

    solara.InputText("Set any parameter (KEY=VALUE, as --set)", value=text, on_value=apply,
                     dense=True, placeholder="firms.pharmacy.process.base_failure_rate=0.03")


@solara.component
def ScenarioPicker(session: Session, config: ColumnConfig):
    """What runs in a column: a shipped or uploaded scenario, and the store it charts."""
    index = config.index
    with solara.Column(gap="4px"):
        solara.Select("Scenario", values=list(session.sources), value=config.source, dense=True,
                      on_value=lambda label: session.choose_scenario(index, label))
        solara.Text(config.scenario.description, classes=["ls-help"])
        ScenarioUpload(on_file=lambda name, data: session.upload(index, name, data))
        if config.error:
            rv.Alert(type="error", dense=True, text=True, class_="ls-error",
                     children=[config.error], attributes={"data-testid": f"error-{index}"})
        solara.Select("Store charted and controlled", values=list(config.scenario.firms),
                      value=config.firm, dense=True,
                      on_value=lambda firm: session.choose_firm(index, firm))
        solara.Text(config.shock_note, classes=["ls-help"])


@solara.component
def ColumnControls(session: Session, config: ColumnConfig):
    """The column's controls (from the schema), its overrides and the scenario download."""
    index = config.index
    with solara.Column(gap="6px"):
        OverrideChips(session, config)
        ControlPanel(config.scenario, config.firm, config.overrides,
                     on_value=lambda key, value: session.set_override(index, key, value))
        CustomOverride(session, index)
        with rv.Html(tag="div", attributes={"data-testid": f"download-{index}"}):
            solara.FileDownload(lambda: session.scenario_toml(index),
                                filename=session.download_name(index),
                                label="Download scenario (TOML)", mime_type="application/toml")


@solara.component
def Collapsible(title: str, testid: str, children: list = [], open: bool = True):  # noqa: B006
    """An expansion panel whose header tests and users can click (``data-testid``)."""
    expanded, set_expanded = solara.use_state(open)
    with (rv.Html(tag="div", attributes={"data-testid": testid}),
          rv.ExpansionPanels(v_model=0 if expanded else None, flat=True,
                             on_v_model=lambda v: set_expanded(v == 0)),
          rv.ExpansionPanel()):
        rv.ExpansionPanelHeader(children=[title], class_="ls-group-title")
        rv.ExpansionPanelContent(children=children)


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
def ColumnView(session: Session, index: int, name: str, colour: str):
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


@solara.component
def ScenarioColumn(session: Session, config: ColumnConfig):
    """A column card: coloured header, view (map, headline) and setup (controls)."""
    with rv.Card(class_="ls-column", outlined=True,
                 attributes={"data-testid": f"column-{config.index}"},
                 style_=f"border-top: 4px solid {config.colour}"), rv.CardText():
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            rv.Html(tag="div", class_="ls-column-title", style_=f"color:{config.colour}",
                    children=[f"{config.name}: {config.scenario.name or config.source}"])
            if len(session.configs.value) > 1:
                solara.Button("Remove", text=True, small=True,
                              on_click=lambda: session.remove_column(config.index))
        ScenarioPicker(session, config)
        with rv.Html(tag="div", class_="ls-views"):
            ColumnView(session, config.index, config.name, config.colour)
            MesaHeadline(session, config.index)
        with Collapsible("Controls (ranges, units and meanings from the scenario schema)",
                         testid=f"controls-{config.index}"):
            ColumnControls(session, config)
