"""Bass (1969) diffusion and its discrete-week counterpart in loyaltysim (for the ``bass_diffusion``
validation finding).

Bass's continuous model: the share F(t) who have adopted by time t grows as
dF/dt = (p + q F)(1 - F), so F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).

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


def nominal_mapping(p: float, q: float, ties: int) -> tuple[float, float]:
    """Per-week (advertising chance, per-tie telling chance) read literally from Bass's p and q:
    a = p, and s = q / ties, so that k ties who all tried the firm pass on q per week in total."""
    return p, q / ties


def mean_field_aware(advertising: float, telling: float, ties: int, weeks: int) -> np.ndarray:
    """Expected share aware at the end of weeks 0..weeks (week 0: launch, nobody aware) under the
    model's weekly mechanism on a fully mixed network (module docstring)."""
    aware = np.zeros(weeks + 2)  # aware[w + 1] = end of week w; aware[0] = week -1
    for w in range(1, weeks + 1):
        triers = aware[w - 1]  # aware by the end of week w - 2: visited in week w - 1
        aware[w + 1] = 1.0 - (1.0 - aware[w]) * (1.0 - advertising) * (1.0 - telling * triers) ** ties
    return aware[1:]


def max_gap(curve: np.ndarray, p: float, q: float) -> float:
    """Largest absolute difference (share 0-1) between ``curve[t]`` (t = 0, 1, ... weeks) and F(t)."""
    t = np.arange(len(curve))
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


def fit_bass(curve: np.ndarray) -> tuple[float, float]:
    """Least-squares Bass (p, q) of a cumulative-share curve sampled at t = 0, 1, ... weeks."""
    t = np.arange(len(curve), dtype=float)
    (p, q), _ = curve_fit(
        bass_share, t, np.asarray(curve, dtype=float), p0=(0.03, 0.3), bounds=([1e-6, 0.0], [1.0, 5.0])
    )
    return float(p), float(q)


def peak_week(curve: np.ndarray) -> float:
    """Time of the largest weekly rise of a cumulative curve sampled at t = 0, 1, ...: the midpoint
    of that week (t - 0.5), comparable with Bass's continuous peak time."""
    rises = np.diff(np.asarray(curve, dtype=float))
    return float(np.argmax(rises)) + 0.5
