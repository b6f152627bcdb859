"""Solara components of the browser UI, one small job each.

* :mod:`.controls` - schema-driven parameter controls;
* :mod:`.upload` - the scenario file input;
* :mod:`.column` - a scenario column: scenario, store, controls, download;
* :mod:`.views` - what a column shows each week: week, town map, Mesa headline plot;
* :mod:`.layout` - a collapsible panel;
* :mod:`.toolbar` - play/pause/step/reset, speed, week counter, the shock, town settings;
* :mod:`.charts` - the comparison charts;
* :mod:`.explain` - the teaching panel.
"""
