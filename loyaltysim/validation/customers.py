"""Per-customer measurements shared by the market findings of the validation suite.

The model's own metrics are per firm and week (:mod:`loyaltysim.metrics`); the findings that set
customers' attitudes against their later behaviour (satisfaction against defection, attachment
against recommendation and retention, profit by tenure) need the same quantities per customer.
Everything here reads a running :class:`~loyaltysim.model.LoyaltyModel` and uses the model's own
definitions (customer base, patronage, the advocacy answer), so the numbers add up to the firm
metrics the model reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from loyaltysim import rng
from loyaltysim.measure import base_firms
from loyaltysim.mechanisms.advocacy import advocacy_classes, advocacy_expected
from loyaltysim.mechanisms.choice import convenience_utility
from loyaltysim.rng import Stream
from loyaltysim.scenario import Scenario

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel
    from loyaltysim.validation.experiment import LoadedValidation


def start_model(scenario: Scenario, seed: int) -> LoyaltyModel:
    """A model of the validated ``scenario`` with ``seed`` (numba engine unless the scenario
    says otherwise)."""
    from loyaltysim.model import LoyaltyModel

    return LoyaltyModel(scenario, rng=seed)


def run_until(model: LoyaltyModel, week: int) -> None:
    """Step ``model`` until its week counter reaches ``week`` (no-op when already there)."""
    if week < model.week:
        raise ValueError(f"model is at week {model.week}, cannot go back to week {week}")
    model.run(week - model.week)


def base_now(model: LoyaltyModel) -> np.ndarray:
    """Each customer's base firm this week (int8 firm index; -1 none or outside the town), with
    the model's definition: the firm of the latest purchase within ``market.base_window_weeks``."""
    return base_firms(model.state, model.week, model.spec.market.base_window_weeks)


def satisfaction_box(satisfaction: np.ndarray) -> np.ndarray:
    """The model's satisfaction 0-1 read as a 1-5 survey box: fifths of the scale, 5 being
    "completely satisfied" (satisfaction >= 0.8) and 1 "completely dissatisfied" (< 0.2)."""
    s = np.asarray(satisfaction, dtype=np.float64)
    return (np.clip(np.floor(s * 5.0), 0, 4) + 1).astype(np.int8)


def patronage(model: LoyaltyModel, firm: np.ndarray) -> np.ndarray:
    """Share 0-1 of each customer's last ``market.patronage_window`` purchases made at ``firm``
    (an array of firm indices, one per customer), as the model's Dick & Basu cells count it."""
    history = model.state.history
    return (history == np.asarray(firm)[:, None]).sum(axis=1) / history.shape[1]


def convenience_utilities(model: LoyaltyModel) -> np.ndarray:
    """(n, F) utility of each firm for each customer from distance, price, deals, hours and
    selection - the choice utility without attachment, habit and noise (vectorised
    :meth:`LoyaltyModel.convenience_utility`). Closed firms get -inf."""
    pop = model.population
    out = np.empty((model.n_customers, model.n_firms))
    x, y = pop["x"].astype(np.float64), pop["y"].astype(np.float64)
    for firm in model.firms:
        p = firm.params
        distance = np.hypot(x - p.x_km, y - p.y_km)
        u = convenience_utility(
            distance,
            pop["distance_weight"],
            pop["price_weight"],
            p.price_index - 1.0,
            pop["deal_weight"],
            p.deals,
            pop["hours_weight"],
            1.0 - p.hours_per_day / 24.0,
            pop["selection_weight"],
            p.selection,
            model.k.choice,
        )
        out[:, firm.index] = u if p.open else -np.inf
    return out


def convenience_advantage(model: LoyaltyModel, firm: np.ndarray) -> np.ndarray:
    """Per customer: convenience utility of ``firm`` (firm index per customer) minus that of the
    best alternative open now - another open firm or, when the market has one, the outside
    option as this customer values it (``market.outside_utility`` plus the customer's own
    ``outside_preference``, as in the choice) (utility units; positive: the customer's firm is
    the most convenient)."""
    firm = np.asarray(firm, dtype=np.int64)
    u = convenience_utilities(model)
    rows = np.arange(len(firm))
    own = u[rows, firm]
    others = u.copy()
    others[rows, firm] = -np.inf
    best = others.max(axis=1)
    if model.spec.market.outside_option:
        outside = model.spec.market.outside_utility + model.population["outside_preference"]
        best = np.maximum(best, outside)
    return own - best


def advocacy_answers(model: LoyaltyModel, firm: np.ndarray) -> np.ndarray:
    """Each customer's 0-10 answer to "would you recommend <firm>?" this week, from the very draw
    the model used for its promoter/detractor counts: round(expected + z) with z = the inverse
    normal CDF of the customer's advocacy uniform (:func:`loyaltysim.mechanisms.advocacy.advocacy_class`),
    kept inside the class the model counted (the model's CDF is a fine table, so at a class
    boundary the two could otherwise disagree by one point once in ~10^5 answers)."""
    from scipy.special import ndtri

    firm = np.asarray(firm, dtype=np.int64)
    rows = np.arange(len(firm))
    u = np.empty(len(firm))
    for f in np.unique(firm):
        mask = firm == f
        u[mask] = rng.uniform(model.seed, Stream.ADVOCACY, model.week, model.customer_ids[mask], int(f))
    attachment = model.state.attachment[rows, firm].astype(np.float64)
    satisfaction = model.state.satisfaction[rows, firm].astype(np.float64)
    expected = advocacy_expected(attachment, satisfaction, model.k.advocacy)
    answers = np.clip(np.rint(expected + ndtri(u)), 0.0, 10.0)
    classes = advocacy_classes(attachment, satisfaction, u, model.k.advocacy)
    low = np.array([0.0, 7.0, 9.0])[classes]
    high = np.array([6.0, 8.0, 10.0])[classes]
    return np.clip(answers, low, high)


def bootstrap(statistic: Callable[[np.ndarray], object], n: int, samples: int, seed: int) -> np.ndarray:
    """``statistic(index)`` over ``samples`` bootstrap resamples of ``n`` rows (index arrays drawn
    with replacement by a seeded NumPy generator): the bootstrap distribution, for percentile
    confidence intervals."""
    gen = np.random.default_rng(seed)
    return np.array([statistic(gen.integers(0, n, n)) for _ in range(samples)])


def share_table(groups: pd.Series, outcome: pd.Series, order: list) -> pd.DataFrame:
    """Per group (in ``order``): customers and the share with ``outcome`` true (NaN if empty)."""
    frame = pd.DataFrame({"group": groups.to_numpy(), "yes": outcome.to_numpy(dtype=float)})
    stats = frame.groupby("group")["yes"].agg(["size", "mean"]).reindex(order)
    stats["size"] = stats["size"].fillna(0).astype(int)
    return stats.rename(columns={"size": "customers", "mean": "share"})


def require_variant(loaded: LoadedValidation, name: str, param: str) -> None:
    """Raise a :class:`ValidationExperimentError` naming the file and ``params.<param>`` when the
    experiment file has no ``[variants.<name>]`` table."""
    from loyaltysim.validation.experiment import ValidationExperimentError

    if name not in loaded.spec.variants:
        have = ", ".join(loaded.spec.variants) or "none"
        raise ValidationExperimentError(
            f"{loaded.path}: params.{param}: variant {name!r} is not defined; the file's "
            f"[variants] are: {have}.",
            file=str(loaded.path),
            key_path=f"params.{param}",
        )
