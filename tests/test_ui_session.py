"""The UI session: common random numbers, restarts on a change, the shock, uploads, downloads."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import ScenarioError, load_scenario, scenario_from_toml
from loyaltysim.ui.frames import CHART_METRICS
from loyaltysim.ui.session import Session

CUSTOMERS = 200
SEED = 5


@pytest.fixture
def session() -> Session:
    return Session(["corner_pharmacy", "loyal_brand"], customers=CUSTOMERS, seed=SEED)


def _series_equal(frame, model: LoyaltyModel, firm: str) -> None:
    table = model.firm_weekly()
    rows = table[table["firm"] == firm].sort_values("week")
    for metric in CHART_METRICS:
        expected = rows[metric].to_numpy(dtype=float)
        got = np.array([np.nan if x is None else x for x in frame.series[metric]], dtype=float)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9, equal_nan=True, err_msg=metric)


def test_columns_run_their_scenario_with_the_common_seed(session):
    for _ in range(6):
        session.step()
    assert session.week == 6
    assert [session.column_week(i) for i in range(2)] == [6, 6]
    for index, name in enumerate(["corner_pharmacy", "loyal_brand"]):
        reference = LoyaltyModel(name, rng=SEED, overrides={"market.customers": CUSTOMERS})
        reference.run(6)
        frame = session.frames.value[index]
        assert frame.week == 6
        _series_equal(frame, reference, reference.spec.focus_firm)
    # Same seed: both towns have the same households in the same places.
    pop0, pop1 = (session.model(i).population for i in range(2))
    np.testing.assert_array_equal(pop0["x"], pop1["x"])
    np.testing.assert_array_equal(pop0["emotion_weight"], pop1["emotion_weight"])


def test_a_control_change_restarts_the_column_and_it_catches_up(session):
    for _ in range(5):
        session.step()
    key, value = "firms.pharmacy.culture.empowerment.frontline", 100
    assert session.set_override(0, key, value)
    assert session.column_week(0) == 0 and session.column_week(1) == 5
    assert session.status.value.catching_up
    session.catch_up()
    assert session.column_week(0) == 5 and not session.catching_up
    reference = LoyaltyModel(
        "corner_pharmacy", rng=SEED, overrides={"market.customers": CUSTOMERS, key: value}
    )
    reference.run(5)
    _series_equal(session.frames.value[0], reference, "pharmacy")
    assert session.config(0).overrides == {key: value}
    assert session.model(0).spec.firms["pharmacy"].culture.empowerment.frontline == 100


def test_a_bad_override_is_refused_with_the_cli_message_and_nothing_changes(session):
    session.step()
    with pytest.raises(ScenarioError) as cli:
        load_scenario("corner_pharmacy", {"firms.pharmacy.price_index": 99})
    assert not session.set_override(0, "firms.pharmacy.price_index", 99)
    config = session.config(0)
    assert config.error == str(cli.value)
    assert config.overrides == {} and session.column_week(0) == 1
    assert not session.set_override_text(0, "firms.pharmacy.culture.trsut=0.5")
    assert "did you mean 'trust'" in session.config(0).error
    assert session.set_override_text(0, "firms.pharmacy.culture.trust=0.8")
    assert session.config(0).error is None
    assert session.step() and session.column_week(1) == 2


def test_the_shock_opens_the_waiting_competitor_next_week_in_every_column(session):
    for _ in range(10):
        session.step()
    assert session.status.value.shock_available
    fired = session.fire_shock()
    assert len(fired) == 2 and session.shock_week == 11
    assert not session.status.value.shock_available
    for _ in range(3):
        session.step()
    for index in range(2):
        model = session.model(index)
        assert model.spec.firms["supermarket"].open
        assert (11, "Supermarket with the same items opens nearby") in model.fired_events
        assert session.frames.value[index].events[-1][0] == 11
        assert "week 11" in session.config(index).shock_note
    # A restarted column replays the shock at the same week.
    session.set_override(1, "firms.brand.culture.trust", 0.3)
    session.catch_up()
    assert (11, "Supermarket with the same items opens nearby") in session.model(1).fired_events
    session.reset()
    assert session.week == 0 and session.shock_week is None
    assert session.config(1).overrides == {"firms.brand.culture.trust": 0.3}
    assert session.model(0).spec.events[0].week == 104


def test_a_scenario_without_a_waiting_competitor_is_left_alone():
    session = Session(["public_service_monopoly", "corner_pharmacy"], customers=CUSTOMERS, seed=SEED)
    session.step()
    assert "No competitor" in session.config(0).shock_note
    session.fire_shock()
    session.step()
    assert session.model(0).fired_events == []
    assert session.model(1).spec.firms["supermarket"].open


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loyaltysim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_download_round_trips_through_loyaltysim_run(session, tmp_path):
    """The downloaded TOML reproduces, through the real CLI, exactly what the column showed."""
    key = "firms.pharmacy.culture.empowerment.frontline"
    session.set_override(0, key, 100)
    for _ in range(6):
        session.step()
    session.fire_shock()
    for _ in range(4):
        session.step()
    text = session.scenario_toml(0)
    path = tmp_path / session.download_name(0)
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.market.seed == SEED and loaded.market.customers == CUSTOMERS
    assert loaded.firms["pharmacy"].culture.empowerment.frontline == 100
    assert loaded.events[0].week == 7
    assert loaded == scenario_from_toml(text)
    shown = session.model(0).firm_weekly()
    result = _run_cli(
        "run", str(path), "--weeks", "10", "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    ran = pd.read_csv(tmp_path / "out" / "firm_weekly.csv")
    numeric = [c for c in shown.columns if c not in ("firm",)]
    pd.testing.assert_frame_equal(
        ran[numeric].astype(float).reset_index(drop=True),
        shown[numeric].astype(float).reset_index(drop=True),
        rtol=1e-6,
        check_dtype=False,
    )


def test_an_unchanged_scenario_downloads_under_its_own_name(session):
    assert session.download_name(1) == "loyal_brand.toml"
    assert load_scenario(session.downloadable(1), {}) == session.config(1).scenario


@pytest.mark.parametrize(
    "content",
    [
        b"[firms.pharmacy\nopen = true\n",
        b'extends = "corner_pharmacy"\n[firms.pharmacy.culture]\ntrsut = 0.9\n',
        b'extends = "corner_pharmacy"\n[firms.pharmacy]\nprice_index = 7\n',
        b"\xff\xfe not text",
    ],
)
def test_bad_uploads_show_the_cli_message_and_the_column_keeps_running(session, tmp_path, content):
    session.step()
    (tmp_path / "bad.toml").write_bytes(content)
    cli = _run_cli("scenarios", "validate", "bad.toml", cwd=tmp_path)
    assert cli.returncode == 1
    assert not session.upload(0, "bad.toml", content)
    config = session.config(0)
    assert config.error in cli.stderr, (config.error, cli.stderr)
    assert config.source == "corner_pharmacy" and session.column_week(0) == 1
    assert session.step() and session.column_week(0) == 2


def test_a_good_upload_replaces_the_column_scenario(session):
    data = b'extends = "corner_pharmacy"\nname = "kind_pharmacy"\n[firms.pharmacy.culture]\nempathy = 0.9\n'
    session.step()
    assert session.upload(1, "kind.toml", data)
    config = session.config(1)
    assert config.error is None and config.source == "kind.toml"
    assert config.scenario.firms["pharmacy"].culture.empathy == 0.9
    assert "kind.toml" in session.sources
    session.catch_up()
    assert session.column_week(1) == 1


def test_town_settings_restart_every_column_and_refuse_bad_values(session):
    session.step()
    assert not session.set_town(0, SEED)
    assert "market.customers" in session.status.value.error
    assert session.customers == CUSTOMERS and session.column_week(0) == 1
    assert session.set_town(150, 9)
    assert session.model(0).n_customers == 150 and session.model(1).spec.market.seed == 9
    assert session.status.value.error is None


def test_columns_can_be_added_and_removed(session):
    session.step()
    session.add_column("fear_culture")
    session.catch_up()
    assert [c.source for c in session.configs.value] == ["corner_pharmacy", "loyal_brand", "fear_culture"]
    assert session.column_week(2) == 1
    session.remove_column(0)
    assert [c.index for c in session.configs.value] == [0, 1]
    assert len(session.frames.value) == 2


def test_the_worker_plays_and_pauses(session):
    cancel = threading.Event()
    worker = threading.Thread(target=session.work, args=(cancel,), daemon=True)
    worker.start()
    try:
        session.set_speed(0)
        session.play()
        deadline = time.monotonic() + 60
        while session.week < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        session.pause()
        time.sleep(0.3)
        stopped_at = session.week
        assert stopped_at >= 4
        time.sleep(0.5)
        assert session.week == stopped_at
        assert [session.column_week(i) for i in range(2)] == [stopped_at] * 2
    finally:
        cancel.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_a_failing_model_stops_the_session_with_a_message_until_reset(session, monkeypatch):
    session.step()
    model = session.model(1)

    def broken_step():
        raise FloatingPointError("attachment became NaN")

    monkeypatch.setattr(model, "step", broken_step)
    assert not session.step()
    status = session.status.value
    assert "Column B stopped with an error in week 2: attachment became NaN" in status.error
    assert not status.playing
    session.play()
    assert not session.step(playing=True) and not session.playing
    assert session.column_week(0) == 2 and session.column_week(1) == 1
    session.reset()
    assert session.status.value.error is None
    assert session.step() and [session.column_week(i) for i in range(2)] == [1, 1]


def test_a_scenario_file_given_on_the_command_line_becomes_a_column(tmp_path):
    path = tmp_path / "my_town.toml"
    path.write_text(
        'extends = "loyal_brand"\nname = "my_town"\n[firms.brand]\nprice_index = 1.2\n', encoding="utf-8"
    )
    session = Session([str(path), "corner_pharmacy"], customers=CUSTOMERS)
    config = session.config(0)
    assert config.source == "my_town.toml" and config.scenario.name == "my_town"
    assert config.scenario.firms["brand"].price_index == 1.2
    assert session.seed == load_scenario(path).market.seed  # the first scenario's seed
    assert "my_town.toml" in session.sources
    assert session.step()


class _LateLock:
    """A publish lock that makes one other thread arrive late: the window in which a publisher
    that read the state before a click could overwrite the click's newer frames."""

    def __init__(self, inner, delay: float):
        self.inner, self.delay, self.main = inner, delay, threading.main_thread()

    def __enter__(self):
        if threading.current_thread() is not self.main:
            time.sleep(self.delay)
        return self.inner.__enter__()

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)


def test_a_publisher_that_started_before_a_click_does_not_show_older_frames(session):
    session.step()
    session._publish_lock = _LateLock(session._publish_lock, delay=0.5)
    worker = threading.Thread(target=session._publish)
    worker.start()
    time.sleep(0.1)  # the worker is now waiting for the publish lock
    session.choose_firm(1, "supermarket")
    worker.join(timeout=10)
    assert [frame.firm for frame in session.frames.value] == ["pharmacy", "supermarket"]


def test_each_change_is_logged_with_the_column_and_what_it_now_runs(session, caplog):
    key = "firms.pharmacy.culture.empowerment.frontline"
    with caplog.at_level(logging.INFO, logger="loyaltysim.ui"):
        assert session.set_override(0, key, 120)
        assert not session.set_override(0, "firms.pharmacy.price_index", 99)
        assert session.clear_overrides(0)
    lines = [record.getMessage() for record in caplog.records if record.name == "loyaltysim.ui.session"]
    assert lines[0] == f"column A runs corner_pharmacy with {key} = 120, from week 0"
    assert lines[1].startswith("column A refused a change: ") and "price_index" in lines[1]
    assert lines[2] == "column A runs corner_pharmacy with no changes, from week 0"
    assert len(lines) == 3
