"""Sweeps end to end: identical results whatever runs them, seeds, mesa.batch_run agreement."""

from __future__ import annotations

import json

import mesa
import pandas as pd
import pytest
from sweep_helpers import canonical, write_experiment

from loyaltysim.model import LoyaltyModel
from loyaltysim.simulate import simulate
from loyaltysim.sweep import load_experiment, load_manifest, load_results, run_sweep
from loyaltysim.sweep.design import make_design


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    return write_experiment(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="module")
def baseline(experiment, tmp_path_factory):
    """The tiny grid swept with 2 local workers."""
    out = tmp_path_factory.mktemp("sweep") / "two"
    report = run_sweep(load_experiment(experiment), out, workers=2, progress=False)
    assert report.complete and not report.failed
    return out


def test_every_point_and_replication_has_results_with_its_seed(baseline, experiment):
    loaded = load_experiment(experiment)
    design = make_design(loaded.experiment)
    results = load_results(baseline)
    runs = results[["point", "replication", "seed"]].drop_duplicates()
    assert len(runs) == len(design) * 2 == 12
    # common random numbers: replication r uses seed + r at every point
    assert (runs["seed"] == 5 + runs["replication"]).all()
    # parameters are stored with each row, matching the design
    for point, params in enumerate(design.points):
        rows = results[results["point"] == point]
        for key, value in params.items():
            assert (rows[key] == value).all()
    assert not results.duplicated(["point", "replication", "firm", "window", "metric"]).any()
    manifest = load_manifest(baseline)
    assert manifest["counts"] == {"done": 12, "failed": 0, "pending": 0}
    assert {r["seed"] for r in manifest["runs"]} == {5, 6}
    assert all(r["params"] == design.points[r["point"]] for r in manifest["runs"])


def test_a_run_equals_simulating_its_point_directly(baseline, experiment):
    loaded = load_experiment(experiment)
    results = load_results(baseline)
    point = 3  # trust 0.5, frontline limit 250
    params = make_design(loaded.experiment).points[point]
    direct = simulate(loaded.base, overrides=params, seed=6).firm_weekly
    direct = direct[direct["firm"] == "pharmacy"].set_index("week")
    stored = results[
        (results["point"] == point) & (results["replication"] == 1) & (results["window"] == "final")
    ].set_index("metric")["value"]
    for metric in ("loyalty_rate", "customer_base"):
        assert stored[metric] == pytest.approx(direct.loc[26:30, metric].mean())


def test_replications_and_points_differ(baseline):
    results = load_results(baseline, weekly=True)
    base = results[(results["metric"] == "customer_base")]
    by_run = base.pivot_table(index="week", columns=["point", "replication"], values="value")
    assert not by_run[(0, 0)].equals(by_run[(0, 1)])  # another seed, other luck


@pytest.mark.parametrize(
    "how",
    [{"workers": 1}, {"workers": 4}, {"workers": 2, "cluster": "local"}],
    ids=["1-worker", "4-workers", "dask-localcluster"],
)
def test_results_do_not_depend_on_workers_or_dask(baseline, experiment, tmp_path, how):
    report = run_sweep(load_experiment(experiment), tmp_path / "out", progress=False, **how)
    assert report.complete and not report.failed
    if how.get("cluster"):
        assert "Dask LocalCluster" in report.executor
    for weekly in (False, True):
        pd.testing.assert_frame_equal(
            canonical(load_results(tmp_path / "out", weekly=weekly)),
            canonical(load_results(baseline, weekly=weekly)),
        )


def test_mesa_batch_run_gives_the_sweeps_numbers(baseline, experiment):
    """mesa.batch_run drives LoyaltyModel over the same points and seeds; its focus-firm
    reporters at the last week equal the sweep's weekly series at week 30."""
    rows = mesa.batch_run(
        LoyaltyModel,
        parameters={
            "scenario": str(experiment.parent / "early_opening.toml"),
            "market__customers": 150,
            "market__weeks": 30,
            "firms__pharmacy__culture__trust": [0.1, 0.9],
            "firms__pharmacy__culture__empowerment__frontline": [0.0, 250.0],
        },
        rng=[5, 6],
        max_steps=30,
        number_processes=1,
        display_progress=False,
        data_collection_period=-1,
    )
    assert len(rows) == 8
    weekly = load_results(baseline, weekly=True)
    last = weekly[(weekly["week"] == 30) & (weekly["firm"] == "pharmacy")]
    for row in rows:
        match = last[
            (last["firms.pharmacy.culture.trust"] == row["firms__pharmacy__culture__trust"])
            & (
                last["firms.pharmacy.culture.empowerment.frontline"]
                == row["firms__pharmacy__culture__empowerment__frontline"]
            )
            & (last["seed"] == row["rng"])
        ].set_index("metric")["value"]
        assert row["Step"] == 30
        assert match["loyalty_rate"] == pytest.approx(row["focus_loyalty_rate"])
        assert match["customer_base"] == pytest.approx(row["focus_customer_base"])


def test_run_files_carry_their_inputs(baseline):
    import pyarrow.parquet as pq

    manifest = load_manifest(baseline)
    run = manifest["runs"][5]
    meta = json.loads(
        pq.read_metadata(baseline / "runs" / f"{run['run_id']}.parquet").metadata[b"loyaltysim.sweep"]
    )
    assert meta["run_hash"] == run["run_hash"]
    assert meta["seed"] == run["seed"] and meta["params"] == run["params"]
    assert manifest["package_version"] and manifest["identity"]["experiment_sha256"]


def test_scheduler_address_submits_to_a_running_dask_cluster(baseline, experiment, tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=40,
    ) as cluster:
        report = run_sweep(
            load_experiment(experiment), tmp_path / "out", progress=False, scheduler=cluster.scheduler_address
        )
    assert report.complete and cluster.scheduler_address in report.executor
    pd.testing.assert_frame_equal(
        canonical(load_results(tmp_path / "out")), canonical(load_results(baseline))
    )
