"""A sweep killed with SIGKILL at any moment - even while its workers are still starting - leaves
no process behind: no pool worker, no Dask worker, no multiprocessing resource tracker.

Every process of the sweep is found by a tag in its environment (inherited by every child), so a
worker re-parented to init after the sweep died is still found.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sweep_helpers import tagged_processes, write_experiment

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/environ").is_file(), reason="finds processes through Linux /proc"
)

GONE_WITHIN_SECONDS = 30.0


def _start(exp: Path, out: Path, tag: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, LOYALTYSIM_ORPHAN_TEST=tag)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "sweep",
            str(exp),
            "--out",
            str(out),
            "--workers",
            "2",
            "--quiet",
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_a_starting_worker(proc: subprocess.Popen, tag: str, timeout: float = 120) -> None:
    """Return as soon as the sweep has spawned a worker process (it is then still starting)."""
    deadline = time.monotonic() + timeout
    while not any(b"spawn_main" in cmd for cmd in tagged_processes(tag).values()):
        assert proc.poll() is None, "the sweep ended before starting a worker"
        assert time.monotonic() < deadline, "no worker process appeared"
        time.sleep(0.01)


def _assert_all_gone(tag: str) -> None:
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    left = tagged_processes(tag)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = tagged_processes(tag)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, (
        f"{len(left)} process(es) of the killed sweep still running after "
        f"{GONE_WITHIN_SECONDS:.0f} s: "
        + "; ".join(cmd.replace(b"\0", b" ")[:90].decode() for cmd in left.values())
    )


@pytest.mark.parametrize("executor", [(), ("--cluster", "local")], ids=["pool", "dask-local"])
@pytest.mark.parametrize("moment", ["at-0.5s", "worker-starting"])
def test_sigkilled_sweep_leaves_no_process(tmp_path, executor, moment):
    exp = write_experiment(tmp_path)
    tag = uuid.uuid4().hex
    proc = _start(exp, tmp_path / "out", tag, *executor)
    try:
        if moment == "at-0.5s":
            time.sleep(0.5)
        else:
            _wait_for_a_starting_worker(proc, tag)
        assert proc.poll() is None, "the sweep ended before it was killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_all_gone(tag)


def test_a_worker_whose_sweep_already_died_exits_at_once():
    """The race behind the orphans: a worker that finishes starting after the sweep died must not
    take its new parent (init) for the sweep."""
    code = (
        "import sys, time; from loyaltysim.sweep.worker import exit_with_parent; "
        "exit_with_parent(int(sys.argv[1]), 0.05); time.sleep(60)"
    )
    not_my_parent = os.getppid()  # alive, but not the child's parent (that is this process)
    proc = subprocess.run(
        [sys.executable, "-c", code, str(not_my_parent)],
        timeout=30,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (1, "")  # exited by itself, not by an error
