"""Layout pieces shared by the components."""

from __future__ import annotations

import solara
from solara.alias import rv


@solara.component
def Collapsible(title: str, testid: str, children: list = [], open: bool = True):  # noqa: B006
    """An expansion panel whose header tests and users can click (``data-testid``)."""
    expanded, set_expanded = solara.use_state(open)
    with (rv.Html(tag="div", attributes={"data-testid": testid}),
          rv.ExpansionPanels(v_model=0 if expanded else None, flat=True,
                             on_v_model=lambda v: set_expanded(v == 0)),
          rv.ExpansionPanel()):
        rv.ExpansionPanelHeader(children=[title], class_="ls-group-title")
        rv.ExpansionPanelContent(children=children)
