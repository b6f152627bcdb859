"""The teaching panel: how to read what is on screen, and what to try with these columns."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.charts import CHARTS
from loyaltysim.ui.explain import EXPLANATIONS, intro, suggestions


@solara.component
def ExplanationPanel(columns: int = 2, shown: tuple[str, ...] = (), present: bool = False):
    """Short, plain notes for a class. ``columns`` and ``shown`` (the scenarios on screen) adapt
    the text; in presentation mode only the charts on screen are explained."""
    charts = [spec.id for spec in CHARTS if spec.headline or not present]
    with rv.Html(tag="div", class_="ls-explain", attributes={"data-testid": "explanation"}):
        rv.Html(tag="div", class_="ls-group-title", children=["How to read this"])
        rv.Html(tag="p", attributes={"data-testid": "explain-intro"}, children=[intro(columns)])
        tries = suggestions(shown)
        if tries:
            rv.Html(tag="div", class_="ls-group-title", children=["What to try"])
            with rv.Html(tag="ol", attributes={"data-testid": "explain-try"}):
                for item in tries:
                    rv.Html(tag="li", children=[item])
        rv.Html(tag="div", class_="ls-group-title", children=["On screen"])
        for key in ["map", *charts] + ([] if present else ["mesa"]):
            explanation = EXPLANATIONS[key]
            with rv.Html(tag="p", attributes={"data-testid": f"explain-{key}"}):
                rv.Html(tag="b", children=[explanation.title + ". "])
                rv.Html(tag="span", children=[explanation.shows + " "])
                rv.Html(tag="i", children=[explanation.look_for])
