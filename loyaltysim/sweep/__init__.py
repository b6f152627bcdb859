"""Batch sweeps and sensitivity analysis: run an experiment's points x replications on a local
process pool or a Dask cluster, store every run atomically, resume, analyse.

    from loyaltysim.sweep import load_experiment, run_sweep, load_results
    report = run_sweep(load_experiment("empowerment_x_trust"), "sweeps/emp_trust")
    df = load_results("sweeps/emp_trust")          # tidy: one row per run, firm and output
                                                   # (damaged files left out, with a warning)

The command line is ``loyaltysim sweep EXPERIMENT --out DIR`` and ``loyaltysim analyze DIR``.
"""

from loyaltysim.sweep.experiment import Experiment, ExperimentError, load_experiment
from loyaltysim.sweep.results import (
    DamagedResultsWarning,
    PartialResultsWarning,
    SweepResultsWarning,
    load_manifest,
    load_results,
)
from loyaltysim.sweep.runner import SweepReport, run_sweep

__all__ = [
    "DamagedResultsWarning",
    "Experiment",
    "ExperimentError",
    "PartialResultsWarning",
    "SweepReport",
    "SweepResultsWarning",
    "load_experiment",
    "load_manifest",
    "load_results",
    "run_sweep",
]
