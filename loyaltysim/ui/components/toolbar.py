"""The toolbar: play/pause/step/reset, speed, the week counter, the shock and town settings."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.config import SPEEDS
from loyaltysim.ui.session import Session, SessionStatus


def speed_label(speed: float) -> str:
    """``5`` -> ``5 weeks/s``; ``0`` -> ``as fast as possible``."""
    return "as fast as possible" if speed == 0 else f"{speed:g} weeks/s"


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
    with solara.Row(gap="8px", style={"align-items": "center"}):
        solara.Button("Pause" if status.playing else "Play",
                      icon_name="mdi-pause" if status.playing else "mdi-play", color="primary",
                      on_click=toggle, disabled=at_end and not status.playing,
                      attributes={"data-testid": "play"})
        solara.Button("Step", icon_name="mdi-skip-next", on_click=session.step,
                      disabled=status.playing or at_end, attributes={"data-testid": "step"})
        solara.Button("Reset", icon_name="mdi-restore", on_click=session.reset,
                      attributes={"data-testid": "reset"})
        solara.Select("Speed", values=list(labels), value=speed_label(status.speed), dense=True,
                      on_value=lambda label: session.set_speed(labels[label]),
                      style={"max-width": "190px"})


@solara.component
def WeekCounter(status: SessionStatus):
    """The common week on screen."""
    with solara.Row(gap="6px", style={"align-items": "center"}):
        rv.Html(tag="div", class_="ls-week",
                attributes={"data-testid": "week", "data-week": str(status.week)},
                children=[f"Week {status.week} of {status.weeks}"])
        if status.catching_up:
            rv.Chip(small=True, color="amber lighten-4",
                    children=["a changed column is re-running from week 0"])


@solara.component
def ShockButton(session: Session, status: SessionStatus):
    """Open the waiting competitor in every column at the start of the next week."""
    with solara.Row(gap="6px", style={"align-items": "center"}):
        solara.Button("A competitor with the same items opens nearby - now",
                      icon_name="mdi-flash", color="error", outlined=True,
                      on_click=session.fire_shock, disabled=not status.shock_available,
                      attributes={"data-testid": "shock"})
        if status.shock_week is not None:
            rv.Html(tag="span", class_="ls-shock-note", attributes={"data-testid": "shock-note"},
                    children=[f"Shock: the competitor opens in week {status.shock_week}."])


@solara.component
def TownSettings(session: Session, status: SessionStatus):
    """Customers per column and the common seed (restart every column)."""
    customers, set_customers = solara.use_state(status.customers)
    seed, set_seed = solara.use_state(status.seed)
    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputInt("Customers per column (blank: the scenario's)", value=customers,
                        on_value=set_customers, optional=True, dense=True,
                        style={"max-width": "260px"})
        solara.InputInt("Seed (common to all columns)", value=seed, on_value=set_seed,
                        dense=True, style={"max-width": "200px"})
        solara.Button("Apply and restart", text=True,
                      on_click=lambda: session.set_town(customers, seed if seed is not None
                                                        else status.seed))
        solara.Button("Add a column", icon_name="mdi-plus", text=True,
                      on_click=lambda: session.add_column())


@solara.component
def Toolbar(session: Session):
    """Everything that acts on all columns at once."""
    status = session.status.value
    with rv.Card(outlined=True, class_="ls-toolbar"), rv.CardText():
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
            ClockControls(session, status)
            WeekCounter(status)
            ShockButton(session, status)
        with solara.Details("Town and luck: customers, seed, columns"):
            TownSettings(session, status)
        if status.error:
            rv.Alert(type="error", dense=True, text=True, children=[status.error],
                     attributes={"data-testid": "session-error"})
