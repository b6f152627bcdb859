"""The Solara app: ``solara run loyaltysim.ui.app`` (what ``loyaltysim ui`` starts).

Each browser tab gets its own :class:`~loyaltysim.ui.session.Session` with the scenarios the
command was started with (``LOYALTYSIM_UI_CONFIG``), and a background worker that plays the clock
and re-runs columns after a change.

One screen: a toolbar that stays in view; per column its big monitors and a large town map; the
headline charts (truly loyal vs merely retained, customers kept, NPS) under them, sized from the
window's height so that at 1366x768 and larger all of it is in view without scrolling. Controls
are in a drawer per column. The other charts, Mesa's plot and the teaching panel follow below.
Presentation mode (the toolbar's switch, ``loyaltysim ui --present``) makes the text at least
18 px and the lines thicker, and shows only the headline charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import reacton.core
import solara
from solara.alias import rv

from loyaltysim.ui.components.charts import ComparisonCharts
from loyaltysim.ui.components.column import ScenarioColumn
from loyaltysim.ui.components.explain import ExplanationPanel
from loyaltysim.ui.components.toolbar import Toolbar
from loyaltysim.ui.components.views import MesaHeadline
from loyaltysim.ui.config import DEFAULT_SCENARIOS, MAX_CUSTOMERS, UIConfig
from loyaltysim.ui.session import Session
from loyaltysim.ui.shared import SessionView, shared_session

# Sizes: --ls-map is the town map's side; charts get the height left under the columns
# (toolbar, column head and paddings take about 200 px), between 240 and 560 px.
CSS = """
.ls-root { --ls-text: 15px; --ls-small: 14px; --ls-title: 17px; --ls-monitor: 30px;
           --ls-map: 32vh; font-size: var(--ls-text); padding: 0 6px 12px 6px; }
.ls-root .v-btn, .ls-root .v-label, .ls-root .v-select__selection, .ls-root input,
.ls-root .v-alert { font-size: var(--ls-text) !important; }
.ls-root .v-input--dense .v-label { font-size: var(--ls-small) !important; }
.ls-toolbar { position: sticky; top: 0; z-index: 6; background: #fff;
              border-bottom: 1px solid #ddd; padding: 4px 4px; margin: 0 -6px 6px -6px; }
.ls-toolbar-row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 14px; }
.ls-toolbar-group { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px;
                    max-width: 100%; }
.ls-brand { font-weight: 700; font-size: var(--ls-title); color: #37474f; }
.ls-speed { display: flex; align-items: center; gap: 6px; width: 190px; max-width: 100%; }
.ls-speed .v-input { margin-top: 0; padding-top: 0; }
.ls-present-switch { margin-top: 0; padding-top: 0; }
.ls-week { font-size: var(--ls-title); font-weight: 700; font-variant-numeric: tabular-nums;
           min-width: 9.5em; }
.ls-catching-up { background: #fff3e0; padding: 2px 6px; border-radius: 4px; }
.ls-shock-note { color: #c62828; font-weight: 600; }
.ls-help { font-size: var(--ls-small); color: #424242; line-height: 1.35; }
.ls-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
              gap: 8px; }
.ls-column { padding: 6px 10px 8px 10px; min-width: 0; }
.ls-column-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.ls-column-actions { display: flex; align-items: center; gap: 4px; flex: none; }
.ls-column-title { font-size: var(--ls-title); font-weight: 700; overflow-wrap: anywhere; }
.ls-column-week { font-weight: 600; font-variant-numeric: tabular-nums; font-size: var(--ls-small);
                  margin-bottom: 4px; }
.ls-column-body { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-start;
                  margin-top: 4px; }
.ls-column-side { flex: 1 1 180px; min-width: 0; }
.ls-map { flex: none; width: var(--ls-map); height: var(--ls-map); max-width: 100%; }
.ls-map img { width: 100%; height: 100%; image-rendering: pixelated; border: 1px solid #ccc;
              display: block; }
.ls-monitors { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 6px; }
.ls-monitor { border: 1px solid #e0e0e0; border-radius: 6px; padding: 2px 8px; }
.ls-monitor-value { font-size: var(--ls-monitor); font-weight: 700; line-height: 1.15;
                    font-variant-numeric: tabular-nums; }
.ls-monitor-label { font-size: var(--ls-small); color: #424242; }
.ls-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin-top: 6px;
             font-size: var(--ls-small); }
.ls-legend-entry { display: flex; align-items: center; gap: 4px; }
.ls-swatch { display: inline-block; width: 12px; height: 12px; }
.ls-column-changes { margin-top: 2px; }
.ls-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
             gap: 8px 14px; margin-top: 8px; }
.ls-chart { min-width: 0; border: 1px solid #e0e0e0; border-radius: 6px; padding: 4px 8px; }
.ls-chart-title { font-size: var(--ls-title); font-weight: 700; line-height: 1.25; }
.ls-chart-box { width: 100%; height: 300px; }
.ls-headline-charts .ls-chart-box { height: clamp(240px, calc(68vh - 215px), 560px); }
.ls-headline-charts .ls-chart:has(.ls-legend) .ls-chart-box {
  height: clamp(216px, calc(68vh - 241px), 534px); }
.ls-more { margin-top: 12px; }
.ls-section-title { font-size: var(--ls-title); font-weight: 700; margin: 12px 0 4px 0; }
.ls-mesa { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 8px; }
.ls-headline img { max-width: 100%; }
.ls-explain { margin-top: 12px; max-width: 80em; }
.ls-explain p, .ls-explain li { margin-bottom: 6px; }
.ls-group-title { font-weight: 700; font-size: var(--ls-text); display: block; margin-top: 6px; }
.ls-drawer-body { padding: 10px 14px; }
.ls-group-controls { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
                     gap: 2px 18px; }
.ls-control { padding: 2px 0 6px 0; border-bottom: 1px solid #eee; }
.ls-control-label { font-weight: 600; }
.ls-changed .ls-control-label { color: #e65100; font-weight: 700; }
.ls-control-value { font-variant-numeric: tabular-nums; color: #37474f; }
@media (max-width: 600px) {
  .ls-columns, .ls-charts, .ls-mesa { grid-template-columns: minmax(0, 1fr); }
  .ls-map { --ls-map: min(100%, 60vh); width: 100%; height: auto; aspect-ratio: 1; }
  .ls-week { min-width: 0; }
  .ls-brand { display: none; }
  .ls-toolbar { position: static; }  /* on a phone the toolbar would take a third of the screen */
  .ls-drawer { max-width: 100vw; }
}
"""


#: Presentation mode: larger sizes, only the headline charts (added after :data:`CSS`).
PRESENT_CSS = """
.ls-root { --ls-text: 20px; --ls-small: 18px; --ls-title: 24px; --ls-monitor: 46px;
           --ls-map: 34vh; }
.ls-speed { width: 250px; }
.ls-headline-charts .ls-chart-box { height: clamp(300px, calc(66vh - 215px), 600px); }
.ls-more, .ls-look-for { display: none; }
"""


@solara.component
def PresentationMode(session: Session):
    """Presentation mode's style, and the teaching panel that follows it. A component of its
    own, so that the clock's status (read here) does not re-render the whole page each week."""
    status = session.status.value
    configs = session.configs.value
    if status.present:
        solara.Style(PRESENT_CSS)
        rv.Html(tag="span", attributes={"data-testid": "present-on"})
    ExplanationPanel(len(configs), tuple(c.source for c in configs), status.present)


@solara.component
def Columns(session: Session):
    """The scenario columns side by side (stacked on narrow screens)."""
    with rv.Html(tag="div", class_="ls-columns"):
        for config in session.configs.value:
            ScenarioColumn(session, config).key(f"column-{config.uid}")


@solara.component
def MoreViews(session: Session):
    """Below the first screen: the other comparison charts and Mesa's own plot per column."""
    with rv.Html(tag="div", class_="ls-more", attributes={"data-testid": "more"}):
        rv.Html(tag="div", class_="ls-section-title", children=["More charts"])
        ComparisonCharts(session, headline=False)
        with rv.Html(tag="div", class_="ls-mesa"):
            for config in session.configs.value:
                MesaHeadline(session, config.index, config.name).key(f"mesa-{config.uid}")


@solara.component
def App(session: Session):
    """The whole page for one session: toolbar, columns, charts and the teaching panel.

    It reads no reactive itself: each part subscribes to what it shows, so a drawn week
    re-renders the week counters, monitors, maps and charts, not the controls."""
    session.render_context = reacton.core.get_render_context(required=False)
    solara.use_thread(session.work, dependencies=[session], intrusive_cancel=False)
    solara.Style(CSS)
    with rv.Html(tag="div", class_="ls-root", attributes={"data-testid": "root"}):
        Toolbar(session)
        Columns(session)
        ComparisonCharts(session, headline=True)
        MoreViews(session)
        PresentationMode(session)


@solara.component
def LoyaltyDashboard(
    scenarios: Sequence[str] = DEFAULT_SCENARIOS,
    customers: int | None = None,
    seed: int | None = None,
    present: bool = False,
    max_customers: int = MAX_CUSTOMERS,
):
    """The whole UI as one component, for a Jupyter notebook::

        from loyaltysim.ui import LoyaltyDashboard
        LoyaltyDashboard(["corner_pharmacy", "loyal_brand"], customers=2000)

    The last expression of a cell renders it inline (Solara components display in Jupyter); it
    runs its own session, as a browser tab of ``loyaltysim ui`` does.
    """
    session = solara.use_memo(
        lambda: Session(
            list(scenarios), customers=customers, seed=seed, present=present, max_customers=max_customers
        ),
        [tuple(scenarios), customers, seed, present, max_customers],
    )
    App(session)


@solara.component
def Page():
    """Solara entry point: one session per browser tab, or with ``--shared`` one session that
    every tab watches (each tab a :class:`~loyaltysim.ui.shared.SessionView` of it)."""
    config = solara.use_memo(UIConfig.from_env, [])
    solara.Title("loyaltysim - retention is not loyalty")
    if config.shared:
        SharedPage(config)
    else:
        session = solara.use_memo(lambda: Session.from_config(config), [])
        App(session)


@solara.component
def SharedPage(config: UIConfig):
    """This tab's view of the server's shared session, attached while the tab is open."""
    shared = shared_session(config)
    view = solara.use_memo(lambda: SessionView(shared), [])

    def attach():
        shared.attach(view)
        return lambda: shared.detach(view)

    solara.use_effect(attach, [])
    App(view)
