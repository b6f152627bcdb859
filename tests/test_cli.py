"""End-to-end tests of the ``loyaltysim`` command: the real command, run as a subprocess.

Small populations and short runs keep the file fast; the test scenarios move the supermarket's
opening to week 30 so that events, before/after figures and the report's reading are exercised.
"""

from __future__ import annotations

import base64
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from loyaltysim.metrics import FIRM_WEEKLY_COLUMNS
from loyaltysim.scenario import load_scenario, shipped_scenarios

WEEKS = 60
CUSTOMERS = 300
EVENT_WEEK = 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EARLY_EVENT = f"""
[[events]]
week = {EVENT_WEEK}
label = "Supermarket opens early"
set = {{ "firms.supermarket.open" = true }}
"""


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m loyaltysim ARGS`` and capture its output (stdout/stderr are not TTYs)."""
    return subprocess.run(
        [sys.executable, "-m", "loyaltysim", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def focus_rows(df: pd.DataFrame, firm: str) -> pd.DataFrame:
    return df[df["firm"] == firm].sort_values("week").set_index("week")


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def dollars(value: float) -> str:
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


# --------------------------------------------------------------------------------------------------
# run


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("run") / "pharmacy"
    proc = cli(
        "run",
        "corner_pharmacy",
        "--weeks",
        WEEKS,
        "--customers",
        CUSTOMERS,
        "--seed",
        3,
        "--set",
        "firms.pharmacy.price_index=0.95",
        "--out",
        out,
    )
    return proc, out


def test_run_writes_tidy_table_with_one_row_per_firm_per_week(run_out):
    proc, out = run_out
    assert proc.returncode == 0, proc.stderr
    df = read_csv(out / "firm_weekly.csv")
    assert tuple(df.columns) == FIRM_WEEKLY_COLUMNS
    firms = list(load_scenario("corner_pharmacy").firms)
    assert sorted(df["firm"].unique()) == sorted(firms)
    assert len(df) == len(firms) * WEEKS
    assert not df.duplicated(["week", "firm"]).any()
    for firm in firms:
        assert list(focus_rows(df, firm).index) == list(range(1, WEEKS + 1))


def test_run_parquet_equals_csv(run_out):
    _, out = run_out
    csv = read_csv(out / "firm_weekly.csv")
    parquet = pd.read_parquet(out / "firm_weekly.parquet")
    assert list(parquet.columns) == list(csv.columns)
    pd.testing.assert_frame_equal(parquet.reset_index(drop=True), csv, check_dtype=False)


def test_run_writes_resolved_scenario_with_cli_settings(run_out):
    _, out = run_out
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.market.weeks == WEEKS
    assert scenario.market.customers == CUSTOMERS
    assert scenario.market.seed == 3
    assert scenario.firms["pharmacy"].price_index == pytest.approx(0.95)
    # The resolved file is self-contained: no inheritance left to resolve.
    assert "extends" not in tomllib.loads((out / "scenario.toml").read_text())


def test_run_from_written_scenario_reproduces_the_table(run_out, tmp_path):
    _, out = run_out
    proc = cli("run", out / "scenario.toml", "--out", tmp_path / "again", "--quiet")
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(
        read_csv(tmp_path / "again" / "firm_weekly.csv"), read_csv(out / "firm_weekly.csv")
    )


def test_run_writes_png_plots(run_out):
    _, out = run_out
    for name in ("dick_basu", "dashboard", "complaints"):
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 20_000, f"{name}.png looks empty"


def test_run_summary_prints_last_quarter_means_from_the_csv(run_out):
    proc, out = run_out
    rows = focus_rows(read_csv(out / "firm_weekly.csv"), "pharmacy")
    last = rows.loc[WEEKS - 12 : WEEKS]
    assert len(last) == 13
    assert "Corner pharmacy (pharmacy)" in proc.stdout
    assert f"{last['customer_base'].mean():,.1f}" in proc.stdout
    assert pct(last["retention_base"].mean()) in proc.stdout
    assert dollars(last["profit"].mean()) in proc.stdout


def test_run_without_tty_prints_no_progress_bar(run_out):
    proc, _ = run_out
    assert proc.stderr == ""


# --------------------------------------------------------------------------------------------------
# compare


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("compare")
    (base / "early_pharmacy.toml").write_text(
        'extends = "corner_pharmacy"\nname = "early_pharmacy"\n' + EARLY_EVENT
    )
    # A different seed in the second file: compare must still run it with the first one's seed.
    (base / "early_brand.toml").write_text(
        'extends = "loyal_brand"\nname = "early_brand"\n[market]\nseed = 7\n' + EARLY_EVENT
    )
    out, report = base / "out", base / "report"
    proc = cli(
        "compare",
        base / "early_pharmacy.toml",
        base / "early_brand.toml",
        "--weeks",
        WEEKS,
        "--customers",
        CUSTOMERS,
        "--out",
        out,
        "--report",
        report,
    )
    return proc, out, report


def test_compare_runs_every_scenario_with_the_first_scenarios_seed(compare_out):
    proc, out, _ = compare_out
    assert proc.returncode == 0, proc.stderr
    seeds = {
        name: load_scenario(out / name / "scenario.toml").market.seed
        for name in ("early_pharmacy", "early_brand")
    }
    assert seeds == {"early_pharmacy": 1, "early_brand": 1}


def test_compare_writes_each_scenarios_table(compare_out):
    _, out, _ = compare_out
    for name, firms in (
        ("early_pharmacy", {"pharmacy", "supermarket"}),
        ("early_brand", {"brand", "supermarket"}),
    ):
        df = read_csv(out / name / "firm_weekly.csv")
        assert tuple(df.columns) == FIRM_WEEKLY_COLUMNS
        assert set(df["firm"]) == firms
        assert len(df) == len(firms) * WEEKS
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name / "firm_weekly.parquet"), df, check_dtype=False
        )
    for name in ("compare_loyalty", "compare_dashboard"):
        assert (out / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def kept_from_csv(df: pd.DataFrame, firm: str) -> float:
    """Customer base in week e+25 / mean base over weeks e-13..e-1 (e = event week)."""
    rows = focus_rows(df, firm)
    before = rows.loc[EVENT_WEEK - 13 : EVENT_WEEK - 1, "customer_base"].mean()
    return rows.loc[EVENT_WEEK + 25, "customer_base"] / before


def test_compare_report_html_is_self_contained_with_numbers_from_the_csv(compare_out):
    _, out, report = compare_out
    html = (report / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 2
    assert all(base64.b64decode(img).startswith(PNG_MAGIC) for img in images)
    assert not re.search(r'src="(?!data:)', html), "report.html links an external file"
    for name, firm in (("early_pharmacy", "pharmacy"), ("early_brand", "brand")):
        df = read_csv(out / name / "firm_weekly.csv")
        last = focus_rows(df, firm).loc[WEEKS - 12 : WEEKS]
        assert dollars(last["profit"].mean()) in html
        assert pct(last["loyalty_rate"].mean()) in html
        kept = kept_from_csv(df, firm)
        assert not math.isnan(kept)
        assert f"kept {pct(kept)} of its customer base" in html
    assert "Supermarket opens early" in html
    assert load_scenario("corner_pharmacy").description in html
    assert load_scenario("loyal_brand").description in html


def test_compare_report_markdown_references_png_files_beside_it(compare_out):
    proc, out, report = compare_out
    md = (report / "report.md").read_text()
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(linked) >= 2
    for name in linked:
        assert (report / name).read_bytes().startswith(PNG_MAGIC)
    df = read_csv(out / "early_pharmacy" / "firm_weekly.csv")
    assert pct(kept_from_csv(df, "pharmacy")) in md
    assert f"| {EVENT_WEEK} | early_pharmacy | Supermarket opens early |" in md
    # The terminal shows the same side-by-side numbers.
    assert pct(kept_from_csv(df, "pharmacy")) in proc.stdout


def test_compare_needs_two_scenarios():
    proc = cli("compare", "corner_pharmacy", "--weeks", 2, "--customers", 20)
    assert proc.returncode == 2
    assert "at least two scenarios" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------------
# scenarios and errors


def test_scenarios_list_names_every_shipped_scenario():
    proc = cli("scenarios", "list")
    assert proc.returncode == 0, proc.stderr
    for name in shipped_scenarios():
        assert name in proc.stdout
        assert load_scenario(name).focus_firm in proc.stdout
    assert "_town" not in proc.stdout


def test_scenarios_show_prints_resolved_toml_with_overrides():
    proc = cli("scenarios", "show", "turnaround", "--set", "market.weeks=52")
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(proc.stdout)
    assert data["market"]["weeks"] == 52
    assert data["focus"] == "discounter"
    assert "supermarket" in data["firms"]  # inherited from the town
    assert "extends" not in data


def test_scenarios_validate_reports_ok_and_broken_files(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('extends = "corner_pharmacy"\n[market]\nweeks = 52\n')
    broken = tmp_path / "broken.toml"
    broken.write_text('extends = "corner_pharmacy"\n[market]\nweekz = 52\n')
    proc = cli("scenarios", "validate", good, broken)
    assert proc.returncode == 1
    assert f"{good}: OK" in proc.stdout
    message = proc.stderr
    assert str(broken) in message
    assert "market.weekz" in message
    assert "did you mean 'weeks'" in message
    assert "Traceback" not in message
    assert cli("scenarios", "validate", good).returncode == 0


def test_bad_set_key_exits_2_with_did_you_mean():
    proc = cli("run", "corner_pharmacy", "--weeks", 2, "--customers", 20, "--set", "firms.pharmcy.open=true")
    assert proc.returncode == 2
    assert "did you mean 'pharmacy'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unknown_scenario_exits_2_naming_the_shipped_ones():
    proc = cli("run", "corner_pharmacyy", "--weeks", 2)
    assert proc.returncode == 2
    assert "did you mean 'corner_pharmacy'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "must_mention"),
    [
        ((), ["run", "compare", "scenarios"]),
        (("run",), ["--weeks", "--customers", "--seed", "--set", "--out", "--quiet", "examples"]),
        (
            ("compare",),
            ["--weeks", "--customers", "--seed", "--set", "--out", "--report", "same seed", "examples"],
        ),
        (("scenarios",), ["list", "show", "validate", "examples"]),
        (("scenarios", "list"), ["examples"]),
        (("scenarios", "show"), ["--set", "NAME_OR_FILE", "examples"]),
        (("scenarios", "validate"), ["FILE", "examples"]),
    ],
)
def test_help_of_every_command(args, must_mention):
    proc = cli(*args, "--help")
    assert proc.returncode == 0, proc.stderr
    for word in must_mention:
        assert word in proc.stdout, word
