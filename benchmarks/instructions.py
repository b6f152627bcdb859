"""Instructions per customer-week of each kernel, counted by valgrind's callgrind.

Usage (prints a Markdown table; see benchmarks/RESULTS.md; needs ``valgrind`` on PATH):

    .venv/bin/python benchmarks/instructions.py                   # 1e5 customers, 3 weeks
    .venv/bin/python benchmarks/instructions.py --customers 3e4 --weeks 2 --warmup-weeks 0

Why: on a shared 2-core VM the same code's wall time varies by 10-50 % from run to run, so a
change worth 5 % cannot be timed; the number of instructions it executes does not vary. Fewer
instructions are not the same as less time (memory waits are not counted), so use this to find and
compare work, and ``engines.py`` / ``kernel_profile.py`` for the speed itself.

The model is built and warmed up (the market's own warm-up unless ``--warmup-weeks`` is given,
then ``engines.WARMUP_WEEKS`` weeks) inside ``valgrind --tool=callgrind --instr-atstart=no``;
instrumentation is switched on (``callgrind_control -i on``) only for the ``--weeks`` measured
weeks, on one numba thread with the serial twins, so every count belongs to those weeks. A kernel's
count is the inclusive count of its serial twin's machine code, whose address the model process
reports; "Python and the rest" is the total minus the kernels (and holds a kernel too small for
callgrind to list, such as the survey's in most weeks).

Valgrind shows the program a CPU of its own (no AVX-512), for which numba's cache holds no
machine code until a run under valgrind has compiled it, at valgrind's speed (about 2.5 minutes).
So the kernels are first compiled outside valgrind for valgrind's CPU (``NUMBA_CPU_NAME`` and
``NUMBA_CPU_FEATURES`` as valgrind reports them), and the measured process loads them from the
cache: the code measured is the code valgrind would have compiled.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engines import SCENARIO, WARMUP_WEEKS

#: (module, serial twin): the per-customer kernels of a week.
KERNELS = (
    ("loyaltysim.kernels.choice", "_choose_serial"),
    ("loyaltysim.kernels.experience", "_live_week_serial"),
    ("loyaltysim.kernels.experience", "_survey_serial"),
)


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the model process ended early (exit {process.returncode})")
        time.sleep(0.2)


def valgrind_cpu() -> dict[str, str]:
    """numba's CPU settings for the CPU valgrind shows a program."""
    probe = "import llvmlite.binding as ll; print(ll.get_host_cpu_name()); "
    probe += "print(ll.get_host_cpu_features().flatten())"
    shown = subprocess.run(
        ["valgrind", "--tool=none", "-q", sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {"NUMBA_CPU_NAME": shown[-2], "NUMBA_CPU_FEATURES": shown[-1]}


def child(
    customers: int, weeks: int, warmup: int | None, folder: Path, *, compile_only: bool = False
) -> None:
    """Run inside callgrind: build and warm up, report the twins' addresses, run the measured
    weeks between the parent's signals. ``compile_only``: run the same weeks outside valgrind,
    so that numba's cache holds every kernel the measured run calls."""
    import importlib

    from loyaltysim.model import LoyaltyModel

    overrides: dict[str, object] = {
        "market.customers": customers,
        "market.weeks": weeks + WARMUP_WEEKS,
        "firms.supermarket.open": True,
    }
    if warmup is not None:
        overrides["market.warmup_weeks"] = warmup
    model = LoyaltyModel(SCENARIO, engine="numba", overrides=overrides)
    model.engine.twins.pick = lambda: False  # the serial twins: one call tree per kernel
    model.run(WARMUP_WEEKS)
    if compile_only:
        model.run(weeks)
        return
    addresses = {}
    for module_name, twin in KERNELS:
        dispatcher = getattr(importlib.import_module(module_name), twin)
        addresses[f"{module_name.rsplit('.', 1)[1]}.{twin}"] = [  # one per compiled signature
            compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
            for compiled in dispatcher.overloads.values()
        ]
    (folder / "addresses.json").write_text(json.dumps(addresses))
    (folder / "ready").write_text(str(os.getpid()))
    while not (folder / "go").exists():  # the parent switches instrumentation on, then says go
        time.sleep(0.2)
    model.run(weeks)
    (folder / "done").touch()


def _inclusive_by_address(out_file: Path) -> tuple[int, dict[int, int]]:
    """(total, inclusive instructions per function address) from callgrind_annotate."""
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = int(re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text).group(1).replace(",", ""))
    by_address = {}
    for match in re.finditer(r"^\s*([\d,]+) \([\d.]+%\)\s+\?\?\?:0x([0-9a-f]+)", text, re.MULTILINE):
        by_address[int(match.group(2), 16)] = int(match.group(1).replace(",", ""))
    return total, by_address


def measure(customers: int, weeks: int, warmup: int | None) -> dict:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out_file = folder / "callgrind.out"
        model = [sys.executable, __file__, "--child", str(folder)]
        model += ["--customers", str(customers), "--weeks", str(weeks)]
        if warmup is not None:
            model += ["--warmup-weeks", str(warmup)]
        env = {**os.environ, "NUMBA_NUM_THREADS": "1", **valgrind_cpu()}
        subprocess.run([*model, "--compile-only"], env=env, check=True)
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}"]
        process = subprocess.Popen(
            [*command, *model], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _wait_for(folder / "ready", process)
        pid = (folder / "ready").read_text()
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        (folder / "go").touch()
        _wait_for(folder / "done", process)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        process.wait()
        addresses = json.loads((folder / "addresses.json").read_text())
        total, by_address = _inclusive_by_address(out_file)
    kernels = {
        name: sum(by_address[a] for a in found if a in by_address)
        for name, found in addresses.items()
        if any(a in by_address for a in found)
    }
    return {"customers": customers, "weeks": weeks, "total": total, "kernels": kernels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=lambda s: int(float(s)), default=10**5)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument(
        "--warmup-weeks", type=int, default=None, help="the market's warm-up (default: the scenario's)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.customers, args.weeks, args.warmup_weeks, args.child, compile_only=args.compile_only)
        return
    result = measure(args.customers, args.weeks, args.warmup_weeks)
    customer_weeks = result["customers"] * result["weeks"]
    print(
        f"scenario: {SCENARIO} (all firms open), {result['customers']:,} customers, "
        f"{result['weeks']} measured weeks, 1 thread, serial twins\n"
    )
    print("| part of the week | instructions | per customer-week |")
    print("|---|---|---|")
    rest = result["total"]
    for name, count in result["kernels"].items():
        rest -= count
        print(f"| {name} | {count:,} | {count / customer_weeks:.0f} |")
    print(f"| Python and the rest | {rest:,} | {rest / customer_weeks:.0f} |")
    print(f"| whole weeks | {result['total']:,} | {result['total'] / customer_weeks:.0f} |")


if __name__ == "__main__":
    main()
