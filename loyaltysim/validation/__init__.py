"""The validation suite: does loyaltysim reproduce what loyalty research has measured?

``loyaltysim validate [--quick]`` runs the experiments in ``experiments/validation/`` (one per
finding, see :mod:`loyaltysim.validation.registry`) and writes ``docs/validation.md``.
"""

from loyaltysim.validation.experiment import (
    LoadedValidation,
    ValidationExperiment,
    ValidationExperimentError,
    load_validation,
)
from loyaltysim.validation.registry import FINDINGS, finding_module
from loyaltysim.validation.report import write_report
from loyaltysim.validation.result import Comparison, FindingResult
from loyaltysim.validation.runner import run_finding, run_validation

__all__ = [
    "FINDINGS",
    "Comparison",
    "FindingResult",
    "LoadedValidation",
    "ValidationExperiment",
    "ValidationExperimentError",
    "finding_module",
    "load_validation",
    "run_finding",
    "run_validation",
    "write_report",
]
