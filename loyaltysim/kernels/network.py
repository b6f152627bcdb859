"""numba kernels of the social-network generator, bit for bit equal to :mod:`loyaltysim.network`.

Building the network at ten million customers is two O(n) passes over arrays of 4-byte integers:

1. :func:`morton_order` - the Z-order of the homes: 32-bit Morton codes of the 16-bit quantised
   positions (:func:`morton_codes`), then a stable least-significant-digit radix argsort of the codes
   (three 11/11/10-bit passes, :func:`radix_argsort`). A stable sort has one answer, so this equals
   ``numpy.argsort(code, kind="stable")`` of the reference. Customers are split into fixed chunks of
   :data:`SORT_CHUNK`; each chunk counts its digits, the counts are turned into write offsets digit by
   digit and, within a digit, chunk by chunk, and each chunk then scatters its customers in order -
   so the result is the same for any number of threads.
2. :func:`fill_ties` - every customer's ties, drawn with the counter-based draws of
   :mod:`loyaltysim.kernels.rng` and written straight into the int32 ``indices`` array. The loop runs
   over places along the curve (customer ``order[r]`` sits at place ``r``), so no ``rank`` array is
   needed; each customer's ties are written by exactly one iteration, so threads cannot change them.

Peak extra memory while building: 16 bytes per customer during the sort (codes, a second key buffer,
two int32 order buffers), then 4 bytes (the order) plus the result (``4 * ties`` bytes).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from loyaltysim.kernels import twins
from loyaltysim.kernels.rng import bits, uniform

#: Customers per chunk of the parallel radix sort. Any value gives the same order; this one keeps
#: the per-chunk digit counts (2048 int64 each) small next to the chunk itself.
SORT_CHUNK = 1 << 16

#: Towns at least this big are built by the parallel kernels; smaller ones by serial twins of the
#: same code (a parallel launch costs more than the work there, and much more when cores are busy).
PARALLEL_FROM = 1 << 17

#: The three radix passes over 32-bit Morton codes: (shift, bits).
_PASSES = ((0, 11), (11, 11), (22, 10))

_U1, _U2, _U4, _U8 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(8)
_B0 = np.uint64(0x55555555)
_B1 = np.uint64(0x33333333)
_B2 = np.uint64(0x0F0F0F0F)
_B3 = np.uint64(0x00FF00FF)
_B4 = np.uint64(0xFFFF)


@njit(cache=True, inline="always")
def _quantise(v):
    """Clip a scaled position to [0, 65535] and truncate, as ``np.clip(v, 0, 65535).astype(uint64)``."""
    if v < 0:
        v = 0
    elif v > 65535:
        v = 65535
    return np.uint64(v)


@njit(cache=True, inline="always")
def _spread_bits(v: np.uint64) -> np.uint64:
    """Put the 16 low bits of ``v`` on the even bit positions of a 32-bit word."""
    v = v & _B4
    v = (v | (v << _U8)) & _B3
    v = (v | (v << _U4)) & _B2
    v = (v | (v << _U2)) & _B1
    return (v | (v << _U1)) & _B0


@njit(cache=True, inline="always")
def _code(x, y, sx, sy, codes, i):
    """Morton code of home ``i`` into ``codes[i]``; returns 1 if its position is NaN, else 0."""
    vx = x[i] * sx
    vy = y[i] * sy
    if vx != vx or vy != vy:
        codes[i] = 0
        return 1
    codes[i] = np.uint32(_spread_bits(_quantise(vx)) | (_spread_bits(_quantise(vy)) << _U1))
    return 0


def _codes_all(x, y, sx, sy, codes):
    nan = 0
    for i in prange(x.shape[0]):
        nan += _code(x, y, sx, sy, codes, i)
    return nan


_codes_parallel, _codes_serial = twins(_codes_all)


def morton_codes(x: np.ndarray, y: np.ndarray, sx, sy, codes: np.ndarray) -> int:
    """Fill ``codes`` (uint32) with the Morton code of each home; return how many positions are NaN.

    ``sx``/``sy`` are the scale (quantisation steps per km) in the dtype of ``x``/``y``, so float32
    positions are scaled in float32 exactly as NumPy does for ``x * scale``.
    """
    fn = _codes_parallel if x.shape[0] >= PARALLEL_FROM else _codes_serial
    return fn(x, y, sx, sy, codes)


@njit(cache=True, inline="always")
def _count_chunk(keys, shift, nbuckets, chunk, counts, c):
    """``counts[d, c]`` = number of keys in chunk ``c`` whose digit at ``shift`` is ``d``."""
    mask = np.uint32(nbuckets - 1)
    sh = np.uint32(shift)
    local = np.zeros(nbuckets, dtype=np.int64)
    for i in range(c * chunk, min(keys.shape[0], (c + 1) * chunk)):
        local[(keys[i] >> sh) & mask] += 1
    for d in range(nbuckets):
        counts[d, c] = local[d]


def _count_all(keys, shift, nbuckets, chunk, counts):
    for c in prange(counts.shape[1]):
        _count_chunk(keys, shift, nbuckets, chunk, counts, c)


_count_parallel, _count_serial = twins(_count_all)


@njit(cache=True)
def _offsets(counts):
    """Turn digit counts into write offsets in place: digit by digit, then chunk by chunk."""
    total = 0
    for d in range(counts.shape[0]):
        for c in range(counts.shape[1]):
            here = counts[d, c]
            counts[d, c] = total
            total += here


@njit(cache=True, inline="always")
def _scatter_chunk(keys, vals, shift, nbuckets, chunk, offsets, keys_out, vals_out, first, last, c):
    """Move chunk ``c``'s (key, value) pairs to their digit's next slots, in order (stable).

    On the ``first`` pass the values are the customer ids themselves (``vals`` is not read); on the
    ``last`` pass the keys are not written (``keys_out`` is not used).
    """
    mask = np.uint32(nbuckets - 1)
    sh = np.uint32(shift)
    pos = offsets[:, c].copy()
    for i in range(c * chunk, min(keys.shape[0], (c + 1) * chunk)):
        key = keys[i]
        d = (key >> sh) & mask
        j = pos[d]
        pos[d] = j + 1
        vals_out[j] = i if first else vals[i]
        if not last:
            keys_out[j] = key


def _scatter_all(keys, vals, shift, nbuckets, chunk, offsets, keys_out, vals_out, first, last):
    for c in prange(offsets.shape[1]):
        _scatter_chunk(keys, vals, shift, nbuckets, chunk, offsets, keys_out, vals_out, first, last, c)


_scatter_parallel, _scatter_serial = twins(_scatter_all)


def radix_argsort(codes: np.ndarray, chunk: int = SORT_CHUNK) -> np.ndarray:
    """Stable argsort of uint32 ``codes`` as int32 ids; ``codes`` is used as scratch and destroyed.

    Equal to ``np.argsort(codes, kind="stable")`` whatever ``chunk`` (customers per parallel chunk)
    and the number of numba threads. Extra memory: 12 bytes per element.
    """
    n = codes.shape[0]
    nchunks = max(1, -(-n // chunk))
    count, scatter = (
        (_count_parallel, _scatter_parallel) if n >= PARALLEL_FROM else (_count_serial, _scatter_serial)
    )
    keys = [codes, np.empty(n, dtype=np.uint32)]
    vals = [np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)]
    for p, (shift, width) in enumerate(_PASSES):
        counts = np.empty((1 << width, nchunks), dtype=np.int64)
        count(keys[p % 2], shift, 1 << width, chunk, counts)
        _offsets(counts)
        scatter(
            keys[p % 2],
            vals[(p + 1) % 2],
            shift,
            1 << width,
            chunk,
            counts,
            keys[(p + 1) % 2],
            vals[p % 2],
            p == 0,
            p == len(_PASSES) - 1,
        )
    return vals[(len(_PASSES) - 1) % 2]


def _as_positions(v: np.ndarray) -> np.ndarray:
    """Positions as float32/float64 arrays; other numbers become float64 (as NumPy's ``v * scale``)."""
    v = np.asarray(v)
    return v if v.dtype in (np.float32, np.float64) else v.astype(np.float64)


def morton_order(x: np.ndarray, y: np.ndarray, size: float, chunk: int = SORT_CHUNK) -> np.ndarray:
    """Customer ids (int32) sorted along the Z-order curve of homes at (x, y) km in a town of ``size`` km.

    The same order as :func:`loyaltysim.network.morton_order` (the NumPy reference). Raises
    ``ValueError`` if a position is NaN (the reference's order would then be undefined).
    """
    x, y = _as_positions(x), _as_positions(y)
    scale = 65535.0 / max(size, 1e-9)
    codes = np.empty(x.shape[0], dtype=np.uint32)
    nan = morton_codes(x, y, x.dtype.type(scale), y.dtype.type(scale), codes)
    if nan:
        raise ValueError(
            f"customer positions must be numbers: {nan} of {x.shape[0]} homes have a NaN x or y (km)"
        )
    return radix_argsort(codes, chunk)


@njit(cache=True, inline="always")
def _tie(order, place, k, window, far_share, key_far, key_far_pick, key_offset, key_side):
    """Tie ``k`` of the customer at ``place`` along the curve (see :func:`fill_ties`)."""
    n = order.shape[0]
    r = np.int64(place)
    i = np.int64(order[r])
    if uniform(key_far[k], i) < far_share:
        # Far tie: anyone but oneself (offset 1..n-1 around the circle of ids).
        return (i + 1 + np.int64(bits(key_far_pick[k], i) % np.uint64(n - 1))) % n
    # Near tie: 1..window places away along the curve, the other side at the ends.
    step = 1 + np.int64(bits(key_offset[k], i) % np.uint64(window))
    side = -1 if uniform(key_side[k], i) < 0.5 else 1
    t = r + side * step
    if t < 0 or t >= n:
        t = r - side * step
    pick = np.int64(order[min(max(t, 0), n - 1)])
    if pick == i:
        pick = np.int64(order[(r + 1) % n])
    return pick


def _fill_all(order, ties, window, far_share, key_far, key_far_pick, key_offset, key_side, out):
    for place in prange(order.shape[0]):
        base = np.int64(order[place]) * ties
        for k in range(ties):
            out[base + k] = _tie(
                order, place, k, window, far_share, key_far, key_far_pick, key_offset, key_side
            )


_fill_parallel, _fill_serial = twins(_fill_all)


def fill_ties(
    order: np.ndarray,
    ties: int,
    window: int,
    far_share: float,
    key_far: np.ndarray,
    key_far_pick: np.ndarray,
    key_offset: np.ndarray,
    key_side: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the ``ties`` ties of every customer into ``out[i * ties : (i + 1) * ties]`` (int32).

    ``order`` is the Morton order (customer at each place along the curve), ``window`` the farthest
    place a near tie may be, and the four key arrays (uint64, one key per tie ``k``) are
    ``stream_key(seed, stream, SETUP_TICK, sub)`` of: NETWORK_FAR sub k (is tie k far?),
    NETWORK_FAR sub 100 + k (whom, if far), NETWORK_OFFSET sub k (how many places away, if near) and
    NETWORK_NEAR sub k (which side along the curve).
    """
    fn = _fill_parallel if order.shape[0] >= PARALLEL_FROM else _fill_serial
    fn(order, ties, window, far_share, key_far, key_far_pick, key_offset, key_side, out)
