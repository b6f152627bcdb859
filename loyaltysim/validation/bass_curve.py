"""Bass (1969) diffusion and its discrete-week counterpart in loyaltysim (for the ``bass_diffusion``
validation finding).

Bass's continuous model: the share F(t) who have adopted by time t grows as
dF/dt = (p + q F)(1 - F), so F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}). Time t is in the
unit p and q are rates of: a year for Bass's own fits and Sultan, Farley & Lehmann's (1990) mean
p = 0.03, q = 0.38. Functions below that take ``per`` (model weeks in one unit of t; 1 reads t in
weeks) compare a weekly curve with F at t = week / per.

loyaltysim's mechanism, on a fully mixed network (every tie to a random customer), one week at a
time (see ``Customer._listen`` and ``Customer._notice_ads`` in :mod:`loyaltysim.agents`):

* an unaware customer hears of the new firm through its advertising with chance ``a`` a week;
* each of the customer's ``k`` ties who *visited* the firm last week (and was delighted, which
  every visitor is when ``behaviour.delight_threshold = 0``) tells them with chance ``s``;
* a customer who became aware in week w buys (tries the firm) in week w + 1, and tells from
  week w + 2 on.

So with A_w the share aware at the end of week w (A_{-1} = A_0 = 0), the expected ("mean-field")
dynamics are A_w = 1 - (1 - A_{w-1}) (1 - a) (1 - s A_{w-2})^k, and the share who have tried it by
the end of week w is A_{w-1}. :func:`mean_field_aware` computes this recursion;
:func:`calibrate` finds the (a, s) whose recursion is closest to a Bass curve.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit, minimize


def bass_share(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Bass's closed form: the cumulative share 0-1 adopted by time ``t`` (in the unit of 1/p)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_peak_time(p: float, q: float) -> float:
    """Time of Bass's adoption peak, ln(q/p) / (p + q) (0 when q <= p: adoption falls from t = 0)."""
    return float(np.log(q / p) / (p + q)) if q > p else 0.0


def nominal_mapping(p: float, q: float, ties: int, per: int = 1) -> tuple[float, float]:
    """Per-week (advertising chance, per-tie telling chance) read literally from Bass's p and q,
    rates per ``per`` weeks: a = p / per, and s = q / (ties x per), so that k ties who all tried
    the firm pass on q per unit of time in total."""
    return p / per, q / (ties * per)


def mean_field_aware(advertising: float, telling: float, ties: int, weeks: int) -> np.ndarray:
    """Expected share aware at the end of weeks 0..weeks (week 0: launch, nobody aware) under the
    model's weekly mechanism on a fully mixed network (module docstring)."""
    aware = np.zeros(weeks + 2)  # aware[w + 1] = end of week w; aware[0] = week -1
    for w in range(1, weeks + 1):
        triers = aware[w - 1]  # aware by the end of week w - 2: visited in week w - 1
        aware[w + 1] = 1.0 - (1.0 - aware[w]) * (1.0 - advertising) * (1.0 - telling * triers) ** ties
    return aware[1:]


def max_gap(curve: np.ndarray, p: float, q: float, per: int = 1) -> float:
    """Largest absolute difference (share 0-1) between ``curve[w]`` (w = 0, 1, ... weeks) and
    F(w / per)."""
    t = np.arange(len(curve)) / per
    return float(np.max(np.abs(np.asarray(curve) - bass_share(t, p, q))))


def calibrate(p: float, q: float, ties: int, weeks: int) -> tuple[float, float]:
    """(advertising, telling) whose mean-field awareness curve is closest to F(t), t = 0..weeks, in
    the largest weekly gap (Nelder-Mead from the nominal mapping; deterministic)."""

    def worst(x: np.ndarray) -> float:
        a, s = x
        if not (0.0 < a < 1.0 and 0.0 < s < 1.0):
            return 10.0
        return max_gap(mean_field_aware(a, s, ties, weeks), p, q)

    fit = minimize(
        worst,
        np.array(nominal_mapping(p, q, ties)),
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000},
    )
    return float(fit.x[0]), float(fit.x[1])


def fit_bass(curve: np.ndarray, per: int = 1) -> tuple[float, float]:
    """Least-squares Bass (p, q), per ``per`` weeks, of a cumulative-share curve sampled at weeks
    0, 1, ..."""
    t = np.arange(len(curve), dtype=float) / per
    (p, q), _ = curve_fit(
        bass_share, t, np.asarray(curve, dtype=float), p0=(0.03, 0.3), bounds=([1e-6, 0.0], [1.0, 5.0])
    )
    return float(p), float(q)


def unit_rises(curve: np.ndarray, per: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(midpoints, rises): the rise of a cumulative curve sampled at weeks 0, 1, ... over each
    window of ``per`` weeks, and the window's midpoint in units of ``per`` weeks."""
    c = np.asarray(curve, dtype=float)
    rises = c[per:] - c[:-per]
    return (np.arange(len(rises)) + per / 2) / per, rises


def peak_time(curve: np.ndarray, per: int = 1) -> float:
    """Time, in units of ``per`` weeks, of the largest rise of a cumulative curve sampled at weeks
    0, 1, ..., comparable with Bass's continuous peak time: the rises over ``per`` weeks (each at
    the midpoint of its window), and the vertex of the parabola through those within ``per``
    weeks of the largest - the peak of a diffusion is broad, and a week's noise would move the
    largest rise alone by a good part of a unit."""
    mids, rises = unit_rises(curve, per)
    top = int(np.argmax(rises))
    near = slice(max(0, top - per), min(len(rises), top + per + 1))
    a, b, _ = np.polyfit(mids[near], rises[near], 2)
    if a < 0 and mids[near][0] <= -b / (2 * a) <= mids[near][-1]:
        return float(-b / (2 * a))
    return float(mids[top])
