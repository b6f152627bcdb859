"""Scenario timelines: at the start of a week, events change parameters (docs/design.md section 3.0).

An event's ``set`` holds dotted keys, exactly as ``--set`` overrides. Applying one re-validates the
whole scenario, then brings the running model in line: a firm that opens is introduced to a share of
customers, staffing changes hire (untrained) or let people go, moved stores get new distances.
The population, its network and the history windows are drawn or sized once, so events may not set
them (:mod:`loyaltysim.startup_keys`); a segment's purchase rate and basket may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyaltysim.mechanisms.coefficients import Coefficients
from loyaltysim.population import segment_table
from loyaltysim.scenario import apply_override
from loyaltysim.schema import Scenario

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel


def apply_events(model: LoyaltyModel, week: int) -> list[str]:
    """Apply every event scheduled for ``week``; return their labels."""
    fired = [e for e in model.spec.events if e.week == week]
    for event in fired:
        change_parameters(model, event.set, label=f"event {event.label!r}")
        model.fired_events.append((week, event.label or ", ".join(event.set)))
    return [e.label for e in fired]


def change_parameters(model: LoyaltyModel, changes: dict, label: str) -> None:
    """Set dotted keys mid-run, as an event does (events and management policies,
    :mod:`loyaltysim.mechanisms.policy`): re-validate the scenario and bring the running model in
    line. ``label`` names the change in an error."""
    # The timeline itself never changes (events may not set events.*) and was validated when
    # the scenario was loaded: leave it out of the re-validation, so that a run's cost does
    # not grow with the square of its number of events.
    data = model.spec.model_dump(mode="json", exclude={"events"})
    for key, value in changes.items():
        apply_override(data, key, value, label=label)
    spec = Scenario.model_validate(data).model_copy(update={"events": model.spec.events})
    _adopt(model, spec)


def _adopt(model: LoyaltyModel, spec: Scenario) -> None:
    """Switch the running model to ``spec``, introducing firms that just opened."""
    model.spec = spec
    model.k = Coefficients.of(spec)
    for firm in model.firms:
        old, new = firm.params, spec.firms[firm.key]
        firm.params = new
        if new.staffing != old.staffing:
            model.staff_firm(firm)
        if new.open and not old.open:
            model.introduce_firm(firm.index, tick=model.week)
        if new.process.base_failure_rate != old.process.base_failure_rate:
            firm.failure_rate = new.process.base_failure_rate
    model.segment_need = segment_table(spec.customers, "purchases_per_week")
    model.segment_basket = segment_table(spec.customers, "basket_dollars")
    model.refresh_firms()
