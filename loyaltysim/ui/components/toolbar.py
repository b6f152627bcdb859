"""The toolbar: play/pause/step/reset, speed, the week counter, the shock and town settings."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.config import SPEEDS
from loyaltysim.ui.session import Session, SessionStatus

#: The shock button's tooltip: what it does, in full.
SHOCK_TITLE = (
    "A competitor with the same items opens nearby - now: every column's waiting "
    "competitor opens at the start of the next week."
)


def speed_label(speed: float) -> str:
    """``5`` -> ``5 weeks/s``; ``0`` -> ``fastest``."""
    if speed == 0:
        return "fastest"
    return f"{speed:g} week/s" if speed == 1 else f"{speed:g} weeks/s"


@solara.component
def ClockControls(session: Session, status: SessionStatus):
    """Play/pause, step, reset and speed."""
    at_end = status.week >= status.weeks

    def toggle() -> None:
        if session.status.value.playing:
            session.pause()
        else:
            session.play()

    labels = {speed_label(s): s for s in SPEEDS}
    with rv.Html(tag="div", class_="ls-toolbar-group"):
        solara.Button(
            "Pause" if status.playing else "Play",
            icon_name="mdi-pause" if status.playing else "mdi-play",
            color="primary",
            on_click=toggle,
            disabled=at_end and not status.playing,
            attributes={"data-testid": "play"},
        )
        solara.Button(
            "Step",
            icon_name="mdi-skip-next",
            on_click=session.step,
            disabled=status.playing or at_end,
            attributes={"data-testid": "step"},
        )
        solara.Button(
            "Reset", icon_name="mdi-restore", on_click=session.reset, attributes={"data-testid": "reset"}
        )
        with rv.Html(tag="div", class_="ls-speed", attributes={"data-testid": "speed"}):
            rv.Html(tag="span", class_="ls-help", children=["Speed"])
            rv.Select(
                items=list(labels),
                v_model=speed_label(status.speed),
                dense=True,
                hide_details=True,
                attach=True,
                on_v_model=lambda label: session.set_speed(labels[label]),
            )


@solara.component
def WeekCounter(status: SessionStatus):
    """The common week on screen."""
    with rv.Html(tag="div", class_="ls-toolbar-group"):
        rv.Html(
            tag="div",
            class_="ls-week",
            attributes={"data-testid": "week", "data-week": str(status.week)},
            children=[f"Week {status.week} of {status.weeks}"],
        )
        if status.playing and status.drawn_every > 1:
            rv.Html(
                tag="span",
                class_="ls-help",
                attributes={"data-testid": "drawn-every"},
                children=[f"drawing every {status.drawn_every} weeks"],
            )
        if status.catching_up:
            rv.Html(
                tag="span", class_="ls-catching-up", children=["a changed column is re-running from week 0"]
            )


@solara.component
def ShockButton(session: Session, status: SessionStatus):
    """Open the waiting competitor in every column at the start of the next week."""
    with rv.Html(tag="div", class_="ls-toolbar-group"):
        with rv.Html(tag="span", attributes={"title": SHOCK_TITLE}):
            solara.Button(
                "Competitor opens now",
                icon_name="mdi-flash",
                color="error",
                outlined=True,
                on_click=session.fire_shock,
                disabled=not status.shock_available,
                attributes={"data-testid": "shock"},
            )
        if status.shock_week is not None:
            rv.Html(
                tag="span",
                class_="ls-shock-note",
                attributes={"data-testid": "shock-note"},
                children=[f"opens in week {status.shock_week}"],
            )


@solara.component
def TownSettings(session: Session, status: SessionStatus):
    """Customers per column and the common seed (restart every column)."""
    customers, set_customers = solara.use_state(status.customers)
    seed, set_seed = solara.use_state(status.seed)
    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputInt(
            f"Customers per column (blank: the scenario's; at most {status.max_customers:,})",
            value=customers,
            on_value=set_customers,
            optional=True,
            dense=True,
            style={"max-width": "260px"},
        )
        solara.InputInt(
            "Seed (common to all columns)",
            value=seed,
            on_value=set_seed,
            dense=True,
            style={"max-width": "200px"},
        )
        solara.Button(
            "Apply and restart",
            text=True,
            on_click=lambda: session.set_town(customers, seed if seed is not None else status.seed),
        )
        solara.Button("Add a column", icon_name="mdi-plus", text=True, on_click=lambda: session.add_column())


@solara.component
def Toolbar(session: Session):
    """Everything that acts on all columns at once, in one bar that stays in view."""
    status = session.status.value
    town_open, set_town_open = solara.use_state(False)
    with rv.Html(tag="div", class_="ls-toolbar", attributes={"data-testid": "toolbar"}):
        with rv.Html(tag="div", class_="ls-toolbar-row"):
            rv.Html(tag="div", class_="ls-brand", children=["loyaltysim"])
            ClockControls(session, status)
            WeekCounter(status)
            ShockButton(session, status)
            with rv.Html(tag="div", class_="ls-toolbar-group"):
                rv.Switch(
                    v_model=status.present,
                    dense=True,
                    hide_details=True,
                    label="Present",
                    class_="ls-present-switch",
                    on_v_model=lambda v: session.set_present(bool(v)),
                    attributes={"data-testid": "present"},
                )
                rv.Switch(
                    v_model=status.counterfactual,
                    dense=True,
                    hide_details=True,
                    label="Without the event (dashed)",
                    class_="ls-present-switch",
                    on_v_model=lambda v: session.set_counterfactual(bool(v)),
                    attributes={
                        "data-testid": "counterfactual",
                        "title": "Dashed lines: the same run without the competitor's opening (same "
                        "seed); off, that run is not simulated",
                    },
                )
                solara.Button(
                    "Town",
                    icon_name="mdi-account-group",
                    text=True,
                    on_click=lambda: set_town_open(not town_open),
                    attributes={"data-testid": "town"},
                )
        if town_open:
            TownSettings(session, status)
        if status.error:
            rv.Alert(
                type="error",
                dense=True,
                text=True,
                children=[status.error],
                attributes={"data-testid": "session-error"},
            )
