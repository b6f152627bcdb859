"""``run`` and ``compare`` report every event's effect against the same run without it (issue 16
item 3): event_effects.csv equals :func:`loyaltysim.counterfactual.event_effects`, the effects
carry the right sign, the table says what it is measured against, ``--no-counterfactual`` skips
it and the report has its section and figure. Small towns, short runs, in-process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyaltysim import cli
from loyaltysim.counterfactual import EFFECT_COLUMNS, event_effects
from loyaltysim.report import effect_value
from loyaltysim.scenario import load_scenario

CUSTOMERS, WEEKS, EVENT, SEED, WINDOW = 250, 24, 12, 3, 8
SETS = {"market.customers": CUSTOMERS, "market.weeks": WEEKS, "events.0.week": EVENT, "market.seed": SEED}
ARGS = ["--customers", CUSTOMERS, "--weeks", WEEKS, "--set", f"events.0.week={EVENT}", "--seed", SEED]
HONEST = "against the same run without the event (same seed)"


pytestmark = pytest.mark.usefixtures("no_usual_plots")  # tables and text, not figures


def main(*args: object) -> int:
    return cli.main([str(a) for a in args])


def words(text: str) -> str:
    return " ".join(text.split())


def assert_matches(written: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(written.columns) == ["scenario", *EFFECT_COLUMNS]
    written = written.drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        written[["event_week", "event", "firm", "metric"]],
        expected[["event_week", "event", "firm", "metric"]],
    )
    for column in ("first_week", "last_week", "factual", "counterfactual", "effect", "effect_share"):
        np.testing.assert_allclose(
            written[column].to_numpy(dtype=float),
            expected[column].to_numpy(dtype=float),
            rtol=1e-12,
            err_msg=column,
        )


def test_run_writes_and_prints_each_events_effect(tmp_path, capsys):
    out = tmp_path / "run"
    assert main("run", "pharmacy_vs_brand", *ARGS, "--effect-window", WINDOW, "--out", out) == 0
    written = pd.read_csv(out / "event_effects.csv")
    expected = event_effects("pharmacy_vs_brand", window_weeks=WINDOW, overrides=SETS)
    assert_matches(written, expected)
    assert (written["scenario"] == "pharmacy_vs_brand").all()
    assert (written["first_week"] == EVENT).all() and (written["last_week"] == EVENT + WINDOW - 1).all()
    rows = written.set_index(["firm", "metric"])
    # the sign: effect = with - without; the supermarket exists only with its opening
    assert (written["effect"] == written["factual"] - written["counterfactual"]).all()
    assert rows.at[("supermarket", "revenue"), "counterfactual"] == 0
    assert rows.at[("supermarket", "revenue"), "effect"] > 0
    assert rows.at[("pharmacy", "revenue"), "effect"] < 0
    assert (out / "event_effects.png").read_bytes()[:4] == b"\x89PNG"
    printed = words(capsys.readouterr().out)
    assert HONEST in printed
    pharmacy = rows.loc[("pharmacy", "revenue")]
    assert effect_value("revenue", pharmacy["effect"], signed=True).startswith("-$")
    assert effect_value("revenue", pharmacy["effect"], signed=True) in printed
    assert f"weeks {EVENT}-{EVENT + WINDOW - 1}" in printed


def test_no_counterfactual_skips_the_extra_runs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main("run", "pharmacy_vs_brand", *ARGS, "--no-counterfactual", "--out", out, "--quiet") == 0
    assert not (out / "event_effects.csv").exists() and not (out / "event_effects.png").exists()
    assert HONEST not in words(capsys.readouterr().out)


def test_a_run_without_events_writes_no_effects(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main("run", "public_service_monopoly", "--customers", 100, "--weeks", 5, "--out", out, "--quiet") == 0
    )
    assert not (out / "event_effects.csv").exists()


def test_the_effect_window_is_at_least_a_week(capsys):
    with pytest.raises(SystemExit) as exit_:
        main("run", "corner_pharmacy", "--effect-window", 0)
    assert exit_.value.code == 2
    assert "--effect-window" in capsys.readouterr().err


def test_compare_shows_each_scenarios_effects_and_the_report_has_the_section(tmp_path, capsys):
    out, report = tmp_path / "cmp", tmp_path / "report"
    names = ["corner_pharmacy", "loyal_brand"]
    assert main("compare", *names, *ARGS, "--effect-window", WINDOW, "--out", out, "--report", report) == 0
    written = pd.read_csv(out / "event_effects.csv")
    assert list(dict.fromkeys(written["scenario"])) == names
    for name in names:
        expected = event_effects(name, window_weeks=WINDOW, overrides=SETS)
        assert_matches(written[written["scenario"] == name], expected)
    printed = words(capsys.readouterr().out)
    assert all(f"— {name}: {HONEST}" in printed for name in names)
    assert (out / "event_effects.png").exists()
    markdown = (report / "report.md").read_text()
    label = load_scenario("corner_pharmacy").firms["supermarket"].label
    title = f"What the {label[0].lower()}{label[1:]} cost each store"
    assert f"## {title}" in markdown
    assert "![" in markdown and "](event_effects.png)" in markdown
    assert (report / "event_effects.png").read_bytes()[:4] == b"\x89PNG"
    html = (report / "report.html").read_text()
    assert f"<h2>{title}</h2>" in html and 'id="event_effects"' in html
    # each store's customers in the window's last week, with and without the event, as the CSV says
    focus = written[(written["metric"] == "customer_base") & (written["firm"].isin(["pharmacy", "brand"]))]
    for row in focus.itertuples():
        with_, without = (effect_value("customer_base", v) for v in (row.factual, row.counterfactual))
        cells = f"| {with_} | {without} |"
        assert cells in markdown
