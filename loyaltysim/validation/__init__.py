"""The validation suite: does loyaltysim reproduce what loyalty research has measured?

``loyaltysim validate [--quick]`` runs the experiments in ``experiments/validation/`` (one per
finding, see :mod:`loyaltysim.validation.registry`) and writes ``docs/validation.md``.

The names below are imported on first use, so that the command line (which registers the
``validate`` subcommand at start-up) does not pay for pandas and matplotlib until it validates.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FINDINGS": "registry",
    "finding_module": "registry",
    "Comparison": "result",
    "FindingResult": "result",
    "LoadedValidation": "experiment",
    "ValidationExperiment": "experiment",
    "ValidationExperimentError": "experiment",
    "load_validation": "experiment",
    "run_finding": "runner",
    "run_validation": "runner",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'loyaltysim.validation' has no attribute {name!r}")
    return getattr(importlib.import_module(f"loyaltysim.validation.{_EXPORTS[name]}"), name)
