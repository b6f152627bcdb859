"""Phase 1 for every customer at once: whether to shop this week and where (multinomial logit).

The arithmetic of :meth:`loyaltysim.agents.Customer.choose`, operation for operation: convenience
(distance, price, deals, hours, selection), emotion weight x attachment, the pull of complete
satisfaction and habit give each known open firm (and the outside option, when the market has
one) a utility; ``logit_pick`` draws one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import njit, prange

from loyaltysim.kernels import CHUNK, non_negative, twins, without_dims
from loyaltysim.kernels.formulas import (
    avoidance_utility,
    convenience_utility,
    emotional_utility,
    logit_pick,
    referral_utility,
)
from loyaltysim.kernels.rng import uniform, uniform_below, uniform_threshold

#: Columns of the per-firm parameter matrix of :func:`choose`.
OPEN, FIRM_X, FIRM_Y, PRICE_PREMIUM, DEALS, HOURS_CLOSED, SELECTION = range(7)
N_CHOICE_PARAMS = 7


@njit(cache=True)
def _choose_chunk(
    c,
    convenience,
    places,
    segment,
    need_by_segment,
    emotion_w,
    habit_w,
    attachment,
    satisfaction,
    aware,
    last_firm,
    firm,
    outside_option,
    outside_utility,
    outside_pref,
    key_need,
    key_choice,
    choice,
    counts,
    k_choice,
    referral_firm,
    k_eco,
    grudge,
    k_avoid,
    firm_dims,
    kept_dims,
):
    """Customers of chunk ``c`` (see :func:`choose`)."""
    n = len(segment)
    n_firms = len(firm_dims)  # compile-time constants (see choose)
    kept = len(kept_dims) > 0  # convenience kept, else worked out here from ``places``
    for k in range(n_firms + 1):
        counts[c, k] = 0
    # Who shops this week, as a list (a short loop without an unpredictable branch), then the
    # choice of each shopper: the heavy loop no longer guesses, customer by customer, who shops.
    first, last = c * CHUNK, min(n, (c + 1) * CHUNK)
    shoppers = np.empty(last - first, dtype=np.int64)
    m_shop = 0
    need = np.empty(len(need_by_segment), dtype=np.uint64)  # as integer thresholds
    for k in range(len(need_by_segment)):
        need[k] = uniform_threshold(need_by_segment[k])
    for i in range(first, last):
        i = non_negative(i)
        choice[i] = -1
        shoppers[m_shop] = i
        m_shop += uniform_below(key_need, i, need[non_negative(np.int64(segment[i]))])
    # The utilities of every shopper's options, then the picks: two loops with short bodies, so
    # the CPU works on several shoppers at once (one loop doing both held about one). Each option
    # keeps its own column (firms, then the outside option), -inf when the shopper cannot take
    # it: logit_pick gives it weight 0, so the pick among the columns, capped at the shopper's
    # last possible option, is the pick among the possible options in order (tested). No list of
    # options to build and look up: the choice costs a fifth less.
    utilities = np.empty((m_shop, n_firms + 1))
    last_option = np.empty(m_shop, dtype=np.int64)
    for s in range(m_shop):
        i = non_negative(shoppers[s])
        last = last_firm[i]
        habit = np.float64(habit_w[i])
        w_emotion = np.float64(emotion_w[i])
        referred_to = referral_firm[i]
        held = np.int64(grudge[i])
        final = -1
        for f in range(n_firms):
            u = convenience[i, f] if kept else convenience_of(places, i, firm, f, k_choice)
            u += emotional_utility(
                w_emotion, np.float64(attachment[i, f]), np.float64(satisfaction[i, f]), k_choice
            )
            u += habit * (1.0 if last == f else 0.0)
            u += referral_utility(referred_to == f, k_eco)  # a pending referral (economics)
            u -= avoidance_utility(held, f, k_avoid)  # a grudge after a failure (avoidance)
            possible = firm[f, OPEN] != 0.0 and aware[i, f]
            utilities[s, f] = u if possible else -np.inf
            final = f if possible else final
        if outside_option:
            utilities[s, n_firms] = (
                outside_utility + np.float64(outside_pref[i]) + habit * (1.0 if last == n_firms else 0.0)
            )
            final = n_firms
        else:
            utilities[s, n_firms] = -np.inf
        last_option[s] = final
    for s in range(m_shop):
        final = last_option[s]
        if final < 0:
            continue  # nothing open that the shopper knows, and no outside option
        i = non_negative(shoppers[s])
        best = min(logit_pick(utilities[s], n_firms + 1, uniform(key_choice, i)), final)
        choice[i] = best
        counts[c, best] += 1


def _choose_all(
    convenience,
    places,
    segment,
    need_by_segment,
    emotion_w,
    habit_w,
    attachment,
    satisfaction,
    aware,
    last_firm,
    firm,
    outside_option,
    outside_utility,
    outside_pref,
    key_need,
    key_choice,
    choice,
    counts,
    k_choice,
    referral_firm,
    k_eco,
    grudge,
    k_avoid,
    firm_dims,
    kept_dims,
):
    n_chunks = (len(segment) + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        _choose_chunk(
            c,
            convenience,
            places,
            segment,
            need_by_segment,
            emotion_w,
            habit_w,
            attachment,
            satisfaction,
            aware,
            last_firm,
            firm,
            outside_option,
            outside_utility,
            outside_pref,
            key_need,
            key_choice,
            choice,
            counts,
            k_choice,
            referral_firm,
            k_eco,
            grudge,
            k_avoid,
            firm_dims,
            kept_dims,
        )


_choose_parallel, _choose_serial = twins(_choose_all)


_CHOOSE_ARGS = without_dims(_choose_serial)


def choose(*args, parallel: bool = True) -> None:
    """Fill ``choice`` (int8: firm index, F outside, -1 none) and per-chunk purchase counts.

    ``convenience`` is (n, F) float64 from :func:`fill_convenience`, or (0, F) to work each
    shopper's out from ``places`` (see :func:`convenience_of`) instead. ``firm`` is
    (F, N_CHOICE_PARAMS) float64: open flag, position (km), price premium (price index - 1),
    deals, share of the day closed, selection. ``counts`` is (chunks, F + 1) int64, zeroed here.
    ``referral_firm`` (n,) int8 is each customer's pending referral (-1 none) and ``k_eco`` the
    packed economics coefficients (its ``referral_pull``); ``grudge`` (n,) uint8 each customer's
    grudge (:mod:`loyaltysim.mechanisms.avoidance`) and ``k_avoid`` its packed coefficients.
    Compiled once per number of firms and per whether ``convenience`` is kept (compile-time
    constants, as in :func:`loyaltysim.kernels.experience.live_week`).
    """
    given = _CHOOSE_ARGS.bind(*args).arguments  # by name: a new argument shifts nothing
    kept = (0,) * (given["convenience"].shape[0] > 0)  # a compile-time flag, like the firms
    twin: Callable[..., None] = _choose_parallel if parallel else _choose_serial
    twin(*args, (0,) * given["firm"].shape[0], kept)


@njit(cache=True, inline="always")
def convenience_of(places, i, firm, f, k):
    """Customer ``i``'s convenience utility of firm ``f``
    (:func:`loyaltysim.mechanisms.choice.convenience_utility`, as the reference engine computes
    it). ``places`` is the tuple (x, y, distance, price, deal, hours and selection weights) of
    per-customer arrays; ``k`` the packed choice coefficients."""
    x, y, distance_w, price_w, deal_w, hours_w, selection_w = places
    dx = np.float64(x[i]) - firm[f, FIRM_X]
    dy = np.float64(y[i]) - firm[f, FIRM_Y]
    return convenience_utility(
        math.sqrt(dx * dx + dy * dy),
        np.float64(distance_w[i]),
        np.float64(price_w[i]),
        firm[f, PRICE_PREMIUM],
        np.float64(deal_w[i]),
        firm[f, DEALS],
        np.float64(hours_w[i]),
        firm[f, HOURS_CLOSED],
        np.float64(selection_w[i]),
        firm[f, SELECTION],
        k,
    )


@njit(cache=True)
def _convenience_chunk(c, places, firm, columns, out, k):
    for i in range(c * CHUNK, min(len(out), (c + 1) * CHUNK)):
        for f in columns:
            out[i, f] = convenience_of(places, i, firm, f, k)


def _convenience_all(places, firm, columns, out, k):
    for c in prange((len(out) + CHUNK - 1) // CHUNK):
        _convenience_chunk(c, places, firm, columns, out, k)


_convenience_parallel, _convenience_serial = twins(_convenience_all)


def fill_convenience(*args, parallel: bool = True) -> None:
    """``fill_convenience(places, firm, columns, out, k)``: the convenience utility
    (:func:`convenience_of`) of each customer for each firm in ``columns`` (int64 firm indices),
    written to ``out`` (n, F) float64.

    It changes only when a firm moves or changes prices, deals, hours or selection, so the engine
    keeps it between weeks (8 bytes per customer and firm, in towns of up to
    ``loyaltysim.engines.numba_engine.KEEP_CONVENIENCE_UP_TO`` firms) and refills a firm's column
    when its row of ``firm`` changes: the weekly choice then costs a sixth less.
    """
    (_convenience_parallel if parallel else _convenience_serial)(*args)
