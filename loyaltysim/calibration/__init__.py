"""Calibration: fit the model's coefficients to observed figures (``loyaltysim calibrate``).

A targets file (:mod:`loyaltysim.calibration.spec`) names the free parameters and the targets;
:func:`calibrate` runs an Optuna study over them on the sweep executors, resumably
(:mod:`loyaltysim.calibration.study`), and writes ``best.toml``, ``trials.parquet`` and
``report.md`` into the calibration folder. See ``docs/calibration.md``.

Names are imported on first use, so that the command line does not pay for Optuna at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CalibrationError": "spec",
    "LoadedTargets": "spec",
    "load_targets": "spec",
    "CalibrationRun": "study",
    "run_calibration": "study",
    "calibrate": "cli",
    "trials_table": "outputs",
    "best_fragment": "outputs",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'loyaltysim.calibration' has no attribute {name!r}")
    return getattr(importlib.import_module(f"loyaltysim.calibration.{_EXPORTS[name]}"), name)
