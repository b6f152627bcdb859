"""The scenario a column runs, as a file to take home: TOML that ``loyaltysim run`` accepts as is.

The file holds the complete, resolved scenario (every default filled in) including what the
browser changed: the overrides, the common seed and customers, and a fired shock (the competitor
opening moved to its week). Running it reproduces the column's numbers exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyaltysim.scenario import Scenario, load_scenario, scenario_to_toml


def tweaked(
    scenario: Scenario, base: Scenario, overrides: Mapping[str, Any], shock_week: int | None
) -> Scenario:
    """``scenario`` renamed ``<name>_tweaked``, with its changes in the description, when the
    user changed anything (``overrides``, or a shock that moved ``base``'s events)."""
    changes = [f"{key} = {value}" for key, value in overrides.items()]
    if scenario.events != base.events:
        changes.append(f"shock in week {shock_week}")
    if not changes:
        return scenario
    return load_scenario(
        scenario,
        {
            "name": f"{scenario.name}_tweaked" if scenario.name else "tweaked",
            "description": (
                scenario.description + " Tweaked in the browser: " + "; ".join(changes) + "."
            ).strip(),
        },
    )


def scenario_file(scenario: Scenario, source: str, seed: int, overrides: Mapping[str, Any]) -> str:
    """TOML text of ``scenario`` with a comment header saying where it came from."""
    header = [
        f"# Scenario downloaded from loyaltysim ui (source: {source}; seed {seed}).",
        "# Run it with: loyaltysim run <this file>",
    ]
    header += [f"# override: {key} = {value!r}" for key, value in overrides.items()]
    return "\n".join(header) + "\n\n" + scenario_to_toml(scenario)
