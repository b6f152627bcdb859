"""The ``loyaltysim calibrate`` command (registered by :mod:`loyaltysim.cli`).

Exit codes: 0 the calibration finished (report written); 1 every trial failed; 2 a bad targets
file, argument or calibration folder (the message names file, key path and what is allowed);
130 interrupted (finished trials are kept: rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from loyaltysim.argtypes import whole_number

__all__ = ["calibrate", "register"]

EPILOG = """\
examples:
  loyaltysim calibrate examples/calibration/targets.toml --out calibrations/pharmacy
      fit the free parameters to the targets on every CPU of this machine
  loyaltysim calibrate targets.toml --out calibrations/mine --trials 400 --workers 2
  loyaltysim calibrate targets.toml --out calibrations/mine --cluster local
      the same through a Dask LocalCluster (--scheduler ADDRESS: a running Dask cluster)

Trials are asked of a seeded Optuna sampler in batches of the targets file's batch_size and
told back in order, so the result does not depend on the number of workers. Each finished trial
is appended to DIR/trials.jsonl as it finishes; rerunning the same command (or --resume) replays
the study and evaluates only the missing trials, ending exactly as an uninterrupted run. Writes
DIR/best.toml (the best coefficients, a scenario fragment to extend), DIR/trials.parquet (every
trial) and DIR/report.md with PNGs. The targets file format: docs/calibration.md.
"""

_positive = whole_number(1)
_seed = whole_number(0, 2**31 - 1)


def register(sub: Any) -> None:
    """Add the ``calibrate`` subcommand to the ``loyaltysim`` parser."""
    parser = sub.add_parser(
        "calibrate",
        help="fit free parameters to observed targets (Optuna; resumable)",
        description="Calibrate a scenario's coefficients to targets: metrics over weeks, event "
        "effects, validation findings, a store's weekly figures (CSV) or ranges.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", metavar="TARGETS.toml", help="targets file (docs/calibration.md)")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="calibration folder (default: calibrations/<name>)"
    )
    parser.add_argument("--trials", type=_positive, metavar="N", help="trials (default: the file's trials)")
    parser.add_argument(
        "--seed", type=_seed, metavar="S", help="the sampler's seed (default: the file's seed)"
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes on this machine (default: every CPU; with --cluster local: its workers)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="submit to a running Dask scheduler")
    where.add_argument("--cluster", choices=["local"], help="start a Dask LocalCluster on this machine")
    parser.add_argument(
        "--resume", action="store_true", help="continue the calibration in DIR (an error if there is none)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    parser.set_defaults(func=cmd_calibrate)


def calibrate(
    targets: str | Path,
    out: str | Path,
    *,
    trials: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    resume: bool = False,
    progress: bool = False,
) -> Any:
    """Load ``targets``, run (or resume) the calibration into ``out`` and write its outputs;
    return the :class:`~loyaltysim.calibration.study.CalibrationRun`."""
    from loyaltysim.calibration.outputs import write_best, write_trials
    from loyaltysim.calibration.report import write_report
    from loyaltysim.calibration.spec import load_targets
    from loyaltysim.calibration.study import run_calibration

    loaded = load_targets(targets)
    run = run_calibration(
        loaded,
        out,
        trials=trials,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        cluster=cluster,
        resume=resume,
        progress=progress,
    )
    folder = Path(out)
    write_trials(run, folder)
    if run.best is not None:
        write_best(run, folder)
    write_report(run, folder)
    return run


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim calibrate``: run or resume a calibration and write its outputs."""
    out = args.out or Path("calibrations") / Path(args.targets).stem
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run = calibrate(
            args.targets,
            out,
            trials=args.trials,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            cluster=args.cluster,
            resume=args.resume,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        print(
            f"loyaltysim: interrupted; finished trials are kept in {out}. Rerun the same command to "
            "finish the rest.",
            file=sys.stderr,
        )
        return 130
    best = run.best
    if best is None:
        print(f"loyaltysim: every trial failed; see {out / 'report.md'}.", file=sys.stderr)
        return 1
    console.print(
        Text(
            f"{run.loaded.name}: {len(run.finished)} trials ({len(run.evaluated)} evaluated now); best "
            f"trial {best['number']}, loss {best['loss']:.4g}. Wrote {out / 'best.toml'}, "
            f"{out / 'trials.parquet'}, {out / 'report.md'}"
        )
    )
    return 0
