"""Statistics across business units (stores) for the ``service_profit_chain`` validation finding:
a Latin-hypercube design of store settings, Pearson correlations with bootstrap confidence
intervals, and the contrast between the lowest- and the highest-ranked fifth of stores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import qmc


def latin_hypercube(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` points of a seeded Latin hypercube (scipy.stats.qmc) over ``ranges`` (key -> (low,
    high)); each point maps every key to a value. Same ranges, n and seed => same points."""
    keys = list(ranges)
    if not keys:
        return [{} for _ in range(n)]
    low = np.array([ranges[k][0] for k in keys], dtype=float)
    high = np.array([ranges[k][1] for k in keys], dtype=float)
    unit = qmc.LatinHypercube(d=len(keys), seed=np.random.default_rng(seed)).random(n)
    span = np.where(high > low, high - low, 0.0)
    values = low + unit * span
    return [{k: float(v) for k, v in zip(keys, row, strict=True)} for row in values]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95 % bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def text(self, digits: int = 2) -> str:
        """``'0.42 (95 % CI 0.30 to 0.53)'``."""
        return f"{self.value:.{digits}f} (95 % CI {self.low:.{digits}f} to {self.high:.{digits}f})"


def _pearson(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    xc = x - x.mean(axis=axis, keepdims=True)
    yc = y - y.mean(axis=axis, keepdims=True)
    return (xc * yc).sum(axis=axis) / np.sqrt((xc * xc).sum(axis=axis) * (yc * yc).sum(axis=axis))


def correlation(x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> Estimate:
    """Pearson r of paired unit-level values with a 95 % percentile bootstrap interval (units
    resampled with replacement; scipy.stats.bootstrap)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    r = float(stats.pearsonr(x, y)[0])
    boot = stats.bootstrap(
        (x, y),
        _pearson,
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = boot.confidence_interval
    return Estimate(r, float(ci.low), float(ci.high))


def fifths(rank_by: np.ndarray) -> np.ndarray:
    """Fifth (0 = lowest .. 4 = highest) of every unit by ``rank_by``; ties are split in unit
    order, so the fifths have equal sizes (+-1)."""
    order = np.argsort(np.asarray(rank_by), kind="stable")
    group = np.empty(len(order), dtype=int)
    group[order] = np.arange(len(order)) * 5 // len(order)
    return group


def ratio_of_means(top: np.ndarray, bottom: np.ndarray, resamples: int, seed: int) -> Estimate:
    """mean(top) / mean(bottom) of two independent groups of units, with a 95 % percentile
    bootstrap interval (each group resampled on its own). NaN when a mean is not positive."""
    top, bottom = np.asarray(top, dtype=float), np.asarray(bottom, dtype=float)

    def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        den = b.mean(axis=axis)
        return np.where(den > 0, a.mean(axis=axis) / np.where(den > 0, den, 1.0), np.nan)

    value = float(ratio(top, bottom))
    if not np.isfinite(value):
        return Estimate(float("nan"), float("nan"), float("nan"))
    boot = stats.bootstrap(
        (top, bottom),
        ratio,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = boot.confidence_interval
    return Estimate(value, float(ci.low), float(ci.high))
