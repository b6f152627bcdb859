"""The validation report's sections: ``--only`` updates the named findings in an existing report
and keeps everything else byte for byte; the section "One set of behaviour coefficients" lists
the model's coefficients as a run uses them and the keys experiment files set anyway."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from loyaltysim.paramdoc import _toml_value
from loyaltysim.scenario import load_scenario
from loyaltysim.schema import Behaviour, Customers, Distribution
from loyaltysim.validation.coefficients import coefficient_settings
from loyaltysim.validation.registry import finding_module
from loyaltysim.validation.report import (
    CHANGES_END,
    CHANGES_START,
    COEFFICIENTS_TITLE,
    SECTION_END,
    SECTION_START,
    coefficients_section,
    write_report,
)
from loyaltysim.validation.result import Comparison, FindingResult


def _result(key: str, held: bool, seconds: float, figure: bool = False) -> FindingResult:
    fig = None
    if figure:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1 if held else 0])
    return FindingResult(
        key,
        finding_module(key).TITLE,
        f"source of {key}",
        f"claim of {key}",
        [
            Comparison("q1", "1", "1", "equal", True),
            Comparison("q2", "2", "3" if not held else "2", "equal", held),
        ],
        figure=fig,
        discussion=f"discussion of {key}, {'held' if held else 'not held'}",
        settings={"file": f"{key}.toml", "seeds": [1]},
        seconds=seconds,
    )


@pytest.fixture(scope="module")
def coefficients() -> str:
    return coefficients_section()


@pytest.fixture
def report(tmp_path, monkeypatch, coefficients) -> Path:
    """A full report of three findings with a "what changed" block, a plausibility section and a
    figure of each finding."""
    monkeypatch.setattr(
        "loyaltysim.validation.report.coefficients_section", lambda overrides=None: coefficients
    )
    out = tmp_path / "validation.md"
    out.write_text(
        f"# old\n\n{CHANGES_START}\n## What changed\n\nhand-written | row\n{CHANGES_END}\n\n"
        f"{SECTION_START}\n## Plausibility against published ranges\n\nkept ## text\n{SECTION_END}\n",
        encoding="utf-8",
    )
    keys = ["complaint_repurchase", "bass_diffusion", "zero_defections"]
    write_report([_result(k, held=True, seconds=10.0, figure=True) for k in keys], out, quick=False)
    return out


def _row(text: str, key: str) -> str:
    title = finding_module(key).TITLE
    return next(line for line in text.splitlines() if line.startswith(f"| [{title}]("))


def _section(text: str, key: str) -> str:
    """From the finding's heading to the next ``## `` heading or plausibility marker."""
    start = text.index(f"## {finding_module(key).TITLE}\n")
    ends = [m.start() for m in re.finditer(r"^## |^<!-- plausibility:start", text, re.MULTILINE)]
    return text[start : min(e for e in ends if e > start)]


def test_a_full_report_puts_the_coefficient_section_between_the_summary_and_the_changes(report):
    text = report.read_text(encoding="utf-8")
    assert text.count(f"## {COEFFICIENTS_TITLE}\n") == 1
    assert _row(text, "zero_defections") in text
    assert text.index(_row(text, "zero_defections")) < text.index(f"## {COEFFICIENTS_TITLE}")
    assert text.index(f"## {COEFFICIENTS_TITLE}") < text.index(CHANGES_START)
    assert text.index(CHANGES_END) < text.index("## Complaint handling")


def test_only_replaces_the_named_finding_and_keeps_every_other_byte(report):
    before = report.read_text(encoding="utf-8")
    figures = report.parent / "validation"
    other_figure = (figures / "zero_defections.png").read_bytes()
    (figures / "zero_defections.png").write_bytes(b"not rewritten")
    old_figure = (figures / "bass_diffusion.png").read_bytes()

    write_report(
        [_result("bass_diffusion", held=False, seconds=99.0, figure=True)], report, quick=True, update=True
    )
    after = report.read_text(encoding="utf-8")

    new_row, new_section = _row(after, "bass_diffusion"), _section(after, "bass_diffusion")
    assert "PARTLY reproduced | 1/2 | 99 s |" in new_row
    assert "discussion of bass_diffusion, not held" in new_section
    expected = before.replace(_row(before, "bass_diffusion"), new_row).replace(
        _section(before, "bass_diffusion"), new_section
    )
    assert after == expected  # every other row, section, the changes block and plausibility kept
    assert "# old" not in after and "hand-written | row" in after and "kept ## text" in after
    assert (figures / "zero_defections.png").read_bytes() == b"not rewritten" != other_figure
    assert (figures / "bass_diffusion.png").read_bytes() != old_figure


def test_only_inserts_a_finding_not_yet_in_the_report_in_registry_order(report):
    before = report.read_text(encoding="utf-8")
    write_report([_result("attitude_patronage", held=True, seconds=5.0)], report, quick=True, update=True)
    after = report.read_text(encoding="utf-8")

    row, section = _row(after, "attitude_patronage"), _section(after, "attitude_patronage")
    # registry order: ... bass_diffusion, attitude_patronage, zero_defections ...
    bass_row, zero_row = _row(before, "bass_diffusion"), _row(before, "zero_defections")
    zero_heading = f"## {finding_module('zero_defections').TITLE}\n"
    expected = before.replace(bass_row + "\n", bass_row + "\n" + row + "\n").replace(
        zero_heading, section + zero_heading
    )
    assert after == expected
    assert after.index(bass_row) < after.index(row) < after.index(zero_row)


def test_the_validate_command_with_only_updates_an_existing_report(report, monkeypatch):
    """The CLI passes --only on to write_report (the bug: it rewrote the report with just that
    finding); the finding's run is replaced by a made-up result so the test takes no time."""
    from loyaltysim.validation.cli import cmd_validate

    before = report.read_text(encoding="utf-8")
    monkeypatch.setattr(
        "loyaltysim.validation.runner.run_validation",
        lambda keys, quick, on_done, overrides: [_result(k, held=False, seconds=1.0) for k in keys],
    )
    args = argparse.Namespace(
        only=["zero_defections"], quick=True, out=report, plausibility=False, strict=False, overrides=[]
    )
    assert cmd_validate(args) == 0
    after = report.read_text(encoding="utf-8")
    assert "discussion of zero_defections, not held" in after

    def without_zero(text: str) -> str:
        return text.replace(_section(text, "zero_defections"), "").replace(_row(text, "zero_defections"), "")

    assert without_zero(after) == without_zero(before)


def test_only_without_a_report_writes_what_was_run(tmp_path):
    out = tmp_path / "new.md"
    write_report([_result("attitude_patronage", held=True, seconds=5.0)], out, quick=True, update=True)
    text = out.read_text(encoding="utf-8")
    assert "## Attitude vs patronage" in text and f"## {COEFFICIENTS_TITLE}" in text
    assert len([line for line in text.splitlines() if line.startswith("| [")]) == 1


def test_the_coefficient_section_lists_every_behaviour_coefficient_with_its_loaded_value(coefficients):
    scenario = load_scenario("corner_pharmacy")
    for name in Behaviour.model_fields:
        value = _toml_value(getattr(scenario.behaviour, name))
        assert f"| `behaviour.{name}` | {value} |" in coefficients, name
    traits = [n for n, f in Customers.model_fields.items() if f.annotation is Distribution]
    assert {"emotion_weight", "habit", "outside_preference", "perception"} <= set(traits)
    for name in traits:
        for part in ("mean", "sd"):
            value = _toml_value(getattr(getattr(scenario.customers, name), part))
            assert f"| `customers.{name}.{part}` | {value} |" in coefficients, name
    assert "customers.segments" not in coefficients.split("Keys an experiment sets")[0]
    # the experiment that sets a coefficient is named with its value
    assert "`experiments/validation/scenarios/bass_town.toml` | `[behaviour]` | " in coefficients
    assert "`behaviour.delight_threshold` = 0.0 (default 0.75)" in coefficients


def test_the_coefficient_keys_an_experiment_sets_are_found(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "town.toml").write_text(
        "[market]\ncustomers = 10\n[behaviour]\nforgiveness = 0.25\n"
        '[[events]]\nweek = 3\nset = { "behaviour.habit_x" = 1.0 }\n',
        encoding="utf-8",
    )
    (tmp_path / "planted.toml").write_text(
        'finding = "bass_diffusion"\nscenario = "scenarios/town.toml"\n'
        '[set]\n"market.customers" = 100\n"behaviour.attachment_gain" = 0.2\n'
        '[quick]\n"customers.segments.heavy.share" = 0.3\n'
        '[variants.other]\n"customers.habit.mean" = 2.0\n',
        encoding="utf-8",
    )
    found = {(s.file, s.table, s.key, s.value) for s in coefficient_settings(tmp_path, shipped=False)}
    assert found == {
        ("planted.toml", "set", "behaviour.attachment_gain", 0.2),
        ("planted.toml", "variants.other", "customers.habit.mean", 2.0),
        ("scenarios/town.toml", "behaviour", "behaviour.forgiveness", 0.25),
        ("scenarios/town.toml", "events[0].set", "behaviour.habit_x", 1.0),
    }
    real = coefficient_settings()
    bass = [s for s in real if s.file == "scenarios/bass_town.toml"]
    assert [(s.key, s.value, s.default, s.shipped) for s in bass] == [
        ("behaviour.delight_threshold", 0.0, 0.75, False),
        ("behaviour.lapse_mean", 0.0, 0.002, False),
    ]
