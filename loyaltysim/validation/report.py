"""Write the validation report: ``docs/validation.md`` and one figure per finding beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from loyaltysim import __version__
from loyaltysim.report import md_table
from loyaltysim.validation.result import FindingResult

#: Markers around the plausibility section of the report (written by
#: :mod:`loyaltysim.validation.plausibility`): kept when the findings are written again.
SECTION_START = "<!-- plausibility:start (loyaltysim validate --plausibility) -->"
SECTION_END = "<!-- plausibility:end -->"

#: Markers around the section "What changed in the credible-numbers round" (written by hand
#: from a re-run: findings before and after a model change, and why), kept near the top of the
#: report when the findings are written again.
CHANGES_START = "<!-- changes:start (kept when loyaltysim validate rewrites this file) -->"
CHANGES_END = "<!-- changes:end -->"

#: Title of the plausibility section (inside its markers).
PLAUSIBILITY_TITLE = "Plausibility against published ranges"

#: Title of the section that states and lists the model's one set of behaviour coefficients,
#: written by a full run after the summary table and kept as it is by ``--only`` and
#: ``--plausibility`` runs.
COEFFICIENTS_TITLE = "One set of behaviour coefficients"

#: Header of the summary table at the top of the report.
SUMMARY_HEADER = "| finding | verdict | comparisons held | run time |"

VERDICT_MARK = {
    "reproduced": "reproduced",
    "partly reproduced": "PARTLY reproduced",
    "not reproduced": "NOT reproduced",
}


def markdown_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A pandas DataFrame as a GitHub markdown table (floats to 4 significant digits)."""
    if index:
        frame = frame.reset_index()
    rows = ([f"{v:.4g}" if isinstance(v, float) else v for v in row] for row in frame.itertuples(False))
    return md_table([str(c) for c in frame.columns], rows)


def _comparisons(result: FindingResult) -> str:
    frame = pd.DataFrame(
        [
            {
                "quantity": c.quantity,
                "published": c.published,
                "simulated": c.simulated,
                "criterion": c.criterion,
                "reproduced": ("yes" if c.reproduced else "**no**") if c.applicable else "not applicable",
            }
            for c in result.comparisons
        ]
    )
    return markdown_table(frame)


def _held_words(result: FindingResult) -> str:
    """Comparisons held of those that apply, in words, with those that do not: ``7 of 7 comparisons
    hold; 1 not applicable``."""
    held, judged, skipped = result.tally()
    return f"{held} of {judged} comparisons hold" + (f"; {skipped} not applicable" if skipped else "")


def _section(result: FindingResult, figure_dir: Path, link_prefix: str) -> str:
    parts = [
        f"## {result.title}",
        "",
        f"**Verdict: {VERDICT_MARK[result.verdict]}** ({_held_words(result)}; {result.seconds:.0f} s).",
        "",
        f"*Source:* {result.source}",
        "",
        f"*Published finding:* {result.claim}",
        "",
        _comparisons(result),
        "",
    ]
    if result.figure is not None:
        figure_dir.mkdir(parents=True, exist_ok=True)
        name = f"{result.key}.png"
        result.figure.savefig(figure_dir / name, dpi=110, bbox_inches="tight")
        parts += [f"![{result.title}]({link_prefix}{name})", ""]
    if result.discussion:
        parts += [result.discussion.strip(), ""]
    if result.table is not None and len(result.table):
        parts += [
            "<details><summary>Simulated numbers</summary>",
            "",
            markdown_table(result.table),
            "",
            "</details>",
            "",
        ]
    parts += [
        "Settings (`experiments/validation/" + str(result.settings.get("file", "")) + "`):",
        "",
        "```json",
        json.dumps(result.settings, indent=1, default=str),
        "```",
        "",
    ]
    return "\n".join(parts)


def _summary(results: list[FindingResult]) -> str:
    frame = pd.DataFrame(
        [
            {
                "finding": f"[{r.title}](#{_anchor(r.title)})",
                "verdict": VERDICT_MARK[r.verdict],
                "comparisons held": r.held_text,
                "run time": f"{r.seconds:.0f} s",
            }
            for r in results
        ],
        columns=["finding", "verdict", "comparisons held", "run time"],
    )
    return markdown_table(frame)


def write_report(
    results: list[FindingResult],
    out: Path,
    quick: bool,
    update: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out`` (markdown) and the figures in ``out``'s folder under ``validation/``.

    A full write keeps the "what changed" block and the plausibility section of an existing
    ``out`` and writes everything else anew, the section "One set of behaviour coefficients"
    included. With ``update`` (``--only``) and an existing ``out``, only the findings run change:
    their rows of the summary table and their sections are replaced (or inserted in registry
    order) and every other byte of the file is kept; only their figures are written.
    ``overrides`` (``validate --set``): the keys every run set - stated at the top, and the
    coefficient section lists the values the runs used."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure_dir = out.parent / out.stem
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    if update and previous:
        text = _update_findings(previous, results, figure_dir)
        if text is not None:
            out.write_text(text, encoding="utf-8")
            return out
    size = "QUICK size (`--quick`: small populations, indicative only)" if quick else "full size"
    lines = [
        "# Validation: what loyaltysim reproduces from loyalty research",
        "",
        f"Written by `loyaltysim validate{' --quick' if quick else ''}` (loyaltysim "
        f"{__version__}, {size}). Each finding lists the published figure, the simulated "
        "figure, the criterion and whether it holds; a finding the model does not reproduce "
        "says so and why. Experiment files: `experiments/validation/`.",
        "",
        *([overrides_statement(overrides), ""] if overrides else []),
        _summary(results),
        "",
        coefficients_section(overrides=overrides),
    ]
    changes = extract_changes(previous)
    if changes is not None:
        lines += [f"{CHANGES_START}\n{changes.rstrip()}\n{CHANGES_END}", ""]
    lines += [_section(r, figure_dir, f"{figure_dir.name}/") for r in results]
    text = "\n".join(lines)
    kept = extract_section(previous) if previous else None
    out.write_text(text if kept is None else replace_section(text, kept), encoding="utf-8")
    return out


def _finding_order(results: list[FindingResult]) -> dict[str, str]:
    """Finding key -> title: the registry's findings in report order, then any others run."""
    from loyaltysim.validation.registry import FINDINGS, finding_module

    titles = {key: finding_module(key).TITLE for key in FINDINGS}
    titles.update({r.key: r.title for r in results if r.key not in titles})
    return titles


def _blocked(text: str) -> list[tuple[int, int]]:
    """Spans of the "what changed" block and the plausibility section (markers included)."""
    spans = []
    for start_mark, end_mark in ((CHANGES_START, CHANGES_END), (SECTION_START, SECTION_END)):
        start, end = text.find(start_mark), text.find(end_mark)
        if start >= 0 and end > start:
            spans.append((start, end + len(end_mark)))
    return spans


def _finding_spans(text: str, titles: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Key -> (start, end) of each finding's section in ``text``: from its ``## <title>`` heading
    up to the next finding's heading, the coefficient section, the "what changed" block or the
    plausibility section (its marker or heading), or the end of the text."""
    blocked = _blocked(text)
    key_of = {title: key for key, title in titles.items()}
    starts: dict[str, int] = {}
    bounds = [len(text)] + [start for start, _ in blocked]
    for match in re.finditer(r"^## (.+?)[ \t]*$", text, flags=re.MULTILINE):
        if any(a <= match.start() < b for a, b in blocked):
            continue
        title = match.group(1)
        if title in key_of:
            starts.setdefault(key_of[title], match.start())
            bounds.append(match.start())
        elif title in (COEFFICIENTS_TITLE, PLAUSIBILITY_TITLE):
            bounds.append(match.start())
    return {key: (start, min(b for b in bounds if b > start)) for key, start in starts.items()}


def _update_findings(previous: str, results: list[FindingResult], figure_dir: Path) -> str | None:
    """``previous`` with the summary rows and sections of ``results`` replaced (or inserted in
    registry order), everything else kept byte for byte; None when it has no summary table."""
    table_at = previous.find(SUMMARY_HEADER + "\n")
    if table_at < 0:
        return None
    titles = _finding_order(results)
    rank = {key: i for i, key in enumerate(titles)}
    key_of_anchor = {_anchor(title): key for key, title in titles.items()}

    # The summary table: its row lines, by finding key (unknown rows keep their place at the end).
    lines_start = table_at + len(SUMMARY_HEADER) + 1
    table_end = lines_start
    rows: dict[str, str] = {}
    for i, line in enumerate(previous[lines_start:].split("\n")):
        if not line.startswith("|"):
            break
        table_end += len(line) + 1
        if i == 0:  # the |---| line
            continue
        anchor = re.search(r"\]\(#([^)]*)\)", line)
        rows[key_of_anchor.get(anchor.group(1), line) if anchor else line] = line
    new_rows = _summary(results).split("\n")[2:]
    rows.update({r.key: row for r, row in zip(results, new_rows, strict=True)})
    ordered = sorted(rows, key=lambda k: rank.get(k, len(rank)))
    separator = previous[lines_start : previous.index("\n", lines_start) + 1]
    table = separator + "".join(rows[k] + "\n" for k in ordered)

    # The sections, last first so that earlier offsets stay valid.
    spans = _finding_spans(previous, titles)
    edits: list[tuple[int, int, int, str]] = []
    for result in results:
        block = _section(result, figure_dir, f"{figure_dir.name}/").rstrip("\n")
        if result.key in spans:
            start, end = spans[result.key]
            old = previous[start:end]
            edits.append((start, end, rank[result.key], block + old[len(old.rstrip("\n")) :]))
            continue
        later = [s for k, (s, _) in spans.items() if rank.get(k, len(rank)) > rank[result.key]]
        earlier = [e for k, (_, e) in spans.items() if rank.get(k, len(rank)) < rank[result.key]]
        if later:
            at = min(later)
        elif earlier:
            at = max(earlier)
        else:
            plausibility = previous.find(SECTION_START)
            at = plausibility if plausibility >= table_end else len(previous)
        if at == len(previous):
            lead = "" if previous.endswith("\n\n") else "\n" if previous.endswith("\n") else "\n\n"
            edits.append((at, at, rank[result.key], lead + block + "\n"))
        else:
            edits.append((at, at, rank[result.key], block + "\n\n"))
    text = previous
    for start, end, _, block in sorted(edits, reverse=True):
        text = text[:start] + block + text[end:]
    return text[:lines_start] + table + text[table_end:]


def coefficients_section(
    scenario: str = "corner_pharmacy", overrides: Mapping[str, Any] | None = None
) -> str:
    """The section "One set of behaviour coefficients": the statement, every coefficient with
    the value ``scenario`` uses (with ``overrides`` set: ``validate --set``), and the keys of that
    set that experiment files set anyway
    (:func:`loyaltysim.validation.coefficients.coefficient_settings`)."""
    from loyaltysim.paramdoc import _toml_value
    from loyaltysim.validation.coefficients import NOTES, coefficient_rows, coefficient_settings

    rows = coefficient_rows(scenario, overrides)
    settings = coefficient_settings()
    shipped = [s for s in settings if s.shipped]
    experiments = [s for s in settings if not s.shipped]
    who = "Every shipped scenario" if not shipped else "Every shipped scenario not listed below"
    which = (
        "every finding"
        if not experiments
        else "every finding except where its experiment file sets one of them (listed at the end "
        "of this section)"
    )
    parts = [
        f"## {COEFFICIENTS_TITLE}",
        "",
        *(
            [
                f"This report set {len(overrides)} key(s) with `--set`: the table below lists the "
                "values its runs used, which are not all the defaults.",
                "",
            ]
            if overrides
            else []
        ),
        f"{who} and {which} run with the model's one set of behaviour coefficients: the defaults "
        "of the scenario schema (`loyaltysim/schema.py`; units, ranges and sources in "
        "`docs/parameters.md`). An experiment may set only the setting of a study - which stores "
        "exist, the market's size, the problem sizes asked about, the population - not how "
        "customers and employees behave. The set is the `behaviour` section of a scenario and the "
        "customer traits under `customers` (each trait a per-customer distribution: mean and sd); "
        f"the values are those a run uses, read from the loaded scenario `{scenario}`.",
        "",
        f"<details><summary>The {len(rows)} coefficients</summary>",
        "",
        md_table(
            ["key", "value", "unit", "meaning"], ([f"`{r.key}`", r.value, r.unit, r.meaning] for r in rows)
        ),
        "",
        "</details>",
        "",
        "Keys an experiment sets that are behaviour coefficients (or customer traits), in every file "
        "of `experiments/validation/`, the scenario files beside them that they use and every "
        "shipped scenario:",
        "",
    ]
    if not settings:
        parts += ["None: no experiment file and no scenario sets one.", ""]
        return "\n".join(parts)
    grouped: dict[tuple[str, str], list[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for s in settings:
        where[(s.file, s.table)] = f"`{s.file}`" if s.shipped else f"`experiments/validation/{s.file}`"
        value = _toml_value(s.value)
        default = "the default" if s.value == s.default else f"default {_toml_value(s.default)}"
        grouped.setdefault((s.file, s.table), []).append(f"`{s.key}` = {value} ({default})")
    table = md_table(
        ["file", "table", "keys set", "why"],
        (
            [
                where[(file, table)],
                f"`[{table}]`",
                "; ".join(keys),
                NOTES.get((file, table), ""),
            ]
            for (file, table), keys in grouped.items()
        ),
    )
    return "\n".join([*parts, table, ""])


def extract_changes(text: str) -> str | None:
    """The section between the "what changed" markers of a report (markers excluded), if any."""
    start, end = text.find(CHANGES_START), text.find(CHANGES_END)
    if start < 0 or end < start:
        return None
    return text[start + len(CHANGES_START) : end].strip("\n") + "\n"


def extract_section(text: str) -> str | None:
    """The plausibility section of a report (between its markers, markers excluded), if any."""
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start < 0 or end < start:
        return None
    return text[start + len(SECTION_START) : end].strip("\n") + "\n"


def replace_section(text: str, section: str) -> str:
    """``text`` with its plausibility section replaced by ``section`` (markers added), or with
    ``section`` appended at the end when it has none; nothing else changes."""
    block = f"{SECTION_START}\n{section.rstrip()}\n{SECTION_END}"
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start >= 0 and end > start:
        return text[:start] + block + text[end + len(SECTION_END) :]
    if not text:
        return block + "\n"
    return text.rstrip("\n") + "\n\n" + block + "\n"


def _anchor(title: str) -> str:
    keep = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return keep.replace(" ", "-")


def overrides_statement(overrides: Mapping[str, Any]) -> str:
    """The sentence a report written with ``validate --set`` carries: not the defaults."""
    from loyaltysim.paramdoc import _toml_value

    keys = ", ".join(f"`{key} = {_toml_value(value)}`" for key, value in overrides.items())
    return (
        f"**Not the model's defaults**: every run of this report set {keys} (`loyaltysim "
        "validate --set`), after each experiment's own settings."
    )
