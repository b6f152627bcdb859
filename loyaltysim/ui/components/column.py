"""A scenario column: what it shows this week (:mod:`.views`: monitors and the town map) and,
in a drawer, what runs in it (scenario, store, controls, download).

The setup re-renders only when the column's configuration changes (a control, a new scenario);
the views re-render every displayed week.
"""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.components.controls import ControlPanel
from loyaltysim.ui.components.upload import ScenarioUpload
from loyaltysim.ui.components.views import ColumnView
from loyaltysim.ui.controls import override_label
from loyaltysim.ui.session import ColumnConfig, Session


@solara.component
def OverrideChips(session: Session, config: ColumnConfig):
    """The overrides in force in a column, in words; clicking one goes back to the scenario's
    value."""
    if not config.overrides:
        solara.Text("No changes: the scenario as shipped.", classes=["ls-help"])
        return
    with solara.Row(gap="4px", style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text("Changed (click to undo):", classes=["ls-help"])
        for key, value in config.overrides.items():
            solara.Button(
                override_label(config.scenario, config.firm, key, value),
                icon_name="mdi-close",
                small=True,
                outlined=True,
                color="deep-orange",
                classes=["ls-chip"],
                attributes={"title": f"{key} = {value}"},
                on_click=lambda key=key: session.remove_override(config.index, key),
            )
        solara.Button(
            "Undo all", text=True, small=True, on_click=lambda: session.clear_overrides(config.index)
        )


@solara.component
def CustomOverride(session: Session, index: int):
    """Any schema key, typed as on the command line: ``firms.pharmacy.staffing.capacity=120``."""
    text, set_text = solara.use_state("")

    def apply(value: str | None) -> None:
        entry = (value or "").strip()
        set_text(entry)
        if entry and session.set_override_text(index, entry):
            set_text("")

    solara.InputText(
        "Set any parameter (KEY=VALUE, as --set)",
        value=text,
        on_value=apply,
        dense=True,
        placeholder="firms.pharmacy.process.base_failure_rate=0.03",
    )


@solara.component
def ScenarioPicker(session: Session, config: ColumnConfig):
    """What runs in a column: a shipped or uploaded scenario, and the store it charts."""
    index = config.index
    with solara.Column(gap="4px"):
        # Items in words ("Corner pharmacy"), values the names the session knows them by.
        rv.Select(
            label="Scenario",
            items=[{"text": scenario_words(label), "value": label} for label in session.sources],
            v_model=config.source,
            dense=True,
            on_v_model=lambda label: session.choose_scenario(index, label),
        )
        solara.Text(config.scenario.description, classes=["ls-help"])
        ScenarioUpload(on_file=lambda name, data: session.upload(index, name, data))
        if config.error:
            rv.Alert(type="error", dense=True, text=True, children=[config.error])
        rv.Select(
            label="Store charted and controlled",
            items=[
                {"text": firm.label or scenario_words(key), "value": key}
                for key, firm in config.scenario.firms.items()
            ],
            v_model=config.firm,
            dense=True,
            on_v_model=lambda firm: session.choose_firm(index, firm),
        )
        solara.Text(config.shock_note, classes=["ls-help"])
        if config.without_note:
            solara.Text(config.without_note, classes=["ls-help"])


@solara.component
def ColumnControls(session: Session, config: ColumnConfig):
    """The column's controls (from the schema), its overrides and the scenario download."""
    index = config.index
    with solara.Column(gap="6px"):
        OverrideChips(session, config)
        ControlPanel(
            config.scenario,
            config.firm,
            config.overrides,
            on_value=lambda key, value: session.set_override(index, key, value),
        )
        CustomOverride(session, index)
        with rv.Html(tag="div", attributes={"data-testid": f"download-{index}"}):
            solara.FileDownload(
                lambda: session.scenario_toml(index),
                filename=session.download_name(index),
                label="Download scenario (TOML)",
                mime_type="application/toml",
            )


def scenario_words(name: str) -> str:
    """``corner_pharmacy`` -> ``Corner pharmacy`` (file names keep their ``.toml``)."""
    return name.replace("_", " ").strip().capitalize()


def column_title(config: ColumnConfig) -> str:
    """``A: Corner pharmacy`` - the column's letter and its scenario in words."""
    return f"{config.name}: {scenario_words(config.scenario.name or config.source)}"


@solara.component
def SetupDrawer(session: Session, config: ColumnConfig, open: bool, on_open):
    """The column's setup in a drawer over the page: scenario, store, every control."""
    with (
        rv.NavigationDrawer(
            v_model=open,
            on_v_model=on_open,
            fixed=True,
            temporary=True,
            right=True,
            width=520,
            class_="ls-drawer",
            attributes={"data-testid": f"drawer-{config.index}"},
        ),
        rv.Html(tag="div", class_="ls-drawer-body"),
    ):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            rv.Html(
                tag="div",
                class_="ls-column-title",
                style_=f"color:{config.colour}",
                children=[f"Set up {column_title(config)}"],
            )
            solara.Button(
                icon_name="mdi-close",
                icon=True,
                on_click=lambda: on_open(False),
                attributes={"data-testid": f"close-setup-{config.index}", "title": "Close"},
            )
        ScenarioPicker(session, config)
        ColumnControls(session, config)


@solara.component
def ScenarioColumn(session: Session, config: ColumnConfig):
    """A column card: coloured title, monitors and the large town map; the setup (scenario,
    controls, download) lives in a drawer opened from the card."""
    setup_open, set_setup_open = solara.use_state(False)
    with rv.Card(
        class_="ls-column",
        outlined=True,
        attributes={"data-testid": f"column-{config.index}"},
        style_=f"border-top: 6px solid {config.colour}",
    ):
        with rv.Html(tag="div", class_="ls-column-head"):
            rv.Html(
                tag="div",
                class_="ls-column-title",
                style_=f"color:{config.colour}",
                children=[column_title(config)],
            )
            with rv.Html(tag="div", class_="ls-column-actions"):
                solara.Button(
                    "Setup",
                    icon_name="mdi-tune",
                    small=True,
                    outlined=True,
                    on_click=lambda: set_setup_open(not setup_open),
                    attributes={"data-testid": f"setup-{config.index}"},
                )
                if len(session.configs.value) > 1:
                    solara.Button(
                        icon_name="mdi-close",
                        icon=True,
                        small=True,
                        on_click=lambda: session.remove_column(config.index),
                        attributes={"title": "Remove this column", "data-testid": f"remove-{config.index}"},
                    )
        if config.error:
            rv.Alert(
                type="error",
                dense=True,
                text=True,
                class_="ls-error",
                children=[config.error],
                attributes={"data-testid": f"error-{config.index}"},
            )
        if config.overrides:
            with rv.Html(tag="div", class_="ls-column-changes"):
                OverrideChips(session, config)
        ColumnView(session, config.index, config.name)
        SetupDrawer(session, config, setup_open, set_setup_open)
