"""What the UI shows: the story's parameters, colours, and the start-up settings of a session.

Parameter *definitions* (range, unit, meaning) are never listed here: they come from the scenario
schema (:mod:`loyaltysim.schema`). This module only says which schema sections and fields the
controls show, in which order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

#: Environment variable through which ``loyaltysim ui`` hands its settings to the Solara app.
CONFIG_ENV = "LOYALTYSIM_UI_CONFIG"

#: Scenarios shown when ``loyaltysim ui`` is started without any.
DEFAULT_SCENARIOS: tuple[str, ...] = ("corner_pharmacy", "loyal_brand")

#: The parameters that matter to the story, as (section of a firm, field) pairs. ``"*"`` means every
#: scalar field of that section, so a field added to the schema's section appears in the UI without
#: a code change here. ``""`` is the firm's own table.
STORY_CONTROLS: tuple[tuple[str, str], ...] = (
    ("culture", "*"),
    ("culture.empowerment", "*"),
    ("staffing", "frontline_per_1000"),
    ("", "price_index"),
    ("", "hours_per_day"),
)

#: Line colours of the scenario columns in the comparison charts (column A, B, C, ...): blue,
#: orange, purple, teal, brown, pink - none of them a meaning colour of the charts (green
#: truly loyal / fixed, yellow merely retained / escalated, red unresolved, grey, light blue).
COLUMN_COLOURS: tuple[str, ...] = ("#1565c0", "#e65100", "#7b1fa2", "#00838f", "#6d4c41", "#ec407a")

#: Colours of firms on the town maps, assigned to firm keys in the order they are first seen, so a
#: firm (the supermarket, say) has the same colour in every column.
FIRM_COLOURS: tuple[str, ...] = (
    "#00897b",
    "#c62828",
    "#5e35b1",
    "#f9a825",
    "#3949ab",
    "#6d4c41",
    "#d81b60",
    "#7cb342",
)

#: Dick & Basu cells and complaint outcomes: metric name -> (legend label, colour).
LOYALTY_CELLS: dict[str, tuple[str, str]] = {
    "true_loyal": ("truly loyal", "#2e7d32"),
    "spurious_loyal": ("merely retained", "#f9a825"),
    "latent_loyal": ("latent", "#64b5f6"),
    "no_loyal": ("no loyalty", "#bdbdbd"),
}
COMPLAINT_OUTCOMES: dict[str, tuple[str, str]] = {
    "resolved_on_spot": ("resolved on the spot", "#2e7d32"),
    "resolved_escalated": ("resolved after escalation", "#f9a825"),
    "unresolved": ("unresolved", "#c62828"),
}

#: Playing speeds offered, in simulated weeks per second (0 = as fast as the engine goes). Above
#: about five weeks per second not every week is drawn (see loyaltysim.ui.session.DRAW_SECONDS).
SPEEDS: tuple[float, ...] = (1, 2, 5, 10, 20, 0)

#: Customers per column the UI runs at most unless started with ``--max-customers``.
MAX_CUSTOMERS = 50_000


@dataclass(frozen=True)
class UIConfig:
    """Start-up settings of a UI session.

    Attributes:
        scenarios: shipped scenario names or paths of scenario files, one column each.
        customers: customers per column (``market.customers``), or None for each scenario's own.
        seed: the common seed of every column, or None for the first scenario's ``market.seed``.
        present: start in presentation mode (large text, thick lines, the headline charts).
        max_customers: the most customers a column may have (set, uploaded or typed).
        shared: one session for every browser (a classroom follows the teacher's screen).
        counterfactual: draw each column's run without its competitor's opening (dashed, same
            seed) once the competitor has opened; a switch in the page toggles it.
    """

    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS
    customers: int | None = None
    seed: int | None = None
    present: bool = False
    max_customers: int = MAX_CUSTOMERS
    shared: bool = False
    counterfactual: bool = True

    def to_env(self) -> str:
        """JSON text for :data:`CONFIG_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> UIConfig:
        """Settings from :data:`CONFIG_ENV` (defaults when it is not set)."""
        text = (os.environ if environ is None else environ).get(CONFIG_ENV)
        if not text:
            return cls()
        data = json.loads(text)
        scenarios: Sequence[str] = data.get("scenarios") or DEFAULT_SCENARIOS
        return cls(
            scenarios=tuple(scenarios),
            customers=data.get("customers"),
            seed=data.get("seed"),
            present=bool(data.get("present", False)),
            max_customers=int(data.get("max_customers") or MAX_CUSTOMERS),
            shared=bool(data.get("shared", False)),
            counterfactual=bool(data.get("counterfactual", True)),
        )
