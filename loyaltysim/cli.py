"""The ``loyaltysim`` command line: run a scenario, compare scenarios, inspect scenario files.

    loyaltysim run corner_pharmacy
    loyaltysim compare corner_pharmacy loyal_brand --report reports/pharmacy_vs_brand
    loyaltysim scenarios list | show NAME | validate FILE...

Exit codes: 0 success, 1 invalid files (``scenarios validate``) or an output that could not be
written, 2 bad arguments or an invalid scenario/override (the message says which file and key),
130 interrupted.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from loyaltysim import __version__
from loyaltysim.argtypes import whole_number
from loyaltysim.calibration.cli import register as register_calibrate
from loyaltysim.engines import ENGINES
from loyaltysim.extras import missing_extra_message
from loyaltysim.metrics import FIRM_METRICS, HEADLINE_METRICS
from loyaltysim.report import (
    DECISIONS_FILE,
    EVENT_WINDOW,
    LAST_WEEKS,
    comparison_rows,
    effect_share,
    effect_value,
    format_value,
    reading,
    run_title,
    summarise_firm,
)
from loyaltysim.runs import run_decisions
from loyaltysim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_to_toml,
    shipped_scenarios,
)
from loyaltysim.sweep.cli import register as register_sweep_commands
from loyaltysim.transactions import TransactionRecorder, transactions_path, write_transactions
from loyaltysim.ui.command import register as register_ui
from loyaltysim.validation.cli import register as register_validate

if TYPE_CHECKING:
    from loyaltysim.counterfactual import EventEffects
    from loyaltysim.report import RunLike

ProgressCallback = Callable[[int, int], None]

# --------------------------------------------------------------------------------------------------
# Argument parsing

RUN_EPILOG = """\
examples:
  loyaltysim run corner_pharmacy
      simulate the shipped scenario; write runs/corner_pharmacy/
  loyaltysim run pharmacy_vs_brand --weeks 156 --customers 5000 --seed 7
  loyaltysim run my_town.toml --set firms.pharmacy.culture.trust=0.8 --out runs/trusting
  loyaltysim run corner_pharmacy --quiet        (no progress bar)
  loyaltysim run corner_pharmacy --transactions runs/tx.parquet   (also every purchase)

writes to DIR: firm_weekly.csv and firm_weekly.parquet (one row per firm per week, columns
week, firm and every metric), scenario.toml (the scenario as run - overrides applied, events
as given - so 'loyaltysim run DIR/scenario.toml' reproduces the run exactly),
dick_basu.png, dashboard.png, complaints.png, summary.csv, decisions.csv (what each firm's
management policy, firms.<id>.policy, changed and why: week, firm, change, why; only the header
when no firm decided anything); prints a summary per firm and how many decisions each firm made.
A scenario with events also gets, per event week, the same run without that week's events (same
seed: identical until the event) and their difference: event_effects.csv (per firm, revenue,
profit and purchases over --effect-window weeks from the event, customers at its end; effect =
with - without, negative = lost because of the event) and event_effects.png (revenue and
customers with the event, solid, and without it, dashed). --no-counterfactual skips those runs.
"""

COMPARE_EPILOG = """\
examples:
  loyaltysim compare corner_pharmacy loyal_brand
  loyaltysim compare corner_pharmacy loyal_brand --report reports/pharmacy_vs_brand
  loyaltysim compare discount_chain turnaround fear_culture --weeks 260 --seed 3
  loyaltysim compare corner_pharmacy my_variant.toml --set market.customers=5000

Every scenario runs with the same seed (common random numbers: the same customers and the same
luck), so differences come from the scenarios, not from noise. Without --seed, the first
scenario's market.seed is used for all. Each scenario's focus firm is compared.

writes to DIR: <scenario>/firm_weekly.csv, .parquet, scenario.toml and decisions.csv (the
management policies' decisions: week, firm, change, why; header only if none) for every scenario,
compare_loyalty.png, compare_dashboard.png and comparison.csv; with --report R also
R/report.html (self-contained, images embedded) and R/report.md (with the PNGs beside it).
Scenarios with events are also run without each event week (same seed), as with 'run':
event_effects.csv (a row per scenario folder, event, firm and metric), event_effects.png (each
focus firm with and without its first event) and a report section on what the event cost each
store.
"""

SCENARIOS_EPILOG = """\
examples:
  loyaltysim scenarios list
  loyaltysim scenarios show corner_pharmacy
  loyaltysim scenarios show corner_pharmacy --set market.weeks=52 > my_pharmacy.toml
  loyaltysim scenarios validate my_pharmacy.toml other.toml
"""

SHOW_EPILOG = """\
examples:
  loyaltysim scenarios show loyal_brand
  loyaltysim scenarios show scenarios/turnaround.toml --set firms.discounter.price_index=0.95

Prints the fully resolved scenario (inheritance and overrides applied, every default filled in)
as TOML; the output is itself a valid scenario file.
"""

VALIDATE_EPILOG = """\
examples:
  loyaltysim scenarios validate my_town.toml
  loyaltysim scenarios validate scenarios/*.toml

Prints "OK" for each valid file and the problem (file, key path, what is allowed) for each
invalid one. Exit code 1 if any file is invalid.
"""

LIST_EPILOG = """\
examples:
  loyaltysim scenarios list
"""


_count = whole_number(1)
_seed = whole_number(0)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``compare``."""
    parser.add_argument(
        "--weeks",
        type=_count,
        metavar="N",
        help="length of the run in weeks (default: the scenario's market.weeks)",
    )
    parser.add_argument(
        "--customers",
        type=_count,
        metavar="N",
        help="customers in town (default: the scenario's market.customers)",
    )
    parser.add_argument(
        "--seed", type=_seed, metavar="N", help="random seed (default: the scenario's market.seed)"
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="simulation engine (default: the scenario's market.engine, 'numba'); "
        "both give the same numbers, 'reference' is per-agent Python",
    )
    _add_set_option(parser)
    parser.add_argument(
        "--effect-window",
        type=_count,
        default=26,
        metavar="N",
        help="weeks from an event over which its effect is measured against the same run without "
        "it (default: 26)",
    )
    parser.add_argument(
        "--no-counterfactual",
        action="store_true",
        help="skip the runs without each event (no event_effects.csv, no effects table)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no list of written files"
    )


def _add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="set",
        help="override a scenario value by its dotted key, e.g. "
        "firms.pharmacy.culture.trust=0.8 (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``loyaltysim`` command."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="loyaltysim",
        formatter_class=formatter,
        description="Agent-based simulator of customer loyalty: retention is not loyalty.",
        epilog="examples:\n  loyaltysim scenarios list\n  loyaltysim run corner_pharmacy\n"
        "  loyaltysim compare corner_pharmacy loyal_brand --report reports/cmp\n\n"
        "Run 'loyaltysim COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"loyaltysim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="simulate one scenario; write tables, plots and a summary",
        description="Simulate one scenario, write its weekly per-firm table "
        "(CSV and Parquet), the resolved scenario and plots, and "
        "print a summary table per firm.",
        epilog=RUN_EPILOG,
        formatter_class=formatter,
    )
    run.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="shipped scenario name (see 'loyaltysim scenarios list') or a .toml path",
    )
    _add_run_options(run)
    run.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: runs/<scenario name>)")
    run.add_argument(
        "--transactions",
        type=transactions_path,
        metavar="FILE",
        help="also write every purchase at a firm to FILE (.csv or .parquet): "
        "customer_id, firm, week, date, amount, generation - the input of "
        "customer-lifetime-value tools (see loyaltysim/transactions.py)",
    )
    run.set_defaults(func=cmd_run)

    compare = sub.add_parser(
        "compare",
        help="run scenarios with the same seed; compare their focus firms",
        description="Run two or more scenarios with common "
        "random numbers and compare each one's focus firm: overlaid plots, "
        "a side-by-side summary and, with --report, an HTML/Markdown report.",
        epilog=COMPARE_EPILOG,
        formatter_class=formatter,
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="two or more shipped scenario names or .toml paths"
    )
    _add_run_options(compare)
    compare.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: runs/compare_<first>_vs_<second>...)"
    )
    compare.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also write DIR/report.html (self-contained) and DIR/report.md",
    )
    compare.set_defaults(func=cmd_compare)

    scen = sub.add_parser(
        "scenarios",
        help="list, show or validate scenario files",
        description="Inspect shipped and user scenario files.",
        epilog=SCENARIOS_EPILOG,
        formatter_class=formatter,
    )
    scen_sub = scen.add_subparsers(dest="action", metavar="ACTION", required=True)
    lst = scen_sub.add_parser(
        "list",
        help="shipped scenarios with their descriptions",
        description="List the shipped scenarios: name, focus firm and description.",
        epilog=LIST_EPILOG,
        formatter_class=formatter,
    )
    lst.set_defaults(func=cmd_scenarios_list)
    show = scen_sub.add_parser(
        "show",
        help="print a scenario fully resolved, as TOML",
        description="Print a scenario with inheritance, overrides and defaults resolved, as TOML.",
        epilog=SHOW_EPILOG,
        formatter_class=formatter,
    )
    show.add_argument("scenario", metavar="NAME_OR_FILE", help="shipped scenario name or .toml path")
    _add_set_option(show)
    show.set_defaults(func=cmd_scenarios_show)
    validate = scen_sub.add_parser(
        "validate",
        help="check scenario files; exit 1 if any is invalid",
        description="Validate scenario files against the schema.",
        epilog=VALIDATE_EPILOG,
        formatter_class=formatter,
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files (or names)")
    validate.set_defaults(func=cmd_scenarios_validate)
    register_sweep_commands(sub)
    register_calibrate(sub)
    register_ui(sub)
    register_validate(sub)
    return parser


# --------------------------------------------------------------------------------------------------
# Terminal output


def _stdout_console() -> Console:
    """Console for results; wide enough for tables when piped to a file."""
    if sys.stdout.isatty():
        return Console()
    return Console(width=140, soft_wrap=False, color_system=None)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int], ProgressCallback]]:
    """Yield ``task(description, total) -> progress(done, total)``; a rich bar on stderr if
    ``enabled`` and stderr is a terminal, silent otherwise."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda _description, _total: lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("weeks"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:

        def task(description: str, total: int) -> ProgressCallback:
            task_id = bar.add_task(description, total=total)

            def update(done: int, total_weeks: int) -> None:
                bar.update(task_id, completed=done, total=total_weeks)

            return update

        yield task


def _metric_cell(metric: str, value: float) -> Text:
    return Text(format_value(metric, value), justify="right")


def firm_summary_table(run: RunLike, firm: str) -> Table:
    """Rich table of one firm's headline metrics: last weeks, and before/after the first event."""
    summary = summarise_firm(run, firm)
    title = f"{summary.label} ({firm}) — {run.scenario.name}"
    table = Table(title=Text(title), title_justify="left")
    table.add_column("metric")
    table.add_column("unit", style="dim")
    table.add_column(f"last {LAST_WEEKS} wk", justify="right")
    if summary.event is not None:
        week, label = summary.event
        table.caption = Text(
            f"first event, week {week}: {label}; before = weeks "
            f"{max(1, week - EVENT_WINDOW)}-{week - 1}, after = weeks "
            f"{week}-{week + EVENT_WINDOW - 1}"
        )
        table.caption_justify = "left"
        table.add_column(f"{EVENT_WINDOW} wk before", justify="right")
        table.add_column(f"{EVENT_WINDOW} wk after", justify="right")
    for metric in HEADLINE_METRICS:
        cells = [Text(metric), Text(FIRM_METRICS[metric].unit), _metric_cell(metric, summary.last[metric])]
        if summary.before is not None and summary.after is not None:
            cells += [
                _metric_cell(metric, summary.before[metric]),
                _metric_cell(metric, summary.after[metric]),
            ]
        table.add_row(*cells)
    return table


#: How the effects table names each metric of :data:`loyaltysim.counterfactual.EFFECT_METRICS`.
EFFECT_NAMES = {
    "revenue": "revenue",
    "profit": "profit",
    "purchases": "purchases",
    "customer_base": "customers",
}


def effects_table(effects: EventEffects, week: int, firms: Sequence[str] | None = None) -> Table:
    """Rich table of one event week's effect on each firm, against the same run without it."""
    from loyaltysim.counterfactual import event_noun

    spec = effects.scenario
    rows = effects.table[effects.table["event_week"] == week]
    first, last = int(rows["first_week"].iloc[0]), int(rows["last_week"].iloc[0])
    title = (
        f"What {event_noun(spec, week)} did (week {week}) — {spec.name}: "
        "against the same run without the event (same seed)"
    )
    table = Table(title=Text(title), title_justify="left")
    cut = " (cut at the run's end)" if last - first + 1 < effects.window_weeks else ""
    table.caption = Text(
        f"{effects.label(week)}. Revenue, profit and purchases summed over weeks {first}-{last}{cut}; "
        f"customers in week {last}. Effect = with - without: negative = lost because of the event."
    )
    table.caption_justify = "left"
    for name, justify in (("firm", "left"), ("metric", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name in ("with the event", "without it", "effect", "effect %"):
        table.add_column(name, justify="right")
    order = list(firms) if firms is not None else list(dict.fromkeys(rows["firm"]))
    for firm in order:
        label = spec.firms[firm].label or firm if firm in spec.firms else firm
        for row in rows[rows["firm"] == firm].itertuples():
            table.add_row(
                Text(label),
                Text(EFFECT_NAMES.get(str(row.metric), str(row.metric))),
                Text(effect_value(str(row.metric), float(row.factual))),
                Text(effect_value(str(row.metric), float(row.counterfactual))),
                Text(effect_value(str(row.metric), float(row.effect), signed=True)),
                Text(effect_share(float(row.effect_share))),
            )
    return table


def comparison_table(runs: Sequence[RunLike]) -> Table:
    """Rich table comparing each run's focus firm side by side."""
    table = Table(
        title=Text(f"Focus firms compared (means over the last {LAST_WEEKS} weeks unless stated)"),
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("unit", style="dim")
    for run in runs:
        table.add_column(Text(run_title(run)), justify="right")
    for row in comparison_rows(runs):
        table.add_row(Text(row.label), Text(row.unit), *(Text(v, justify="right") for v in row.formatted()))
    return table


# --------------------------------------------------------------------------------------------------
# Files


#: Default output root of ``run`` and ``compare``.
RUNS_ROOT = Path("runs")
#: Longest output folder name made from scenario names.
FOLDER_CHARS = 80


def folder_name(name: str) -> str:
    """A scenario name as one safe folder name: letters, digits, '.', '-' and '_' kept, runs of
    anything else (path separators, NUL, spaces) as one '_', no leading '.' or '-', at most
    :data:`FOLDER_CHARS` characters; 'scenario' when nothing is left (``""``, ``"."``, ``".."``).
    A name can therefore never lead out of the output root."""
    cleaned = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII).lstrip(".-")[:FOLDER_CHARS]
    return cleaned.rstrip(".") or "scenario"


def _default_out(*names: str) -> Path:
    """``runs/<name>`` (``runs/compare_<a>_vs_<b>...`` for several), checked to stay in runs/."""
    if len(names) == 1:
        folder = folder_name(names[0])
    else:
        folder = folder_name("compare_" + "_vs_".join(folder_name(n) for n in names))
    out = RUNS_ROOT / folder
    root = RUNS_ROOT.resolve()
    if out.resolve().parent != root:  # folder_name makes this impossible; keep it impossible
        raise ScenarioError(f"output folder {out} would lie outside {RUNS_ROOT}/.")
    return out


@contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Name the output folder in a write error that names no file (a full disk, say)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, f"cannot write the results ({exc.strerror or exc})", str(out)) from None
        raise


def _prepare_out(out: Path) -> Path:
    """Create the output folder before anything runs, so that a bad one fails in a second."""
    with _writing(out):
        out.mkdir(parents=True, exist_ok=True)
    return out


def _write_tables(run: RunLike, out: Path) -> list[Path]:
    """Write the run's tidy table (CSV, Parquet), resolved scenario (TOML) and management
    decisions (``decisions.csv``, only the header when there were none) to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv, parquet, toml = out / "firm_weekly.csv", out / "firm_weekly.parquet", out / "scenario.toml"
    run.firm_weekly.to_csv(csv, index=False)
    run.firm_weekly.to_parquet(parquet, index=False, engine="pyarrow")
    toml.write_text(scenario_to_toml(run.scenario), encoding="utf-8")
    decisions = out / DECISIONS_FILE
    run_decisions(run).to_csv(decisions, index=False)
    return [csv, parquet, toml, decisions]


def decisions_line(run: RunLike, path: Path) -> Text | None:
    """One line: how many decisions each firm's policy made and where they are (None if none),
    e.g. "decisions: discounter (cost_cutting) 7 - runs/discount_spiral/decisions.csv"."""
    counts = run_decisions(run)["firm"].value_counts()
    if counts.empty:
        return None
    firms = [key for key in _firms_focus_first(run.scenario) if key in counts.index]
    firms += [key for key in counts.index if key not in firms]
    parts = []
    for key in firms:
        policy = run.scenario.firms[key].policy if key in run.scenario.firms else "?"
        parts.append(f"{key} ({policy}) {int(counts[key])}")
    return Text(f"decisions: {', '.join(parts)} - {path}")


def _firms_focus_first(scenario: Scenario) -> list[str]:
    """Firm keys with the scenario's focus firm first, the others in file order."""
    focus = scenario.focus_firm
    return [focus, *(key for key in scenario.firms if key != focus)]


def _write_run_summary(run: RunLike, out: Path) -> Path:
    """Write ``summary.csv``: per firm and headline metric, last-weeks/before/after means."""
    import pandas as pd

    rows = []
    for firm in _firms_focus_first(run.scenario):
        s = summarise_firm(run, firm)
        for metric in HEADLINE_METRICS:
            rows.append(
                {
                    "firm": firm,
                    "metric": metric,
                    "unit": FIRM_METRICS[metric].unit,
                    f"last_{LAST_WEEKS}_weeks": s.last[metric],
                    "before_first_event": s.before[metric] if s.before else math.nan,
                    "after_first_event": s.after[metric] if s.after else math.nan,
                    "first_event_week": s.event[0] if s.event else None,
                }
            )
    path = out / "summary.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _write_comparison_csv(runs: Sequence[RunLike], out: Path) -> Path:
    import pandas as pd

    titles = [run_title(run) for run in runs]
    frame = pd.DataFrame(
        [
            {"metric": row.label, "unit": row.unit, **dict(zip(titles, row.values, strict=True))}
            for row in comparison_rows(runs)
        ]
    )
    path = out / "comparison.csv"
    frame.to_csv(path, index=False)
    return path


def _write_effects_csv(
    effects: Sequence[EventEffects], out: Path, names: Sequence[str] | None = None
) -> Path:
    """Write ``event_effects.csv``: the effects table of every run, a ``scenario`` column first
    (``names``, e.g. the output folders of compared runs; by default the scenarios' names)."""
    import pandas as pd

    names = names or [e.scenario.name for e in effects]
    frames = [e.table.assign(scenario=name) for e, name in zip(effects, names, strict=True)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = table[["scenario", *(c for c in table.columns if c != "scenario")]]
    path = out / "event_effects.csv"
    table.to_csv(path, index=False)
    return path


def _report_written(console: Console, paths: Sequence[Path], quiet: bool) -> None:
    if quiet:
        return
    for path in paths:
        console.print(Text(f"wrote {path}", style="dim"), soft_wrap=True)  # a path is not wrapped


# --------------------------------------------------------------------------------------------------
# Commands


def _load(source: str, args: argparse.Namespace, seed: int | None = None) -> Scenario:
    """Load a scenario with ``--set`` overrides, then ``--weeks``/``--customers``/``--engine``
    and ``seed`` (validated together, before anything runs)."""
    market = {"weeks": args.weeks, "customers": args.customers, "seed": seed, "engine": args.engine}
    extra = [f"market.{key}={value}" for key, value in market.items() if value is not None]
    return load_scenario(source, [*args.set, *extra])


def _simulate(scenario: Scenario, progress: ProgressCallback, on_week=None) -> RunLike:
    from loyaltysim.simulate import simulate

    return simulate(scenario, progress=progress, on_week=on_week)


def _measure(
    result: RunLike, args: argparse.Namespace, task: Callable[[str, int], ProgressCallback]
) -> EventEffects | None:
    """The run's event effects against the same run without each event week (None with
    ``--no-counterfactual`` or when no event fires within the run)."""
    from loyaltysim.counterfactual import event_weeks, measure_events

    if args.no_counterfactual or not event_weeks(result.scenario):
        return None

    def run(spec: Scenario):
        description = f"{spec.name} without an event"
        return _simulate(spec, task(description, spec.market.weeks)).firm_weekly

    return measure_events(
        result.scenario, window_weeks=args.effect_window, factual=result.firm_weekly, run=run
    )


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim run``: simulate, write tables/plots/scenario, print per-firm summaries."""
    scenario = _load(args.scenario, args, args.seed)
    out = _prepare_out(args.out or _default_out(scenario.name))
    recorder = TransactionRecorder() if args.transactions else None
    with _progress(not args.quiet) as task:
        result = _simulate(
            scenario,
            task(scenario.name, scenario.market.weeks),
            on_week=None if recorder is None else recorder.record,
        )
        effects = _measure(result, args, task)
    from loyaltysim import plots

    with _writing(out):
        written = _write_tables(result, out)
        if recorder is not None:
            written.append(write_transactions(recorder.frame(), args.transactions))
        written.append(_write_run_summary(result, out))
        written += plots.save_figures(plots.run_figures(result), out)
        if effects is not None:
            written.append(_write_effects_csv([effects], out))
            figure = plots.effects_figure([(effects, _firms_focus_first(result.scenario))])
            written += plots.save_figures({"event_effects": ("", figure)}, out)
    for firm in _firms_focus_first(result.scenario):
        console.print(firm_summary_table(result, firm))
    line = decisions_line(result, out / DECISIONS_FILE)
    if line is not None:
        console.print(line, soft_wrap=True)  # a path: one line, however long
    if effects is not None:
        for week in effects.weeks:
            console.print(effects_table(effects, week, _firms_focus_first(result.scenario)))
    _report_written(console, written, args.quiet)
    return 0


def _unique_dirs(runs: Sequence[RunLike]) -> list[str]:
    """Folder names for compared runs: scenario names, suffixed -2, -3... when repeated."""
    names: list[str] = []
    for run in runs:
        base = folder_name(run.scenario.name)
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim compare``: run every scenario with the same seed; compare focus firms."""
    if len(args.scenarios) < 2:
        raise ScenarioError(
            "compare needs at least two scenarios, e.g. 'loyaltysim compare corner_pharmacy loyal_brand'."
        )
    first = _load(args.scenarios[0], args, args.seed)
    seed = first.market.seed  # common random numbers: every scenario runs with this seed
    scenarios = [first, *(_load(source, args, seed) for source in args.scenarios[1:])]
    out = _prepare_out(args.out or _default_out(*(s.name for s in scenarios)))
    runs = []
    with _progress(not args.quiet) as task:
        for scenario in scenarios:
            runs.append(_simulate(scenario, task(scenario.name, scenario.market.weeks)))
        measured = [_measure(run, args, task) for run in runs]
    effects = [e for e in measured if e is not None]
    written: list[Path] = []
    from loyaltysim import plots

    with _writing(out):
        for run, folder in zip(runs, _unique_dirs(runs), strict=True):
            written += _write_tables(run, out / folder)
        images = plots.render_png(plots.comparison_figures(runs))
        if effects:
            from loyaltysim.report import EFFECTS_CAPTION, EFFECTS_FIGURE

            figure = plots.effects_figure([(e, [e.scenario.focus_firm]) for e in effects])
            images[EFFECTS_FIGURE] = (EFFECTS_CAPTION, plots.figure_png(figure))
        written += plots.save_figures(images, out)
        written.append(_write_comparison_csv(runs, out))
        if effects:
            folders = [f for f, m in zip(_unique_dirs(runs), measured, strict=True) if m is not None]
            written.append(_write_effects_csv(effects, out, folders))
    if args.report is not None:
        from loyaltysim.report import write_report

        with _writing(args.report):
            written += write_report(runs, args.report, images=images, effects=measured)
    console.print(comparison_table(runs))
    for sentence in reading(runs):
        console.print(Text(f"• {sentence}"))
    for run, folder in zip(runs, _unique_dirs(runs), strict=True):
        line = decisions_line(run, out / folder / DECISIONS_FILE)
        if line is not None:
            console.print(line, soft_wrap=True)  # a path: one line, however long
    for run, measure in zip(runs, measured, strict=True):
        if measure is not None:
            for week in measure.weeks:
                console.print(effects_table(measure, week, _firms_focus_first(run.scenario)))
    _report_written(console, written, args.quiet)
    return 0


def cmd_scenarios_list(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim scenarios list``: shipped scenario names, focus firms and descriptions."""
    table = Table(title="Shipped scenarios", title_justify="left")
    table.add_column("name")
    table.add_column("focus")
    table.add_column("description")
    for name, path in shipped_scenarios().items():
        try:
            scenario = load_scenario(path)
            focus, description = scenario.focus_firm, scenario.description
        except ScenarioError as exc:
            focus, description = "-", f"INVALID: {exc}"
        table.add_row(Text(name), Text(focus), Text(description))
    console.print(table)
    return 0


def cmd_scenarios_show(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim scenarios show``: the fully resolved scenario as TOML on stdout."""
    scenario = load_scenario(args.scenario, args.set)
    sys.stdout.write(scenario_to_toml(scenario))
    return 0


def cmd_scenarios_validate(args: argparse.Namespace, console: Console) -> int:
    """``loyaltysim scenarios validate``: OK or the problem for each file; 1 if any invalid."""
    bad = 0
    for file in args.files:
        try:
            load_scenario(file)
        except ScenarioError as exc:
            bad += 1
            print(f"{file}: INVALID\n  {exc}", file=sys.stderr)
        else:
            print(f"{file}: OK")
    if bad:
        print(f"{bad} of {len(args.files)} scenario file(s) invalid.", file=sys.stderr)
    return 1 if bad else 0


# --------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``loyaltysim`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, _stdout_console())
    except ScenarioError as exc:
        print(f"loyaltysim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("loyaltysim: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:  # an optional extra (UI, Dask, CLV) that is not installed
        message = missing_extra_message(exc)
        if message is None:
            raise
        print(f"loyaltysim: error: {message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"loyaltysim: error: {exc}", file=sys.stderr)
        return 1
