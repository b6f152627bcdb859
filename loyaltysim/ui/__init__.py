"""The browser UI: compare scenarios live, tweak one, take the scenario file home.

``loyaltysim ui`` serves :mod:`loyaltysim.ui.app` with Solara. The package is split into small
modules with one job each; only the ``components`` package and ``app`` import Solara widgets:

* :mod:`~loyaltysim.ui.config` - what the UI shows (which parameters matter to the story, colours);
* :mod:`~loyaltysim.ui.controls` - control specifications read from the scenario schema;
* :mod:`~loyaltysim.ui.session` - the columns, their models, the common clock, play/step/reset;
* :mod:`~loyaltysim.ui.shock` - opening the waiting competitor at the current week;
* :mod:`~loyaltysim.ui.uploads` - reading an uploaded scenario file;
* :mod:`~loyaltysim.ui.frames` and :mod:`~loyaltysim.ui.townmap` - one displayed week of a column;
* :mod:`~loyaltysim.ui.charts` - ECharts options for the comparison charts;
* :mod:`~loyaltysim.ui.explain` - the teaching text;
* :mod:`~loyaltysim.ui.command` and :mod:`~loyaltysim.ui.server` - the ``loyaltysim ui`` command.
"""
