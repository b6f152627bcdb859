"""Create the customer population: homes, usage segments and per-customer sensitivities.

Every value is a counter-based draw keyed by the customer's id, so the same seed gives the same
people in every scenario (common random numbers) whatever the firms look like. Homes and traits are
fixed; the usage segment drawn here is where a customer starts - it is state from then on
(``CustomerState.segment``, moved by :mod:`loyaltysim.mechanisms.usage`). A newcomer who takes a
lapsed customer's row keeps the home's traits (:mod:`loyaltysim.mechanisms.lapse`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

from loyaltysim import rng
from loyaltysim.kernels.network import morton_order
from loyaltysim.mechanisms import usage
from loyaltysim.mechanisms.lapse import QUANTILE_POINTS
from loyaltysim.rng import SETUP_TICK, Stream
from loyaltysim.schema import Customers, Distribution, Market

#: Segment codes, in the order of ``Segments`` fields.
SEGMENTS: tuple[str, ...] = ("regular", "heavy", "super")
if (SEGMENTS.index("regular"), SEGMENTS.index("heavy"), SEGMENTS.index("super")) != (
    usage.REGULAR,
    usage.HEAVY,
    usage.SUPER,
):
    raise TypeError("population.SEGMENTS must follow the codes of loyaltysim.mechanisms.usage")

#: Per-customer traits drawn from the scenario's distributions (field names of ``Customers``).
TRAITS: tuple[str, ...] = tuple(
    name for name, info in Customers.model_fields.items() if info.annotation is Distribution
)


def trait_clip(name: str) -> tuple[float, float]:
    """The (low, high) range a trait's draws are clipped to, from the schema."""
    extra = Customers.model_fields[name].json_schema_extra
    clip = extra.get("clip") if isinstance(extra, dict) else None
    if not isinstance(clip, list) or len(clip) != 2:
        raise TypeError(f"trait {name} declares no [low, high] clip range (see parameters.dist)")
    low, high = clip
    return float(low), float("inf") if high is None else float(high)  # type: ignore[arg-type]


def make_population(market: Market, customers: Customers, seed: int) -> dict[str, np.ndarray]:
    """Draw every customer's fixed attributes.

    Homes are drawn first and customers numbered along a Z-order (Morton) curve of them, so
    customers with nearby ids live near each other; everything else is drawn by that id.
    Returns arrays of length ``market.customers``: ``x``, ``y`` (km), ``segment`` (index into
    :data:`SEGMENTS`, int8: the starting segment, which the model moves into its state) and one
    array per trait. Positions and traits are float32 (fixed
    per customer; 7 significant digits - 0.4 mm on a 4 km town - are plenty, and 40 bytes per
    customer are saved at ten million); engines read them as float64. Per-segment purchase rates
    and baskets are in :func:`segment_table`.
    """
    n = market.customers
    ids = np.arange(n, dtype=np.int64)
    x = rng.uniform(seed, Stream.POSITION, SETUP_TICK, ids, 0) * market.town_km
    y = rng.uniform(seed, Stream.POSITION, SETUP_TICK, ids, 1) * market.town_km
    # Customers are numbered along a Z-order curve of their homes: neighbours have nearby ids,
    # so the word-of-mouth pass reads ties' stories from nearby memory (cache-friendly).
    order = morton_order(x, y, market.town_km)
    pop: dict[str, np.ndarray] = {"x": x[order].astype(np.float32), "y": y[order].astype(np.float32)}
    segments = [getattr(customers.segments, s) for s in SEGMENTS]
    cut = np.cumsum([s.share for s in segments])
    u = rng.uniform(seed, Stream.SEGMENT, SETUP_TICK, ids)
    segment = np.minimum(np.searchsorted(cut, u, side="right"), len(SEGMENTS) - 1)
    pop["segment"] = segment.astype(np.int8)
    for k, name in enumerate(TRAITS):
        spec: Distribution = getattr(customers, name)
        low, high = trait_clip(name)
        z = rng.normal(seed, Stream.TRAIT, SETUP_TICK, ids, k)
        pop[name] = np.clip(spec.mean + spec.sd * z, low, high).astype(np.float32)
    return pop


def segment_table(customers: Customers, attribute: str) -> np.ndarray:
    """One ``Segment`` attribute per segment code (float64), e.g. ``purchases_per_week``."""
    return np.array([getattr(getattr(customers.segments, s), attribute) for s in SEGMENTS], dtype=np.float64)


@lru_cache(maxsize=16)
def lapse_quantiles(mean: float, shape: float) -> np.ndarray:
    """The quantile function of the dropout chance (beta with mean ``mean`` and first shape
    ``shape``, b = shape x (1 - mean) / mean) at 0, 1/1024, ..., 1: the table
    :func:`loyaltysim.mechanisms.lapse.lapse_probability` interpolates (both engines read it).
    All zeros for a mean of 0 (nobody lapses). Read-only (cached). Linear interpolation keeps
    the distribution's mean to within a few per cent (tested)."""
    grid = np.linspace(0.0, 1.0, QUANTILE_POINTS)
    if mean <= 0.0:
        table = np.zeros(QUANTILE_POINTS)
    elif mean >= 1.0:
        table = np.ones(QUANTILE_POINTS)
    else:
        b = shape * (1.0 - mean) / mean
        table = special.betaincinv(shape, b, grid)
        table[0] = 0.0
        # The last point (the quantile at 1 is 1) so that the line over the last 1/1024 has the
        # beta's own mean there: E[p | p above its 1023/1024 quantile q] = 1024 x mean x
        # (1 - I_q(a + 1, b)); the line's mean is (q + last) / 2.
        q = table[-2]
        tail = (QUANTILE_POINTS - 1) * mean * (1.0 - special.betainc(shape + 1.0, b, q))
        table[-1] = min(1.0, max(q, 2.0 * tail - q))
    table = np.ascontiguousarray(table, dtype=np.float64)
    table.flags.writeable = False
    return table
