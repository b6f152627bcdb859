"""The social network: a spatial small world stored as CSR arrays, built without networkx.

Each customer hears from ``ties_per_customer`` people. Most ties go to neighbours: customers are
ordered along a Morton (Z-order) curve of their home positions, and a near tie is a customer a short,
random number of places away along that order (so, usually, a few hundred metres away). A share
``far_tie_share`` of ties go to anyone in town (Watts-Strogatz style shortcuts). Ties are directed
"hears from" links: word of mouth is a pull (docs/design.md section 3.5). Every draw is counter-based, so
the same seed builds the same network.

:func:`build_network` runs the numba kernels of :mod:`loyaltysim.kernels.network` (O(n), seconds and
about 32 bytes per customer at ten million customers with six ties);
:func:`build_network_reference` is the same construction in plain NumPy, kept as the readable
definition and the oracle the kernels are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loyaltysim import rng
from loyaltysim.kernels import network as kernels
from loyaltysim.rng import SETUP_TICK, Stream

#: Largest town the int32 ``indices`` can address.
MAX_CUSTOMERS = np.iinfo(np.int32).max


@dataclass(frozen=True)
class SocialNetwork:
    """CSR adjacency: the ties of customer i are ``indices[indptr[i]:indptr[i + 1]]``."""

    # int64, length n + 1. Every customer has the same number of ties, so this is just
    # ``arange(0, n * ties + 1, ties)``: 8 bytes per customer (80 MB at ten million) kept for the
    # general CSR interface; the numba kernels use ``i * ties`` (the engine checks the network is
    # regular) and could do without it.
    indptr: np.ndarray
    indices: np.ndarray  # int32 customer ids

    def ties(self, i: int) -> np.ndarray:
        """Customers whose stories customer ``i`` hears."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    @property
    def n(self) -> int:
        """Number of customers."""
        return len(self.indptr) - 1


def morton_order(x: np.ndarray, y: np.ndarray, size: float) -> np.ndarray:
    """Customer ids sorted along a Z-order curve of 16-bit quantised positions (km in town)."""
    scale = 65535.0 / max(size, 1e-9)
    qx = np.clip(x * scale, 0, 65535).astype(np.uint64)
    qy = np.clip(y * scale, 0, 65535).astype(np.uint64)
    code = _spread_bits(qx) | (_spread_bits(qy) << np.uint64(1))
    return np.argsort(code, kind="stable")


def _spread_bits(v: np.ndarray) -> np.ndarray:
    v = v & np.uint64(0xFFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    return (v | (v << np.uint64(1))) & np.uint64(0x55555555)


def build_network_reference(
    x: np.ndarray, y: np.ndarray, town_km: float, ties: int, far_share: float, seed: int
) -> SocialNetwork:
    """The readable NumPy definition of :func:`build_network` (same arguments, same network).

    Kept as the oracle for the numba kernels; it allocates several (n, ties) int64 temporaries, so
    it is for tests and small towns only.
    """
    n = len(x)
    if n < 2 or ties == 0:
        return SocialNetwork(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    ids = np.arange(n, dtype=np.int64)
    order = morton_order(x, y, town_km)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = ids
    window = max(1, min(2 * ties, n - 1))
    indices = np.empty((n, ties), dtype=np.int64)
    for k in range(ties):
        far = rng.uniform(seed, Stream.NETWORK_FAR, SETUP_TICK, ids, k) < far_share
        # Far tie: anyone but oneself (offset 1..n-1 around the circle of ids).
        far_pick = (
            ids
            + 1
            + (rng.bits(seed, Stream.NETWORK_FAR, SETUP_TICK, ids, 100 + k) % np.uint64(n - 1)).astype(
                np.int64
            )
        ) % n
        # Near tie: a neighbour 1..window places away along the curve, either side.
        step = 1 + (rng.bits(seed, Stream.NETWORK_OFFSET, SETUP_TICK, ids, k) % np.uint64(window)).astype(
            np.int64
        )
        side = np.where(rng.uniform(seed, Stream.NETWORK_NEAR, SETUP_TICK, ids, k) < 0.5, -1, 1)
        target_rank = rank + side * step
        target_rank = np.where((target_rank < 0) | (target_rank >= n), rank - side * step, target_rank)
        target_rank = np.clip(target_rank, 0, n - 1)
        near_pick = order[target_rank]
        near_pick = np.where(near_pick == ids, order[(rank + 1) % n], near_pick)
        indices[:, k] = np.where(far, far_pick, near_pick)
    indptr = np.arange(0, n * ties + 1, ties, dtype=np.int64)
    return SocialNetwork(indptr, indices.reshape(-1).astype(np.int32))


def _empty(n: int) -> SocialNetwork:
    return SocialNetwork(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))


def build_network(
    x: np.ndarray, y: np.ndarray, town_km: float, ties: int, far_share: float, seed: int
) -> SocialNetwork:
    """Build the spatial small-world network for customers at (x, y) km in a town ``town_km`` wide.

    Every customer gets exactly ``ties`` ties (none when the town has one customer); a tie never
    points to the customer itself. A share ``far_share`` (0-1) of ties go to anyone in town, the
    rest are 1..2*ties places away along the Morton order. The result equals
    :func:`build_network_reference` for the same inputs; it is built by numba kernels without
    (n, ties) temporaries: peak extra memory is about 16 bytes per customer for the sort, then
    4 bytes per customer plus the result (``4 * ties + 8`` bytes per customer).
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(f"customer positions differ in length: {n} x values but {len(y)} y values")
    if ties < 0:
        raise ValueError(f"ties per customer must be 0 or more, got {ties}")
    if n > MAX_CUSTOMERS:
        raise ValueError(f"the network holds at most {MAX_CUSTOMERS:,} customers (int32 ids), got {n:,}")
    if n < 2 or ties == 0:
        return _empty(n)
    seed = int(seed)
    order = kernels.morton_order(x, y, town_km)

    def keys(stream: Stream, first_sub: int) -> np.ndarray:
        return rng.stream_keys(seed, stream, SETUP_TICK, range(first_sub, first_sub + ties))

    indices = np.empty(n * ties, dtype=np.int32)
    kernels.fill_ties(
        order,
        ties,
        max(1, min(2 * ties, n - 1)),
        float(far_share),
        keys(Stream.NETWORK_FAR, 0),
        keys(Stream.NETWORK_FAR, 100),
        keys(Stream.NETWORK_OFFSET, 0),
        keys(Stream.NETWORK_NEAR, 0),
        indices,
    )
    del order
    return SocialNetwork(np.arange(0, n * ties + 1, ties, dtype=np.int64), indices)
