"""The ``loyaltysim sweep`` and ``loyaltysim analyze`` commands (registered by loyaltysim.cli).

Exit codes: 0 every run finished (or analysis written); 1 some runs failed every attempt (listed),
or analyze left out damaged run files (named; rerun the sweep to redo them);
2 a bad experiment, argument or results folder (the message names file, key and what is allowed);
130 interrupted (finished runs are kept: rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from loyaltysim.argtypes import whole_number

__all__ = ["register"]

SWEEP_EPILOG = """\
examples:
  loyaltysim sweep empowerment_x_trust --out sweeps/emp_trust
      run a shipped experiment on every CPU of this machine
  loyaltysim sweep my_experiment.toml --out sweeps/mine --workers 4
  loyaltysim sweep my_experiment.toml --out sweeps/mine --cluster local
      the same through a Dask LocalCluster
  loyaltysim sweep my_experiment.toml --out sweeps/mine --scheduler tcp://10.0.0.5:8786
      submit to a running Dask cluster (start it with 'dask scheduler' and
      'dask worker tcp://10.0.0.5:8786 --nthreads 1' on each machine)
  loyaltysim sweep culture_sobol --out sweeps/smoke --set market.customers=300

Runs every parameter point x replication and writes each run, as it finishes, to
DIR/runs/<run>.parquet (atomically), with DIR/manifest.json recording the experiment's hash, the
package version and every run's parameters, seed and status. Rerunning the same command on the
same DIR resumes: finished runs are skipped, missing or partial ones are redone. A changed
experiment is refused unless --force. A run that fails is retried --retries times, then recorded
in DIR/failures/ and listed; the exit code is then 1. Every run file carries a checksum;
a damaged one (truncated, junk, changed bytes) is moved to DIR/damaged/ and redone on resume.
Shipped experiments are in experiments/ (see the README's "Researchers" section).
"""

ANALYZE_EPILOG = """\
examples:
  loyaltysim analyze sweeps/emp_trust
  loyaltysim analyze sweeps/culture_sobol --out reports/sobol --confidence 0.9

writes to DIR/analysis (or --out): summary.csv and summary.md (mean over replications with a
t confidence interval per point, firm, window and metric), sensitivity.csv (Sobol or Morris
designs: SALib indices), failures.csv (if runs failed) and PNG plots: heatmap_*.png (2-D grids),
response_*.png (response curves / main effects), indices_*.png (Sobol/Morris index bars).
Only run files whose checksum matches are used: damaged ones are named on stderr and in
summary.md, and the exit code is then 1; partial results (failed or unfinished runs) are warned
about.
"""


_count = whole_number(0)
_positive = whole_number(1)


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be between 0 and 1 (e.g. 0.95)")
    return value


def register(sub: Any) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands to the ``loyaltysim`` parser."""
    formatter = argparse.RawDescriptionHelpFormatter
    sweep = sub.add_parser(
        "sweep",
        help="run an experiment's points x replications (resumable)",
        description="Run every parameter point x replication of an "
        "experiment on a local process pool or a Dask cluster, "
        "writing each run's results as it finishes.",
        epilog=SWEEP_EPILOG,
        formatter_class=formatter,
    )
    sweep.add_argument(
        "experiment", metavar="EXPERIMENT", help="experiment .toml file or shipped experiment name"
    )
    sweep.add_argument(
        "--out", type=Path, metavar="DIR", help="results folder (default: sweeps/<experiment name>)"
    )
    sweep.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes on this machine (default: every CPU; with "
        "--cluster local: the LocalCluster's workers)",
    )
    where = sweep.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="submit to a running Dask scheduler, e.g. tcp://host:8786"
    )
    where.add_argument("--cluster", choices=["local"], help="start a Dask LocalCluster on this machine")
    sweep.add_argument(
        "--retries",
        type=_count,
        default=2,
        metavar="N",
        help="retries of a failed run before it is recorded as failed (default: 2)",
    )
    sweep.add_argument(
        "--force",
        action="store_true",
        help="accept a DIR written by a changed experiment: keep the runs whose "
        "inputs are unchanged, redo the others",
    )
    sweep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="set",
        help="fixed scenario override for every run, e.g. market.customers=300 "
        "(repeatable; part of the experiment's identity)",
    )
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    sweep.set_defaults(func=cmd_sweep)

    analyze = sub.add_parser(
        "analyze",
        help="summaries, sensitivity indices and plots of a sweep",
        description="Summarise a sweep folder: per-point means with "
        "confidence intervals across replications, Sobol/Morris "
        "indices (SALib) for those designs, and PNG plots.",
        epilog=ANALYZE_EPILOG,
        formatter_class=formatter,
    )
    analyze.add_argument("directory", type=Path, metavar="DIR", help="a sweep's --out folder")
    analyze.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: DIR/analysis)")
    analyze.add_argument(
        "--confidence",
        type=_confidence,
        default=0.95,
        metavar="LEVEL",
        help="confidence level of the intervals (default: 0.95)",
    )
    analyze.add_argument("--no-plots", action="store_true", help="tables only")
    analyze.set_defaults(func=cmd_analyze)


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim sweep``: run (or resume) an experiment; report failures; exit 1 if any."""
    from loyaltysim.scenario import parse_override
    from loyaltysim.sweep.experiment import load_experiment
    from loyaltysim.sweep.runner import run_sweep

    cli_set = dict(parse_override(text) for text in args.set)
    loaded = load_experiment(args.experiment, cli_set)
    out = args.out or Path("sweeps") / loaded.name
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        report = run_sweep(
            loaded,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            cluster=args.cluster,
            retries=args.retries,
            force=args.force,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        from loyaltysim.sweep.experiment import ExperimentError
        from loyaltysim.sweep.results import load_manifest

        try:
            counts = load_manifest(out)["counts"]
        except ExperimentError:  # interrupted before the manifest was first written
            counts = {}
        print(
            f"loyaltysim: interrupted; {counts.get('done', '?')} of "
            f"{sum(counts.values()) if counts else '?'} runs are finished in {out}. Rerun the "
            "same command to finish the rest.",
            file=sys.stderr,
        )
        return 130
    if report.manifest_rebuilt:
        print(f"loyaltysim: {out / 'manifest.json'}: {report.manifest_rebuilt}.", file=sys.stderr)
    if report.damaged:
        print(
            f"loyaltysim: {len(report.damaged)} damaged run file(s) set aside in "
            f"{out / 'damaged'} and redone:",
            file=sys.stderr,
        )
        for run_id, reason in sorted(report.damaged.items())[:20]:
            print(f"  {run_id}: {reason}", file=sys.stderr)
    console.print(
        Text(
            f"{loaded.name}: {report.total} runs; {report.done} done ({report.already_done} from "
            f"earlier sweeps), {len(report.failed)} failed; {report.executor or 'nothing to run'}; "
            f"{report.wall_seconds:.1f} s. Results in {out}"
        )
    )
    if report.failed:
        print(
            f"{len(report.failed)} run(s) failed after {args.retries + 1} attempt(s) each "
            f"(details in {out / 'failures'}):",
            file=sys.stderr,
        )
        for run_id, message in sorted(report.failed.items())[:20]:
            print(f"  {run_id}: {message}", file=sys.stderr)
        if len(report.failed) > 20:
            print(f"  ... and {len(report.failed) - 20} more", file=sys.stderr)
        print("Fix the cause and rerun the same command to redo only these runs.", file=sys.stderr)
        return 1
    if not args.quiet:
        console.print(Text(f"next: loyaltysim analyze {out}", style="dim"))
    return 0


def cmd_analyze(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim analyze``: write summary tables, sensitivity indices and plots; exit 1 when
    damaged run files were left out (the analysis is written without them)."""
    from loyaltysim.sweep.analysis import analyze
    from loyaltysim.sweep.results import DamagedResultsWarning, SweepResultsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SweepResultsWarning)
        written = analyze(args.directory, args.out, confidence=args.confidence, plots=not args.no_plots)
    damaged = False
    for record in caught:
        if issubclass(record.category, SweepResultsWarning):
            damaged |= issubclass(record.category, DamagedResultsWarning)
            print(f"loyaltysim: warning: {args.directory}: {record.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    for path in written:
        console.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)  # a path is not wrapped
    return 1 if damaged else 0
