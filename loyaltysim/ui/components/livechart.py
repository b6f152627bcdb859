"""A chart widget that sends only what changed: the whole ECharts option once, then new points.

Solara's ``FigureEcharts`` resends the whole option (every point of every series) on each
update: 69-155 KiB per displayed week for the comparison charts. :class:`LiveChartWidget` keeps
what it last sent and, when only series data grew or changed at the end (a played week), sends a
patch with each changed series' new points from the first point that differs. Anything else (an
axis, an event marker, a new column) sends the whole option again. The browser side
(``livechart.vue``) merges patches into the series it keeps and asks for the whole option again
if it ever misses one.
"""

from __future__ import annotations

import json
from typing import Any

import ipyvuetify
import solara
import traitlets

Option = dict[str, Any]


def _static(option: Option) -> Option:
    """The option without its series' data (what a patch cannot change)."""
    series = [{k: v for k, v in s.items() if k != "data"} for s in option.get("series", ())]
    return {**option, "series": series}


def data_patch(sent: Option | None, option: Option) -> list[list] | None:
    """``[[series index, start, new points], ...]`` turning ``sent`` into ``option``, or None
    when more than series data changed (the whole option must be sent)."""
    if not sent or len(sent.get("series", ())) != len(option.get("series", ())):
        return None
    if _static(sent) != _static(option):
        return None
    patch = []
    for index, (old, new) in enumerate(zip(sent["series"], option["series"], strict=True)):
        before, after = old.get("data", []), new.get("data", [])
        start = 0
        limit = min(len(before), len(after))
        while start < limit and before[start] == after[start]:
            start += 1
        if start < len(after) or len(before) != len(after):
            patch.append([index, start, after[start:]])
    return patch


class LiveChartWidget(ipyvuetify.VuetifyTemplate):
    """ECharts (SVG) fed with whole options or data patches; set :attr:`full` to update."""

    template_file = (__file__, "livechart.vue")

    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    renderer = traitlets.Unicode("svg").tag(sync=True)
    option = traitlets.Any({}).tag(sync=True)
    option_id = traitlets.Int(0).tag(sync=True)
    patch = traitlets.Any({}).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    #: The chart as it should look now (not synced: what is sent is worked out from it).
    full = traitlets.Any(None)
    #: JSON bytes of the options and patches sent so far (benchmarks and tests read it).
    sent_bytes = traitlets.Int(0)

    @traitlets.default("cdn")
    def _cdn(self):
        if not solara.settings.assets.proxy:
            return solara.settings.assets.cdn
        return None

    def __init__(self, **kwargs: Any):
        self._held: Option = {}  # what the browser holds: the last option with its patches
        super().__init__(**kwargs)
        if self.full is not None and not self._held:
            self._send_whole(self.full)

    @traitlets.observe("full")
    def _full_changed(self, change: dict) -> None:
        option = change["new"]
        if option is None:
            return
        patch = data_patch(self._held, option)
        if patch is None:
            self._send_whole(option)
        elif patch:
            payload = {"base": self.option_id, "series": patch}
            self.sent_bytes += len(json.dumps(payload))
            self._held = option
            self.patch = payload

    def _send_whole(self, option: Option) -> None:
        self._held = option
        self.sent_bytes += len(json.dumps(option))
        with self.hold_sync():
            self.option_id += 1
            self.option = option
            self.patch = {}

    def vue_resync(self, _data: Any = None) -> None:
        """The browser missed a patch: send the whole option again."""
        self._send_whole(self._held)


@solara.component
def LiveChart(option: Option, attributes: dict | None = None):
    """A chart that sends the browser only what changed since its last update."""
    return LiveChartWidget.element(full=option, attributes=attributes)
