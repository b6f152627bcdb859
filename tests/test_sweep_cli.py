"""The real ``loyaltysim sweep`` / ``analyze`` commands: failures, resume after SIGINT/SIGKILL, a
dead worker, changed experiments, and the analysis files."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import GRID, canonical, cli, run_files, write_experiment

from loyaltysim.sweep import load_manifest, load_results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# A grid whose town_km = 1.5 points are valid for the experiment (1.5 is within 0.1..100 km) but
# rejected when each run's scenario is built: the stores stand at x = 2 km, outside that town.
FAILING = """
name = "failing"
scenario = "corner_pharmacy"
replications = 2
[set]
"market.customers" = 150
"market.weeks" = 30
[parameters."market.town_km"]
values = [4.0, 1.5]
[parameters."firms.pharmacy.culture.trust"]
values = [0.2, 0.8]
[outputs]
metrics = ["loyalty_rate", "customer_base"]
final_weeks = 5
"""

# 8 points x 2 replications, enough runs for a sweep to be interrupted half-way.
LONGER = GRID.replace("values = [0, 250]", "values = [0, 50, 100, 250]").replace(
    "values = [0.1, 0.5, 0.9]", "values = [0.1, 0.9]"
)


@pytest.fixture(scope="module")
def failing_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("failing")
    exp = write_experiment(folder, FAILING, "failing.toml")
    out = folder / "out"
    return exp, out, cli("sweep", exp, "--out", out, "--workers", "2", "--retries", "1")


def test_a_run_that_raises_is_retried_then_reported_and_the_others_finish(failing_sweep):
    _, out, proc = failing_sweep
    assert proc.returncode == 1, proc.stderr
    assert "4 run(s) failed after 2 attempt(s) each" in proc.stderr
    assert "ScenarioError" in proc.stderr and "1.5 km town" in proc.stderr
    manifest = load_manifest(out)
    assert manifest["counts"] == {"done": 4, "failed": 4, "pending": 0}
    for run in manifest["runs"]:
        if run["params"]["market.town_km"] == 1.5:
            assert run["status"] == "failed" and run["attempts"] == 2
            assert run["error"].startswith("ScenarioError") and "1.5 km town" in run["error"]
            record = json.loads((out / "failures" / f"{run['run_id']}.json").read_text())
            assert record["attempts"] == 2 and "ScenarioError" in record["error"]
            assert "Traceback" in record["traceback"]
        else:
            assert run["status"] == "done"
            assert (out / "runs" / f"{run['run_id']}.parquet").is_file()
    assert set(load_results(out)["market.town_km"]) == {4.0}


def test_rerunning_a_sweep_with_failures_redoes_only_the_failed_runs(failing_sweep):
    exp, out, _ = failing_sweep
    before = run_files(out)
    proc = cli("sweep", exp, "--out", out, "--workers", "1", "--retries", "0")
    assert proc.returncode == 1
    assert "4 done (4 from earlier sweeps), 4 failed" in proc.stdout.replace("\n", " ")
    assert run_files(out) == before


def test_analyze_writes_tables_with_confidence_intervals_and_plots(failing_sweep):
    _, out, _ = failing_sweep
    proc = cli("analyze", out, "--confidence", "0.9")
    assert proc.returncode == 0, proc.stderr
    target = out / "analysis"
    summary = pd.read_csv(target / "summary.csv")
    results = load_results(out)
    final = results[(results["window"] == "final") & (results["metric"] == "customer_base")]
    for point, rows in final.groupby("point"):
        row = summary[
            (summary["point"] == point)
            & (summary["window"] == "final")
            & (summary["metric"] == "customer_base")
        ].iloc[0]
        values = rows["value"].to_numpy()
        mean, sd = values.mean(), values.std(ddof=1)
        assert row["n"] == 2 and row["mean"] == pytest.approx(mean)
        half = 6.313751514675043 * sd / math.sqrt(2)  # t(0.95, df=1): a 90 % interval
        assert row["ci_high"] - row["mean"] == pytest.approx(half)
        assert row["mean"] - row["ci_low"] == pytest.approx(half)
    markdown = (target / "summary.md").read_text()
    assert "## Failed runs" in markdown and "1.5 km town" in markdown
    assert len(pd.read_csv(target / "failures.csv")) == 4
    for name in ("heatmap_pharmacy_final.png", "response_pharmacy_final.png"):
        assert (target / name).read_bytes().startswith(PNG_MAGIC)


def test_changed_experiment_is_refused_unless_forced(tmp_path):
    exp = write_experiment(tmp_path, FAILING.replace("values = [4.0, 1.5]", "values = [4.0]"), "exp.toml")
    out = tmp_path / "out"
    assert cli("sweep", exp, "--out", out, "--workers", "2").returncode == 0
    first = run_files(out)
    exp.write_text(
        FAILING.replace("values = [4.0, 1.5]", "values = [4.0]").replace(
            "values = [0.2, 0.8]", "values = [0.2, 0.5]"
        )
    )
    refused = cli("sweep", exp, "--out", out)
    assert refused.returncode == 2
    assert "different experiment" in refused.stderr and "--force" in refused.stderr
    assert run_files(out) == first  # nothing touched
    forced = cli("sweep", exp, "--out", out, "--force", "--workers", "2")
    assert forced.returncode == 0, forced.stderr
    after = run_files(out)
    # trust 0.2 (point 0) is unchanged: its runs are kept as they were; trust 0.5 is new
    assert {k: v for k, v in after.items() if k.startswith("p00000")} == {
        k: v for k, v in first.items() if k.startswith("p00000")
    }
    assert after["p00001-r000.parquet"] != first["p00001-r000.parquet"]
    assert set(load_results(out)["firms.pharmacy.culture.trust"]) == {0.2, 0.5}


def test_bad_experiment_exits_2_naming_file_and_key(tmp_path):
    exp = write_experiment(tmp_path, GRID.replace('"market.weeks" = 30', '"market.wekes" = 30'), "bad.toml")
    proc = cli("sweep", exp, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "bad.toml" in proc.stderr and "market.wekes" in proc.stderr
    assert "did you mean 'weeks'" in proc.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------------
# Interrupted sweeps resume without redoing or duplicating runs


# The sweep command as a terminal starts it: Ctrl-C raises KeyboardInterrupt. A process started in
# the background by a non-interactive shell (`cmd &`, as some CI runners start the tests) inherits
# SIGINT *ignored*, and Python then keeps ignoring it - the sweep rightly honours that, so the
# child restores the default handler before running the real CLI.
_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, "
    "signal.default_int_handler); sys.argv[0] = 'loyaltysim'; "
    "runpy.run_module('loyaltysim', run_name='__main__')"
)


def _start(exp: Path, out: Path, workers: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _AS_FROM_A_TERMINAL,
            "sweep",
            str(exp),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_runs(proc: subprocess.Popen, out: Path, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not (out / "runs").is_dir() or len(run_files(out)) < count:
        assert proc.poll() is None, f"sweep ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "no run files appeared"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def longer(tmp_path_factory):
    """The 16-run experiment and its results from one uninterrupted sweep."""
    folder = tmp_path_factory.mktemp("longer")
    exp = write_experiment(folder, LONGER, "longer.toml")
    proc = cli("sweep", exp, "--out", folder / "clean", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return exp, folder / "clean"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_sweep_resumes_without_redoing_or_duplicating_runs(longer, tmp_path, sig):
    exp, clean = longer
    out = tmp_path / "out"
    proc = _start(exp, out)
    _wait_for_runs(proc, out, 2)
    proc.send_signal(sig)
    # communicate() returns only when every process holding the pipes is gone: after SIGKILL the
    # pool's workers must notice they are orphaned and exit by themselves.
    _, stderr = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "Rerun the same command" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    kept = run_files(out)
    assert 2 <= len(kept) < 16, "the sweep was not interrupted half-way"
    again = cli("sweep", exp, "--out", out, "--workers", "2")
    assert again.returncode == 0, again.stderr
    final = run_files(out)
    assert len(final) == 16
    for name, identity in kept.items():
        assert final[name] == identity, f"{name} was redone"
    assert not list(out.rglob(".*.tmp"))
    manifest = load_manifest(out)
    assert manifest["counts"] == {"done": 16, "failed": 0, "pending": 0}
    for weekly in (False, True):
        resumed = load_results(out, weekly=weekly)
        assert not resumed.duplicated([c for c in resumed.columns if c != "value"]).any()
        pd.testing.assert_frame_equal(canonical(resumed), canonical(load_results(clean, weekly=weekly)))


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc/*/stat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_worker_process_is_survived(longer, tmp_path):
    exp, clean = longer
    out = tmp_path / "out"
    proc = _start(exp, out, workers=1)
    _wait_for_runs(proc, out, 1)
    workers = [
        c for c in _children(proc.pid) if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()
    ]
    assert workers, "no worker process found"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    manifest = load_manifest(out)
    assert manifest["counts"]["done"] == 16
    assert max(r["attempts"] for r in manifest["runs"]) >= 2  # the runs in flight were retried
    pd.testing.assert_frame_equal(canonical(load_results(out)), canonical(load_results(clean)))
