"""Export a run's purchases as transactions: one row per purchase at a firm.

The table has the columns ``customer_id, firm, week, date, amount, generation`` - with (customer_id,
date, amount) it is the input of the standard customer-lifetime-value ("buy till you die") tools,
such as the BG/NBD and Pareto/NBD models of the ``lifetimes`` and ``btyd`` packages.

* ``customer_id`` (int32): the customer's row in the model's arrays (stable across weeks and across
  scenarios with the same seed and size);
* ``firm`` (categorical): the firm key; purchases outside the town are not transactions at a firm
  and are left out, as are weeks without a purchase;
* ``week`` (int32): the simulated week, 1 = the first step;
* ``date`` (datetime64): :data:`START_DATE` + 7 days x (week - 1), so week 1 is dated on the start
  date and every purchase of a week carries the same date (the model's clock ticks in weeks);
* ``amount`` (float32): dollars spent (basket x price index x spend lift), the same figure the
  weekly table sums as ``revenue``;
* ``generation`` (uint8): which person of the row bought - 0 the customer there from the start,
  1, 2, ... the newcomers who took the row after a customer left the category
  (:mod:`loyaltysim.mechanisms.lapse`). (customer_id, generation) identifies a person: a tool fed
  customer_id alone would see a lapsed customer and their successor as one who came back.

Memory: only the week's purchasers at a firm are kept (indices found with ``numpy.flatnonzero``),
as int32/int8/float32 chunks concatenated once at the end: 13 bytes per purchase while
recording, 21 in the final table (which adds the 8-byte date).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the CLI imports this module at start-up: keep the model (numba) out of it
    from loyaltysim.model import LoyaltyModel

#: Date of week 1's purchases (a Monday); week w is dated START_DATE + 7 x (w - 1) days.
START_DATE = dt.date(2000, 1, 3)

#: Columns of the transaction table, in order.
TRANSACTION_COLUMNS: tuple[str, ...] = ("customer_id", "firm", "week", "date", "amount", "generation")

#: File suffixes :func:`write_transactions` understands.
SUFFIXES: tuple[str, ...] = (".csv", ".parquet")


class TransactionRecorder:
    """Collects every purchase at a firm, week by week, from ``model.week_visits()``.

    Call :meth:`record` after each ``model.step()`` (``simulate(..., on_week=recorder.record)``
    does it), then :meth:`frame` for the table.
    """

    def __init__(self, start_date: dt.date = START_DATE):
        self.start_date = start_date
        self.firm_keys: list[str] = []
        self._customer: list[np.ndarray] = []
        self._firm: list[np.ndarray] = []
        self._week: list[np.ndarray] = []
        self._amount: list[np.ndarray] = []
        self._generation: list[np.ndarray] = []

    def record(self, model: LoyaltyModel) -> None:
        """Keep the purchases at a firm of the week ``model`` has just stepped."""
        if not self.firm_keys:
            self.firm_keys = list(model.firm_keys)
        visits = model.week_visits()
        bought = np.flatnonzero((visits.firm >= 0) & (visits.firm < model.n_firms))
        self._customer.append(bought.astype(np.int32))
        self._firm.append(visits.firm[bought].astype(np.int8))
        self._week.append(np.full(len(bought), model.week, dtype=np.int32))
        self._amount.append(visits.spend[bought].astype(np.float32))
        self._generation.append(buyer_generation(model, bought))

    def frame(self) -> pd.DataFrame:
        """The transactions recorded so far, sorted by week then customer (see the module doc)."""

        def cat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(chunks) if chunks else np.empty(0, dtype=dtype)

        week = cat(self._week, np.int32)
        firm = pd.Categorical.from_codes(cat(self._firm, np.int8), categories=self.firm_keys)
        start = np.datetime64(self.start_date, "D")
        return pd.DataFrame(
            {
                "customer_id": cat(self._customer, np.int32),
                "firm": firm,
                "week": week,
                "date": (start + 7 * (week.astype(np.int64) - 1)).astype("datetime64[s]"),
                "amount": cat(self._amount, np.float32),
                "generation": cat(self._generation, np.uint8),
            },
            columns=list(TRANSACTION_COLUMNS),
        )


def buyer_generation(model: LoyaltyModel, rows: np.ndarray) -> np.ndarray:
    """The generation of the person who bought in row ``rows`` in the week just stepped (uint8).

    A customer who left the category after this week's purchase was replaced at the end of the
    week (both engines): the row then holds a newcomer of the next generation who has bought
    nothing yet, so a buyer whose row no longer shows this week's purchase was the one before.
    """
    state = model.state
    replaced = state.last_purchase_week[rows] != model.week
    return (state.generation[rows].astype(np.int64) - replaced).astype(np.uint8)  # wraps as it


def collect_transactions(
    model: LoyaltyModel, weeks: int | None = None, start_date: dt.date = START_DATE
) -> pd.DataFrame:
    """Step ``model`` for ``weeks`` more weeks (default: to the scenario's end) and return every
    purchase at a firm in those weeks as a transaction table (see the module doc)."""
    recorder = TransactionRecorder(start_date)
    total = model.spec.market.weeks - model.week if weeks is None else weeks
    for _ in range(total):
        model.step()
        recorder.record(model)
    if not recorder.firm_keys:
        recorder.firm_keys = list(model.firm_keys)
    return recorder.frame()


def transactions_path(text: str) -> Path:
    """argparse type of ``--transactions FILE``: a path ending in .csv or .parquet."""
    path = Path(text)
    if path.suffix.lower() not in SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the transactions file must end in {' or '.join(SUFFIXES)} (CSV or Parquet)"
        )
    return path


def write_transactions(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a transaction table as CSV (dates as YYYY-MM-DD) or Parquet, chosen by the suffix;
    creates the folder. Raises ValueError for another suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"{path}: transactions can be written as {' or '.join(SUFFIXES)}, "
            f"not {suffix or 'a file without suffix'!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%d", float_format="%.2f")
    else:
        frame.to_parquet(path, index=False, engine="pyarrow")
    return path


def read_transactions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a file written by :func:`write_transactions` back with the same column types."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path, engine="pyarrow")
    else:
        frame = pd.read_csv(path, parse_dates=["date"], dtype={"firm": "category"})
    return frame.astype(
        {"customer_id": np.int32, "week": np.int32, "amount": np.float32, "generation": np.uint8}
    )
