"""What ``run`` and ``compare`` write (issue 21, findings 2, 4 and 8): the written scenario.toml
reproduces the run exactly, output folders made from scenario names stay inside runs/, and a write
error names the folder. Runs in-process, small towns and short runs, plots not drawn (they are
tested in test_cli.py)."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim import cli
from loyaltysim.scenario import load_scenario, shipped_scenarios

WEEKS = 12
CUSTOMERS = 120


pytestmark = pytest.mark.usefixtures("no_usual_plots")  # tables and text, not figures


def run(*args: str | Path) -> int:
    return cli.main(["run", *map(str, args), "--quiet"])


def moved_events(name: str) -> list[str]:
    """``--set`` arguments that move every event of ``name`` into the short run (weeks 3, 6...)."""
    events = load_scenario(name).events
    return [f"events.{i}.week={3 * (i + 1)}" for i in range(len(events))]


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_rerunning_the_written_scenario_reproduces_the_run(name, tmp_path, capsys):
    """The probe: ``run corner_pharmacy ... --set events.0.week=5 --out A`` then ``run
    A/scenario.toml --out B`` - the supermarket was open in weeks 5-12 in A but 1-12 in B."""
    sets = [*moved_events(name), f"firms.{load_scenario(name).focus_firm}.culture.trust=0.7"]
    args = [a for s in sets for a in ("--set", s)]
    assert (
        run(name, "--weeks", WEEKS, "--customers", CUSTOMERS, "--seed", 5, *args, "--out", tmp_path / "A")
        == 0
    )
    assert run(tmp_path / "A" / "scenario.toml", "--out", tmp_path / "B") == 0
    a = pd.read_parquet(tmp_path / "A" / "firm_weekly.parquet")
    b = pd.read_parquet(tmp_path / "B" / "firm_weekly.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    written = load_scenario(tmp_path / "A" / "scenario.toml")
    assert [e.week for e in written.events] == [3 * (i + 1) for i in range(len(written.events))]
    # the events are in the file as given: a firm that an event opens is still closed at the start
    assert written == load_scenario(
        name, [*sets, f"market.weeks={WEEKS}", f"market.customers={CUSTOMERS}", "market.seed=5"]
    )


def test_compare_writes_scenarios_that_reproduce_each_run(tmp_path):
    out = tmp_path / "cmp"
    assert (
        cli.main(
            [
                "compare",
                "corner_pharmacy",
                "turnaround",
                "--weeks",
                str(WEEKS),
                "--customers",
                str(CUSTOMERS),
                "--set",
                "events.0.week=4",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    for name in ("corner_pharmacy", "turnaround"):
        assert run(out / name / "scenario.toml", "--out", tmp_path / name) == 0
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name / "firm_weekly.parquet"),
            pd.read_parquet(tmp_path / name / "firm_weekly.parquet"),
        )


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("../../../ESCAPED", "_.._.._ESCAPED"),
        ("<tmp>/absolute", None),
        (".", "scenario"),
        ("..", "scenario"),
        ("", "scenario"),
        ("a\x00b", "a_b"),
        ("-rf", "rf"),
        ("x" * 190, "x" * cli.FOLDER_CHARS),
        ("my town", "my_town"),
    ],
)
def test_a_scenario_name_cannot_lead_out_of_runs(name, folder, tmp_path, monkeypatch):
    """The probe: ``name = "../../../ESCAPED"`` wrote outside runs/, an absolute name wrote
    there, "." and ".." wrote into runs/ or its parent, a NUL gave a traceback after the run."""
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    name = name.replace("<tmp>", str(tmp_path))  # an absolute path, inside this test's folder
    assert run("corner_pharmacy", "--weeks", 3, "--customers", 50, "--set", f"name={name}") == 0
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("firm_weekly.csv")]
    assert len(written) == 1 and written[0].parent.parent == Path("a/b/c/runs"), written
    if folder is not None:
        assert written[0].parent.name == folder


def test_compare_folder_names_are_sanitised_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        cli.main(
            [
                "compare",
                "corner_pharmacy",
                "loyal_brand",
                "--weeks",
                "3",
                "--customers",
                "50",
                "--set",
                "name=../up",
                "--quiet",
            ]
        )
        == 0
    )
    folders = {p.parent.relative_to(tmp_path) for p in tmp_path.rglob("firm_weekly.csv")}
    assert folders == {Path("runs/compare__up_vs__up/_up"), Path("runs/compare__up_vs__up/_up-2")}


def test_a_full_disk_is_reported_with_the_folder(tmp_path, monkeypatch, capsys):
    """Was: "[Errno 28] No space left on device" with no path."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "out"
    assert run("corner_pharmacy", "--weeks", 3, "--customers", 50, "--out", out) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err and "Traceback" not in err


def test_an_output_folder_that_cannot_be_made_fails_before_the_run(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ran = []
    monkeypatch.setattr(cli, "_simulate", lambda *a, **k: ran.append(1))
    assert run("corner_pharmacy", "--out", blocker / "sub") == 1
    assert not ran and str(blocker / "sub") in capsys.readouterr().err


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
    | st.sampled_from(["..", ".", "/", "../..", "~", "-", "\x00", "a/../../b", "C:\\x"])
)
def test_any_name_gives_one_folder_inside_runs(name):
    """Property: whatever the name, its folder is one plain path component inside runs/."""
    folder = cli.folder_name(name)
    assert 0 < len(folder) <= cli.FOLDER_CHARS
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", folder), folder
    assert folder not in (".", "..")
    out = cli._default_out(name)
    assert out.parent == cli.RUNS_ROOT and out.resolve().parent == cli.RUNS_ROOT.resolve()
    several = cli._default_out(name, name)
    assert several.parent == cli.RUNS_ROOT and len(several.name) <= cli.FOLDER_CHARS
