"""What management did and why, in the CLI's outputs: ``run`` writes ``decisions.csv`` (every
decision of the firms' policies, the rows of ``model.decisions``; only the header when nobody
decided anything) and says how many each firm made; ``compare`` writes one per scenario folder and
the report lists them. Runs in-process, 500 customers for 40 weeks (the discount chain under
``cost_cutting`` cuts training in week 16 and prices in week 40 at seed 1), plots not drawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from loyaltysim import cli
from loyaltysim.metrics import DECISION_COLUMNS
from loyaltysim.model import LoyaltyModel
from loyaltysim.report import decisions_section, write_report
from loyaltysim.scenario import Scenario, load_scenario
from loyaltysim.simulate import SimulationResult, simulate

ROOT = Path(__file__).resolve().parent.parent
SPIRAL = ROOT / "examples" / "discount_spiral.toml"
SIZE = ["--customers", "500", "--weeks", "40", "--seed", "1"]
MARKET = ["market.customers=500", "market.weeks=40", "market.seed=1"]
HEADER = ",".join(DECISION_COLUMNS)


pytestmark = pytest.mark.usefixtures("no_usual_plots")  # tables and text, not figures


def main(*args: object) -> int:
    return cli.main([str(a) for a in args])


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"week": "int64", "firm": str, "change": str, "why": str})


def test_a_cost_cutting_run_writes_every_decision_and_says_how_many(tmp_path, capsys):
    out = tmp_path / "spiral"
    assert main("run", SPIRAL, *SIZE, "--out", out, "--quiet") == 0
    written = read(out / "decisions.csv")
    # The same scenario, run directly: its model's decisions are the file's rows, in order.
    model = LoyaltyModel(load_scenario(SPIRAL, MARKET))
    model.run()
    assert len(model.decisions) >= 2, "the policy should act in 40 weeks; the test proves nothing"
    assert list(written.columns) == list(DECISION_COLUMNS)
    assert list(written.itertuples(index=False, name=None)) == model.decisions
    assert set(written.firm) == {"discounter"}
    printed = capsys.readouterr().out
    line = [text for text in printed.splitlines() if text.startswith("decisions:")]
    assert line == [f"decisions: discounter (cost_cutting) {len(model.decisions)} - {out / 'decisions.csv'}"]


def test_the_python_result_carries_the_decisions():
    result = simulate(SPIRAL, customers=500, weeks=40, seed=1)
    model = LoyaltyModel(load_scenario(SPIRAL, MARKET))
    model.run()
    pd.testing.assert_frame_equal(result.decisions, model.decisions_frame())
    assert len(result.decisions) >= 2
    fixed = simulate("discount_chain", customers=200, weeks=8, seed=1)
    assert list(fixed.decisions.columns) == list(DECISION_COLUMNS) and fixed.decisions.empty


def test_a_fixed_policy_run_writes_only_the_header_and_prints_no_decisions(tmp_path, capsys):
    out = tmp_path / "fixed"
    assert main("run", "discount_chain", *SIZE, "--out", out) == 0
    assert (out / "decisions.csv").read_text(encoding="utf-8").splitlines() == [HEADER]
    assert read(out / "decisions.csv").empty
    printed = capsys.readouterr().out
    assert "decisions:" not in printed
    assert f"wrote {out / 'decisions.csv'}" in printed


def test_compare_writes_decisions_per_scenario_and_the_report_lists_them(tmp_path, capsys):
    out, report = tmp_path / "cmp", tmp_path / "report"
    assert main("compare", SPIRAL, "discount_chain", *SIZE, "--out", out, "--report", report, "--quiet") == 0
    spiral = read(out / "discount_spiral" / "decisions.csv")
    chain = out / "discount_chain" / "decisions.csv"
    assert chain.read_text(encoding="utf-8").splitlines() == [HEADER]
    model = LoyaltyModel(load_scenario(SPIRAL, MARKET))
    model.run()
    assert list(spiral.itertuples(index=False, name=None)) == model.decisions
    printed = [text for text in capsys.readouterr().out.splitlines() if text.startswith("decisions:")]
    assert printed == [
        f"decisions: discounter (cost_cutting) {len(spiral)} - {out / 'discount_spiral' / 'decisions.csv'}"
    ]
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "## Management decisions" in markdown
    for row in spiral.itertuples():
        assert f"| discount_spiral | {row.week} | discounter | {row.change} | {row.why} |" in markdown
    assert "Management decisions" in (report / "report.html").read_text(encoding="utf-8")


@dataclass
class FakeRun:
    scenario: Scenario
    firm_weekly: pd.DataFrame
    events: list[tuple[int, str]] = field(default_factory=list)
    decisions: pd.DataFrame | None = None


def test_the_report_lists_at_most_the_first_decisions_and_counts_the_rest(tmp_path):
    scenario = load_scenario(SPIRAL)
    many = pd.DataFrame(
        [(4 * (i + 1), "discounter", f"price cut {i}", f"reason {i}") for i in range(25)],
        columns=list(DECISION_COLUMNS),
    )
    section = decisions_section([FakeRun(scenario, pd.DataFrame(), decisions=many)], limit=20)
    assert section is not None
    assert [row[3] for row in section.rows] == [f"price cut {i}" for i in range(20)]
    assert section.more == [
        "... and 5 more decisions in discount_spiral: all of them in its folder's decisions.csv."
    ]
    # Runs without decisions (or without the attribute at all): no section.
    assert decisions_section([FakeRun(scenario, pd.DataFrame())]) is None
    empty = SimulationResult(scenario, pd.DataFrame(), [])
    assert list(empty.decisions.columns) == list(DECISION_COLUMNS) and decisions_section([empty]) is None


@pytest.mark.parametrize("command", ["run", "compare"])
def test_the_help_names_the_file(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    assert "decisions.csv" in capsys.readouterr().out


def test_a_report_without_decisions_has_no_decisions_section(tmp_path):
    run = simulate("discount_chain", customers=200, weeks=8, seed=1)
    write_report([run, run], tmp_path, images={})
    assert "Management decisions" not in (tmp_path / "report.md").read_text(encoding="utf-8")
