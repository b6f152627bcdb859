"""The numba network generator equals the NumPy reference, and the network has the promised shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim.kernels import network as kernels
from loyaltysim.network import (
    SocialNetwork,
    build_network,
    build_network_reference,
    morton_order,
)

ROOT = Path(__file__).resolve().parents[1]


def homes(n: int, town: float, layout: str, dtype: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions: spread over the town (some outside it), or piled on a few spots (equal codes)."""
    gen = np.random.default_rng(seed)
    if layout == "spread":
        x, y = gen.uniform(-0.2 * town, 1.2 * town, (2, n))
    else:  # few distinct homes: many equal Morton codes, so the sort's stability matters
        spots = gen.uniform(0, town, (2, 7))
        x, y = spots[:, gen.integers(0, 7, n)]
    return x.astype(dtype), y.astype(dtype)


def assert_same(a: SocialNetwork, b: SocialNetwork) -> None:
    assert a.indptr.dtype == b.indptr.dtype == np.int64
    assert a.indices.dtype == b.indices.dtype == np.int32
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)


towns = st.sampled_from([1e-12, 0.1, 4.0, 100.0])
far_shares = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 3000),
    ties=st.integers(0, 12),
    far_share=far_shares,
    town=towns,
    seed=st.integers(0, 2**62),
    layout=st.sampled_from(["spread", "piled"]),
    dtype=st.sampled_from(["float64", "float32"]),
    where=st.integers(0, 2**32),
    parallel=st.booleans(),
)
def test_numba_build_equals_reference(n, ties, far_share, town, seed, layout, dtype, where, parallel):
    x, y = homes(n, town, layout, dtype, where)
    with pytest.MonkeyPatch.context() as mp:  # small towns through the parallel kernels too
        mp.setattr(kernels, "PARALLEL_FROM", 0 if parallel else 2**62)
        built = build_network(x, y, town, ties, far_share, seed)
    assert_same(built, build_network_reference(x, y, town, ties, far_share, seed))


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 2000),
    chunk=st.integers(1, 300),
    town=towns,
    layout=st.sampled_from(["spread", "piled"]),
    dtype=st.sampled_from(["float64", "float32"]),
    where=st.integers(0, 2**32),
    parallel=st.booleans(),
)
def test_radix_morton_order_equals_stable_argsort_for_any_chunking(
    n, chunk, town, layout, dtype, where, parallel
):
    x, y = homes(n, town, layout, dtype, where)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "PARALLEL_FROM", 0 if parallel else 2**62)
        order = kernels.morton_order(x, y, town, chunk=chunk)
    assert order.dtype == np.int32
    np.testing.assert_array_equal(order, morton_order(x, y, town))


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("ties", [0, 1, 2, 5, 64])
@pytest.mark.parametrize("far_share", [0.0, 0.5, 1.0])
def test_tiny_towns(n, ties, far_share):
    x, y = np.array([0.5, 0.5, 3.0])[:n], np.array([0.1, 0.1, 2.0])[:n]  # two share a home
    net = build_network(x, y, 4.0, ties, far_share, 11)
    assert_same(net, build_network_reference(x, y, 4.0, ties, far_share, 11))
    assert net.n == n
    per = ties if n > 1 else 0
    for i in range(n):
        assert len(net.ties(i)) == per
        assert i not in net.ties(i)
    if n == 2 and ties:
        assert set(net.indices[:ties]) == {1} and set(net.indices[ties:]) == {0}


def test_equal_to_reference_with_many_sort_chunks():
    n = 5 * kernels.SORT_CHUNK + 123  # several chunks per radix pass, so both threads sort
    x, y = homes(n, 4.0, "spread", "float64", 3)
    assert_same(build_network(x, y, 4.0, 6, 0.1, 5), build_network_reference(x, y, 4.0, 6, 0.1, 5))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_same_network_for_any_thread_count():
    n = 3 * kernels.SORT_CHUNK + 7
    x, y = homes(n, 4.0, "piled", "float64", 8)
    x[: n // 2] += np.linspace(0, 1, n // 2)  # half piled, half spread
    before = numba.get_num_threads()
    built, orders = [], []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            built.append(build_network(x, y, 4.0, 8, 0.3, 21))
            orders.append(kernels.morton_order(x, y, 4.0, chunk=1000))
    finally:
        numba.set_num_threads(before)
    assert_same(built[0], built[1])
    np.testing.assert_array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(orders[0], morton_order(x, y, 4.0))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 3000),
    ties=st.integers(0, 64),
    far_share=far_shares,
    seed=st.integers(0, 2**62),
    where=st.integers(0, 2**32),
)
def test_every_customer_has_exactly_ties_others(n, ties, far_share, seed, where):
    x, y = homes(n, 4.0, "spread", "float64", where)
    net = build_network(x, y, 4.0, ties, far_share, seed)
    per = ties if n > 1 else 0
    np.testing.assert_array_equal(np.diff(net.indptr), per)
    assert len(net.indices) == n * per
    owner = np.repeat(np.arange(n), per)
    assert np.all((net.indices >= 0) & (net.indices < n))
    assert not np.any(net.indices == owner)  # no self ties


def _rank_offsets(net: SocialNetwork, x, y, town) -> tuple[np.ndarray, int]:
    """Places along the Morton order from each customer to each tie (circular, 1..n-1), and n."""
    n = net.n
    rank = np.empty(n, dtype=np.int64)
    rank[morton_order(x, y, town)] = np.arange(n)
    owner = np.repeat(np.arange(n), np.diff(net.indptr))
    return (rank[net.indices] - rank[owner]) % n, n


def _mean_tie_km(net: SocialNetwork, x, y) -> float:
    owner = np.repeat(np.arange(net.n), np.diff(net.indptr))
    return float(np.hypot(x[net.indices] - x[owner], y[net.indices] - y[owner]).mean())


#: Mean distance between two random points of a unit square.
RANDOM_PAIR = (2 + np.sqrt(2) + 5 * np.log(1 + np.sqrt(2))) / 15


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 3000), ties=st.integers(1, 12), seed=st.integers(0, 2**62), where=st.integers(0, 2**32)
)
def test_without_far_ties_every_tie_lies_within_the_window_along_the_curve(n, ties, seed, where):
    x, y = homes(n, 4.0, "spread", "float64", where)
    net = build_network(x, y, 4.0, ties, 0.0, seed)
    offsets, _ = _rank_offsets(net, x, y, 4.0)
    window = min(2 * ties, n - 1)
    distance = np.minimum(offsets, n - offsets)  # places either way along the curve
    assert distance.min() >= 1 and distance.max() <= window


def test_near_ties_are_neighbours_and_far_ties_are_anyone():
    n, ties, town = 4000, 10, 4.0
    x, y = np.random.default_rng(1).uniform(0, town, (2, n))
    near = build_network(x, y, town, ties, 0.0, 2)
    far = build_network(x, y, town, ties, 1.0, 2)
    # Near ties: a few places along the curve are, on average, a short walk away.
    assert _mean_tie_km(near, x, y) < 0.15 * RANDOM_PAIR * town
    # Far ties: as far apart as random pairs, uniform over places along the curve and over ids.
    assert abs(_mean_tie_km(far, x, y) / (RANDOM_PAIR * town) - 1) < 0.05
    offsets, _ = _rank_offsets(far, x, y, town)
    for values in (offsets - 1, far.indices):  # 40 equal bins of 0..n-1 (n - 1 offsets, n ids)
        counts = np.bincount(values * 40 // n, minlength=40)
        expected = len(values) / 40
        assert ((counts - expected) ** 2 / expected).sum() < 96.1  # chi-square 39 dof, p = 1e-6


@pytest.mark.parametrize("far_share", [0.1, 0.3, 0.7])
def test_far_share_is_the_share_of_ties_beyond_the_window(far_share):
    n, ties = 5000, 6
    x, y = homes(n, 4.0, "spread", "float64", 4)
    offsets, _ = _rank_offsets(build_network(x, y, 4.0, ties, far_share, 9), x, y, 4.0)
    window = 2 * ties
    beyond = np.mean(np.minimum(offsets, n - offsets) > window)
    # A far tie lands inside the window by chance with probability 2 * window / (n - 1).
    expected = far_share * (1 - 2 * window / (n - 1))
    assert abs(beyond - expected) < 6 * np.sqrt(expected * (1 - expected) / (n * ties))


def test_same_seed_same_network_other_seed_other_network():
    x, y = homes(1000, 4.0, "spread", "float64", 5)
    a, b = (build_network(x, y, 4.0, 6, 0.1, s) for s in (1, 1))
    assert_same(a, b)
    assert not np.array_equal(a.indices, build_network(x, y, 4.0, 6, 0.1, 2).indices)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.array([0.0, np.nan]), np.zeros(2), 4.0, 6, 0.1, 1), "1 of 2 homes have a NaN"),
        ((np.zeros(3), np.zeros(2), 4.0, 6, 0.1, 1), "3 x values but 2 y values"),
        ((np.zeros(3), np.zeros(3), 4.0, -1, 0.1, 1), "must be 0 or more, got -1"),
    ],
)
def test_bad_input_is_refused_clearly(args, message):
    with pytest.raises(ValueError, match=message):
        build_network(*args)


def test_benchmark_script_prints_a_table():
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "network_build.py"),
            "--customers",
            "500",
            "3e3",
            "--ties",
            "4",
            "--repeat",
            "1",
            "--reference",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| engine"))
    names = [c.strip() for c in lines[header].strip("|").split("|")]
    rows = [
        dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True))
        for line in lines[header + 2 :]
        if line.startswith("|")
    ]
    assert [(r["engine"], r["customers"], r["ties"]) for r in rows] == [
        ("numba", "500", "4"),
        ("reference", "500", "4"),
        ("numba", "3000", "4"),
        ("reference", "3000", "4"),
    ]
    for r in rows:
        assert float(r["result B/cust"]) == 4 * 4 + 8  # int32 ties + int64 indptr
        assert float(r["cold s"]) > 0 and float(r["warm s"]) > 0
        # The build's NumPy arrays include the result itself.
        assert float(r["numpy peak B/cust"]) >= float(r["result B/cust"])
        float(r["peak RSS +MiB"]), float(r["peak RSS B/cust"]), float(r["order s"])  # all numbers
