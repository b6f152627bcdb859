"""Counter-based random streams: every draw is a pure function of (seed, stream, tick, id, sub).

Results therefore do not depend on agent order, thread count, engine or how a sweep is split, and two
scenarios run with the same seed see the same customers and the same luck (common random numbers,
as in Starsim/Covasim), so their difference is the culture, not noise.

The generator is SplitMix64's finaliser: a 64-bit key is derived from (seed, stream, tick, sub), and
the draw for agent ``id`` is ``mix(key + (id + 1) * GOLDEN)``. The numba engine uses the same
arithmetic, so both engines draw identical numbers.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TO_UNIT = 2.0**-53

#: Tick used for draws made while building the model (population, network).
SETUP_TICK = -1


class Stream(IntEnum):
    """One stream per kind of decision; ``sub`` separates draws of the same kind (firm, tie...)."""

    POSITION = 1
    SEGMENT = 2
    TRAIT = 3
    NETWORK_NEAR = 4
    NETWORK_FAR = 5
    NETWORK_OFFSET = 6
    USAGE = 7  # usage migration at a repeat purchase past a threshold (tick = week)
    LAPSE = 8  # sub 0: lapse after a purchase (tick = week); sub 1: a person's dropout (tick = generation)
    NEWCOMER = 9  # a newcomer's segment (sub 0) and awareness of firm f (sub 1 + f); tick = week
    NEED = 10
    CHOICE = 11
    SERVER = 12
    FAILURE = 13
    COST = 14
    COMPLAIN = 15
    LADDER = 16
    PATIENCE = 17
    SUPERVISOR = 18
    WOM = 19
    AWARE_OPEN = 20
    AWARE_ADVERT = 21
    SURVEY = 22
    ADVOCACY = 23
    BACK_OF_HOUSE = 24
    QUIT = 30
    DISPOSITION = 31


def mix64(x: int) -> int:
    """SplitMix64 finaliser on a Python int (mod 2**64)."""
    x &= MASK64
    x = ((x ^ (x >> 30)) * _M1) & MASK64
    x = ((x ^ (x >> 27)) * _M2) & MASK64
    return x ^ (x >> 31)


def stream_key(seed: int, stream: int, tick: int, sub: int = 0) -> int:
    """The 64-bit key of one (seed, stream, tick, sub) stream."""
    k = mix64(seed * GOLDEN + 0x632BE59BD9B4E019)
    k = mix64(k + (stream + 1) * GOLDEN)
    k = mix64(k + (tick + 2) * GOLDEN)
    return mix64(k + (sub + 1) * GOLDEN)


def _mix_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(_M1)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(_M2)
    return x ^ (x >> np.uint64(31))


def bits(seed: int, stream: int, tick: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
    """Raw 64-bit draws for agents ``ids`` (uint64 array)."""
    ids = np.asarray(ids, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = np.uint64(stream_key(seed, stream, tick, sub)) + (ids + np.uint64(1)) * np.uint64(GOLDEN)
    return _mix_array(x)


def uniform(seed: int, stream: int, tick: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
    """Uniform draws in the open interval (0, 1), float64: safe to take logs of."""
    return ((bits(seed, stream, tick, ids, sub) >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT


def normal(seed: int, stream: int, tick: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
    """Standard normal draws (Box-Muller on sub-streams 2*sub and 2*sub+1)."""
    u1 = uniform(seed, stream, tick, ids, 2 * sub)
    u2 = uniform(seed, stream, tick, ids, 2 * sub + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


class TickDraws:
    """The draws of one tick for one population, computed on first use and cached.

    Agents read ``draws.uniform(Stream.NEED)[row]``: the value is still a pure function of
    (seed, stream, tick, id, sub); computing it for the whole population at once is only faster.
    """

    def __init__(self, seed: int, tick: int, ids: np.ndarray):
        self.seed, self.tick, self.ids = seed, tick, ids
        self._cache: dict[tuple[str, int, int], np.ndarray] = {}

    def _get(self, kind: str, stream: int, sub: int) -> np.ndarray:
        key = (kind, int(stream), sub)
        if key not in self._cache:
            fn = {"uniform": uniform, "normal": normal}[kind]
            self._cache[key] = fn(self.seed, stream, self.tick, self.ids, sub)
        return self._cache[key]

    def uniform(self, stream: int, sub: int = 0) -> np.ndarray:
        """Uniform (0, 1) draws for every agent of the population."""
        return self._get("uniform", stream, sub)

    def normal(self, stream: int, sub: int = 0) -> np.ndarray:
        """Standard normal draws for every agent of the population."""
        return self._get("normal", stream, sub)


def seed_key(seed: int) -> int:
    """The first stage of :func:`stream_key`: the seed's own key."""
    return mix64(seed * GOLDEN + 0x632BE59BD9B4E019)


def tick_term(tick: int) -> int:
    """What the tick adds in :func:`stream_key` (``(tick + 2) * GOLDEN`` mod 2**64)."""
    return ((tick + 2) * GOLDEN) & MASK64


def stream_keys(seed: int, stream, tick: int, subs) -> np.ndarray:
    """``stream_key`` for many (stream, sub) pairs at once (uint64; ``stream`` and ``subs`` are
    broadcast): the keys the numba kernels draw with."""
    streams = np.asarray(stream, dtype=np.uint64)
    subs = np.asarray(subs, dtype=np.uint64)
    with np.errstate(over="ignore"):
        seeded = np.uint64(seed_key(seed))
        k = _mix_array(seeded + (streams + np.uint64(1)) * np.uint64(GOLDEN))
        k = _mix_array(k + np.uint64(tick_term(tick)))
        return _mix_array(k + (subs + np.uint64(1)) * np.uint64(GOLDEN))


class KeyLayout:
    """Named groups of (stream, sub) pairs whose keys a kernel needs every tick, computed together
    in one vectorised call (:meth:`keys`)."""

    def __init__(self, groups: dict[str, tuple[int, list[int]]]):
        streams: list[int] = []
        subs: list[int] = []
        self.slices: dict[str, slice] = {}
        for name, (stream, group_subs) in groups.items():
            self.slices[name] = slice(len(subs), len(subs) + len(group_subs))
            streams += [int(stream)] * len(group_subs)
            subs += list(group_subs)
        self.streams = np.array(streams, dtype=np.uint64)
        self.subs = np.array(subs, dtype=np.uint64)

    def keys(self, seed: int, tick: int) -> dict[str, np.ndarray]:
        """The keys of every group for ``tick``, by group name (uint64 arrays)."""
        every = stream_keys(seed, self.streams, tick, self.subs)
        return {name: every[part] for name, part in self.slices.items()}
