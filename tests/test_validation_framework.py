"""The validation suite's plumbing: experiment files, errors, the report and the CLI.

The findings themselves are tested in tests/test_validation_*.py; here, a real finding runs
through the real ``loyaltysim validate`` command and the report is read back.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from loyaltysim.validation import (
    FINDINGS,
    ValidationExperimentError,
    finding_module,
    load_validation,
)
from loyaltysim.validation.experiment import validation_dir


def test_every_finding_has_a_shipped_experiment_file_that_loads():
    shipped = {p.stem for p in validation_dir().glob("*.toml")}
    assert set(FINDINGS) <= shipped
    for key in FINDINGS:
        for quick in (False, True):
            loaded = load_validation(key, quick=quick)
            assert loaded.key == key
            module = finding_module(key)
            for name in ("TITLE", "SOURCE", "CLAIM", "Params", "run"):
                assert hasattr(module, name), (key, name)
            loaded.scenario()  # the scenario with [set] (and [quick]) validates


def test_quick_settings_are_applied_on_top_of_the_full_ones():
    for key in FINDINGS:
        full, quick = load_validation(key), load_validation(key, quick=True)
        assert full.overrides() == full.spec.set
        assert quick.overrides() == {**full.spec.set, **full.spec.quick}
        for variant, table in full.spec.variants.items():
            assert quick.overrides(variant) == {**full.spec.set, **full.spec.quick, **table}
        assert len(full.seeds) == full.spec.replications
        assert quick.seeds[0] == full.seeds[0]


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        (
            'finding = "complaint_repurchase"\nscenario = "loyal_brand"\nsed = 3\n',
            "sed",
            "allowed at the top level",
        ),
        ('finding = "bass_difusion"\nscenario = "loyal_brand"\n', "finding", "bass_diffusion"),
        ('finding = "bass_diffusion"\nscenario = "loyal_brands"\n', "scenario", "loyal_brand"),
        (
            'finding = "bass_diffusion"\nscenario = "loyal_brand"\nreplications = 0\n',
            "replications",
            "greater than or equal to 1",
        ),
        (
            'finding = "bass_diffusion"\nscenario = "loyal_brand"\n[set]\n"market.customers" = -5\n',
            "set.market.customers",
            "market.customers",
        ),
        (
            'finding = "bass_diffusion"\nscenario = "loyal_brand"\n[variants.x]\n'
            '"firms.brand.culture.trustt" = 0.5\n',
            "variants.x",
            "trust",
        ),
        (
            'finding = "bass_diffusion"\nscenario = "loyal_brand"\n[params]\nno_such_knob = 1\n',
            "params.no_such_knob",
            "parameters of 'bass_diffusion'",
        ),
    ],
)
def test_bad_experiment_files_name_the_file_the_key_and_what_is_allowed(tmp_path, text, key, says):
    path = write(tmp_path, text)
    with pytest.raises(ValidationExperimentError) as caught:
        load_validation(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert says in message
    assert "\n" not in message


def test_invalid_toml_is_reported_with_the_file(tmp_path):
    path = write(tmp_path, 'finding = "bass_diffusion\n')
    with pytest.raises(ValidationExperimentError, match="not valid TOML"):
        load_validation(path)


def test_validate_command_writes_the_report_with_figures_and_settings(tmp_path):
    out = tmp_path / "docs" / "validation.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "validate",
            "--quick",
            "--only",
            "bass_diffusion",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert FINDINGS["bass_diffusion"].split(" (")[0][:10] in done.stdout
    text = out.read_text(encoding="utf-8")
    module = finding_module("bass_diffusion")
    assert module.TITLE in text and "QUICK size" in text
    assert re.search(r"\*\*Verdict: (reproduced|PARTLY reproduced|NOT reproduced)\*\*", text)
    assert "| quantity | published | simulated | criterion | reproduced |" in text
    figure = re.search(r"!\[[^]]*\]\(([^)]+\.png)\)", text)
    assert figure and (out.parent / figure.group(1)).stat().st_size > 5000
    assert '"scenario":' in text and '"seeds":' in text


def test_validate_command_rejects_an_unknown_finding():
    done = subprocess.run(
        [sys.executable, "-m", "loyaltysim", "validate", "--only", "tarp"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr and "complaint_repurchase" in done.stderr


def test_a_comparison_is_found_by_the_start_of_its_quantity_and_only_if_unique():
    from loyaltysim.validation.result import Comparison, FindingResult

    def row(quantity: str) -> Comparison:
        return Comparison(quantity, "published", "simulated", "criterion", True)

    result = FindingResult(
        "demo", "Demo", "source", "claim", [row("share kept, silent"), row("share kept, fixed"), row("peak")]
    )
    assert result.comparison("peak").quantity == "peak"
    assert result.comparison("share kept, f").quantity == "share kept, fixed"
    with pytest.raises(KeyError, match="2 comparisons of 'demo'"):
        result.comparison("share kept")
    with pytest.raises(KeyError, match="0 comparisons"):
        result.comparison("missing")


def test_a_comparison_that_does_not_apply_neither_holds_nor_fails_and_is_shown(tmp_path):
    from loyaltysim.validation.report import write_report
    from loyaltysim.validation.result import Closeness, Comparison, FindingResult

    def row(quantity: str, held: bool, applicable: bool = True) -> Comparison:
        return Comparison.within(
            quantity,
            "25-85 %",
            "3 %",
            "within",
            Closeness(0.55 if held else 0.03, 0.55, 0.3),
            applicable=applicable,
        )

    result = FindingResult("demo", "Demo", "source", "claim", [row("a", True), row("b", False, False)])
    assert (
        result.verdict == "reproduced"
        and result.failed() == []
        and result.held_text == "1/1 (1 not applicable)"
    )
    assert not result.comparisons[1].reproduced  # the numbers still say it misses
    result.comparisons.append(row("c", False))
    assert result.verdict == "partly reproduced" and [c.quantity for c in result.failed()] == ["c"]
    only_na = FindingResult("demo", "Demo", "source", "claim", [row("b", False, False)])
    assert only_na.verdict == "not reproduced"  # nothing judged: nothing reproduced
    text = write_report([result], tmp_path / "v.md", quick=True).read_text()
    assert "| b | 25-85 % | 3 % | within | not applicable |" in text
    assert "1 of 2 comparisons hold; 1 not applicable" in text
    assert "| 1/2 (1 not applicable) |" in text


def test_the_report_keeps_the_what_changed_section_near_the_top(tmp_path):
    """The section "What changed in the credible-numbers round" is written by hand between its
    markers; rewriting the findings keeps it, after the summary table and before the findings,
    and keeps the plausibility section at the end as before."""
    from loyaltysim.validation.report import (
        CHANGES_END,
        CHANGES_START,
        extract_changes,
        extract_section,
        replace_section,
        write_report,
    )
    from loyaltysim.validation.result import Comparison, FindingResult

    changes = "## What changed in the credible-numbers round\n\n| finding | before | now | why |\n"
    old = f"# old report\n\n{CHANGES_START}\n{changes}{CHANGES_END}\n\n## Old finding\n"
    out = tmp_path / "validation.md"
    out.write_text(replace_section(old, "## Plausibility\n\nkept\n"), encoding="utf-8")
    result = FindingResult("demo", "Demo", "source", "claim", [Comparison("q", "1", "1", "equal", True)])
    for _ in range(2):  # twice: the section is kept, not duplicated
        write_report([result], out, quick=True)
        text = out.read_text(encoding="utf-8")
        assert "# old report" not in text and "## Old finding" not in text
        assert extract_changes(text) == changes and text.count(CHANGES_START) == 1
        assert text.index("| [Demo](#demo)") < text.index(CHANGES_START) < text.index("## Demo")
        assert extract_section(text) == "## Plausibility\n\nkept\n"
    assert extract_changes("# no markers\n") is None


def test_the_shipped_report_says_what_changed_for_every_finding():
    from loyaltysim.validation.report import extract_changes

    text = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text(encoding="utf-8")
    changes = extract_changes(text)
    assert changes is not None and "## What changed in the credible-numbers round" in changes
    for key in FINDINGS:
        title = finding_module(key).TITLE.split(":")[0]
        assert f"| {title}" in changes, title
