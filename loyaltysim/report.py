"""Summaries of simulation runs and the scenario-comparison report (HTML and Markdown).

Everything a report says is computed from the runs' data: the summary table, the event timeline and
the plain-language reading. Nothing about a particular scenario is written in here.

Windows used throughout (weeks are ticks, numbered from 1):

* **last** :data:`LAST_WEEKS` weeks of the run: "where the run ended up";
* **before** an event at week *e*: weeks ``e - EVENT_WINDOW .. e - 1`` (the event takes effect at
  the start of week *e*); **after**: weeks ``e .. e + EVENT_WINDOW - 1``;
* **kept** share of the customer base ``h`` weeks after the event: the customer base in week
  ``e + h - 1`` divided by the mean customer base over the *before* window, with ``h`` =
  :data:`KEPT_HORIZON` or fewer if the run ends sooner.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from loyaltysim.metrics import FIRM_METRICS, HEADLINE_METRICS
from loyaltysim.runs import RunLike, run_decisions, run_title

if TYPE_CHECKING:
    from loyaltysim.counterfactual import EventEffects

__all__ = [
    "DECISIONS_FILE",
    "DECISION_ROWS",
    "EVENT_WINDOW",
    "KEPT_HORIZON",
    "LAST_WEEKS",
    "ComparisonRow",
    "FirmSummary",
    "RunLike",
    "comparison_rows",
    "decisions_section",
    "effect_share",
    "effect_value",
    "effects_section",
    "first_event",
    "format_value",
    "kept_share",
    "reading",
    "summarise_firm",
    "write_report",
]

#: Weeks at the end of a run averaged for the headline summary.
LAST_WEEKS = 13
#: Weeks before and after an event averaged for before/after figures.
EVENT_WINDOW = 13
#: Weeks after an event over which the share of the customer base kept is measured.
KEPT_HORIZON = 26
#: File of a run's management decisions in its output folder (``loyaltysim run`` / ``compare``).
DECISIONS_FILE = "decisions.csv"
#: Decisions listed per run in the report; the rest are counted ("and N more").
DECISION_ROWS = 20


# --------------------------------------------------------------------------------------------------
# Numbers


def format_value(metric: str, value: float | None) -> str:
    """Format one metric value for tables and prose, following its unit in ``FIRM_METRICS``.

    Shares (unit "share ...") become percentages with one decimal ("81.3%"), dollars get a "$" and
    no decimals ("$1,234"), 0-1 scores (engagement, attachment...), probabilities and ratios three
    decimals ("0.512"), everything else (customers, points, counts per week) one decimal with
    thousands separators. Missing values (NaN, None: e.g. a firm that was closed) print as "n/a".
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = FIRM_METRICS[metric].unit if metric in FIRM_METRICS else ""
    if unit.startswith("share"):
        return f"{100 * value:.1f}%"
    if unit.startswith("dollars"):
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value):,.0f}"
    if "0-1" in unit or unit.startswith(("probability", "ratio")):
        return f"{value:.3f}"
    return f"{value:,.1f}"


def effect_value(metric: str, value: float, signed: bool = False) -> str:
    """A window's sum of revenue or profit ("$1,234") or a count (purchases, customers: "1,234");
    ``signed`` marks the direction ("+$1,234", "-1,234")."""
    if math.isnan(value):
        return "n/a"
    sign = ("+" if value > 0 else "-" if value < 0 else "±") if signed else ("-" if value < 0 else "")
    if metric in ("revenue", "profit"):
        return f"{sign}${abs(value):,.0f}"
    return f"{sign}{abs(value):,.0f}"


def effect_share(value: float) -> str:
    """An effect as a share of the run without the event: "-31.2%" ("n/a" where that was 0)."""
    return "n/a" if math.isnan(value) else f"{100 * value:+.1f}%"


def _firm_frame(firm_weekly: pd.DataFrame, firm: str) -> pd.DataFrame:
    return firm_weekly[firm_weekly["firm"] == firm].sort_values("week")


def window_mean(firm_weekly: pd.DataFrame, firm: str, metric: str, first: int, last: int) -> float:
    """Mean of ``metric`` for ``firm`` over weeks ``first..last`` inclusive (NaN if no data)."""
    frame = _firm_frame(firm_weekly, firm)
    values = frame.loc[(frame["week"] >= first) & (frame["week"] <= last), metric]
    return float(values.mean()) if values.notna().any() else math.nan


def first_event(events: Iterable[tuple[int, str]], weeks: int) -> tuple[int, str] | None:
    """The first event that fired with at least one week before it and one after (week 2..weeks).

    Events at week 0 or 1 set up the starting state; they have no "before" to compare with.
    """
    fired = sorted((int(w), str(label)) for w, label in events if 2 <= int(w) <= weeks)
    return fired[0] if fired else None


def kept_share(
    firm_weekly: pd.DataFrame, firm: str, event_week: int, horizon: int = KEPT_HORIZON
) -> tuple[float, int, float, float]:
    """Share of ``firm``'s customer base kept after the event of week ``event_week``.

    Returns ``(kept, weeks, before, after)``: ``before`` is the mean customer base (customers) over
    the :data:`EVENT_WINDOW` weeks before the event, ``after`` the customer base in week
    ``event_week + weeks - 1`` with ``weeks = min(horizon, weeks left in the run)``, and ``kept =
    after / before`` (share 0-1; NaN when ``before`` is zero or missing).
    """
    last_week = int(firm_weekly["week"].max())
    weeks = max(1, min(horizon, last_week - event_week + 1))
    before = window_mean(
        firm_weekly, firm, "customer_base", max(1, event_week - EVENT_WINDOW), event_week - 1
    )
    after = window_mean(firm_weekly, firm, "customer_base", event_week + weeks - 1, event_week + weeks - 1)
    kept = after / before if before and not math.isnan(before) else math.nan
    return kept, weeks, before, after


@dataclass(frozen=True)
class FirmSummary:
    """Headline metrics of one firm in one run.

    ``last``: mean over the last :data:`LAST_WEEKS` weeks; ``before``/``after``: means over the
    :data:`EVENT_WINDOW` weeks either side of ``event`` (None if no event fired). Units are those of
    :data:`loyaltysim.metrics.FIRM_METRICS`.
    """

    firm: str
    label: str
    last: dict[str, float]
    event: tuple[int, str] | None = None
    before: dict[str, float] | None = None
    after: dict[str, float] | None = None


def summarise_firm(run: RunLike, firm: str, metrics: Sequence[str] = HEADLINE_METRICS) -> FirmSummary:
    """Summarise ``firm`` in ``run``: headline metrics at the end and around the first event."""
    df = run.firm_weekly
    last_week = int(df["week"].max())
    start = max(1, last_week - LAST_WEEKS + 1)
    last = {m: window_mean(df, firm, m, start, last_week) for m in metrics}
    event = first_event(run.events, last_week)
    before = after = None
    if event is not None:
        week = event[0]
        before = {m: window_mean(df, firm, m, max(1, week - EVENT_WINDOW), week - 1) for m in metrics}
        after = {m: window_mean(df, firm, m, week, week + EVENT_WINDOW - 1) for m in metrics}
    label = run.scenario.firms[firm].label or firm
    return FirmSummary(firm, label, last, event, before, after)


@dataclass(frozen=True)
class ComparisonRow:
    """One row of the comparison table: a label, a unit and one value per scenario."""

    label: str
    unit: str
    metric: str | None
    values: list[float]

    def formatted(self) -> list[str]:
        """The values as display strings (units from the metric, or a percentage for shares)."""
        if self.metric is None:
            return [format_value("retention_base", v) for v in self.values]
        return [format_value(self.metric, v) for v in self.values]


def comparison_rows(runs: Sequence[RunLike]) -> list[ComparisonRow]:
    """The side-by-side summary of each run's focus firm.

    Headline metrics averaged over the last :data:`LAST_WEEKS` weeks, then the customer base
    before the first event and the share of it kept after (NaN where a run had no event).
    """
    summaries = [summarise_firm(run, run.scenario.focus_firm) for run in runs]
    rows = [
        ComparisonRow(f"{m} (last {LAST_WEEKS} wk)", FIRM_METRICS[m].unit, m, [s.last[m] for s in summaries])
        for m in HEADLINE_METRICS
    ]
    kept = []
    before = []
    for run in runs:
        event = first_event(run.events, int(run.firm_weekly["week"].max()))
        if event is None:
            kept.append(math.nan)
            before.append(math.nan)
            continue
        share, _, base_before, _ = kept_share(run.firm_weekly, run.scenario.focus_firm, event[0])
        kept.append(share)
        before.append(base_before)
    rows.append(
        ComparisonRow(
            f"customer_base ({EVENT_WINDOW} wk before first event)", "customers", "customer_base", before
        )
    )
    rows.append(
        ComparisonRow(f"customer base kept {KEPT_HORIZON} wk after first event", "share 0-1", None, kept)
    )
    return rows


# --------------------------------------------------------------------------------------------------
# Plain-language reading


def _who(run: RunLike) -> str:
    sc = run.scenario
    return f"{sc.firms[sc.focus_firm].label or sc.focus_firm} ({sc.name})"


def _event_sentences(runs: Sequence[RunLike]) -> list[str]:
    """One sentence per distinct first event: how much of its base each affected firm kept."""
    groups: dict[tuple[int, str], list[RunLike]] = {}
    for run in runs:
        event = first_event(run.events, int(run.firm_weekly["week"].max()))
        if event is not None:
            groups.setdefault(event, []).append(run)
    sentences = []
    for (week, label), members in groups.items():
        parts = []
        for run in members:
            share, weeks, before, after = kept_share(run.firm_weekly, run.scenario.focus_firm, week)
            parts.append(
                f"{_who(run)} kept {format_value('retention_base', share)} of its "
                f"customer base ({before:,.0f} → {after:,.0f} customers) in the {weeks} "
                "weeks after it"
            )
        sentences.append(f"First event, “{label}” (week {week}): " + "; ".join(parts) + ".")
    if not groups:
        sentences.append(
            "No timed event fired within the runs, so there is no before/after "
            "comparison; the figures below show the steady state."
        )
    return sentences


def _composition_sentence(runs: Sequence[RunLike]) -> str:
    """Retention vs loyalty at the end of each run: retained share and truly loyal share."""
    parts = []
    for run in runs:
        s = summarise_firm(
            run, run.scenario.focus_firm, ("retention_base", "true_loyal", "spurious_loyal", "customer_base")
        )
        base = s.last["customer_base"]
        true = s.last["true_loyal"] / base if base else math.nan
        spurious = s.last["spurious_loyal"] / base if base else math.nan
        retained = format_value("retention_base", s.last["retention_base"])
        true_text = format_value("retention_base", true)
        spurious_text = format_value("retention_base", spurious)
        parts.append(
            f"{_who(run)} retained {retained} of its base quarter on quarter; "
            f"{true_text} of the base was truly loyal and {spurious_text} merely "
            "retained (spuriously loyal)"
        )
    return f"Over the last {LAST_WEEKS} weeks: " + "; ".join(parts) + "."


def _ranking_sentence(runs: Sequence[RunLike], metric: str, noun: str) -> str | None:
    """Which run ranks highest and lowest on ``metric`` over the last weeks."""
    if len(runs) < 2:
        return None
    values = [(summarise_firm(run, run.scenario.focus_firm, (metric,)).last[metric], run) for run in runs]
    values = [(v, run) for v, run in values if not math.isnan(v)]
    if len(values) < 2:
        return None
    values.sort(key=lambda item: item[0], reverse=True)
    (hi, hi_run), (lo, lo_run) = values[0], values[-1]
    if format_value(metric, hi) == format_value(metric, lo):
        return (
            f"{noun.capitalize()} was the same in every scenario: {format_value(metric, hi)} "
            f"(mean over the last {LAST_WEEKS} weeks)."
        )
    return (
        f"Highest {noun}: {_who(hi_run)} at {format_value(metric, hi)}; lowest: "
        f"{_who(lo_run)} at {format_value(metric, lo)} (means over the last {LAST_WEEKS} "
        "weeks)."
    )


def _nps_noise_sentence(runs: Sequence[RunLike]) -> str | None:
    """Whether the NPS gap between the top two runs exceeds twice its sampling error."""
    if len(runs) < 2:
        return None
    stats = []
    for run in runs:
        s = summarise_firm(run, run.scenario.focus_firm, ("nps", "nps_se"))
        # Standard error of a mean of LAST_WEEKS independent weekly samples.
        stats.append((s.last["nps"], s.last["nps_se"] / math.sqrt(LAST_WEEKS), run))
    stats = [x for x in stats if not math.isnan(x[0]) and not math.isnan(x[1])]
    if len(stats) < 2:
        return None
    stats.sort(key=lambda item: item[0], reverse=True)
    (a, se_a, run_a), (b, se_b, run_b) = stats[0], stats[1]
    gap, se = a - b, math.hypot(se_a, se_b)
    verdict = "more than" if gap > 2 * se else "within"
    return (
        f"The NPS gap between {_who(run_a)} and {_who(run_b)} is {gap:.1f} points, "
        f"{verdict} twice its sampling error ({2 * se:.1f} points): the surveyed NPS "
        + ("does" if gap > 2 * se else "does not")
        + " separate them."
    )


def reading(runs: Sequence[RunLike]) -> list[str]:
    """A short plain-language reading of the comparison, every number computed from the runs."""
    sentences = _event_sentences(runs)
    sentences.append(_composition_sentence(runs))
    for sentence in (
        _ranking_sentence(runs, "loyalty_rate", "loyalty rate"),
        _ranking_sentence(runs, "profit", "weekly profit"),
        _nps_noise_sentence(runs),
    ):
        if sentence:
            sentences.append(sentence)
    return sentences


# --------------------------------------------------------------------------------------------------
# What an event cost each store (counterfactuals)

#: The effects section's columns: (metric, header, whether the values with and without are shown).
_EFFECT_COLUMNS = (
    ("revenue", "revenue", True),
    ("profit", "profit", False),
    ("purchases", "purchases", False),
    ("customer_base", "customers", True),
)


_VALUES = ("factual", "counterfactual", "effect", "effect_share")


@dataclass(frozen=True)
class EffectsSection:
    """The report's section on what the events cost each store (see :func:`effects_section`)."""

    title: str
    intro: str
    header: list[str]
    rows: list[list[str]]
    sentences: list[str]


def _effect_sentence(
    run: RunLike, effects: EventEffects, week: int, values: pd.DataFrame, first: int, last: int
) -> str:
    """ "The supermarket (week 104) cost Corner pharmacy $X of revenue (-Y%) ... than in the same
    run without the event." for one store, from its rows of the effects table."""
    from loyaltysim.counterfactual import event_noun

    noun = event_noun(effects.scenario, week)
    revenue, base = values.loc["revenue"], values.loc["customer_base"]
    money = effect_value("revenue", abs(float(revenue["effect"])))
    share = effect_share(float(revenue["effect_share"]))
    if revenue["effect"] < 0:
        did = f"cost {_who(run)} {money} of revenue ({share})"
    elif revenue["effect"] > 0:
        did = f"brought {_who(run)} {money} more revenue ({share})"
    else:
        did = f"did not change the revenue of {_who(run)}"
    count = effect_value("customer_base", abs(float(base["effect"])))
    if base["effect"] == 0:
        customers = f"it had as many customers in week {last} as"
    else:
        more = "fewer" if base["effect"] < 0 else "more"
        change = effect_share(float(base["effect_share"]))
        customers = f"it had {count} {more} customers in week {last} ({change}) than"
    return (
        f"{noun[:1].upper()}{noun[1:]} (week {week}) {did} in weeks {first}-{last}, and {customers} "
        "in the same run without the event."
    )


def effects_section(runs: Sequence[RunLike], effects: Sequence[EventEffects | None]) -> EffectsSection | None:
    """What each run's events did to its focus firm ("store"), against the same run without them
    (same seed); None when no run had a measured event. ``effects`` is aligned with ``runs``."""
    from loyaltysim.counterfactual import event_noun

    measured = [(run, e) for run, e in zip(runs, effects, strict=True) if e is not None and e.weeks]
    if not measured:
        return None
    nouns = {event_noun(e.scenario, e.weeks[0]) for _, e in measured}
    noun = nouns.pop() if len(nouns) == 1 else "the events"
    windows = sorted({e.window_weeks for _, e in measured})
    header = ["store", "event", "weeks"]
    for _, name, both in _EFFECT_COLUMNS:
        header += [f"{name} with", f"{name} without", f"{name}: effect"] if both else [f"{name}: effect"]
    rows, sentences = [], []
    for run, e in measured:
        focus = run.scenario.focus_firm
        for week in e.weeks:
            table = e.table[(e.table["event_week"] == week) & (e.table["firm"] == focus)]
            values = table.set_index("metric")
            first, last = int(table["first_week"].iloc[0]), int(table["last_week"].iloc[0])
            row = [run_title(run), f"week {week}: {e.label(week)}", f"{first}-{last}"]
            for metric, _, both in _EFFECT_COLUMNS:
                fact, counter, effect, share = (float(values.at[metric, c]) for c in _VALUES)
                cell = f"{effect_value(metric, effect, signed=True)} ({effect_share(share)})"
                row += [effect_value(metric, fact), effect_value(metric, counter), cell] if both else [cell]
            rows.append(row)
            sentences.append(_effect_sentence(run, e, week, values, first, last))
    window = " or ".join(str(w) for w in windows)
    intro = (
        "Each store against the same run without the event (same seed): common random numbers "
        "make the two runs identical until the event, so the difference after it is the event's "
        f"doing, not chance or the market's drift. Revenue, profit and purchases are summed over "
        f"the {window} weeks from the event's week (cut at the run's end), customers counted in "
        "the window's last week; effect = with - without (in % of without): negative = lost "
        "because of the event."
    )
    return EffectsSection(f"What {noun} cost each store", intro, header, rows, sentences)


@dataclass(frozen=True)
class DecisionsSection:
    """The report's table of what the firms' management policies changed and why."""

    intro: str
    header: list[str]
    rows: list[list[str]]
    more: list[str]  # "and N more ..." per run whose decisions were cut at DECISION_ROWS


def decisions_section(runs: Sequence[RunLike], limit: int = DECISION_ROWS) -> DecisionsSection | None:
    """Each run's management decisions (week, firm, change, why), the first ``limit`` of each
    run; None when no firm in any run decided anything."""
    rows, more = [], []
    for run in runs:
        decisions = run_decisions(run)
        for row in decisions.head(limit).itertuples(index=False):
            rows.append([run.scenario.name, str(row.week), str(row.firm), str(row.change), str(row.why)])
        if len(decisions) > limit:
            more.append(
                f"... and {len(decisions) - limit:,} more decisions in {run.scenario.name}: "
                f"all of them in its folder's {DECISIONS_FILE}."
            )
    if not rows:
        return None
    intro = (
        "What each firm's management policy (firms.<id>.policy) changed at its reviews, and why: "
        f"the first {limit} decisions of each scenario; every decision is in {DECISIONS_FILE} in "
        "the scenario's folder."
    )
    return DecisionsSection(intro, ["scenario", "week", "firm", "change", "why"], rows, more)


# --------------------------------------------------------------------------------------------------
# Report files


def event_timeline(runs: Sequence[RunLike]) -> list[tuple[int, str, str]]:
    """Every event that fired, as ``(week, scenario name, label)``, sorted by week."""
    rows = [(int(w), run.scenario.name, str(label)) for run in runs for w, label in run.events]
    return sorted(rows)


def _settings(runs: Sequence[RunLike]) -> str:
    markets = [run.scenario.market for run in runs]
    seeds = sorted({m.seed for m in markets})
    weeks = sorted({m.weeks for m in markets})
    customers = sorted({m.customers for m in markets})
    return (
        f"seed {', '.join(map(str, seeds))} (common random numbers), "
        f"{', '.join(map(str, weeks))} weeks, {', '.join(f'{c:,}' for c in customers)} "
        "customers"
    )


def _html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub markdown table (cells as ``str``, ``|`` escaped, line breaks flattened); used by
    the run report, the sweep summary and the validation report."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
td.num,table.summary td+td{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f3f3f3}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:0.9em;color:#555}
.reading li{margin:0.4em 0}
"""


@dataclass(frozen=True)
class _Content:
    """Everything both report formats show, computed once."""

    title: str
    settings: str
    scenarios: list[tuple[str, str, str, str]]
    summary_header: list[str]
    summary_rows: list[list[str]]
    timeline: list[tuple[int, str, str]]
    reading: list[str]
    definitions: list[tuple[str, str, str]]
    effects: EffectsSection | None = None
    decisions: DecisionsSection | None = None


def _content(runs: Sequence[RunLike], effects: Sequence[EventEffects | None] | None = None) -> _Content:
    names = [run.scenario.name for run in runs]
    rows = comparison_rows(runs)
    return _Content(
        title="loyaltysim comparison: " + " vs ".join(names),
        settings=_settings(runs),
        scenarios=[
            (
                run.scenario.name,
                run.scenario.focus_firm,
                run.scenario.firms[run.scenario.focus_firm].label or run.scenario.focus_firm,
                run.scenario.description,
            )
            for run in runs
        ],
        summary_header=["metric", "unit", *(run_title(run) for run in runs)],
        summary_rows=[[row.label, row.unit, *row.formatted()] for row in rows],
        timeline=event_timeline(runs),
        reading=reading(runs),
        definitions=[(m, FIRM_METRICS[m].unit, FIRM_METRICS[m].definition) for m in HEADLINE_METRICS],
        effects=effects_section(runs, effects) if effects is not None else None,
        decisions=decisions_section(runs),
    )


#: File stem of the figure of each store with and without its first event.
EFFECTS_FIGURE = "event_effects"
EFFECTS_CAPTION = (
    "Revenue per week and customer base of each store with the event (solid) and in the same run "
    "without it (dashed, same seed)"
)


def _effects_html(section: EffectsSection | None, image: tuple[str, bytes] | None) -> list[str]:
    if section is None:
        return []
    esc = html.escape
    parts = [
        f"<h2>{esc(section.title)}</h2>",
        f"<p>{esc(section.intro)}</p>",
        _html_table(section.header, section.rows, cls="summary"),
        '<ul class="reading">' + "".join(f"<li>{esc(s)}</li>" for s in section.sentences) + "</ul>",
    ]
    if image is not None:
        caption, png = image
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure id="{EFFECTS_FIGURE}"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    return parts


def _effects_markdown(section: EffectsSection | None, image: tuple[str, str] | None) -> list[str]:
    if section is None:
        return []
    parts = [f"## {section.title}", "", section.intro, "", md_table(section.header, section.rows), ""]
    parts += [f"- {s}" for s in section.sentences]
    parts.append("")
    if image is not None:
        caption, filename = image
        parts += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
    return parts


def _decisions_html(section: DecisionsSection | None) -> list[str]:
    if section is None:
        return []
    esc = html.escape
    parts = ["<h2>Management decisions</h2>", f"<p>{esc(section.intro)}</p>"]
    parts.append(_html_table(section.header, section.rows))
    parts += [f"<p>{esc(line)}</p>" for line in section.more]
    return parts


def _decisions_markdown(section: DecisionsSection | None) -> list[str]:
    if section is None:
        return []
    parts = ["## Management decisions", "", section.intro, "", md_table(section.header, section.rows), ""]
    for line in section.more:
        parts += [line, ""]
    return parts


def _render_html(content: _Content, images: Mapping[str, tuple[str, bytes]]) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(content.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(content.title)}</h1>",
        f"<p>Settings: {esc(content.settings)}. Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        "<h2>Reading</h2>",
        '<ul class="reading">' + "".join(f"<li>{esc(s)}</li>" for s in content.reading) + "</ul>",
        "<h2>Scenarios</h2>",
        _html_table(["scenario", "focus firm", "label", "description"], content.scenarios),
        "<h2>Summary</h2>",
        f"<p>Focus firm of each scenario; means over the last {LAST_WEEKS} weeks unless stated.</p>",
        _html_table(content.summary_header, content.summary_rows, cls="summary"),
        *_effects_html(content.effects, images.get(EFFECTS_FIGURE)),
        "<h2>Event timeline</h2>",
        _html_table(["week", "scenario", "event"], content.timeline)
        if content.timeline
        else "<p>No events fired.</p>",
        *_decisions_html(content.decisions),
        "<h2>Figures</h2>",
    ]
    for name, (caption, png) in images.items():
        if name == EFFECTS_FIGURE:
            continue  # in its section
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure id="{esc(name)}"><img alt="{esc(caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{esc(caption)}'
            "</figcaption></figure>"
        )
    parts += [
        "<h2>Metric definitions</h2>",
        _html_table(["metric", "unit", "definition"], content.definitions),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _render_markdown(content: _Content, images: Mapping[str, tuple[str, str]]) -> str:
    parts = [f"# {content.title}", "", f"Settings: {content.settings}.", "", "## Reading", ""]
    parts += [f"- {s}" for s in content.reading]
    parts += [
        "",
        "## Scenarios",
        "",
        md_table(["scenario", "focus firm", "label", "description"], content.scenarios),
        "",
        "## Summary",
        "",
        f"Focus firm of each scenario; means over the last {LAST_WEEKS} weeks unless stated.",
        "",
        md_table(content.summary_header, content.summary_rows),
        "",
        *_effects_markdown(content.effects, images.get(EFFECTS_FIGURE)),
        "## Event timeline",
        "",
    ]
    parts.append(
        md_table(["week", "scenario", "event"], content.timeline) if content.timeline else "No events fired."
    )
    parts += ["", *_decisions_markdown(content.decisions), "## Figures", ""]
    for name, (caption, filename) in images.items():
        if name == EFFECTS_FIGURE:
            continue  # in its section
        parts += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
    parts += [
        "## Metric definitions",
        "",
        md_table(["metric", "unit", "definition"], content.definitions),
        "",
    ]
    return "\n".join(parts)


def write_report(
    runs: Sequence[RunLike],
    out_dir: str | Path,
    images: Mapping[str, tuple[str, bytes]] | None = None,
    effects: Sequence[EventEffects | None] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.html`` (self-contained: PNGs embedded as base64) and ``report.md``
    (referencing PNG files written next to it) comparing the focus firms of ``runs``.

    ``images`` maps a file stem to ``(caption, PNG bytes)``; by default the comparison figures of
    :func:`loyaltysim.plots.comparison_figures` are drawn. ``effects``, aligned with ``runs``
    (:func:`loyaltysim.counterfactual.measure_events` of each, None for a run without events),
    adds the section on what the events cost each store against the same run without them, with
    the figure ``event_effects.png`` (revenue and customers with and without the event).
    Returns the HTML and Markdown paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if images is None:
        from loyaltysim import plots  # matplotlib is only imported when figures are drawn

        images = plots.render_png(plots.comparison_figures(runs))
    measured = [e for e in effects or () if e is not None and e.weeks]
    if measured and EFFECTS_FIGURE not in images:
        from loyaltysim import plots

        figure = plots.effects_figure([(e, [e.scenario.focus_firm]) for e in measured])
        images = {**images, EFFECTS_FIGURE: (EFFECTS_CAPTION, plots.figure_png(figure))}
    content = _content(runs, effects)
    md_images: dict[str, tuple[str, str]] = {}
    for name, (caption, data) in images.items():
        (out / f"{name}.png").write_bytes(data)
        md_images[name] = (caption, f"{name}.png")
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(_render_html(content, images), encoding="utf-8")
    md_path.write_text(_render_markdown(content, md_images), encoding="utf-8")
    return html_path, md_path
