"""The browser UI: compare scenarios live, tweak one, take the scenario file home.

``loyaltysim ui`` serves :mod:`loyaltysim.ui.app` with Solara. In a Jupyter notebook,
``from loyaltysim.ui import LoyaltyDashboard`` and end a cell with
``LoyaltyDashboard(["corner_pharmacy", "loyal_brand"])`` to show the same page inline.

The package is split into small modules with one job each; only the ``components`` package and
``app`` import Solara widgets (and importing this package does not: ``LoyaltyDashboard`` is
loaded on first use):

* :mod:`~loyaltysim.ui.config` - what the UI shows (which parameters matter to the story, colours);
* :mod:`~loyaltysim.ui.controls` - control specifications read from the scenario schema;
* :mod:`~loyaltysim.ui.session` - the columns, their models, the common clock, play/step/reset;
* :mod:`~loyaltysim.ui.shock` - opening the waiting competitor at the current week;
* :mod:`~loyaltysim.ui.uploads` - reading an uploaded scenario file;
* :mod:`~loyaltysim.ui.frames`, :mod:`~loyaltysim.ui.monitors` and :mod:`~loyaltysim.ui.townmap`
  - one displayed week of a column;
* :mod:`~loyaltysim.ui.charts` - ECharts options for the comparison charts;
* :mod:`~loyaltysim.ui.explain` - the teaching text;
* :mod:`~loyaltysim.ui.command` and :mod:`~loyaltysim.ui.server` - the ``loyaltysim ui`` command.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LoyaltyDashboard"]


def __getattr__(name: str) -> Any:
    if name == "LoyaltyDashboard":
        from loyaltysim.ui.app import LoyaltyDashboard

        return LoyaltyDashboard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
