"""Benchmarks run once at a tiny size so they cannot rot; nothing here asserts a speed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *args: str) -> str:
    """Standard output of ``benchmarks/<script>`` run with ``args`` (it must succeed)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout


def table_rows(out: str, width: int, header: str) -> dict[str, list[str]]:
    """The Markdown table rows of ``out`` with ``width`` cells, by first cell (without the
    ``header`` row and the rule)."""
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == width and cells[0] not in (header, "---") and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells
    return rows


def test_engine_benchmark_prints_both_engines_with_a_ratio_and_memory():
    out = run_benchmark(
        "engines.py", "--sizes", "300", "--weeks", "3", "--reference-up-to", "300", "--staff-at", "2000"
    )
    rows = {
        name: cells for name, cells in table_rows(out, 11, "engine").items() if name in ("numba", "reference")
    }
    assert set(rows) == {"numba", "reference"}
    for cells in rows.values():
        assert cells[1] == "300"
        ticks_per_s = float(cells[5].replace(",", ""))
        ns_per_tick = float(cells[6])
        assert abs(ticks_per_s * ns_per_tick / 1e9 - 1) < 0.01  # the two columns agree
        assert float(cells[10].replace(",", "")) > 50  # array bytes per customer were counted
    assert rows["reference"][7].endswith("x")  # speed-up of numba over reference reported
    staff = [line for line in out.splitlines() if line.startswith("| Employee agents")]
    assert len(staff) == 1 and float(staff[0].split("|")[2]) > 0
    warm = [line for line in out.splitlines() if line.startswith("| warm cache")]
    assert len(warm) == 1 and float(warm[0].split("|")[2]) > 0


def test_kernel_profile_prints_every_part_of_the_week_and_they_add_up():
    out = run_benchmark("kernel_profile.py", "--customers", "300", "--weeks", "3")
    rows = {
        name: [float(c) for c in cells[1:]] for name, cells in table_rows(out, 5, "part of the week").items()
    }
    parts = ["choose", "live_week", "survey", "step_posts", "Python and the rest"]
    assert set(parts) | {"whole week"} <= set(rows)
    for ms, ns in ((0, 1), (2, 3)):  # ms per week and ns per customer, 1 thread / all threads
        assert all(rows[name][ns] > 0 for name in parts)
        # rounded to 0.01 ms each: five parts can be off their rounded sum by 0.025
        assert abs(sum(rows[name][ms] for name in parts) - rows["whole week"][ms]) < 0.03
    assert out.count("customer-ticks/s") == 2


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_count_finds_both_kernels_and_they_fit_in_the_total():
    # in a town of 2,000 callgrind did not list the choice kernel's twin
    out = run_benchmark("instructions.py", "--customers", "30000", "--weeks", "1", "--warmup-weeks", "0")
    rows = {
        name: int(cells[1].replace(",", "")) for name, cells in table_rows(out, 3, "part of the week").items()
    }
    kernels = ["choice._choose_serial", "experience._live_week_serial"]
    assert all(rows[name] > 100 * 30000 for name in kernels), rows  # at least 100 a customer
    assert rows["Python and the rest"] > 0
    parts = sum(count for name, count in rows.items() if name != "whole weeks")
    assert parts == rows["whole weeks"]
    assert rows["experience._live_week_serial"] > rows["choice._choose_serial"]


def test_kernel_ab_times_every_tree_and_tells_a_changed_kernel_from_the_same_one(tmp_path):
    # A copy of the package whose kernel never fails a visit: a different state, and the copy
    # of a copy unchanged gives the same state (the comparison is of what the kernel wrote).
    changed, same = tmp_path / "changed", tmp_path / "same"
    for tree in (changed, same):
        shutil.copytree(
            ROOT / "loyaltysim", tree / "loyaltysim", ignore=shutil.ignore_patterns("__pycache__")
        )
    kernel = changed / "loyaltysim" / "kernels" / "experience.py"
    source = kernel.read_text()
    assert "failed = u_fail < p_fail" in source
    kernel.write_text(source.replace("failed = u_fail < p_fail", "failed = u_fail < 0.0"))
    out = run_benchmark(
        "kernel_ab.py", "--customers", "2000", "--rounds", "1", "--repeats", "2", str(changed), str(same)
    )
    rows = table_rows(out, 4, "tree")
    assert set(rows) == {"this tree", str(changed), str(same)}
    assert rows["this tree"][3] == "yes" and rows[str(same)][3] == "yes"
    assert rows[str(changed)][3] == "no"
    for cells in rows.values():
        assert 0 < float(cells[1]) <= float(cells[2])  # min <= median, both measured


def test_kernel_ab_refuses_a_folder_without_the_package(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kernel_ab.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "holds no loyaltysim package" in run.stderr


def test_machine_benchmark_prints_compute_bandwidth_and_latency_for_one_and_all_threads():
    out = run_benchmark(
        "machine.py", "--repeats", "1", "--size-mb", "8", "--chase-mb", "8", "--hops", "20000"
    )
    rows = table_rows(out, 4, "threads")
    assert "1" in rows
    for cells in rows.values():
        compute, stream, latency = (float(c) for c in cells[1:])
        assert compute > 0 and stream > 0 and latency > 0, cells
    assert ("threads over 1:" in out) == (len(rows) == 2)
