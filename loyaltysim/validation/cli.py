"""``loyaltysim validate``: run the validation findings and write ``docs/validation.md``; with
``--only``, update just those findings in an existing report; with ``--plausibility``, only its
section "Plausibility against published ranges"."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from loyaltysim.scenario import ScenarioError, load_scenario, parse_override
from loyaltysim.validation.registry import FINDINGS

#: The report of the model's defaults.
DEFAULT_REPORT = Path("docs/validation.md")

if TYPE_CHECKING:
    from loyaltysim.validation.result import FindingResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "validate",
        help="reproduce published loyalty findings; write docs/validation.md",
        description="Run the validation experiments (experiments/validation/) "
        "and write a report: each finding, the published and the simulated "
        "figure, a plot and the settings used; then (without --only) check every shipped "
        "scenario against the ranges real stores show and write the report's section "
        "'Plausibility against published ranges'.",
    )
    p.add_argument(
        "--quick", action="store_true", help="small populations (minutes, indicative; what CI runs)"
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="FINDING",
        choices=list(FINDINGS),
        help=f"run only these findings ({', '.join(FINDINGS)}); an existing report keeps every "
        "other finding, its other sections and figures, and only these findings' rows, sections "
        "and figures are rewritten",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"report path (figures go in a folder of the same stem beside it); default {DEFAULT_REPORT}",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        dest="overrides",
        metavar="KEY=VALUE",
        help="set a scenario key in every run - e.g. a candidate coefficient from `loyaltysim "
        "calibrate` - after each experiment's own settings (repeatable; as `run --set`). The report "
        "says so and lists the values used; it needs --out (the default report is the defaults')",
    )
    p.add_argument(
        "--plausibility",
        action="store_true",
        help="only check every shipped scenario against the published ranges (3,000 customers, "
        "3 seeds; --quick: 500 customers, 1 seed) and rewrite that section of the report, "
        "leaving the rest of it as it is (a full run without --only does both)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 when any comparison is not reproduced or any plausibility check fails",
    )
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace, _console: object = None) -> int:
    """Run the chosen findings, print a line per finding, write the report; 0 unless
    ``--strict`` and a comparison failed (2 on a bad experiment file, from the CLI's handler)."""
    from loyaltysim.validation.report import VERDICT_MARK, write_report
    from loyaltysim.validation.runner import run_validation

    def done(result: FindingResult) -> None:
        print(
            f"{result.title}: {VERDICT_MARK[result.verdict]} ({result.held_text} comparisons, "
            f"{result.seconds:.0f} s)",
            flush=True,
        )

    overrides = _overrides(args.overrides, args.out)
    out_path = args.out if args.out is not None else DEFAULT_REPORT
    failed = False
    if not args.plausibility:
        results = run_validation(args.only, quick=args.quick, on_done=done, overrides=overrides)
        # --only updates the named findings in an existing report and keeps the rest of it (not
        # with --set: the report is written anew, so that its statement of the keys set is true).
        update = args.only is not None and not overrides
        out = write_report(results, out_path, quick=args.quick, update=update, overrides=overrides)
        print(f"wrote {out}")
        failed = any(r.failed() for r in results)
    if args.plausibility or args.only is None:
        failed = _plausibility(out_path, args.quick, overrides) or failed
    return 1 if args.strict and failed else 0


def _overrides(texts: list[str], out: Path | None) -> dict[str, object]:
    """The ``--set`` keys, each checked against the schema (errors name the key and what is
    allowed, as ``run --set``); before anything runs, so a typo costs nothing."""
    overrides = dict(parse_override(text) for text in texts)
    if not overrides:
        return overrides
    if out is None or out.resolve() == DEFAULT_REPORT.resolve():
        raise ScenarioError(
            f"--set: a report of coefficients other than the defaults needs its own --out (not "
            f"{DEFAULT_REPORT}, the defaults' report)"
        )
    load_scenario("corner_pharmacy", overrides)
    return overrides


def _plausibility(out: Path, quick: bool, overrides: dict[str, object] | None = None) -> bool:
    """Measure the shipped scenarios, print a line each, write the section; True if any failed."""
    from loyaltysim.validation.plausibility import (
        ScenarioMeasurement,
        plausibility_table,
        run_plausibility,
        write_plausibility,
    )

    def done(m: ScenarioMeasurement) -> None:
        rows = plausibility_table([m])
        bad = rows[~rows["passed"].astype(bool)]
        ranges = bad.loc[bad["kind"] == "range", "quantity"].tolist()
        criteria = [
            f"{q} ({f})"
            for q, f in zip(
                bad.loc[bad["kind"] == "criterion", "quantity"],
                bad.loc[bad["kind"] == "criterion", "firm"],
                strict=True,
            )
        ]
        line = f"plausibility {m.scenario}: {len(rows) - len(bad)}/{len(rows)} checks hold"
        line += f"; outside the ranges: {', '.join(ranges)}" if ranges else ""
        line += f"; criteria failed: {', '.join(criteria)}" if criteria else ""
        print(line, flush=True)

    measurements = run_plausibility(quick=quick, on_done=done, overrides=overrides)
    written = write_plausibility(out, measurements, quick=quick, overrides=overrides)
    print(f"wrote {written} (plausibility)")
    return not bool(plausibility_table(measurements)["passed"].all())
