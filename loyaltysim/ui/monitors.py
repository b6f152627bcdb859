"""The big number monitors of a column: this week's customers, loyalty rate, NPS and staff
engagement, as text (NetLogo-style monitors, readable from the back of a room)."""

from __future__ import annotations

from dataclasses import dataclass

from loyaltysim.ui.frames import ColumnFrame


@dataclass(frozen=True)
class Monitor:
    """One monitor: an id (for tests), what it counts, and its value as shown."""

    id: str
    label: str
    value: str


def _text(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def monitors(frame: ColumnFrame) -> tuple[Monitor, ...]:
    """The charted store's headline numbers in the frame's week ("–" before week 1)."""
    loyalty = frame.latest("loyalty_rate")
    return (
        Monitor("customers", "customers kept", _text(frame.latest("customer_base"), ",.0f")),
        Monitor("loyalty", "loyalty rate (attached)", "–" if loyalty is None else f"{loyalty * 100:.0f}%"),
        Monitor("nps", "NPS (-100 to 100)", _text(frame.latest("nps"), "+.0f")),
        Monitor("engagement", "staff engagement (0-1)", _text(frame.latest("engagement_mean"), ".2f")),
    )
