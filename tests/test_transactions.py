"""The transaction export: every purchase at a firm as (customer_id, firm, week, date, amount)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim.model import LoyaltyModel
from loyaltysim.simulate import simulate
from loyaltysim.transactions import (
    START_DATE,
    TRANSACTION_COLUMNS,
    TransactionRecorder,
    collect_transactions,
    read_transactions,
    transactions_path,
    write_transactions,
)

SCENARIO = "pharmacy_vs_brand"
WEEKS = 30
CUSTOMERS = 400


def small(engine: str = "numba", seed: int = 3, **extra) -> LoyaltyModel:
    overrides = {"market.customers": CUSTOMERS, "market.weeks": WEEKS, **extra}
    return LoyaltyModel(SCENARIO, rng=seed, engine=engine, overrides=overrides)


@pytest.fixture(scope="module")
def numba_run() -> tuple[LoyaltyModel, pd.DataFrame]:
    model = small("numba")
    return model, collect_transactions(model)


def test_columns_and_types(numba_run):
    _, tx = numba_run
    assert tuple(tx.columns) == TRANSACTION_COLUMNS
    assert tx["customer_id"].dtype == np.int32
    assert tx["week"].dtype == np.int32
    assert tx["amount"].dtype == np.float32
    assert isinstance(tx["firm"].dtype, pd.CategoricalDtype)
    assert len(tx) > 0
    assert tx["customer_id"].between(0, CUSTOMERS - 1).all()
    assert tx["week"].between(1, WEEKS).all()
    assert (tx["amount"] > 0).all()
    # One purchase per customer per week at most: a week is one purchase occasion.
    assert not tx.duplicated(["customer_id", "week"]).any()


def test_dates_follow_weeks(numba_run):
    _, tx = numba_run
    expected = pd.Timestamp(START_DATE) + pd.to_timedelta(7 * (tx["week"].astype(int) - 1), unit="D")
    assert (tx["date"] == expected).all()
    assert tx.loc[tx["week"] == 1, "date"].eq(pd.Timestamp(START_DATE)).all()


def test_totals_equal_weekly_table(numba_run):
    """Purchases and revenue per firm per week are exactly what the weekly table reports."""
    model, tx = numba_run
    weekly = model.firm_weekly().set_index(["week", "firm"])
    got = tx.groupby(["week", "firm"], observed=False).agg(
        purchases=("amount", "size"), revenue=("amount", "sum")
    )
    got = got.reindex(weekly.index, fill_value=0)
    np.testing.assert_array_equal(got["purchases"].to_numpy(), weekly["purchases"].to_numpy())
    np.testing.assert_allclose(
        got["revenue"].to_numpy(float), weekly["revenue"].to_numpy(float), rtol=1e-5, atol=0.01
    )
    assert weekly["purchases"].sum() == len(tx)


def test_same_seed_same_table_on_both_engines(numba_run):
    _, tx = numba_run
    reference = collect_transactions(small("reference"))
    pd.testing.assert_frame_equal(
        tx[["customer_id", "firm", "week", "date"]], reference[["customer_id", "firm", "week", "date"]]
    )
    np.testing.assert_allclose(tx["amount"], reference["amount"], rtol=1e-5)


def test_seed_changes_table(numba_run):
    _, tx = numba_run
    other = collect_transactions(small("numba", seed=4))
    assert not (
        len(other) == len(tx) and (other["customer_id"].to_numpy() == tx["customer_id"].to_numpy()).all()
    )


def test_simulate_hook_records_the_same_table(numba_run):
    _, tx = numba_run
    recorder = TransactionRecorder()
    seen: list[int] = []
    simulate(
        SCENARIO,
        customers=CUSTOMERS,
        weeks=WEEKS,
        seed=3,
        progress=lambda done, total: seen.append(done),
        on_week=recorder.record,
    )
    assert seen == list(range(1, WEEKS + 1))
    pd.testing.assert_frame_equal(recorder.frame(), tx)


def test_collect_continues_from_current_week():
    model = small()
    model.run(10)
    tx = collect_transactions(model, weeks=5)
    assert model.week == 15
    assert set(tx["week"]) <= set(range(11, 16))


def test_start_date_is_a_parameter():
    tx = collect_transactions(small(), weeks=3, start_date=dt.date(2024, 1, 1))
    assert tx["date"].min() == pd.Timestamp("2024-01-01")
    assert set(tx["date"]) <= {pd.Timestamp("2024-01-01") + pd.Timedelta(days=d) for d in (0, 7, 14)}


def test_empty_recorder_gives_empty_typed_table():
    frame = TransactionRecorder().frame()
    assert tuple(frame.columns) == TRANSACTION_COLUMNS and len(frame) == 0


@settings(max_examples=25, deadline=None)
@given(
    st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s and "\x00" not in s),
    st.sampled_from(["", ".txt", ".json", ".xlsx", ".csv.gz"]),
)
def test_path_type_rejects_other_suffixes(stem, suffix):
    import argparse

    name = stem + suffix
    if Path(name).suffix.lower() in (".csv", ".parquet"):
        assert transactions_path(name) == Path(name)
    else:
        with pytest.raises(argparse.ArgumentTypeError, match=r"\.csv or \.parquet"):
            transactions_path(name)


def test_write_rejects_unknown_suffix(tmp_path, numba_run):
    with pytest.raises(ValueError, match=r"csv or \.parquet"):
        write_transactions(numba_run[1], tmp_path / "tx.xlsx")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_and_read_back(tmp_path, numba_run, suffix):
    _, tx = numba_run
    path = write_transactions(tx, tmp_path / "sub" / f"tx{suffix}")
    back = read_transactions(path)
    pd.testing.assert_frame_equal(back[["customer_id", "week"]], tx[["customer_id", "week"]])
    assert (back["date"].to_numpy() == tx["date"].to_numpy()).all()
    assert list(back["firm"].astype(str)) == list(tx["firm"].astype(str))
    np.testing.assert_allclose(back["amount"], tx["amount"], atol=0.005 + 1e-6)


# --------------------------------------------------------------------------------------------------
# the real command


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loyaltysim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_run_writes_transactions(tmp_path, suffix):
    target = tmp_path / f"transactions{suffix}"
    out = tmp_path / "run"
    proc = cli(
        "run",
        SCENARIO,
        "--weeks",
        WEEKS,
        "--customers",
        CUSTOMERS,
        "--seed",
        3,
        "--out",
        out,
        "--quiet",
        "--transactions",
        target,
    )
    assert proc.returncode == 0, proc.stderr
    tx = read_transactions(target)
    weekly = pd.read_csv(out / "firm_weekly.csv")
    per_week = tx.groupby(["week", "firm"], observed=True).size()
    table = weekly[weekly["purchases"] > 0].set_index(["week", "firm"])["purchases"]
    assert per_week.sort_index().to_dict() == table.sort_index().to_dict()
    np.testing.assert_allclose(tx["amount"].sum(), weekly["revenue"].sum(), rtol=1e-4)
    assert tx["date"].min() == pd.Timestamp(START_DATE)


def test_cli_rejects_bad_suffix_before_running(tmp_path):
    proc = cli(
        "run",
        SCENARIO,
        "--weeks",
        2,
        "--customers",
        50,
        "--out",
        tmp_path / "run",
        "--quiet",
        "--transactions",
        tmp_path / "tx.xlsx",
    )
    assert proc.returncode == 2
    assert ".csv or .parquet" in proc.stderr
    assert not (tmp_path / "run").exists()
