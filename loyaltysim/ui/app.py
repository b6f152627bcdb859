"""The Solara app: ``solara run loyaltysim.ui.app`` (what ``loyaltysim ui`` starts).

Each browser tab gets its own :class:`~loyaltysim.ui.session.Session` with the scenarios the
command was started with (``LOYALTYSIM_UI_CONFIG``), and a background worker that plays the clock
and re-runs columns after a change.
"""

from __future__ import annotations

import reacton.core
import solara

from loyaltysim.ui.components.charts import ComparisonCharts
from loyaltysim.ui.components.column import ScenarioColumn
from loyaltysim.ui.components.explain import ExplanationPanel
from loyaltysim.ui.components.toolbar import Toolbar
from loyaltysim.ui.config import UIConfig
from loyaltysim.ui.session import Session

CSS = """
.ls-help { font-size: 12px; color: #616161; line-height: 1.3; }
.ls-group { margin-top: 6px; }
.ls-group-title { font-weight: 600; font-size: 14px; display: block; margin-top: 6px; }
.ls-group-controls { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
                     gap: 2px 18px; }
.ls-control { padding: 2px 0 6px 0; border-bottom: 1px solid #eee; }
.ls-headline img { max-width: 100%; }
.ls-views { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
            gap: 8px 16px; align-items: start; }
.ls-column .v-expansion-panel-content__wrap { padding: 0 4px 8px 4px; }
.ls-column .v-expansion-panel-header { padding: 8px 4px; min-height: 40px; }
.ls-explain p { margin-bottom: 8px; font-size: 13px; }
.ls-explain li { font-size: 13px; }
.ls-control-label { font-weight: 500; }
.ls-changed .ls-control-label { color: #e65100; font-weight: 700; }
.ls-control-value { font-variant-numeric: tabular-nums; color: #37474f; }
.ls-map img { image-rendering: pixelated; width: 100%; max-width: 300px; border: 1px solid #ddd; }
.ls-swatch { display: inline-block; width: 10px; height: 10px; }
.ls-week { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.ls-column-week { font-weight: 600; font-variant-numeric: tabular-nums; }
.ls-column-title { font-size: 16px; font-weight: 700; }
.ls-shock-note { color: #c62828; font-weight: 600; }
"""


@solara.component
def Columns(session: Session):
    """The scenario columns side by side (stacked on narrow screens)."""
    configs = session.configs.value
    width = max(12 // max(len(configs), 1), 3)
    with solara.ColumnsResponsive(default=12, medium=max(width, 6), large=width):
        for config in configs:
            ScenarioColumn(session, config).key(f"column-{config.uid}")


@solara.component
def App(session: Session):
    """The whole page for one session: toolbar, columns, charts and the teaching panel."""
    session.render_context = reacton.core.get_render_context(required=False)
    solara.use_thread(session.work, dependencies=[session], intrusive_cancel=False)
    solara.Style(CSS)
    with solara.Column(gap="12px", style={"padding": "8px"}):
        Toolbar(session)
        Columns(session)
        with solara.ColumnsResponsive(default=12, large=[9, 3]):
            ComparisonCharts(session)
            ExplanationPanel()


@solara.component
def Page():
    """Solara entry point: one session per browser tab."""
    session = solara.use_memo(lambda: Session.from_config(UIConfig.from_env()), [])
    solara.Title("loyaltysim - retention is not loyalty")
    with solara.AppBar():
        solara.AppBarTitle("loyaltysim · retention is not loyalty")
    App(session)
