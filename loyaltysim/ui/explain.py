"""Teaching text for the explanation panel: what each chart means and what to try. Short, plain.

Metric definitions stay in :mod:`loyaltysim.metrics`; this text says how to read a chart and what
to look for, and points at the controls worth moving.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    """How to read one chart: a title, what it shows, and what to look for."""

    title: str
    shows: str
    look_for: str


#: Keyed by chart id (:data:`loyaltysim.ui.charts.CHARTS`), plus ``map`` and ``mesa``.
EXPLANATIONS: dict[str, Explanation] = {
    "loyalty": Explanation(
        "Who are the customers?",
        "Each store's customer base split by feeling (attachment) and habit (share of recent "
        "purchases made there): truly loyal have both; spuriously loyal come back without "
        "feeling anything - merely retained; latent like the store but buy elsewhere.",
        "A tall yellow band is a store that keeps customers only because it is convenient.",
    ),
    "retention": Explanation(
        "Retention is not loyalty",
        "Solid: the share of purchases that come back to the store. Dashed: the share of its "
        "customers who are emotionally attached.",
        "The corner pharmacy's solid line is high while its dashed line stays low.",
    ),
    "base": Explanation(
        "Customers kept",
        "How many people count the store as theirs (bought there most recently, in the last 13 weeks).",
        "Fire the shock: the merely retained leave at once; the loyal stay. The dashed line is "
        "the same town without the supermarket (same seed): the gap is what it cost.",
    ),
    "nps": Explanation(
        "Net Promoter Score",
        "Promoters minus detractors in a small weekly survey, -100 to 100. The band is the "
        "survey's sampling error: wiggles inside it are luck, not change.",
        "Compare the levels, not week-to-week jumps.",
    ),
    "employees": Explanation(
        "Employees",
        "Top: how engaged staff are (0-1). Bottom: the share who quit each week; their "
        "replacements start untrained.",
        "Cut staffing and engagement falls; where it sinks very low (the discount chain), people quit.",
    ),
    "complaints": Explanation(
        "Complaints and what happens to them",
        "Green: fixed on the spot by the first employee. Yellow: fixed after passing up to a "
        "supervisor or the manager. Red: nobody fixed it - these customers become detractors.",
        "With a $0 frontline limit every complaint must be escalated.",
    ),
    "profit": Explanation(
        "Profit",
        "Weekly sales margin minus wages, training, refunds and the staff time complaints take.",
        "Good service costs wages now; it pays back when a competitor arrives.",
    ),
    "map": Explanation(
        "The town",
        "Each dot is a household, coloured by the store it last bought at (within 13 weeks) and "
        "darker the more attached it is. Squares are stores; an empty square has not opened. "
        "Dark grey: buys outside town; light grey: no recent purchase.",
        "After the shock, pale dots change colour first.",
    ),
    "mesa": Explanation(
        "Headline (Mesa plot)",
        "Mesa's own plot component reading the model's reporters for the scenario's focus "
        "store: retention per purchase against the loyalty rate, as 0-1 shares (redrawn "
        "whenever the clock stops: paused, stepped or changed).",
        "The gap between the lines is the spurious loyalty.",
    ),
}

#: Suggestions for the "what to try" list, in teaching order.
TRY_THIS: tuple[str, ...] = (
    "Play the pharmacy and the brand to week 60: similar retention, very different loyalty.",
    "Then press 'Competitor opens now': both lose customers to it, the pharmacy more - its "
    "customers came for convenience (side by side in one town, pharmacy_vs_brand, the brand keeps "
    "nearly all of its own).",
    "Raise the pharmacy's frontline limit from $0 to $100 and watch escalations turn into on-the-spot fixes.",
    "Set the brand's trust to 0.05 (a culture of fear): recovery fails and NPS drops.",
    "Cut the brand's staffing to 1 per 1,000 customers: overload, more failures, NPS falls.",
    "Compare with the discount chain: more failures, less engaged staff, customers kept by price.",
    "Download a tweaked scenario and run it from the command line: loyaltysim run my_scenario.toml",
)

INTRO = (
    "Two stores, the same town, the same customers and the same luck (one seed for all "
    "columns): every difference you see comes from how each store treats its staff and "
    "customers. Move a control and that column reruns from week 0 with the new value."
)

#: Scenarios a suggestion of :data:`TRY_THIS` is about (by position): it is offered only while
#: one of them is on screen. Suggestions not listed are always offered.
TRY_NEEDS: dict[int, tuple[str, ...]] = {
    0: ("corner_pharmacy", "loyal_brand"),
    1: ("corner_pharmacy", "loyal_brand"),
    2: ("corner_pharmacy",),
    3: ("loyal_brand",),
    4: ("loyal_brand",),
}

_COUNTS = ("No", "One", "Two", "Three", "Four", "Five", "Six")


def intro(columns: int) -> str:
    """The panel's first paragraph for ``columns`` columns on screen."""
    if columns <= 1:
        return (
            "One store in a town of customers. Add a column (Town and luck) to compare it "
            "with another culture: every column gets the same customers and the same luck. "
            "Move a control and the column reruns from week 0 with the new value."
        )
    count = _COUNTS[columns] if columns < len(_COUNTS) else str(columns)
    return INTRO.replace("Two stores", f"{count} stores", 1)


def suggestions(shown: list[str] | tuple[str, ...]) -> list[str]:
    """What to try, for the scenarios on screen (shipped names; uploaded files match none)."""
    on_screen = set(shown)
    out = []
    for index, item in enumerate(TRY_THIS):
        needs = TRY_NEEDS.get(index)
        if needs is None or on_screen & set(needs):
            out.append(item)
    return out
