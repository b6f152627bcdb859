"""A calibration's result does not depend on interruptions or on where it runs.

* SIGKILL the ``loyaltysim calibrate`` process mid-run, rerun the same command: no trial finished
  before the kill is evaluated again (``evaluations.log`` lists what each session sent to the
  workers) and the result equals an uninterrupted run's, trial for trial.
* The same calibration with 1 and 2 local workers and on a Dask LocalCluster gives the same trials.
* A folder is not resumed with a changed targets file, and ``--resume`` needs a folder to resume.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from loyaltysim.calibration.cli import calibrate
from loyaltysim.calibration.spec import CalibrationError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 40

TARGETS = """\
scenario = "corner_pharmacy"
seed = 11
trials = 40
batch_size = 4
startup_trials = 8
replications = 2
profile_points = 3
[set]
"market.customers" = 400
"market.weeks" = 50
"market.warmup_weeks" = 10
[parameters."firms.pharmacy.process.base_failure_rate"]
low = 0.01
high = 0.1
[parameters."behaviour.attachment_gain"]
low = 0.01
high = 0.5
log = true
[parameters."behaviour.quit_rate"]
low = 0.0
high = 0.2
[targets.problems]
kind = "metric"
quantity = "problems_per_visit"
weeks = [10, 50]
observed = 5.0
sd = 0.5
[targets.loyalty]
kind = "metric"
metric = "loyalty_rate"
weeks = [30, 50]
range = [0.3, 0.5]
"""


def _targets(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    return path


def _trials(folder: Path) -> pd.DataFrame:
    """Every trial's parameters, values and losses (timings left out)."""
    table = pd.read_parquet(folder / "trials.parquet")
    return table.drop(columns=["seconds", "sim_seconds"])


def _command(targets: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "loyaltysim",
        "calibrate",
        str(targets),
        "--out",
        str(out),
        "--workers",
        "2",
        "-q",
    ]


def _finished(out: Path) -> set[int]:
    path = out / "trials.jsonl"
    if not path.exists():
        return set()
    import json

    numbers = set()
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        numbers.add(int(json.loads(line)["number"]))
    return numbers


def test_sigkill_and_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    targets = _targets(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_command(targets, killed), cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 300
    while len([n for n in _finished(killed) if n >= 0]) < 10:
        assert proc.poll() is None, "the calibration ended before it could be killed"
        assert time.monotonic() < deadline, "no trial finished within 5 minutes"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers, at once
    proc.wait()
    before = {n for n in _finished(killed) if n >= 0}
    assert 10 <= len(before) < TRIALS, before
    first = {line.split()[0] for line in (killed / "evaluations.log").read_text().splitlines()}
    assert len(first) == 1

    rerun = subprocess.run(_command(targets, killed), cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    sessions: dict[str, list[int]] = {}
    for line in (killed / "evaluations.log").read_text().splitlines():
        session, number = line.split()
        sessions.setdefault(session, []).append(int(number))
    assert len(sessions) == 2
    second = next(numbers for s, numbers in sessions.items() if s not in first)
    assert not before & set(second), f"trials re-evaluated after the kill: {sorted(before & set(second))}"
    assert set(range(TRIALS)) <= before | set(second)

    calibrate(targets, tmp_path / "straight", workers=2)
    pd.testing.assert_frame_equal(_trials(killed), _trials(tmp_path / "straight"))
    assert (killed / "best.toml").read_text() == (tmp_path / "straight" / "best.toml").read_text()
    # The report names both sessions: the killed one by the trials it left, the rerun by its record.
    report = (killed / "report.md").read_text()
    stored = [n for n in before if n >= 0]
    assert "evaluation(s) in a session stopped before its end" in report
    assert f"{TRIALS - len(stored)} trial(s) and" in report, report.splitlines()[4]


def test_same_result_with_one_or_two_workers_and_on_dask(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    targets = _targets(tmp_path)
    calibrate(targets, tmp_path / "one", workers=1, trials=16)
    calibrate(targets, tmp_path / "two", workers=2, trials=16)
    calibrate(targets, tmp_path / "dask", workers=2, cluster="local", trials=16)
    one = _trials(tmp_path / "one")
    assert len(one) == 17 and one["state"].eq("complete").all()
    pd.testing.assert_frame_equal(one, _trials(tmp_path / "two"))
    pd.testing.assert_frame_equal(one, _trials(tmp_path / "dask"))


def test_more_trials_into_the_same_folder_continue_the_same_study(tmp_path: Path) -> None:
    targets = _targets(tmp_path)
    calibrate(targets, tmp_path / "grown", workers=2, trials=6)
    run = calibrate(targets, tmp_path / "grown", workers=2, trials=12, resume=True)
    assert sorted(run.evaluated) == list(range(6, 12))  # the first six were not redone
    # Both sessions stay on the record: the report of the second still says how the first ran.
    assert [s["trials"] for s in run.sessions] == [6, 6]
    assert all(s["executor"] and s["wall_seconds"] > 0 for s in run.sessions)
    summary = (tmp_path / "grown" / "report.md").read_text().splitlines()[4]
    assert summary.count("6 trial(s) and") == 2 and "stopped before its end" not in summary, summary
    calibrate(targets, tmp_path / "once", workers=2, trials=12)
    pd.testing.assert_frame_equal(_trials(tmp_path / "grown"), _trials(tmp_path / "once"))


def test_a_changed_targets_file_is_not_resumed(tmp_path: Path) -> None:
    targets = _targets(tmp_path)
    with pytest.raises(CalibrationError, match="no calibration to resume"):
        calibrate(targets, tmp_path / "out", trials=2, resume=True, workers=1)
    calibrate(targets, tmp_path / "out", trials=2, workers=1)
    targets.write_text(TARGETS.replace("observed = 5.0", "observed = 6.0"), encoding="utf-8")
    with pytest.raises(CalibrationError, match="targets file") as info:
        calibrate(targets, tmp_path / "out", trials=2, workers=1)
    assert "another --out folder" in str(info.value)
    with pytest.raises(CalibrationError, match="seed was 11, now 12"):
        calibrate(_targets(tmp_path / "b"), tmp_path / "out", trials=2, seed=12, workers=1)
