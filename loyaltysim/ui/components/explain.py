"""The teaching panel: how to read each chart, and what to try."""

from __future__ import annotations

import solara
from solara.alias import rv

from loyaltysim.ui.explain import EXPLANATIONS, INTRO, TRY_THIS


@solara.component
def ExplanationPanel():
    """Short, plain notes for a class: what each chart means and what to try."""
    with (rv.Card(outlined=True, class_="ls-explain", attributes={"data-testid": "explanation"}),
          rv.CardText()):
        rv.Html(tag="div", class_="ls-group-title", children=["How to read this"])
        rv.Html(tag="p", children=[INTRO])
        rv.Html(tag="div", class_="ls-group-title", children=["What to try"])
        with rv.Html(tag="ol"):
            for item in TRY_THIS:
                rv.Html(tag="li", children=[item])
        rv.Html(tag="div", class_="ls-group-title", children=["The charts"])
        for key, explanation in EXPLANATIONS.items():
            with rv.Html(tag="p", attributes={"data-testid": f"explain-{key}"}):
                rv.Html(tag="b", children=[explanation.title + ". "])
                rv.Html(tag="span", children=[explanation.shows + " "])
                rv.Html(tag="i", children=[explanation.look_for])
