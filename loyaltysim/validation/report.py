"""Write the validation report: ``docs/validation.md`` and one figure per finding beside it."""

from __future__ import annotations

import json
from pathlib import Path

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
                "reproduced": "yes" if c.reproduced else "**no**",
            }
            for c in result.comparisons
        ]
    )
    return markdown_table(frame)


def _section(result: FindingResult, figure_dir: Path, link_prefix: str) -> str:
    parts = [
        f"## {result.title}",
        "",
        f"**Verdict: {VERDICT_MARK[result.verdict]}** "
        f"({sum(c.reproduced for c in result.comparisons)} of {len(result.comparisons)} "
        f"comparisons hold; {result.seconds:.0f} s).",
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


def write_report(results: list[FindingResult], out: Path, quick: bool) -> Path:
    """Write ``out`` (markdown) and the figures in ``out``'s folder under ``validation/``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure_dir = out.parent / out.stem
    summary = pd.DataFrame(
        [
            {
                "finding": f"[{r.title}](#{_anchor(r.title)})",
                "verdict": VERDICT_MARK[r.verdict],
                "comparisons held": f"{sum(c.reproduced for c in r.comparisons)}/{len(r.comparisons)}",
                "run time": f"{r.seconds:.0f} s",
            }
            for r in results
        ]
    )
    size = "QUICK size (`--quick`: small populations, indicative only)" if quick else "full size"
    lines = [
        "# Validation: what loyaltysim reproduces from loyalty research",
        "",
        f"Written by `loyaltysim validate{' --quick' if quick else ''}` (loyaltysim "
        f"{__version__}, {size}). Each finding lists the published figure, the simulated "
        "figure, the criterion and whether it holds; a finding the model does not reproduce "
        "says so and why. Experiment files: `experiments/validation/`.",
        "",
        markdown_table(summary),
        "",
    ]
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    changes = extract_changes(previous)
    if changes is not None:
        lines += [f"{CHANGES_START}\n{changes.rstrip()}\n{CHANGES_END}", ""]
    lines += [_section(r, figure_dir, f"{figure_dir.name}/") for r in results]
    text = "\n".join(lines)
    kept = extract_section(previous) if previous else None
    out.write_text(text if kept is None else replace_section(text, kept), encoding="utf-8")
    return out


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
