"""The quantities of the plausibility check: one firm's weekly rows over the steady-state window
(or the customers' state at its last week) -> a number in the unit of its published range."""

from __future__ import annotations

import numpy as np
import pandas as pd


# -- metric functions: one firm's weekly rows over the window -> a number ------------------------
def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def _mean(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.mean()) if len(values) else float("nan")


def nps_base(weekly: pd.DataFrame) -> float:
    """NPS of the whole customer base (not the sampled survey), points: 100 x (promoters -
    detractors) / customer base, summed over the window's weeks."""
    return 100.0 * _ratio(
        weekly["promoters"].sum() - weekly["detractors"].sum(), weekly["customer_base"].sum()
    )


def engaged_share(weekly: pd.DataFrame) -> float:
    """Share of staff engaged in Gallup's sense, %: the weekly ``engaged_share``, averaged."""
    return 100.0 * _mean(weekly["engaged_share"])


def disengaged_share(weekly: pd.DataFrame) -> float:
    """Share of staff actively disengaged, %: the weekly ``disengaged_share``, averaged."""
    return 100.0 * _mean(weekly["disengaged_share"])


def yearly_turnover(weekly: pd.DataFrame) -> float:
    """Employee turnover per year, %: mean weekly ``turnover`` (quits / staff) x 52."""
    return 100.0 * 52.0 * _mean(weekly["turnover"])


def problems_per_visit(weekly: pd.DataFrame) -> float:
    """Service problems per visit, %: failures / purchases over the window."""
    return 100.0 * _ratio(weekly["failures"].sum(), weekly["purchases"].sum())


def complaint_share(weekly: pd.DataFrame) -> float:
    """Share of customers with a problem who complain to the store, %: complaints / (complaints +
    silent failures) over the window."""
    complaints = weekly["complaints"].sum()
    return 100.0 * _ratio(complaints, complaints + weekly["silent_failures"].sum())


def staff_cost_share(weekly: pd.DataFrame) -> float:
    """Staff cost as a share of sales, %: wages / revenue over the window (payroll, the way
    retailers report it; training, hiring and complaint handling are not in it)."""
    return 100.0 * _ratio(weekly["wages"].sum(), weekly["revenue"].sum())


def loyalty_rate(weekly: pd.DataFrame) -> float:
    """Loyalty rate (share of the base with high attachment), %: the weekly ``loyalty_rate``,
    averaged over the weeks with a base."""
    return 100.0 * _mean(weekly["loyalty_rate"])


#: The Dick & Basu cells, in the order true, spurious, latent, none; the first two are the
#: high-patronage cells.
CELLS: tuple[str, ...] = ("true_loyal", "spurious_loyal", "latent_loyal", "no_loyal")
HIGH_PATRONAGE_CELLS: tuple[str, ...] = CELLS[:2]


def cell_share(weekly: pd.DataFrame, cell: str) -> float:
    """Share of the customer base in Dick & Basu cell ``cell`` (one of :data:`CELLS`), %: the
    cell's customers / the customer base, summed over the window's weeks."""
    if cell not in CELLS:
        raise KeyError(f"unknown Dick & Basu cell {cell!r}; cells are {', '.join(CELLS)}")
    return 100.0 * _ratio(weekly[cell].sum(), weekly["customer_base"].sum())


def _share_of(cell: str, weekly: pd.DataFrame) -> float:
    return cell_share(weekly, cell)


def attachment_sd(attachment: np.ndarray, base_firm: np.ndarray, f: int) -> float:
    """Standard deviation of firm ``f``'s attachment over the customers in its base
    (``attachment``: customers x firms; ``base_firm``: each customer's base firm, -1 none);
    NaN with fewer than two customers in the base."""
    values = np.asarray(attachment)[np.asarray(base_firm) == f, f].astype(np.float64)
    return float(values.std()) if len(values) >= 2 else float("nan")


#: Weeks from a rival's opening over which the other stores' revenue is set against the same run
#: without the opening: the first year, as the published effects are of yearly revenue after entry
#: (``loyaltysim run``'s effects table shows 26 weeks by default; the loss grows after them).
OPENING_WEEKS = 52
