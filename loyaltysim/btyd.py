"""Buy-till-you-die: the BG/NBD model of Fader, Hardie & Lee (2005) and the CDNOW data.

BG/NBD ("beta-geometric / negative binomial distribution"): while alive, a customer buys as a
Poisson process with rate lambda ~ gamma(r, alpha) (per week here); after each purchase the
customer "dies" (becomes inactive for good) with probability p ~ beta(a, b). From a customer's
(frequency x = repeat purchases, recency t_x = time of the last purchase, T = time observed, both
counted from the first purchase) the model gives a likelihood (FHL 2005, eq. 6), fitted here by
maximum likelihood with scipy, and forecasts (eq. 7 and 10).

Why not the ``lifetimes`` fitter: ``lifetimes`` (0.11.3, 2020) is in maintenance mode, imports
autograd, and warns at import that pandas 4 will break it; its data set loader needs
``pkg_resources``. The likelihood is a dozen lines. The CDNOW data (Fader & Hardie's sample, 58 kB
gzipped) ships with loyaltysim in ``loyaltysim/data/cdnow/``; ``lifetimes`` is only a test
dependency, an independent fit to check this one against. For fitting customer-lifetime-value
models to a ``loyaltysim run --transactions`` export, PyMC-Marketing is the maintained library
(``pip install 'loyaltysim[clv]'``; the README's recipe, fitted per firm).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special

#: Published BG/NBD fit to the CDNOW sample (Fader, Hardie & Lee 2005, p. 281), weeks.
CDNOW_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

#: CDNOW's calibration period ends on this day (the cohort first bought in Jan-Mar 1997).
CDNOW_CALIBRATION_END = dt.date(1997, 9, 30)

#: Last day of CDNOW's 78-week observation (calibration + holdout).
CDNOW_END = dt.date(1998, 6, 30)

PARAMS = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBDFit:
    """A maximum-likelihood BG/NBD fit: parameters, standard errors, log-likelihood, n."""

    r: float
    alpha: float
    a: float
    b: float
    se: dict[str, float]  # standard errors from the inverse Hessian of the log-likelihood
    log_likelihood: float
    n: int  # customers

    @property
    def params(self) -> dict[str, float]:
        """{'r', 'alpha', 'a', 'b'} -> value."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @property
    def mean_rate(self) -> float:
        """Mean purchase rate of a customer while alive, r / alpha (purchases per week)."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Mean chance of becoming inactive after a purchase, a / (a + b)."""
        return self.a / (self.a + self.b)

    def interval(self, name: str, z: float = 1.96) -> tuple[float, float]:
        """Wald confidence interval of a parameter (95 % by default)."""
        value = self.params[name]
        return value - z * self.se[name], value + z * self.se[name]

    def expected_repeats(self, t: np.ndarray | float) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in its first ``t`` weeks (eq. 7)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))

    def conditional_expected(
        self, t: float, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` weeks of customers with the
        given summary (eq. 10) - the forecast of a holdout period."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        z = t / (alpha + big_t + t)
        first = (
            (a + b + x - 1)
            / (a - 1)
            * (
                1
                - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
                * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
            )
        )
        alive_odds = np.where(
            x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + big_t) / (alpha + tx)) ** (r + x), 0.0
        )
        return first / (1 + alive_odds)


def log_likelihood(
    params: np.ndarray, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6) of (r, alpha, a, b)."""
    r, alpha, a, b = params
    x = frequency
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    a4 = np.full_like(a3, -np.inf)
    a4[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + recency[repeat])
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(
    frequency: np.ndarray | pd.Series, recency: np.ndarray | pd.Series, age: np.ndarray | pd.Series
) -> BGNBDFit:
    """Fit BG/NBD by maximum likelihood to customers' (frequency, recency, T) in weeks.

    Optimises the log-parameters with L-BFGS-B from several starts, keeps the best; standard
    errors come from a central-difference Hessian of the log-likelihood at the optimum.
    """
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    big_t = np.asarray(age, dtype=float)
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if np.any(x < 0) or np.any(tx < 0) or np.any(tx > big_t + 1e-9) or np.any((x == 0) & (tx > 0)):
        raise ValueError(
            "BG/NBD summary must have 0 <= recency <= T, frequency >= 0, and recency 0 when frequency is 0"
        )

    def objective(theta: np.ndarray) -> float:
        return -float(log_likelihood(np.exp(theta), x, tx, big_t).sum())

    best = None
    for start in (
        [0.0, 0.0, 0.0, 0.0],
        [np.log(0.5), np.log(5.0), 0.0, np.log(3.0)],
        [0.0, np.log(20.0), np.log(0.2), np.log(10.0)],
    ):
        res = optimize.minimize(objective, np.array(start), method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4)
        if best is None or res.fun < best.fun:
            best = res
    values = np.exp(best.x)
    hessian = _hessian(lambda p: -float(log_likelihood(p, x, tx, big_t).sum()), values)
    try:
        cov = np.linalg.inv(hessian)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    except np.linalg.LinAlgError:
        se = np.full(4, np.nan)
    return BGNBDFit(
        *(float(v) for v in values),
        se=dict(zip(PARAMS, map(float, se), strict=True)),
        log_likelihood=-float(best.fun),
        n=len(x),
    )


def _hessian(func, point: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function of a few variables."""
    k = len(point)
    h = rel_step * np.maximum(np.abs(point), 1e-3)
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            total = 0.0
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                p = point.astype(float).copy()
                p[i] += si * h[i]
                p[j] += sj * h[j]
                total += sign * func(p)
            out[i, j] = out[j, i] = total / (4 * h[i] * h[j])
    return out


def summarise(
    transactions: pd.DataFrame,
    calibration_end: dt.date,
    customer_col: str = "customer_id",
    date_col: str = "date",
) -> pd.DataFrame:
    """The (frequency, recency, T) summary of each customer over a calibration period, in weeks.

    As in CDNOW: purchases on one day count once; frequency = repeat purchase days after the
    first, recency = days from the first purchase to the last / 7, T = days from the first
    purchase to ``calibration_end`` (inclusive end of the period) / 7. Customers whose first
    purchase falls after ``calibration_end`` are left out. Index: customer id.
    """
    end = pd.Timestamp(calibration_end)
    days = transactions.loc[transactions[date_col] <= end, [customer_col, date_col]]
    days = days.drop_duplicates()
    grouped = days.groupby(customer_col, observed=True)[date_col]
    first, last, count = grouped.min(), grouped.max(), grouped.size()
    week = pd.Timedelta(days=7)
    return pd.DataFrame(
        {
            "frequency": (count - 1).astype(np.int64),
            "recency": (last - first) / week,
            "T": (end - first) / week,
        }
    )


def holdout_counts(
    transactions: pd.DataFrame,
    calibration_end: dt.date,
    end: dt.date,
    customer_col: str = "customer_id",
    date_col: str = "date",
) -> pd.Series:
    """Purchase days per customer after ``calibration_end`` up to ``end`` (inclusive)."""
    dates = transactions[date_col]
    held = transactions.loc[
        (dates > pd.Timestamp(calibration_end)) & (dates <= pd.Timestamp(end)), [customer_col, date_col]
    ].drop_duplicates()
    return held.groupby(customer_col, observed=True).size()


#: The CDNOW sample's files, shipped gzipped in ``loyaltysim/data/cdnow/`` (see its README.md);
#: byte-identical to the copies distributed with ``lifetimes`` 0.11.3 (SHA-256 of the unzipped file).
CDNOW_FILES = {
    "CDNOW_sample.txt": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
    "cdnow_customers_summary.csv": "09d92ca80daaabe8be0f997d4c539f9c9606106baa5b199081fe01cbce5fa9f6",
}


def cdnow_data_file(name: str) -> Path:
    """Path of a shipped CDNOW file (gzipped): ``name`` is one of :data:`CDNOW_FILES`."""
    if name not in CDNOW_FILES:
        raise FileNotFoundError(f"no CDNOW file {name!r}; shipped: {', '.join(CDNOW_FILES)}")
    return Path(__file__).resolve().parent / "data" / "cdnow" / f"{name}.gz"


def cdnow_summary() -> pd.DataFrame:
    """The CDNOW sample's calibration summary (2,357 customers who
    first bought in Q1 1997; frequency, recency, T in weeks to 30 Sept 1997)."""
    return pd.read_csv(cdnow_data_file("cdnow_customers_summary.csv"), index_col=0)


def cdnow_transactions() -> pd.DataFrame:
    """The CDNOW sample's 78 weeks of transactions (``CDNOW_sample.txt``):
    customer_id, date, cds, amount (dollars)."""
    frame = pd.read_csv(
        cdnow_data_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame[["customer_id", "date", "cds", "amount"]]
