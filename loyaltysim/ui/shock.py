"""The shock: a competitor with the same items opens nearby, now rather than when the file says.

Scenarios model the competitor as a firm that starts closed and an event that opens it
(``scenarios/_town.toml``: the supermarket, ``firms.supermarket.open = true`` in week 104). Firing
the shock at displayed week ``w`` moves that event to week ``w + 1``: the model applies
``model.spec.events`` at the start of each week, so the competitor trades from the next displayed
week on. The same moved event goes into the scenario the column restarts from and into the
downloaded TOML, so ``loyaltysim run`` on that file reproduces the run on screen exactly.

Only public attributes of :class:`~loyaltysim.model.LoyaltyModel` are used (``spec``, ``week``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loyaltysim.schema import Event, Scenario

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel


@dataclass(frozen=True)
class Competitor:
    """The event that opens a waiting competitor: its index in ``events``, firm, week and label."""

    index: int
    firm: str
    week: int
    label: str


def waiting_competitor(spec: Scenario) -> Competitor | None:
    """The first event that opens a firm which is closed at the start, or None if there is none."""
    for index, event in enumerate(spec.events):
        for key, value in event.set.items():
            parts = key.split(".")
            if (
                len(parts) == 3
                and parts[0] == "firms"
                and parts[2] == "open"
                and value is True
                and parts[1] in spec.firms
                and not spec.firms[parts[1]].open
            ):
                label = event.label or f"{spec.firms[parts[1]].label or parts[1]} opens"
                return Competitor(index=index, firm=parts[1], week=event.week, label=label)
    return None


def events_with_shock(spec: Scenario, week: int) -> list[dict[str, Any]] | None:
    """``spec.events`` (as data, for an ``events`` override) with the competitor opening moved
    to ``week``; None if the scenario has no waiting competitor."""
    competitor = waiting_competitor(spec)
    if competitor is None:
        return None
    events = [event.model_dump(mode="json") for event in spec.events]
    events[competitor.index]["week"] = week
    return events


def shock_pending(model: LoyaltyModel) -> Competitor | None:
    """The competitor the running model is still waiting for (its opening event has not fired)."""
    competitor = waiting_competitor(model.spec)
    if competitor is None or competitor.week <= model.week:
        return None
    if model.spec.firms[competitor.firm].open:  # opened by another event already
        return None
    return competitor


def fire_shock(model: LoyaltyModel, week: int) -> Competitor | None:
    """Move the running model's competitor opening to ``week`` (> ``model.week``).

    Returns the competitor, or None when the model has none waiting (no such firm, or it opened
    already). The model applies the moved event when it starts ``week``.
    """
    if week <= model.week:
        raise ValueError(
            f"the shock must be in a future week (model is at week {model.week}, asked for week {week})"
        )
    competitor = shock_pending(model)
    if competitor is None:
        return None
    events = list(model.spec.events)
    events[competitor.index] = Event(
        week=week, label=competitor.label, set=dict(model.spec.events[competitor.index].set)
    )
    model.spec = model.spec.model_copy(update={"events": events})
    return competitor
